"""The agents store's lookups by model use the indexes it creates (issue 13): an ``$or``
of the primary and fallback fields is a collection scan on SecantusDB (500 ids over
20,000 agents took 50 s), so each field is queried on its own."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import MongoClient, monitoring
from pymongo.database import Database

from task_master_llm.store.agents import AgentStore
from tests.support import plan_stages


class _Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "Agent":
            self.filters.append(dict(event.command["filter"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_using_models_reads_by_index_and_finds_both_kinds(db: Database, mongo_uri: str) -> None:
    listener = _Finds()
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener])
    store = AgentStore(client[db.name].Agent)
    store.ensure_indexes()
    primary, fallback, other = ObjectId(), ObjectId(), ObjectId()
    db.Agent.insert_many([
        {"name": "zeta", "modelId": primary},
        {"name": "alpha", "modelId": other, "fallbackModelIds": [fallback]},
        {"name": "mid", "modelId": primary, "fallbackModelIds": [fallback]},  # both: once
        {"name": "unrelated", "modelId": other},
    ])
    listener.filters.clear()  # ensure_indexes' own backfill lookup
    try:
        found = store.using_models([primary, fallback])
    finally:
        client.close()
    assert [a["name"] for a in found] == ["alpha", "mid", "zeta"]
    assert listener.filters
    for query in listener.filters:
        plan = db.Agent.find(query).explain()["queryPlanner"]["winningPlan"]
        assert "COLLSCAN" not in plan_stages(plan), (query, plan)
