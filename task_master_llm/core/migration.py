"""``flask llm migrate-agents``: bind legacy agents (a model string) to registered models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from task_master_llm.store import AgentStore, ModelStore, ProviderStore, model_string, utcnow


@dataclass
class MigrationReport:
    """What ``flask llm migrate-agents`` found (agent names per outcome)."""

    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        """Counts, then the names that need an admin's attention."""
        lines = [
            f"matched: {len(self.matched)}, unmatched: {len(self.unmatched)}, "
            f"ambiguous: {len(self.ambiguous)}"
        ]
        if self.unmatched:
            lines.append("unmatched (register their model first): " + ", ".join(self.unmatched))
        if self.ambiguous:
            lines.append("ambiguous (several models fit; set modelId by hand): "
                         + ", ".join(self.ambiguous))
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        elif self.matched:
            lines.append("bound agents are pending sync: run `flask llm sync-agents`")
        return "\n".join(lines)


class AgentMigration:
    """``flask llm migrate-agents``, over the three stores."""

    def __init__(self, agents: AgentStore, models: ModelStore, providers: ProviderStore) -> None:
        self.agents = agents
        self.models = models
        self.providers = providers

    def run(self, *, dry_run: bool = False) -> MigrationReport:
        """Bind legacy agents (a ``model`` string, no ``modelId``) to registered models.

        ``providerType/providerModelId`` must match exactly one registered model; a bare id
        (or one containing slashes, such as OpenRouter's) must match exactly one model's
        ``providerModelId``. Bound agents get ``modelId`` and sync status ``pending``.
        Agents already bound are not legacy, so a second run changes nothing.
        """
        report = MigrationReport(dry_run=dry_run)
        legacy = self.agents.legacy()
        if not legacy:
            return report
        registered = self.models.all()
        by_id = self.providers.by_ids([m["providerId"] for m in registered])
        by_full: dict[str, list[dict[str, Any]]] = {}
        by_bare: dict[str, list[dict[str, Any]]] = {}
        for model in registered:
            provider = by_id.get(model["providerId"])
            if provider is None or provider.get("deleting"):
                continue
            by_full.setdefault(model_string(model, provider), []).append(model)
            by_bare.setdefault(model["providerModelId"], []).append(model)
        for agent in legacy:
            wanted = agent["model"].strip()
            found = by_full.get(wanted) or by_bare.get(wanted) or []
            name = str(agent.get("name", agent["_id"]))
            if not found:
                report.unmatched.append(name)
                continue
            if len(found) > 1:
                report.ambiguous.append(name)
                continue
            report.matched.append(name)
            if not dry_run:
                model = found[0]
                self.agents.update(
                    agent["_id"],
                    {
                        "modelId": model["_id"],
                        "model": model_string(model, by_id[model["providerId"]]),
                        "talonSyncStatus": "pending",
                        "updatedAt": utcnow(),
                    },
                    only_if={"modelId": None},
                )
        return report
