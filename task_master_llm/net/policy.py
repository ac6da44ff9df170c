"""Base-URL policy: which URLs a provider record may hold and which addresses we connect to.

Two checks, at two moments:

* :func:`validate_base_url` when a record is saved: http(s) only, a host, no
  ``user:password@`` (credentials belong in the encrypted key field, not in a URL that
  ends up in logs).
* :func:`check_address` when connecting, on every address the name resolves to and again
  on the socket's peer address (see :mod:`task_master_llm.net.transport`), so a DNS answer
  that changes between the check and the connect cannot reach a refused address.

Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata endpoints are
always refused. Loopback and private ranges (carrier-grade NAT's 100.64.0.0/10 included)
are allowed by default (Ollama runs locally) and refused when the host app sets
``allow_private_networks`` to False.

An IPv6 address that carries an IPv4 address is judged by that IPv4 address, so the same
refused address cannot come back in another spelling: IPv4-mapped (``::ffff:a.b.c.d``),
IPv4-compatible (``::a.b.c.d``), 6to4 (``2002:AABB:CCDD::/48``) and NAT64 (the well-known
``64:ff9b::/96``; the local-use ``64:ff9b:1::/48``, whose translator is on the local
network, counts as private and is decoded at every RFC 6052 position).
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

#: Shared address space (RFC 6598): a carrier's or a cloud's internal network.
CGNAT_NETWORK = ipaddress.ip_network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
#: RFC 6052 prefix lengths a local-use NAT64 prefix (at least a /48) may have, and where
#: the IPv4 address then sits: bit offsets from the left of its two parts (bits 64-71,
#: the "u" octet, are never used).
_NAT64_LAYOUTS = {48: ((48, 16), (72, 16)), 56: ((56, 8), (72, 24)), 64: ((72, 32),),
                  96: ((96, 32),)}

_ALLOWED_SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
    """Why ``address`` (an IP literal) may not be connected to, or None when it may.

    An IPv6 address that embeds an IPv4 address (mapped, compatible, 6to4, NAT64) is
    judged by the IPv4 address it carries.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv4Address):
        return _problem(ip, allow_private=allow_private)
    if ip in _NAT64_LOCAL_USE:
        for carried in _local_nat64(ip):  # any layout's metadata or link-local address
            problem = _never_allowed(carried)
            if problem:
                return f"{problem} (inside the IPv6 address {ip})"
        if not allow_private:
            return (f"{ip} is a local-use NAT64 address (a translator on the local network) "
                    "and private networks are disabled")
        return None
    inner = embedded_ipv4(ip)
    if inner is None:
        return _problem(ip, allow_private=allow_private)
    problem = _problem(inner, allow_private=allow_private)
    return f"{problem} (inside the IPv6 address {ip})" if problem else None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, NAT64 well-known prefix,
    6to4 or IPv4-compatible (not ``::`` or ``::1``); None for any other address. The
    local-use NAT64 prefix, whose layout varies, is decoded by :func:`address_problem`."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def _local_nat64(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address a local-use NAT64 address may carry (one per RFC 6052 layout)."""
    value = int(ip)
    out = []
    for parts in _NAT64_LAYOUTS.values():
        bits = 0
        for offset, width in parts:
            bits = (bits << width) | (value >> (128 - offset - width)) & ((1 << width) - 1)
        out.append(ipaddress.IPv4Address(bits))
    return out


def _never_allowed(ip: IPAddress) -> str | None:
    """Metadata and link-local addresses, refused whatever the configuration."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    return None


def _problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """The policy itself, on an address that carries no other address."""
    problem = _never_allowed(ip)
    if problem:
        return problem
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a unicast address"
    if not allow_private and (ip.is_loopback or ip.is_private or ip.is_reserved
                              or ip in CGNAT_NETWORK):
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
