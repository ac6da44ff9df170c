"""Regression tests for problems found in an adversarial review (keys, contracts, inputs)."""

from __future__ import annotations

import time

import pytest
import requests_mock as rm

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter

CANARY = "sk-CANARY-123456789abcdef"
GOOGLE_MODELS = "https://generativelanguage.googleapis.com/v1beta/models"


def _google(sleep=time.sleep):
    config = ProviderConfig("google", api_key=CANARY)
    return create_adapter(config, HttpSettings(sleep=sleep, backoff_base=0.0))


@pytest.mark.parametrize("delay", ["-5s", "nans", "infs", "-infs"])
def test_hostile_retry_delay_never_crashes_or_sleeps_oddly(requests_mock: rm.Mocker,
                                                           delay: str) -> None:
    """A provider's retry hint that is negative, NaN or infinite is no 500 (time.sleep
    refuses negative and NaN waits) and never shows up as "in nans" in the message."""
    exhausted = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}
    requests_mock.get(GOOGLE_MODELS, status_code=429, json=exhausted)
    result = _google().test_connection()  # the real time.sleep: it must get a sane value
    assert (result.status, result.error_kind) == ("invalid", "quota")
    assert "nan" not in result.message and "inf" not in result.message


# --- a key that cannot go in an HTTP header ------------------------------------------

def test_key_that_cannot_be_a_header_is_a_provider_error_not_a_crash() -> None:
    """http.client encodes headers as Latin-1: a stored key with a pasted zero-width space
    raised UnicodeEncodeError out of the adapter (a 500 on /test and /discover)."""
    config = ProviderConfig("openai_compatible", api_key="sk-abc\u200bdef",
                            base_url="http://127.0.0.1:9/v1")
    adapter = create_adapter(config, HttpSettings(sleep=lambda _s: None))
    result = adapter.test_connection()
    assert (result.status, result.error_kind) == ("invalid", "auth")
    assert "sk-abc" not in result.message and "API key" in result.message


def test_api_key_with_invisible_or_non_ascii_characters_is_refused(admin) -> None:
    for key in ("sk-abc\u200bdef123", "sk-abc def123", "sk-\u00e9\u00e9\u00e9\u00e9\u00e9"):
        res = admin.post("/api/llm/providers", json={
            "name": "p", "providerType": "openai", "apiKey": key})
        assert res.status_code == 400, res.json
        assert list(res.json["error"]["fields"]) == ["apiKey"]
        assert key not in res.get_data(as_text=True)


# --- JSON text that is not valid Unicode ---------------------------------------------

@pytest.mark.parametrize(("path", "raw"), [
    ("/api/llm/providers", '{"name": "a\\ud800b", "providerType": "ollama"}'),
    ("/api/agents", '{"name": "ok", "model": "openai/x", "soul": "\\udfff"}'),
    ("/api/llm/models", '{"providerId": "000000000000000000000000", '
                        '"models": [{"providerModelId": "m\\ud800"}]}'),
])
def test_lone_surrogate_in_a_json_body_is_a_400(admin, path: str, raw: str) -> None:
    """JSON may escape a lone surrogate; Python parses it, BSON cannot encode it (500)."""
    res = admin.post(path, data=raw, content_type="application/json")
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.json["error"]["code"] == "validation_error"


# --- reprs that a traceback with locals (Sentry, the debugger) would show --------------

def test_settings_and_state_reprs_carry_no_secrets(db) -> None:
    from tests.conftest import TEST_KEY, make_app

    previous = "ab" * 32
    app = make_app(db, LLM_ENCRYPTION_KEY_PREVIOUS=previous,
                   TALON_GATEWAY_URL="http://127.0.0.1:9", TALON_GATEWAY_TOKEN="tok-SECRET-42",
                   TASK_MASTER_LLM_MONGO_URI="mongodb://u:pw-SECRET@127.0.0.1:9/x")
    state = app.extensions["task_master_llm"]
    for text in (repr(state), repr(state.settings), str(state.settings)):
        for secret in (TEST_KEY, previous, "tok-SECRET-42", "pw-SECRET"):
            assert secret not in text
    assert "TALON_GATEWAY_URL" in repr(state.settings)  # still useful for debugging


# --- a provider echoing part of the key in its error code ------------------------------

LONG_KEY = "sk-proj-" + "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOp3rSt6vWx9zAb2dEf5hIj8l"


@pytest.mark.parametrize("code", [
    LONG_KEY[:40],                 # a truncated echo is still most of the key
    f"key={LONG_KEY[5:60]}",       # glued to other characters
    f"bad:{LONG_KEY}",             # the whole key
])
def test_provider_error_code_echoing_key_fragments_is_redacted(requests_mock: rm.Mocker,
                                                               code: str) -> None:
    requests_mock.get("https://api.openai.com/v1/models", status_code=401,
                      json={"error": {"code": code, "message": LONG_KEY}})
    adapter = create_adapter(ProviderConfig("openai", api_key=LONG_KEY),
                             HttpSettings(sleep=lambda _s: None))
    message = adapter.test_connection().message
    assert "redacted" in message
    for start in range(len(LONG_KEY) - 8):
        assert LONG_KEY[start:start + 8] not in message, message


def test_talon_error_echoing_a_glued_key_fragment_is_redacted() -> None:
    from task_master_llm.talon import _gateway_message

    text = '{"error": "field apiKey=' + LONG_KEY[:30] + ' is not allowed"}'
    message = _gateway_message(text, [LONG_KEY])
    assert LONG_KEY[:12] not in message and "not allowed" in message


# --- an agent created while its model's provider (or the model) is being deleted -------

def _race_app(db, remove):
    """An app whose agent insert first lets ``remove(state, pid, mid)`` run: the delete
    lands between the agent's model check and its insert."""
    from tests.conftest import make_app

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


# --- credentials in TALON_GATEWAY_URL ---------------------------------------------------

def test_talon_url_with_credentials_is_refused_at_start(db) -> None:
    """Every sync message names the gateway URL (members see talonSyncError), and requests
    would turn URL credentials into Basic auth in place of the Bearer token."""
    from task_master_llm.errors import ConfigurationError
    from tests.conftest import make_app

    with pytest.raises(ConfigurationError) as info:
        make_app(db, TALON_GATEWAY_URL="https://user:pw-SECRET@talon.example.com")
    assert "pw-SECRET" not in str(info.value) and "TALON_GATEWAY_URL" in str(info.value)


def test_models_registered_while_their_provider_is_deleted_leave_no_orphans(
    admin, db, monkeypatch
) -> None:
    """The provider goes between the registration's check and its bulk write."""
    from bson import ObjectId

    from task_master_llm.store import ModelStore

    res = admin.post("/api/llm/providers", json={"name": "gone", "providerType": "ollama"})
    pid = res.json["data"]["id"]
    original = ModelStore.bulk_upsert

    def delete_first(self, operations):
        assert admin.delete(f"/api/llm/providers/{pid}").status_code == 200
        return original(self, operations)

    monkeypatch.setattr(ModelStore, "bulk_upsert", delete_first)
    res = admin.post(
        "/api/llm/models",
        json={"providerId": pid, "models": [{"providerModelId": "m", "displayName": "M"}]},
    )
    assert res.status_code == 404
    assert db.LlmModel.count_documents({"providerId": ObjectId(pid)}) == 0
