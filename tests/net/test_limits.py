"""net.limits: the total deadline and the size cap, on real sockets (stand-in servers and a
small gzip server on 127.0.0.1)."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from standins.providers import GoogleServer, OpenAICompatibleServer
from task_master_llm.net.limits import (
    CHUNK_BYTES,
    AnswerStalled,
    Deadline,
    DeadlineExceeded,
    ResponseTooLarge,
    format_bytes,
    read_body,
)


def get(url: str, deadline: Deadline, read_timeout: float = 3.0) -> requests.Response:
    return requests.get(url, stream=True, timeout=deadline.timeouts(2.0, read_timeout))


@pytest.fixture
def google() -> Iterator[GoogleServer]:
    with GoogleServer() as server:
        yield server  # type: ignore[misc]


def models_url(server: GoogleServer) -> str:
    return f"{server.base_url}/v1beta/models?key={server.DEMO_KEY}"


def test_a_complete_answer_is_read_whole(google: GoogleServer) -> None:
    deadline = Deadline(5)
    response = get(models_url(google), deadline)
    body = read_body(response, max_bytes=10 * 1024 * 1024, deadline=deadline, read_timeout=3)
    assert body and response.json() == requests.get(models_url(google), timeout=5).json()


def test_trickle_is_cut_at_the_deadline(google: GoogleServer) -> None:
    google.mode, google.trickle_seconds = "trickle", 0.02
    deadline = Deadline(0.5)
    started = time.monotonic()
    response = get(models_url(google), deadline)
    with pytest.raises(DeadlineExceeded) as caught:
        read_body(response, max_bytes=10 * 1024 * 1024, deadline=deadline, read_timeout=3)
    assert time.monotonic() - started < 0.5 + 0.5
    assert str(caught.value) == "no complete answer within 0.5 s"


def test_a_stall_mid_body_is_a_stalled_answer(google: GoogleServer) -> None:
    google.mode, google.trickle_seconds = "trickle", 0.5
    deadline = Deadline(5)
    response = get(models_url(google), deadline, read_timeout=0.2)
    with pytest.raises(AnswerStalled):
        read_body(response, max_bytes=1024 * 1024, deadline=deadline, read_timeout=0.2)


def test_a_declared_length_over_the_cap_fails_before_reading(google: GoogleServer) -> None:
    # the body trickles for seconds: only the Content-Length check can fail at once
    google.mode, google.trickle_seconds = "trickle", 0.05
    deadline = Deadline(5)
    started = time.monotonic()
    response = get(models_url(google), deadline)
    with pytest.raises(ResponseTooLarge) as caught:
        read_body(response, max_bytes=100, deadline=deadline, read_timeout=3)
    assert time.monotonic() - started < 0.5
    assert str(caught.value) == "more than 100 bytes"


def test_an_endless_body_stops_at_the_cap_in_bounded_memory() -> None:
    cap = 512 * 1024
    with OpenAICompatibleServer(mode="endless") as server:
        deadline = Deadline(10)
        response = get(f"{server.base_url}/models", deadline)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge):
                read_body(response, max_bytes=cap, deadline=deadline, read_timeout=3)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 2 * cap + 2 * CHUNK_BYTES, f"peak {peak}"


class _GzipBomb(http.server.BaseHTTPRequestHandler):
    """200 with 64 MB of zeros, gzipped (about 64 KB on the wire)."""

    BODY = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


def test_a_compressed_bomb_counts_what_it_inflates_to() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GzipBomb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        deadline = Deadline(10)
        response = get(f"http://127.0.0.1:{server.server_address[1]}/", deadline)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge):
                read_body(response, max_bytes=1024 * 1024, deadline=deadline, read_timeout=3)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        server.shutdown()
        server.server_close()
    assert len(_GzipBomb.BODY) < 1024 * 1024, "the wire size is under the cap"
    assert peak < 4 * 1024 * 1024, f"peak {peak}"


def test_deadline_caps_the_timeouts() -> None:
    now = [100.0]
    deadline = Deadline(3, clock=lambda: now[0])
    assert deadline.timeouts(5, 20) == (3, 3)
    now[0] = 102.0
    assert deadline.timeouts(0.5, 20) == (0.5, 1)
    now[0] = 103.0
    assert deadline.expired
    with pytest.raises(DeadlineExceeded):
        deadline.timeouts(5, 20)


@pytest.mark.parametrize(("count", "text"), [
    (300, "300 bytes"), (4096, "4 KB"), (20 * 1024 * 1024, "20 MB"), (1536, "1.5 KB"),
    (3 * 1024**3, "3 GB")])
def test_format_bytes(count: int, text: str) -> None:
    assert format_bytes(count) == text
