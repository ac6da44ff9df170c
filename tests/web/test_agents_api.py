"""Agent routes: create bound to a registered model or a legacy string, list with the
llmModel relation, edit, delete, permissions, talonIds, the host hook."""

from __future__ import annotations

import pytest
from bson import ObjectId

from task_master_llm.store.agents import AgentStore
from task_master_llm.web.context import services_of
from tests.support import (
    agent_requests,
    bodies,
    gateway_app,
    login,
    make_agent,
    make_app,
    make_provider,
    register,
)


@pytest.fixture
def models(gw_admin):
    """gpt-4o (enabled) and gpt-old (disabled) of one OpenAI provider."""
    provider = make_provider(gw_admin)
    enabled, disabled = register(gw_admin, provider["id"], "gpt-4o", "gpt-old")
    gw_admin.patch(f"/api/llm/models/{disabled['id']}", json={"enabled": False})
    return {"provider": provider, "enabled": enabled, "disabled": disabled}


class TestPrdCriterion4AgentWithRegisteredModel:
    """PRD 4: a member creates an agent with a provider's enabled model."""

    def test_member_creates_agent_with_enabled_model(self, gw_member, models, talon):
        agent = make_agent(gw_member, "Research Bot", role="researcher",
                           modelId=models["enabled"]["id"], soul="Be thorough.",
                           guardrails="No guessing.")
        assert agent["modelId"] == models["enabled"]["id"]
        assert agent["model"] == "openai/gpt-4o"
        assert agent["talonId"] == "research-bot"
        assert agent["llmModel"]["providerModelId"] == "gpt-4o"
        assert agent["llmModel"]["provider"]["name"] == models["provider"]["name"]
        assert agent["talonSync"]["status"] == "synced" and agent["talonSync"]["error"] is None
        assert agent["talonSync"]["syncedAt"].endswith("Z")
        assert "research-bot" in talon.agents

    def test_disabled_model_is_refused(self, gw_member, models, db, talon):
        error = make_agent(gw_member, "Old", status=400, modelId=models["disabled"]["id"])
        assert "modelId" in error["fields"]
        assert "disabled" in error["fields"]["modelId"][0]
        assert db.Agent.count_documents({}) == 0 and agent_requests(talon) == []

    def test_unknown_model_and_deleting_provider_are_refused(self, gw_member, models, db):
        error = make_agent(gw_member, "A", status=400, modelId=str(ObjectId()))
        assert "No registered model" in error["fields"]["modelId"][0]
        db.LlmProvider.update_one({}, {"$set": {"deleting": True}})
        error = make_agent(gw_member, "B", status=400, modelId=models["enabled"]["id"])
        assert "deleted" in error["fields"]["modelId"][0]


class TestPrdCriterion8LegacyAgents:
    """PRD 8: agents with a legacy "provider/model" string keep working."""

    def test_legacy_string_agent_is_created_and_synced(self, gw_member, talon):
        agent = make_agent(gw_member, "Legacy", model="anthropic/claude-3-5-sonnet")
        assert agent["modelId"] is None and agent["llmModel"] is None
        assert agent["talonSync"]["status"] == "synced"
        [body] = bodies(talon, "POST")
        assert body["model"] == "anthropic/claude-3-5-sonnet"
        assert "apiKey" not in body and "baseUrl" not in body

    def test_host_legacy_agent_lists_edits_and_syncs(self, gw_app, gw_admin, db, talon):
        oid = db.Agent.insert_one({"name": "Old Timer", "model": "openai/gpt-4",
                                   "ownerId": "u-7", "status": "active"}).inserted_id
        [listed] = gw_admin.get("/api/agents").json["data"]["items"]
        assert listed["model"] == "openai/gpt-4" and listed["llmModel"] is None
        assert listed["talonSync"]["status"] is None
        res = gw_admin.patch(f"/api/agents/{oid}", json={"role": "veteran"})
        assert res.status_code == 200, res.json
        assert res.json["data"]["talonId"] == "old-timer"
        assert res.json["data"]["talonSync"]["status"] == "synced"
        assert talon.agents["old-timer"]["model"] == "openai/gpt-4"
        stored = db.Agent.find_one({"_id": oid})
        assert stored["ownerId"] == "u-7" and stored["status"] == "active"  # host fields kept


@pytest.mark.parametrize(
    ("body", "field"),
    [({"modelId": None}, "modelId"), ({}, "modelId"), ({"modelId": "nope"}, "modelId"),
     ({"model": "gpt-4o"}, "model"), ({"model": "openai/has space"}, "model"),
     ({"model": "a/b", "colour": "red"}, "colour"), ({"model": "a/b", "role": 5}, "role"),
     ({"model": "a/b", "soul": "x" * 20_001}, "soul")],
)
def test_bad_agent_input_is_400_naming_the_field(gw_member, body, field):
    res = gw_member.post("/api/agents", json={"name": "A", **body})
    assert res.status_code == 400, res.json
    assert field in res.json["error"]["fields"]


@pytest.mark.parametrize("body", [{"model": "a/b"}, {"name": "", "model": "a/b"},
                                  {"name": "x" * 101, "model": "a/b"}])
def test_bad_name_is_400(gw_member, body):
    res = gw_member.post("/api/agents", json=body)
    assert res.status_code == 400 and "name" in res.json["error"]["fields"]


def test_body_must_be_json(gw_member):
    assert gw_member.post("/api/agents", data="name=x").status_code == 415


def test_duplicate_name_is_409(gw_member, gw_admin):
    make_agent(gw_member, "Twin", model="openai/gpt-4o")
    error = make_agent(gw_member, "Twin", status=409, model="openai/gpt-4o")
    assert "name" in error["fields"]
    other = make_agent(gw_member, "Other", model="openai/gpt-4o")
    res = gw_admin.patch(f"/api/agents/{other['id']}", json={"name": "Twin"})
    assert res.status_code == 409


def test_names_that_slug_alike_get_different_talon_ids(gw_member, talon):
    ids = [make_agent(gw_member, name, model="openai/gpt-4o")["talonId"]
           for name in ("Sales Bot", "sales-bot", "SALES  BOT!", "Sälés Bot")]
    assert ids == ["sales-bot", "sales-bot-2", "sales-bot-3", "sales-bot-4"]
    assert set(talon.sub_agents) == set(ids)


def test_talon_id_race_retries_with_the_next_suffix(gw_member, db, monkeypatch):
    """Another writer took the slug between our check and our insert: the unique index
    refuses it, and the create retries with the next suffix."""
    db.Agent.insert_one({"name": "someone else", "talonId": "racer"})
    monkeypatch.setattr(AgentStore, "taken_ids", lambda self, talon_ids: set())
    agent = make_agent(gw_member, "Racer", model="openai/gpt-4o")
    assert agent["talonId"] == "racer-2"


def test_rename_keeps_talon_id(gw_member, gw_admin, models, talon):
    agent = make_agent(gw_member, "First Name", modelId=models["enabled"]["id"])
    talon.clear_requests()
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"name": "Second Name"})
    assert res.status_code == 200
    assert res.json["data"]["talonId"] == "first-name"
    [put] = agent_requests(talon)
    assert put.method == "PUT" and put.path == "/v1/agents/first-name"
    assert put.body["id"] == "first-name" and put.body["name"] == "Second Name"
    assert set(talon.sub_agents) == {"first-name"}


def test_list_and_get_include_llm_model(gw_member, models):
    bound = make_agent(gw_member, "Bound", modelId=models["enabled"]["id"])
    make_agent(gw_member, "Loose", model="google/gemini-2.0-flash")
    res = gw_member.get("/api/agents")
    listed = res.json["data"]["items"]
    assert [a["name"] for a in listed] == ["Bound", "Loose"]
    relation = listed[0]["llmModel"]
    assert relation["id"] == models["enabled"]["id"]
    assert relation["provider"]["providerType"] == "openai"
    assert listed[1]["llmModel"] is None
    one = gw_member.get(f"/api/agents/{bound['id']}").json["data"]
    assert one["llmModel"]["displayName"] == "gpt-4o"


def test_patch_changes_and_detaches_model(gw_member, gw_admin, models, db):
    agent = make_agent(gw_member, "Mover", model="openai/gpt-4")
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"modelId": models["enabled"]["id"]})
    assert res.status_code == 200 and res.json["data"]["llmModel"]["providerModelId"] == "gpt-4o"
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"modelId": models["disabled"]["id"]})
    assert res.status_code == 400 and "modelId" in res.json["error"]["fields"]
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"soul": "New soul", "role": None})
    assert res.status_code == 200 and res.json["data"]["soul"] == "New soul"
    assert res.json["data"]["modelId"] == models["enabled"]["id"]  # still bound
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={"modelId": None,
                                                              "model": "anthropic/claude-3"})
    assert res.json["data"]["modelId"] is None and res.json["data"]["model"] == "anthropic/claude-3"
    assert "modelId" not in db.Agent.find_one({"_id": ObjectId(agent["id"])})
    res = gw_admin.patch(f"/api/agents/{agent['id']}", json={})
    assert res.status_code == 200


def test_delete_agent_removes_it_at_the_gateway(gw_member, gw_admin, talon, db):
    agent = make_agent(gw_member, "Short Lived", model="openai/gpt-4o")
    res = gw_admin.delete(f"/api/agents/{agent['id']}")
    assert res.status_code == 200
    assert res.json["data"]["talonSync"]["status"] == "synced"
    assert db.Agent.count_documents({}) == 0 and talon.sub_agents == {}
    assert gw_admin.delete(f"/api/agents/{agent['id']}").status_code == 404


@pytest.mark.parametrize("bad_id", ["nope", "0" * 23 + "g", str(ObjectId())])
@pytest.mark.parametrize(("method", "suffix"),
                         [("get", ""), ("patch", ""), ("delete", ""), ("post", "/sync")])
def test_unknown_or_malformed_agent_ids_are_404(gw_admin, bad_id, method, suffix):
    res = getattr(gw_admin, method)(f"/api/agents/{bad_id}{suffix}", json={"role": "x"})
    assert res.status_code == 404 and res.json["error"]["code"] == "not_found"


def test_agents_auth_matrix(gw_app, gw_anon, gw_member, gw_admin):
    agent = make_agent(gw_admin, "Guarded", model="openai/gpt-4o")
    url = f"/api/agents/{agent['id']}"
    routes = [("get", "/api/agents", None, "user"),
              ("post", "/api/agents", {"name": "New", "model": "openai/gpt-4o"}, "user"),
              ("get", url, None, "user"),
              ("patch", url, {"role": "x"}, "manager"),
              ("post", f"{url}/sync", None, "manager"),
              ("delete", url, None, "manager")]
    for method, path, body, who in routes:
        assert getattr(gw_anon, method)(path, json=body).status_code == 401, path
        code = getattr(gw_member, method)(path, json=body).status_code
        assert code == (403 if who == "manager" else (201 if method == "post" else 200)), path
        if method == "post" and who == "user":
            body = {"name": "New 2", "model": "openai/gpt-4o"}
        assert getattr(gw_admin, method)(path, json=body).status_code in (200, 201), path


def test_who_manages_agents_is_configurable(db, talon):
    app = gateway_app(db, talon, TASK_MASTER_LLM_CAN_MANAGE_AGENTS=lambda user: True)
    member = login(app, "member")
    agent = make_agent(member, "Mine", model="openai/gpt-4o")
    assert member.patch(f"/api/agents/{agent['id']}", json={"role": "r"}).status_code == 200
    assert member.post(f"/api/agents/{agent['id']}/sync").status_code == 200
    assert member.delete(f"/api/agents/{agent['id']}").status_code == 200


def test_agent_routes_can_be_turned_off(db):
    app = make_app(db, TASK_MASTER_LLM_AGENTS_API=False)
    admin = login(app, "admin")
    assert admin.get("/api/agents").status_code == 404
    assert "/api/agents" not in admin.get("/api/llm/openapi.json").json["paths"]


class TestHostHook:
    """The host's own agent code calls ``registry.agent_changed(...)``."""

    def test_created_updated_deleted(self, gw_app, db, talon, models):
        registry = gw_app.extensions["task_master_llm"]
        assert services_of(gw_app) is registry
        from task_master_llm import LlmRegistry

        hook = LlmRegistry()
        oid = db.Agent.insert_one({"name": "Host Made", "modelId": ObjectId(
            models["enabled"]["id"]), "soul": "Hi", "hostOnly": 1}).inserted_id
        state = hook.agent_created(oid, app=gw_app)
        assert state["status"] == "synced"
        doc = db.Agent.find_one({"_id": oid})
        assert doc["talonId"] == "host-made" and doc["talonSyncStatus"] == "synced"
        assert talon.agents["host-made"]["apiKey"]  # bound: the provider's key went out
        db.Agent.update_one({"_id": oid}, {"$set": {"soul": "Changed"}})
        with gw_app.app_context():
            assert hook.agent_updated(str(oid))["status"] == "synced"
        assert talon.agents["host-made"]["systemPrompt"] == "Changed"
        deleted = db.Agent.find_one_and_delete({"_id": oid})
        assert hook.agent_deleted(deleted, app=gw_app)["status"] == "synced"
        assert talon.sub_agents == {}
        assert db.Agent.find_one({"_id": oid}) is None
        with pytest.raises(ValueError):
            hook.agent_changed("renamed", oid, app=gw_app)
        events = list(db.LlmAuditEvent.find({"target.type": "agent"}).sort([("at", 1), ("_id", 1)]))
        assert [(e["action"], e["target"]["name"], e["details"]) for e in events] == [
            (f"agent.{what}", "Host Made", {"via": "host hook", "talonSync": "synced"})
            for what in ("created", "updated", "deleted")
        ]
        assert {e["actor"] for e in events} == {"system"}  # no request, no command


def test_concurrent_creates_have_unique_names_and_talon_ids(gw_app, db):
    from concurrent.futures import ThreadPoolExecutor

    def attempt(name):
        client = login(gw_app, "member")
        return client.post("/api/agents", json={"name": name, "model": "openai/gpt-4o"})

    # "Race Bot", "race bot" and "race  bot" are one name (case and spacing do not count)
    names = ["Race Bot", "race bot", "RACE-BOT", "Race_Bot", "race  bot"] * 2
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(r.status_code for r in pool.map(attempt, names))
    assert codes == [201] * 3 + [409] * 7
    ids = [d["talonId"] for d in db.Agent.find({})]
    assert len(ids) == len(set(ids)) == 3


# --- an agent created while its model's provider (or the model) is being deleted -------

def _race_app(db, remove):
    """An app whose agent insert first lets ``remove(state, pid, mid)`` run: the delete
    lands between the agent's model check and its insert."""
    app = make_app(db)
    admin = app.test_client()
    admin.post("/test-login/admin")
    pid = admin.post("/api/llm/providers", json={
        "name": "local", "providerType": "ollama", "baseUrl": "http://127.0.0.1:9"}).json["data"]["id"]
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [
        {"providerModelId": "llama3", "displayName": "Llama 3"}]})
    mid = res.json["data"]["models"][0]["id"]
    state = app.extensions["task_master_llm"]
    real_insert = state.stores.agents.insert

    def insert(doc):
        with app.test_request_context():
            remove(state, pid, mid)
        return real_insert(doc)

    state.stores.agents.insert = insert
    return admin, state, mid


def _provider_delete(state, pid, mid):
    state.providers.delete(pid)


def _model_force_delete(state, pid, mid):
    state.models.delete(mid, force=True)


@pytest.mark.parametrize("remove", [_provider_delete, _model_force_delete])
def test_agent_created_during_a_delete_is_not_left_bound_to_a_missing_model(db, remove) -> None:
    admin, state, mid = _race_app(db, remove)
    res = admin.post("/api/agents", json={"name": "racer", "modelId": mid})
    assert res.status_code in (201, 400), res.json
    for agent in state.stores.agents.all():
        if agent.get("modelId") is not None:
            assert state.stores.models.find(agent["modelId"]) is not None, "dangling modelId"
    if res.status_code == 201:
        assert res.json["data"]["modelId"] is None
        assert res.json["data"]["model"] == "ollama/llama3"  # kept, like a detached agent


def test_agents_list_is_paginated_by_name(admin, db):
    """GET /api/agents pages like the models list: limit (default 100, at most 500),
    offset, hasMore from reading one more, total only when the page reaches the end."""
    db.Agent.insert_many([{"name": f"a{i:03d}", "model": "openai/gpt-4o"} for i in range(7)])
    first = admin.get("/api/agents?limit=3").json["data"]
    assert [a["name"] for a in first["items"]] == ["a000", "a001", "a002"]
    assert first["hasMore"] is True and first["total"] is None
    assert (first["limit"], first["offset"]) == (3, 0)
    last = admin.get("/api/agents?limit=3&offset=6").json["data"]
    assert [a["name"] for a in last["items"]] == ["a006"]
    assert last["hasMore"] is False and last["total"] == 7
    whole = admin.get("/api/agents").json["data"]
    assert len(whole["items"]) == 7 and whole["limit"] == 100 and whole["total"] == 7
    for bad in ("limit=0", "limit=501", "offset=-1", "limit=x"):
        res = admin.get(f"/api/agents?{bad}")
        assert res.status_code == 400, bad
        assert bad.split("=")[0] in res.json["error"]["fields"]
