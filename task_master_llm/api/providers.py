"""Routes under ``/api/llm/providers``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from task_master_llm.api.common import admin_required, doc, json_body, ok
from task_master_llm.extension import get_state
from task_master_llm.providers import ProviderService
from task_master_llm.schemas import (
    ConnectionResultSchema,
    DiscoveredModelSchema,
    ProviderCreateSchema,
    ProviderDeleteResultSchema,
    ProviderSchema,
    ProviderUpdateSchema,
    load_body,
)


def _service() -> ProviderService:
    return ProviderService(get_state())


def register(bp: Blueprint) -> None:
    """Add the provider routes to the ``/api/llm`` blueprint."""

    @bp.get("/providers")
    @admin_required
    @doc("List providers", responses={200: ProviderSchema}, many=True)
    def list_providers() -> Any:
        return ok(ProviderSchema(many=True).dump(_service().list()))

    @bp.post("/providers")
    @admin_required
    @doc(
        "Register a provider",
        body=ProviderCreateSchema,
        responses={201: ProviderSchema},
        errors=(409,),
    )
    def create_provider() -> Any:
        data = load_body(ProviderCreateSchema(), json_body())
        return ok(ProviderSchema().dump(_service().create(data)), 201)

    @bp.get("/providers/<provider_id>")
    @admin_required
    @doc("Get a provider", responses={200: ProviderSchema})
    def get_provider(provider_id: str) -> Any:
        return ok(ProviderSchema().dump(_service().get(provider_id)))

    @bp.patch("/providers/<provider_id>")
    @admin_required
    @doc(
        "Edit a provider",
        body=ProviderUpdateSchema,
        responses={200: ProviderSchema},
        errors=(409,),
    )
    def update_provider(provider_id: str) -> Any:
        service = _service()
        service.store.get(provider_id)  # 404 before validating the body
        data = load_body(ProviderUpdateSchema(), json_body())
        return ok(ProviderSchema().dump(service.update(provider_id, data)))

    @bp.delete("/providers/<provider_id>")
    @admin_required
    @doc(
        "Delete a provider, its models, and detach their agents",
        responses={200: ProviderDeleteResultSchema},
    )
    def delete_provider(provider_id: str) -> Any:
        return ok(ProviderDeleteResultSchema().dump(_service().delete(provider_id)))

    @bp.post("/providers/<provider_id>/test")
    @admin_required
    @doc(
        "Test the provider's credentials (failures are a 200 with status invalid)",
        responses={200: ConnectionResultSchema},
        errors=(409,),
    )
    def test_provider(provider_id: str) -> Any:
        result = _service().test(provider_id)
        return ok(
            ConnectionResultSchema().dump(
                {
                    "status": result.status,
                    "message": result.message,
                    "latencyMs": result.latency_ms,
                    "errorKind": result.error_kind,
                }
            )
        )

    @bp.get("/providers/<provider_id>/discover")
    @admin_required
    @doc(
        "Discover the provider's chat models",
        responses={200: DiscoveredModelSchema},
        many=True,
        errors=(409, 502),
    )
    def discover_models(provider_id: str) -> Any:
        return ok(DiscoveredModelSchema(many=True).dump(_service().discover(provider_id)))
