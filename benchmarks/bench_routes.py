"""The registry's routes at scale against the bare pymongo calls doing the same job (issue 13).

Each measure runs our route (through Flask's test client: routing, auth, validation,
marshmallow dump, JSON) and, interleaved in the same run against the same database, the
bare library calls doing the same job; medians of the repetitions, ratio ours / bare:

- ``GET /api/llm/models?limit=100`` at 1,000 / 5,000 / 20,000 models vs ``find()`` with the
  same filter, sort and limit + ``json.dumps`` (target 1.5; and the ratio at the largest
  size no more than 0.3 above the smallest);
- ``GET /api/llm/providers`` with 200 providers (2 models each) vs ``find()`` of the
  providers + ``json.dumps`` (target 2);
- ``GET /api/agents?limit=100`` of 20,000 agents vs ``find().sort(name).limit(100)`` +
  ``json.dumps`` (target 1.5);
- ``POST /api/llm/models`` of 500 new models vs ``insert_many`` (target 2), and the same 500
  again vs one ``bulk_write`` of upserts (target 2), into a collection with the models
  collection's indexes; client CPU (process time) too, target 4.

The database is SecantusDB in this process, or the server named by ``MONGO_URI`` (a fresh
database on it, dropped afterwards). Run from the repository root::

    .venv/bin/python -m benchmarks.bench_routes
    .venv/bin/python -m benchmarks.bench_routes --sizes 1000,5000 --agents 5000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask
from pymongo import UpdateOne
from pymongo.database import Database

from benchmarks.common import BenchResult, Row, database

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
SORT = [("displayName", 1), ("providerModelId", 1), ("_id", 1)]


class _Admin:
    id = "bench-admin"
    role = "Admin"
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.id


def make_app(db: Database) -> Flask:
    """A minimal host: flask-login with one admin, and the extension."""
    from flask_login import LoginManager, login_user

    from task_master_llm import LlmRegistry

    app = Flask("bench")
    app.config.update(SECRET_KEY="bench", LLM_ENCRYPTION_KEY=KEY)
    login = LoginManager(app)
    login.user_loader(lambda _id: _Admin())

    @app.post("/bench-login")
    def bench_login() -> str:
        login_user(_Admin())
        return "ok"

    LlmRegistry(app, db=db)
    return app


def _dumps(docs: list[dict[str, Any]]) -> str:
    return json.dumps({"data": docs}, default=str)


def interleave(
    ours: Callable[[], Any], bare: Callable[[], Any], repeats: int
) -> tuple[float, float, float, float]:
    """Median wall and process (CPU) seconds of ours and bare, alternating."""
    times: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
    for i in range(repeats):
        order = (("ours", ours), ("bare", bare)) if i % 2 == 0 else (("bare", bare),
                                                                     ("ours", ours))
        for name, call in order:
            gc.collect()  # the in-process server's garbage: collected before either side
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in times.items()}
    return med["ours"][0], med["bare"][0], med["ours"][1], med["bare"][1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _row(result: BenchResult, name: str, ours: float, bare: float, target: float,
         what: str) -> float:
    ratio = ours / bare
    result.rows.append(Row(name, _ms(ours), f"{_ms(bare)} {what}", ratio, target,
                           ratio <= target))
    result.lines.append(f"{name}: ours {_ms(ours)}, bare {_ms(bare)} ({what}), "
                        f"ratio {ratio:.2f} (target <= {target:g})")
    return ratio


def _check(result: BenchResult, ok: bool, what: str) -> None:
    if not ok:
        result.correct = False
        result.lines.append(f"CORRECTNESS: {what}")


def run(sizes: Sequence[int] = (1000, 5000, 20000), providers: int = 200,
        agents: int = 20000, register: int = 500, repeats: int = 5) -> BenchResult:
    """Seed and measure every route; see the module docstring."""
    result = BenchResult()
    with database() as db:
        app = make_app(db)
        client = app.test_client()
        client.post("/bench-login")
        services = app.extensions["task_master_llm"]
        models = services.stores.models.collection
        pid = services.providers.create({"name": "bench", "providerType": "openai",
                                         "apiKey": "sk-bench-0123456789"})["_id"]

        # --- GET /api/llm/providers with N providers ---------------------------------
        pcoll = services.stores.providers.collection
        pcoll.insert_many([{"name": f"p{i:04d}", "providerType": "openai", "status": "unknown"}
                           for i in range(providers - 1)])
        models.insert_many([{"providerId": p["_id"], "providerModelId": f"pm-{j}",
                             "displayName": f"pm-{j}", "enabled": True}
                            for p in pcoll.find({}, {"_id": 1}) for j in range(2)])
        services.providers.recount_models()  # what a start-up does: each stores its count

        def ours_providers() -> Any:
            res = client.get("/api/llm/providers")
            assert res.status_code == 200
            return res.json["data"]

        def bare_providers() -> str:
            return _dumps(list(pcoll.find({"deleting": {"$ne": True}}).sort("name", 1)))

        _check(result, len(ours_providers()) == providers, "provider count")
        o, b, _, _ = interleave(ours_providers, bare_providers, repeats)
        _row(result, f"GET providers, {providers} providers, 2 models each", o, b, 2.0,
             "find+dumps")
        models.delete_many({})  # the models page starts from an empty collection

        # --- GET /api/llm/models?limit=100 at each size -----------------------------
        ratios = []
        have = 0
        for size in sorted(sizes):
            models.insert_many([
                {"providerId": pid, "providerModelId": f"m-{i:06d}",
                 "displayName": f"Model {(i * 7919) % size:06d}", "modality": ["text"],
                 "contextWindow": 128000, "inputCostPer1k": 0.001, "outputCostPer1k": 0.002,
                 "enabled": True, "meta": {"sources": {"displayName": "provider"}, "n": i},
                 "createdAt": None, "updatedAt": None, "lastSyncedAt": None}
                for i in range(have, size)])
            have = size

            def ours_models() -> Any:
                res = client.get("/api/llm/models?limit=100")
                assert res.status_code == 200
                return res.json["data"]

            def bare_models() -> str:
                return _dumps(list(models.find({}).sort(SORT).limit(100)))

            page = ours_models()
            _check(result, len(page["items"]) == 100 and page["hasMore"],
                   f"models page at {size}: {len(page['items'])} items")
            o, b, _, _ = interleave(ours_models, bare_models, repeats)
            ratios.append(_row(result, f"GET models?limit=100, {size:,} models", o, b, 1.5,
                               "find+dumps"))
        if len(ratios) > 1:
            growth = ratios[-1] - ratios[0]
            result.rows.append(Row(f"models ratio growth {sizes[0]:,} -> {sizes[-1]:,}",
                                   f"{growth:+.2f}", "", growth, 0.3, growth <= 0.3))
            result.lines.append(f"models ratio at {max(sizes):,} minus at {min(sizes):,}: "
                                f"{growth:+.2f} (target <= 0.3)")

        # --- GET /api/agents?limit=100 of N ----------------------------------------
        acoll = services.stores.agents.collection
        model_id = models.find_one({}, {"_id": 1})["_id"]
        acoll.insert_many([
            {"name": f"agent {i:06d}", "talonId": f"agent-{i:06d}", "modelId": model_id,
             "model": "openai/m", "soul": "s" * 200, "talonSyncStatus": "synced"}
            for i in range(agents)])

        def ours_agents() -> Any:
            res = client.get("/api/agents?limit=100")
            assert res.status_code == 200
            return res.json["data"]

        def bare_agents() -> str:
            return _dumps(list(acoll.find({}).sort([("name", 1), ("_id", 1)]).limit(100)))

        _check(result, len(ours_agents()["items"]) == 100, "agents page size")
        o, b, _, _ = interleave(ours_providers, bare_providers, max(1, repeats // 2))
        result.lines.append(f"context: GET providers with {len(sizes) and max(sizes):,} models "
                            f"in the collection: ours {_ms(o)}, bare {_ms(b)} (each provider "
                            "stores its model count: no model is read)")
        o, b, _, _ = interleave(ours_agents, bare_agents, repeats)
        _row(result, f"GET agents?limit=100, {agents:,} agents", o, b, 1.5, "find+dumps")

        # --- POST /api/llm/models: N new, then the same N again ----------------------
        entries = [{"providerModelId": f"new-{i:05d}", "displayName": f"New {i}",
                    "contextWindow": 8192, "modality": ["text"],
                    "meta": {"family": "bench"}} for i in range(register)]
        new_t: list[tuple[float, float]] = []
        bare_new: list[tuple[float, float]] = []
        again_t: list[tuple[float, float]] = []
        bare_again: list[tuple[float, float]] = []
        def timed(call: Callable[[], Any], into: list[tuple[float, float]]) -> Any:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            out = call()
            into.append((time.perf_counter() - wall, time.process_time() - cpu))
            return out

        def one_round(rep: int) -> None:
            """Ours (new, then again) and bare (insert_many, then bulk upserts) on a fresh
            provider and a fresh collection with the same unique index."""
            reg_pid = services.providers.create({"name": f"reg{rep}", "providerType": "openai",
                                                 "apiKey": "sk-bench-0123456789"})["_id"]
            scratch = db[f"bench_scratch_{rep}"]
            for name, info in models.index_information().items():  # the same indexes
                if name != "_id_":
                    scratch.create_index(info["key"], name=name,
                                         unique=bool(info.get("unique")))
            body = {"providerId": str(reg_pid), "models": entries}
            docs = [{"providerId": reg_pid, **e, "enabled": True} for e in entries]
            res = timed(lambda: client.post("/api/llm/models", json=body), new_t)
            _check(result, res.status_code == 201 and res.json["data"]["created"] == register,
                   "register created")
            timed(lambda: scratch.insert_many([dict(d) for d in docs]), bare_new)
            res = timed(lambda: client.post("/api/llm/models", json=body), again_t)
            _check(result, res.status_code == 200 and res.json["data"]["updated"] == register,
                   "register updated")
            timed(lambda: scratch.bulk_write([
                UpdateOne({"providerId": reg_pid, "providerModelId": d["providerModelId"]},
                          {"$set": {**d, "lastSyncedAt": None}}, upsert=True)
                for d in docs], ordered=False), bare_again)
            scratch.drop()

        for rep in range(repeats):
            one_round(rep)

        def med(values: list[tuple[float, float]], i: int) -> float:
            return statistics.median(v[i] for v in values)

        _row(result, f"POST models, {register} new", med(new_t, 0), med(bare_new, 0), 2.0,
             "insert_many")
        _row(result, f"POST models, {register} again", med(again_t, 0), med(bare_again, 0),
             2.0, "bulk upserts")
        _row(result, f"POST models, {register} new, client CPU", med(new_t, 1),
             med(bare_new, 1), 4.0, "CPU insert_many")
        _row(result, f"POST models, {register} again, client CPU", med(again_t, 1),
             med(bare_again, 1), 4.0, "CPU bulk upserts")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; exit 1 when a ratio misses, 2 when a correctness check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000",
                        help="model counts for the models page, comma-separated")
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20000)
    parser.add_argument("--register", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result = run(sizes, args.providers, args.agents, args.register, args.repeats)
    return result.report()


if __name__ == "__main__":
    raise SystemExit(main())
