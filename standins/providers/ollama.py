"""A local Ollama (``/api/version``, ``/api/tags``, ``/api/show``) per contracts/providers.md."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from standins.providers._base import Reply, Request
from standins.providers._models import ModelServer

OLLAMA_DEMO_KEY = "demo-ollama-key"
OLLAMA_VERSION = "0.12.3"

#: (name, family/architecture, parameter size, context length, capabilities)
OLLAMA_MODELS: list[tuple[str, str, str, int, list[str]]] = [
    ("llama3.2:latest", "llama", "3.2B", 131072, ["completion", "tools"]),
    ("llava:latest", "llama", "7B", 4096, ["completion", "vision"]),
    ("qwen3:8b", "qwen3", "8.2B", 40960, ["completion", "tools", "thinking"]),
    ("gemma3:4b", "gemma3", "4.3B", 131072, ["completion", "vision"]),
    ("mistral:7b", "llama", "7.2B", 32768, ["completion", "tools"]),
    ("nomic-embed-text:latest", "nomic-bert", "137M", 2048, ["embedding"]),
    # an image-generation model: Ollama refuses chat for it (no "completion")
    ("x/z-image-turbo:latest", "zimage", "6B", 4096, ["image"]),
]


def ollama_models(count: int | None = None) -> list[dict[str, Any]]:
    """Model records (tag entry + show facts), cut or padded to ``count``."""
    specs = list(OLLAMA_MODELS)
    if count is not None:
        specs += [
            (f"gen-model-{i + 1:04d}:latest", "llama", "1B", 8192 * (1 + i % 16),
             ["embedding"] if (i + 1) % 25 == 0 else ["completion"])
            for i in range(max(0, count - len(specs)))
        ]
        specs = specs[:count]
    return [
        {"name": name, "arch": arch, "parameter_size": size, "context_length": ctx,
         "capabilities": caps}
        for name, arch, size, ctx, caps in specs
    ]


class OllamaServer(ModelServer):
    """Ollama's native API. No key by default; ``require_key=True`` imitates ollama.com.

    Extra knobs: ``require_key``, ``tags_include_capabilities`` (newer servers add
    ``capabilities`` and ``details.context_length`` to /api/tags), ``show_errors``
    ({model name: HTTP status} for /api/show), ``show_delay`` (seconds every /api/show
    waits before answering: a server busy loading models; the wait ends when the server
    stops), ``models``.
    """

    provider_type = "ollama"
    DEMO_KEY = OLLAMA_DEMO_KEY

    def __init__(
        self,
        *,
        model_count: int | None = None,
        models: Iterable[dict[str, Any]] | None = None,
        require_key: bool = False,
        tags_include_capabilities: bool = False,
        show_errors: Mapping[str, int] | None = None,
        show_delay: float = 0.0,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        self.models = models if models is not None else ollama_models(model_count)
        self.require_key = require_key
        self.tags_include_capabilities = tags_include_capabilities
        self.show_errors = dict(show_errors or {})
        self.show_delay = show_delay

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Ollama's ``{"error": "..."}`` shape."""
        return {"error": message}

    def route(self, request: Request) -> Reply:
        """Serve /api/version, /api/tags and /api/show."""
        if self.require_key and not self.key_is_valid(request.bearer()):
            return Reply(401, {"error": "unauthorized"})
        path = request.path.rstrip("/")
        if path == "/api/version" and request.method == "GET":
            return Reply(200, {"version": OLLAMA_VERSION})
        if path == "/api/tags" and request.method == "GET":
            return Reply(200, {"models": [self._tag(m) for m in self.models]})
        if path == "/api/show" and request.method == "POST":
            return self._show(request)
        if path == "/":
            return Reply(200, "Ollama is running", content_type="text/plain")
        return Reply(404, "404 page not found", content_type="text/plain")

    def _tag(self, model: Mapping[str, Any]) -> dict[str, Any]:
        name = model["name"]
        entry: dict[str, Any] = {
            "name": name,
            "model": name,
            "modified_at": "2025-05-04T17:37:44.706015396-07:00",
            "size": 2019393189,
            "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": _details(model),
        }
        if self.tags_include_capabilities:
            entry["details"]["context_length"] = model["context_length"]
            entry["capabilities"] = list(model["capabilities"])
        return entry

    def _show(self, request: Request) -> Reply:
        with self._lock:
            stopping = self._stopping
        if self.show_delay and stopping.wait(self.show_delay):
            return Reply(503, {"error": "server stopping"})
        try:
            body = request.json() or {}
        except ValueError:
            return Reply(400, {"error": "invalid character in request body"})
        name = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        if not name:
            return Reply(400, {"error": "model is required"})
        if name in self.show_errors:
            status = self.show_errors[name]
            return Reply(status, {"error": f"failed to load model '{name}'"})
        full = name if ":" in name else f"{name}:latest"
        for model in self.models:
            if model["name"] == full:
                arch = model["arch"]
                return Reply(200, {
                    "license": "demo license",
                    "modelfile": f"FROM {full}\n",
                    "template": "{{ .Prompt }}",
                    "details": _details(model),
                    "model_info": {
                        "general.architecture": arch,
                        "general.parameter_count": 3212749888,
                        f"{arch}.context_length": model["context_length"],
                        f"{arch}.embedding_length": 3072,
                    },
                    "capabilities": list(model["capabilities"]),
                    "modified_at": "2025-05-04T17:37:44.706015396-07:00",
                })
        return Reply(404, {"error": f"model '{name}' not found"})


def _details(model: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": model["arch"],
        "families": [model["arch"]],
        "parameter_size": model["parameter_size"],
        "quantization_level": "Q4_K_M",
    }
