"""The one classifier of network failures, used by the adapters and the Talon client.

A ``requests`` exception is classified by its type and the types of what it wraps, never
by its text (which carries URLs and headers). Each caller turns the kind into a message of
its own that names what failed.
"""

from __future__ import annotations

import errno
import http.client
import socket
from collections.abc import Iterator
from typing import Literal

import requests
import urllib3.exceptions

#: What went wrong below HTTP.
NetworkKind = Literal[
    "connect_timeout",  # no connection within the connect timeout
    "read_timeout",  # connected, no answer within the read timeout
    "tls",  # certificate or protocol mismatch
    "url",  # not a usable http(s) URL
    "dns",  # the host name does not resolve
    "refused",  # nothing listens there
    "reset",  # the peer closed the connection without an answer
    "network",  # any other transport failure
]

_MAX_CHAIN = 32


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (``__cause__``, ``__context__``, urllib3's
    ``reason``, exception arguments), each once, at most 32 of them."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo and len(seen) < _MAX_CHAIN:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(
            [getattr(current, "reason", None), current.__cause__, current.__context__,
             *current.args]
        )


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError))


def _is_dns(exc: BaseException) -> bool:
    return isinstance(exc, (socket.gaierror, urllib3.exceptions.NameResolutionError))


def _is_refused(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionRefusedError) or (
        isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
    )


def _is_reset(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected,
                            BrokenPipeError, ConnectionAbortedError))


def classify(exc: requests.RequestException) -> NetworkKind:
    """The kind of a ``requests`` failure that has no HTTP status."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect_timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read_timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return "url"
    chain = list(exception_chain(exc))
    for test, kind in ((_is_timeout, "read_timeout"), (_is_dns, "dns"),
                       (_is_refused, "refused"), (_is_reset, "reset")):
        if any(test(e) for e in chain):
            return kind  # type: ignore[return-value]
    if isinstance(exc, requests.Timeout):
        return "read_timeout"
    return "network"


__all__ = ["NetworkKind", "classify", "exception_chain"]
