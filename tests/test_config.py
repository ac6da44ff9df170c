"""Settings (config.py): what is refused at start, and reprs that carry no secrets."""

from __future__ import annotations

import pytest

from task_master_llm.errors import ConfigurationError
from tests.support import TEST_KEY, make_app

# --- reprs that a traceback with locals (Sentry, the debugger) would show --------------

def test_settings_and_state_reprs_carry_no_secrets(db) -> None:
    previous = "ab" * 32
    app = make_app(db, LLM_ENCRYPTION_KEY_PREVIOUS=previous,
                   TALON_GATEWAY_URL="http://127.0.0.1:9", TALON_GATEWAY_TOKEN="tok-SECRET-42",
                   TASK_MASTER_LLM_MONGO_URI="mongodb://u:pw-SECRET@127.0.0.1:9/x")
    state = app.extensions["task_master_llm"]
    for text in (repr(state), repr(state.settings), str(state.settings)):
        for secret in (TEST_KEY, previous, "tok-SECRET-42", "pw-SECRET"):
            assert secret not in text
    assert "TALON_GATEWAY_URL" in repr(state.settings)  # still useful for debugging


# --- credentials in TALON_GATEWAY_URL ---------------------------------------------------

def test_talon_url_with_credentials_is_refused_at_start(db) -> None:
    """Every sync message names the gateway URL (members see talonSyncError), and requests
    would turn URL credentials into Basic auth in place of the Bearer token."""
    with pytest.raises(ConfigurationError) as info:
        make_app(db, TALON_GATEWAY_URL="https://user:pw-SECRET@talon.example.com")
    assert "pw-SECRET" not in str(info.value) and "TALON_GATEWAY_URL" in str(info.value)


# --- bounds of outbound calls ------------------------------------------------------------

def test_outbound_deadlines_and_caps_are_read_from_the_environment() -> None:
    from task_master_llm.config import load_settings

    settings = load_settings({"LLM_ENCRYPTION_KEY": TEST_KEY}, environ={
        "TASK_MASTER_LLM_HTTP_DEADLINE": "12.5", "TASK_MASTER_LLM_TALON_DEADLINE": "7",
        "TASK_MASTER_LLM_MAX_RESPONSE_BYTES": "65536",
        "TASK_MASTER_LLM_MAX_LISTING_BYTES": "1048576"})
    assert (settings.http.deadline, settings.talon.deadline) == (12.5, 7.0)
    assert (settings.http.max_response_bytes, settings.http.max_listing_bytes) == (65536, 1048576)
    assert (settings.talon.max_response_bytes, settings.talon.max_listing_bytes) == (
        65536, 1048576)
    defaults = load_settings({"LLM_ENCRYPTION_KEY": TEST_KEY}, environ={})
    assert (defaults.http.deadline, defaults.talon.deadline) == (30.0, 20.0)
    assert defaults.http.max_listing_bytes == 20 * 1024 * 1024


@pytest.mark.parametrize(("key", "value", "says"), [
    ("TASK_MASTER_LLM_HTTP_DEADLINE", "0", "a number > 0"),
    ("TASK_MASTER_LLM_TALON_DEADLINE", "soon", "a number > 0"),
    ("TASK_MASTER_LLM_MAX_RESPONSE_BYTES", "10", "at least 1024"),
    ("TASK_MASTER_LLM_MAX_LISTING_BYTES", "0", "at least 1024"),
])
def test_bad_outbound_bounds_refuse_to_start(key: str, value: str, says: str) -> None:
    from task_master_llm.config import load_settings

    with pytest.raises(ConfigurationError) as info:
        load_settings({"LLM_ENCRYPTION_KEY": TEST_KEY}, environ={key: value})
    assert key in info.value.message and says in info.value.message
