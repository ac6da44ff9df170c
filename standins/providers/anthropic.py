"""A local Anthropic ``/v1/models`` (limit + after_id pages) per contracts/providers.md."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from standins.providers._base import Reply, Request
from standins.providers._models import ModelServer, now_rfc3339

ANTHROPIC_DEMO_KEY = "demo-anthropic-key"
LIMIT_DEFAULT = 20
LIMIT_MAX = 1000


def _supported(value: bool) -> dict[str, bool]:
    return {"supported": value}


def _caps(image: bool, thinking: bool, structured: bool = False) -> dict[str, Any]:
    """``ModelInfo.capabilities`` with every key the SDK's type says is always present."""
    return {
        "batch": _supported(True),
        "citations": _supported(True),
        "code_execution": _supported(thinking),
        "context_management": {
            "supported": thinking,
            "clear_thinking_20251015": _supported(thinking),
            "clear_tool_uses_20250919": _supported(thinking),
            "compact_20260112": None,
        },
        "effort": {
            "supported": structured,
            "low": _supported(structured),
            "medium": _supported(structured),
            "high": _supported(structured),
            "max": _supported(structured),
            "xhigh": None,
        },
        "image_input": _supported(image),
        "pdf_input": _supported(image),
        "server_tools": {
            "supported": True,
            "code_execution": _supported(True),
            "web_search": _supported(True),
        },
        "structured_outputs": _supported(structured),
        "thinking": {
            "supported": thinking,
            "types": {
                "adaptive": _supported(structured),
                "between_tools": _supported(structured),
                "disabled": _supported(True),
                "enabled": _supported(thinking),
            },
        },
    }


#: Newest first, as the API lists them. The oldest lacks the optional fields (the SDK's
#: Optional ones); ``lifecycle`` and the other required ones are always there.
ANTHROPIC_MODELS: list[dict[str, Any]] = [
    {"id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
     "created_at": "2025-10-15T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000,
     "capabilities": _caps(True, True, True), "lifecycle": "active"},
    {"id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5",
     "created_at": "2025-09-29T00:00:00Z", "max_input_tokens": 1000000, "max_tokens": 64000,
     "capabilities": _caps(True, True, True), "lifecycle": "active"},
    {"id": "claude-opus-4-1-20250805", "display_name": "Claude Opus 4.1",
     "created_at": "2025-08-05T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 32000,
     "capabilities": _caps(True, True), "lifecycle": "active"},
    {"id": "claude-sonnet-4-20250514", "display_name": "Claude Sonnet 4",
     "created_at": "2025-05-14T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000,
     "capabilities": _caps(True, True), "lifecycle": "active"},
    {"id": "claude-3-7-sonnet-20250219", "display_name": "Claude Sonnet 3.7",
     "created_at": "2025-02-19T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000,
     "capabilities": _caps(True, True), "lifecycle": "active"},
    {"id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5",
     "created_at": "2024-10-22T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 8192,
     "capabilities": _caps(False, False), "lifecycle": "deprecated",
     "deprecated_at": "2025-06-01T00:00:00Z", "retires_at": "2026-02-19T00:00:00Z"},
    {"id": "claude-3-haiku-20240307", "display_name": "Claude Haiku 3",
     "created_at": "2024-03-07T00:00:00Z", "lifecycle": "active"},
]


def anthropic_models(count: int | None = None) -> list[dict[str, Any]]:
    """The hand-written models (newest first), cut or padded to ``count``."""
    models = [dict(m, type="model", line=_line(m["id"])) for m in ANTHROPIC_MODELS]
    if count is None:
        return models
    for i in range(max(0, count - len(models))):
        n = i + 1
        entry: dict[str, Any] = {
            "type": "model", "id": f"claude-gen-{n:04d}", "display_name": f"Claude Gen {n:04d}",
            "created_at": now_rfc3339(offset_days=400 + n), "lifecycle": "active", "line": None,
        }
        if n % 2:  # the optional fields (the SDK's Optional ones) on every other model
            entry["max_input_tokens"] = 200000
            entry["max_tokens"] = 8192
            entry["capabilities"] = _caps(n % 3 == 0, False)
        models.append(entry)
    return models[:count]


def _line(model_id: str) -> str | None:
    """``ModelInfo.line``: the model line (``opus``, ``sonnet``, ``haiku``) or None."""
    return next((line for line in ("opus", "sonnet", "haiku") if line in model_id), None)


class AnthropicServer(ModelServer):
    """Anthropic's ``GET /v1/models`` and ``GET /v1/models/{id}``.

    Requires the key in ``x-api-key`` or (as the API also accepts, and the 2.x SDK sends)
    ``Authorization: Bearer``, and any ``anthropic-version``. Extra knob: ``models``.
    """

    provider_type = "anthropic"
    DEMO_KEY = ANTHROPIC_DEMO_KEY

    def __init__(
        self,
        *,
        model_count: int | None = None,
        models: Iterable[dict[str, Any]] | None = None,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        self.models = models if models is not None else anthropic_models(model_count)


    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Anthropic's ``{"type":"error","error":{type,message},"request_id"}`` shape."""
        kinds = {
            400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
            404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
            500: "api_error", 529: "overloaded_error",
        }
        return _error(kinds.get(status, "api_error"), message)

    def route(self, request: Request) -> Reply:
        """Serve the models routes."""
        path = request.path.rstrip("/")
        if not path.startswith("/v1/models"):
            return Reply(404, _error("not_found_error", "Not found"))
        key = request.headers.get("x-api-key") or request.bearer()
        if not key:
            return Reply(401, _error("authentication_error", "x-api-key header is required"))
        if not self.key_is_valid(key):
            return Reply(401, _error("authentication_error", "invalid x-api-key"))
        if not request.headers.get("anthropic-version"):
            return Reply(400, _error(
                "invalid_request_error", "anthropic-version: header is required"
            ))
        if request.method != "GET":
            return Reply(405, _error("invalid_request_error", "Method not allowed"))
        if path != "/v1/models":
            wanted = path[len("/v1/models/"):]
            for model in self.models:
                if model.get("id") == wanted:
                    return Reply(200, model)
            return Reply(404, _error("not_found_error", f"model: {wanted}"))
        return self._list(request)

    def _list(self, request: Request) -> Reply:
        try:
            limit = int(request.arg("limit") or LIMIT_DEFAULT)
        except ValueError:
            return Reply(400, _error("invalid_request_error", "limit: must be an integer"))
        if not 1 <= limit <= LIMIT_MAX:
            return Reply(400, _error(
                "invalid_request_error", f"limit: must be between 1 and {LIMIT_MAX}"
            ))
        models = self.models
        ids = [m.get("id") for m in models]
        after, before = request.arg("after_id"), request.arg("before_id")
        start, stop = 0, len(models)
        if after is not None:
            if after not in ids:
                return Reply(400, _error("invalid_request_error", f"after_id: unknown {after}"))
            start = ids.index(after) + 1
        if before is not None:
            if before not in ids:
                return Reply(400, _error("invalid_request_error", f"before_id: unknown {before}"))
            stop = ids.index(before)
            start = max(start, stop - limit) if after is None else start
        page = models[start:min(stop, start + limit)]
        return Reply(200, {
            "data": page,
            "has_more": start + len(page) < stop,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
        })


def _error(kind: str, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_{uuid.uuid4().hex[:24]}",
    }
