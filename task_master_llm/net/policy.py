"""Base-URL policy: which URLs a provider record may hold and which addresses we connect to.

Two checks, at two moments:

* :func:`validate_base_url` when a record is saved: http(s) only, a host, no
  ``user:password@`` (credentials belong in the encrypted key field, not in a URL that
  ends up in logs).
* :func:`check_address` when connecting, on every address the name resolves to and again
  on the socket's peer address (see :mod:`task_master_llm.net.transport`), so a DNS answer
  that changes between the check and the connect cannot reach a refused address.

Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata endpoints are
always refused. Loopback and private ranges are allowed by default (Ollama runs locally)
and refused when the host app sets ``allow_private_networks`` to False.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from task_master_llm.errors import ProviderError, ValidationError

#: Addresses refused whatever the configuration says: instance metadata services.
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud metadata
    }
)

_ALLOWED_SCHEMES = ("http", "https")


def validate_base_url(url: str) -> str:
    """Check a base URL before it is stored; return it with trailing slashes removed.

    Raises :class:`ValidationError` with ``fields={"baseUrl": [...]}``.
    """
    problem = _base_url_problem(url)
    if problem:
        raise ValidationError(f"Invalid base URL: {problem}", fields={"baseUrl": [problem]})
    return url.strip().rstrip("/")


def _base_url_problem(url: str) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return "Enter a URL such as https://api.example.com/v1."
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "The URL is malformed (check the port number)."
    if parts.scheme.lower() not in _ALLOWED_SCHEMES:
        return "Only http:// and https:// URLs are accepted."
    if parts.username is not None or parts.password is not None:
        return "Remove the user name and password from the URL; put the key in the API key field."
    if not parts.hostname:
        return "The URL has no host name."
    if parts.query or parts.fragment:
        return "Remove the query string and fragment from the URL."
    if _is_ip_literal(parts.hostname):
        # a literal address that is refused anyway (metadata, link-local) is refused now,
        # not only when Test or Discover runs; names are checked at connect time
        problem = address_problem(parts.hostname, allow_private=True)
        if problem:
            return f"{problem}; such addresses are never used as a provider's base URL."
    return None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def address_problem(address: str, *, allow_private: bool) -> str | None:
    """Why ``address`` (an IP literal) may not be connected to, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a unicast address"
    if not allow_private and (ip.is_loopback or ip.is_private or ip.is_reserved):
        return f"{ip} is a loopback or private-network address and private networks are disabled"
    return None


def check_address(address: str, *, allow_private: bool, host: str | None = None) -> None:
    """Refuse a connection to ``address``; ``host`` is the name the user entered.

    Raises :class:`ProviderError` (``error_kind="network"``).
    """
    problem = address_problem(address, allow_private=allow_private)
    if problem:
        shown = f"{host} resolves to {address}" if host and host != address else address
        raise ProviderError(
            f"The base URL points at {shown}, which is refused: {problem}. "
            "Use the provider's public address.",
            error_kind="network",
        )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves).

    Raises :class:`ProviderError` (``network``) when the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise ProviderError(
            f"The host name {host} could not be resolved (DNS). Check the base URL.",
            error_kind="network",
        ) from None
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str, port: int, *, allow_private: bool) -> None:
    """Resolve ``host`` and refuse it when any address it resolves to is refused."""
    for address in resolve(host, port):
        check_address(address, allow_private=allow_private, host=host)
