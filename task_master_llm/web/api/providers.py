"""Routes under ``/api/llm/providers``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from task_master_llm.adapters import ConnectionResult
from task_master_llm.core.services import Services
from task_master_llm.web.api.common import endpoint
from task_master_llm.web.schemas import (
    ConnectionResultSchema,
    DiscoveryResultSchema,
    ProviderCreateSchema,
    ProviderDeleteResultSchema,
    ProviderSchema,
    ProviderTestSchema,
    ProviderUpdateSchema,
)
from task_master_llm.web.schemas.health import ProviderHealthSchema


def provider_exists(services: Services, provider_id: str) -> None:
    """404 unless the provider exists (checked before the body is validated)."""
    services.stores.providers.get(provider_id)


def connection_result(result: ConnectionResult) -> dict[str, Any]:
    """A test's outcome as the API shows it."""
    return {
        "status": result.status,
        "message": result.message,
        "latencyMs": result.latency_ms,
        "errorKind": result.error_kind,
    }


def register(bp: Blueprint) -> None:
    """Add the provider routes to the ``/api/llm`` blueprint."""

    @bp.get("/providers")
    @endpoint("List providers", auth="admin", response=ProviderSchema, many=True)
    def list_providers(services: Services) -> Any:
        return services.providers.all()

    @bp.post("/providers")
    @endpoint("Register a provider", auth="admin", body=ProviderCreateSchema,
              response=ProviderSchema, status=201, errors=(409,))
    def create_provider(services: Services, data: dict[str, Any]) -> Any:
        return services.providers.create(data)

    @bp.get("/providers/<provider_id>")
    @endpoint("Get a provider", auth="admin", response=ProviderSchema)
    def get_provider(services: Services, provider_id: str) -> Any:
        return services.providers.get(provider_id)

    @bp.patch("/providers/<provider_id>")
    @endpoint("Edit a provider", auth="admin", exists=provider_exists,
              body=ProviderUpdateSchema, response=ProviderSchema, errors=(409,))
    def update_provider(services: Services, data: dict[str, Any], provider_id: str) -> Any:
        return services.providers.update(provider_id, data)

    @bp.delete("/providers/<provider_id>")
    @endpoint("Delete a provider, its models, and detach their agents", auth="admin",
              response=ProviderDeleteResultSchema)
    def delete_provider(services: Services, provider_id: str) -> Any:
        return services.providers.delete(provider_id)

    @bp.post("/providers/test")
    @endpoint("Test typed provider values without saving them (the Add/Edit dialog's Test; "
              "with providerId the saved key is used unless apiKey is sent; failures are a "
              "200 with status invalid)", auth="admin", body=ProviderTestSchema,
              response=ConnectionResultSchema, errors=(409,))
    def test_provider_values(services: Services, data: dict[str, Any]) -> Any:
        return connection_result(services.providers.test_values(data))

    @bp.post("/providers/<provider_id>/test")
    @endpoint("Test the provider's credentials (failures are a 200 with status invalid)",
              auth="admin", response=ConnectionResultSchema, errors=(409,))
    def test_provider(services: Services, provider_id: str) -> Any:
        return connection_result(services.providers.test(provider_id))

    @bp.get("/providers/<provider_id>/health")
    @endpoint("The provider's check history: success rate and latency p50/p95 over 24 h "
              "and 7 d", auth="admin", response=ProviderHealthSchema)
    def provider_health(services: Services, provider_id: str) -> Any:
        return services.health.summary(provider_id)

    @bp.get("/providers/<provider_id>/discover")
    @endpoint("Discover the provider's chat models, as a diff against the registry "
              "(new, changed, unchanged, gone)", auth="admin",
              response=DiscoveryResultSchema, errors=(409, 502))
    def discover_models(services: Services, provider_id: str) -> Any:
        return services.providers.discover(provider_id)
