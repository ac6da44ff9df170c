"""Gateway deletes still owed: the package's own ``LlmTalonTombstone`` collection.

A tombstone is written BEFORE the local record goes (an agent, or the provider whose key
the gateway's credential store holds) and removed only once the gateway confirmed the
delete, so a crash or an outage at any step leaves the delete visible as owed, and
``flask llm sync-agents`` retries it until it is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from bson import ObjectId
from pymongo.collection import Collection

from task_master_llm.store.base import ensure_index, utcnow

#: ``agent``: DELETE /v1/agents/<target>; ``credential``: POST /v1/auth/remove <target>
TombstoneKind = Literal["agent", "credential"]


class TombstoneStore:
    """One document per owed delete, unique per ``(kind, target)``."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        ensure_index(self.collection, [("kind", 1), ("target", 1)], unique=True,
                     name="kind_target_unique")

    def add(
        self, kind: TombstoneKind, target: str, *, agent_id: ObjectId | None = None,
        reason: str = "",
    ) -> None:
        """Record that ``target`` must go at the gateway (idempotent)."""
        now = utcnow()
        self.collection.update_one(
            {"kind": kind, "target": target},
            {"$set": {"reason": reason, "agentId": agent_id, "updatedAt": now},
             "$setOnInsert": {"createdAt": now, "attempts": 0}},
            upsert=True,
        )

    def done(self, kind: TombstoneKind, target: str) -> None:
        """The gateway confirmed the delete."""
        self.collection.delete_one({"kind": kind, "target": target})

    def failed(self, kind: TombstoneKind, target: str, error: str | None) -> None:
        """One more attempt that did not reach the gateway (the delete stays owed)."""
        self.collection.update_one(
            {"kind": kind, "target": target},
            {"$set": {"lastError": error, "lastTriedAt": utcnow()}, "$inc": {"attempts": 1}},
        )

    def exists(self, kind: TombstoneKind, target: str) -> bool:
        """Whether a delete of ``target`` is owed."""
        return self.collection.count_documents({"kind": kind, "target": target}, limit=1) > 0

    def owed(self, kind: TombstoneKind, targets: Iterable[str]) -> set[str]:
        """The ones of ``targets`` whose delete is owed (one query)."""
        wanted = list(targets)
        if not wanted:
            return set()
        found = self.collection.find({"kind": kind, "target": {"$in": wanted}},
                                     {"_id": 0, "target": 1}, limit=len(wanted))
        return {d["target"] for d in found}

    def all(self, kind: TombstoneKind | None = None) -> list[dict[str, Any]]:
        """Every owed delete (of one kind), oldest first."""
        query = {} if kind is None else {"kind": kind}
        return list(self.collection.find(query).sort([("createdAt", 1), ("_id", 1)]))

    def count(self) -> int:
        """How many deletes are owed."""
        return self.collection.count_documents({})


__all__ = ["TombstoneKind", "TombstoneStore"]
