"""MongoDB storage: one store class per collection, documents stay camelCase as in Prisma."""

from task_master_llm.store.agents import AgentStore
from task_master_llm.store.base import maybe_object_id, parse_object_id, utcnow
from task_master_llm.store.models import ModelStore
from task_master_llm.store.providers import ProviderStore

__all__ = [
    "AgentStore",
    "ModelStore",
    "ProviderStore",
    "maybe_object_id",
    "parse_object_id",
    "utcnow",
]
