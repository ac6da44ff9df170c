"""The ``LlmProviderHealth`` collection: each provider's capped history of checks.

One document per provider (``_id`` = the provider's id) holding ``checks``, newest last,
cut to the configured size by ``$push`` with ``$slice`` in the same write, so concurrent
``flask llm check-providers`` runs never grow it past the cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection


class HealthStore:
    """Capped check history per provider."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond ``_id`` (kept for the Stores interface)."""

    def record(self, provider_id: ObjectId, check: Mapping[str, Any], cap: int) -> None:
        """Append one check, keeping the newest ``cap`` (one write)."""
        self.collection.update_one(
            {"_id": provider_id},
            {"$push": {"checks": {"$each": [dict(check)], "$slice": -max(1, cap)}}},
            upsert=True,
        )

    def history(self, provider_id: ObjectId) -> list[dict[str, Any]]:
        """A provider's checks, oldest first (empty when never checked)."""
        doc = self.collection.find_one({"_id": provider_id}, {"checks": 1})
        checks = (doc or {}).get("checks")
        return [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []

    def remove(self, provider_id: ObjectId) -> None:
        """Forget a deleted provider's history."""
        self.collection.delete_one({"_id": provider_id})
