"""Agent request and response bodies."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from task_master_llm.web.schemas.common import (
    ObjectIdField,
    PageSchema,
    StrippedSchema,
    UtcDateTime,
)
from task_master_llm.web.schemas.lifecycle import LifecycleSchema
from task_master_llm.web.schemas.models import ProviderSummarySchema

_NAME = validate.Length(min=1, max=100)
_ROLE = validate.Length(max=200)
_TEXT = validate.Length(max=20_000)
#: the legacy model string: "providerType/providerModelId", no spaces
_LEGACY_MODEL = validate.Regexp(
    r"^[A-Za-z0-9_.-]+/\S{1,255}$",
    error="Use the form providerType/modelId, e.g. openai/gpt-4o (or send modelId).",
)


class _AgentBody(StrippedSchema):
    """An empty ``modelId``/``model`` means none."""

    blank_is_none = frozenset({"modelId", "model"})


def _fallbacks() -> fields.List:
    """Registered, enabled models the gateway falls back to, in order (any provider)."""
    return fields.List(ObjectIdField(), allow_none=True, validate=validate.Length(max=5),
                       metadata={"description": "registered, enabled fallback models, in order"})


class AgentCreateSchema(_AgentBody):
    """``POST /api/agents``: ``modelId`` (a registered, enabled model) or the legacy
    ``model`` string."""

    name = fields.String(required=True, validate=_NAME)
    role = fields.String(allow_none=True, validate=_ROLE)
    modelId = ObjectIdField(allow_none=True)
    model = fields.String(allow_none=True, validate=_LEGACY_MODEL)
    fallbackModelIds = _fallbacks()
    soul = fields.String(allow_none=True, validate=_TEXT)
    guardrails = fields.String(allow_none=True, validate=_TEXT)


class AgentUpdateSchema(_AgentBody):
    """``PATCH /api/agents/<id>``: any subset; ``modelId: null`` with a ``model`` string
    detaches the agent from the registry. The Talon id never changes."""

    name = fields.String(validate=_NAME)
    role = fields.String(allow_none=True, validate=_ROLE)
    modelId = ObjectIdField(allow_none=True)
    model = fields.String(allow_none=True, validate=_LEGACY_MODEL)
    fallbackModelIds = _fallbacks()
    soul = fields.String(allow_none=True, validate=_TEXT)
    guardrails = fields.String(allow_none=True, validate=_TEXT)


class TalonSyncSchema(Schema):
    """The agent's last sync with the Talon gateway."""

    status = fields.String(
        allow_none=True, validate=validate.OneOf(["pending", "synced", "failed", "disabled"])
    )
    error = fields.String(allow_none=True)
    syncedAt = UtcDateTime(allow_none=True)
    verified = fields.String(allow_none=True, validate=validate.OneOf(
        ["in_sync", "drifted", "missing"]), metadata={
        "description": "what the last `flask llm sync-agents --verify` read back"})
    verifiedAt = UtcDateTime(allow_none=True)
    warning = fields.String(allow_none=True, metadata={
        "description": "why the agent does not run with its provider's key at the gateway"})


class AgentModelSchema(Schema):
    """The ``llmModel`` relation: the registered model and its provider's summary."""

    id = ObjectIdField(attribute="_id", required=True)
    providerModelId = fields.String(required=True)
    displayName = fields.String(required=True)
    modality = fields.List(fields.String())
    contextWindow = fields.Integer(allow_none=True)
    enabled = fields.Boolean(required=True)
    provider = fields.Nested(ProviderSummarySchema, allow_none=True)
    lifecycle = fields.Nested(LifecycleSchema, allow_none=True)


class AgentSchema(Schema):
    """An agent as the API shows it (this package's fields only)."""

    id = ObjectIdField(attribute="_id", required=True)
    name = fields.String(required=True)
    role = fields.String(allow_none=True)
    modelId = ObjectIdField(allow_none=True)
    model = fields.String(allow_none=True)
    llmModel = fields.Nested(AgentModelSchema, allow_none=True)
    fallbackModelIds = fields.List(ObjectIdField(), required=True)
    fallbackModels = fields.List(fields.Nested(AgentModelSchema), required=True, metadata={
        "description": "the registered fallback models, in order"})
    talonId = fields.String(allow_none=True)
    soul = fields.String(allow_none=True)
    guardrails = fields.String(allow_none=True)
    status = fields.Raw(allow_none=True)
    talonSync = fields.Nested(TalonSyncSchema, required=True)
    needsModel = fields.Boolean(required=True, metadata={
        "description": "true: no registered model (its model or provider was deleted, or it "
                       "predates the registry); it runs without a registry key until given one"})
    modelWarning = fields.String(allow_none=True, metadata={
        "description": "what needsModel means for this agent, in words"})
    createdAt = UtcDateTime(allow_none=True)
    updatedAt = UtcDateTime(allow_none=True)


class AgentDeleteResultSchema(Schema):
    """What ``DELETE /api/agents/<id>`` did, including the gateway's part."""

    id = fields.String(required=True)
    name = fields.String(allow_none=True)
    talonSync = fields.Nested(TalonSyncSchema, required=True)


#: the most agents one page of ``GET /api/agents`` holds
MAX_AGENTS_PER_PAGE = 500


class AgentListQuerySchema(Schema):
    """Query string of ``GET /api/agents`` (other parameters are ignored)."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=100,
                           validate=validate.Range(min=1, max=MAX_AGENTS_PER_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class AgentPageSchema(PageSchema):
    """One page of ``GET /api/agents``, by name."""

    items = fields.List(fields.Nested(AgentSchema), required=True)
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Every agent, exact, when this page reaches the end (null otherwise)"})
