"""OpenAI (api.openai.com). The list gives ids only; context and prices come from the
catalog."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import requests

from task_master_llm.adapters.base import DiscoveredModel, FieldRule, Lifecycle
from task_master_llm.adapters.common import (
    ErrorTable,
    HttpProviderAdapter,
    as_code,
    as_datetime,
    error_dict,
    items_of,
)
from task_master_llm.adapters.http import ProviderHttp
from task_master_llm.errors import ProviderError

#: A restricted key without the "Models: Read" scope: OpenAI sends no code for it.
MISSING_MODEL_SCOPE = "missing_scope:api.model.read"

_CHAT_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "codex-")
_NOT_CHAT = ("embedding", "tts", "whisper", "transcribe", "dall-e", "image", "moderation",
             "realtime", "audio")


def is_openai_chat_model(model_id: str) -> bool:
    """The contract's chat filter; fine-tunes (``ft:gpt-4o-mini:org::id``) count as chat."""
    base = model_id.split(":", 2)[1] if model_id.startswith("ft:") else model_id
    lowered = base.lower()
    if not lowered.startswith(_CHAT_PREFIXES):
        return False
    return not any(word in lowered for word in _NOT_CHAT)


class OpenAIAdapter(HttpProviderAdapter):
    """OpenAI's ``GET {base}/models`` with Bearer auth and an optional organization."""

    type_name = "openai"
    gateway_credential: ClassVar[str | None] = "openai"
    display_name = "OpenAI"
    default_base_url: ClassVar[str | None] = "https://api.openai.com/v1"
    fields = FieldRule(api_key="required", base_url="optional", org_id="optional")

    ERRORS: ClassVar[ErrorTable] = {
        "invalid_api_key": ("auth", "{provider} rejected the API key (invalid_api_key) - "
                                    "check the key."),
        "mismatched_organization": ("auth", "The {provider} key does not belong to "
                                            "organization {org} (mismatched_organization) - "
                                            "fix or clear the organization id."),
        "invalid_organization": ("auth", "{provider} does not know organization {org} "
                                         "(invalid_organization) - fix or clear the "
                                         "organization id."),
        "unsupported_country_region_territory": (
            "region", "{provider} does not serve requests from this server's country or "
                      "region (unsupported_country_region_territory)."),
        "insufficient_quota": ("quota", "The {provider} account has no quota left "
                                        "(insufficient_quota) - check billing and usage "
                                        "limits."),
        "rate_limit_exceeded": ("rate_limited", "{provider} is rate limiting requests "
                                                "(rate_limit_exceeded) - try again {retry}."),
        MISSING_MODEL_SCOPE: ("permission", "The {provider} key is real but restricted: it "
                                            "lacks the api.model.read scope, so it cannot list "
                                            "models - give it 'Models: Read' permission or use "
                                            "an unrestricted key."),
    }

    def auth_headers(self) -> dict[str, str]:
        """Bearer key, plus ``OpenAI-Organization`` when an org id is set."""
        headers = {}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        if self.config.org_id:
            headers["OpenAI-Organization"] = self.config.org_id
        return headers

    def error_code(self, body: Any, response: requests.Response) -> str | None:
        """``error.code``; a 403 without a code that names the models scope is a
        restricted key (the only case where the message text is read: no code exists)."""
        error = error_dict(body)
        code = as_code(error.get("code"))
        if code:
            return code
        message = error.get("message")
        if response.status_code == 403 and isinstance(message, str) and (
            "api.model.read" in message
        ):
            return MISSING_MODEL_SCOPE
        return None

    def probe(self, http: ProviderHttp) -> str:
        """``GET {base}/models`` (free). A key that only lacks the list scope is valid:
        OpenAI authenticated it, and it can still chat."""
        try:
            body = http.get_json("/models")
        except ProviderError as err:
            if err.provider_code != MISSING_MODEL_SCOPE:
                raise
            return (
                f"The {self.display_name} key is valid but restricted: it lacks the "
                "api.model.read scope, so models cannot be listed (discovery will fail). "
                "Agents can still use it; give it 'Models: Read' to discover models."
            )
        items = items_of(body, "data", http, id_key="id")
        chat = sum(1 for item in items if self.is_chat(item["id"]))
        counts = model_counts(len(items), chat)
        return f"{self.display_name} accepted the API key at {http.host} ({counts})."

    def discover_models(self) -> list[DiscoveredModel]:
        """The chat models of ``GET {base}/models``, enriched from the catalog."""
        with self.http(listing=True) as http:
            body = http.get_json("/models")
        items = items_of(body, "data", http, id_key="id")
        del body  # from here each listed item is freed as soon as its model is built,
        items.reverse()  # so the parsed list and every model are not all held at once
        models = []
        while items:
            item = items.pop()
            if self.is_chat(item["id"]) and self.outputs_text(item):
                models.append(self._model(item))
        return models

    def is_chat(self, model_id: str) -> bool:
        """Whether a listed id is a chat model."""
        return is_openai_chat_model(model_id)

    def outputs_text(self, item: dict[str, Any]) -> bool:
        """Whether a listed chat model answers in text (OpenAI's list does not say: yes)."""
        return True

    def _model(self, item: dict[str, Any]) -> DiscoveredModel:
        raw: dict[str, Any] = {"id": item["id"]}
        for key in ("created", "owned_by", "shutdown_date"):
            if key in item:
                raw[key] = _one_copy(item[key])
        model = DiscoveredModel(provider_model_id=item["id"], display_name=item["id"],
                                modality=["text"], meta={"raw": raw})
        shutdown = as_datetime(item.get("shutdown_date"))
        if shutdown is not None:  # OpenAI announced the model's end
            model.lifecycle = Lifecycle(status="deprecated", retires_at=shutdown,
                                        source="provider")
        decided = self.provider_facts(model, item)
        if decided:
            model.meta.setdefault("sources", {})["modality"] = "provider"
        return self.finish(model, decided=decided)

    def provider_facts(self, model: DiscoveredModel, item: dict[str, Any]) -> tuple[str, ...]:
        """Facts beyond the id that some servers add (none for OpenAI itself); returns the
        capability values the server decided (the catalog adds no others)."""
        return ()


def _one_copy(value: Any) -> Any:
    """``value``; a short text (``owned_by``, a date) as the one copy all models share
    (the JSON parser makes a new string per occurrence, and most models say "system")."""
    if isinstance(value, str) and len(value) <= 64:
        return sys.intern(value)
    return value


def model_counts(listed: int, chat: int) -> str:
    """"21 models, 9 of them chat models": what the key sees, and how many of those
    Discover offers (it lists chat models only)."""
    models = f"{listed} model{'' if listed == 1 else 's'}"
    if listed and chat == listed:
        return f"{models}, all of them chat models" if listed > 1 else f"{models}, a chat model"
    return f"{models}, {chat} of them {'a chat model' if chat == 1 else 'chat models'}"
