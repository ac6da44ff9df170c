"""Provider request and response bodies."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from task_master_llm.web.schemas.common import (
    ObjectIdField,
    StrictBoolean,
    StrippedSchema,
    UtcDateTime,
)
from task_master_llm.web.schemas.lifecycle import GoneModelSchema, LifecycleSchema, ListingSchema

_NAME = validate.Length(min=1, max=100)
_SHORT = validate.Length(min=1, max=200)
_KEY = validate.And(
    validate.Length(min=1, max=4096),
    # Keys are sent in HTTP headers: printable ASCII, no spaces (catches pasted stray
    # characters such as a zero-width space or a line break inside the key).
    validate.Regexp(r"^[\x21-\x7e]+$", error="An API key is printable ASCII without spaces "
                    "- check for characters pasted along with it."),
)
_URL = validate.Length(min=1, max=2048)


class _ProviderBody(StrippedSchema):
    """An empty string in an optional field means "none"."""

    blank_is_none = frozenset({"providerType", "apiKey", "baseUrl", "orgId", "deploymentId"})


class ProviderCreateSchema(_ProviderBody):
    """POST /providers. Which of the optional fields a type takes is checked per type."""

    name = fields.String(required=True, validate=_NAME)
    providerType = fields.String(required=True, validate=validate.Length(min=1, max=64))
    apiKey = fields.String(allow_none=True, validate=_KEY)
    baseUrl = fields.String(allow_none=True, validate=_URL)
    orgId = fields.String(allow_none=True, validate=_SHORT)
    deploymentId = fields.String(allow_none=True, validate=_SHORT)


class ProviderUpdateSchema(_ProviderBody):
    """PATCH /providers/<id>: any subset; ``null`` (or "") clears an optional field."""

    name = fields.String(validate=_NAME)
    providerType = fields.String(validate=validate.Length(min=1, max=64))
    apiKey = fields.String(allow_none=True, validate=_KEY)
    baseUrl = fields.String(allow_none=True, validate=_URL)
    orgId = fields.String(allow_none=True, validate=_SHORT)
    deploymentId = fields.String(allow_none=True, validate=_SHORT)
    gatewayCredential = StrictBoolean(metadata={
        "description": "true: the gateway's runtime uses this provider's key for its type"})


class ProviderTestSchema(_ProviderBody):
    """POST /providers/test: the dialog's typed values, tested without saving. With
    ``providerId`` the saved provider's type and every field not sent (its key above all)
    are used; a field sent as null or "" is tested as cleared."""

    blank_is_none = _ProviderBody.blank_is_none | {"providerId", "name"}

    providerId = ObjectIdField(allow_none=True, metadata={
        "description": "the saved provider being edited (its stored key is used unless "
                       "apiKey is sent)"})
    name = fields.String(allow_none=True, validate=_NAME)
    providerType = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    apiKey = fields.String(allow_none=True, validate=_KEY)
    baseUrl = fields.String(allow_none=True, validate=_URL)
    orgId = fields.String(allow_none=True, validate=_SHORT)
    deploymentId = fields.String(allow_none=True, validate=_SHORT)


class GatewayStoreSchema(Schema):
    """Whether the Talon gateway's runtime uses the provider's key, and has it."""

    type = fields.String(allow_none=True, metadata={
        "description": "the gateway's credential-store provider (null: no place for this type)"})
    status = fields.String(required=True, validate=validate.OneOf(
        ["synced", "owed", "failed", "off", "standby", "unsupported"]))
    error = fields.String(allow_none=True)
    message = fields.String(required=True)


class ProviderSchema(Schema):
    """A provider as the API shows it: never the key, only whether there is one."""

    id = ObjectIdField(attribute="_id", required=True)
    name = fields.String(required=True)
    providerType = fields.String(required=True)
    baseUrl = fields.String(allow_none=True)
    effectiveBaseUrl = fields.String(allow_none=True)
    orgId = fields.String(allow_none=True)
    deploymentId = fields.String(allow_none=True)
    hasApiKey = fields.Boolean(required=True)
    apiKeyLast4 = fields.String(allow_none=True)
    apiKeyMasked = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["unknown", "valid", "invalid"]))
    statusMessage = fields.String(allow_none=True)
    lastErrorKind = fields.String(allow_none=True)
    lastValidatedAt = UtcDateTime(allow_none=True, metadata={
        "description": "when a Test last passed"})
    lastCheckedAt = UtcDateTime(allow_none=True, metadata={
        "description": "when the provider was last tested, passed or failed (status says which)"})
    lastLatencyMs = fields.Integer(allow_none=True)
    modelCount = fields.Integer(required=True)
    gatewayCredential = fields.Boolean(required=True)
    gatewayStore = fields.Nested(GatewayStoreSchema, required=True)
    createdAt = UtcDateTime()
    updatedAt = UtcDateTime()


class ConnectionResultSchema(Schema):
    """The outcome of POST /providers/<id>/test."""

    status = fields.String(required=True, validate=validate.OneOf(["valid", "invalid"]))
    message = fields.String(required=True)
    latencyMs = fields.Integer(allow_none=True)
    errorKind = fields.String(allow_none=True)


class DiscoveredModelSchema(Schema):
    """One model the provider offers, as GET /providers/<id>/discover lists it."""

    providerModelId = fields.String(required=True)
    displayName = fields.String(required=True)
    modality = fields.List(fields.String(), required=True)
    contextWindow = fields.Integer(allow_none=True)
    maxOutputTokens = fields.Integer(allow_none=True)
    inputCostPer1k = fields.Float(allow_none=True)
    outputCostPer1k = fields.Float(allow_none=True)
    meta = fields.Dict()
    lifecycle = fields.Nested(LifecycleSchema, required=True)
    warnings = fields.List(fields.String(), required=True)
    registered = fields.Boolean(required=True)
    modelId = fields.String(allow_none=True)
    detailsMissing = fields.Boolean(required=True, metadata={
        "description": "the provider listed the model but its details (Ollama's /api/show) "
                       "did not arrive within the deadline or failed; see note"})
    note = fields.String(allow_none=True, metadata={
        "description": "why the details are missing, for the admin"})
    change = fields.String(required=True, validate=validate.OneOf(
        ["new", "changed", "unchanged"]))
    changedFields = fields.List(fields.String(), required=True, metadata={
        "description": "the provider facts that differ from the registered model"})


class DiscoveryResultSchema(Schema):
    """``GET /providers/<id>/discover``: the listing as a diff against the registry."""

    items = fields.List(fields.Nested(DiscoveredModelSchema), required=True)
    total = fields.Integer(required=True)
    gone = fields.List(fields.Nested(GoneModelSchema), required=True, metadata={
        "description": "registered models the provider no longer lists (empty when the "
                       "listing was empty, failed or incomplete)"})
    listing = fields.Nested(ListingSchema, required=True)


class AffectedAgentSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ProviderDeleteResultSchema(Schema):
    """What a provider delete removed and which agents it detached."""

    id = fields.String(required=True)
    deletedModels = fields.Integer(required=True)
    detachedAgents = fields.List(fields.Nested(AffectedAgentSchema), required=True)
