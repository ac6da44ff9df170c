"""Google Gemini API (generativelanguage.googleapis.com).

The key goes in the ``x-goog-api-key`` header, never as a query parameter: URLs end up in logs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from task_master_llm.adapters import catalog
from task_master_llm.adapters.base import DiscoveredModel, FieldRule
from task_master_llm.adapters.common import (
    ErrorTable,
    HttpProviderAdapter,
    as_bool,
    as_code,
    as_dict,
    as_int,
    as_list,
    as_str,
    error_dict,
    items_of,
)
from task_master_llm.adapters.http import ProviderHttp

_LIST_PATH = "/v1beta/models"
_MAX_PAGES = 50
#: words of a model id that name a non-text output (the fallback when the catalog does
#: not know the model): text-to-speech, image generation, native audio
_NOT_TEXT_OUTPUT = frozenset({"tts", "image", "audio"})


class GoogleAdapter(HttpProviderAdapter):
    """Gemini models listed by ``GET /v1beta/models``."""

    type_name = "google"
    gateway_credential: ClassVar[str | None] = "google"
    display_name = "Google"
    default_base_url = "https://generativelanguage.googleapis.com"
    fields = FieldRule(api_key="required", base_url="optional")

    ERRORS: ClassVar[ErrorTable] = {
        "API_KEY_INVALID": ("auth", "Google rejected the API key (API_KEY_INVALID) - check "
                                    "the key in Google AI Studio."),
        "API_KEY_EXPIRED": ("auth", "The Google API key has expired (API_KEY_EXPIRED) - "
                                    "create a new key."),
        "UNAUTHENTICATED": ("auth", "Google did not accept the credentials (UNAUTHENTICATED) "
                                    "- check the API key."),
        "SERVICE_DISABLED": ("permission", "The Generative Language API is disabled for the "
                                           "key's Google Cloud project (SERVICE_DISABLED) - "
                                           "enable it or use an AI Studio key."),
        "API_KEY_SERVICE_BLOCKED": ("permission", "The Google API key is restricted and may "
                                                  "not call the Gemini API "
                                                  "(API_KEY_SERVICE_BLOCKED)."),
        "PERMISSION_DENIED": ("permission", "Google refused access (PERMISSION_DENIED) - the "
                                            "key is missing or not allowed to use the Gemini "
                                            "API."),
        "FAILED_PRECONDITION": ("region", "Google does not offer the Gemini API where this "
                                          "server is (FAILED_PRECONDITION: user location is "
                                          "not supported)."),
        "RESOURCE_EXHAUSTED": ("quota", "The quota of the key's Google project is exhausted "
                                        "(RESOURCE_EXHAUSTED) - retry {retry} or raise the "
                                        "quota."),
        "NOT_FOUND": ("not_found", "Google at {host} has no such endpoint (NOT_FOUND) - check "
                                   "the base URL."),
    }

    def auth_headers(self) -> dict[str, str]:
        """The key in ``x-goog-api-key``."""
        return {"x-goog-api-key": self.config.api_key or ""}

    def error_code(self, body: Any, response: requests.Response) -> str | None:
        """The ErrorInfo ``reason`` when present (more precise), else ``error.status``."""
        error = error_dict(body)
        for detail in as_list(error.get("details")):
            reason = as_code(as_dict(detail).get("reason"))
            if reason:
                return reason
        return as_code(error.get("status"))

    def retry_hint(self, body: Any, response: requests.Response) -> float | None:
        """``Retry-After`` when sent, else Google's RetryInfo detail (``"retryDelay": "59s"``)."""
        from_headers = super().retry_hint(body, response)
        if from_headers is not None:
            return from_headers
        for detail in as_list(error_dict(body).get("details")):
            delay = as_str(as_dict(detail).get("retryDelay"))
            if delay and delay.endswith("s"):
                try:
                    return float(delay[:-1])
                except ValueError:
                    break
        return None

    def probe(self, http: ProviderHttp) -> str:
        """``GET /v1beta/models?pageSize=1``: proves the key, spends no tokens."""
        body = http.get_json(_LIST_PATH, params={"pageSize": 1})
        items_of(body, "models", http, id_key="name")
        return f"Google accepted the API key at {http.host}."

    def discover_models(self) -> list[DiscoveredModel]:
        """Every text-output model supporting ``generateContent``, across all pages."""
        found: list[DiscoveredModel] = []
        self.listing_incomplete = None
        with self.http(listing=True) as http:
            token: str | None = None
            for _page in range(_MAX_PAGES):
                params: dict[str, Any] = {"pageSize": 1000}
                if token:
                    params["pageToken"] = token
                body = http.get_json(_LIST_PATH, params=params)
                items = items_of(body, "models", http, id_key="name")
                for item in items:
                    model = self._model(item) if _is_chat(item) else None
                    if model is not None:
                        found.append(model)
                next_token = as_str(body.get("nextPageToken"))
                if not next_token or next_token == token:
                    break
                token = next_token
            else:
                self.listing_incomplete = f"Google listed more than {_MAX_PAGES} pages"
        return found

    def _model(self, item: dict[str, Any]) -> DiscoveredModel | None:
        model_id = item["name"].removeprefix("models/")
        if not model_id.strip():  # "models/" names nothing
            return None
        if not _outputs_text(model_id):
            return None
        raw = {k: item[k] for k in ("name", "version", "inputTokenLimit", "outputTokenLimit",
                                    "supportedGenerationMethods", "thinking") if k in item}
        modality = ["text"]
        decided: tuple[str, ...] = ()
        thinking = as_bool(item.get("thinking"))
        if thinking is not None:
            decided = ("reasoning",)
            if thinking:
                modality.append("reasoning")
        model = DiscoveredModel(
            provider_model_id=model_id,
            display_name=as_str(item.get("displayName")) or model_id,
            modality=modality,
            context_window=as_int(item.get("inputTokenLimit")),
            max_output_tokens=as_int(item.get("outputTokenLimit")),
            meta={"raw": raw},
        )
        if decided:
            model.meta["sources"] = {"modality": "provider"}
        return self.finish(model, decided=decided)


def _is_chat(item: dict[str, Any]) -> bool:
    return "generateContent" in as_list(item.get("supportedGenerationMethods"))


def _outputs_text(model_id: str) -> bool:
    """Whether the model answers in text: the catalog's output modalities when it knows
    the model, else the provider's naming (``-tts``, ``-image``, ``native-audio``)."""
    known = catalog.outputs_only_text("google", model_id)
    if known is not None:
        return known
    return not (set(model_id.lower().replace("_", "-").split("-")) & _NOT_TEXT_OUTPUT)
