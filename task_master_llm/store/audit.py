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
or deletes one, except that an event stored before ``targets`` existed gets its ``targets``
(its ``target``) once, at start-up, so that the filters find it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from task_master_llm.store.base import Page, ensure_index, read_page

log = logging.getLogger(__name__)

#: how many old events one write fills with their ``targets``
_FILL_BATCH = 1000

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
        try:
            self.fill_targets()
        except PyMongoError as exc:  # best effort, like every audit write: start anyway
            log.warning("old audit events not given their targets (%s): the Activity "
                        "filters miss them until a start-up succeeds", type(exc).__name__)

    def fill_targets(self) -> int:
        """Give each event stored before ``targets`` existed its ``targets`` (its
        ``target``), which the filters read; how many were filled. Finding them is one
        indexed query (such an event has no ``targets.id``), none after the first time."""
        filled = 0
        batch: list[UpdateOne] = []
        for doc in self.collection.find({"targets.id": None}, {"target": 1, "targets": 1}):
            target = doc.get("target")
            if "targets" in doc or not isinstance(target, dict):
                continue  # odd or already filled: nothing to copy
            batch.append(UpdateOne({"_id": doc["_id"], "targets": {"$exists": False}},
                                   {"$set": {"targets": [target]}}))
            if len(batch) == _FILL_BATCH:
                filled += self.collection.bulk_write(batch, ordered=False).modified_count
                batch = []
        if batch:
            filled += self.collection.bulk_write(batch, ordered=False).modified_count
        return filled

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
