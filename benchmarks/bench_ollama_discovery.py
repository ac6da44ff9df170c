"""Ollama discovery: ``/api/tags`` then ``/api/show`` per model, with bounded concurrency.

An Ollama-shaped server with 300 models adds 50 ms to every request. With ``c`` concurrent
``/api/show`` calls the best possible discovery takes ``(ceil(300 / c) + 1) x 50 ms`` (one
``/api/tags`` round trip, then full waves of shows). The benchmark measures
``OllamaAdapter.discover_models`` against that ideal; target ratio <= 1.5.

The fake server runs in a child process by default, as a real Ollama does: in the same
process its handler threads would compete with the adapter's threads for the GIL, which
measures the test server rather than the adapter. ``--in-process`` shows that figure too.

Run: ``.venv/bin/python -m benchmarks.bench_ollama_discovery`` from the repository root.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from benchmarks.common import BenchResult, Row, ServerHost
from standins.providers import OllamaServer
from task_master_llm.adapters import DiscoveredModel, HttpSettings, ProviderConfig, create_adapter

TARGET = 1.5
#: A child server stops by itself after this many seconds even if nobody tells it to.
SERVER_LIFETIME = 600.0


# --- measuring -----------------------------------------------------------------------


def ideal_seconds(model_count: int, concurrency: int, latency: float) -> float:
    """``(ceil(models / concurrency) + 1) x latency``: tags, then full waves of shows."""
    return (math.ceil(model_count / concurrency) + 1) * latency


def expected_chat_names(models: Sequence[dict[str, Any]]) -> set[str]:
    """The server's models that can chat (``completion`` in their capabilities: not
    embedding or image models), what discovery must return."""
    return {m["name"] for m in models if "completion" in m["capabilities"]}


def _discover(base_url: str, concurrency: int) -> tuple[float, list[DiscoveredModel]]:
    adapter = create_adapter(
        ProviderConfig("ollama", name="bench", base_url=base_url),
        HttpSettings(show_concurrency=concurrency),
    )
    start = time.perf_counter()
    models = adapter.discover_models()
    return time.perf_counter() - start, models


def _bare_discovery(base_url: str, names: Sequence[str], concurrency: int) -> float:
    """The same requests with plain ``requests`` (one session, a thread pool), no adapter:
    what the client stack and the server cost without any of our code."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=max(10, concurrency)))
    start = time.perf_counter()
    session.get(f"{base_url}/api/tags", timeout=(5, 20)).json()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(
            lambda name: session.post(f"{base_url}/api/show", json={"model": name},
                                      timeout=(5, 20)).json(),
            names,
        ))
    elapsed = time.perf_counter() - start
    session.close()
    return elapsed


def _measure(
    host: ServerHost, *, concurrency: int, latency: float, repeats: int, label: str,
    result: BenchResult, summary: bool,
) -> float:
    """Time ``repeats`` discoveries, check each, add report lines; return the median ratio."""
    model_count = len(host.models)
    expected = expected_chat_names(host.models)
    host.stats()
    times: list[float] = []
    for _ in range(repeats):
        seconds, models = _discover(host.base_url, concurrency)
        times.append(seconds)
        seen = [m.provider_model_id for m in models]
        enriched = sum(1 for m in models if m.context_window and "showError" not in m.meta)
        counts = host.stats()
        shows, tags = counts.get("POST /api/show", 0), counts.get("GET /api/tags", 0)
        if set(seen) != expected or len(seen) != len(expected) or enriched != len(seen) or (
            shows != model_count or tags != 1
        ):
            result.correct = False
            result.lines.append(
                f"  !! {label}: saw {len(set(seen))}/{len(expected)} chat models, "
                f"{enriched} enriched, {tags} tags + {shows} show requests "
                f"(expected 1 + {model_count})"
            )
    ideal = ideal_seconds(model_count, concurrency, latency)
    median = statistics.median(times)
    ratio = median / ideal
    ok = ratio <= TARGET
    runs = ", ".join(f"{t:.3f}" for t in times)
    result.lines.append(
        f"  {label:<34} median {median:7.3f} s  ideal {ideal:6.3f} s  ratio {ratio:5.2f}"
        f"{'' if summary else ' (context)'}  runs [{runs}]"
    )
    if summary:
        result.rows.append(Row(f"ollama discovery c={concurrency}", f"{median:.3f} s",
                               f"{ideal:.3f} s ideal", ratio, TARGET, ok))
    return ratio


def run(
    *,
    model_count: int = 300,
    latency: float = 0.05,
    concurrency: int | None = None,
    repeats: int = 5,
    context: bool = True,
    in_process: bool = False,
) -> BenchResult:
    """Run the benchmark; ``context`` adds a bare-requests run, a c=16 run and an
    in-process-server run."""
    concurrency = concurrency or HttpSettings().show_concurrency
    result = BenchResult()
    where = "in this process" if in_process else "in a child process"
    result.lines.append(
        f"Ollama discovery: {model_count} models, {latency * 1000:g} ms added per request, "
        f"server {where}, median of {repeats}"
    )
    kwargs = {"model_count": model_count, "latency": latency}
    with ServerHost(OllamaServer, in_process=in_process, **kwargs) as host:
        expected = expected_chat_names(host.models)
        result.lines.append(
            f"  server lists {len(host.models)} models, {len(expected)} of them chat "
            f"(the rest embedding or image models)"
        )
        _discover(host.base_url, concurrency)  # warm-up: catalog load, imports
        _measure(host, concurrency=concurrency, latency=latency, repeats=repeats,
                 label=f"concurrency {concurrency} (default)", result=result, summary=True)
        if context:
            names = [m["name"] for m in host.models]
            bare = [_bare_discovery(host.base_url, names, concurrency)
                    for _ in range(max(1, repeats // 2))]
            ideal = ideal_seconds(len(names), concurrency, latency)
            result.lines.append(
                f"  {'bare requests, same calls, c=' + str(concurrency):<34} median "
                f"{statistics.median(bare):7.3f} s  ideal {ideal:6.3f} s  ratio "
                f"{statistics.median(bare) / ideal:5.2f} (context: no adapter code)"
            )
            host.stats()
            _measure(host, concurrency=16, latency=latency, repeats=max(1, repeats // 2),
                     label="concurrency 16", result=result, summary=False)
    if context and not in_process:
        with ServerHost(OllamaServer, in_process=True, **kwargs) as host:
            _discover(host.base_url, concurrency)
            _measure(host, concurrency=concurrency, latency=latency,
                     repeats=max(1, repeats // 2),
                     label=f"concurrency {concurrency}, in-process server", result=result,
                     summary=False)
    if result.correct:
        result.lines.append(
            f"  every run returned all {len(expected)} chat models, each enriched by "
            "/api/show (1 tags + one show request per model)"
        )
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (sizes default to the issue's figures)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="default: HttpSettings.show_concurrency")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-context", action="store_true",
                        help="skip the bare, c=16 and in-process context runs")
    parser.add_argument("--in-process", action="store_true",
                        help="run the server in this process (measures GIL contention too)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; 0 when within target, 1 when a ratio is missed, 2 when wrong."""
    args = parse_args(argv)
    result = run(model_count=args.models, latency=args.latency, concurrency=args.concurrency,
                 repeats=args.repeats, context=not args.no_context, in_process=args.in_process)
    return result.report()


if __name__ == "__main__":
    sys.exit(main())
