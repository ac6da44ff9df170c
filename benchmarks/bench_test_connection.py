"""Test connection: the adapter's reported ``latencyMs`` against a bare ``requests.get``.

For each provider type a local server adds ``latency`` (20 ms by default) to every
request. The benchmark takes the request the reported latency refers to (the first one of
the connection test: Azure's is its key check, the others make only one) from the
server's log, and times a bare ``requests.get`` of the same URL with the same headers.
Adapter test and bare GET are interleaved (alternating which goes first) for ``pairs``
pairs; target: median(latencyMs) / median(bare ms) <= 1.2. Both arms open a new
connection each time (the adapter uses one session per operation; ``requests.get``
makes a new session). ``latencyMs`` is whole milliseconds; the bare time is not rounded.

Run: ``.venv/bin/python -m benchmarks.bench_test_connection`` from the repository root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from urllib.parse import urlencode

import requests

from benchmarks.common import BenchResult, Row
from standins.providers import (
    AZURE_DEMO_DEPLOYMENT,
    SERVER_CLASSES,
    FakeServer,
    RecordedRequest,
)
from task_master_llm.adapters import HttpSettings, ProviderAdapter, ProviderConfig, create_adapter

TARGET = 1.2
DEFAULT_TYPES = ("google", "openai", "anthropic", "azure", "ollama", "openai_compatible")
#: Headers the bare request must not copy (requests sets them itself).
_SKIP_HEADERS = frozenset({"host", "content-length"})


def _config(provider_type: str, server: FakeServer) -> ProviderConfig:
    return ProviderConfig(
        provider_type,
        name="bench",
        base_url=server.base_url,
        api_key=None if provider_type == "ollama" else server.DEMO_KEY,
        deployment_id=AZURE_DEMO_DEPLOYMENT if provider_type == "azure" else None,
    )


def _bare_request(
    adapter: ProviderAdapter, server: FakeServer, first: RecordedRequest
) -> tuple[str, dict[str, str]]:
    """URL and headers of the adapter's request, with the redacted secrets filled back in
    from the adapter's own auth headers."""
    query = urlencode([(k, v) for k, values in first.query.items() for v in values])
    url = f"{server.root_url}{first.path}" + (f"?{query}" if query else "")
    auth = {k.lower(): v for k, v in getattr(adapter, "auth_headers", dict)().items()}
    headers = {}
    for name, value in first.headers.items():
        if name.lower() in _SKIP_HEADERS:
            continue
        headers[name] = auth.get(name.lower(), value) if value == "[redacted]" else value
    return url, headers


def _adapter_ms(adapter: ProviderAdapter, server: FakeServer) -> tuple[float, RecordedRequest]:
    server.clear_requests()
    result = adapter.test_connection()
    if result.status != "valid" or result.latency_ms is None:
        raise RuntimeError(f"test_connection was not valid: {result.message}")
    return float(result.latency_ms), server.requests[0]


def _bare_ms(url: str, headers: dict[str, str], settings: HttpSettings) -> float:
    start = time.perf_counter()
    response = requests.get(
        url, headers=headers, timeout=(settings.connect_timeout, settings.read_timeout)
    )
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"the bare GET answered {response.status_code}")
    return elapsed


def measure_type(provider_type: str, *, pairs: int, latency: float) -> tuple[Row, str]:
    """Interleave ``pairs`` adapter tests and bare GETs; the summary row and report line."""
    settings = HttpSettings()
    with SERVER_CLASSES[provider_type](latency=latency) as server:
        adapter = create_adapter(_config(provider_type, server), settings)
        _, first = _adapter_ms(adapter, server)  # warm-up, and the request to copy
        url, headers = _bare_request(adapter, server, first)
        _bare_ms(url, headers, settings)
        ours: list[float] = []
        bare: list[float] = []
        for i in range(pairs):
            if i % 2 == 0:
                ours.append(_adapter_ms(adapter, server)[0])
                bare.append(_bare_ms(url, headers, settings))
            else:
                bare.append(_bare_ms(url, headers, settings))
                ours.append(_adapter_ms(adapter, server)[0])
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    ratio = ours_median / bare_median
    pairwise = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    ok = ratio <= TARGET
    path = url.removeprefix(server.root_url)
    line = (
        f"  {provider_type:<18} latencyMs median {ours_median:6.1f} ms  bare requests.get "
        f"median {bare_median:6.2f} ms  ratio {ratio:5.2f}  (median pairwise {pairwise:4.2f}; "
        f"GET {path})"
    )
    row = Row(f"test connection {provider_type}", f"{ours_median:.1f} ms",
              f"{bare_median:.2f} ms bare", ratio, TARGET, ok)
    return row, line


def run(
    *, types: Sequence[str] = DEFAULT_TYPES, pairs: int = 60, latency: float = 0.02
) -> BenchResult:
    """Run the benchmark for each provider type in ``types``."""
    result = BenchResult()
    result.lines.append(
        f"Test connection: reported latencyMs vs a bare requests.get of the same URL and "
        f"headers, {pairs} interleaved pairs, {latency * 1000:g} ms added per request"
    )
    for provider_type in types:
        try:
            row, line = measure_type(provider_type, pairs=pairs, latency=latency)
        except RuntimeError as err:
            result.correct = False
            result.lines.append(f"  !! {provider_type}: {err}")
            continue
        result.rows.append(row)
        result.lines.append(line)
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (sizes default to the issue's figures)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--types", default=",".join(DEFAULT_TYPES),
                        help="comma-separated provider types")
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; 0 when within target, 1 when a ratio is missed, 2 when wrong."""
    args = parse_args(argv)
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    result = run(types=types, pairs=args.pairs, latency=args.latency)
    return result.report()


if __name__ == "__main__":
    sys.exit(main())
