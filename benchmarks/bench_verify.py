"""The cost of ``flask llm sync-agents --verify`` for N agents against the local gateway.

Seeds N agents bound to one OpenAI provider (with a key), pushes them all (``--all``), then
times ``Reconciler.verify()`` (what ``--verify`` runs) and, side by side in the same run,
the bare calls doing the same job: ``GET /v1/agents`` + ``GET /v1/auth/providers`` with
``requests``, one ``find()`` of the agents and one ``bulk_write`` storing each agent's
verified state. Medians of interleaved repetitions; the
gateway runs in this process; the database is SecantusDB in this process, or ``MONGO_URI``.

    .venv/bin/python -m benchmarks.bench_verify --agents 1000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from datetime import datetime, timezone

import requests
from pymongo import UpdateOne

from benchmarks.common import BenchResult, Row, database
from standins.talon import TalonServer
from task_master_llm.config import load_settings
from task_master_llm.core.services import build_services

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
TOKEN = "bench-talon-token"
TARGET = 5.0


def run(agents: int = 1000, repeats: int = 5) -> BenchResult:
    """Seed, push, then time verify against the bare reads."""
    result = BenchResult()
    with database() as db, TalonServer(token=TOKEN) as talon:
        services = build_services(load_settings({
            "LLM_ENCRYPTION_KEY": KEY, "TALON_GATEWAY_URL": talon.base_url,
            "TALON_GATEWAY_TOKEN": TOKEN,
        }, environ={}), db)
        services.stores.ensure_indexes()
        provider = services.providers.create({
            "name": "openai", "providerType": "openai", "apiKey": "sk-bench-0123456789",
            "baseUrl": "https://api.openai.com/v1"})
        [model] = services.models.register(str(provider["_id"]),
                                           [{"providerModelId": "gpt-4o"}])["models"]
        collection = services.stores.agents.collection
        collection.insert_many([
            {"name": f"agent {i:05d}", "talonId": f"agent-{i:05d}", "modelId": model["_id"],
             "model": "openai/gpt-4o", "soul": "s" * 200, "talonSyncStatus": "pending"}
            for i in range(agents)
        ])
        pushed = services.reconciler.run()
        correct = pushed.synced == agents and services.reconciler.verify().ok
        headers = {"Authorization": f"Bearer {TOKEN}"}

        def bare(write: bool = True) -> None:
            with requests.Session() as session:
                session.get(talon.base_url + "/v1/agents", headers=headers,
                            timeout=30).json()
                session.get(talon.base_url + "/v1/auth/providers", headers=headers,
                            timeout=30).json()
            docs = list(collection.find({}))
            if not write:
                return
            now = datetime.now(timezone.utc)
            collection.bulk_write([
                UpdateOne({"_id": d["_id"]}, {"$set": {"talonVerifyStatus": "in_sync",
                                                       "talonVerifiedAt": now}})
                for d in docs
            ], ordered=False)

        ours_t: list[float] = []
        bare_t: list[float] = []
        reads_t: list[float] = []
        for _ in range(repeats):
            start = time.perf_counter()
            report = services.reconciler.verify()
            ours_t.append(time.perf_counter() - start)
            correct = correct and report.ok and report.in_sync == agents
            start = time.perf_counter()
            bare()
            bare_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            bare(write=False)
            reads_t.append(time.perf_counter() - start)
    ours, reference = statistics.median(ours_t), statistics.median(bare_t)
    ratio = ours / reference
    result.correct = correct
    result.lines.append(
        f"verify {agents} agents: median {ours * 1000:.0f} ms, bare median "
        f"{reference * 1000:.0f} ms, ratio {ratio:.2f} (2 gateway GETs, {agents} agents "
        "compared, 1 bulk write of the verified states)"
    )
    result.lines.append(
        f"context: the bare reads alone (no write) median "
        f"{statistics.median(reads_t) * 1000:.0f} ms; the write of {agents} verified states "
        "is most of both"
    )
    result.rows.append(Row(f"verify {agents} agents", f"{ours * 1000:.0f} ms",
                           f"{reference * 1000:.0f} ms bare", ratio, TARGET, ratio <= TARGET))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; exit 1 when the ratio misses, 2 when verify was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(args.agents, args.repeats)
    return result.report()


if __name__ == "__main__":
    raise SystemExit(main())
