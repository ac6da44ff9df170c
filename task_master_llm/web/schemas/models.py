"""Model registry request and response bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from task_master_llm.store.models import FACT_FIELDS
from task_master_llm.web.schemas.common import (
    FlagField,
    ObjectIdField,
    PageQuerySchema,
    PageSchema,
    StrictBoolean,
    UtcDateTime,
    storable_json,
)
from task_master_llm.web.schemas.lifecycle import (
    LifecycleEntrySchema,
    LifecycleSchema,
    SuccessorSchema,
)
from task_master_llm.web.schemas.providers import AffectedAgentSchema

MAX_MODELS_PER_REQUEST = 500

_MODEL_ID = validate.Length(min=1, max=256)
_NAME = validate.Length(min=1, max=200)


def _modality(**kwargs: Any) -> fields.List:
    """A list of capability tags such as ``text``, ``vision``, ``tools``."""
    tag = validate.Regexp(r"^[a-z][a-z0-9_-]{0,31}$", error="Not a modality.")
    return fields.List(fields.String(validate=tag), validate=validate.Length(max=20), **kwargs)


_CONTEXT = validate.Range(min=1, max=100_000_000)
_PRICE = validate.Range(min=0, max=1_000_000)
_META_KEY = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,63}$", error="Not a valid meta key.")


class _Strip(Schema):
    """Strips surrounding whitespace from top-level strings."""

    @pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


class ModelEntrySchema(_Strip):
    """One model of ``POST /models``: a discovered model, as discovery lists it.

    ``registered``, ``modelId``, ``detailsMissing`` and ``note`` (which discovery adds)
    are accepted and ignored, so the page can send discovery's items back unchanged.
    """

    providerModelId = fields.String(required=True, validate=_MODEL_ID)
    displayName = fields.String(allow_none=True, validate=_NAME)
    modality = _modality(allow_none=True)
    contextWindow = fields.Integer(strict=True, allow_none=True, validate=_CONTEXT)
    maxOutputTokens = fields.Integer(strict=True, allow_none=True, validate=_CONTEXT)
    inputCostPer1k = fields.Float(allow_none=True, validate=_PRICE)
    outputCostPer1k = fields.Float(allow_none=True, validate=_PRICE)
    enabled = StrictBoolean(allow_none=True)
    meta = fields.Dict(keys=fields.String(validate=_META_KEY), allow_none=True,
                       validate=storable_json)
    lifecycle = fields.Nested(LifecycleEntrySchema, allow_none=True)
    registered = fields.Raw(load_only=True)
    modelId = fields.Raw(load_only=True, allow_none=True)
    detailsMissing = fields.Raw(load_only=True)
    note = fields.Raw(load_only=True, allow_none=True)
    # what discovery adds and the registry decides itself: accepted and ignored
    change = fields.Raw(load_only=True, allow_none=True)
    changedFields = fields.Raw(load_only=True, allow_none=True)
    warnings = fields.Raw(load_only=True, allow_none=True)


class ModelRegisterSchema(Schema):
    """``POST /models``: register (upsert) a selection of a provider's models."""

    providerId = ObjectIdField(required=True)
    models = fields.List(
        fields.Nested(ModelEntrySchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_MODELS_PER_REQUEST),
    )

    @validates_schema
    def _unique_ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: dict[str, int] = {}
        errors: dict[str, Any] = {}
        for index, entry in enumerate(data.get("models") or []):
            key = entry["providerModelId"]
            if key in seen:
                errors[str(index)] = {
                    "providerModelId": [f"Duplicate of models[{seen[key]}] in this request."]
                }
            seen.setdefault(key, index)
        if errors:
            raise MarshmallowValidationError({"models": errors})


class ModelUpdateSchema(_Strip):
    """``PATCH /models/<id>``: what an admin may edit. Edited facts become admin-owned."""

    enabled = StrictBoolean()
    displayName = fields.String(validate=_NAME)
    modality = _modality()
    contextWindow = fields.Integer(strict=True, allow_none=True, validate=_CONTEXT)
    maxOutputTokens = fields.Integer(strict=True, allow_none=True, validate=_CONTEXT)
    inputCostPer1k = fields.Float(allow_none=True, validate=_PRICE)
    outputCostPer1k = fields.Float(allow_none=True, validate=_PRICE)
    reset = fields.List(fields.String(validate=validate.OneOf(FACT_FIELDS)), metadata={
        "description": "fields to give back to discovery: the value the provider or the "
                       "catalog gave (kept in meta.discovered), no longer admin-owned"})


class ModelListQuerySchema(PageQuerySchema):
    """Query string of ``GET /models`` (other parameters are ignored)."""

    providerId = ObjectIdField(metadata={"description": "Only this provider's models"})
    enabled = fields.Boolean()
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Text in the model's id or name"})


class ModelDeleteQuerySchema(Schema):
    """Query string of ``DELETE /models/<id>`` (other parameters are ignored)."""

    class Meta:
        unknown = EXCLUDE

    force = FlagField(load_default=False, metadata={
        "description": "Detach the agents that use the model instead of refusing"})


class ProviderSummarySchema(Schema):
    """The provider of a model, as model lists show it (never key material)."""

    id = ObjectIdField(attribute="_id", required=True)
    name = fields.String(required=True)
    providerType = fields.String(required=True)
    status = fields.String(required=True)


class ModelSchema(Schema):
    """A registered model as the API shows it, with its provider's summary."""

    id = ObjectIdField(attribute="_id", required=True)
    providerId = ObjectIdField(required=True)
    providerModelId = fields.String(required=True)
    displayName = fields.String(required=True)
    modality = fields.List(fields.String(), required=True)
    contextWindow = fields.Integer(allow_none=True)
    maxOutputTokens = fields.Integer(allow_none=True)
    inputCostPer1k = fields.Float(allow_none=True, metadata={
        "description": "USD per 1k input tokens; null when unknown (never 0 for unknown)"})
    outputCostPer1k = fields.Float(allow_none=True)
    enabled = fields.Boolean(required=True)
    meta = fields.Dict()
    provider = fields.Nested(ProviderSummarySchema, allow_none=True)
    lifecycle = fields.Nested(LifecycleSchema, required=True)
    agentCount = fields.Integer(required=True, metadata={
        "description": "agents using the model as primary or fallback"})
    warnings = fields.List(fields.String(), required=True)
    suggestedSuccessor = fields.Nested(SuccessorSchema, allow_none=True, metadata={
        "description": "where to move the agents of a deprecated or gone model"})
    lastSyncedAt = UtcDateTime(allow_none=True)
    createdAt = UtcDateTime()
    updatedAt = UtcDateTime()


class _AgentRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ModelUpdateResultSchema(ModelSchema):
    """``PATCH /models/<id>``: the model, and when ``enabled`` was sent, who it affects."""

    usedBy = fields.List(fields.Nested(_AgentRefSchema), metadata={
        "description": "agents whose model this is (sent with enabled); they keep running on "
                       "it, but a disabled model cannot be chosen for new agents"})
    droppedFallbacks = fields.List(fields.Nested(_AgentRefSchema), metadata={
        "description": "agents that had it as a fallback model and no longer do (disabled)"})


class ModelPageSchema(PageSchema):
    """One page of ``GET /models``."""

    items = fields.List(fields.Nested(ModelSchema), required=True)


class ModelRegisterResultSchema(Schema):
    """What ``POST /models`` did."""

    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    models = fields.List(fields.Nested(ModelSchema), required=True)


class ModelDeleteResultSchema(Schema):
    """What ``DELETE /models/<id>`` removed and which agents it detached."""

    id = fields.String(required=True)
    detachedAgents = fields.List(fields.Nested(AffectedAgentSchema), required=True)
