"""Audit log bodies: the query of ``GET /audit`` and one page of events."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from task_master_llm.core.audit import ACTIONS, TARGET_TYPES
from task_master_llm.web.schemas.common import (
    ObjectIdField,
    PageQuerySchema,
    PageSchema,
    UtcDateTime,
)

#: what ``action`` may be: an action, or the part before its dot (all of that kind)
ACTION_FILTERS = sorted(ACTIONS | {a.split(".")[0] for a in ACTIONS})


class AuditListQuerySchema(PageQuerySchema):
    """Query string of ``GET /audit`` (other parameters are ignored)."""

    targetId = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Only events about this record (a provider, model or agent id, a "
                       "gateway credential type)"})
    targetType = fields.String(validate=validate.OneOf(sorted(TARGET_TYPES)), metadata={
        "description": "Only events about this kind of record"})
    action = fields.String(validate=validate.OneOf(ACTION_FILTERS), metadata={
        "description": "One action (provider.deleted), or every action of a kind (provider)"})


class AuditTargetSchema(Schema):
    """What an event is about, named as it was then."""

    type = fields.String(required=True)
    id = fields.String(required=True)
    name = fields.String(allow_none=True)


class AuditErrorSchema(Schema):
    """Why an action failed: a kind and a short message (never key material)."""

    kind = fields.String(required=True)
    message = fields.String(required=True)


class AuditEventSchema(Schema):
    """One audit event. ``fingerprint`` identifies a key (a keyed hash: equal keys, equal
    fingerprints) without revealing it or its last four characters."""

    id = ObjectIdField(attribute="_id", required=True)
    at = UtcDateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    target = fields.Nested(AuditTargetSchema, required=True)
    targets = fields.List(fields.Nested(AuditTargetSchema), metadata={
        "description": "The target and every other record the action touched (a "
                       "registration's models); targetId and targetType filter on these"})
    outcome = fields.String(required=True, validate=validate.OneOf(["ok", "failed"]))
    error = fields.Nested(AuditErrorSchema, allow_none=True)
    fingerprint = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(PageSchema):
    """One page of ``GET /audit``, newest first."""

    items = fields.List(fields.Nested(AuditEventSchema), required=True)
