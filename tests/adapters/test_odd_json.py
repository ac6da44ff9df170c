"""Odd-but-valid provider JSON (issue 10, item 3): every adapter survives any JSON of the
right outer shape.

``test_connection`` never raises and ``discover_models`` returns models or raises only
``ProviderError``: a field of the wrong type is ignored, a body of the wrong shape is a
``bad_response``. A property-based test (hypothesis, deterministic) feeds each adapter
arbitrary JSON; the targeted tests pin the cases found by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import requests_mock as rm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from task_master_llm.adapters import (
    ConnectionResult,
    DiscoveredModel,
    HttpSettings,
    ProviderConfig,
    create_adapter,
)
from task_master_llm.adapters.common import MAX_INT
from task_master_llm.errors import ProviderError

KEY = "sk-CANARY-123456789abcdef"
DEPLOYMENT = "gpt4o-prod"

BASES = {
    "google": "https://generativelanguage.googleapis.com",
    "openai": "https://api.openai.com/v1",
    "openai_compatible": "https://llm.example.com/v1",
    "anthropic": "https://api.anthropic.com",
    "azure": "https://res.openai.azure.com",
    "ollama": "http://localhost:11434",
}


def make_adapter(provider_type: str) -> Any:
    config: dict[str, Any] = {"api_key": KEY}
    if provider_type in ("openai_compatible", "azure"):
        config["base_url"] = BASES[provider_type]
    if provider_type == "azure":
        config["deployment_id"] = DEPLOYMENT
    # one retry exercises the retry-hint path; one /api/show at a time keeps the order of
    # mocked answers deterministic
    http = HttpSettings(sleep=lambda _s: None, max_retries=1, backoff_base=0.0,
                        show_concurrency=1)
    return create_adapter(ProviderConfig(provider_type, name="p", **config), http)


# --- strategies ------------------------------------------------------------------------

#: the field names the adapters read, so arbitrary objects often hit real code paths
FIELDS = (
    "id", "name", "displayName", "display_name", "version", "inputTokenLimit",
    "outputTokenLimit", "supportedGenerationMethods", "thinking", "capabilities",
    "image_input", "supported", "max_input_tokens", "max_tokens", "lifecycle", "created",
    "owned_by", "context_length", "max_model_len", "pricing", "prompt", "completion",
    "details", "family", "parameter_size", "quantization_level", "model_info",
    "general.architecture", "llama.context_length", "model", "error", "code", "status",
    "type", "reason", "retryDelay", "message", "nextPageToken", "has_more", "last_id",
)
WORDS = (
    "", " ", "generateContent", "models/", "models/gemini-x", "retired", "llama",
    "completion", "embedding", "vision", "tools", "59s", "nans", "1e999s", "API_KEY_INVALID",
    "RESOURCE_EXHAUSTED", "invalid_api_key", "authentication_error", "DeploymentNotFound",
    "0.000001", "-1", "Infinity", "NaN", "1e400", "api.model.read", "gpt-4o", "embed-x",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 10**30, MAX_INT + 1]),
    st.just(0).map(lambda _: 10**400),  # too large for a float
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(WORDS),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=6))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=12,
)


#: ids that pass the chat filters, so entries reach the parsing of their other fields
GOOD_IDS = ("gpt-4o", "models/gemini-2.0-flash", "claude-sonnet-4-5", "llama3:8b",
            "made-up-chat", "models/", "embed-x")
#: fields whose well-formed value leads deeper into an adapter, offered next to any JSON
SHAPED: dict[str, st.SearchStrategy[Any]] = {
    "supportedGenerationMethods": st.lists(
        st.one_of(st.just("generateContent"), json_values), max_size=3),
    "capabilities": st.one_of(
        st.lists(st.one_of(st.sampled_from(["completion", "vision", "tools", "embedding"]),
                           json_values), max_size=4),
        st.dictionaries(st.just("image_input"), st.one_of(
            st.dictionaries(st.just("supported"), json_values), json_values))),
    "details": st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
    "model_info": st.dictionaries(
        st.sampled_from(["general.architecture", "llama.context_length"]),
        st.one_of(st.just("llama"), json_values)),
    "pricing": st.dictionaries(st.sampled_from(["prompt", "completion"]), json_values),
}


def field_value(name: str) -> st.SearchStrategy[Any]:
    shaped = SHAPED.get(name)
    return json_values if shaped is None else st.one_of(shaped, json_values)


def items(id_key: str, fields: tuple[str, ...]) -> st.SearchStrategy[list[Any]]:
    """Model entries: mostly objects with a usable id and arbitrary values under the
    fields the adapter reads (plus the odd unknown key)."""
    optional = {**{name: field_value(name) for name in fields}, "unknownField": json_values}
    usable_id = st.one_of(st.sampled_from(GOOD_IDS), st.sampled_from(GOOD_IDS + WORDS),
                          st.text(max_size=8))
    entry = st.fixed_dictionaries({id_key: usable_id}, optional=optional)
    odd_id = st.fixed_dictionaries({id_key: json_values}, optional=optional)
    return st.lists(st.one_of(entry, entry, entry, odd_id, json_values),
                    min_size=1, max_size=5)


def outer(
    key: str, id_key: str, fields: tuple[str, ...], **extra: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``{key: [entries], **extra}`` with arbitrary values under the extra keys."""
    return st.fixed_dictionaries({key: items(id_key, fields)}, optional=extra)


GOOGLE_FIELDS = ("displayName", "version", "inputTokenLimit", "outputTokenLimit",
                 "supportedGenerationMethods", "thinking")
OPENAI_FIELDS = ("created", "owned_by", "context_length", "max_model_len", "pricing", "name")
ANTHROPIC_FIELDS = ("display_name", "created_at", "max_input_tokens", "max_tokens",
                    "lifecycle", "capabilities")
details_list = st.lists(
    st.one_of(st.fixed_dictionaries({}, optional={"reason": json_values,
                                                  "retryDelay": json_values,
                                                  "@type": json_values}),
              json_values),
    max_size=3)


structured_error = st.fixed_dictionaries({"error": st.fixed_dictionaries({}, optional={
    "code": json_values, "status": json_values, "type": json_values, "message": json_values,
    "details": st.one_of(scalars, details_list, json_values),
})})
error_bodies = st.integers(0, 3).flatmap(
    lambda n: structured_error if n < 2
    else st.fixed_dictionaries({"error": json_values}) if n < 3 else json_values)
retry_after = st.sampled_from([None, "5", "0", "-3", "nan", "1e999", "soon",
                               "Wed, 21 Oct 2015 07:28:00 GMT"])


def answers(success: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A requests-mock response list: successes of the right shape, arbitrary JSON with
    200, and error statuses with arbitrary error bodies (the last answer repeats)."""
    ok = st.builds(lambda body: {"status_code": 200, "json": body}, success)
    wrong = st.builds(lambda body: {"status_code": 200, "json": body}, json_values)
    failed = st.builds(
        lambda status, body, wait: {
            "status_code": status, "json": body,
            "headers": {"Retry-After": wait} if wait is not None else {},
        },
        st.sampled_from([400, 401, 403, 404, 429, 500]), error_bodies, retry_after,
    )
    one = st.integers(0, 9).flatmap(lambda n: ok if n < 5 else wrong if n < 6 else failed)
    return st.lists(one, min_size=1, max_size=3)


#: provider type -> {(method, path): response-list strategy}
ROUTES: dict[str, dict[tuple[str, str], st.SearchStrategy[Any]]] = {
    "google": {
        ("GET", "/v1beta/models"): answers(
            outer("models", "name", GOOGLE_FIELDS, nextPageToken=json_values)),
    },
    "openai": {("GET", "/models"): answers(outer("data", "id", OPENAI_FIELDS))},
    "openai_compatible": {("GET", "/models"): answers(outer("data", "id", OPENAI_FIELDS))},
    "anthropic": {
        ("GET", "/v1/models"): answers(outer("data", "id", ANTHROPIC_FIELDS,
                                             has_more=json_values, last_id=json_values)),
    },
    "azure": {
        ("GET", "/openai/models"): answers(outer("data", "id", ("capabilities",))),
        ("GET", f"/openai/deployments/{DEPLOYMENT}"): answers(
            st.fixed_dictionaries({}, optional={"model": json_values, "id": json_values})),
    },
    "ollama": {
        ("GET", "/api/version"): answers(
            st.fixed_dictionaries({}, optional={"version": json_values})),
        ("GET", "/api/tags"): answers(outer("models", "name", ("details", "capabilities"))),
        ("POST", "/api/show"): answers(st.fixed_dictionaries({}, optional={
            name: field_value(name) for name in ("details", "capabilities", "model_info")
        })),
    },
}


def check_model(model: Any) -> None:
    """What the rest of the package relies on in a discovered model."""
    assert isinstance(model, DiscoveredModel)
    assert isinstance(model.provider_model_id, str) and model.provider_model_id.strip()
    assert isinstance(model.display_name, str) and model.display_name
    assert isinstance(model.modality, list)
    assert all(isinstance(m, str) for m in model.modality)
    window = model.context_window
    assert window is None or (type(window) is int and 0 < window <= MAX_INT)
    for cost in (model.input_cost_per_1k, model.output_cost_per_1k):
        assert cost is None or (isinstance(cost, float) and math.isfinite(cost) and cost >= 0)
    assert isinstance(model.meta, dict)


def exercise(provider_type: str, mocked: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    with rm.Mocker() as mock:
        for (method, path), responses in mocked.items():
            mock.register_uri(method, BASES[provider_type] + path, responses)
        result = make_adapter(provider_type).test_connection()
        assert isinstance(result, ConnectionResult)
        assert result.status in ("valid", "invalid")
        assert isinstance(result.message, str) and result.message
        assert KEY not in result.message
        try:
            models = make_adapter(provider_type).discover_models()
        except ProviderError as err:
            assert isinstance(err.message, str) and err.message
            assert KEY not in err.message
            return
        assert isinstance(models, list)
        for model in models:
            check_model(model)


def property_test(provider_type: str) -> Callable[[], None]:
    routes = ROUTES[provider_type]

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.fixed_dictionaries(routes))
    def run(mocked: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        exercise(provider_type, mocked)

    return run


@pytest.mark.parametrize("provider_type", sorted(ROUTES))
def test_any_json_of_the_right_shape_gives_a_result_or_a_provider_error(
    provider_type: str,
) -> None:
    property_test(provider_type)()


def test_every_builtin_type_is_fuzzed() -> None:
    from task_master_llm.adapters.registry import BUILTIN_ADAPTERS

    assert {cls.type_name for cls in BUILTIN_ADAPTERS} == set(ROUTES)


# --- the cases found by hand -------------------------------------------------------------


def test_google_error_details_not_a_list_is_an_invalid_result(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(BASES["google"] + "/v1beta/models", status_code=400, json={
        "error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "x", "details": 5}})

    result = make_adapter("google").test_connection()

    assert (result.status, result.error_kind) == ("invalid", "bad_response")
    assert "INVALID_ARGUMENT" in result.message


def test_google_429_details_not_a_list_is_rate_limited(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASES["google"] + "/v1beta/models", status_code=429, json={
        "error": {"code": 429, "details": {"retryDelay": "5s"}}})

    result = make_adapter("google").test_connection()

    assert (result.status, result.error_kind) == ("invalid", "rate_limited")


def test_anthropic_capabilities_not_an_object_is_ignored(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASES["anthropic"] + "/v1/models", json={
        "data": [{"id": "claude-made-up-1", "display_name": "Made Up", "capabilities": [1]}],
        "has_more": False})

    (model,) = make_adapter("anthropic").discover_models()

    assert model.provider_model_id == "claude-made-up-1"
    assert model.display_name == "Made Up"
    assert model.modality == ["text"]
    assert "imageInput" not in model.meta["raw"]


def test_ollama_tag_details_not_an_object_is_ignored(requests_mock: rm.Mocker) -> None:
    base = BASES["ollama"]
    requests_mock.get(base + "/api/tags", json={
        "models": [{"name": "made-up:7b", "details": "q4"}]})
    requests_mock.post(base + "/api/show", json={
        "details": {"family": "llama", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion"]})

    (model,) = make_adapter("ollama").discover_models()

    assert model.provider_model_id == "made-up:7b"
    assert model.meta["raw"]["family"] == "llama"
    assert model.meta["raw"]["quantization_level"] == "Q4_K_M"


def test_ollama_show_details_not_an_object_is_ignored(requests_mock: rm.Mocker) -> None:
    base = BASES["ollama"]
    requests_mock.get(base + "/api/tags", json={
        "models": [{"name": "made-up:7b", "details": {"family": "qwen"}}]})
    requests_mock.post(base + "/api/show", json={
        "details": [1, 2], "capabilities": ["completion", 3, "tools"]})

    (model,) = make_adapter("ollama").discover_models()

    assert model.meta["raw"]["family"] == "qwen"
    assert model.meta["raw"]["capabilities"] == ["completion", "tools"]
    assert "tools" in model.modality


def test_price_too_large_for_a_float_is_no_price(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASES["openai_compatible"] + "/models", json={"data": [
        {"id": "made-up-chat", "pricing": {"prompt": 10**400, "completion": "Infinity"},
         "context_length": True}]})

    (model,) = make_adapter("openai_compatible").discover_models()

    assert model.input_cost_per_1k is None and model.output_cost_per_1k is None
    assert model.context_window is None


@pytest.mark.parametrize("limit", [10**30, True, -5, 0, "1000"])
def test_token_limit_must_be_a_storable_positive_integer(
    limit: Any, requests_mock: rm.Mocker
) -> None:
    requests_mock.get(BASES["google"] + "/v1beta/models", json={"models": [
        {"name": "models/gemini-made-up", "inputTokenLimit": limit,
         "supportedGenerationMethods": ["generateContent"]}]})

    (model,) = make_adapter("google").discover_models()

    assert model.context_window is None


def test_odd_page_tokens_and_ids_stop_cleanly(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASES["google"] + "/v1beta/models", json={"models": [
        {"name": "models/", "supportedGenerationMethods": ["generateContent"]},
        {"name": "  ", "supportedGenerationMethods": ["generateContent"]}],
        "nextPageToken": {"a": 1}})
    requests_mock.get(BASES["anthropic"] + "/v1/models", json={
        "data": [{"id": "claude-x"}], "has_more": "false", "last_id": ["claude-x"]})

    assert make_adapter("google").discover_models() == []
    assert requests_mock.call_count == 1
    assert [m.provider_model_id for m in make_adapter("anthropic").discover_models()] == [
        "claude-x"]
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("provider_type", sorted(BASES))
def test_json_nested_too_deep_is_bad_response(
    provider_type: str, requests_mock: rm.Mocker
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    requests_mock.get(rm.ANY, text=deep, headers={"Content-Type": "application/json"})
    requests_mock.post(rm.ANY, text=deep, headers={"Content-Type": "application/json"})

    result = make_adapter(provider_type).test_connection()

    assert (result.status, result.error_kind) == ("invalid", "bad_response")
    with pytest.raises(ProviderError) as caught:
        make_adapter(provider_type).discover_models()
    assert caught.value.error_kind == "bad_response"
