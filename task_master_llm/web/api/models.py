"""Routes under ``/api/llm/models``: the model registry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema

from task_master_llm.core.services import Services
from task_master_llm.errors import ValidationError
from task_master_llm.web.api.common import Status, endpoint, viewer_is_admin
from task_master_llm.web.schemas import load_body
from task_master_llm.web.schemas.lifecycle import MoveAgentsResultSchema, MoveAgentsSchema
from task_master_llm.web.schemas.models import (
    ModelDeleteQuerySchema,
    ModelDeleteResultSchema,
    ModelListQuerySchema,
    ModelPageSchema,
    ModelRegisterResultSchema,
    ModelRegisterSchema,
    ModelUpdateResultSchema,
    ModelUpdateSchema,
)


def model_exists(services: Services, model_id: str) -> None:
    """404 unless the model exists (checked before the body is validated)."""
    services.stores.models.get(model_id)


def load_entries(schema: Schema, body: Any) -> dict[str, Any]:
    """Validate ``POST /models``; errors name the entry's index and field, e.g.
    ``{"models": {"2": {"contextWindow": [...]}}}`` and ``models[2].contextWindow``."""
    try:
        return load_body(schema, body)
    except ValidationError as exc:
        fields = _str_keys(exc.fields)
        names = sorted(_paths(fields))
        raise ValidationError("Invalid fields: " + ", ".join(names) + ".", fields=fields) from None


def register(bp: Blueprint) -> None:
    """Add the model routes to the ``/api/llm`` blueprint."""

    @bp.get("/models")
    @endpoint("List registered models (paginated, with provider summaries)",
              query=ModelListQuerySchema, response=ModelPageSchema)
    def list_models(services: Services, args: dict[str, Any]) -> Any:
        page = services.models.page(
            provider_id=args.get("providerId"),
            enabled=args.get("enabled"),
            q=args.get("q"),
            limit=args["limit"],
            offset=args["offset"],
            count=args["count"],
        )
        if not viewer_is_admin(services):
            page["items"] = [_for_members(m) for m in page["items"]]
        return page

    @bp.post("/models")
    @endpoint("Register a selection of a provider's models (upsert)", auth="admin",
              body=ModelRegisterSchema, load=load_entries, response=ModelRegisterResultSchema,
              status=201, also=(200,), errors=(404,))
    def register_models(services: Services, data: dict[str, Any]) -> Any:
        result = services.models.register(data["providerId"], data["models"])
        return Status(result, 201 if result["created"] else 200)

    @bp.patch("/models/<model_id>")
    @endpoint("Edit a model; edited facts survive re-discovery", auth="admin",
              exists=model_exists, body=ModelUpdateSchema,
              response=ModelUpdateResultSchema)
    def update_model(services: Services, data: dict[str, Any], model_id: str) -> Any:
        return services.models.update(model_id, data)

    @bp.post("/models/<model_id>/move-agents")
    @endpoint("Re-bind every agent of a model (primary or fallback) to another model and "
              "sync them", auth="admin", exists=model_exists, body=MoveAgentsSchema,
              response=MoveAgentsResultSchema)
    def move_agents(services: Services, data: dict[str, Any], model_id: str) -> Any:
        return services.models.move_agents(model_id, data["toModelId"])

    @bp.delete("/models/<model_id>")
    @endpoint("Delete a model (409 while agents use it, unless force=true)", auth="admin",
              query=ModelDeleteQuerySchema, response=ModelDeleteResultSchema, errors=(409,))
    def delete_model(services: Services, args: dict[str, Any], model_id: str) -> Any:
        return services.models.delete(model_id, force=args["force"])


#: what members do not see of a model: operators' details (a provider's host and port)
ADMIN_ONLY_META = frozenset({"showError"})


def _for_members(model: dict[str, Any]) -> dict[str, Any]:
    meta = model.get("meta")
    if not isinstance(meta, dict):
        return model
    return {**model, "meta": {k: v for k, v in meta.items() if k not in ADMIN_ONLY_META}}


def _str_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _str_keys(v) for k, v in value.items()}
    return value


def _paths(fields: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in fields.items():
        path = f"{prefix}[{key}]" if key.isdigit() else (f"{prefix}.{key}" if prefix else key)
        if isinstance(value, dict):
            out.extend(_paths(value, path))
        else:
            out.append(path)
    return out
