"""The ``LlmModel`` collection."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.collection import Collection


class ModelStore:
    """Registered models. ``(providerId, providerModelId)`` is unique in the database."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        self.collection.create_index(
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
