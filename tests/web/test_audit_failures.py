"""An audit event that cannot be written never blocks or fails the action it records: the
action succeeds, the failure is logged at WARNING (action and target, no secrets) and
counted in ``services.audit.failures``."""

from __future__ import annotations

import logging
import time

import pytest
from pymongo import MongoClient

from task_master_llm.store.audit import AuditStore
from tests.support import CANARY_KEY, login, make_agent, make_app, make_provider, register


def refusing_collection(db) -> None:
    """An audit collection whose validator refuses every event (validationAction error)."""
    db.create_collection(
        "LlmAuditEvent",
        validator={"$jsonSchema": {"bsonType": "object", "required": ["neverPresent"]}},
        validationAction="error",
    )


def test_an_unwritable_audit_collection_fails_no_action(db, caplog):
    caplog.set_level(logging.WARNING, logger="task_master_llm.audit")
    refusing_collection(db)
    app = make_app(db)
    admin = login(app, "admin")
    provider = make_provider(admin, "anthropic")  # created + key_set: two failed writes
    assert db.LlmProvider.count_documents({}) == 1
    [model] = register(admin, provider["id"], "claude-3-haiku")
    agent = make_agent(admin, "Still works", modelId=model["id"])
    assert admin.patch(f"/api/llm/models/{model['id']}", json={"enabled": False}).status_code \
        == 200
    assert admin.delete(f"/api/agents/{agent['id']}").status_code == 200
    assert admin.delete(f"/api/llm/providers/{provider['id']}").status_code == 200
    assert db.LlmProvider.count_documents({}) == 0
    assert db.LlmAuditEvent.count_documents({}) == 0  # nothing got in...
    services = app.extensions["task_master_llm"]
    assert services.audit.failures == 7  # ...and each lost event was counted
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 7
    assert f"action=provider.created target=provider:{provider['id']}" in warnings[0]
    assert "audit event not written" in warnings[0]
    assert all(CANARY_KEY not in w and CANARY_KEY[-4:] not in w for w in warnings)
    # the Activity API still answers (with what there is)
    assert admin.get("/api/llm/audit").json["data"]["total"] == 0


def test_the_commands_succeed_when_the_audit_collection_refuses(db):
    refusing_collection(db)
    app = make_app(db)
    make_provider(login(app, "admin"), "google")
    res = app.test_cli_runner().invoke(args=["llm", "rotate-key"])
    assert res.exit_code == 0, res.output
    assert "0 rotated" in res.output


def test_an_unreachable_audit_database_costs_at_most_the_audit_timeout(db):
    """The audit store on a server that does not exist (its client would wait 30 s to
    find one): the write gives up after TASK_MASTER_LLM_AUDIT_TIMEOUT."""
    app = make_app(db, TASK_MASTER_LLM_AUDIT_TIMEOUT=0.3)
    services = app.extensions["task_master_llm"]
    dead: MongoClient = MongoClient("mongodb://127.0.0.1:9", serverSelectionTimeoutMS=30_000,
                                    connect=False)
    try:
        services.audit.store = AuditStore(dead.audit.LlmAuditEvent)
        admin = login(app, "admin")
        started = time.monotonic()
        res = admin.post("/api/llm/providers", json={"name": "p", "providerType": "anthropic",
                                                     "apiKey": CANARY_KEY})
        elapsed = time.monotonic() - started
    finally:
        dead.close()
    assert res.status_code == 201
    assert services.audit.failures == 2  # provider.created and provider.key_set
    assert elapsed < 3.0, elapsed  # two bounded writes, not two 30 s waits


class ExplodingStore:
    """A store that fails in a way no server produces (a bug, say)."""

    def insert(self, doc):
        raise RuntimeError(f"boom with {doc!r}")  # its text holds the event: never logged


def test_a_store_that_raises_fails_no_action_and_logs_no_details(db, caplog):
    caplog.set_level(logging.WARNING, logger="task_master_llm.audit")
    app = make_app(db)
    services = app.extensions["task_master_llm"]
    services.audit.store = ExplodingStore()
    admin = login(app, "admin")
    provider = make_provider(admin, "google")
    assert admin.patch(f"/api/llm/providers/{provider['id']}", json={"apiKey": "x" * 40}) \
        .status_code == 200
    assert services.audit.failures == 3
    assert "RuntimeError" in caplog.text and "boom" not in caplog.text


@pytest.mark.parametrize("actor", [lambda: 1 / 0, lambda: ""])
def test_an_actor_hook_that_fails_still_leaves_an_event(db, actor):
    app = make_app(db)
    services = app.extensions["task_master_llm"]
    services.audit.actor = actor
    make_provider(login(app, "admin"), "ollama")
    [event] = db.LlmAuditEvent.find({"action": "provider.created"})
    assert event["actor"] == "unknown"


def test_start_up_survives_an_audit_collection_refusing_to_fill_old_events(db, caplog):
    """Old events (no ``targets``) in a collection that now refuses every write: the
    registry starts anyway (filling them is best effort, like every audit write)."""
    from datetime import datetime, timezone

    db.LlmAuditEvent.insert_one({
        "at": datetime(2026, 1, 2, tzinfo=timezone.utc), "actor": "admin-1",
        "action": "provider.tested", "target": {"type": "provider", "id": "x", "name": "x"},
        "outcome": "ok", "error": None, "fingerprint": None, "details": {}})
    db.command("collMod", "LlmAuditEvent",
               validator={"$jsonSchema": {"bsonType": "object", "required": ["neverPresent"]}},
               validationAction="error")
    caplog.set_level(logging.WARNING)
    app = make_app(db)
    admin = login(app, "admin")
    assert admin.get("/api/llm/audit").status_code == 200
    assert any("old audit events" in r.getMessage() for r in caplog.records)
