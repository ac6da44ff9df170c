"""The audit log through the HTTP API and the commands: every audited action leaves an event
with who, what, which record and how it went; admins read them (paginated, filtered),
members cannot; a key appears only as a fingerprint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from standins.providers import SERVER_CLASSES
from task_master_llm.core.audit import ACTIONS
from tests.support import (
    CANARY_KEY,
    TEST_KEY,
    gateway_app,
    login,
    make_agent,
    make_app,
    make_provider,
    register,
)

NEW_KEY = "sk-NEWKEY-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def events(client, **params) -> list[dict]:
    """Every event (newest first) matching ``params``, through the API."""
    res = client.get("/api/llm/audit", query_string={"limit": 500, **params})
    assert res.status_code == 200, res.json
    return res.json["data"]["items"]


def by_action(items: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in items:
        out.setdefault(item["action"], []).append(item)
    return out


@pytest.fixture
def openai_server():
    cls = SERVER_CLASSES["openai"]
    with cls(valid_keys={cls.DEMO_KEY, CANARY_KEY}) as server:
        yield server


def test_every_kind_of_action_is_recorded(gw_admin, gw_member, talon, openai_server, db):
    provider = make_provider(gw_admin, baseUrl=openai_server.base_url)
    pid = provider["id"]
    assert gw_admin.post(f"/api/llm/providers/{pid}/test").json["data"]["status"] == "valid"
    [model, spare] = register(gw_admin, pid, "gpt-4o", "gpt-4o-mini")
    register(gw_admin, pid, "gpt-4o")  # again: refreshed, not new
    for body in ({"enabled": False}, {"enabled": True}, {"displayName": "GPT 4o"}):
        assert gw_admin.patch(f"/api/llm/models/{model['id']}", json=body).status_code == 200
    agent = make_agent(gw_member, "Scribe", modelId=model["id"])
    assert gw_admin.patch(f"/api/agents/{agent['id']}", json={"role": "writes"}).status_code == 200
    assert gw_admin.post(f"/api/agents/{agent['id']}/sync").status_code == 200
    assert gw_admin.delete(f"/api/agents/{agent['id']}").status_code == 200
    assert gw_admin.delete(f"/api/llm/models/{spare['id']}").status_code == 200
    for body in ({"apiKey": NEW_KEY}, {"name": "Renamed"}, {"apiKey": CANARY_KEY}):
        assert gw_admin.patch(f"/api/llm/providers/{pid}", json=body).status_code == 200, body
    local = make_provider(gw_admin, "ollama", apiKey=CANARY_KEY)  # its key is optional
    res = gw_admin.patch(f"/api/llm/providers/{local['id']}", json={"apiKey": None})
    assert res.status_code == 200, res.json
    assert gw_admin.delete(f"/api/llm/providers/{pid}").status_code == 200

    items = events(gw_admin)
    seen = by_action(items)
    assert set(seen) == {
        "provider.created", "provider.key_set", "provider.tested", "provider.updated",
        "provider.key_replaced", "provider.key_cleared", "provider.deleted",
        "gateway_credential.pushed", "gateway_credential.removed",
        "model.registered", "model.disabled", "model.enabled", "model.updated", "model.deleted",
        "agent.created", "agent.updated", "agent.synced", "agent.deleted",
    }
    # newest first, each with a time, an actor, a target and an outcome
    times = [i["at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["action"] in ("provider.deleted", "gateway_credential.removed")
    assert seen["provider.key_cleared"][0]["target"]["id"] == local["id"]
    assert {i["actor"] for i in items} == {"admin", "member"}
    assert [i["actor"] for i in seen["agent.created"]] == ["member"]
    created = seen["provider.created"][-1]
    assert created["target"] == {"type": "provider", "id": pid, "name": "openai main"}
    assert created["outcome"] == "ok" and created["error"] is None
    assert seen["provider.deleted"][0]["target"]["name"] == "Renamed"
    assert [e["details"] for e in seen["provider.updated"]] == [{"fields": ["name"]}]
    assert seen["provider.tested"][0]["details"]["status"] == "valid"
    # two registrations: gpt-4o and gpt-4o-mini new, then gpt-4o refreshed; an event for
    # the new and one for the refreshed models of a registration, about the provider and
    # those models
    registered = [([t["name"] for t in e["targets"][1:]], e["details"]["new"])
                  for e in seen["model.registered"]]
    assert sorted(registered) == [(["gpt-4o"], False), (["gpt-4o", "gpt-4o-mini"], True)]
    assert {e["target"]["id"] for e in seen["model.registered"]} == {pid}
    assert all(e["targets"][0] == e["target"] for e in items)
    assert seen["model.deleted"][0]["target"] == {"type": "model", "id": spare["id"],
                                                  "name": "gpt-4o-mini"}
    assert seen["agent.synced"][0]["outcome"] == "ok"
    assert seen["agent.deleted"][0]["details"]["talonSync"] == "synced"
    assert seen["gateway_credential.removed"][0]["target"]["id"] == "openai"
    assert {e["target"]["id"] for e in seen["gateway_credential.pushed"]} == {"openai", "ollama"}

    # keys: a fingerprint (equal keys, equal fingerprints), never the key or its tail
    key_events = seen["provider.key_set"] + seen["provider.key_replaced"]
    prints = {e["action"]: e["fingerprint"] for e in key_events}
    assert all(FINGERPRINT.fullmatch(p) for p in prints.values())
    canary_prints = {e["fingerprint"] for e in seen["provider.key_set"]}
    assert len(canary_prints) == 1  # the canary, set on two providers
    assert prints["provider.key_replaced"] not in canary_prints  # the new key differs
    pushed = {e["fingerprint"] for e in seen["gateway_credential.pushed"]}
    assert canary_prints < pushed  # the gateway got the canary: same fingerprint
    assert seen["provider.key_cleared"][0]["fingerprint"] is None
    text = gw_admin.get("/api/llm/audit?limit=500").get_data(as_text=True)
    stored = str(list(db.LlmAuditEvent.find({})))
    for secret in (CANARY_KEY, NEW_KEY):
        assert secret not in text and secret not in stored
        assert f'"{secret[-4:]}"' not in text and f"'{secret[-4:]}'" not in stored


def test_failed_outcomes_say_why(gw_admin, talon):
    provider = make_provider(gw_admin, baseUrl="http://127.0.0.1:9/v1")  # nothing listens
    res = gw_admin.post(f"/api/llm/providers/{provider['id']}/test")
    assert res.json["data"]["status"] == "invalid"
    [model] = register(gw_admin, provider["id"], "gpt-4o")
    agent = make_agent(gw_admin, "Unlucky", modelId=model["id"])
    talon.down()
    assert gw_admin.post(f"/api/agents/{agent['id']}/sync").status_code == 502
    [tested] = events(gw_admin, action="provider.tested")
    assert tested["outcome"] == "failed"
    assert tested["error"]["kind"] == "network" and tested["error"]["message"]
    [synced] = events(gw_admin, action="agent.synced")
    assert synced["outcome"] == "failed" and synced["error"]["kind"] == "gateway"
    assert "gateway" in synced["error"]["message"].lower()


def test_members_and_anonymous_users_cannot_read_it(member, anon, admin):
    make_provider(admin)
    assert member.get("/api/llm/audit").status_code == 403
    assert anon.get("/api/llm/audit").status_code == 401
    assert member.get("/api/llm/audit").json["error"]["code"]


def test_pages_and_filters(admin):
    ids = [make_provider(admin, "anthropic", name=f"p{i}")["id"] for i in range(3)]
    admin.delete(f"/api/llm/providers/{ids[0]}")
    # 3 x (created + key_set) + 1 deleted = 7 events
    first = admin.get("/api/llm/audit?limit=3").json["data"]
    assert (first["total"], first["hasMore"], first["limit"], first["offset"],
            len(first["items"])) == (None, True, 3, 0, 3)  # not counted unless asked
    counted = admin.get("/api/llm/audit?limit=3&count=true").json["data"]
    assert (counted["total"], counted["hasMore"]) == (7, True)
    rest = admin.get("/api/llm/audit?limit=3&offset=3").json["data"]
    last = admin.get("/api/llm/audit?limit=3&offset=6").json["data"]
    assert len(rest["items"]) == 3 and rest["hasMore"] and rest["total"] is None
    assert len(last["items"]) == 1 and not last["hasMore"] and last["total"] == 7  # the end
    exact = admin.get("/api/llm/audit?limit=4&offset=3").json["data"]
    assert (len(exact["items"]), exact["hasMore"], exact["total"]) == (4, False, 7)
    every = [i["id"] for i in first["items"] + rest["items"] + last["items"]]
    assert len(set(every)) == 7  # no event on two pages
    assert first["items"][0]["action"] == "provider.deleted"

    about = events(admin, targetId=ids[0])
    assert [e["action"] for e in about] == ["provider.deleted", "provider.key_set",
                                            "provider.created"]
    assert len(events(admin, action="provider.created")) == 3
    assert len(events(admin, action="provider")) == 7  # every provider.* action
    assert len(events(admin, targetType="provider")) == 7
    assert events(admin, targetType="agent") == []
    both = events(admin, targetId=ids[1], action="provider.key_set")
    assert [e["target"]["id"] for e in both] == [ids[1]]


@pytest.mark.parametrize("query, field", [
    ("action=provider.exploded", "action"),
    ("targetType=planet", "targetType"),
    ("limit=0", "limit"),
    ("offset=-1", "offset"),
    ("targetId=", "targetId"),
])
def test_bad_filters_are_400_naming_the_field(admin, query, field):
    res = admin.get(f"/api/llm/audit?{query}")
    assert res.status_code == 400
    assert field in res.json["error"]["fields"]


def test_the_collection_name_is_configurable(db):
    app = make_app(db, TASK_MASTER_LLM_AUDIT_COLLECTION="Journal")
    admin = login(app, "admin")
    make_provider(admin)
    assert db.Journal.count_documents({"action": "provider.created"}) == 1
    assert "LlmAuditEvent" not in db.list_collection_names()
    assert "at_desc" in db.Journal.index_information()


def test_the_commands_are_recorded_as_cli_runs(db, talon):
    app = gateway_app(db, talon)
    admin = login(app, "admin")
    provider = make_provider(admin, "anthropic")
    [model] = register(admin, provider["id"], "claude-3-haiku")
    make_agent(admin, "Owed", modelId=model["id"])
    db.Agent.update_one({"name": "Owed"}, {"$set": {"talonSyncStatus": "pending"}})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["llm", "sync-agents"]).exit_code == 0
    assert runner.invoke(args=["llm", "sync-agents", "--verify"]).exit_code == 0
    assert runner.invoke(args=["llm", "rotate-key", "--dry-run"]).exit_code == 0

    [verify, run] = events(admin, action="agent_sync.run")
    assert run["details"]["mode"] == "owed" and run["details"]["synced"] == 1
    assert verify["details"]["mode"] == "verify" and verify["details"]["inSync"] == 1
    assert run["outcome"] == verify["outcome"] == "ok"
    assert run["target"] == {"type": "registry", "id": "gateway", "name": "Talon gateway"}
    [rotation] = events(admin, action="key_rotation.run")
    assert rotation["details"]["dryRun"] is True and rotation["details"]["total"] == 1
    for event in (run, verify, rotation):
        assert event["actor"].startswith("cli:"), event


def test_a_rotation_with_failures_is_recorded_failed(db):
    admin = login(make_app(db), "admin")
    make_provider(admin, "google")
    other = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="
    assert other != TEST_KEY
    rotated = make_app(db, LLM_ENCRYPTION_KEY=other)  # the old key is not given
    assert rotated.test_cli_runner().invoke(args=["llm", "rotate-key"]).exit_code == 1
    [rotation] = events(admin, action="key_rotation.run")
    assert rotation["outcome"] == "failed" and rotation["details"]["failed"] == 1
    assert rotation["error"]["kind"] == "rotation"


def test_the_page_names_every_action():
    """The Activity tab's labels (and so its action filter) cover exactly the actions the
    registry records."""
    script = (Path(__file__).resolve().parents[2] / "task_master_llm/static/task_master_llm"
              / "registry/activity.js").read_text()
    block = script.split("export const ACTION_LABELS = {", 1)[1].split("};", 1)[0]
    assert set(re.findall(r'^\s*"([a-z_.]+)":', block, re.M)) == ACTIONS


def test_a_registration_is_one_event_found_by_any_of_its_models(admin, db):
    provider = make_provider(admin)
    models = register(admin, provider["id"], *[f"m{i:03d}" for i in range(120)])
    register(admin, provider["id"], "m000", "m001", "new-one")  # two refreshed, one new
    assert db.LlmAuditEvent.count_documents({"action": "model.registered"}) == 3
    [first] = events(admin, targetId=models[57]["id"])
    assert first["target"] == {"type": "provider", "id": provider["id"], "name": "openai main"}
    assert [t["name"] for t in first["targets"][1:]] == [m["providerModelId"] for m in models]
    assert first["details"] == {"providerId": provider["id"], "provider": "openai main",
                                "new": True, "models": 120}
    assert len(events(admin, targetId=models[0]["id"])) == 2  # registered, then refreshed
    assert {e["details"]["models"] for e in events(admin, action="model.registered",
                                                   targetType="model")} == {120, 2, 1}
    assert len(events(admin, targetId=provider["id"], action="model")) == 3


def test_events_stored_before_targets_are_still_found_by_their_target(admin, db):
    """An event written before ``targets`` existed (only ``target``) is found by its
    target's id and type like a new one once the upgraded registry has started."""
    from datetime import datetime, timezone

    from bson import ObjectId

    provider = make_provider(admin)
    old_id = ObjectId()
    db.LlmAuditEvent.insert_one({
        "_id": old_id, "at": datetime(2026, 1, 2, tzinfo=timezone.utc), "actor": "admin-1",
        "action": "provider.tested",
        "target": {"type": "provider", "id": provider["id"], "name": "openai main"},
        "outcome": "ok", "error": None, "fingerprint": None, "details": {}})
    admin = login(make_app(db), "admin")  # the upgraded registry starts
    found = events(admin, targetId=provider["id"])
    assert found[-1]["id"] == str(old_id) and found[-1]["action"] == "provider.tested"
    assert str(old_id) in {e["id"] for e in events(admin, targetType="provider")}
    assert str(old_id) in {e["id"] for e in events(admin, targetId=provider["id"],
                                                    targetType="provider", action="provider")}
    res = admin.get("/api/llm/audit", query_string={"targetId": provider["id"], "count": "true",
                                                     "limit": 1})
    assert res.json["data"]["total"] == len(found) and res.json["data"]["hasMore"] is True
