"""Marshmallow schemas for every request and response body.

Request schemas validate and reject unknown fields; response schemas are the one place
where stored documents become API objects (ids as strings, UTC ISO dates, no key material).
"""

from task_master_llm.web.schemas.agents import (
    AgentCreateSchema,
    AgentDeleteResultSchema,
    AgentSchema,
    AgentUpdateSchema,
    TalonSyncSchema,
)
from task_master_llm.web.schemas.common import ErrorSchema, load_body
from task_master_llm.web.schemas.models import (
    ModelDeleteQuerySchema,
    ModelDeleteResultSchema,
    ModelEntrySchema,
    ModelListQuerySchema,
    ModelPageSchema,
    ModelRegisterResultSchema,
    ModelRegisterSchema,
    ModelSchema,
    ModelUpdateSchema,
    ProviderSummarySchema,
)
from task_master_llm.web.schemas.providers import (
    ConnectionResultSchema,
    DiscoveredModelSchema,
    DiscoveryResultSchema,
    ProviderCreateSchema,
    ProviderDeleteResultSchema,
    ProviderSchema,
    ProviderTestSchema,
    ProviderUpdateSchema,
)

__all__ = [
    "AgentCreateSchema",
    "AgentDeleteResultSchema",
    "AgentSchema",
    "AgentUpdateSchema",
    "ModelDeleteQuerySchema",
    "ModelDeleteResultSchema",
    "ModelEntrySchema",
    "ModelListQuerySchema",
    "ModelPageSchema",
    "ModelRegisterResultSchema",
    "ModelRegisterSchema",
    "ModelSchema",
    "ModelUpdateSchema",
    "ProviderSummarySchema",
    "TalonSyncSchema",
    "ConnectionResultSchema",
    "DiscoveredModelSchema",
    "DiscoveryResultSchema",
    "ErrorSchema",
    "ProviderCreateSchema",
    "ProviderDeleteResultSchema",
    "ProviderSchema",
    "ProviderTestSchema",
    "ProviderUpdateSchema",
    "load_body",
]
