"""MongoDB storage: one store class per collection, documents stay camelCase as in Prisma.

Everything that knows a document's shape lives here: the stores, the stored form of an
encrypted key (:mod:`~task_master_llm.store.keys`) and the summaries one record shows of
another (:mod:`~task_master_llm.store.summaries`)."""

from task_master_llm.store.agents import AgentStore
from task_master_llm.store.base import (
    iso,
    maybe_object_id,
    parse_object_id,
    storable,
    storable_problem,
    utcnow,
)
from task_master_llm.store.models import ModelStore
from task_master_llm.store.providers import ProviderStore
from task_master_llm.store.summaries import PROVIDER_SUMMARY, model_string, provider_summary

__all__ = [
    "PROVIDER_SUMMARY",
    "AgentStore",
    "ModelStore",
    "ProviderStore",
    "iso",
    "maybe_object_id",
    "model_string",
    "parse_object_id",
    "provider_summary",
    "storable",
    "storable_problem",
    "utcnow",
]
