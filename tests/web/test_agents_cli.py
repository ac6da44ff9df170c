"""``flask llm migrate-agents`` and ``flask llm sync-agents``."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.support import agent_requests, login, make_agent, make_app, make_provider, register


@pytest.fixture
def legacy_setup(gw_admin, db):
    """Registered: openai/gpt-4o, anthropic/claude-3-haiku, and "llama3" under two
    providers. Legacy agents (written by the host, no modelId) that match, or not."""
    openai = make_provider(gw_admin, name="openai")
    anthropic = make_provider(gw_admin, "anthropic", name="anthropic")
    ollama_a = make_provider(gw_admin, "ollama", name="ollama a")
    ollama_b = make_provider(gw_admin, "ollama", name="ollama b",
                             baseUrl="http://127.0.0.1:11435")
    register(gw_admin, openai["id"], "gpt-4o", "meta-llama/llama-3-70b")
    register(gw_admin, anthropic["id"], "claude-3-haiku")
    register(gw_admin, ollama_a["id"], "llama3")
    register(gw_admin, ollama_b["id"], "llama3")
    agents = {
        "full": "openai/gpt-4o",                # match by providerType/providerModelId
        "bare": "claude-3-haiku",               # bare id, one match
        "slashed": "meta-llama/llama-3-70b",    # an id with a slash, one match
        "twice": "llama3",                      # bare id, two matches: ambiguous
        "twice-full": "ollama/llama3",          # two ollama providers: ambiguous
        "nowhere": "mistral/mistral-large",     # not registered
    }
    for name, model in agents.items():
        db.Agent.insert_one({"name": name, "model": model, "hostField": name})
    return {"openai": openai, "anthropic": anthropic}


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["llm", *args])
    return result


def test_migrate_dry_run_then_real_then_again(gw_app, legacy_setup, db):
    before = list(db.Agent.find({}, sort=[("name", 1)]))
    result = run(gw_app, "migrate-agents", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "matched: 3, unmatched: 1, ambiguous: 2" in result.output
    assert "dry run: nothing was changed" in result.output
    assert "nowhere" in result.output and "twice" in result.output
    assert list(db.Agent.find({}, sort=[("name", 1)])) == before

    result = run(gw_app, "migrate-agents")
    assert result.exit_code == 0, result.output
    assert "matched: 3, unmatched: 1, ambiguous: 2" in result.output
    docs = {d["name"]: d for d in db.Agent.find({})}
    models = {m["providerModelId"]: m for m in db.LlmModel.find({})}
    assert docs["full"]["modelId"] == models["gpt-4o"]["_id"]
    assert docs["bare"]["modelId"] == models["claude-3-haiku"]["_id"]
    assert docs["bare"]["model"] == "anthropic/claude-3-haiku"
    assert docs["slashed"]["model"] == "openai/meta-llama/llama-3-70b"
    assert docs["full"]["talonSyncStatus"] == "pending"
    assert all("modelId" not in docs[n] for n in ("twice", "twice-full", "nowhere"))
    assert all(d["hostField"] == d["name"] for d in docs.values())

    after_first = list(db.Agent.find({}, sort=[("name", 1)]))
    result = run(gw_app, "migrate-agents")
    assert "matched: 0, unmatched: 1, ambiguous: 2" in result.output
    assert list(db.Agent.find({}, sort=[("name", 1)])) == after_first


def test_migrate_with_nothing_to_do(gw_app):
    result = run(gw_app, "migrate-agents")
    assert result.exit_code == 0 and "matched: 0, unmatched: 0, ambiguous: 0" in result.output


def test_migrated_agents_sync_with_their_provider_key(gw_app, legacy_setup, talon):
    run(gw_app, "migrate-agents")
    result = run(gw_app, "sync-agents")
    assert result.exit_code == 0, result.output
    # the three now pending, and the three legacy ones the host wrote and never pushed
    assert "synced: 6, failed: 0" in result.output
    assert talon.agents["full"]["apiKey"] and talon.agents["full"]["model"] == "openai/gpt-4o"


def test_sync_agents_retries_failed_and_pending(gw_app, gw_admin, talon, db):
    make_agent(gw_admin, "Fine", model="openai/gpt-4o")
    talon.down()
    make_agent(gw_admin, "Failed One", model="openai/gpt-4o")
    make_agent(gw_admin, "Failed Two", model="openai/gpt-4o")
    result = run(gw_app, "sync-agents")
    assert result.exit_code == 1 and "failed: 2" in result.output
    talon.up()
    talon.clear_requests()
    result = run(gw_app, "sync-agents", "--failed")
    assert result.exit_code == 0, result.output
    assert "synced: 2, failed: 0" in result.output
    assert {r.body["name"] for r in agent_requests(talon)} == {"Failed One", "Failed Two"}
    assert db.Agent.count_documents({"talonSyncStatus": "synced"}) == 3
    result = run(gw_app, "sync-agents")
    assert "synced: 0, failed: 0" in result.output
    result = run(gw_app, "sync-agents", "--all")
    assert "synced: 3, failed: 0" in result.output
    ids = {d["talonId"] for d in db.Agent.find({})}
    assert len(ids) == 3 and set(talon.sub_agents) == ids


def test_sync_agents_without_gateway_says_so(db, monkeypatch):
    monkeypatch.delenv("TALON_GATEWAY_URL", raising=False)
    app = make_app(db)
    make_agent(login(app, "admin"), "Offline", model="openai/gpt-4o")
    result = run(app, "sync-agents", "--all")
    assert result.exit_code == 0 and "TALON_GATEWAY_URL is not set" in result.output
    assert db.Agent.find_one({})["talonSyncStatus"] == "disabled"


def test_sync_agents_gives_host_agents_a_talon_id(gw_app, db, talon):
    oid = db.Agent.insert_one({"name": "Host Agent", "model": "google/gemini-2.0-flash",
                               "talonSyncStatus": "pending"}).inserted_id
    result = run(gw_app, "sync-agents")
    assert "synced: 1" in result.output
    assert db.Agent.find_one({"_id": ObjectId(oid)})["talonId"] == "host-agent"
    assert talon.agents["host-agent"]["model"] == "google/gemini-2.0-flash"
