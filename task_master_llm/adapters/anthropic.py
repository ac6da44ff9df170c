"""Anthropic (api.anthropic.com): ``GET /v1/models`` with ``after_id`` pagination."""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from task_master_llm.adapters.base import DiscoveredModel, FieldRule, Lifecycle
from task_master_llm.adapters.common import (
    ErrorTable,
    HttpProviderAdapter,
    as_bool,
    as_code,
    as_datetime,
    as_dict,
    as_int,
    as_str,
    error_dict,
    items_of,
)
from task_master_llm.adapters.http import ProviderHttp
from task_master_llm.errors import ProviderError

API_VERSION = "2023-06-01"
_MAX_PAGES = 50

#: Offered only when the base URL cannot list models at all (a proxy answering 404),
#: never on an auth or network failure. Facts come from the catalog.
FALLBACK_MODELS = (
    "claude-opus-4-7",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-opus-4-1",
    "claude-sonnet-4-5",
)


class AnthropicAdapter(HttpProviderAdapter):
    """Claude models with capabilities and input limits from the provider."""

    type_name = "anthropic"
    gateway_credential: ClassVar[str | None] = "anthropic"
    display_name = "Anthropic"
    default_base_url = "https://api.anthropic.com"
    fields = FieldRule(api_key="required", base_url="optional")

    ERRORS: ClassVar[ErrorTable] = {
        "authentication_error": ("auth", "Anthropic rejected the API key "
                                         "(authentication_error) - check the key."),
        "permission_error": ("permission", "Anthropic refused access (permission_error) - "
                                           "the key is not allowed to do this."),
        "not_found_error": ("not_found", "Anthropic at {host} has no such endpoint "
                                         "(not_found_error) - check the base URL."),
        "rate_limit_error": ("rate_limited", "Anthropic is rate limiting requests "
                                             "(rate_limit_error) - try again {retry}."),
        "billing_error": ("quota", "Anthropic refused the request for billing reasons "
                                   "(billing_error) - check the account's credit."),
        "overloaded_error": ("bad_response", "Anthropic is overloaded (overloaded_error) - "
                                             "try again later."),
        "api_error": ("bad_response", "Anthropic had an internal error (api_error) - try "
                                      "again later."),
    }

    def auth_headers(self) -> dict[str, str]:
        """``x-api-key`` and the pinned ``anthropic-version``."""
        return {"x-api-key": self.config.api_key or "", "anthropic-version": API_VERSION}

    def error_code(self, body: Any, response: requests.Response) -> str | None:
        """``error.type``."""
        return as_code(error_dict(body).get("type"))

    def probe(self, http: ProviderHttp) -> str:
        """``GET /v1/models?limit=1`` (free)."""
        items_of(http.get_json("/v1/models", params={"limit": 1}), "data", http, id_key="id")
        return f"Anthropic accepted the API key at {http.host}."

    def discover_models(self) -> list[DiscoveredModel]:
        """All pages of ``/v1/models``; the fallback list only if listing is unsupported."""
        self.listing_incomplete = None
        try:
            return self._list()
        except ProviderError as err:
            if err.error_kind != "not_found":
                raise
        self.listing_incomplete = ("the base URL cannot list models: a fallback list is "
                                   "offered instead")
        return [self._fallback(model_id) for model_id in FALLBACK_MODELS]

    def _list(self) -> list[DiscoveredModel]:
        found: list[DiscoveredModel] = []
        with self.http(listing=True) as http:
            after: str | None = None
            for _page in range(_MAX_PAGES):
                params: dict[str, Any] = {"limit": 1000}
                if after:
                    params["after_id"] = after
                body = http.get_json("/v1/models", params=params)
                items = items_of(body, "data", http, id_key="id")
                found.extend(self._model(i) for i in items if i.get("lifecycle") != "retired")
                last = as_str(body.get("last_id")) or (items[-1]["id"] if items else None)
                if body.get("has_more") is not True or not last or last == after:
                    break
                after = last
            else:
                self.listing_incomplete = f"Anthropic listed more than {_MAX_PAGES} pages"
        return found

    def _model(self, item: dict[str, Any]) -> DiscoveredModel:
        kept = ("id", "display_name", "created_at", "max_input_tokens", "max_tokens",
                "lifecycle", "deprecated_at", "retires_at")
        raw: dict[str, Any] = {k: item[k] for k in kept if k in item}
        modality = ["text"]
        decided: list[str] = []
        capabilities = as_dict(item.get("capabilities"))
        for key, value, raw_key in (("image_input", "vision", "imageInput"),
                                    ("thinking", "reasoning", "thinking"),
                                    ("structured_outputs", "structured_output",
                                     "structuredOutputs")):
            supported = as_bool(as_dict(capabilities.get(key)).get("supported"))
            if supported is None:
                continue
            decided.append(value)
            raw[raw_key] = supported
            if supported:
                modality.append(value)
        model = DiscoveredModel(
            provider_model_id=item["id"],
            display_name=as_str(item.get("display_name")) or item["id"],
            modality=modality,
            context_window=as_int(item.get("max_input_tokens")),
            max_output_tokens=as_int(item.get("max_tokens")),
            meta={"raw": raw},
            lifecycle=_lifecycle(item),
        )
        if decided:
            model.meta["sources"] = {"modality": "provider"}
        return self.finish(model, decided=tuple(decided))

    def _fallback(self, model_id: str) -> DiscoveredModel:
        model = DiscoveredModel(provider_model_id=model_id, display_name=model_id,
                                modality=["text"], meta={"raw": {}, "fallback": True})
        return self.finish(model)


def _lifecycle(item: dict[str, Any]) -> Lifecycle:
    """``lifecycle`` (active|deprecated), ``deprecated_at`` and ``retires_at``."""
    stage = as_str(item.get("lifecycle"))
    deprecated_at = as_datetime(item.get("deprecated_at"))
    retires_at = as_datetime(item.get("retires_at"))
    if stage is None and deprecated_at is None and retires_at is None:
        return Lifecycle()
    deprecated = stage == "deprecated" or (stage is None and deprecated_at is not None)
    return Lifecycle(status="deprecated" if deprecated else "active",
                     deprecated_at=deprecated_at, retires_at=retires_at, source="provider")
