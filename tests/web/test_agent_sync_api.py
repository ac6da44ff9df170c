"""Talon sync through HTTP against the local gateway: payloads, failures and retries,
key secrecy, provider changes and deletes, and sync switched off."""

from __future__ import annotations

import logging

import pytest
from bson import Binary, ObjectId

from tests.support import (
    CANARY_KEY,
    OPENAI_URL,
    TALON_TOKEN,
    agent_requests,
    bodies,
    gateway_app,
    login,
    make_agent,
    make_app,
    make_provider,
    register,
)

NEW_KEY = "sk-NEWKEY-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"


@pytest.fixture
def bound(gw_admin):
    """An OpenAI provider with the canary key and one enabled model."""
    provider = make_provider(gw_admin)
    [model] = register(gw_admin, provider["id"], "gpt-4o")
    return {"provider": provider, "model": model}


def stored(db, agent):
    return db.Agent.find_one({"_id": ObjectId(agent["id"])})


class TestPrdCriterion5GatewayPayload:
    """PRD 5: the gateway receives the decrypted key, the base URL and the soul."""

    def test_gateway_received_decrypted_key_base_url_and_soul(self, gw_member, bound, talon):
        agent = make_agent(gw_member, "Support Agent", role="support",
                           modelId=bound["model"]["id"], soul="You are kind.",
                           guardrails="Never share secrets.")
        [request] = agent_requests(talon)
        assert request.method == "POST" and request.path == "/v1/agents"
        assert request.header("Authorization") == "[redacted]"  # sent (else 401), not logged
        assert request.body == {
            "id": agent["talonId"], "name": "Support Agent", "role": "support",
            "model": "openai/gpt-4o", "apiKey": CANARY_KEY, "baseUrl": OPENAI_URL,
            "systemPrompt": "You are kind.", "soul": "You are kind.",
            "guardrails": "Never share secrets.",
        }
        assert talon.agents[agent["talonId"]]["apiKey"] == CANARY_KEY

    def test_type_default_base_url_and_no_nulls(self, gw_admin, gw_member, talon):
        provider = make_provider(gw_admin, "anthropic")
        [model] = register(gw_admin, provider["id"], "claude-sonnet-4")
        make_agent(gw_member, "Minimal", modelId=model["id"])
        [body] = bodies(talon, "POST")
        assert body["baseUrl"] == "https://api.anthropic.com"
        assert body["model"] == "anthropic/claude-sonnet-4" and body["role"] == ""
        assert None not in body.values() and "soul" not in body and "guardrails" not in body

    def test_update_puts_and_clears_removed_values(self, gw_member, gw_admin, bound, talon):
        agent = make_agent(gw_member, "Clearer", modelId=bound["model"]["id"],
                           soul="old soul", guardrails="old rails")
        gw_admin.patch(f"/api/agents/{agent['id']}", json={"soul": None, "guardrails": "new"})
        [put] = bodies(talon, "PUT")
        assert put["soul"] == "" and put["systemPrompt"] == "" and put["guardrails"] == "new"
        at_gateway = talon.agents[agent["talonId"]]
        assert at_gateway["systemPrompt"] == "" and at_gateway["apiKey"] == CANARY_KEY


def test_gateway_down_saves_agent_as_failed_then_retry_succeeds(gw_member, gw_admin, bound,
                                                                 talon, db):
    talon.down()
    res = gw_member.post("/api/agents", json={"name": "Patient", "modelId": bound["model"]["id"]})
    assert res.status_code == 201
    sync = res.json["data"]["talonSync"]
    assert sync["status"] == "failed" and sync["syncedAt"] is None
    # a member reads the reason without the gateway's address; an admin reads both
    assert "127.0.0.1" not in sync["error"] and "connection refused" in sync["error"]
    as_admin = gw_admin.get(f"/api/agents/{res.json['data']['id']}").json["data"]["talonSync"]
    assert "127.0.0.1" in as_admin["error"] and "connection refused" in as_admin["error"]
    assert stored(db, res.json["data"])["talonSyncStatus"] == "failed"
    res2 = gw_admin.post(f"/api/agents/{res.json['data']['id']}/sync")
    assert res2.status_code == 502 and "connection refused" in res2.json["error"]["message"]
    assert res2.json["error"]["fields"]["talonSync"]["status"] == "failed"
    talon.up()
    res3 = gw_admin.post(f"/api/agents/{res.json['data']['id']}/sync")
    assert res3.status_code == 200
    assert res3.json["data"]["talonSync"]["status"] == "synced"
    assert res3.json["data"]["talonSync"]["error"] is None
    assert talon.agents["patient"]["apiKey"] == CANARY_KEY


@pytest.mark.parametrize(("status", "words"), [(503, "HTTP 503"), (500, "retry the sync"),
                                               (422, "rejected the request with HTTP 422")])
def test_gateway_errors_are_recorded(gw_member, gw_admin, bound, talon, db, status, words):
    talon.fail_next(1, status=status)
    agent = make_agent(gw_member, "Unlucky", modelId=bound["model"]["id"])
    assert agent["talonSync"]["status"] == "failed"
    assert words in agent["talonSync"]["error"]
    as_admin = gw_admin.get(f"/api/agents/{agent['id']}").json["data"]["talonSync"]
    assert stored(db, agent)["talonSyncError"] == as_admin["error"]
    assert as_admin["error"].replace(f" at {talon.base_url}", "") == agent["talonSync"]["error"]


def test_slow_gateway_times_out_as_failure(db, talon):
    app = gateway_app(db, talon, TASK_MASTER_LLM_TALON_TIMEOUT=0.3)
    member = login(app, "member")
    talon.slow_seconds = 3
    talon.mode = "slow"
    agent = make_agent(member, "Sleepy", model="openai/gpt-4o")
    talon.mode = "normal"
    assert agent["talonSync"]["status"] == "failed"
    assert "timeout" in agent["talonSync"]["error"]


def test_wrong_gateway_token_is_failure(db, talon):
    app = gateway_app(db, talon, TALON_GATEWAY_TOKEN="wrong-token")
    agent = make_agent(login(app, "member"), "Locked Out", model="openai/gpt-4o")
    assert agent["talonSync"]["status"] == "failed" and "401" in agent["talonSync"]["error"]
    assert "wrong-token" not in agent["talonSync"]["error"]


def test_delete_with_gateway_failing_still_deletes(gw_member, gw_admin, talon, db):
    agent = make_agent(gw_member, "Doomed", model="openai/gpt-4o")
    talon.down()
    res = gw_admin.delete(f"/api/agents/{agent['id']}")
    assert res.status_code == 200
    assert res.json["data"]["talonSync"]["status"] == "failed"
    assert "127.0.0.1" in res.json["data"]["talonSync"]["error"]
    assert db.Agent.count_documents({}) == 0
    talon.up()
    talon.fail_next(1, status=500)
    other = make_agent(gw_member, "Also Doomed", model="openai/gpt-4o")
    talon.fail_next(1, status=500)
    res = gw_admin.delete(f"/api/agents/{other['id']}")
    assert res.status_code == 200 and res.json["data"]["talonSync"]["status"] == "failed"


def test_gateway_404_on_delete_counts_as_done(gw_member, gw_admin, talon):
    agent = make_agent(gw_member, "Ghost", model="openai/gpt-4o")
    talon.agents = {}
    res = gw_admin.delete(f"/api/agents/{agent['id']}")
    assert res.json["data"]["talonSync"] == {"status": "synced", "error": None, "syncedAt": None}


def test_provider_key_change_resyncs_its_agents(gw_member, gw_admin, bound, talon, db):
    first = make_agent(gw_member, "One", modelId=bound["model"]["id"])
    second = make_agent(gw_member, "Two", modelId=bound["model"]["id"])
    legacy = make_agent(gw_member, "Three", model="openai/gpt-4o")
    talon.clear_requests()
    res = gw_admin.patch(f"/api/llm/providers/{bound['provider']['id']}", json={"apiKey": NEW_KEY})
    assert res.status_code == 200
    puts = {b["id"]: b for b in bodies(talon, "PUT")}
    assert set(puts) == {first["talonId"], second["talonId"]}  # not the legacy agent
    assert all(b["apiKey"] == NEW_KEY for b in puts.values())
    assert talon.agents[first["talonId"]]["apiKey"] == NEW_KEY
    assert stored(db, legacy)["talonSyncStatus"] == "synced"
    talon.clear_requests()
    new_url = "https://proxy.example.com/v1"
    gw_admin.patch(f"/api/llm/providers/{bound['provider']['id']}", json={"baseUrl": new_url})
    assert {b["baseUrl"] for b in bodies(talon, "PUT")} == {new_url}
    talon.clear_requests()
    gw_admin.patch(f"/api/llm/providers/{bound['provider']['id']}", json={"name": "renamed"})
    assert agent_requests(talon) == []  # no credential change, no re-sync


class TestPrdCriterion7ProviderDeleteCascades:
    """PRD 7: deleting a provider removes its models and detaches their agents."""

    def test_provider_delete_cascades_and_detaches(self, gw_member, gw_admin, bound, talon, db):
        provider_id = bound["provider"]["id"]
        register(gw_admin, provider_id, "gpt-4o-mini")
        agent = make_agent(gw_member, "Orphan", modelId=bound["model"]["id"], soul="s")
        talon.clear_requests()
        res = gw_admin.delete(f"/api/llm/providers/{provider_id}")
        assert res.status_code == 200
        assert res.json["data"]["deletedModels"] == 2
        assert res.json["data"]["detachedAgents"] == [{"id": agent["id"], "name": "Orphan"}]
        assert gw_member.get("/api/llm/models").json["data"]["total"] == 0
        assert db.LlmModel.count_documents({}) == 0
        after = gw_member.get(f"/api/agents/{agent['id']}").json["data"]
        assert after["modelId"] is None and after["llmModel"] is None
        assert after["model"] == "openai/gpt-4o"  # keeps working as a legacy agent
        assert after["talonSync"]["status"] == "synced"
        [put] = bodies(talon, "PUT")
        assert put["model"] == "openai/gpt-4o"
        assert put["apiKey"] == "" and put["baseUrl"] == ""  # the deleted key is cleared
        assert "apiKey" not in talon.agents["orphan"] or talon.agents["orphan"]["apiKey"] == ""
        res = gw_admin.post(f"/api/agents/{agent['id']}/sync")  # still syncs later
        assert res.status_code == 200


def test_unreadable_key_fails_sync_with_a_clear_reason(gw_member, gw_admin, bound, db, talon):
    agent = make_agent(gw_member, "Broken Key", modelId=bound["model"]["id"])
    db.LlmProvider.update_one({}, {"$set": {"encryptedApiKey": Binary(b"\x00" * 40)}})
    res = gw_admin.post(f"/api/agents/{agent['id']}/sync")
    assert res.status_code == 502
    assert "cannot be decrypted" in res.json["error"]["message"]
    assert bound["provider"]["name"] in res.json["error"]["message"]
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"role": "x"})
    assert res.status_code == 200 and res.json["data"]["talonSync"]["status"] == "failed"


def test_model_gone_or_provider_deleting_fails_sync_clearly(gw_member, gw_admin, bound, db):
    agent = make_agent(gw_member, "Stranded", modelId=bound["model"]["id"])
    db.LlmProvider.update_one({}, {"$set": {"deleting": True}})
    res = gw_admin.post(f"/api/agents/{agent['id']}/sync")
    assert res.status_code == 502 and "was deleted" in res.json["error"]["message"]
    db.LlmModel.delete_many({})
    res = gw_admin.post(f"/api/agents/{agent['id']}/sync")
    assert res.status_code == 502 and "no longer registered" in res.json["error"]["message"]


def test_sync_is_disabled_without_gateway_url(db, monkeypatch):
    monkeypatch.delenv("TALON_GATEWAY_URL", raising=False)
    app = make_app(db)
    admin = login(app, "admin")
    agent = make_agent(admin, "Offline", model="openai/gpt-4o")
    assert agent["talonSync"]["status"] == "disabled"
    assert "TALON_GATEWAY_URL" in agent["talonSync"]["error"]
    res = admin.post(f"/api/agents/{agent['id']}/sync")
    assert res.status_code == 200 and res.json["data"]["talonSync"]["status"] == "disabled"
    res = admin.delete(f"/api/agents/{agent['id']}")
    assert res.status_code == 200 and res.json["data"]["talonSync"]["status"] == "disabled"


def test_keys_never_leak_into_logs_responses_or_sync_errors(gw_member, gw_admin, talon, db,
                                                            caplog):
    caplog.set_level(logging.DEBUG)
    texts = []

    def call(method, url, **kw):
        res = getattr(gw_admin, method)(url, **kw)
        texts.append(res.get_data(as_text=True))
        return res

    provider = make_provider(gw_admin)
    [model] = register(gw_admin, provider["id"], "gpt-4o")
    agent = call("post", "/api/agents", json={"name": "Secret", "modelId": model["id"]}).json
    agent_id = agent["data"]["id"]
    for status in (400, 422, 500, 503):
        talon.fail_next(1, status=status)
        call("post", f"/api/agents/{agent_id}/sync")
    talon.mode = "reset"
    call("patch", f"/api/agents/{agent_id}", json={"role": "r"})
    talon.mode = "normal"
    talon.down()
    call("post", f"/api/agents/{agent_id}/sync")
    call("patch", f"/api/llm/providers/{provider['id']}", json={"apiKey": NEW_KEY})
    errors = [d.get("talonSyncError") for d in db.Agent.find({})]
    assert errors and all(errors)  # failures were recorded...
    assert all(CANARY_KEY not in e and NEW_KEY not in e for e in errors)  # ...without keys
    talon.up()
    call("patch", f"/api/llm/providers/{provider['id']}", json={"apiKey": CANARY_KEY})
    call("get", "/api/agents")
    call("get", f"/api/agents/{agent_id}")
    call("delete", f"/api/llm/models/{model['id']}", query_string={"force": "true"})
    call("delete", f"/api/agents/{agent_id}")
    call("delete", f"/api/llm/providers/{provider['id']}")
    call("get", "/api/llm/audit?limit=500")
    audit = [str(doc) for doc in db.LlmAuditEvent.find({})]
    assert len(audit) > 10
    assert talon.requests and any(r.body and r.body.get("apiKey") == CANARY_KEY
                                  for r in talon.requests)
    for secret in (CANARY_KEY, NEW_KEY, TALON_TOKEN):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
        assert all(secret not in text for text in texts)
        for doc in db.Agent.find({}):
            assert secret not in str(doc.get("talonSyncError"))
        assert all(secret not in doc for doc in audit)
