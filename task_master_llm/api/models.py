"""Routes under ``/api/llm/models``: the model registry."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from task_master_llm.api.common import admin_required, doc, json_body, login_required, ok
from task_master_llm.errors import ValidationError
from task_master_llm.extension import get_state
from task_master_llm.models import ModelService
from task_master_llm.schemas import load_body
from task_master_llm.schemas.models import (
    ModelDeleteResultSchema,
    ModelListQuerySchema,
    ModelPageSchema,
    ModelRegisterResultSchema,
    ModelRegisterSchema,
    ModelSchema,
    ModelUpdateSchema,
)

LIST_PARAMS = [
    {"name": "providerId", "in": "query", "schema": {"type": "string"},
     "description": "Only this provider's models"},
    {"name": "enabled", "in": "query", "schema": {"type": "boolean"}},
    {"name": "q", "in": "query", "schema": {"type": "string"},
     "description": "Text in the model's id or name"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}},
]
FORCE_PARAM = [
    {"name": "force", "in": "query", "schema": {"type": "boolean"},
     "description": "Detach the agents that use the model instead of refusing"},
]


def query_args(schema_cls: type, args: Any) -> dict[str, Any]:
    """Validate a query string; failures are a 400 naming each parameter."""
    return load_body(schema_cls(), {k: args.get(k) for k in args})


def flag(name: str) -> bool:
    """A boolean query parameter such as ``?force=true``."""
    value = (request.args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValidationError(f"{name} must be true or false.", fields={name: ["Not a boolean."]})


def _service() -> ModelService:
    return ModelService(get_state())


def register(bp: Blueprint) -> None:
    """Add the model routes to the ``/api/llm`` blueprint."""

    @bp.get("/models")
    @login_required
    @doc("List registered models (paginated, with provider summaries)",
         responses={200: ModelPageSchema}, params=LIST_PARAMS)
    def list_models() -> Any:
        args = query_args(ModelListQuerySchema, request.args)
        page = _service().list(
            provider_id=args.get("providerId"),
            enabled=args.get("enabled"),
            q=args.get("q"),
            limit=args["limit"],
            offset=args["offset"],
        )
        return ok(ModelPageSchema().dump(page))

    @bp.post("/models")
    @admin_required
    @doc("Register a selection of a provider's models (upsert)",
         body=ModelRegisterSchema,
         responses={201: ModelRegisterResultSchema, 200: ModelRegisterResultSchema},
         errors=(404,))
    def register_models() -> Any:
        data = load_entries(json_body())
        result = _service().register(data["providerId"], data["models"])
        return ok(ModelRegisterResultSchema().dump(result), 201 if result["created"] else 200)

    @bp.patch("/models/<model_id>")
    @admin_required
    @doc("Edit a model; edited facts survive re-discovery",
         body=ModelUpdateSchema, responses={200: ModelSchema})
    def update_model(model_id: str) -> Any:
        service = _service()
        service.store.get(model_id)  # 404 before validating the body
        data = load_body(ModelUpdateSchema(), json_body())
        return ok(ModelSchema().dump(service.update(model_id, data)))

    @bp.delete("/models/<model_id>")
    @admin_required
    @doc("Delete a model (409 while agents use it, unless force=true)",
         responses={200: ModelDeleteResultSchema}, params=FORCE_PARAM, errors=(409,))
    def delete_model(model_id: str) -> Any:
        force = flag("force")
        return ok(ModelDeleteResultSchema().dump(_service().delete(model_id, force=force)))


def load_entries(body: Any) -> dict[str, Any]:
    """Validate ``POST /models``; errors name the entry's index and field, e.g.
    ``{"models": {"2": {"contextWindow": [...]}}}`` and ``models[2].contextWindow``."""
    try:
        return load_body(ModelRegisterSchema(), body)
    except ValidationError as exc:
        fields = _str_keys(exc.fields)
        names = sorted(_paths(fields))
        raise ValidationError("Invalid fields: " + ", ".join(names) + ".", fields=fields) from None


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
