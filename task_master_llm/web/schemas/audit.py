"""Audit log bodies: the query of ``GET /audit`` and one page of events."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from task_master_llm.core.audit import ACTIONS, TARGET_TYPES
from task_master_llm.web.schemas.common import FlagField, ObjectIdField, UtcDateTime

#: what ``action`` may be: an action, or the part before its dot (all of that kind)
ACTION_FILTERS = sorted(ACTIONS | {a.split(".")[0] for a in ACTIONS})


class AuditListQuerySchema(Schema):
    """Query string of ``GET /audit`` (other parameters are ignored)."""

    class Meta:
        unknown = EXCLUDE

    targetId = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Only events about this record (a provider, model or agent id, a "
                       "gateway credential type)"})
    targetType = fields.String(validate=validate.OneOf(sorted(TARGET_TYPES)), metadata={
        "description": "Only events about this kind of record"})
    action = fields.String(validate=validate.OneOf(ACTION_FILTERS), metadata={
        "description": "One action (provider.deleted), or every action of a kind (provider)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    count = FlagField(load_default=False, metadata={
        "description": "Count every match for total (one more query; without it total is "
                       "null unless this page reaches the end)"})


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


class AuditPageSchema(Schema):
    """One page of ``GET /audit``, newest first."""

    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    hasMore = fields.Boolean(required=True, metadata={
        "description": "Whether another page follows this one"})
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Every match, exact: counted when count=true, else known only when "
                       "this page reaches the end (null otherwise)"})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
