"""Each adapter against the local provider servers of standins.providers
(real HTTP on 127.0.0.1: real sockets, timeouts, retries and urllib3 logging)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from standins.providers import AZURE_DEMO_DEPLOYMENT, SERVER_CLASSES, FakeServer
from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter

TYPES = sorted(SERVER_CLASSES)
WRONG_KEY = "sk-CANARY-123456789abcdef"
SERVER_OPTIONS: dict[str, dict[str, Any]] = {"ollama": {"require_key": True}}


@pytest.fixture(params=TYPES)
def server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    cls = SERVER_CLASSES[request.param]
    with cls(**SERVER_OPTIONS.get(request.param, {})) as running:
        yield running


def adapter_for(server: FakeServer, *, key: str | None = None, base_url: str | None = None,
                **settings: Any):
    config = ProviderConfig(
        server.provider_type,
        name="live",
        base_url=base_url or server.base_url,
        api_key=key if key is not None else server.DEMO_KEY,
        deployment_id=AZURE_DEMO_DEPLOYMENT if server.provider_type == "azure" else None,
    )
    settings.setdefault("sleep", lambda _s: None)
    return create_adapter(config, HttpSettings(**settings))


def test_valid_key(server: FakeServer) -> None:
    adapter = adapter_for(server)
    result = adapter.test_connection()
    assert result.status == "valid", result.message
    assert result.latency_ms is not None and result.latency_ms >= 0
    models = adapter.discover_models()
    assert models, "the demo servers serve at least one chat model"
    for model in models:
        assert model.provider_model_id and "text" in model.modality
        assert set(model.meta["sources"].values()) <= {"provider", "models.dev"}


def test_wrong_key_is_auth_and_never_leaks(server: FakeServer,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    result = adapter_for(server, key=WRONG_KEY).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "auth"), result.message
    assert WRONG_KEY not in result.message
    assert any(r.name.startswith("urllib3") for r in caplog.records), "urllib3 was logging"
    assert WRONG_KEY not in caplog.text
    assert server.requests
    for recorded in server.requests:
        assert WRONG_KEY not in recorded.path and WRONG_KEY not in str(recorded.query)


def test_wrong_port_is_network_naming_the_host(server: FakeServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = server.base_url.replace(f":{server.port}", f":{port}")
    result = adapter_for(server, base_url=base).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
    assert f"127.0.0.1:{port}" in result.message


def test_slow_server_times_out_within_read_timeout(server: FakeServer) -> None:
    server.slow_seconds = 5
    server.mode = "slow"
    started = time.perf_counter()
    result = adapter_for(server, read_timeout=0.5).test_connection()
    elapsed = time.perf_counter() - started
    assert (result.status, result.error_kind) == ("invalid", "timeout")
    assert elapsed < 0.5 + 1
    assert "127.0.0.1" in result.message


def test_429_then_success(server: FakeServer) -> None:
    server.fail_next(1, 429, retry_after=1)
    waits: list[float] = []
    result = adapter_for(server, sleep=waits.append).test_connection()
    assert result.status == "valid", result.message
    assert waits == [1.0]


def test_malformed_json_is_bad_response(server: FakeServer) -> None:
    server.mode = "malformed"
    result = adapter_for(server).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "bad_response")


def test_html_page_is_bad_response(server: FakeServer) -> None:
    server.mode = "html"
    result = adapter_for(server).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "bad_response")
    assert "HTML" in result.message


def test_connection_reset_is_network(server: FakeServer) -> None:
    server.mode = "reset"
    result = adapter_for(server).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
