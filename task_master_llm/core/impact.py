"""What a model's lifecycle means for the agents that use it.

Every model the API shows carries ``agentCount`` (agents using it as primary or fallback),
its ``lifecycle`` and ``warnings``. A deprecated or gone model with agents gets a warning
naming its retirement date and a ``suggestedSuccessor``: the newest active, enabled model of
the same provider and family (the family and release date come from the catalog, or the
provider's creation date).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from task_master_llm.core.lifecycle import lifecycle_of
from task_master_llm.core.links import AgentLinks
from task_master_llm.store import ModelStore


class Impact:
    """Adds ``agentCount``, ``lifecycle``, ``warnings`` and ``suggestedSuccessor`` to
    models (two queries for any number of models, three when a successor is needed)."""

    def __init__(self, store: ModelStore, agents: AgentLinks) -> None:
        self.store = store
        self.agents = agents

    def decorate(
        self, docs: list[dict[str, Any]], *, unused: Collection[Any] = ()
    ) -> list[dict[str, Any]]:
        """``docs`` with the impact fields; the agents of ``unused`` models (created just
        now: no agent can name them yet) are not looked up."""
        counts = self.agents.count_by_model([d["_id"] for d in docs if d["_id"] not in unused])
        out = []
        for doc in docs:
            lifecycle = lifecycle_of(doc)
            count = counts.get(doc["_id"], 0)
            out.append({**doc, "lifecycle": lifecycle, "agentCount": count,
                        "warnings": warnings(doc, lifecycle, count),
                        "suggestedSuccessor": None})
        retiring = [d for d in out if d["agentCount"] and d["lifecycle"]["status"] != "active"]
        if retiring:
            pool = self.store.usable_by_providers(list({d["providerId"] for d in retiring}))
            for doc in retiring:
                found = successor(doc, pool)
                doc["suggestedSuccessor"] = None if found is None else {
                    "id": str(found["_id"]), "providerModelId": found["providerModelId"],
                    "displayName": found.get("displayName") or found["providerModelId"]}
        return out

    def successor_of(self, doc: Mapping[str, Any]) -> dict[str, Any] | None:
        """The suggested successor of one model, or None."""
        return successor(doc, self.store.usable_by_providers([doc["providerId"]]))


def warnings(doc: Mapping[str, Any], lifecycle: Mapping[str, Any], agent_count: int) -> list[str]:
    """What an admin should see about a model: retirement with agents on it, and an Azure
    deployment nobody could confirm."""
    out = []
    one = agent_count == 1
    users = f"{agent_count} agent{'' if one else 's'}"
    use = "uses" if one else "use"
    retires = lifecycle.get("retiresAt")
    when = f" It retires on {retires.date().isoformat()}." if retires else ""
    if lifecycle["status"] == "deprecated" and agent_count:
        out.append(f"Deprecated by the provider.{when} {users} {use} it: move "
                   f"{'it' if one else 'them'} to another model before it retires.")
    elif lifecycle["status"] == "gone" and agent_count:
        seen = lifecycle.get("lastSeenAt")
        last = f" (last listed {seen.date().isoformat()})" if seen else ""
        out.append(f"The provider no longer lists this model{last}.{when} {users} still "
                   f"{use} it and may stop working: move {'it' if one else 'them'} to another "
                   "model.")
    raw = ((doc.get("meta") or {}).get("raw") or {})
    if isinstance(raw, Mapping) and raw.get("confirmed") is False:
        out.append(f"Azure could not confirm that deployment {doc.get('providerModelId')!r} "
                   "exists: check its spelling - a typo is possible and shows only when an "
                   "agent first uses it.")
    return out


def successor(doc: Mapping[str, Any], pool: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest active, enabled model of ``doc``'s provider and family in ``pool``,
    released after ``doc`` (an older model is no successor)."""
    family = family_of(doc)
    if family is None:
        return None
    released = _released(doc)
    candidates = [
        m for m in pool
        if m["_id"] != doc["_id"] and m.get("providerId") == doc.get("providerId")
        and family_of(m) == family and lifecycle_of(m)["status"] == "active"
        and _released(m) > released
    ]
    if not candidates:
        return None
    return max(candidates, key=_released)


def family_of(doc: Mapping[str, Any]) -> str | None:
    """The model's family: the catalog's (``meta.family``) when known."""
    family = (doc.get("meta") or {}).get("family")
    return family if isinstance(family, str) and family else None


def _released(doc: Mapping[str, Any]) -> str:
    """A sortable release date: the catalog's, else the provider's creation date."""
    meta = doc.get("meta") or {}
    raw = meta.get("raw") or {}
    for value in (meta.get("releaseDate"), raw.get("created_at")):
        if isinstance(value, str) and value:
            return value[:10]
    created = doc.get("createdAt")
    return created.date().isoformat() if isinstance(created, datetime) else ""


__all__ = ["Impact", "family_of", "successor", "warnings"]
