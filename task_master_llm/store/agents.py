"""The host's ``Agent`` collection. Only the fields this package owns are written."""

from __future__ import annotations

from pymongo.collection import Collection


class AgentStore:
    """Agents. ``name`` is unique in the database; unknown host fields are never dropped."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Create the indexes this store relies on (idempotent)."""
        self.collection.create_index("name", unique=True, name="name_unique")
        self.collection.create_index("modelId", name="model_id")
        self.collection.create_index("talonId", unique=True, sparse=True, name="talon_id_unique")
