"""Bodies of a model's lifecycle, discovery's diff and moving agents between models."""

from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from task_master_llm.web.schemas.common import ObjectIdField, UtcDateTime


class LifecycleSchema(Schema):
    """Where a model is in its provider's life cycle (``source``: provider, models.dev,
    listing)."""

    status = fields.String(required=True, validate=validate.OneOf(
        ["active", "deprecated", "gone"]))
    deprecatedAt = UtcDateTime(allow_none=True)
    retiresAt = UtcDateTime(allow_none=True)
    lastSeenAt = UtcDateTime(allow_none=True, metadata={
        "description": "when the provider last listed the model"})
    source = fields.String(allow_none=True)


class LifecycleEntrySchema(Schema):
    """The lifecycle discovery reported, as ``POST /models`` takes it back (``gone`` is
    decided by the registry, never sent; ``lastSeenAt`` is set on registration)."""

    status = fields.String(load_default="active", validate=validate.OneOf(
        ["active", "deprecated"]))
    deprecatedAt = fields.AwareDateTime(allow_none=True, default_timezone=timezone.utc)
    retiresAt = fields.AwareDateTime(allow_none=True, default_timezone=timezone.utc)
    source = fields.String(allow_none=True, validate=validate.Length(max=32))
    lastSeenAt = fields.Raw(load_only=True, allow_none=True)


class SuccessorSchema(Schema):
    """A model suggested to take over the agents of a retiring one."""

    id = fields.String(required=True)
    providerModelId = fields.String(required=True)
    displayName = fields.String(required=True)


class GoneModelSchema(Schema):
    """A registered model the provider's complete listing no longer has."""

    modelId = fields.String(required=True)
    providerModelId = fields.String(required=True)
    displayName = fields.String(required=True)
    lifecycle = fields.Nested(LifecycleSchema, required=True)


class ListingSchema(Schema):
    """Whether the listing was complete enough to call an absent model gone."""

    complete = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    note = fields.String(allow_none=True)


class MoveAgentsSchema(Schema):
    """``POST /models/<id>/move-agents``."""

    toModelId = ObjectIdField(required=True, metadata={
        "description": "the registered, enabled model the agents move to"})


class MovedAgentSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class MoveAgentsResultSchema(Schema):
    """Which agents moved (each synced to the gateway)."""

    fromModelId = fields.String(required=True)
    toModelId = fields.String(required=True)
    moved = fields.List(fields.Nested(MovedAgentSchema), required=True)
    syncFailed = fields.Integer(required=True, metadata={
        "description": "how many of the moved agents the gateway did not take (owed)"})
