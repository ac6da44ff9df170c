"""Provider health over time, at zero token cost.

``flask llm check-providers`` runs every provider's connection test (the same free calls
as the Test button) and records each result (time, outcome, error kind, latency) in the
provider's capped history. A provider whose last N checks all failed becomes ``invalid``
with the reason; the next success makes it ``valid`` again; both changes are logged as
warnings. :meth:`HealthService.summary` gives success rate and latency p50/p95 over the
last 24 hours and 7 days.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from task_master_llm.adapters import ConnectionResult
from task_master_llm.config import HealthSettings
from task_master_llm.core.credentials import Credentials
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import ProviderStore, utcnow
from task_master_llm.store.health import HealthStore

log = logging.getLogger(__name__)

WINDOWS = {"last24h": timedelta(hours=24), "last7d": timedelta(days=7)}


def percentile(values: list[int], pct: float) -> int | None:
    """The nearest-rank percentile of ``values`` (None for none): the smallest value with
    at least ``pct`` % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def window_stats(checks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Count, success rate and latency p50/p95 (of the checks that measured one)."""
    ok = sum(c.get("outcome") == "valid" for c in checks)
    latencies = [c["latencyMs"] for c in checks if isinstance(c.get("latencyMs"), int)]
    return {
        "checks": len(checks),
        "successes": ok,
        "successRate": round(ok / len(checks), 4) if checks else None,
        "p50LatencyMs": percentile(latencies, 50),
        "p95LatencyMs": percentile(latencies, 95),
    }


@dataclass
class CheckLine:
    """One provider's check, as the command prints it."""

    name: str
    provider_type: str
    result: ConnectionResult
    failures: int
    status_change: str | None = None

    def line(self) -> str:
        """Names, outcome, latency; never a key."""
        head = f"{self.name} ({self.provider_type}): "
        if self.result.status == "valid":
            text = head + f"valid, {self.result.latency_ms} ms"
        else:
            text = (head + f"failed ({self.result.error_kind or 'error'}, "
                    f"{self.failures} in a row): {self.result.message}")
        return text + (f" [{self.status_change}]" if self.status_change else "")


@dataclass
class CheckReport:
    """Every provider's check."""

    lines: list[CheckLine] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when any provider's check failed."""
        return all(c.result.status == "valid" for c in self.lines)

    def summary(self) -> str:
        """What ``flask llm check-providers`` prints."""
        if not self.lines:
            return "No providers to check."
        failed = sum(c.result.status != "valid" for c in self.lines)
        return "\n".join([*(c.line() for c in self.lines),
                          f"{len(self.lines)} checked, {failed} failed."])


class HealthService:
    """Checks providers, keeps their history, summarises it."""

    def __init__(self, providers: ProviderStore, credentials: Credentials, store: HealthStore,
                 settings: HealthSettings) -> None:
        self.providers = providers
        self.credentials = credentials
        self.store = store
        self.settings = settings

    def check_all(self) -> CheckReport:
        """Check every provider (one after another: cheap calls, bounded by timeouts)."""
        report = CheckReport()
        for doc in self.providers.all():
            if not doc.get("deleting"):
                report.lines.append(self.check(doc))
        return report

    def check(self, doc: Mapping[str, Any]) -> CheckLine:
        """Test one provider, record the result and update its status (see module doc)."""
        try:
            result = self.credentials.adapter_for(doc).test_connection()
        except LlmRegistryError as err:  # e.g. a key that no longer decrypts
            result = ConnectionResult(status="invalid", message=err.message,
                                      error_kind="auth")
        now = utcnow()
        self.store.record(doc["_id"], {
            "at": now, "outcome": result.status, "errorKind": result.error_kind,
            "latencyMs": result.latency_ms,
        }, self.settings.history)
        failures = _failures_in_a_row(self.store.history(doc["_id"]))
        line = CheckLine(str(doc.get("name", doc["_id"])), doc["providerType"], result, failures)
        fields: dict[str, Any] = {}
        if result.status == "valid":
            fields = {"status": "valid", "statusMessage": result.message, "lastErrorKind": None,
                      "lastLatencyMs": result.latency_ms, "lastValidatedAt": now}
        elif failures >= self.settings.failures:
            fields = {"status": "invalid", "lastErrorKind": result.error_kind,
                      "statusMessage": f"{failures} checks in a row failed: {result.message}",
                      "lastLatencyMs": result.latency_ms}
        if fields and fields["status"] != doc.get("status"):
            line.status_change = f"{doc.get('status', 'unknown')} -> {fields['status']}"
            # a change between valid and invalid is news for an operator; unknown is not
            level = logging.WARNING if doc.get("status") in ("valid", "invalid") else logging.INFO
            log.log(level, "provider %s (%s) is now %s: %s", doc["_id"], doc.get("name"),
                    fields["status"], fields["statusMessage"])
        if fields:
            self.providers.record_test(doc, fields)
        return line

    def summary(self, provider_id: Any, now: datetime | None = None) -> dict[str, Any]:
        """Success rate and latency percentiles over 24 h and 7 d, plus the checks of the
        last 7 days (oldest first) for the page's chart."""
        doc = self.providers.get(provider_id)
        now = now or utcnow()
        history = [c for c in self.store.history(doc["_id"]) if isinstance(c.get("at"), datetime)]
        for check in history:
            if check["at"].tzinfo is None:
                check["at"] = check["at"].replace(tzinfo=timezone.utc)
        out: dict[str, Any] = {"providerId": str(doc["_id"]), "status": doc.get("status")}
        for name, span in WINDOWS.items():
            out[name] = window_stats([c for c in history if c["at"] >= now - span])
        out["consecutiveFailures"] = _failures_in_a_row(history)
        out["failuresToInvalid"] = self.settings.failures
        out["historySize"] = self.settings.history
        out["checks"] = [c for c in history if c["at"] >= now - WINDOWS["last7d"]]
        return out


def _failures_in_a_row(history: Sequence[Mapping[str, Any]]) -> int:
    count = 0
    for check in reversed(history):
        if check.get("outcome") == "valid":
            break
        count += 1
    return count


__all__ = ["CheckReport", "HealthService", "percentile", "window_stats"]
