"""Gateway id allocation costs a fixed number of database round trips, however many agents
already have the same slug (issue 10, item 8: after 300 agents named only with symbols, a
create asked the database 301 times and took seconds)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.database import Database

from task_master_llm.config import load_settings
from task_master_llm.core.services import Services, build_services
from task_master_llm.errors import Conflict
from task_master_llm.talon_ids import SEQUENTIAL_IDS
from tests.support import TEST_KEY

RANDOM_ID = re.compile(r"agent-[0-9a-f]{6}")


class Commands(monitoring.CommandListener):
    """Every command sent to the test database, as ``(command name, collection)``."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.sent: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database:
            self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def watched(db: Database, mongo_uri: str) -> Iterator[tuple[Services, Commands]]:
    """The services (Talon sync off) on a client that records every command it sends."""
    commands = Commands(db.name)
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, event_listeners=[commands])
    try:
        settings = load_settings({"LLM_ENCRYPTION_KEY": TEST_KEY}, environ={})
        services = build_services(settings, client[db.name])
        services.stores.ensure_indexes()
        yield services, commands
    finally:
        client.close()


def crowd(db: Database, count: int) -> None:
    """``count`` agents named only with symbols, with the ids they got one by one:
    ``agent``, ``agent-2``, ... ``agent-<count>``."""
    db.Agent.insert_many([
        {"name": "🤖" * n, "talonId": "agent" if n == 1 else f"agent-{n}"}
        for n in range(1, count + 1)
    ])


def lookups(commands: Commands) -> dict[str, int]:
    """How many id lookups went to each collection: the finds by ``talonId`` on the agents,
    and every find on the owed deletes."""
    out = {"Agent": 0, "LlmTalonTombstone": 0}
    for name, coll in commands.sent:
        if name == "find" and coll in out:
            out[coll] += 1
    return out


@pytest.mark.parametrize("existing", [SEQUENTIAL_IDS + 2, 300])
def test_create_costs_the_same_round_trips_however_crowded(
    watched: tuple[Services, Commands], db: Database, existing: int,
) -> None:
    services, commands = watched
    crowd(db, existing)
    commands.sent.clear()
    agent = services.agents.create({"name": "★☆", "model": "openai/gpt-4o"})
    assert RANDOM_ID.fullmatch(agent["talonId"]), agent["talonId"]
    # the readable ids (all held by agents, so the owed deletes are not asked), then one
    # batch of random ids (agents and owed deletes), the insert, the sync status, the
    # audit event, the read
    assert commands.sent == [
        ("find", "Agent"),
        ("find", "Agent"), ("find", "LlmTalonTombstone"),
        ("insert", "Agent"),
        ("findAndModify", "Agent"),
        ("insert", "LlmAuditEvent"),
        ("find", "Agent"),
    ]


def test_a_free_slug_costs_one_lookup_per_collection(watched: tuple[Services, Commands]) -> None:
    services, commands = watched
    commands.sent.clear()  # not the start-up's (index creation, the name-key backfill)
    agent = services.agents.create({"name": "Ωμέγα", "model": "openai/gpt-4o"})
    assert agent["talonId"] == "omega"
    assert lookups(commands) == {"Agent": 2, "LlmTalonTombstone": 1}  # one Agent find: the read


def test_a_handful_of_alike_names_still_get_readable_ids(services: Services) -> None:
    ids = [services.agents.create({"name": name, "model": "openai/gpt-4o"})["talonId"]
           for name in ("🤖", "★", "☆", "日本語", "日 本 語")]
    assert ids == ["agent", "agent-2", "agent-3", "ri-ben-yu", "ri-ben-yu-2"]


def test_owed_deletes_are_taken_too(watched: tuple[Services, Commands], db: Database) -> None:
    """An id whose gateway delete is still owed is not reused (the delete would remove the
    new agent): agents hold some readable ids, owed deletes the rest."""
    services, commands = watched
    crowd(db, 5)
    for n in range(6, SEQUENTIAL_IDS + 1):
        services.stores.tombstones.add("agent", f"agent-{n}", reason="test")
    owed = {t["target"] for t in services.stores.tombstones.all("agent")}
    commands.sent.clear()
    agent = services.agents.create({"name": "🤖🤖🤖🤖🤖🤖", "model": "openai/gpt-4o"})
    assert RANDOM_ID.fullmatch(agent["talonId"]) and agent["talonId"] not in owed
    assert lookups(commands) == {"Agent": 3, "LlmTalonTombstone": 2}


def test_a_host_agent_without_an_id_gets_one_in_bounded_lookups(
    watched: tuple[Services, Commands], db: Database,
) -> None:
    services, commands = watched
    crowd(db, 300)
    host = db.Agent.insert_one({"name": "♠♣♥♦"}).inserted_id
    commands.sent.clear()
    services.agents.agent_changed("updated", host)
    doc = db.Agent.find_one({"_id": host})
    assert RANDOM_ID.fullmatch(doc["talonId"]), doc["talonId"]
    # the name is no usable id (no lookup); readable ids, one random batch; the reread
    assert lookups(commands) == {"Agent": 3, "LlmTalonTombstone": 1}


def test_a_javascript_era_id_is_still_adopted(
    watched: tuple[Services, Commands], db: Database,
) -> None:
    services, commands = watched
    crowd(db, 300)
    legacy = db.Agent.insert_one({"name": "🤖 writer", "talonAgentId": "legacy-writer"})
    commands.sent.clear()
    services.agents.agent_changed("updated", legacy.inserted_id)
    assert db.Agent.find_one({"_id": legacy.inserted_id})["talonId"] == "legacy-writer"
    assert lookups(commands) == {"Agent": 2, "LlmTalonTombstone": 1}


def test_when_every_candidate_is_taken_the_create_stops(
    watched: tuple[Services, Commands], db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The random suffixes cannot run out in practice; if they did, the create answers 409
    after a bounded number of lookups rather than trying forever."""
    services, commands = watched
    crowd(db, SEQUENTIAL_IDS)
    db.Agent.insert_one({"name": "☂", "talonId": "agent-000000"})
    monkeypatch.setattr("task_master_llm.talon_ids.secrets.token_hex", lambda n: "000000")
    commands.sent.clear()
    with pytest.raises(Conflict, match="unique Talon id"):
        services.agents.create({"name": "☃", "model": "openai/gpt-4o"})
    # the readable ids, then the one random id; the third batch repeats it: not asked again
    assert lookups(commands) == {"Agent": 2, "LlmTalonTombstone": 0}


def test_reserved_ids_are_skipped(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    ids = [services.agents.create({"name": name, "model": "openai/gpt-4o"})["talonId"]
           for name in ("Jarvis", "MAIN", "Jârvîs")]
    assert ids == ["jarvis-2", "main-2", "jarvis-3"]
