"""The ``LlmModel`` collection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import InsertOne, ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from task_master_llm.errors import NotFound
from task_master_llm.store.base import Page, ensure_index, maybe_object_id, read_page, utcnow

#: the order of a page of models (an index for it, alone and after each filter field)
PAGE_SORT = [("displayName", 1), ("providerModelId", 1), ("_id", 1)]

#: up to this many ids are looked up with ``$in``; more by reading the provider's models
_SHORT_IN = 20

#: the provider facts a model carries; each has a source in ``meta.sources``
FACT_FIELDS = ("displayName", "modality", "contextWindow", "maxOutputTokens", "inputCostPer1k",
               "outputCostPer1k")


class ModelStore:
    """Registered models. ``(providerId, providerModelId)`` is unique in the database."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        ensure_index(
            self.collection,
            [("providerId", 1), ("providerModelId", 1)],
            unique=True,
            name="provider_model_unique",
        )
        # the page order, alone and after each equality filter of GET /models
        ensure_index(self.collection, PAGE_SORT, name="page_order")
        ensure_index(self.collection, [("providerId", 1), *PAGE_SORT], name="provider_page_order")
        ensure_index(self.collection, [("enabled", 1), *PAGE_SORT], name="enabled_page_order")

    def count_by_provider(self, provider_ids: list[ObjectId] | None) -> dict[ObjectId, int]:
        """How many models each provider has, in one aggregation (``None``: every
        provider's, one ``$group`` over the collection, cheaper than matching a long
        ``$in`` list first)."""
        if provider_ids is not None and not provider_ids:
            return {}
        pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$providerId", "n": {"$sum": 1}}}]
        if provider_ids is not None:
            match = provider_ids[0] if len(provider_ids) == 1 else {"$in": provider_ids}
            pipeline.insert(0, {"$match": {"providerId": match}})
        return {row["_id"]: row["n"] for row in self.collection.aggregate(pipeline)}

    def ids_by_provider(self, provider_id: ObjectId) -> list[ObjectId]:
        """Ids of one provider's models."""
        return [d["_id"] for d in self.collection.find({"providerId": provider_id}, {"_id": 1})]

    def by_provider(self, provider_id: ObjectId) -> list[dict[str, Any]]:
        """One provider's models."""
        return list(self.collection.find({"providerId": provider_id}))

    def delete_by_provider(self, provider_id: ObjectId) -> int:
        """Remove every model of a provider; returns how many went."""
        return self.collection.delete_many({"providerId": provider_id}).deleted_count

    def find(self, model_id: Any) -> dict[str, Any] | None:
        """One model by id, or None (a malformed id is simply not found)."""
        oid = maybe_object_id(model_id)
        return None if oid is None else self.collection.find_one({"_id": oid})

    def get(self, model_id: Any) -> dict[str, Any]:
        """One model by id; 404 when missing or malformed."""
        doc = self.find(model_id)
        if doc is None:
            raise NotFound(f"No model with id {str(model_id)[:64]!r}.")
        return doc

    def by_ids(self, ids: list[ObjectId]) -> dict[Any, dict[str, Any]]:
        """Models keyed by id, for joining onto agents in one query."""
        if not ids:
            return {}
        return {d["_id"]: d for d in self.collection.find({"_id": {"$in": list(set(ids))}})}

    def by_provider_model_ids(
        self, provider_id: ObjectId, provider_model_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """One provider's models with these provider ids, keyed by providerModelId.

        Many ids are looked up by reading the provider's models (the index's prefix) and
        keeping the wanted ones: a long ``$in`` costs far more than that on SecantusDB."""
        if len(provider_model_ids) <= _SHORT_IN:
            cursor = self.collection.find(
                {"providerId": provider_id, "providerModelId": {"$in": provider_model_ids}}
            )
            return {d["providerModelId"]: d for d in cursor}
        wanted = set(provider_model_ids)
        cursor = self.collection.find({"providerId": provider_id})
        return {d["providerModelId"]: d for d in cursor if d.get("providerModelId") in wanted}

    def page(
        self, query: Mapping[str, Any], *, offset: int, limit: int, count: bool = False
    ) -> Page:
        """One page of models matching ``query`` in :data:`PAGE_SORT` order, whether more
        follow, and the total when known (see :func:`~task_master_llm.store.base.read_page`)."""
        return read_page(self.collection, query, PAGE_SORT, offset=offset, limit=limit,
                         count=count)

    def all(self) -> list[dict[str, Any]]:
        """Every registered model (the migration matches legacy strings against them)."""
        return list(self.collection.find({}))

    def bulk_upsert(
        self, operations: list[InsertOne | UpdateOne], upserts: list[UpdateOne]
    ) -> tuple[int, int, set[int], set[int]]:
        """Run inserts (models not found before) and upserts in one unordered bulk write;
        ``upserts[i]`` is operation ``i`` as an upsert. Returns (created, updated, the
        indexes of inserts that lost a race: another writer made the model first, so its
        upsert ran instead and the document is that writer's; the indexes of upserts of
        models found before that created them anew: they were deleted meanwhile, and the
        new document has a new id).

        Inserting what is known to be new is several times cheaper than an upsert."""
        if not operations:
            return 0, 0, set(), set()
        try:
            result = self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # Two registrations racing on a new model: the loser's insert hits the unique
            # index. Re-running those as upserts now matches the winner's document.
            errors = exc.details.get("writeErrors", [])
            if not errors or any(e.get("code") != 11000 for e in errors):
                raise
            lost = {e["index"] for e in errors}
            retry = self.collection.bulk_write([upserts[i] for i in sorted(lost)],
                                               ordered=False)
            details = exc.details
            return (
                details.get("nInserted", 0) + details.get("nUpserted", 0)
                + retry.upserted_count,
                details.get("nMatched", 0) + retry.matched_count,
                lost,
                {u["index"] for u in details.get("upserted", [])},
            )
        return (result.inserted_count + result.upserted_count, result.matched_count, set(),
                set(result.upserted_ids or {}))

    def update(
        self, model_id: ObjectId, set_fields: Mapping[str, Any],
        unset_fields: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """``$set`` (and ``$unset``) fields, dotted paths allowed; returns the new document."""
        update: dict[str, Any] = {"$set": {**set_fields, "updatedAt": utcnow()}}
        if unset_fields:
            update["$unset"] = dict.fromkeys(unset_fields, "")
        doc = self.collection.find_one_and_update(
            {"_id": model_id}, update, return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise NotFound(f"No model with id {str(model_id)!r}.")
        return doc

    def set_deleting(self, model_id: ObjectId, deleting: bool) -> None:
        """Mark a model as being deleted (first step of a delete: no new agent binds to
        it), or clear the mark when the delete is refused."""
        change = {"$set": {"deleting": True}} if deleting else {"$unset": {"deleting": ""}}
        self.collection.update_one({"_id": model_id}, change)

    def usable_by_providers(self, provider_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The enabled, not gone models of these providers (successor candidates)."""
        if not provider_ids:
            return []
        return list(self.collection.find({
            "providerId": {"$in": list(provider_ids)}, "enabled": True,
            "lifecycle.status": {"$ne": "gone"}, "deleting": {"$ne": True},
        }))

    def provider_ids(self) -> list[ObjectId]:
        """The providers that have registered models (one query)."""
        return [pid for pid in self.collection.distinct("providerId") if isinstance(pid, ObjectId)]

    def mark_gone(self, model_ids: list[ObjectId], when: Any) -> int:
        """Mark models ``lifecycle.status: gone`` (their provider no longer lists them);
        ``lastSeenAt`` keeps the last time they were listed. Returns how many changed."""
        if not model_ids:
            return 0
        result = self.collection.update_many(
            {"_id": {"$in": list(model_ids)}, "lifecycle.status": {"$ne": "gone"}},
            {"$set": {"lifecycle.status": "gone", "lifecycle.source": "listing",
                      "lifecycle.goneAt": when, "updatedAt": when}},
        )
        return result.modified_count

    def remove(self, model_id: ObjectId) -> bool:
        """Delete one model; False when it was already gone."""
        return self.collection.delete_one({"_id": model_id}).deleted_count == 1
