"""A local OpenAI ``/v1/models`` (and any openai_compatible server) per contracts/providers.md."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from standins.providers._base import Reply, Request
from standins.providers._models import ModelServer

OPENAI_DEMO_KEY = "demo-openai-key"
OPENAI_COMPATIBLE_DEMO_KEY = "demo-openai-compatible-key"
#: A key that is real but lacks the ``api.model.read`` scope (403 on list).
OPENAI_RESTRICTED_KEY = "demo-openai-restricted-key"

#: A realistic mix: chat ids, a fine-tune, and ids the chat filter must drop.
OPENAI_MODEL_IDS = [
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "o1", "o4-mini",
    "chatgpt-4o-latest", "ft:gpt-4o-mini:org::abc",
    "text-embedding-3-small", "text-embedding-3-large", "whisper-1", "dall-e-3", "tts-1",
    "tts-1-hd", "gpt-4o-realtime-preview", "gpt-4o-transcribe", "gpt-4o-audio-preview",
    "omni-moderation-latest", "gpt-image-1", "babbage-002",
]
#: models OpenAI announced a shutdown for (the list then carries ``shutdown_date``)
OPENAI_SHUTDOWN_DATES = {"chatgpt-4o-latest": "2026-02-17", "o1": "2026-07-01"}


def openai_models(
    count: int | None = None, *, sparse: bool = False
) -> list[dict[str, Any]]:
    """Model objects for ``OPENAI_MODEL_IDS``, cut or padded to ``count``.

    ``sparse`` leaves ``created``/``owned_by`` off every other entry, as some
    openai_compatible servers do.
    """
    ids = list(OPENAI_MODEL_IDS)
    if count is not None:
        ids += [f"gpt-gen-{i + 1:04d}" for i in range(max(0, count - len(ids)))]
        ids = ids[:count]
    models = []
    for i, model_id in enumerate(ids):
        entry: dict[str, Any] = {"id": model_id, "object": "model"}
        if not (sparse and i % 2):
            entry["created"] = 1700000000 + i * 86400
            entry["owned_by"] = "org-demo" if model_id.startswith("ft:") else "system"
        if not sparse and model_id in OPENAI_SHUTDOWN_DATES:
            entry["shutdown_date"] = OPENAI_SHUTDOWN_DATES[model_id]
        models.append(entry)
    return models


class OpenAIServer(ModelServer):
    """OpenAI's ``GET /v1/models`` and ``GET /v1/models/{id}`` with Bearer auth.

    Extra knobs: ``organization`` (when set, an ``OpenAI-Organization`` header naming
    another org is 401 ``mismatched_organization``), ``restricted_keys`` (accepted keys
    that get 403 "Missing scopes: api.model.read"), ``region_blocked`` (403
    ``unsupported_country_region_territory``), ``require_key`` (False: serve without a
    key, like a local vLLM), ``models``.
    """

    provider_type = "openai"
    DEMO_KEY = OPENAI_DEMO_KEY
    base_path = "/v1"

    def __init__(
        self,
        *,
        model_count: int | None = None,
        models: Iterable[dict[str, Any]] | None = None,
        organization: str | None = None,
        restricted_keys: Iterable[str] = (OPENAI_RESTRICTED_KEY,),
        region_blocked: bool = False,
        require_key: bool = True,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        sparse = self.provider_type == "openai_compatible"
        self.models = models if models is not None else openai_models(model_count, sparse=sparse)
        self.organization = organization
        self.restricted_keys = set(restricted_keys)
        self.region_blocked = region_blocked
        self.require_key = require_key


    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """OpenAI's ``{"error": {message, type, param, code}}`` shape."""
        if status == 429:
            return _error(
                "Rate limit reached for requests. Please try again in 1s.",
                "requests", "rate_limit_exceeded",
            )
        return _error(message, "server_error", None)

    def route(self, request: Request) -> Reply:
        """Serve the models routes under ``/v1``."""
        path = request.path.rstrip("/")
        if not path.startswith("/v1/models"):
            return Reply(404, _error(
                f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None
            ))
        key = request.bearer()
        if self.require_key or key:
            denied = self._check_auth(request, key)
            if denied is not None:
                return denied
        if self.region_blocked:
            return Reply(403, _error(
                "Country, region, or territory not supported", "request_forbidden",
                "unsupported_country_region_territory",
            ))
        if request.method != "GET":
            return Reply(405, _error("Method not allowed", "invalid_request_error", None))
        if path == "/v1/models":
            return Reply(200, {"object": "list", "data": self.models})
        wanted = path[len("/v1/models/"):]
        for model in self.models:
            if model.get("id") == wanted:
                return Reply(200, model)
        return Reply(404, _error(
            f"The model '{wanted}' does not exist", "invalid_request_error", "model_not_found"
        ))

    def _check_auth(self, request: Request, key: str | None) -> Reply | None:
        if not key:
            return Reply(401, _error(
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error", None,
            ))
        if key in self.restricted_keys:
            return Reply(403, _error(
                "You have insufficient permissions for this operation. Missing scopes: "
                "api.model.read. Check that you have the correct role in your organization "
                "(Reader, Writer, Owner) and project (Member, Owner), and if you're using a "
                "restricted API key, that it has the necessary scopes.",
                "invalid_request_error", None,
            ))
        if not self.key_is_valid(key):
            return Reply(401, _error(
                f"Incorrect API key provided: {_mask(key)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error", "invalid_api_key",
            ))
        org = request.headers.get("OpenAI-Organization")
        if self.organization and org and org != self.organization:
            return Reply(401, _error(
                "OpenAI-Organization header should match organization for API key",
                "invalid_request_error", "mismatched_organization",
            ))
        return None


class OpenAICompatibleServer(OpenAIServer):
    """An openai_compatible server (vLLM, LM Studio, ...): same routes, sparser models."""

    provider_type = "openai_compatible"
    DEMO_KEY = OPENAI_COMPATIBLE_DEMO_KEY


def _error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _mask(key: str) -> str:
    """OpenAI shows ``sk-...abcd``; short keys are fully masked."""
    return f"{key[:3]}...{key[-4:]}" if len(key) >= 12 else "****"
