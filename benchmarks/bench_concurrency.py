"""16 concurrent readers of ``GET /api/llm/models?limit=100`` on a real threaded server
(issue 13), against a bare Flask route on the same server doing the same query.

The app runs in werkzeug's threaded server on 127.0.0.1; ``readers`` client threads (each
with its own logged-in ``requests`` session) send ``requests`` requests each, first to one
route then to the other, alternating the order each round. The bare route runs
``find({}).sort(displayName, providerModelId, _id).limit(100)`` + ``json.dumps``. Target:
p95 of ours / p95 of bare <= 2.

    .venv/bin/python -m benchmarks.bench_concurrency --models 5000
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import threading
import time
from collections.abc import Sequence

import requests
from flask import Response
from werkzeug.serving import make_server

from benchmarks.bench_routes import SORT, make_app
from benchmarks.common import BenchResult, Row, database

TARGET = 2.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(models: int = 5000, readers: int = 16, requests_each: int = 5,
        rounds: int = 2) -> BenchResult:
    """Serve, seed, then time both routes under ``readers`` concurrent clients."""
    result = BenchResult()
    with database() as db:
        app = make_app(db)
        services = app.extensions["task_master_llm"]
        coll = services.stores.models.collection

        @app.get("/bare-models")
        def bare_models() -> Response:
            docs = list(coll.find({}).sort(SORT).limit(100))
            return Response(json.dumps({"data": docs}, default=str),
                            mimetype="application/json")

        pid = services.providers.create({"name": "bench", "providerType": "openai",
                                         "apiKey": "sk-bench-0123456789"})["_id"]
        coll.insert_many([
            {"providerId": pid, "providerModelId": f"m-{i:06d}",
             "displayName": f"Model {(i * 7919) % models:06d}", "modality": ["text"],
             "contextWindow": 128000, "enabled": True, "meta": {"n": i}}
            for i in range(models)])
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        sessions = []
        for _ in range(readers):
            session = requests.Session()
            session.post(base + "/bench-login", timeout=30)
            sessions.append(session)
        times: dict[str, list[float]] = {"ours": [], "bare": []}
        ok = True

        def phase(name: str, path: str) -> None:
            nonlocal ok
            lock = threading.Lock()
            start = threading.Barrier(readers)

            def reader(session: requests.Session) -> None:
                nonlocal ok
                start.wait()
                for _ in range(requests_each):
                    t0 = time.perf_counter()
                    res = session.get(base + path, timeout=120)
                    elapsed = time.perf_counter() - t0
                    good = res.status_code == 200 and len(res.json()["data"] if name == "bare"
                                                          else res.json()["data"]["items"]) == 100
                    with lock:
                        times[name].append(elapsed)
                        ok = ok and good

            threads = [threading.Thread(target=reader, args=(s,)) for s in sessions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        try:
            for i in range(rounds):
                arms = [("ours", "/api/llm/models?limit=100"), ("bare", "/bare-models")]
                for name, path in arms if i % 2 == 0 else arms[::-1]:
                    phase(name, path)
        finally:
            server.shutdown()
            thread.join(10)
            for session in sessions:
                session.close()
    result.correct = ok
    ours, bare = _p95(times["ours"]), _p95(times["bare"])
    ratio = ours / bare
    result.rows.append(Row(f"{readers} readers, models?limit=100, {models:,} models",
                           f"p95 {ours * 1000:.0f} ms", f"p95 {bare * 1000:.0f} ms bare Flask",
                           ratio, TARGET, ratio <= TARGET))
    result.lines.append(
        f"{readers} concurrent readers of GET models?limit=100 ({models:,} models, "
        f"{len(times['ours'])} requests each arm): ours p95 {ours * 1000:.0f} ms "
        f"(median {statistics.median(times['ours']) * 1000:.0f}), bare Flask route p95 "
        f"{bare * 1000:.0f} ms (median {statistics.median(times['bare']) * 1000:.0f}), "
        f"ratio {ratio:.2f} (target <= {TARGET:g})")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; exit 1 when the ratio misses, 2 when a response was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    result = run(args.models, args.readers, args.requests, args.rounds)
    return result.report()


if __name__ == "__main__":
    raise SystemExit(main())
