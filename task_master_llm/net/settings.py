"""How outbound calls talk HTTP: timeouts, retries, the base-URL policy, the session seam."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

#: Builds the ``requests.Session`` of one operation from the settings it runs under.
SessionFactory = Callable[["HttpSettings"], requests.Session]


@dataclass(frozen=True)
class HttpSettings:
    """How adapters (and the Talon client) talk HTTP. Built from the extension's config.

    ``session_factory`` builds the ``requests.Session`` of one operation (None: the
    caller's default; for adapters the one with the base-URL policy enforced at connect
    time). Tests pass a factory returning a session with a mock transport mounted.
    ``sleep`` waits between retries (tests pass a recorder so they run instantly).

    ``deadline`` bounds one whole operation (a Test, a Discover with all its pages and
    Ollama's per-model calls, retries included) whatever the server's pace; every
    response body is cut past ``max_response_bytes``, or ``max_listing_bytes`` for the
    calls that list models or agents (see :mod:`task_master_llm.net.limits`).
    """

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_retries: int = 2
    backoff_base: float = 0.5
    max_retry_after: float = 10.0
    allow_private_networks: bool = True
    show_concurrency: int = 8
    max_redirects: int = 3
    deadline: float = 30.0
    max_response_bytes: int = 2 * 1024 * 1024
    max_listing_bytes: int = 20 * 1024 * 1024
    session_factory: SessionFactory | None = field(default=None, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)


__all__ = ["HttpSettings", "SessionFactory"]
