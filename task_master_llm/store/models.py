"""The ``LlmModel`` collection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from task_master_llm.errors import NotFound
from task_master_llm.store.base import ensure_index, maybe_object_id, utcnow

#: the provider facts a model carries; each has a source in ``meta.sources``
FACT_FIELDS = ("displayName", "modality", "contextWindow", "inputCostPer1k", "outputCostPer1k")


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

    def count_by_provider(self, provider_ids: list[ObjectId]) -> dict[ObjectId, int]:
        """How many models each provider has, in one aggregation."""
        if not provider_ids:
            return {}
        rows = self.collection.aggregate(
            [
                {"$match": {"providerId": {"$in": provider_ids}}},
                {"$group": {"_id": "$providerId", "n": {"$sum": 1}}},
            ]
        )
        return {row["_id"]: row["n"] for row in rows}

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
        """One provider's models with these provider ids, keyed by providerModelId."""
        cursor = self.collection.find(
            {"providerId": provider_id, "providerModelId": {"$in": provider_model_ids}}
        )
        return {d["providerModelId"]: d for d in cursor}

    def page(
        self, query: Mapping[str, Any], *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of models matching ``query`` (by name) and the total count."""
        total = self.collection.count_documents(dict(query))
        cursor = (
            self.collection.find(dict(query))
            .sort([("displayName", 1), ("providerModelId", 1), ("_id", 1)])
            .skip(offset)
            .limit(limit)
        )
        return list(cursor), total

    def all(self) -> list[dict[str, Any]]:
        """Every registered model (the migration matches legacy strings against them)."""
        return list(self.collection.find({}))

    def bulk_upsert(self, operations: list[UpdateOne]) -> tuple[int, int]:
        """Run upserts in one unordered bulk write; returns (created, updated)."""
        if not operations:
            return 0, 0
        try:
            result = self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # Two registrations racing on a new model: the loser's upsert hits the unique
            # index. Re-running just those operations now matches the winner's document.
            errors = exc.details.get("writeErrors", [])
            if not errors or any(e.get("code") != 11000 for e in errors):
                raise
            again = [operations[e["index"]] for e in errors]
            retry = self.collection.bulk_write(again, ordered=False)
            details = exc.details
            return (
                details.get("nUpserted", 0) + retry.upserted_count,
                details.get("nMatched", 0) + retry.matched_count,
            )
        return result.upserted_count, result.matched_count

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

    def remove(self, model_id: ObjectId) -> bool:
        """Delete one model; False when it was already gone."""
        return self.collection.delete_one({"_id": model_id}).deleted_count == 1
