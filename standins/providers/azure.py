"""A local Azure OpenAI resource (models + deployments) per contracts/providers.md."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from standins.providers._base import Reply, Request
from standins.providers._models import ModelServer

AZURE_DEMO_KEY = "demo-azure-key"
AZURE_DEMO_DEPLOYMENT = "demo-gpt4o"
MODELS_API_VERSIONS = frozenset({"2024-10-21", "2024-06-01", "2025-04-01-preview"})
DEPLOYMENTS_API_VERSIONS = frozenset({"2023-03-15-preview", "2022-12-01"})
DEFAULT_DEPLOYMENTS = {AZURE_DEMO_DEPLOYMENT: "gpt-4o", "demo-gpt41-mini": "gpt-4.1-mini"}


def _caps(chat: bool, embeddings: bool = False) -> dict[str, bool]:
    return {
        "chat_completion": chat, "completion": False, "embeddings": embeddings,
        "fine_tune": False, "inference": True,
    }


AZURE_MODELS: list[dict[str, Any]] = [
    {"id": "gpt-4o", "capabilities": _caps(True)},
    {"id": "gpt-4o-mini", "capabilities": _caps(True)},
    {"id": "gpt-4.1", "capabilities": _caps(True)},
    {"id": "gpt-4.1-mini", "capabilities": _caps(True)},
    {"id": "o3-mini", "capabilities": _caps(True)},
    {"id": "text-embedding-3-small", "capabilities": _caps(False, True)},
    {"id": "dall-e-3", "capabilities": _caps(False)},
    {"id": "whisper", "capabilities": _caps(False)},
]


def azure_models(count: int | None = None) -> list[dict[str, Any]]:
    """Model objects in Azure's shape, cut or padded to ``count``."""
    entries = [dict(m) for m in AZURE_MODELS]
    if count is not None:
        entries += [
            {"id": f"gpt-gen-{i + 1:04d}", "capabilities": _caps(True)}
            for i in range(max(0, count - len(entries)))
        ]
        entries = entries[:count]
    for i, entry in enumerate(entries):
        entry.update({
            "status": "succeeded", "lifecycle_status": "generally-available",
            "created_at": 1715558400 + i * 3600, "object": "model",
            # when fine-tuning and inference end for the model (unix seconds)
            "deprecation": {"fine_tune": 1790812800, "inference": 1798761600},
        })
    for entry in entries:
        if entry["id"] == "gpt-4o-mini":  # a model Azure is retiring
            entry["lifecycle_status"] = "deprecating"
            entry["deprecation"] = {"fine_tune": 1767225600, "inference": 1772323200}
    return entries


class AzureServer(ModelServer):
    """An Azure OpenAI resource: ``/openai/models``, ``/openai/deployments/{id}`` and
    ``/openai/v1/models``, with the ``api-key`` header.

    Extra knobs: ``deployments`` ({deployment id: underlying model}), ``deployments_route``
    (False: the deployments route answers a plain 404 "Resource not found", as newer
    resources do), ``models``.
    """

    provider_type = "azure"
    DEMO_KEY = AZURE_DEMO_KEY

    def __init__(
        self,
        *,
        model_count: int | None = None,
        models: Iterable[dict[str, Any]] | None = None,
        deployments: Mapping[str, str] | None = None,
        deployments_route: bool = True,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        self.models = models if models is not None else azure_models(model_count)
        self.deployments = dict(deployments if deployments is not None else DEFAULT_DEPLOYMENTS)
        self.deployments_route = deployments_route


    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """Azure's ``{"error": {code, message}}`` shape (code is a string)."""
        if status == 429:
            message = (
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have "
                "exceeded call rate limit. Please retry after 1 second."
            )
            return {"error": {"code": "429", "message": message}}
        return {"error": {"code": str(status) if status != 500 else "InternalServerError",
                          "message": message}}

    def route(self, request: Request) -> Reply:
        """Serve the models and deployment routes."""
        path = request.path.rstrip("/")
        key = request.headers.get("api-key")
        if not self.key_is_valid(key):
            return Reply(401, {"error": {"code": "401", "message": (
                "Access denied due to invalid subscription key or wrong API endpoint. Make "
                "sure to provide a valid key for an active subscription and use a correct "
                "regional API endpoint for your resource."
            )}})
        if request.method != "GET":
            return _not_found()
        version = request.arg("api-version")
        if path == "/openai/v1/models":
            data = [_openai_shape(m) for m in self.models]
            return Reply(200, {"object": "list", "data": data})
        if path == "/openai/models":
            if version not in MODELS_API_VERSIONS:
                return _not_found()
            return Reply(200, {"object": "list", "data": self.models})
        if path.startswith("/openai/deployments/"):
            return self._deployment(path[len("/openai/deployments/"):], version)
        return _not_found()

    def _deployment(self, deployment_id: str, version: str | None) -> Reply:
        if not self.deployments_route or version not in DEPLOYMENTS_API_VERSIONS:
            return _not_found()
        model = self.deployments.get(deployment_id)
        if model is None:
            return Reply(404, {"error": {"code": "DeploymentNotFound", "message": (
                "The API deployment for this resource does not exist. If you created the "
                "deployment within the last 5 minutes, please wait a moment and try again."
            )}})
        return Reply(200, {
            "id": deployment_id, "model": model, "owner": "organization",
            "status": "succeeded", "created_at": 1715558400, "updated_at": 1715558400,
            "object": "deployment", "scale_settings": {"scale_type": "standard"},
        })


def _not_found() -> Reply:
    return Reply(404, {"error": {"code": "404", "message": "Resource not found"}})


def _openai_shape(model: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": model.get("id"), "object": "model", "created": model.get("created_at"),
            "owned_by": "system"}
