"""Model registry routes: list with filters, register (upsert), edit, delete, auth."""

from __future__ import annotations

import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring

from task_master_llm.store import ModelStore
from tests.support import CANARY_KEY, bodies, login, make_agent, make_app, make_provider, register


def listed(client, **params):
    res = client.get("/api/llm/models", query_string=params)
    assert res.status_code == 200, res.json
    return res.json["data"]


class TestPrdCriterion3RegistryListing:
    """PRD 3: registered models are listed, and can be enabled and disabled."""

    def test_registered_models_listed_with_enable_disable(self, admin, member):
        provider = make_provider(admin)
        models = register(admin, provider["id"], "gpt-4o", "gpt-4o-mini", "o3",
                          contextWindow=128000, modality=["text", "vision"])
        assert [m["enabled"] for m in models] == [True, True, True]
        page = listed(member)
        assert page["total"] == 3 and len(page["items"]) == 3
        item = page["items"][0]
        assert item["provider"] == {
            "id": provider["id"], "name": provider["name"], "providerType": "openai",
            "status": "unknown",
        }
        assert item["contextWindow"] == 128000 and item["modality"] == ["text", "vision"]
        mini = next(m for m in models if m["providerModelId"] == "gpt-4o-mini")
        res = admin.patch(f"/api/llm/models/{mini['id']}", json={"enabled": False})
        assert res.status_code == 200 and res.json["data"]["enabled"] is False
        enabled = listed(member, enabled="true")
        assert {m["providerModelId"] for m in enabled["items"]} == {"gpt-4o", "o3"}
        assert [m["providerModelId"] for m in listed(member, enabled="false")["items"]] == [
            "gpt-4o-mini"
        ]
        res = admin.patch(f"/api/llm/models/{mini['id']}", json={"enabled": True})
        assert listed(member, enabled="true")["total"] == 3

    def test_listing_never_carries_key_material(self, admin, member):
        provider = make_provider(admin)
        register(admin, provider["id"], "gpt-4o")
        res = member.get("/api/llm/models")
        text = res.get_data(as_text=True)
        assert CANARY_KEY not in text and CANARY_KEY[-4:] not in text
        for word in ("encryptedApiKey", "apiKeyNonce", "apiKeyTag", "hasApiKey"):
            assert word not in text


def test_filters_and_pagination(admin, member):
    one = make_provider(admin, name="one")
    two = make_provider(admin, "anthropic", name="two")
    register(admin, one["id"], *[f"gpt-{i}" for i in range(5)])
    register(admin, two["id"], "claude-sonnet", "claude-haiku", displayName=None)
    assert listed(member)["total"] == 7
    assert listed(member, providerId=two["id"])["total"] == 2
    assert listed(member, q="CLAUDE")["total"] == 2
    assert listed(member, q="gpt-3")["items"][0]["providerModelId"] == "gpt-3"
    assert listed(member, q=".*")["total"] == 0  # text, not a regex
    page = listed(member, limit=3, offset=3)
    # a middle page: more follow, and the total is not counted unless asked for
    assert page["total"] is None and page["hasMore"] is True
    assert page["limit"] == 3 and page["offset"] == 3 and len(page["items"]) == 3
    assert listed(member, limit=3, offset=3, count="true")["total"] == 7
    last = listed(member, limit=3, offset=6)  # the end: the total is known for free
    assert last["total"] == 7 and last["hasMore"] is False and len(last["items"]) == 1
    assert listed(member, limit=7)["hasMore"] is False
    assert listed(member, limit=6) == {**listed(member, limit=6), "hasMore": True,
                                       "total": None}
    everything = [m["id"] for m in listed(member, limit=100)["items"]]
    pages = [m["id"] for off in (0, 3, 6) for m in listed(member, limit=3, offset=off)["items"]]
    assert pages == everything


def test_a_provider_being_deleted_hides_its_models_on_every_page(admin, member, db):
    """The first page learns which providers are being deleted from the summaries it
    reads anyway; a page with such a model, a later page, one provider's page and a count
    read the deleting providers first (issue 13). No page ever shows such a model, and
    pages, totals and hasMore add up as if the models were gone."""
    kept = make_provider(admin, name="kept")
    going = make_provider(admin, "anthropic", name="going")
    # interleaved by name: a0, b0, a1, b1, ... so every page has models of both
    register(admin, kept["id"], *[f"m{i:02d}a" for i in range(6)])
    register(admin, going["id"], *[f"m{i:02d}b" for i in range(6)])
    everything = [m["providerModelId"] for m in listed(member, limit=100)["items"]]
    assert len(everything) == 12
    db.LlmProvider.update_one({"_id": ObjectId(going["id"])}, {"$set": {"deleting": True}})
    visible = [f"m{i:02d}a" for i in range(6)]
    for client in (admin, member):
        first = listed(client, limit=4)
        assert [m["providerModelId"] for m in first["items"]] == visible[:4]
        assert first["hasMore"] is True and first["total"] is None
        pages = [m["providerModelId"] for off in (0, 4)
                 for m in listed(client, limit=4, offset=off)["items"]]
        assert pages == visible
        last = listed(client, limit=4, offset=4)
        assert last["hasMore"] is False and last["total"] == 6
        assert listed(client, limit=100)["total"] == 6
        assert listed(client, limit=2, count="true")["total"] == 6
        assert listed(client, limit=2, offset=2, count="true")["total"] == 6
        assert listed(client, q="b")["items"] == []
        assert listed(client, enabled="true", limit=3)["items"][0]["providerModelId"] == "m00a"
        alone = listed(client, providerId=going["id"], count="true")
        assert alone == {"items": [], "hasMore": False, "total": 0, "limit": 50, "offset": 0}
        assert listed(client, providerId=going["id"], offset=3)["items"] == []
        assert listed(client, providerId=kept["id"])["total"] == 6
    db.LlmProvider.update_one({"_id": ObjectId(going["id"])}, {"$unset": {"deleting": ""}})
    assert [m["providerModelId"] for m in listed(member, limit=100)["items"]] == everything


def test_a_first_page_of_only_hidden_models_is_refilled(admin, member, db):
    """The first page read held nothing but a deleting provider's models: the page is read
    again without them, and it is full. A later page skips as if they were gone, also when
    its own rows hold none of them."""
    going = make_provider(admin, name="going")
    kept = make_provider(admin, "anthropic", name="kept")
    register(admin, going["id"], *[f"a{i}" for i in range(5)])
    register(admin, kept["id"], *[f"b{i}" for i in range(8)])
    db.LlmProvider.update_one({"_id": ObjectId(going["id"])}, {"$set": {"deleting": True}})
    page = listed(member, limit=3)
    assert [m["providerModelId"] for m in page["items"]] == ["b0", "b1", "b2"]
    assert {m["provider"]["name"] for m in page["items"]} == {"kept"}
    assert page["hasMore"] is True
    assert listed(member, limit=8) == {**listed(member, limit=8), "hasMore": False, "total": 8}
    # rows 5-7 of every model are b0-b2: the page must be rows 5-7 of the visible ones
    later = listed(member, limit=3, offset=5)
    assert [m["providerModelId"] for m in later["items"]] == ["b5", "b6", "b7"]
    assert later["hasMore"] is False and later["total"] == 8


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"), ({"offset": "-1"}, "offset"),
     ({"providerId": "nope"}, "providerId"), ({"enabled": "maybe"}, "enabled")],
)
def test_bad_list_parameters_are_400(member, params, field):
    res = member.get("/api/llm/models", query_string=params)
    assert res.status_code == 400 and field in res.json["error"]["fields"]


def test_listing_is_a_fixed_number_of_queries(db, mongo_uri):
    """No N+1: the provider summaries come in one query however many models there are."""

    class Finds(monitoring.CommandListener):
        def __init__(self):
            self.collections = []

        def started(self, event):
            if event.command_name in ("find", "aggregate"):
                self.collections.append(event.command.get(event.command_name))

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    listener = Finds()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener])
    try:
        app = make_app(client[db.name])
        admin = login(app, "admin")
        for n in range(4):
            provider = make_provider(admin, name=f"p{n}")
            register(admin, provider["id"], f"m{n}a", f"m{n}b")
        listener.collections.clear()
        assert listed(admin)["total"] == 8
        # the summaries (which say whether a provider is being deleted); a count + the page
        assert listener.collections.count("LlmProvider") == 1
        assert listener.collections.count("LlmModel") <= 2
        # every model's agentCount at once: primary and fallback users, one query each
        assert listener.collections.count("Agent") == 2
    finally:
        client.close()


def test_reregistering_keeps_enabled_and_admin_edits(admin, db):
    provider = make_provider(admin)
    pid = provider["id"]
    [model] = register(admin, pid, "gpt-4o", displayName="GPT-4o", contextWindow=8000,
                       inputCostPer1k=0.005, meta={"sources": {"contextWindow": "models.dev"}})
    assert model["meta"]["sources"]["contextWindow"] == "models.dev"
    first_sync = model["lastSyncedAt"]
    res = admin.patch(f"/api/llm/models/{model['id']}",
                      json={"displayName": "Our GPT", "enabled": False})
    assert res.json["data"]["meta"]["sources"]["displayName"] == "admin"
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [
        {"providerModelId": "gpt-4o", "displayName": "GPT-4o (new)", "contextWindow": 128000,
         "inputCostPer1k": 0.0025, "enabled": True},
        {"providerModelId": "gpt-4.1"},
    ]})
    assert res.status_code == 201
    assert res.json["data"]["created"] == 1 and res.json["data"]["updated"] == 1
    again = res.json["data"]["models"][0]
    assert again["id"] == model["id"]
    assert again["displayName"] == "Our GPT"  # admin-owned
    assert again["enabled"] is False  # an admin's choice, never reset by discovery
    assert again["contextWindow"] == 128000 and again["inputCostPer1k"] == 0.0025
    assert again["meta"]["sources"]["contextWindow"] == "provider"
    assert again["lastSyncedAt"] >= first_sync
    new = res.json["data"]["models"][1]
    assert new["displayName"] == "gpt-4.1" and new["modality"] == ["text"]
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [
        {"providerModelId": "gpt-4o"}]})
    assert res.status_code == 200
    assert (res.json["data"]["created"], res.json["data"]["updated"]) == (0, 1)
    assert db.LlmModel.count_documents({}) == 2


def test_register_accepts_discovery_items_unchanged(admin):
    pid = make_provider(admin)["id"]
    item = {"providerModelId": "gpt-4o", "displayName": "GPT-4o", "modality": ["text"],
            "contextWindow": None, "inputCostPer1k": None, "outputCostPer1k": None,
            "meta": {"sources": {"displayName": "provider"}}, "registered": False,
            "modelId": None, "detailsMissing": True, "note": "Listed without its details"}
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [item]})
    assert res.status_code == 201, res.json


@pytest.mark.parametrize(
    ("entry", "field"),
    [({"providerModelId": "x", "contextWindow": "big"}, "contextWindow"),
     ({"providerModelId": "x", "contextWindow": 1.5}, "contextWindow"),
     ({"providerModelId": "x", "inputCostPer1k": -1}, "inputCostPer1k"),
     ({"providerModelId": "x", "modality": ["Text!"]}, "modality"),
     ({"providerModelId": ""}, "providerModelId"),
     ({"displayName": "no id"}, "providerModelId"),
     ({"providerModelId": "x", "colour": "red"}, "colour"),
     ({"providerModelId": "gpt-a"}, "providerModelId")],  # duplicate of entry 0
)
def test_invalid_entries_are_400_naming_index_and_field(admin, db, entry, field):
    pid = make_provider(admin)["id"]
    models = [{"providerModelId": "gpt-a"}, {"providerModelId": "gpt-b"}, entry]
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": models})
    assert res.status_code == 400, res.json
    assert field in res.json["error"]["fields"]["models"]["2"], res.json
    assert f"models[2].{field}" in res.json["error"]["message"]
    assert db.LlmModel.count_documents({}) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [({"models": [{"providerModelId": "x"}]}, "providerId"),
     ({"providerId": "nope", "models": [{"providerModelId": "x"}]}, "providerId"),
     ({"providerId": "0" * 24, "models": []}, "models"),
     ({"providerId": "0" * 24}, "models")],
)
def test_register_body_errors(admin, body, field):
    res = admin.post("/api/llm/models", json=body)
    assert res.status_code == 400 and field in res.json["error"]["fields"]


def test_register_unknown_provider_is_404(admin):
    res = admin.post("/api/llm/models", json={"providerId": str(ObjectId()),
                                              "models": [{"providerModelId": "x"}]})
    assert res.status_code == 404


def test_patch_model_fields_and_errors(admin):
    pid = make_provider(admin)["id"]
    [model] = register(admin, pid, "gpt-4o")
    res = admin.patch(f"/api/llm/models/{model['id']}", json={
        "contextWindow": 64000, "inputCostPer1k": 0.1, "outputCostPer1k": 0.2,
        "modality": ["text", "tools"], "displayName": " Mine "})
    data = res.json["data"]
    assert res.status_code == 200 and data["displayName"] == "Mine"
    assert data["modality"] == ["text", "tools"] and data["contextWindow"] == 64000
    assert set(data["meta"]["sources"].values()) == {"admin"}
    for body, field in [({"contextWindow": 0}, "contextWindow"), ({"enabled": "yes"}, "enabled"),
                        ({"providerModelId": "other"}, "providerModelId"),
                        ({"displayName": ""}, "displayName")]:
        res = admin.patch(f"/api/llm/models/{model['id']}", json=body)
        assert res.status_code == 400 and field in res.json["error"]["fields"], body
    res = admin.patch(f"/api/llm/models/{model['id']}", data="x")
    assert res.status_code == 415


@pytest.mark.parametrize("bad_id", ["nope", "0" * 23 + "g", str(ObjectId())])
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_or_malformed_model_ids_are_404(admin, bad_id, method):
    res = getattr(admin, method)(f"/api/llm/models/{bad_id}", json={"enabled": True})
    assert res.status_code == 404 and res.json["error"]["code"] == "not_found"


def test_delete_unused_model(admin, member):
    pid = make_provider(admin)["id"]
    [model] = register(admin, pid, "gpt-4o")
    res = admin.delete(f"/api/llm/models/{model['id']}")
    assert res.status_code == 200
    assert res.json["data"] == {"id": model["id"], "detachedAgents": []}
    assert listed(member)["total"] == 0


def test_delete_model_in_use_is_409_unless_forced(gw_admin, gw_member, talon, db):
    pid = make_provider(gw_admin)["id"]
    [model] = register(gw_admin, pid, "gpt-4o")
    agent = make_agent(gw_member, "Writer", modelId=model["id"], soul="Write well.")
    res = gw_admin.delete(f"/api/llm/models/{model['id']}")
    assert res.status_code == 409
    assert res.json["error"]["fields"]["agents"] == [{"id": agent["id"], "name": "Writer"}]
    assert "Writer" in res.json["error"]["message"]
    res = gw_admin.delete(f"/api/llm/models/{model['id']}", query_string={"force": "maybe"})
    assert res.status_code == 400
    talon.clear_requests()
    res = gw_admin.delete(f"/api/llm/models/{model['id']}", query_string={"force": "true"})
    assert res.status_code == 200
    assert res.json["data"]["detachedAgents"] == [{"id": agent["id"], "name": "Writer"}]
    stored = db.Agent.find_one({"_id": ObjectId(agent["id"])})
    assert "modelId" not in stored and stored["model"] == "openai/gpt-4o"
    assert stored["talonSyncStatus"] == "synced"
    [put] = bodies(talon, "PUT")
    assert put["model"] == "openai/gpt-4o" and put["apiKey"] == "" and put["baseUrl"] == ""
    assert talon.agents[agent["talonId"]]["systemPrompt"] == "Write well."
    assert db.LlmModel.count_documents({}) == 0


def test_models_auth_matrix(app, anon, member, admin):
    pid = make_provider(admin)["id"]
    [model] = register(admin, pid, "gpt-4o")
    routes = [("get", "/api/llm/models", None, "user"),
              ("post", "/api/llm/models",
               {"providerId": pid, "models": [{"providerModelId": "x"}]}, "admin"),
              ("patch", f"/api/llm/models/{model['id']}", {"enabled": True}, "admin"),
              ("delete", f"/api/llm/models/{model['id']}", None, "admin")]
    for method, url, body, who in routes:
        assert getattr(anon, method)(url, json=body).status_code == 401, url
        code = getattr(member, method)(url, json=body).status_code
        assert code == (403 if who == "admin" else 200), (method, url)
        assert getattr(admin, method)(url, json=body).status_code in (200, 201), (method, url)



def test_models_registered_while_their_provider_is_deleted_leave_no_orphans(
    admin, db, monkeypatch
) -> None:
    """The provider goes between the registration's check and its bulk write."""
    res = admin.post("/api/llm/providers", json={"name": "gone", "providerType": "ollama"})
    pid = res.json["data"]["id"]
    original = ModelStore.bulk_upsert

    def delete_first(self, operations, upserts):
        assert admin.delete(f"/api/llm/providers/{pid}").status_code == 200
        return original(self, operations, upserts)

    monkeypatch.setattr(ModelStore, "bulk_upsert", delete_first)
    res = admin.post(
        "/api/llm/models",
        json={"providerId": pid, "models": [{"providerModelId": "m", "displayName": "M"}]},
    )
    assert res.status_code == 404
    assert db.LlmModel.count_documents({"providerId": ObjectId(pid)}) == 0


def test_registration_racing_another_one_returns_the_winners_document(admin, db, monkeypatch):
    """New models are inserted (not upserted); one that another registration made between
    the read and the write is upserted onto that document, which is what is returned."""
    pid = make_provider(admin)["id"]
    original = ModelStore.bulk_upsert
    winner = ObjectId()

    def other_writer_first(self, operations, upserts):
        db.LlmModel.insert_one({"_id": winner, "providerId": ObjectId(pid),
                                "providerModelId": "m2", "displayName": "theirs",
                                "enabled": False})
        return original(self, operations, upserts)

    monkeypatch.setattr(ModelStore, "bulk_upsert", other_writer_first)
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [
        {"providerModelId": m, "displayName": m.upper()} for m in ("m1", "m2", "m3")]})
    data = res.json["data"]
    assert res.status_code == 201 and (data["created"], data["updated"]) == (2, 1)
    assert [m["providerModelId"] for m in data["models"]] == ["m1", "m2", "m3"]
    raced = data["models"][1]
    assert raced["id"] == str(winner) and raced["displayName"] == "M2"
    assert raced["enabled"] is False  # the winner's choice stays (re-registering keeps it)
    stored = {d["providerModelId"]: d for d in db.LlmModel.find({"providerId": ObjectId(pid)})}
    assert len(stored) == 3 and stored["m2"]["_id"] == winner
    for model in data["models"]:
        assert model["id"] == str(stored[model["providerModelId"]]["_id"])


def test_a_first_page_says_no_more_when_only_hidden_models_follow(admin, member, db):
    """The first page holds no model of the provider being deleted, but its models sort
    after the page: hasMore and a counted total must not count them (they never show)."""
    kept = make_provider(admin, name="kept")
    going = make_provider(admin, "anthropic", name="going")
    register(admin, kept["id"], *[f"a{i}" for i in range(4)])
    register(admin, going["id"], "z0", "z1")
    db.LlmProvider.update_one({"_id": ObjectId(going["id"])}, {"$set": {"deleting": True}})
    page = listed(member, limit=4)
    assert [m["providerModelId"] for m in page["items"]] == ["a0", "a1", "a2", "a3"]
    assert page["hasMore"] is False and page["total"] == 4
    counted = listed(member, limit=2, count="true")
    assert counted["hasMore"] is True and counted["total"] == 4
    assert listed(member, limit=4, offset=4)["items"] == []


def test_registration_racing_a_model_delete_returns_the_model_it_created_anew(
        admin, db, monkeypatch):
    """A registered model is deleted between the registration's read and its write: the
    upsert creates it anew (a new id), and that is what the response and the audit name,
    not the deleted one."""
    pid = make_provider(admin)["id"]
    [old, _] = register(admin, pid, "m1", "m2")
    original = ModelStore.bulk_upsert

    def deleted_first(self, operations, upserts):
        assert admin.delete(f"/api/llm/models/{old['id']}").status_code == 200
        return original(self, operations, upserts)

    monkeypatch.setattr(ModelStore, "bulk_upsert", deleted_first)
    res = admin.post("/api/llm/models", json={"providerId": pid, "models": [
        {"providerModelId": "m1"}, {"providerModelId": "m2"}]})
    data = res.json["data"]
    assert res.status_code == 201 and (data["created"], data["updated"]) == (1, 1), data
    stored = {str(d["_id"]) for d in db.LlmModel.find({"providerId": ObjectId(pid)})}
    assert {m["id"] for m in data["models"]} == stored and old["id"] not in stored
    [event] = db.LlmAuditEvent.find({"action": "model.registered", "details.new": True,
                                     "details.models": 1})
    assert [t["id"] for t in event["targets"][1:]] == [data["models"][0]["id"]]
