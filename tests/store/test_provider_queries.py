"""The providers store's frequent lookups read by index (issue 13): every models page asks
which providers are being deleted (few or none), so that read must not scan them all."""

from __future__ import annotations

from pymongo.database import Database

from task_master_llm.store.providers import ProviderStore
from tests.support import plan_stages


def test_the_providers_being_deleted_are_read_by_index(db: Database) -> None:
    store = ProviderStore(db.LlmProvider)
    store.ensure_indexes()
    db.LlmProvider.insert_many([{"name": f"p{i}", "providerType": "openai"} for i in range(30)])
    gone = db.LlmProvider.insert_one({"name": "going", "providerType": "openai",
                                      "deleting": True}).inserted_id
    assert store.deleting_ids() == [gone]
    plan = db.LlmProvider.find({"deleting": True}, {"_id": 1}).explain()["queryPlanner"][
        "winningPlan"]
    assert "COLLSCAN" not in plan_stages(plan), plan
