"""The requests sessions of outbound calls; for adapters, the base-URL policy at connect time.

Before each request every address of the host is checked (a clear early error); at
connect time the socket's peer address is checked again, so a DNS answer that changes
between the two cannot slip a refused address through.

Every connection made here also keeps the deadline of the call in progress (set with
:func:`deadline_scope`) while it waits for the status line and headers: a server that
trickles them is cut when the deadline passes (its socket is shut down), as
:func:`task_master_llm.net.limits.read_body` cuts a trickling body.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from task_master_llm.net.limits import Deadline
from task_master_llm.net.policy import address_problem, check_address, check_host
from task_master_llm.net.settings import HttpSettings

#: the deadline of the outbound call this thread is making (None: no deadline applies)
_DEADLINE: ContextVar[Deadline | None] = ContextVar("task_master_llm_deadline", default=None)


@contextlib.contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[None]:
    """Run the requests made inside under ``deadline`` (see :class:`_DeadlineMixin`)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes the reader at once; close() would not


class _DeadlineMixin:
    """Cuts the wait for the status line and headers at the call's deadline: each byte may
    come within the read timeout, but all of them must come before the deadline."""

    def getresponse(self) -> Any:
        deadline = _DEADLINE.get()
        sock = getattr(self, "sock", None)
        if deadline is None or not isinstance(sock, socket.socket):
            return super().getresponse()  # type: ignore[misc]
        timer = threading.Timer(deadline.remaining(), _shut, (sock,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()  # type: ignore[misc]
        finally:
            timer.cancel()


class _PeerCheckMixin:
    """Checks the address the socket actually connected to (DNS may have changed)."""

    allow_private: bool = True

    def _new_conn(self) -> Any:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            peer = str(sock.getpeername()[0])
        except OSError:
            return sock
        if address_problem(peer, allow_private=self.allow_private):
            sock.close()
            check_address(peer, allow_private=self.allow_private, host=self.host)  # type: ignore[attr-defined]
        return sock


def _pool_classes(allow_private: bool | None) -> dict[str, type[HTTPConnectionPool]]:
    """Pools whose connections keep the deadline, and (unless ``allow_private`` is None:
    the gateway's) check the peer address."""
    flag = {"allow_private": allow_private}
    mixins: tuple[type, ...] = (_DeadlineMixin,) if allow_private is None else (
        _DeadlineMixin, _PeerCheckMixin)
    http_conn = type("CheckedHTTPConnection", (*mixins, HTTPConnection), flag)
    https_conn = type("CheckedHTTPSConnection", (*mixins, HTTPSConnection), flag)
    return {
        "http": type(
            "CheckedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}
        ),
        "https": type(
            "CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
        ),
    }


_POOLS = {flag: _pool_classes(flag) for flag in (True, False, None)}


class DeadlineHTTPAdapter(HTTPAdapter):
    """A requests transport whose connections keep the call's deadline (no address
    policy): for the Talon gateway."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS[None])


class PolicyHTTPAdapter(HTTPAdapter):
    """A requests transport that refuses addresses the base-URL policy forbids.

    Before each request every address of the host is checked (clear early error); at
    connect time the socket's peer address is checked again. The early check is in the
    transport, not in :class:`ProviderHttp`, so a mock transport skips it.
    """

    def __init__(self, *, allow_private: bool, pool_maxsize: int = 10) -> None:
        self.allow_private = allow_private
        super().__init__(pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS[self.allow_private])

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Check every address of the host first, then send as requests does."""
        parts = urlsplit(request.url or "")
        if parts.hostname:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            check_host(parts.hostname, port, allow_private=self.allow_private)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies=proxies)


def default_session_factory(settings: HttpSettings) -> requests.Session:
    """A session with the policy transport mounted and no environment influence.

    ``trust_env`` is off: a ``.netrc`` must not add an Authorization header, and an
    environment proxy would hide the address the policy has to check.
    """
    session = requests.Session()
    session.trust_env = False
    transport = PolicyHTTPAdapter(
        allow_private=settings.allow_private_networks,
        pool_maxsize=max(10, settings.show_concurrency),
    )
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session


def plain_session_factory(settings: HttpSettings) -> requests.Session:
    """A session with no environment influence and no address policy: for the Talon
    gateway, whose URL the operator configures (it may well be on a private network)."""
    session = requests.Session()
    # a ~/.netrc entry for the gateway host would replace our Bearer header
    session.trust_env = False
    transport = DeadlineHTTPAdapter(max_retries=0)
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session
