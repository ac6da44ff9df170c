"""What the benchmark scripts share: summary rows, results, and a server in a child process.

A provider server in the benchmark's own process competes with the code under test for
the GIL (its JSON encoding runs while we decode), so the benchmarks run it in a child
process by default, as a real provider is.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from standins.providers import FakeServer

#: A child server stops by itself after this many seconds even if nobody tells it to.
SERVER_LIFETIME = 600.0


@dataclass(frozen=True)
class Row:
    """One line of the run_all summary table."""

    name: str
    measured: str
    reference: str
    ratio: float
    target: float
    ok: bool


@dataclass
class BenchResult:
    """What one benchmark run found: table rows, report lines, correctness."""

    rows: list[Row] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    correct: bool = True

    @property
    def passed(self) -> bool:
        """Every ratio within target and every correctness check true."""
        return self.correct and all(row.ok for row in self.rows)

    def report(self) -> int:
        """Print the lines; the exit code: 0 all met, 1 a ratio missed, 2 a result wrong."""
        print("\n".join(self.lines))
        if not self.correct:
            return 2
        return 0 if self.passed else 1


def _request_counts(server: FakeServer) -> dict[str, int]:
    counts = Counter(f"{r.method} {r.path}" for r in server.requests)
    server.clear_requests()
    return dict(counts)


def _serve(
    conn: multiprocessing.connection.Connection,
    server_cls: type[FakeServer],
    kwargs: dict[str, Any],
) -> None:
    """Child process body: run the server and answer ``stats``/``latency``/``stop``."""
    deadline = time.monotonic() + SERVER_LIFETIME
    with server_cls(**kwargs) as server:
        conn.send((server.base_url, server.models))  # type: ignore[attr-defined]
        while time.monotonic() < deadline:
            if not conn.poll(0.5):
                continue
            try:
                command, arg = conn.recv()
            except EOFError:
                break
            if command == "stats":
                conn.send(_request_counts(server))
            elif command == "latency":
                server.latency = arg
                conn.send(True)
            else:
                break


class ServerHost:
    """A fake provider server in a child process (default) or in this process.

    A context manager exposing ``base_url``, ``models``, ``stats()`` (request counts by
    ``"METHOD /path"`` since the last call) and ``set_latency(seconds)``.
    """

    def __init__(
        self, server_cls: type[FakeServer], *, in_process: bool = False, **kwargs: Any
    ) -> None:
        self.server_cls = server_cls
        self.in_process = in_process
        self.kwargs = kwargs
        self.base_url = ""
        self.models: list[dict[str, Any]] = []
        self._server: FakeServer | None = None
        self._process: Any = None
        self._conn: multiprocessing.connection.Connection | None = None

    def __enter__(self) -> ServerHost:
        if self.in_process:
            self._server = self.server_cls(**self.kwargs).start()
            self.base_url = self._server.base_url
            self.models = self._server.models  # type: ignore[attr-defined]
            return self
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(child, self.server_cls, self.kwargs), daemon=True
        )
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(30):
            self._process.kill()
            raise RuntimeError(f"the {self.server_cls.__name__} process did not start in 30 s")
        self.base_url, self.models = parent.recv()
        return self

    def _ask(self, command: str, arg: Any = None) -> Any:
        assert self._conn is not None
        self._conn.send((command, arg))
        return self._conn.recv()

    def stats(self) -> dict[str, int]:
        """Requests received since the last call, by ``"METHOD /path"``."""
        if self._server is not None:
            return _request_counts(self._server)
        result: dict[str, int] = self._ask("stats")
        return result

    def set_latency(self, seconds: float) -> None:
        """Change the latency the server adds to every request."""
        if self._server is not None:
            self._server.latency = seconds
        else:
            self._ask("latency", seconds)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.stop()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop", None))
            self._conn.close()
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)



@contextlib.contextmanager
def database() -> Iterator[Database]:
    """A fresh database on ``MONGO_URI``, or on a SecantusDB server started here."""
    uri = os.environ.get("MONGO_URI")
    server = None
    if not uri:
        from secantus import SecantusDBServer

        server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
        server.start()
        uri = server.uri
    client: MongoClient = MongoClient(uri, tz_aware=True)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()
        if server is not None:
            server.stop()
