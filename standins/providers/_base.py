"""The machinery every local fake server shares: lifecycle, knobs, request log.

A :class:`FakeServer` is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 running in a daemon
thread. Subclasses implement :meth:`FakeServer.route` (and usually :meth:`auth_error` and
:meth:`error_body`); the base class applies the failure knobs before routing:

- ``latency``: seconds added to every request;
- ``fail_next(n, status, retry_after)``: the next ``n`` requests fail with that status;
- ``mode``: ``"normal"``, ``"slow"`` (sleep ``slow_seconds`` before answering),
  ``"reset"`` (close the connection without a response), ``"html"`` (200 with an HTML
  page), ``"malformed"`` (200 with truncated JSON), ``"trickle"`` (the real answer,
  headers at once, then its body one byte every ``trickle_seconds``),
  ``"trickle-headers"`` (the same, from the status line on), ``"endless"``
  (200 JSON headers, then a chunked body that never ends: until the client hangs up,
  the server stops, or ``ENDLESS_LIMIT`` bytes).

Every knob is thread-safe and can be changed while the server runs. ``stop()`` then
``start()`` (or ``down()`` / ``up()``) restarts on the same port, and stopping also cuts
open keep-alive connections, so a stopped server really refuses connections.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from standins.providers._messages import RecordedRequest, Reply, Request

#: Header names whose values never enter the request log.
SECRET_HEADERS = frozenset({"authorization", "x-goog-api-key", "x-api-key", "api-key"})
MODES = ("normal", "slow", "reset", "html", "malformed", "trickle", "trickle-headers",
         "endless")
#: the most an ``endless`` body sends before it ends after all (so no test can hang on it)
ENDLESS_LIMIT = 1024**3
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in</title></head>"
    "<body><h1>Please sign in</h1><p>This is a captive portal, not an API.</p></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers+body writes meet delayed ACKs: +40 ms
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Stay quiet: tests and demos do not want access logs on stderr."""

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def _dispatch(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: FakeServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class FakeServer:
    """Base of the local fake servers (providers and Talon). Use as a context manager."""

    #: providerType this server imitates (or "talon")
    provider_type: ClassVar[str] = ""
    #: the key the server accepts by default
    DEMO_KEY: ClassVar[str] = ""
    #: path added to root_url to make base_url ("/v1" for openai-shaped servers)
    base_path: ClassVar[str] = ""
    #: a body over :meth:`max_body` resets the connection instead of answering 413
    #: (the Talon gateway destroys the socket)
    oversize_resets: ClassVar[bool] = False

    def __init__(
        self,
        *,
        port: int = 0,
        valid_keys: Iterable[str] | None = None,
        latency: float = 0.0,
        slow_seconds: float = 30.0,
        trickle_seconds: float = 1.0,
        mode: str = "normal",
        max_log: int = 10_000,
    ) -> None:
        self._lock = threading.RLock()
        self._port = port
        self._valid_keys = set(valid_keys) if valid_keys is not None else {self.DEMO_KEY}
        self._latency = latency
        self._slow_seconds = slow_seconds
        self._trickle_seconds = trickle_seconds
        self._endless_sent = 0
        self._mode = "normal"
        self.mode = mode
        self._fail: list[tuple[int, float | None]] = []
        self._log: deque[RecordedRequest] = deque(maxlen=max_log)
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeServer:
        """Listen on 127.0.0.1 (the same port as before after a stop). Idempotent."""
        with self._lock:
            if self._server is not None:
                return self
            self._stopping = threading.Event()
            server = _Server(("127.0.0.1", self._port), self)
            self._port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-{self.provider_type or 'server'}-{self._port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection. Idempotent."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            self._stopping.set()
            connections = list(self._connections)
            self._connections.clear()
        if server is None:
            return
        server.shutdown()
        server.server_close()
        for conn in connections:
            _abort(conn)
        if thread is not None:
            thread.join(timeout=5)

    down = stop
    up = start

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._server is not None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (0 before the first start when constructed with port 0)."""
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` with no path."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The value an admin types as the provider's baseUrl."""
        return self.root_url + self.base_path

    # knobs ---------------------------------------------------------------------------
    @property
    def valid_keys(self) -> set[str]:
        """The keys the server accepts (a copy; assign to replace)."""
        with self._lock:
            return set(self._valid_keys)

    @valid_keys.setter
    def valid_keys(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._valid_keys = set(keys)

    def key_is_valid(self, key: str | None) -> bool:
        """Whether ``key`` is one of the accepted keys."""
        with self._lock:
            return key is not None and key in self._valid_keys

    @property
    def latency(self) -> float:
        """Seconds added to every request."""
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._latency = float(seconds)

    @property
    def slow_seconds(self) -> float:
        """How long ``"slow"`` mode sleeps before answering."""
        with self._lock:
            return self._slow_seconds

    @slow_seconds.setter
    def slow_seconds(self, seconds: float) -> None:
        with self._lock:
            self._slow_seconds = float(seconds)

    @property
    def trickle_seconds(self) -> float:
        """How long ``"trickle"`` mode waits between the bytes of a body."""
        with self._lock:
            return self._trickle_seconds

    @trickle_seconds.setter
    def trickle_seconds(self, seconds: float) -> None:
        with self._lock:
            self._trickle_seconds = float(seconds)

    @property
    def endless_sent(self) -> int:
        """Bytes of ``"endless"`` bodies sent so far (what the clients were offered)."""
        with self._lock:
            return self._endless_sent

    @property
    def mode(self) -> str:
        """One of :data:`MODES`."""
        with self._lock:
            return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {value!r}")
        with self._lock:
            self._mode = value

    def fail_next(self, n: int = 1, status: int = 429, retry_after: float | None = 1) -> None:
        """Answer the next ``n`` requests with ``status`` (and ``Retry-After`` unless None)."""
        with self._lock:
            self._fail.extend([(status, retry_after)] * n)

    def reset_knobs(self) -> None:
        """Back to normal: no latency, no pending failures, mode ``normal``."""
        with self._lock:
            self._latency = 0.0
            self._fail.clear()
            self._mode = "normal"

    # request log ---------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (oldest first)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._lock:
            self._log.clear()

    # for subclasses --------------------------------------------------------------------
    def route(self, request: Request) -> Reply:
        """Answer one request (after the knobs had their say)."""
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        """The provider's error shape for a generic failure (used by ``fail_next``)."""
        return {"error": {"code": status, "message": message}}

    def parse_body(self, raw: bytes) -> Any:
        """Body as recorded in the log: parsed JSON when possible, else text."""
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            return raw.decode("utf-8", "replace")

    def max_body(self) -> int | None:
        """Bodies longer than this are not read (``None``: no limit)."""
        return None

    # internals -------------------------------------------------------------------------
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        limit = self.max_body()
        raw = b""
        if length and (limit is None or length <= limit):
            raw = handler.rfile.read(length)
        elif length:
            _drain(handler, length)
        headers = {k: v for k, v in handler.headers.items()}
        query = parse_qs(split.query, keep_blank_values=True)
        redacted = {
            k: ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()
        }
        record = RecordedRequest(
            handler.command, split.path, query, redacted, self.parse_body(raw), raw
        )
        with self._lock:
            self._log.append(record)
            latency, mode, slow = self._latency, self._mode, self._slow_seconds
            trickle = self._trickle_seconds
            failure = self._fail.pop(0) if self._fail else None
            stopping = self._stopping
        if latency and stopping.wait(latency):
            return _cut(handler)
        if mode == "reset":
            return _cut(handler)
        if mode == "slow" and stopping.wait(slow):
            return _cut(handler)
        if mode == "html":
            return _send(handler, Reply(200, HTML_PAGE.encode(), content_type="text/html"))
        if mode == "malformed":
            return _send(handler, Reply(200, b'{"data": [{"id": "gpt-4o", "obj'))
        if mode == "endless":
            return self._send_endless(handler, stopping)
        if failure is not None:
            status, retry_after = failure
            reply = Reply(status, self.error_body(status, _reason(status)))
            if retry_after is not None:
                reply.headers["Retry-After"] = _number(retry_after)
            return _send(handler, reply)
        request = Request(handler.command, split.path, query, handler.headers, raw)
        if limit is not None and length > limit:
            if self.oversize_resets:
                return _cut(handler)
            return _send(handler, Reply(413, self.error_body(413, "Request body too large")))
        try:
            reply = self.route(request)
        except Exception as exc:  # a bug in a fake must still answer something
            reply = Reply(500, self.error_body(500, f"fake server error: {type(exc).__name__}"))
        if mode == "trickle":
            return _send(handler, reply, trickle=trickle, stopping=stopping)
        if mode == "trickle-headers":
            return _trickle_whole(handler, reply, trickle, stopping)
        _send(handler, reply)

    def _send_endless(self, handler: _Handler, stopping: threading.Event) -> None:
        """200 JSON whose chunked body never ends (a list that keeps growing)."""
        piece = b'{"id": "endless-model", "object": "model"},' * 1500  # ~64 KB
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            handler.wfile.write(b'%x\r\n{"data": [\r\n' % len(b'{"data": ['))
            sent = 0
            while sent < ENDLESS_LIMIT and not stopping.is_set():
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
                with self._lock:
                    self._endless_sent += len(piece)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        handler.close_connection = True


def _send(handler: _Handler, reply: Reply, *, trickle: float | None = None,
          stopping: threading.Event | None = None) -> None:
    if isinstance(reply.body, bytes):
        payload = reply.body
    elif isinstance(reply.body, str):
        payload = reply.body.encode("utf-8")
    elif reply.body is None:
        payload = b""
    else:
        payload = json.dumps(reply.body).encode("utf-8")
    try:
        handler.send_response(reply.status)
        if payload or reply.status not in (204, 304):
            handler.send_header("Content-Type", f"{reply.content_type}; charset=utf-8")
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        if trickle is None or stopping is None:
            handler.wfile.write(payload)
            return
        handler.wfile.flush()
        for index in range(len(payload)):  # one byte at a time, until done or stopped
            if stopping.wait(trickle):
                handler.close_connection = True
                return
            handler.wfile.write(payload[index:index + 1])
            handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _payload(reply: Reply) -> bytes:
    if isinstance(reply.body, bytes):
        return reply.body
    if isinstance(reply.body, str):
        return reply.body.encode("utf-8")
    return b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")


def _trickle_whole(handler: _Handler, reply: Reply, trickle: float,
                   stopping: threading.Event) -> None:
    """The whole answer, status line and headers included, one byte every ``trickle``."""
    payload = _payload(reply)
    head = (f"HTTP/1.1 {reply.status} {_reason(reply.status)}\r\n"
            f"Content-Type: {reply.content_type}; charset=utf-8\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            + f"Content-Length: {len(payload)}\r\n\r\n").encode("latin-1")
    raw = head + payload
    handler.close_connection = True
    try:
        for index in range(len(raw)):
            if stopping.wait(trickle):
                return
            handler.wfile.write(raw[index:index + 1])
            handler.wfile.flush()
    except OSError:
        return


def _cut(handler: _Handler) -> None:
    """End this exchange without any response."""
    handler.close_connection = True
    _abort(handler.connection)


def _abort(conn: socket.socket) -> None:
    """Close a connection with a TCP reset (SO_LINGER 0), so the client sees no response."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        # shutdown() acts at once even while a reader thread holds a makefile() reference
        conn.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()


def _drain(handler: _Handler, length: int) -> None:
    remaining = length
    while remaining > 0:
        chunk = handler.rfile.read(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)


def _reason(status: int) -> str:
    return {
        429: "Too many requests, slow down",
        500: "Internal server error",
        502: "Bad gateway",
        503: "Service unavailable",
        504: "Gateway timeout",
        529: "Overloaded",
    }.get(status, f"HTTP {status}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
