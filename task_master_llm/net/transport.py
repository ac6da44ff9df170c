"""The requests sessions of outbound calls; for adapters, the base-URL policy at connect time.

Before each request every address of the host is checked (a clear early error); at
connect time the socket's peer address is checked again, so a DNS answer that changes
between the two cannot slip a refused address through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from task_master_llm.net.policy import address_problem, check_address, check_host
from task_master_llm.net.settings import HttpSettings


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


def _pool_classes(allow_private: bool) -> dict[str, type[HTTPConnectionPool]]:
    flag = {"allow_private": allow_private}
    http_conn = type("CheckedHTTPConnection", (_PeerCheckMixin, HTTPConnection), flag)
    https_conn = type("CheckedHTTPSConnection", (_PeerCheckMixin, HTTPSConnection), flag)
    return {
        "http": type(
            "CheckedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}
        ),
        "https": type(
            "CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
        ),
    }


_POOLS = {flag: _pool_classes(flag) for flag in (True, False)}


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
    return session
