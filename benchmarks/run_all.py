"""Run every benchmark and print a summary table: the adapters (issue 3 part 9), and the
routes, key rotation and ``sync-agents --verify`` against a database (issues 9 and 13).

Run from the repository root::

    .venv/bin/python -m benchmarks.run_all            # full sizes (many minutes)
    .venv/bin/python -m benchmarks.run_all --quick    # smaller sizes, fewer repetitions
    MONGO_URI=mongodb://host/ .venv/bin/python -m benchmarks.run_all   # on that server

The database benchmarks use ``MONGO_URI`` when it is set (a fresh database there, dropped
afterwards), else a SecantusDB server in this process.

Exit status: 0 when every ratio meets its target, 1 when a ratio is missed, 2 when a
benchmark's correctness check failed (models missing, wrong page count, invalid test).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence

from benchmarks import (
    bench_concurrency,
    bench_discovery_memory,
    bench_google_pagination,
    bench_ollama_discovery,
    bench_rotate,
    bench_routes,
    bench_test_connection,
    bench_verify,
)
from benchmarks.common import BenchResult, Row


def summary_table(rows: Sequence[Row]) -> str:
    """The rows as a fixed-width table."""
    header = ("benchmark", "measured", "reference", "ratio", "target", "result")
    body = [
        (r.name, r.measured, r.reference, f"{r.ratio:.2f}", f"<= {r.target:g}",
         "PASS" if r.ok else "MISS")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
           for line in [header, *body]]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print their reports and the table; return the status."""
    parser = argparse.ArgumentParser(description="Run all adapter benchmarks.")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and pairs, smaller databases, no context runs")
    parser.add_argument("--no-db", action="store_true",
                        help="only the adapter benchmarks (no database)")
    args = parser.parse_args(argv)
    repeats, pairs = (3, 30) if args.quick else (5, 60)

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("database: " + ("MONGO_URI" if os.environ.get("MONGO_URI") else
                          "SecantusDB in this process (set MONGO_URI to use another server)"))
    print()
    started = time.perf_counter()
    results: list[BenchResult] = []
    runs: list[Callable[[], BenchResult]] = [
        lambda: bench_ollama_discovery.run(repeats=repeats, context=not args.quick),
        lambda: bench_google_pagination.run(repeats=max(repeats, 9)),
        lambda: bench_test_connection.run(pairs=pairs),
    ]
    runs.append(lambda: bench_discovery_memory.run(models=1000 if args.quick else 5000))
    if not args.no_db:
        if args.quick:
            runs += [
                lambda: bench_routes.run((1000, 5000), agents=5000, repeats=3),
                lambda: bench_concurrency.run(models=1000, requests_each=3, rounds=2),
                lambda: bench_rotate.run(keys=500, repeats=3),
                lambda: bench_verify.run(agents=200, repeats=3),
            ]
        else:
            runs += [
                lambda: bench_routes.run(repeats=5),
                lambda: bench_concurrency.run(models=5000),
                lambda: bench_rotate.run(keys=2000, repeats=3),
                lambda: bench_verify.run(agents=1000, repeats=5),
            ]
    for run in runs:
        result: BenchResult = run()
        print("\n".join(result.lines))
        print()
        results.append(result)
    rows = [row for result in results for row in result.rows]
    print(summary_table(rows))
    correct = all(result.correct for result in results)
    passed = correct and all(row.ok for row in rows)
    verdict = "all targets met" if passed else (
        "a correctness check FAILED" if not correct else "a target ratio was MISSED"
    )
    print(f"\n{verdict} ({time.perf_counter() - started:.0f} s)")
    if not correct:
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
