"""Error mapping: every provider type, every error kind, with the key canary checked.

Each case mocks the provider's answer with requests-mock and checks the ``error_kind``,
an actionable message, and that the key is in no message, log line or URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests_mock as rm

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.errors import ProviderError
from tests.support import LONG_KEY

CANARY = "sk-CANARY-123456789abcdef"

BASES = {
    "google": "https://generativelanguage.googleapis.com",
    "openai": "https://api.openai.com/v1",
    "openai_compatible": "https://llm.example.com/v1",
    "anthropic": "https://api.anthropic.com",
    "azure": "https://res.openai.azure.com",
    "ollama": "http://localhost:11434",
}
PROBE_PATHS = {
    "google": "/v1beta/models",
    "openai": "/models",
    "openai_compatible": "/models",
    "anthropic": "/v1/models",
    "azure": "/openai/models",
    "ollama": "/api/version",
}


def make_adapter(provider_type: str, **extra: Any) -> Any:
    """An adapter with the canary key and instant retries."""
    defaults: dict[str, Any] = {"api_key": CANARY}
    if provider_type in ("openai_compatible", "azure"):
        defaults["base_url"] = BASES[provider_type]
    if provider_type == "azure":
        defaults["deployment_id"] = "gpt4o-prod"
    defaults.update(extra)
    settings = HttpSettings(sleep=lambda _s: None, backoff_base=0.0)
    return create_adapter(ProviderConfig(provider_type, name="p", **defaults), settings)


@pytest.fixture
def guarded(requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture):
    """Yields the mocker; afterwards the canary must be absent from logs and URLs."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    yield requests_mock
    assert CANARY not in caplog.text
    for request in requests_mock.request_history:
        assert CANARY not in request.url


@dataclass
class Case:
    provider_type: str
    status: int
    body: Any
    kind: str
    says: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.provider_type}-{self.status}-{self.kind}"


def google_error(status: int, code: int, state: str, reason: str | None = None, **more: Any):
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}] if (
        reason) else []
    details += more.get("details", [])
    return {"error": {"code": code, "message": "msg " + CANARY, "status": state,
                      "details": details}}


def openai_error(code: str | None, message: str = "x") -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": code}}


def anthropic_error(kind: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": "m " + CANARY},
            "request_id": "req_1"}


CASES = [
    Case("google", 400, google_error(400, 400, "INVALID_ARGUMENT", "API_KEY_INVALID"), "auth",
         ("Google rejected the API key (API_KEY_INVALID)",)),
    Case("google", 403, google_error(403, 403, "PERMISSION_DENIED"), "permission",
         ("Google refused access", "PERMISSION_DENIED")),
    Case("google", 400, google_error(400, 400, "FAILED_PRECONDITION"), "region",
         ("location",)),
    Case("google", 429, google_error(429, 429, "RESOURCE_EXHAUSTED", details=[
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "59s"}]), "quota",
         ("RESOURCE_EXHAUSTED", "59s")),
    Case("google", 404, google_error(404, 404, "NOT_FOUND"), "not_found",
         ("generativelanguage.googleapis.com",)),
    Case("google", 503, google_error(503, 503, "UNAVAILABLE"), "bad_response",
         ("Google", "503", "try again later")),
    Case("openai", 401, openai_error("invalid_api_key", f"Incorrect API key provided: {CANARY}"),
         "auth", ("OpenAI rejected the API key (invalid_api_key)",)),
    Case("openai", 401, openai_error("mismatched_organization"), "auth",
         ("The OpenAI key does not belong to organization org-x",), {"org_id": "org-x"}),
    Case("openai", 403, openai_error("unsupported_country_region_territory"), "region",
         ("country or region",)),
    Case("openai", 429, openai_error("insufficient_quota"), "quota",
         ("no quota left", "billing")),
    Case("openai", 429, openai_error("rate_limit_exceeded"), "rate_limited",
         ("rate limiting", "in 3s"), headers={"retry-after": "3"}),
    Case("openai", 404, {"error": {"message": "not found", "code": None}}, "not_found",
         ("api.openai.com", "base URL")),
    Case("openai_compatible", 401, {"detail": "bad key"}, "auth",
         ("OpenAI-compatible rejected the API key",)),
    Case("openai_compatible", 403, openai_error(None, "forbidden"), "permission",
         ("OpenAI-compatible refused access",)),
    Case("anthropic", 401, anthropic_error("authentication_error"), "auth",
         ("Anthropic rejected the API key (authentication_error)",)),
    Case("anthropic", 403, anthropic_error("permission_error"), "permission",
         ("permission_error",)),
    Case("anthropic", 404, anthropic_error("not_found_error"), "not_found",
         ("api.anthropic.com",)),
    Case("anthropic", 429, anthropic_error("rate_limit_error"), "rate_limited",
         ("rate_limit_error",)),
    Case("anthropic", 400, anthropic_error("billing_error"), "quota", ("billing",)),
    Case("anthropic", 529, anthropic_error("overloaded_error"), "bad_response",
         ("overloaded",)),
    Case("azure", 401, {"error": {"code": "401", "message": "Access denied"}}, "auth",
         ("Azure OpenAI rejected the key", "RESOURCE.openai.azure.com")),
    Case("azure", 404, {"error": {"code": "404", "message": "Resource not found"}},
         "not_found", ("res.openai.azure.com", "without /openai")),
    Case("azure", 429, {"error": {"code": "429", "message": "slow down"}}, "rate_limited",
         ("rate limiting",)),
    Case("ollama", 401, {"error": "unauthorized"}, "auth", ("Ollama rejected the API key",)),
    Case("ollama", 404, "404 page not found", "not_found", ("localhost:11434",)),
    Case("ollama", 500, {"error": "boom"}, "bad_response", ("server error",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_test_connection_maps_error(case: Case, guarded: rm.Mocker) -> None:
    adapter = make_adapter(case.provider_type, **case.extra)
    url = BASES[case.provider_type] + PROBE_PATHS[case.provider_type]
    kwargs = {"json": case.body} if not isinstance(case.body, str) else {"text": case.body}
    guarded.get(url, status_code=case.status, headers=case.headers, **kwargs)

    result = adapter.test_connection()

    assert result.status == "invalid"
    assert result.error_kind == case.kind
    assert result.latency_ms is None
    for fragment in case.says:
        assert fragment in result.message
    assert CANARY not in result.message
    sent = guarded.request_history[0].headers
    assert CANARY in " ".join(sent.values()), "the key travels in a header"


# Azure discovers by deployment; Anthropic answers a 404 with its built-in list (both are
# covered in test_adapters_discovery.py), so neither belongs in this table.
@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c.provider_type != "azure"
        and not (c.provider_type == "anthropic" and c.kind == "not_found")
    ],
    ids=lambda c: c.id,
)
def test_discover_raises_same_kind(case: Case, guarded: rm.Mocker) -> None:
    adapter = make_adapter(case.provider_type, **case.extra)
    list_path = {"ollama": "/api/tags"}.get(case.provider_type, PROBE_PATHS[case.provider_type])
    kwargs = {"json": case.body} if not isinstance(case.body, str) else {"text": case.body}
    guarded.get(BASES[case.provider_type] + list_path, status_code=case.status,
                headers=case.headers, **kwargs)

    with pytest.raises(ProviderError) as info:
        adapter.discover_models()

    assert info.value.error_kind == case.kind
    assert CANARY not in str(info.value) and CANARY not in repr(info.value.to_dict())


@pytest.mark.parametrize("provider_type", sorted(BASES))
@pytest.mark.parametrize(
    ("content_type", "text"),
    [("text/html; charset=utf-8", "<html><body>Welcome to nginx</body></html>"),
     ("application/json", '{"models": [ truncated')],
    ids=["html", "malformed-json"],
)
def test_html_or_malformed_json_is_bad_response(
    provider_type: str, content_type: str, text: str, guarded: rm.Mocker
) -> None:
    adapter = make_adapter(provider_type)
    url = BASES[provider_type] + PROBE_PATHS[provider_type]
    guarded.get(url, text=text, headers={"Content-Type": content_type})

    result = adapter.test_connection()

    assert (result.status, result.error_kind) == ("invalid", "bad_response")
    assert adapter.display_name in result.message


def test_openai_restricted_key_is_valid_but_cannot_discover(guarded: rm.Mocker) -> None:
    body = openai_error(None, "You have insufficient permissions for this operation. "
                              "Missing scopes: api.model.read.")
    guarded.get("https://api.openai.com/v1/models", status_code=403, json=body)
    adapter = make_adapter("openai")

    result = adapter.test_connection()
    assert result.status == "valid"
    assert "api.model.read" in result.message and "cannot be listed" in result.message
    assert result.latency_ms is not None

    with pytest.raises(ProviderError) as info:
        adapter.discover_models()
    assert info.value.error_kind == "permission"
    assert "api.model.read" in info.value.message


class TestAzureDeployment:
    """The deployment check: only DeploymentNotFound proves the deployment is missing."""

    models = "https://res.openai.azure.com/openai/models"
    deployment = "https://res.openai.azure.com/openai/deployments/gpt4o-prod"

    def test_missing_deployment_is_not_found(self, guarded: rm.Mocker) -> None:
        guarded.get(self.models, json={"data": [{"id": "gpt-4o"}]})
        guarded.get(self.deployment, status_code=404, json={"error": {
            "code": "DeploymentNotFound", "message": "The API deployment does not exist."}})
        result = make_adapter("azure").test_connection()
        assert (result.status, result.error_kind) == ("invalid", "not_found")
        assert result.message.startswith("Azure has no deployment named gpt4o-prod on this "
                                         "resource")

    def test_plain_404_is_not_proof(self, guarded: rm.Mocker) -> None:
        guarded.get(self.models, json={"data": []})
        guarded.get(self.deployment, status_code=404,
                    json={"error": {"code": "404", "message": "Resource not found"}})
        result = make_adapter("azure").test_connection()
        assert result.status == "valid"
        assert "could not be confirmed" in result.message
        assert guarded.request_history[1].qs["api-version"] == ["2023-03-15-preview"]

    def test_existing_deployment(self, guarded: rm.Mocker) -> None:
        guarded.get(self.models, json={"data": []})
        guarded.get(self.deployment, json={"id": "gpt4o-prod", "model": "gpt-4o"})
        result = make_adapter("azure").test_connection()
        assert result.status == "valid" and "gpt-4o" in result.message
        assert guarded.request_history[0].qs["api-version"] == ["2024-10-21"]
        assert guarded.request_history[0].headers["api-key"] == CANARY


# --- a provider echoing part of the key in its error code ------------------------------

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
