"""``GET /providers/<id>/health``: a provider's check history, summarised."""

from __future__ import annotations

from marshmallow import Schema, fields

from task_master_llm.web.schemas.common import UtcDateTime


class HealthCheckSchema(Schema):
    """One recorded check."""

    at = UtcDateTime(required=True)
    outcome = fields.String(required=True, metadata={"description": "valid or invalid"})
    errorKind = fields.String(allow_none=True)
    latencyMs = fields.Integer(allow_none=True)


class HealthWindowSchema(Schema):
    """Checks in one time window."""

    checks = fields.Integer(required=True)
    successes = fields.Integer(required=True)
    successRate = fields.Float(allow_none=True, metadata={"description": "0..1; null: none"})
    p50LatencyMs = fields.Integer(allow_none=True, metadata={
        "description": "nearest-rank median latency of the checks that measured one"})
    p95LatencyMs = fields.Integer(allow_none=True)


class ProviderHealthSchema(Schema):
    """Success rate and latency over the last 24 hours and 7 days."""

    providerId = fields.String(required=True)
    status = fields.String(allow_none=True)
    last24h = fields.Nested(HealthWindowSchema, required=True)
    last7d = fields.Nested(HealthWindowSchema, required=True)
    consecutiveFailures = fields.Integer(required=True)
    failuresToInvalid = fields.Integer(required=True)
    historySize = fields.Integer(required=True)
    checks = fields.List(fields.Nested(HealthCheckSchema), required=True, metadata={
        "description": "the checks of the last 7 days, oldest first"})
