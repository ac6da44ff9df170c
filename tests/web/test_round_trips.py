"""Database round trips per request are constant in N (issue 13): listing providers, a
page of models, registering models, creating an agent whose slug is taken, a provider key
PATCH, deleting a model or provider with N agents, key rotation and a page of the audit
log. Each request is counted through a pymongo CommandListener at a small and a larger N;
the counts must be equal, and are pinned exactly so a new query shows up here."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from bson import ObjectId
from flask import Flask
from flask.testing import FlaskClient
from pymongo import MongoClient, monitoring
from pymongo.database import Database

from standins.talon import TalonServer
from task_master_llm.store.keys import to_document
from task_master_llm.vault import Vault
from tests.support import TALON_TOKEN, TEST_KEY, agent_requests, login, make_app

#: commands that are the driver's own (handshakes, monitoring), not the request's
_DRIVER = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo",
                     "saslStart", "saslContinue"})
NEW_KEY = base64.b64encode(bytes(range(1, 33))).decode()


class Commands(monitoring.CommandListener):
    """Every command sent to one database, as ``(command name, collection)``."""

    def __init__(self) -> None:
        self.database = ""
        self.sent: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database and event.command_name not in _DRIVER:
            self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def clear(self) -> None:
        """Forget what was sent so far."""
        self.sent.clear()

    def count(self) -> int:
        """Round trips since the last :meth:`clear`."""
        return len(self.sent)

    def by_kind(self) -> Counter[str]:
        """``"command collection"`` -> how many."""
        return Counter(f"{name} {coll}" for name, coll in self.sent)


class Watched:
    """A fresh database on a client that records every command it sends."""

    def __init__(self, mongo_uri: str, db: Database) -> None:
        self.commands = Commands()
        self.client: MongoClient = MongoClient(mongo_uri, tz_aware=True,
                                               event_listeners=[self.commands])
        self.db = self.client[db.name]
        self.commands.database = db.name
        self.raw = db  # the same database on the unwatched client, for seeding

    def app(self, talon: TalonServer | None = None, **config: Any) -> Flask:
        """The host app on the watched database (syncing to ``talon`` when given)."""
        if talon is not None:
            config = {"TALON_GATEWAY_URL": talon.base_url, "TALON_GATEWAY_TOKEN": TALON_TOKEN,
                      "TASK_MASTER_LLM_TALON_TIMEOUT": 2.0, **config}
        return make_app(self.db, **config)

    def measure(self, call: Any) -> tuple[int, Counter[str], Any]:
        """Run ``call()``; return its round trips, their kinds and its result."""
        self.commands.clear()
        result = call()
        return self.commands.count(), self.commands.by_kind(), result


@pytest.fixture
def watched(mongo_uri: str, mongo_client: MongoClient) -> Iterator[Any]:
    """A factory of :class:`Watched` on fresh databases (two sizes per test)."""
    made: list[Watched] = []

    def make() -> Watched:
        import uuid

        name = f"tml_rt_{uuid.uuid4().hex[:12]}"
        made.append(Watched(mongo_uri, mongo_client[name]))
        return made[-1]

    yield make
    for w in made:
        w.client.close()
        mongo_client.drop_database(w.db.name)


def _ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, res.get_data(as_text=True)
    return res.json["data"]


def _provider(admin: FlaskClient, name: str = "openai main") -> dict[str, Any]:
    return _ok(admin.post("/api/llm/providers", json={
        "name": name, "providerType": "openai", "apiKey": "sk-test-0123456789abcdef",
        "baseUrl": "https://api.openai.com/v1"}), 201)


def _model(admin: FlaskClient, provider_id: str, model_id: str = "gpt-4o") -> dict[str, Any]:
    data = _ok(admin.post("/api/llm/models", json={
        "providerId": provider_id, "models": [{"providerModelId": model_id}]}), 201)
    return data["models"][0]


def _agents(db: Database, model_id: str, n: int, *, fallback: str | None = None) -> None:
    """``n`` agents bound to the model, as a sync left them (synced, with a gateway id)."""
    if not n:
        return
    db.Agent.insert_many([
        {"name": f"agent {i:04d}", "talonId": f"agent-{i:04d}", "modelId": ObjectId(model_id),
         "model": "openai/gpt-4o", "talonSyncStatus": "synced",
         **({"fallbackModelIds": [ObjectId(fallback)]} if fallback else {})}
        for i in range(n)
    ])


SIZES = (2, 25)


def _both(
    measure: Any, sizes: tuple[int, int] = SIZES
) -> tuple[tuple[int, Counter[str]], tuple[int, Counter[str]]]:
    small, large = (measure(n) for n in sizes)
    assert small[0] == large[0], (small, large)
    return small, large


def test_list_providers(watched: Any) -> None:
    def measure(n: int, *, stored: bool = True) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        w.raw.LlmProvider.insert_many([
            {"name": f"p{i:03d}", "providerType": "openai", "status": "unknown",
             **({"modelCount": 2} if stored else {})}
            for i in range(n)])
        w.raw.LlmModel.insert_many([
            {"providerId": p["_id"], "providerModelId": f"m{j}", "displayName": f"m{j}"}
            for p in w.raw.LlmProvider.find() for j in range(2)])
        count, kinds, res = w.measure(lambda: admin.get("/api/llm/providers"))
        assert [p["modelCount"] for p in _ok(res)] == [2] * n
        return count, kinds

    (count, kinds), _ = _both(measure)
    assert count == 1, kinds  # the providers: each stores its model count
    # providers written by other code without a count: theirs are counted and stored once
    (count, kinds), _ = _both(lambda n: measure(n, stored=False))
    assert count == 3, kinds


def test_models_page(watched: Any) -> None:
    """The first page, a later page, one provider's page, and a first page holding models
    of a provider being deleted: each a constant number of round trips."""
    def measure(n: int) -> tuple[tuple[int, ...], Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        pid = _provider(admin)["id"]
        going = _provider(admin, "going")["id"]
        w.raw.LlmModel.insert_many([
            {"providerId": ObjectId(p), "providerModelId": f"m{i:04d}{p[-1]}",
             "displayName": f"m{i:04d}", "enabled": True, "modality": ["text"]}
            for i in range(n) for p in (pid, going)])
        counts: list[int] = []
        kinds: Counter[str] = Counter()
        for url, items in ((f"/api/llm/models?limit=10&providerId={going}", min(10, n)),
                           ("/api/llm/models?limit=3", 3),
                           ("/api/llm/models?limit=100", 2 * n),
                           ("/api/llm/models?limit=10&offset=1", min(10, 2 * n - 1)),
                           (f"/api/llm/models?limit=10&providerId={pid}", min(10, n))):
            count, kind, res = w.measure(lambda url=url: admin.get(url))
            assert len(_ok(res)["items"]) == items
            counts.append(count)
            kinds += kind
        w.raw.LlmProvider.update_one({"_id": ObjectId(going)}, {"$set": {"deleting": True}})
        count, kind, res = w.measure(lambda: admin.get("/api/llm/models?limit=10"))
        assert {m["providerId"] for m in _ok(res)["items"]} == {pid}
        counts.append(count)
        kinds += kind
        return tuple(counts), kinds

    (counts, kinds), _ = _both(measure)
    # A first page that reaches the end: the page (limit + 1), its providers' summaries
    # (they say whether one is being deleted), the agent counts (two indexed queries,
    # primary and fallback: SecantusDB scans the collection for an $or). A first page
    # that more models follow also reads which providers are being deleted (hidden ones
    # among those would make hasMore and total lie). A later page first reads them
    # (hidden models may come before it). One provider's page reads its summary first.
    # A first page holding a deleting provider's models is read again without them:
    # + the deleting providers, the page.
    assert counts == (4, 5, 4, 5, 4, 6), kinds


def test_register_models_new_then_again(watched: Any) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        pid = _provider(admin)["id"]
        body = {"providerId": pid,
                "models": [{"providerModelId": f"m{i:04d}"} for i in range(n)]}
        first, kinds_first, res = w.measure(lambda: admin.post("/api/llm/models", json=body))
        assert _ok(res, 201)["created"] == n
        again, kinds_again, res = w.measure(lambda: admin.post("/api/llm/models", json=body))
        assert _ok(res)["updated"] == n
        return first * 100 + again, kinds_first + kinds_again

    (count, kinds), _ = _both(measure)
    # incl. 1 audit insert; models just created have no agents to count, refreshed ones
    # are counted in two queries (primary, fallback)
    assert divmod(count, 100) == (5, 7), kinds


def test_create_agent_with_slug_clashes(watched: Any) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        model = _model(admin, _provider(admin)["id"])
        w.raw.Agent.insert_many([
            {"name": f"writer {i}", "talonId": "writer" if i == 1 else f"writer-{i}"}
            for i in range(1, n + 1)])
        count, kinds, res = w.measure(lambda: admin.post("/api/agents", json={
            "name": "Writer", "modelId": model["id"]}))
        assert _ok(res, 201)["talonId"].startswith("writer")
        return count, kinds

    # both sizes fill the readable candidates (writer, writer-2 ... writer-10)
    (count, kinds), _ = _both(measure, (12, 60))
    assert count == 13, kinds  # incl. 1 audit insert


@pytest.fixture
def talon() -> Iterator[TalonServer]:
    """A local gateway that knows every agent the tests seed directly."""
    with TalonServer(token=TALON_TOKEN) as server:
        yield server  # type: ignore[misc]


def test_provider_key_patch_with_agents(watched: Any, talon: TalonServer) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(talon), "admin")
        provider = _provider(admin)
        model = _model(admin, provider["id"])
        _agents(w.raw, model["id"], n)
        count, kinds, res = w.measure(lambda: admin.patch(
            f"/api/llm/providers/{provider['id']}", json={"apiKey": "sk-test-new-key-0123456"}))
        _ok(res)
        states = Counter(a["talonSyncStatus"] for a in w.raw.Agent.find())
        assert states == {"synced": n}, states
        return count, kinds

    (count, kinds), _ = _both(measure)
    assert count == 15, kinds  # was 2 + 3 per agent before issue 13; incl. 2 audit inserts


def test_delete_model_with_agents(watched: Any, talon: TalonServer) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(talon), "admin")
        provider = _provider(admin)
        model = _model(admin, provider["id"])
        other = _model(admin, provider["id"], "gpt-4o-mini")
        _agents(w.raw, model["id"], n)
        w.raw.Agent.insert_many([  # n more that list the model as a fallback
            {"name": f"fb {i:04d}", "talonId": f"fb-{i:04d}", "modelId": ObjectId(other["id"]),
             "fallbackModelIds": [ObjectId(model["id"])], "talonSyncStatus": "synced"}
            for i in range(n)])
        count, kinds, res = w.measure(
            lambda: admin.delete(f"/api/llm/models/{model['id']}?force=true"))
        assert len(_ok(res)["detachedAgents"]) == n
        assert w.raw.Agent.count_documents({"fallbackModelIds": ObjectId(model["id"])}) == 0
        return count, kinds

    (count, kinds), _ = _both(measure)
    assert count == 20, kinds  # was about 5 per agent before issue 13; incl. 1 audit insert
    # and the provider's model count: the write marked, then the $inc that ends the mark


def test_delete_provider_with_agents(watched: Any, talon: TalonServer) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(talon), "admin")
        provider = _provider(admin)
        model = _model(admin, provider["id"])
        _agents(w.raw, model["id"], n)
        count, kinds, res = w.measure(
            lambda: admin.delete(f"/api/llm/providers/{provider['id']}"))
        assert len(_ok(res)["detachedAgents"]) == n
        return count, kinds

    (count, kinds), _ = _both(measure)
    assert count == 19, kinds  # was ~2 per agent before issue 13; incl. 2 audit inserts, health


def _keyed_providers(db: Database, n: int) -> None:
    vault = Vault.from_strings(TEST_KEY)
    docs = []
    for i in range(n):
        _id = ObjectId()
        value = vault.encrypt(f"sk-rotate-{i:04d}", record_id=str(_id), field="apiKey")
        docs.append({"_id": _id, "name": f"p{i:04d}", "providerType": "openai",
                     **to_document(value)})
    db.LlmProvider.insert_many(docs)


def test_rotate_key_batched(watched: Any) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        _keyed_providers(w.raw, n)
        services = w.app(LLM_ENCRYPTION_KEY=NEW_KEY, LLM_ENCRYPTION_KEY_PREVIOUS=TEST_KEY) \
            .extensions["task_master_llm"]
        count, kinds, report = w.measure(services.rotation.run)
        assert (report.rotated, report.failed) == (n, 0)
        again, kinds_again, report = w.measure(services.rotation.run)
        assert (report.rotated, report.already_current) == (0, n)
        return count * 100 + again, kinds + kinds_again

    (count, kinds), _ = _both(measure)
    # one read, one bulk write, one read-back; a rerun only reads (was 3 and 1 a record)
    assert divmod(count, 100) == (4, 2), kinds  # incl. 1 audit insert per run


def test_agents_page(watched: Any) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        model = _model(admin, _provider(admin)["id"])
        _agents(w.raw, model["id"], n)
        count, kinds, res = w.measure(lambda: admin.get("/api/agents?limit=10"))
        assert len(_ok(res)["items"]) == min(10, n)
        return count, kinds

    (count, kinds), _ = _both(measure)
    assert count == 3, kinds  # the page (limit + 1), its models, their providers


def test_audit_page(watched: Any) -> None:
    def measure(n: int) -> tuple[int, Counter[str]]:
        w = watched()
        admin = login(w.app(), "admin")
        _provider(admin)  # created + key set: two events
        w.raw.LlmAuditEvent.insert_many([
            {"at": datetime.now(timezone.utc), "actor": "x", "action": "provider.tested",
             "target": {"type": "provider", "id": "p", "name": "p"},
             "targets": [{"type": "provider", "id": "p", "name": "p"}], "outcome": "ok",
             "error": None, "fingerprint": None, "details": {}} for _ in range(n)])
        count, kinds, res = w.measure(lambda: admin.get("/api/llm/audit?limit=2"))
        page = _ok(res)
        assert len(page["items"]) == 2 and page["hasMore"] and page["total"] is None
        counted, _, res = w.measure(lambda: admin.get("/api/llm/audit?limit=2&count=true"))
        assert _ok(res)["total"] == n + 2
        return count * 100 + counted, kinds

    (count, kinds), _ = _both(measure)
    assert divmod(count, 100) == (1, 2), kinds  # the page (limit + 1); a count when asked


def test_key_patch_answers_within_the_gateway_timeout_however_many_agents(
        watched: Any, talon: TalonServer) -> None:
    """A hanging gateway: 42 agents re-synced 8 at a time took 6 x the timeout; now the
    re-sync stops at one deadline (timeout + a margin) and what was not pushed stays owed,
    for ``flask llm sync-agents``."""
    import time

    w = watched()
    app = w.app(talon, TASK_MASTER_LLM_TALON_TIMEOUT=1.0)
    admin = login(app, "admin")
    provider = _provider(admin)
    model = _model(admin, provider["id"])
    _agents(w.raw, model["id"], 42)
    talon.slow_seconds = 60.0  # hangs (the server cuts its waits when it stops)
    talon.mode = "slow"
    talon.clear_requests()
    started = time.monotonic()
    res = admin.patch(f"/api/llm/providers/{provider['id']}",
                      json={"apiKey": "sk-test-new-key-0123456"})
    elapsed = time.monotonic() - started
    assert res.status_code == 200, res.get_data(as_text=True)
    # The proof is a count, not a time: before, every one of the 42 pushes was sent and
    # waited for (6 rounds of the 1 s timeout, 7.2 s); one deadline lets one round start.
    pushes = [r for r in agent_requests(talon) if r.method in ("PUT", "POST")]
    assert len(pushes) <= 16, len(pushes)
    assert elapsed < 1.0 + 4.0, elapsed  # generous: only a hang or the old rounds reach it
    states = Counter(a["talonSyncStatus"] for a in w.raw.Agent.find())
    assert states["synced"] == 0 and sum(states.values()) == 42, states  # all owed
    listed = _ok(admin.get("/api/agents?limit=100"))["items"]
    assert {a["talonSync"]["status"] for a in listed} <= {"pending", "failed"}
    talon.mode = "normal"
    result = app.test_cli_runner().invoke(args=["llm", "sync-agents"])
    assert result.exit_code == 0, result.output
    assert Counter(a["talonSyncStatus"] for a in w.raw.Agent.find()) == {"synced": 42}
