"""Bounds on every outbound call: a total deadline and a response size cap.

A read timeout bounds each wait for the next bytes, not the answer as a whole: a server
that sends one byte a second never trips it. So every call here also has a
:class:`Deadline` (monotonic, for the whole operation, retries and pages included) and
every body is read by :func:`read_body`, which streams it in chunks, counts the bytes and
checks the deadline between chunks:

* the request's own ``(connect, read)`` timeouts never exceed what is left of the
  deadline (:meth:`Deadline.timeouts`);
* before each chunk the socket's timeout is lowered to what is left, so a server that
  stops sending is cut at the deadline too;
* a body past ``max_bytes`` (a declared ``Content-Length`` or the bytes counted) stops
  the read at once, so memory stays under the cap plus one chunk.

The failures are :class:`DeadlineExceeded` and :class:`ResponseTooLarge`; each caller
turns them into a message of its own that names who was too slow or sent too much.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

import requests
import urllib3.exceptions
import urllib3.response

from task_master_llm.net.failures import classify

#: Bytes read per chunk: the most a body can overshoot its cap by while it is read.
CHUNK_BYTES = 64 * 1024
#: Below this many seconds left, a call is not started (it could not finish).
_MIN_LEFT = 0.001


class DeadlineExceeded(Exception):
    """The deadline passed before the answer was complete."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class AnswerStalled(Exception):
    """The answer had begun, then no byte came for a whole read timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the answer stalled for more than {seconds:g} s")
        self.seconds = seconds


class ResponseTooLarge(Exception):
    """The answer is longer than the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {format_bytes(limit)}")
        self.limit = limit


class Deadline:
    """A point in (monotonic) time by which an operation must be done."""

    def __init__(self, seconds: float, *, clock: Any = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._end = clock() + self.seconds

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self._end - self._clock())

    @property
    def expired(self) -> bool:
        """Whether (almost) no time is left."""
        return self.remaining() <= _MIN_LEFT

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` when the deadline has passed."""
        if self.expired:
            raise DeadlineExceeded(self.seconds)

    def timeouts(self, connect: float, read: float) -> tuple[float, float]:
        """``(connect, read)`` timeouts for the next request, each at most what is left.
        Raises :class:`DeadlineExceeded` when nothing is left."""
        self.check()
        left = self.remaining()
        return (min(connect, left), min(read, left))


def format_bytes(count: int) -> str:
    """``20 MB``, ``512 KB``, ``300 bytes`` (binary units, as the caps are set)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{count} bytes"


def read_body(
    response: requests.Response,
    *,
    max_bytes: int,
    deadline: Deadline,
    read_timeout: float,
    chunk_bytes: int = CHUNK_BYTES,
) -> bytes:
    """The whole body of a ``stream=True`` response, read within the deadline and the
    cap; the response is closed whatever happens (its connection is not reused after a
    cut). The decoded body counts (a compressed bomb is cut like a plain one).

    Raises :class:`DeadlineExceeded`, :class:`ResponseTooLarge`, :class:`AnswerStalled`
    (a read timeout between chunks), or a ``requests.ConnectionError`` wrapping what the
    transport raised (classify it with :func:`task_master_llm.net.failures.classify`).
    """
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(max_bytes)
        if getattr(response, "_content", False) is not False:  # read already (a mock)
            if len(response.content) > max_bytes:
                raise ResponseTooLarge(max_bytes)
            return response.content
        read = _reader(response.raw)
        sock = _socket_of(response.raw)
        body = bytearray()
        while True:
            deadline.check()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.settimeout(max(_MIN_LEFT, min(read_timeout, deadline.remaining())))
            try:
                chunk = read(chunk_bytes)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if deadline.expired:
                    raise DeadlineExceeded(deadline.seconds) from None
                if classify(requests.ConnectionError(exc)) == "read_timeout":
                    raise AnswerStalled(read_timeout) from None
                raise requests.ConnectionError(exc) from None
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise ResponseTooLarge(max_bytes)
        response._content = bytes(body)  # so .json() and .text work afterwards
        return response._content
    finally:
        response.close()


def _reader(raw: Any) -> Any:
    """Read at most n bytes with whatever is there (``read1``: one socket read, so the
    deadline is checked between reads), decoded (gzip counts as what it inflates to)."""
    if isinstance(raw, urllib3.response.BaseHTTPResponse):
        return lambda n: raw.read1(n, decode_content=True)
    return getattr(raw, "read1", None) or raw.read


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket a urllib3 response reads from, when it can be found (so its timeout can
    follow the deadline); None otherwise (each read then waits at most the read timeout)."""
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


__all__ = [
    "CHUNK_BYTES",
    "AnswerStalled",
    "Deadline",
    "DeadlineExceeded",
    "ResponseTooLarge",
    "format_bytes",
    "read_body",
]
