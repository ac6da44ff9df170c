"""A local Gemini API (``/v1beta/models``) speaking contracts/providers.md."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from standins.providers._base import Reply, Request
from standins.providers._models import ModelServer

GOOGLE_DEMO_KEY = "demo-google-key"

#: Hand-written models: chat, vision, an embedding-only one and sparse ones.
GOOGLE_MODELS: list[dict[str, Any]] = [
    {
        "name": "models/gemini-2.5-pro",
        "baseModelId": "gemini-2.5-pro",
        "version": "2.5",
        "displayName": "Gemini 2.5 Pro",
        "description": "Stable release of Gemini 2.5 Pro.",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": [
            "generateContent", "countTokens", "createCachedContent", "batchGenerateContent",
        ],
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    },
    {
        "name": "models/gemini-2.5-flash",
        "baseModelId": "gemini-2.5-flash",
        "version": "001",
        "displayName": "Gemini 2.5 Flash",
        "description": "Stable version of Gemini 2.5 Flash.",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    },
    {
        "name": "models/gemini-2.0-flash",
        "displayName": "Gemini 2.0 Flash",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
    {
        "name": "models/gemini-2.0-flash-lite",
        "version": "2.0",
        "displayName": "Gemini 2.0 Flash-Lite",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
    {
        "name": "models/gemma-3-27b-it",
        "displayName": "Gemma 3 27B",
        "inputTokenLimit": 131072,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
    {
        "name": "models/text-embedding-004",
        "version": "004",
        "displayName": "Text Embedding 004",
        "description": "Obtain a distributed representation of a text.",
        "inputTokenLimit": 2048,
        "outputTokenLimit": 1,
        "supportedGenerationMethods": ["embedContent"],
    },
    {
        "name": "models/gemini-embedding-001",
        "displayName": "Gemini Embedding 001",
        "inputTokenLimit": 2048,
        "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens"],
    },
    # generateContent models an agent cannot chat with: their output is speech or images
    {
        "name": "models/gemini-2.5-flash-preview-tts",
        "version": "gemini-2.5-flash-exp-tts-2025-05-19",
        "displayName": "Gemini 2.5 Flash Preview TTS",
        "inputTokenLimit": 8192,
        "outputTokenLimit": 16384,
        "supportedGenerationMethods": ["countTokens", "generateContent"],
    },
    {
        "name": "models/gemini-2.5-flash-image",
        "version": "2.0",
        "displayName": "Nano Banana",
        "inputTokenLimit": 32768,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": ["generateContent", "countTokens", "batchGenerateContent"],
    },
    {
        "name": "models/gemini-2.0-flash-preview-image-generation",
        "version": "2.0",
        "displayName": "Gemini 2.0 Flash Preview Image Generation",
        "inputTokenLimit": 32768,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
    {
        "name": "models/gemini-2.5-flash-native-audio-latest",
        "version": "2.5",
        "displayName": "Gemini 2.5 Flash Native Audio Latest",
        "inputTokenLimit": 131072,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["countTokens", "generateContent", "bidiGenerateContent"],
        "thinking": True,
    },
    # Sparse entries: only the "always" field, or no generation methods at all.
    {"name": "models/gemini-experimental-sparse"},
    {"name": "models/aqa", "displayName": "Model that performs Attributed Question Answering.",
     "supportedGenerationMethods": ["generateAnswer"]},
]

#: the API versions served (google-genai defaults to v1, the contract names v1beta)
API_VERSIONS = ("v1beta", "v1")
#: the hand-written models offering generateContent whose output is not text (speech,
#: images): not chat models an agent can use
NOT_TEXT_OUTPUT = frozenset({
    "models/gemini-2.5-flash-preview-tts", "models/gemini-2.5-flash-image",
    "models/gemini-2.0-flash-preview-image-generation",
    "models/gemini-2.5-flash-native-audio-latest",
})


def google_chat_ids(models: Iterable[dict[str, Any]]) -> set[str]:
    """Ids (without ``models/``) of the models an agent can chat with: those offering
    ``generateContent`` whose output is text."""
    return {
        str(m["name"]).removeprefix("models/") for m in models
        if "generateContent" in (m.get("supportedGenerationMethods") or [])
        and m["name"] not in NOT_TEXT_OUTPUT
    }


PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 1000


def google_models(count: int | None = None) -> list[dict[str, Any]]:
    """The hand-written models, cut or padded with generated chat models to ``count``."""
    models = [dict(m) for m in GOOGLE_MODELS]
    if count is None:
        return models
    for i in range(max(0, count - len(models))):
        n = i + 1
        models.append({
            "name": f"models/gemini-gen-{n:04d}",
            "version": "001",
            "displayName": f"Gemini Generated {n:04d}",
            "inputTokenLimit": 32768 * (1 + n % 32),
            "outputTokenLimit": 8192,
            "supportedGenerationMethods": (
                ["embedContent"] if n % 10 == 0 else ["generateContent", "countTokens"]
            ),
        })
    return models[:count]


class GoogleServer(ModelServer):
    """Gemini's list-models API under ``/v1beta`` and ``/v1``. Key only from
    ``x-goog-api-key`` (``?key=`` is ignored).

    Extra knobs: ``models`` (list, replaceable), ``region_blocked`` (400
    FAILED_PRECONDITION on every call).
    """

    provider_type = "google"
    DEMO_KEY = GOOGLE_DEMO_KEY

    def __init__(
        self,
        *,
        model_count: int | None = None,
        models: Iterable[dict[str, Any]] | None = None,
        region_blocked: bool = False,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        self.models = models if models is not None else google_models(model_count)
        self.region_blocked = region_blocked


    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Google's ``{"error": {code, message, status}}`` shape."""
        names = {
            400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
            504: "DEADLINE_EXCEEDED",
        }
        error: dict[str, Any] = {
            "code": status, "message": message, "status": names.get(status, "UNKNOWN"),
        }
        if status == 429:
            error["message"] = "Resource has been exhausted (e.g. check quota)."
            error["details"] = [{
                "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "59s",
            }]
        return {"error": error}

    def route(self, request: Request) -> Reply:
        """Serve ``GET /{v1beta,v1}/models`` and ``GET /{v1beta,v1}/models/{id}``."""
        path = request.path
        version = next((v for v in API_VERSIONS if path.startswith(f"/{v}/models")), None)
        if version is None:
            return Reply(404, self._error(404, f"Requested entity was not found: {path}"))
        if request.method != "GET":
            return Reply(405, self._error(405, "Method not allowed."))
        key = request.headers.get("x-goog-api-key")
        if not key:
            return Reply(403, self._error(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to "
                "call this API.",
                "PERMISSION_DENIED",
            ))
        if not self.key_is_valid(key):
            return Reply(400, self._error(
                400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                [{
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }],
            ))
        if self.region_blocked:
            return Reply(400, self._error(
                400, "User location is not supported for the API use.", "FAILED_PRECONDITION"
            ))
        if path.rstrip("/") == f"/{version}/models":
            return self._list(request)
        wanted = path[len(f"/{version}/"):]  # "models/gemini-2.5-pro"
        for model in self.models:
            if model.get("name") == wanted:
                return Reply(200, model)
        return Reply(404, self._error(
            404, f"{wanted} is not found for API version {version}, or is not supported.",
            "NOT_FOUND",
        ))

    def _list(self, request: Request) -> Reply:
        try:
            size = int(request.arg("pageSize") or PAGE_SIZE_DEFAULT)
        except ValueError:
            return Reply(400, self._error(400, "Invalid pageSize.", "INVALID_ARGUMENT"))
        if size <= 0:
            size = PAGE_SIZE_DEFAULT
        size = min(size, PAGE_SIZE_MAX)
        token = request.arg("pageToken")
        start = 0
        if token:
            start = _decode_token(token)
            if start is None:
                return Reply(400, self._error(400, "Invalid page token.", "INVALID_ARGUMENT"))
        models = self.models
        body: dict[str, Any] = {"models": models[start:start + size]}
        if start + size < len(models):
            body["nextPageToken"] = _encode_token(start + size)
        return Reply(200, body)

    @staticmethod
    def _error(
        status: int, message: str, name: str = "NOT_FOUND", details: list[Any] | None = None
    ) -> dict[str, Any]:
        error: dict[str, Any] = {"code": status, "message": message, "status": name}
        if details:
            error["details"] = details
        return {"error": error}


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = raw.partition(":")
        return int(number) if prefix == "offset" and int(number) >= 0 else None
    except ValueError:
        return None
