"""Each provider stores its model count (issue 13: the providers list reads no model).

The registry's writes keep the count (``$inc``); a count left wrong by a crash between a
write and its ``$inc``, or by other code writing models, is corrected when that provider is
read alone and at start-up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bson import ObjectId
from flask.testing import FlaskClient
from pymongo.database import Database

from tests.support import login, make_agent, make_app, make_provider, register


def _listed(admin: FlaskClient) -> dict[str, int]:
    res = admin.get("/api/llm/providers")
    assert res.status_code == 200, res.json
    return {p["name"]: p["modelCount"] for p in res.json["data"]}


def _stored(db: Database, provider_id: str) -> Any:
    doc = db.LlmProvider.find_one({"_id": ObjectId(provider_id)})
    assert doc is not None
    return doc.get("modelCount")


def test_registering_and_deleting_models_keep_the_count(admin: FlaskClient, db: Database) -> None:
    a = make_provider(admin, name="A")
    b = make_provider(admin, "anthropic", name="B")
    assert _listed(admin) == {"A": 0, "B": 0}
    models = register(admin, a["id"], "m1", "m2", "m3")
    register(admin, b["id"], "c1")
    assert _listed(admin) == {"A": 3, "B": 1}
    register(admin, a["id"], "m1", "m2", "m4")  # two refreshed, one new
    assert _listed(admin) == {"A": 4, "B": 1}
    assert admin.delete(f"/api/llm/models/{models[0]['id']}").status_code == 200
    assert admin.delete(f"/api/llm/models/{models[0]['id']}").status_code == 404  # not twice
    assert _listed(admin) == {"A": 3, "B": 1}
    counted = db.LlmModel.count_documents({"providerId": ObjectId(a["id"])})
    assert _stored(db, a["id"]) == 3 == counted


def test_concurrent_registrations_add_up(admin: FlaskClient, db: Database) -> None:
    provider = make_provider(admin)

    def one(batch: int) -> None:  # overlapping batches: some models two writers create
        ids = [f"m{i}" for i in range(batch * 5, batch * 5 + 10)]
        register(admin, provider["id"], *ids)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, range(6)))
    total = db.LlmModel.count_documents({"providerId": ObjectId(provider["id"])})
    assert total == 35
    assert _listed(admin) == {"openai main": 35}


def test_a_wrong_count_is_corrected_by_reading_the_provider(admin: FlaskClient,
                                                            db: Database) -> None:
    provider = make_provider(admin)
    register(admin, provider["id"], "m1", "m2")
    # other code writes a model; a crash left another provider's count behind
    db.LlmModel.insert_one({"providerId": ObjectId(provider["id"]), "providerModelId": "x"})
    assert _listed(admin) == {"openai main": 2}  # the list reads the stored count
    assert admin.get(f"/api/llm/providers/{provider['id']}").json["data"]["modelCount"] == 3
    assert _stored(db, provider["id"]) == 3
    assert _listed(admin) == {"openai main": 3}


def test_start_up_recounts_every_provider(db: Database) -> None:
    admin = login(make_app(db), "admin")
    a = make_provider(admin, name="A")
    b = make_provider(admin, "anthropic", name="B")
    register(admin, a["id"], "m1", "m2")
    db.LlmModel.insert_many([{"providerId": ObjectId(b["id"]), "providerModelId": f"x{i}"}
                             for i in range(4)])
    db.LlmModel.delete_many({"providerId": ObjectId(a["id"]), "providerModelId": "m1"})
    db.LlmProvider.insert_one({"name": "C", "providerType": "openai", "status": "unknown"})
    assert _listed(admin) == {"A": 2, "B": 0, "C": 0}
    restarted = login(make_app(db), "admin")
    assert _listed(restarted) == {"A": 1, "B": 4, "C": 0}
    assert _stored(db, a["id"]) == 1 and _stored(db, b["id"]) == 4


def test_a_provider_without_a_stored_count_is_counted(admin: FlaskClient, db: Database) -> None:
    # written after start-up by code that does not know the field (the JavaScript app)
    pid = db.LlmProvider.insert_one(
        {"name": "legacy", "providerType": "ollama", "baseUrl": "http://127.0.0.1:11434",
         "status": "unknown"}).inserted_id
    db.LlmModel.insert_many([{"providerId": pid, "providerModelId": f"x{i}"} for i in range(3)])
    assert _listed(admin) == {"legacy": 3}
    assert _stored(db, str(pid)) == 3  # counted once, then read like the others
    res = admin.patch(f"/api/llm/providers/{pid}", json={"name": "legacy 2"})
    assert res.status_code == 200 and res.json["data"]["modelCount"] == 3


def test_a_registration_answers_each_models_agent_count(admin: FlaskClient) -> None:
    provider = make_provider(admin)
    [used, spare] = register(admin, provider["id"], "m1", "m2")
    assert (used["agentCount"], spare["agentCount"]) == (0, 0)
    make_agent(admin, "One", modelId=used["id"])
    make_agent(admin, "Two", modelId=spare["id"], fallbackModelIds=[used["id"]])
    again = register(admin, provider["id"], "m1", "m2", "m3")  # two refreshed, one new
    assert [m["agentCount"] for m in again] == [2, 1, 0]


def test_check_providers_recounts_them(admin: FlaskClient, app: Any, db: Database) -> None:
    provider = make_provider(admin, "ollama", baseUrl="http://127.0.0.1:9")  # nothing listens
    db.LlmModel.insert_many([{"providerId": ObjectId(provider["id"]), "providerModelId": f"x{i}"}
                             for i in range(2)])
    assert _listed(admin) == {"ollama main": 0}
    res = app.test_cli_runner().invoke(args=["llm", "check-providers"])
    assert res.exit_code == 1, res.output  # the check failed; the count is corrected anyway
    assert "model counts corrected: 1 provider(s)" in res.output
    assert _listed(admin) == {"ollama main": 2}
    again = app.test_cli_runner().invoke(args=["llm", "check-providers"])
    assert "model counts corrected" not in again.output


def test_a_registration_on_a_provider_without_a_stored_count_counts_all_its_models(
        admin: FlaskClient, db: Database) -> None:
    # other code wrote the provider (no count) and its models; a registration comes first
    pid = db.LlmProvider.insert_one(
        {"name": "legacy", "providerType": "openai", "status": "unknown"}).inserted_id
    db.LlmModel.insert_many([{"providerId": pid, "providerModelId": f"x{i}"} for i in range(3)])
    register(admin, str(pid), "new-one")
    assert _listed(admin) == {"legacy": 4}
    assert _stored(db, str(pid)) == 4


def test_a_registration_on_a_provider_with_an_odd_stored_count_is_no_500(
        admin: FlaskClient, db: Database) -> None:
    for name, odd in (("null", None), ("text", "2"), ("flag", True), ("minus", -5)):
        pid = db.LlmProvider.insert_one({"name": name, "providerType": "openai",
                                         "status": "unknown", "modelCount": odd}).inserted_id
        db.LlmModel.insert_one({"providerId": pid, "providerModelId": "old"})
        register(admin, str(pid), "new-one")
        assert _stored(db, str(pid)) == 2, name
    assert _listed(admin) == {"flag": 2, "minus": 2, "null": 2, "text": 2}


def test_odd_stored_counts_are_not_listed(admin: FlaskClient, db: Database) -> None:
    for name, odd in (("flag", True), ("minus", -5)):
        pid = db.LlmProvider.insert_one({"name": name, "providerType": "openai",
                                         "status": "unknown", "modelCount": odd}).inserted_id
        db.LlmModel.insert_many([{"providerId": pid, "providerModelId": f"x{i}"}
                                 for i in range(3)])
    assert _listed(admin) == {"flag": 3, "minus": 3}


def test_deleting_a_model_without_a_provider_is_no_500(admin: FlaskClient, db: Database) -> None:
    mid = db.LlmModel.insert_one({"providerModelId": "orphan", "displayName": "orphan"}).inserted_id
    res = admin.delete(f"/api/llm/models/{mid}")
    assert res.status_code == 200, res.json
    assert db.LlmModel.count_documents({"_id": mid}) == 0


def test_a_model_another_writer_created_first_is_counted_once_and_audited_as_refreshed(
        admin: FlaskClient, app: Any, db: Database, monkeypatch: Any) -> None:
    provider = make_provider(admin)
    pid = ObjectId(provider["id"])
    store = app.extensions["task_master_llm"].models.store
    real = store.by_provider_model_ids

    def read_then_race(provider_id: Any, ids: list[str]) -> Any:
        found = real(provider_id, ids)
        if "raced" not in found:  # another registration creates it right after our read
            other = login(make_app(db), "admin")
            register(other, provider["id"], "raced")
        return found

    monkeypatch.setattr(store, "by_provider_model_ids", read_then_race)
    res = admin.post("/api/llm/models", json={"providerId": provider["id"], "models": [
        {"providerModelId": "raced"}, {"providerModelId": "fresh"}]})
    assert res.status_code == 201, res.json
    assert (res.json["data"]["created"], res.json["data"]["updated"]) == (1, 1)
    assert _listed(admin) == {"openai main": 2} and _stored(db, provider["id"]) == 2
    assert db.LlmModel.count_documents({"providerId": pid}) == 2
    events = sorted((sorted(t["name"] for t in e["targets"][1:]), e["details"]["new"])
                    for e in db.LlmAuditEvent.find({"action": "model.registered"}))
    # "raced" was created once, by the other writer; this registration refreshed it
    assert events == [(["fresh"], True), (["raced"], False), (["raced"], True)]


def test_a_recount_during_a_registration_counts_its_models_once(
        admin: FlaskClient, app: Any, db: Database, monkeypatch: Any) -> None:
    """A read of the provider (which recounts) between the registration's write and its
    ``$inc`` must not store a count that the ``$inc`` then adds to again."""
    services = app.extensions["task_master_llm"]
    provider = make_provider(admin)
    register(admin, provider["id"], "m0")
    store = services.stores.models
    original = store.bulk_upsert
    seen: list[int] = []

    def write_then_recount(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        seen.append(services.providers.get(provider["id"])["modelCount"])  # exact: 3
        services.providers.recount_models()  # what another worker's start-up does
        return out

    monkeypatch.setattr(store, "bulk_upsert", write_then_recount)
    register(admin, provider["id"], "m1", "m2")
    assert seen == [3]
    assert _stored(db, provider["id"]) == 3
    assert _listed(admin) == {"openai main": 3}
    doc = db.LlmProvider.find_one({"_id": ObjectId(provider["id"])})
    assert doc["modelWrites"] == 0  # the mark ended


def test_a_recount_during_a_model_delete_counts_it_once(
        admin: FlaskClient, app: Any, db: Database, monkeypatch: Any) -> None:
    services = app.extensions["task_master_llm"]
    provider = make_provider(admin)
    models = register(admin, provider["id"], "m1", "m2", "m3")
    store = services.stores.models
    original = store.remove

    def remove_then_recount(model_id: Any) -> bool:
        out = original(model_id)
        services.providers.get(provider["id"])
        services.providers.recount_models()
        return out

    monkeypatch.setattr(store, "remove", remove_then_recount)
    assert admin.delete(f"/api/llm/models/{models[0]['id']}").status_code == 200
    assert _stored(db, provider["id"]) == 2 and _listed(admin) == {"openai main": 2}


def test_a_failed_registration_ends_its_mark(admin: FlaskClient, app: Any, db: Database,
                                             monkeypatch: Any) -> None:
    services = app.extensions["task_master_llm"]
    provider = make_provider(admin)

    def connection_lost(*args: Any, **kwargs: Any) -> Any:
        from pymongo.errors import AutoReconnect

        raise AutoReconnect("connection lost during the write")

    monkeypatch.setattr(services.stores.models, "bulk_upsert", connection_lost)
    res = admin.post("/api/llm/models", json={"providerId": provider["id"],
                                              "models": [{"providerModelId": "m1"}]})
    assert res.status_code == 503 and res.json["error"]["code"] == "database_unavailable"
    doc = db.LlmProvider.find_one({"_id": ObjectId(provider["id"])})
    assert doc["modelWrites"] == 0


def test_a_crashed_writers_mark_goes_stale(admin: FlaskClient, app: Any, db: Database) -> None:
    from datetime import timedelta

    from task_master_llm.store import utcnow

    services = app.extensions["task_master_llm"]
    provider = make_provider(admin)
    register(admin, provider["id"], "m1", "m2")
    oid = ObjectId(provider["id"])
    # a registration began a minute ago and has not ended: its count is left alone
    db.LlmProvider.update_one({"_id": oid}, {"$set": {
        "modelWrites": 1, "modelWritesAt": utcnow() - timedelta(minutes=1), "modelCount": 7}})
    assert services.providers.recount_models() == 0
    assert admin.get(f"/api/llm/providers/{oid}").json["data"]["modelCount"] == 2  # exact
    assert _stored(db, provider["id"]) == 7
    # one that began an hour ago crashed: the recount corrects the count and ends its mark
    db.LlmProvider.update_one({"_id": oid}, {"$set": {
        "modelWritesAt": utcnow() - timedelta(hours=1)}})
    assert services.providers.recount_models() == 1
    doc = db.LlmProvider.find_one({"_id": oid})
    assert (doc["modelCount"], doc["modelWrites"]) == (2, 0)
