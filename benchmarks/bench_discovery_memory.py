"""Peak memory of discovering N models against bare ``requests`` + ``.json()`` (issue 13).

``tracemalloc`` peaks (Python allocations) while each runs, one after the other, the
provider servers in a child process:

- Ollama, N models: ``OllamaAdapter.discover_models`` (``/api/tags``, then ``/api/show``
  per model, 8 at a time) vs bare ``requests``: the tags list and every ``/api/show``
  body with ``.json()``, kept until the end (what a naive discovery holds);
- OpenAI-compatible and OpenAI, N models each: ``discover_models`` (one ``/v1/models``)
  vs a bare ``requests.get(...).json()`` of the same list.

Each discovery runs once untraced first: the models.dev catalog (``adapters/catalog.py``)
is loaded once per process, not per discovery. Target: ours / bare <= 1.5.

    .venv/bin/python -m benchmarks.bench_discovery_memory --models 5000
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from benchmarks.common import BenchResult, Row, ServerHost
from standins.providers import OllamaServer, OpenAICompatibleServer, OpenAIServer
from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter

TARGET = 1.5


def peak(call: Callable[[], Any]) -> tuple[int, Any]:
    """Peak traced bytes while ``call`` runs (its result is kept until the peak is read)."""
    gc.collect()
    tracemalloc.start()
    try:
        out = call()
        _current, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top, out


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def run(models: int = 5000) -> BenchResult:
    """Measure both providers; see the module docstring."""
    result = BenchResult()
    with ServerHost(OllamaServer, model_count=models) as host:
        adapter = create_adapter(ProviderConfig("ollama", name="bench", base_url=host.base_url),
                                 HttpSettings(show_concurrency=8))
        adapter.discover_models()  # untraced: loads the models.dev catalog once per process
        ours, found = peak(adapter.discover_models)
        names = [m["name"] for m in host.models]

        def bare() -> list[Any]:
            with requests.Session() as session:
                session.mount("http://", HTTPAdapter(pool_maxsize=10))
                tags = session.get(f"{host.base_url}/api/tags", timeout=(5, 60)).json()
                with ThreadPoolExecutor(max_workers=8) as pool:
                    shows = list(pool.map(lambda name: session.post(
                        f"{host.base_url}/api/show", json={"model": name},
                        timeout=(5, 60)).json(), names))
            return [tags, shows]

        reference, _ = peak(bare)
        if not found:
            result.correct = False
    ratio = ours / reference
    result.rows.append(Row(f"discover {models:,} Ollama models, peak memory", _mb(ours),
                           f"{_mb(reference)} bare", ratio, TARGET, ratio <= TARGET))
    result.lines.append(f"Ollama, {models:,} models: discovery peak {_mb(ours)} "
                        f"({len(found)} chat models), bare requests + .json() of tags and "
                        f"every /api/show {_mb(reference)}, ratio {ratio:.2f}")

    for server, provider_type, label in ((OpenAICompatibleServer, "openai_compatible",
                                          "OpenAI-compatible"), (OpenAIServer, "openai",
                                                                 "OpenAI")):
        with ServerHost(server, model_count=models) as host:
            base, key = host.base_url, server.DEMO_KEY
            adapter = create_adapter(ProviderConfig(provider_type, name="bench",
                                                    base_url=base, api_key=key))
            adapter.discover_models()  # untraced: the one-time costs, as for Ollama
            ours, found = peak(adapter.discover_models)
            reference, _ = peak(lambda base=base, key=key: requests.get(
                f"{base}/models", headers={"Authorization": f"Bearer {key}"},
                timeout=(5, 60)).json())
            if not found:
                result.correct = False
        ratio = ours / reference
        result.rows.append(Row(f"discover {models:,} {label} models, peak memory",
                               _mb(ours), f"{_mb(reference)} bare", ratio, TARGET,
                               ratio <= TARGET))
        result.lines.append(f"{label}, {models:,} models: discovery peak {_mb(ours)} "
                            f"({len(found)} models), bare requests.get().json() "
                            f"{_mb(reference)}, ratio {ratio:.2f}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; exit 1 when a ratio misses, 2 when discovery found nothing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5000)
    args = parser.parse_args(argv)
    result = run(args.models)
    return result.report()


if __name__ == "__main__":
    raise SystemExit(main())
