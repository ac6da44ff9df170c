"""`flask llm rotate-key` end to end: API-created providers, a new master key, the CLI."""

from __future__ import annotations

import base64

from bson import ObjectId

from tests.support import CANARY_KEY, TEST_KEY, make_app

NEW_KEY = base64.b64encode(bytes(range(1, 33))).decode()


def _create_providers(db, n: int = 3) -> list[str]:
    app = make_app(db)
    client = app.test_client()
    client.post("/test-login/admin")
    ids = []
    for i in range(n):
        res = client.post(
            "/api/llm/providers",
            json={"name": f"g{i}", "providerType": "google", "apiKey": f"{CANARY_KEY}{i}"},
        )
        assert res.status_code == 201
        ids.append(res.json["data"]["id"])
    return ids


def test_rotate_key_cli_rotates_and_is_idempotent(db):
    ids = _create_providers(db)
    before = {d["_id"]: d["encryptedApiKey"] for d in db.LlmProvider.find()}

    rotated_app = make_app(db, LLM_ENCRYPTION_KEY=NEW_KEY, LLM_ENCRYPTION_KEY_PREVIOUS=TEST_KEY)
    runner = rotated_app.test_cli_runner()

    dry = runner.invoke(args=["llm", "rotate-key", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 would rotate" in dry.output
    assert {d["_id"]: d["encryptedApiKey"] for d in db.LlmProvider.find()} == before

    res = runner.invoke(args=["llm", "rotate-key"])
    assert res.exit_code == 0, res.output
    assert "3 rotated" in res.output
    assert CANARY_KEY not in res.output and NEW_KEY not in res.output and TEST_KEY not in res.output

    again = runner.invoke(args=["llm", "rotate-key"])
    assert "0 rotated" in again.output and "3 already current" in again.output

    # the new key alone reads every record now
    only_new = make_app(db, LLM_ENCRYPTION_KEY=NEW_KEY)
    state = only_new.extensions["task_master_llm"]
    for i, pid in enumerate(ids):
        doc = db.LlmProvider.find_one({"_id": ObjectId(pid)})
        from task_master_llm.store.keys import from_document

        plain = state.vault.decrypt(from_document(doc), record_id=pid, field="apiKey")
        assert plain == f"{CANARY_KEY}{i}"


def test_rotate_key_without_previous_key_reports_failures(db):
    _create_providers(db, 2)
    app = make_app(db, LLM_ENCRYPTION_KEY=NEW_KEY)
    res = app.test_cli_runner().invoke(args=["llm", "rotate-key"])
    assert res.exit_code == 1
    assert "2 failed" in res.output
    assert CANARY_KEY not in res.output
