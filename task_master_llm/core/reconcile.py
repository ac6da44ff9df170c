"""Sync as reconciliation: the database is the desired state, the gateway converges to it.

What is owed, whatever crashed or was down when it changed:

- agents whose last push is not ``synced`` (``pending``, ``failed``, ``disabled``);
- agents behind their provider: the ``credentialsVersion`` their last push carried is not
  the provider's current one (when agent bodies carry keys);
- the gateway's credential for a type, when the holder's key version is not the one the
  store was last given;
- tombstones: agent deletes and credential removals not yet confirmed by the gateway.

:meth:`Reconciler.run` pays what is owed (``flask llm sync-agents``); :meth:`Reconciler.verify`
reads the gateway back and says what differs (``--verify``), and with ``repair`` pushes it.
Keys read back from the gateway are compared in memory only: never logged or returned.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from task_master_llm.config import TalonSettings
from task_master_llm.core.agent_sync import AgentSync, Lookup
from task_master_llm.core.agents import AgentService
from task_master_llm.core.audit import NO_AUDIT, AuditLog, Target, problem
from task_master_llm.core.gateway_credentials import GatewayCredentials, store_type
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import AgentStore, ModelStore, ProviderStore, utcnow
from task_master_llm.store.tombstones import TombstoneStore
from task_master_llm.talon import DISABLED_MESSAGE

log = logging.getLogger("task_master_llm.reconcile")

#: agent fields the registry owns at the gateway, compared by ``--verify``
OWNED_FIELDS = ("name", "role", "model", "systemPrompt", "guardrails", "bootstrap",
                "repoContext")
KEY_FIELDS = ("apiKey", "baseUrl")


@dataclass
class SyncReport:
    """What one ``sync-agents`` run did."""

    synced: int = 0
    failed: int = 0
    disabled: int = 0
    deletes_done: int = 0
    deletes_owed: int = 0
    credentials_synced: int = 0
    credentials_failed: int = 0
    enabled: bool = True

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing is still owed."""
        return not (self.failed or self.deletes_owed or self.credentials_failed)

    def summary(self) -> str:
        """One line of counts (no names, no values)."""
        if not self.enabled:
            return f"{DISABLED_MESSAGE}; nothing to do."
        return (
            f"synced: {self.synced}, failed: {self.failed}, disabled: {self.disabled}, "
            f"deletes done: {self.deletes_done}, deletes owed: {self.deletes_owed}, "
            f"credentials synced: {self.credentials_synced}, "
            f"credentials failed: {self.credentials_failed}"
        )


@dataclass
class VerifyReport:
    """What ``sync-agents --verify`` read back. Field names only, never values."""

    in_sync: int = 0
    drifted: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    deletes_owed: int = 0
    credentials_in_sync: int = 0
    credentials_drifted: dict[str, list[str]] = field(default_factory=dict)
    unreadable: str | None = None
    repaired: SyncReport | None = None

    @property
    def ok(self) -> bool:
        """The gateway holds exactly what the registry says."""
        return not (self.drifted or self.missing or self.deletes_owed
                    or self.credentials_drifted or self.unreadable)

    def summary(self) -> str:
        """Counts, then which agents and credentials differ and in which fields."""
        if self.unreadable:
            return f"could not read the gateway back: {self.unreadable}"
        lines = [
            f"in sync: {self.in_sync}, drifted: {len(self.drifted)}, missing at the gateway: "
            f"{len(self.missing)}, deletes owed: {self.deletes_owed}, credentials in sync: "
            f"{self.credentials_in_sync}, credentials drifted: {len(self.credentials_drifted)}"
        ]
        for name, fields in sorted(self.drifted.items()):
            lines.append(f"drifted: {name} ({', '.join(fields)})")
        if self.missing:
            lines.append("missing at the gateway: " + ", ".join(sorted(self.missing)))
        for kind, fields in sorted(self.credentials_drifted.items()):
            lines.append(f"credential drifted: {kind} ({', '.join(fields)})")
        if self.repaired is not None:
            lines.append("repair: " + self.repaired.summary())
        return "\n".join(lines)


class Reconciler:
    """Converges the gateway to the registry (``flask llm sync-agents``)."""

    audit: AuditLog = NO_AUDIT

    def __init__(
        self,
        agents: AgentService,
        sync: AgentSync,
        stores: tuple[AgentStore, ModelStore, ProviderStore, TombstoneStore],
        gateway: GatewayCredentials,
        settings: TalonSettings,
    ) -> None:
        self.agents = agents
        self.sync = sync
        self.agent_store, self.model_store, self.provider_store, self.tombstones = stores
        self.gateway = gateway
        self.settings = settings

    # --- what is owed -------------------------------------------------------------------
    def owed_agents(self) -> list[dict[str, Any]]:
        """Agents not synced, and (when bodies carry keys) agents behind their provider."""
        ids = {d["_id"] for d in self.agent_store.not_synced()}
        if self.settings.keys_in_body:
            bound = self.agent_store.bound()
            models = self.model_store.by_ids([a["modelId"] for a in bound])
            providers = self.provider_store.by_ids([m["providerId"] for m in models.values()])
            for agent in bound:
                model = models.get(agent["modelId"])
                provider = providers.get(model["providerId"]) if model else None
                if provider is None:
                    continue
                current = int(provider.get("credentialsVersion") or 0)
                if agent.get("talonSyncedVersion") != current:
                    ids.add(agent["_id"])
        return self.agent_store.by_ids(list(ids))

    # --- paying it ----------------------------------------------------------------------
    def run(self, *, everything: bool = False) -> SyncReport:
        """Pay everything owed: credential removals and pushes, agent pushes
        (``everything``: every agent), then agent deletes."""
        report = SyncReport(enabled=self.sync.client.enabled)
        if not report.enabled:
            return report
        self._credentials(report, everything=everything)
        docs = self.agent_store.all() if everything else self.owed_agents()
        self._push(report, docs)
        # after the pushes: a JavaScript-era agent given a new id queues its old one
        self._deletes(report)
        log.info("sync-agents: %s", report.summary())
        self.audit.record(
            "agent_sync.run", GATEWAY_TARGET, outcome="ok" if report.ok else "failed",
            error=None if report.ok else problem("sync", report.summary()),
            details={"mode": "all" if everything else "owed", **_counts(report)},
        )
        return report

    def _push(self, report: SyncReport, docs: list[dict[str, Any]]) -> None:
        """PUT these agents and count the outcomes."""
        for state in self.agents.sync_many(docs):
            status = state["status"]
            setattr(report, status, getattr(report, status, 0) + 1)

    def _credentials(self, report: SyncReport, *, everything: bool) -> None:
        holders = self.gateway.holders()
        done: set[str] = set()
        for stone in self.tombstones.all("credential"):
            kind = stone["target"]
            holder = holders.get(kind)
            # another provider holds the type now: its key replaces the deleted one's
            outcome = (self.gateway.push(holder["_id"]) if holder is not None
                       else self.gateway.remove(kind))
            done.add(kind)
            self._count_credential(report, outcome.ok)
        owed = list(holders.values()) if everything else self.gateway.owed()
        for doc in owed:
            if store_type(doc["providerType"]) not in done:
                self._count_credential(report, self.gateway.push(doc["_id"]).ok)

    @staticmethod
    def _count_credential(report: SyncReport, ok: bool) -> None:
        if ok:
            report.credentials_synced += 1
        else:
            report.credentials_failed += 1

    def _deletes(self, report: SyncReport) -> None:
        for stone in self.tombstones.all("agent"):
            agent_id = stone.get("agentId")
            if isinstance(agent_id, ObjectId):
                self.agent_store.remove(agent_id)  # a delete interrupted before this step
            if self.agent_store.talon_id_taken(stone["target"]):
                # another agent holds the id now: the desired state keeps it at the gateway
                self.tombstones.done("agent", stone["target"])
                continue
            if self.agents.finish_delete(stone["target"]).ok:
                report.deletes_done += 1
            else:
                report.deletes_owed += 1

    # --- reading it back ----------------------------------------------------------------
    def verify(self, *, repair: bool = False) -> VerifyReport:
        """Read every agent and the credential store back and compare what the registry
        owns; with ``repair``, push what differs (every holder's key too, since the
        gateway never shows a stored key), then read back again."""
        report = self._read_back()
        if repair and report.unreadable is None:
            pushed = self._repair(report)
            report = self._read_back()
            report.repaired = pushed
        self.audit.record(
            "agent_sync.run", GATEWAY_TARGET, outcome="ok" if report.ok else "failed",
            error=None if report.ok else problem("drift", report.summary().splitlines()[0]),
            details={"mode": "repair" if repair else "verify", "inSync": report.in_sync,
                     "drifted": len(report.drifted), "missing": len(report.missing),
                     **(_counts(report.repaired) if report.repaired else {})},
        )
        return report

    def _read_back(self) -> VerifyReport:
        report = VerifyReport(deletes_owed=self.tombstones.count())
        if not self.sync.client.enabled:
            report.unreadable = DISABLED_MESSAGE
            return report
        listing = self.sync.client.list_agents()
        status = self.sync.client.credential_status()
        for reading in (listing, status):
            if not reading.outcome.ok:
                report.unreadable = reading.outcome.error
                return report
        stored = {a.get("id"): a for a in listing.body["data"] if isinstance(a, dict)}
        results: dict[ObjectId, str] = {}
        docs = self.agent_store.all()
        lookup = self.sync.lookup(docs)
        for doc in docs:
            name = str(doc.get("name") or doc["_id"])
            actual = stored.get(doc.get("talonId")) if doc.get("talonId") else None
            if actual is None:
                report.missing.append(name)
                results[doc["_id"]] = "missing"
                continue
            differs = self._agent_drift(doc, actual, lookup)
            if differs:
                report.drifted[name] = differs
                results[doc["_id"]] = "drifted"
            else:
                report.in_sync += 1
                results[doc["_id"]] = "in_sync"
        self.agent_store.record_verification(results, utcnow())
        self._credential_drift(report, status.body if isinstance(status.body, dict) else {})
        return report

    def _agent_drift(
        self, doc: Mapping[str, Any], actual: Mapping[str, Any], lookup: Lookup
    ) -> list[str]:
        payload = self.sync.payload(doc, put=True, lookup=lookup)
        if payload.problem is not None:
            return ["model"]
        expected = payload.body
        names = OWNED_FIELDS + (KEY_FIELDS if self.settings.keys_in_body else ())
        return [f for f in names if _value(expected.get(f)) != _value(actual.get(f))]

    def _credential_drift(self, report: VerifyReport, status: Mapping[str, Any]) -> None:
        if not self.settings.keys_in_store:
            return
        for kind, doc in sorted(self.gateway.holders().items()):
            try:
                values = self.gateway.credentials.adapter_for(doc).talon_credentials("-")
            except LlmRegistryError:
                report.credentials_drifted[kind] = ["apiKey"]
                continue
            entry = status.get(kind)
            seen: Mapping[str, Any] = entry if isinstance(entry, dict) else {}
            differs = []
            if not seen.get("connected"):
                differs.append("connected")
            if bool(values.get("apiKey")) != bool(seen.get("hasApiKey")):
                differs.append("apiKey")
            if _value(values.get("baseUrl")) != _value(seen.get("baseUrl")):
                differs.append("baseUrl")
            if differs:
                report.credentials_drifted[kind] = differs
            else:
                report.credentials_in_sync += 1

    def _repair(self, report: VerifyReport) -> SyncReport:
        pushed = SyncReport()
        self._credentials(pushed, everything=True)
        names = set(report.drifted) | set(report.missing)
        docs = [d for d in self.agent_store.all() if str(d.get("name") or d["_id"]) in names]
        self._push(pushed, docs)
        self._deletes(pushed)
        return pushed


#: the target of ``agent_sync.run`` events
GATEWAY_TARGET = Target("registry", "gateway", "Talon gateway")


def _counts(report: SyncReport) -> dict[str, int]:
    """A sync report's counts, as an audit event's details."""
    return {"synced": report.synced, "failed": report.failed, "disabled": report.disabled,
            "deletesDone": report.deletes_done, "deletesOwed": report.deletes_owed,
            "credentialsSynced": report.credentials_synced,
            "credentialsFailed": report.credentials_failed}


def _value(value: Any) -> Any:
    """Compare "" and absent alike (a PUT clears a field with "")."""
    return None if value in ("", None) else value


__all__ = ["Reconciler", "SyncReport", "VerifyReport"]
