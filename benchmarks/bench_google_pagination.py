"""Google discovery across pages: a Gemini-shaped server with 1,200 models.

The adapter asks for ``pageSize=1000`` (Google's maximum) and follows ``nextPageToken``.
Every request to the server costs ``latency`` (50 ms by default), so the best possible
discovery takes ``pages x latency``; target ratio <= 1.5. The report also proves the
pagination is complete: one untimed run counts the models in every page the adapter
received (all 1,200, no duplicates), and every timed run's chat models (those offering
``generateContent``) must equal the server's set exactly.

Run: ``.venv/bin/python -m benchmarks.bench_google_pagination`` from the repository root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import requests

from benchmarks.common import BenchResult, Row, ServerHost
from standins.providers import GOOGLE_DEMO_KEY, GoogleServer
from standins.providers.google import google_chat_ids
from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.net.transport import default_session_factory

TARGET = 1.5
LIST_PATH = "/v1beta/models"


def chat_ids(models: Sequence[dict[str, Any]]) -> set[str]:
    """Ids (without ``models/``) of the server's models that offer ``generateContent`` and
    answer in text (speech and image models are not chat models)."""
    return google_chat_ids(models)


def _counting_settings(pages: list[list[str]]) -> HttpSettings:
    """Settings whose session records the model names of every page received (untimed)."""

    def factory(settings: HttpSettings) -> requests.Session:
        session = default_session_factory(settings)

        def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            body = response.json()
            pages.append([str(m.get("name")) for m in body.get("models", [])])

        session.hooks["response"].append(record)
        return session

    return HttpSettings(session_factory=factory)


def bare_pages(base_url: str, key: str) -> int:
    """Fetch and decode every page with plain ``requests`` (no adapter code, no model
    building): what the server, the transfer and JSON decoding cost. Returns the models."""
    seen = 0
    token: str | None = None
    with requests.Session() as session:
        while True:
            params = {"pageSize": 1000, **({"pageToken": token} if token else {})}
            body = session.get(f"{base_url}{LIST_PATH}", params=params,
                               headers={"x-goog-api-key": key}, timeout=(5, 20)).json()
            seen += len(body.get("models", []))
            token = body.get("nextPageToken")
            if not token:
                return seen


def run(*, model_count: int = 1200, latency: float = 0.05, repeats: int = 9) -> BenchResult:
    """Run the benchmark against a fresh GoogleServer in a child process."""
    result = BenchResult()
    result.lines.append(
        f"Google pagination: {model_count} models, {latency * 1000:g} ms added per request, "
        f"median of {repeats}"
    )
    with ServerHost(GoogleServer, model_count=model_count, latency=latency) as server:
        config = ProviderConfig("google", name="bench", base_url=server.base_url,
                                api_key=GOOGLE_DEMO_KEY)
        all_names = [str(m["name"]) for m in server.models]
        expected = chat_ids(server.models)

        # Untimed completeness run: what exactly came back, page by page.
        pages: list[list[str]] = []
        create_adapter(config, _counting_settings(pages)).discover_models()
        listed = [name for page in pages for name in page]
        complete = sorted(listed) == sorted(all_names) and len(set(listed)) == len(listed)
        result.lines.append(
            f"  pages followed: {len(pages)} (sizes {[len(p) for p in pages]}); models listed "
            f"{len(listed)}/{len(all_names)}, distinct {len(set(listed))}, "
            f"{'equal to' if complete else 'NOT equal to'} the server's list"
        )
        if not complete:
            result.correct = False

        adapter = create_adapter(config, HttpSettings())
        times: list[float] = []
        request_counts: list[int] = []
        mismatches = 0
        for _ in range(repeats):
            server.stats()
            start = time.perf_counter()
            models = adapter.discover_models()
            times.append(time.perf_counter() - start)
            request_counts.append(server.stats().get(f"GET {LIST_PATH}", 0))
            seen = [m.provider_model_id for m in models]
            if set(seen) != expected or len(seen) != len(expected):
                mismatches += 1
        page_count = len(pages)
        # Context: the same pages fetched with bare requests (server + transfer + decode).
        bare: list[float] = []
        for _ in range(repeats):
            start = time.perf_counter()
            bare_pages(server.base_url, GOOGLE_DEMO_KEY)
            bare.append(time.perf_counter() - start)
        # Context: the same discovery with no added latency = the fixed processing cost
        # (server JSON encoding, transfer, decoding, building and enriching every model).
        server.set_latency(0.0)
        fixed: list[float] = []
        for _ in range(repeats):
            start = time.perf_counter()
            adapter.discover_models()
            fixed.append(time.perf_counter() - start)
        if mismatches or any(n != page_count for n in request_counts):
            result.correct = False
            result.lines.append(
                f"  !! {mismatches} runs returned another chat set than the server's; "
                f"list requests per run {request_counts} (expected {page_count})"
            )
        else:
            result.lines.append(
                f"  chat models (generateContent): {len(expected)} of {len(all_names)}; every "
                f"run returned exactly the server's set with {page_count} list requests"
            )
    ideal = page_count * latency
    median = statistics.median(times)
    ratio = median / ideal if ideal else float("inf")
    ok = ratio <= TARGET
    runs = ", ".join(f"{t:.3f}" for t in times)
    result.lines.append(
        f"  discovery                          median {median:7.3f} s  ideal {ideal:6.3f} s "
        f"({page_count} pages x {latency * 1000:g} ms)  ratio {ratio:5.2f}  "
        f"(min {min(times):.3f} s)  runs [{runs}]"
    )
    bare_median = statistics.median(bare)
    result.lines.append(
        f"  bare requests, same pages          median {bare_median:7.3f} s  ideal {ideal:6.3f} s "
        f"ratio {bare_median / ideal:5.2f} (context: server + transfer + JSON decode only)"
    )
    result.lines.append(
        f"  same discovery with 0 ms latency   median {statistics.median(fixed):7.3f} s "
        "(context: the fixed cost of serving, decoding and enriching every model)"
    )
    result.rows.append(Row(f"google pagination ({page_count} pages)", f"{median:.3f} s",
                           f"{ideal:.3f} s ideal", ratio, TARGET, ok))
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (sizes default to the issue's figures)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=1200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--repeats", type=int, default=9)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; 0 when within target, 1 when the ratio is missed, 2 when wrong."""
    args = parse_args(argv)
    result = run(model_count=args.models, latency=args.latency, repeats=args.repeats)
    return result.report()


if __name__ == "__main__":
    sys.exit(main())
