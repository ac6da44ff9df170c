"""The benchmarks still run: each script's ``main`` with tiny sizes.

Timing is not asserted here: at these sizes the ratios are noise. Exit status 2 (a
correctness check failed: models missing, wrong page count, an invalid connection test)
fails the test; 0 or 1 (ratio met or missed) passes.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

# ``benchmarks`` is a top-level package of the repository, not of the installed
# distribution: importable under ``python -m pytest`` from the root, and under a bare
# ``pytest`` once the root is on the path.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

bench_ollama_discovery = importlib.import_module("benchmarks.bench_ollama_discovery")
bench_google_pagination = importlib.import_module("benchmarks.bench_google_pagination")
bench_test_connection = importlib.import_module("benchmarks.bench_test_connection")
bench_verify = importlib.import_module("benchmarks.bench_verify")
summary_table = importlib.import_module("benchmarks.run_all").summary_table
Row = importlib.import_module("benchmarks.common").Row


def test_ollama_discovery_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Child-process server, tags + one show per model, every chat model seen (the one
    embedding-only and the one image model of the first 20 left out)."""
    code = bench_ollama_discovery.main(
        ["--models", "20", "--latency", "0.01", "--repeats", "1", "--no-context"]
    )
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "server lists 20 models, 18 of them chat" in out
    assert "every run returned all 18 chat models" in out
    assert "ratio" in out


def test_google_pagination_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """More than one page (the adapter asks for 1000 a page), set equality verified."""
    code = bench_google_pagination.main(
        ["--models", "1010", "--latency", "0.002", "--repeats", "1"]
    )
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "pages followed: 2 (sizes [1000, 10])" in out
    assert "models listed 1010/1010, distinct 1010, equal to the server's list" in out
    assert "every run returned exactly the server's set with 2 list requests" in out


def test_connection_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Reported latency vs bare requests.get for google and openai."""
    code = bench_test_connection.main(
        ["--types", "google,openai", "--pairs", "4", "--latency", "0.002"]
    )
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "google " in out and "GET /v1beta/models?pageSize=1" in out
    assert "openai " in out and "GET /v1/models" in out


def test_summary_table_marks_misses() -> None:
    """run_all's table shows PASS and MISS per row."""
    table = summary_table([
        Row("a", "1.0 s", "0.9 s ideal", 1.11, 1.5, True),
        Row("b", "2.0 s", "1.0 s ideal", 2.0, 1.5, False),
    ])
    lines = table.splitlines()
    assert lines[0].split() == ["benchmark", "measured", "reference", "ratio", "target",
                                "result"]
    assert lines[2].endswith("PASS") and lines[3].endswith("MISS")
    assert "<= 1.5" in lines[3]


def test_verify_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Seed, push and read back a few agents; every read-back finds them all in sync."""
    code = bench_verify.main(["--agents", "20", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "verify 20 agents: median" in out and "ratio" in out


bench_routes = importlib.import_module("benchmarks.bench_routes")
bench_rotate = importlib.import_module("benchmarks.bench_rotate")


def test_routes_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Every route measured against its bare calls, pages and counts checked."""
    code = bench_routes.main(["--sizes", "150,300", "--providers", "5", "--agents", "120",
                              "--register", "10", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    for line in ("GET models?limit=100, 300 models: ours", "GET providers, 5 providers",
                 "GET agents?limit=100, 120 agents", "POST models, 10 again: ours"):
        assert line in out


def test_rotate_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Rotation, the bare loop and the bulk write on freshly seeded old-key records."""
    code = bench_rotate.main(["--keys", "20", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "rotate-key 20 keys: ours" in out and "a rerun with nothing to rotate" in out


bench_concurrency = importlib.import_module("benchmarks.bench_concurrency")


def test_concurrency_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """A real threaded server, concurrent readers of both routes, every page whole."""
    code = bench_concurrency.main(["--models", "120", "--readers", "3", "--requests", "1",
                                   "--rounds", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "3 concurrent readers of GET models?limit=100" in out and "ratio" in out


bench_discovery_memory = importlib.import_module("benchmarks.bench_discovery_memory")


def test_discovery_memory_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Both providers discovered under tracemalloc, against their bare requests."""
    code = bench_discovery_memory.main(["--models", "30"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "Ollama, 30 models: discovery peak" in out and "OpenAI-compatible, 30 models" in out
