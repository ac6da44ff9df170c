"""The ``LlmAuditEvent`` collection: who did what to which record, when, and how it went.

One document per event (camelCase like the other collections)::

    {"_id": ObjectId, "at": date, "actor": "admin-7", "action": "provider.key_replaced",
     "target": {"type": "provider", "id": "65f...", "name": "OpenAI main"},
     "targets": [<target>, <each related record: a registration's models>],
     "outcome": "ok" | "failed", "error": {"kind": "auth", "message": "..."} | null,
     "fingerprint": "3f1c9a0b7d2e4f60" | null, "details": {...}}

``target.id`` is text (an ObjectId's hex, a gateway credential type, a gateway id), so one
filter serves every kind of target. ``targets`` repeats ``target`` and adds the other
records one action touched (a registration of 500 models is one event, found by the id of
any of them): the filters read ``targets``. Events are only ever inserted; nothing here updates
or deletes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.collection import Collection

from task_master_llm.store.base import Page, ensure_index, read_page

#: newest first; ``_id`` breaks ties between events of the same millisecond
NEWEST_FIRST = [("at", -1), ("_id", -1)]


class AuditStore:
    """Audit events: inserted once, read newest first with optional filters."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """The indexes the Activity reads use: all events by time, and by target (any of an
        event's ``targets``) or action, each then by time."""
        ensure_index(self.collection, NEWEST_FIRST, name="at_desc")
        ensure_index(self.collection, [("targets.id", 1), ("at", -1)], name="targets_at")
        ensure_index(self.collection, [("targets.type", 1), ("at", -1)], name="targets_type_at")
        ensure_index(self.collection, [("action", 1), ("at", -1)], name="action_at")

    def insert(self, doc: Mapping[str, Any]) -> None:
        """Store one event."""
        self.collection.insert_one(dict(doc))

    def page(
        self, query: Mapping[str, Any], *, offset: int, limit: int, count: bool = False
    ) -> Page:
        """One page of events matching ``query``, newest first, whether more follow, and
        the total when known (see :func:`~task_master_llm.store.base.read_page`)."""
        return read_page(self.collection, query, NEWEST_FIRST, offset=offset, limit=limit,
                         count=count)


__all__ = ["NEWEST_FIRST", "AuditStore"]
