"""The host's ``Agent`` collection. Only the fields this package owns are written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from task_master_llm.errors import Conflict, NotFound
from task_master_llm.store.base import (
    NAME_KEY,
    Page,
    ensure_index,
    ensure_name_key_index,
    maybe_object_id,
    name_key,
    name_taken,
    read_page,
)

#: the order of agent lists and pages
PAGE_SORT = [("name", 1), ("_id", 1)]


class AgentStore:
    """Agents. ``name`` is unique in the database; unknown host fields are never dropped."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        ensure_index(self.collection, [("name", 1)], unique=True, name="name_unique")
        ensure_index(self.collection, PAGE_SORT, name="page_order")
        # names unique without regard to case, for every agent that carries a nameKey: this
        # package's writes, the backfill at start-up and the host hook set it; a host's own
        # write without the hook is checked at the next start-up or hook call
        ensure_name_key_index(self.collection)
        ensure_index(self.collection, [("modelId", 1)], name="model_id")
        ensure_index(self.collection, [("fallbackModelIds", 1)], name="fallback_model_ids")
        # partial, not sparse: the host's agents may hold an explicit talonId: null
        ensure_index(
            self.collection,
            [("talonId", 1)],
            unique=True,
            name="talon_id_unique",
            partialFilterExpression={"talonId": {"$type": "string"}},
        )

    def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert a new agent. A duplicate name is a 409; a duplicate ``talonId`` re-raises
        :class:`DuplicateKeyError` so the caller can pick the next id and retry."""
        doc[NAME_KEY] = name_key(doc.get("name"))
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            if duplicate_field(exc) == "talonId":
                raise
            raise self._name_taken(doc.get("name")) from None
        return doc

    def find(self, agent_id: Any) -> dict[str, Any] | None:
        """One agent by id, or None (a malformed id is simply not found)."""
        oid = maybe_object_id(agent_id)
        return None if oid is None else self.collection.find_one({"_id": oid})

    def get(self, agent_id: Any) -> dict[str, Any]:
        """One agent by id; 404 when missing or malformed."""
        doc = self.find(agent_id)
        if doc is None:
            raise NotFound(f"No agent with id {str(agent_id)[:64]!r}.")
        return doc

    def all(self) -> list[dict[str, Any]]:
        """Every agent, by name."""
        return list(self.collection.find({}).sort(PAGE_SORT))

    def page(self, *, offset: int, limit: int) -> Page:
        """One page of agents by name, whether more follow, and the total when the page
        reaches the end (see :func:`~task_master_llm.store.base.read_page`)."""
        return read_page(self.collection, {}, PAGE_SORT, offset=offset, limit=limit)

    def by_model_ids(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents bound to any of these models."""
        if not model_ids:
            return []
        return list(self.collection.find({"modelId": {"$in": list(model_ids)}}).sort("name", 1))

    def by_fallback_ids(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents that list any of these models as a fallback."""
        if not model_ids:
            return []
        return list(self.collection.find({"fallbackModelIds": {"$in": list(model_ids)}}))

    def uses_of(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents that use any of these models as primary or fallback, each once, with
        only ``_id``, ``modelId`` and ``fallbackModelIds`` (what counting them needs), in
        no particular order (the same two queries as :meth:`using_models`)."""
        return self._using(model_ids, {"_id": 1, "modelId": 1, "fallbackModelIds": 1})

    def using_models(self, model_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The agents that use any of these models as primary or fallback (id, name,
        modelId and fallbackModelIds only), by name.

        Two queries, one per indexed field, rather than one ``$or``: SecantusDB plans an
        ``$or`` as a collection scan, which with 500 ids over 20,000 agents took 50 s
        (issue 13). A string name sorts as the database sorts it (code point order);
        an agent without one comes last."""
        found = self._using(model_ids, {"_id": 1, "name": 1, "modelId": 1,
                                        "fallbackModelIds": 1})
        return sorted(found, key=_by_name)

    def _using(self, model_ids: list[ObjectId], projection: dict[str, int]) -> list[dict[str, Any]]:
        if not model_ids:
            return []
        ids = list(model_ids)
        found = {a["_id"]: a for a in self.collection.find({"modelId": {"$in": ids}},
                                                           projection)}
        for agent in self.collection.find({"fallbackModelIds": {"$in": ids}}, projection):
            found.setdefault(agent["_id"], agent)
        return list(found.values())

    def pull_fallbacks(self, model_ids: list[ObjectId]) -> None:
        """Take these models off every agent's fallback list (one write)."""
        if model_ids:
            self.collection.update_many(
                {"fallbackModelIds": {"$in": list(model_ids)}},
                {"$pull": {"fallbackModelIds": {"$in": list(model_ids)}},
                 "$set": {"talonSyncStatus": "pending"}},
            )

    def not_synced(self) -> list[dict[str, Any]]:
        """Agents whose last push is not ``synced`` (pending, failed, disabled, or never
        pushed: a host's or the JavaScript Task Master's agent with no sync state)."""
        return list(self.collection.find({"talonSyncStatus": {"$ne": "synced"}}).sort("name", 1))

    def bound(self) -> list[dict[str, Any]]:
        """The agents bound to a registered model: id, model and the recorded version."""
        return list(self.collection.find(
            {"modelId": {"$ne": None}}, {"_id": 1, "modelId": 1, "talonSyncedVersion": 1}
        ))

    def by_ids(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        """These agents, by name."""
        if not ids:
            return []
        return list(self.collection.find({"_id": {"$in": list(ids)}}).sort("name", 1))

    def record_verification(self, results: Mapping[ObjectId, str], when: Any) -> None:
        """Store what ``--verify`` read back for each agent, in one round trip (one
        update per agent: matching by ``_id`` each is cheaper than one ``$in`` over many)."""
        self.bulk_write([
            UpdateOne({"_id": agent_id},
                      {"$set": {"talonVerifyStatus": status, "talonVerifiedAt": when}})
            for agent_id, status in results.items()
        ])

    def legacy(self) -> list[dict[str, Any]]:
        """Agents with a legacy model string and no ``modelId``."""
        return [
            d
            for d in self.collection.find({"modelId": None}).sort("name", 1)
            if isinstance(d.get("model"), str) and d["model"].strip()
        ]

    def talon_id_taken(self, talon_id: str) -> bool:
        """Whether some agent already has this gateway id."""
        return self.collection.count_documents({"talonId": talon_id}, limit=1) > 0

    def taken_ids(self, talon_ids: Iterable[str]) -> set[str]:
        """The ones of these gateway ids that some agent already has (one query)."""
        wanted = list(talon_ids)
        if not wanted:
            return set()
        found = self.collection.find({"talonId": {"$in": wanted}}, {"_id": 0, "talonId": 1},
                                     limit=len(wanted))
        return {d["talonId"] for d in found if isinstance(d.get("talonId"), str)}

    def update(
        self,
        agent_id: ObjectId,
        set_fields: Mapping[str, Any],
        unset_fields: tuple[str, ...] = (),
        *,
        only_if: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """``$set``/``$unset`` this package's fields only (host fields are untouched) and
        return the new document; None when ``only_if`` did not match. Duplicate name: 409."""
        update: dict[str, Any] = {"$set": dict(set_fields)}
        if "name" in set_fields:
            update["$set"][NAME_KEY] = name_key(set_fields["name"])
        if unset_fields:
            update["$unset"] = {f: "" for f in unset_fields}
        try:
            return self.collection.find_one_and_update(
                {"_id": agent_id, **(only_if or {})},
                update,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as exc:
            if duplicate_field(exc) == "talonId":
                raise
            raise self._name_taken(set_fields.get("name")) from None

    def _name_taken(self, name: Any) -> Conflict:
        """409 naming the agent that holds the name (it may differ in case)."""
        holder = self.collection.find_one({NAME_KEY: name_key(name)}, {"name": 1})
        return name_taken("agent", name, holder)

    def refresh_name_key(self, doc: Mapping[str, Any]) -> bool:
        """Give a host-written agent the key of its current name (the host hook calls
        this); False when another agent's name differs from it only in case (the key is
        then removed: the pair is logged at start-up until one is renamed)."""
        key = name_key(doc.get("name"))
        if not isinstance(key, str) or doc.get(NAME_KEY) == key:
            return True
        try:
            self.collection.update_one({"_id": doc["_id"]}, {"$set": {NAME_KEY: key}})
        except DuplicateKeyError:
            self.collection.update_one({"_id": doc["_id"]}, {"$unset": {NAME_KEY: ""}})
            return False
        return True

    def bulk_write(self, operations: list[UpdateOne]) -> None:
        """Several per-agent updates in one round trip."""
        if operations:
            self.collection.bulk_write(operations, ordered=False)

    def remove(self, agent_id: ObjectId) -> dict[str, Any] | None:
        """Delete one agent and return it (None when it was already gone)."""
        return self.collection.find_one_and_delete({"_id": agent_id})


def duplicate_field(exc: DuplicateKeyError) -> str:
    """Which unique field a duplicate-key error is about: ``talonId`` or ``name``."""
    details = exc.details or {}
    pattern = details.get("keyPattern") or {}
    if "talonId" in pattern:
        return "talonId"
    if not pattern and "talon_id_unique" in str(details.get("errmsg", "")):
        return "talonId"
    return "name"


def _by_name(agent: dict[str, Any]) -> tuple[bool, str]:
    """Sort key: string names in code point order (the database's), others after."""
    name = agent.get("name")
    return (not isinstance(name, str), name if isinstance(name, str) else str(name))
