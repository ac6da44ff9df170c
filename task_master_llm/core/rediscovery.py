"""``flask llm discover``: re-discover providers (for cron) and optionally apply the diff.

For every provider with registered models (or one named), discovery runs and is compared
with the registry (:func:`task_master_llm.core.lifecycle.diff`). With ``apply`` the listed
registered models get the provider's current facts (admin-owned facts kept, a gone model
that is back is active again) and the registered models the complete listing lacks are
marked ``gone``. A failed, empty or incomplete listing never marks anything gone. Every
write is idempotent, so overlapping runs on several hosts are harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from task_master_llm.core import lifecycle
from task_master_llm.core.models import ModelService
from task_master_llm.core.providers import ProviderService
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import ModelStore, ProviderStore, parse_object_id, utcnow

log = logging.getLogger(__name__)


@dataclass
class ProviderRediscovery:
    """What one provider's re-discovery found and did."""

    name: str
    provider_type: str
    counts: dict[str, int] = field(default_factory=dict)
    updated: int = 0
    marked_gone: int = 0
    note: str | None = None
    error: str | None = None

    def line(self, applied: bool) -> str:
        """One line of the command's output (names and counts, never secrets)."""
        head = f"{self.name} ({self.provider_type}): "
        if self.error is not None:
            return head + f"discovery failed - {self.error}; nothing marked gone."
        c = self.counts
        text = head + (f"{c.get('new', 0)} new, {c.get('changed', 0)} changed, "
                       f"{c.get('unchanged', 0)} unchanged, {c.get('gone', 0)} gone")
        if self.note:
            text += f" ({self.note})"
        if applied:
            text += f"; applied: {self.updated} updated, {self.marked_gone} marked gone"
        return text + "."


@dataclass
class RediscoveryReport:
    """Every provider's outcome."""

    applied: bool
    providers: list[ProviderRediscovery] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when a provider's discovery failed."""
        return all(p.error is None for p in self.providers)

    def summary(self) -> str:
        """The lines ``flask llm discover`` prints."""
        if not self.providers:
            return "No provider has registered models; nothing to re-discover."
        lines = [p.line(self.applied) for p in self.providers]
        if not self.applied:
            lines.append("Dry run: nothing changed (use --apply to update facts and mark "
                         "gone models).")
        return "\n".join(lines)


class Rediscovery:
    """Runs discovery for providers and applies the diff."""

    def __init__(self, providers: ProviderService, models: ModelService,
                 provider_store: ProviderStore, model_store: ModelStore) -> None:
        self.providers = providers
        self.models = models
        self.provider_store = provider_store
        self.model_store = model_store

    def run(self, *, provider_id: str | None = None, apply: bool = False) -> RediscoveryReport:
        """Re-discover one provider or every provider with registered models."""
        if provider_id is not None:
            ids = [parse_object_id(provider_id, "provider")]
            self.provider_store.get(ids[0])  # 404 for an unknown id
        else:
            ids = self.model_store.provider_ids()
        report = RediscoveryReport(applied=apply)
        for pid in ids:
            doc = self.provider_store.find(pid)
            if doc is None or doc.get("deleting"):
                continue
            report.providers.append(self._one(doc, apply))
        return report

    def _one(self, doc: dict[str, Any], apply: bool) -> ProviderRediscovery:
        outcome = ProviderRediscovery(str(doc.get("name", doc["_id"])), doc["providerType"])
        try:
            result = self.providers.discover(doc["_id"])
        except LlmRegistryError as err:
            outcome.error = err.message
            log.warning("re-discovery of provider %s failed: %s", doc["_id"], err.message)
            return outcome
        outcome.counts = lifecycle.counts(result)
        outcome.note = result["listing"]["note"]
        if not apply:
            return outcome
        seen = [item for item in result["items"] if item["registered"]]
        if seen:
            done = self.models.register(str(doc["_id"]), seen)
            outcome.updated = done["updated"]
        if result["listing"]["complete"]:
            gone = [ObjectId(g["modelId"]) for g in result["gone"]]
            outcome.marked_gone = self.model_store.mark_gone(gone, utcnow())
        log.info("re-discovery of provider %s applied: %d updated, %d marked gone",
                 doc["_id"], outcome.updated, outcome.marked_gone)
        return outcome


__all__ = ["ProviderRediscovery", "Rediscovery", "RediscoveryReport"]
