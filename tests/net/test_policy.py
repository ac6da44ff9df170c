"""Base-URL policy: what may be stored, and which addresses may be connected to."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
from collections.abc import Iterator

import pytest
import urllib3.util.connection
from flask.testing import FlaskClient

from task_master_llm.adapters import HttpSettings, ProviderConfig, create_adapter
from task_master_llm.errors import ProviderError, ValidationError
from task_master_llm.net import policy as netpolicy


@pytest.mark.parametrize("url", [
    "https://api.openai.com/v1", "http://localhost:11434/", "http://10.0.0.5:8000/v1",
    "https://[2001:db8::1]/v1"])
def test_valid_base_urls(url: str) -> None:
    assert netpolicy.validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://example.com", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("https://user:s3cr3t@example.com/v1", "user name and password"),
    ("https://sk-secret@example.com/v1", "user name and password"),
    ("https:///v1", "no host"),
    ("", "Enter a URL"),
    ("https://example.com:99999", "malformed"),
    ("https://example.com/v1?key=x", "query string"),
])
def test_invalid_base_urls(url: str, says: str) -> None:
    with pytest.raises(ValidationError) as info:
        netpolicy.validate_base_url(url)
    (message,) = info.value.fields["baseUrl"]
    assert says in message
    if "@" in url:
        assert "s3cr3t" not in info.value.message and "sk-secret" not in info.value.message


@pytest.mark.parametrize("address", [
    "169.254.169.254", "169.254.0.1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0",
    "::ffff:169.254.169.254", "0.0.0.0"])
@pytest.mark.parametrize("allow_private", [True, False])
def test_always_refused(address: str, allow_private: bool) -> None:
    with pytest.raises(ProviderError) as info:
        netpolicy.check_address(address, allow_private=allow_private)
    assert info.value.error_kind == "network" and "refused" in info.value.message


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.10",
                                     "172.16.0.1", "fd12:3456::1", "100.64.0.1",
                                     "100.127.255.254"])
def test_private_ranges_follow_the_setting(address: str) -> None:
    netpolicy.check_address(address, allow_private=True)
    with pytest.raises(ProviderError, match="private networks are disabled"):
        netpolicy.check_address(address, allow_private=False)


def test_public_address_allowed() -> None:
    netpolicy.check_address("93.184.216.34", allow_private=False)


def test_metadata_base_url_is_refused_before_connecting() -> None:
    config = ProviderConfig("openai_compatible", base_url="http://169.254.169.254/latest")
    result = create_adapter(config).test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
    assert "169.254.169.254" in result.message and "metadata" in result.message


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"version": "0.12.3"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_allowed_by_default(local_server: str) -> None:
    result = create_adapter(ProviderConfig("ollama", base_url=local_server)).test_connection()
    assert result.status == "valid"


def test_loopback_refused_when_private_networks_disabled(local_server: str) -> None:
    adapter = create_adapter(ProviderConfig("ollama", base_url=local_server),
                             HttpSettings(allow_private_networks=False))
    result = adapter.test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
    assert "127.0.0.1" in result.message


def test_peer_address_is_checked_at_connect_time(local_server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that resolved to a public address at check time but connects to a private
    one (DNS rebinding) is refused by the socket-level check."""
    monkeypatch.setattr(netpolicy, "resolve", lambda host, port: ["93.184.216.34"])
    adapter = create_adapter(ProviderConfig("ollama", base_url=local_server),
                             HttpSettings(allow_private_networks=False))
    result = adapter.test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
    assert "127.0.0.1" in result.message and "private" in result.message


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/v1", "http://[fd00:ec2::254]/", "http://169.254.1.1:8080",
     "http://[fe80::1]:11434", "http://0.0.0.0:11434"],
)
def test_refused_literal_addresses_fail_at_save_time(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        netpolicy.validate_base_url(url)
    assert "baseUrl" in info.value.fields


@pytest.mark.parametrize("url", ["http://127.0.0.1:11434", "http://10.0.0.5/v1",
                                 "https://api.openai.com/v1"])
def test_usable_addresses_pass_at_save_time(url: str) -> None:
    assert netpolicy.validate_base_url(url) == url


# --- IPv4 inside IPv6, and carrier-grade NAT (issue 10, item 9) -------------------------
#: the metadata address in every IPv6 spelling that carries an IPv4 address
METADATA_SPELLINGS = [
    "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
    "64:ff9b::169.254.169.254",
    "64:ff9b:1::a9fe:a9fe",  # NAT64, local-use prefix, /96 layout
    "64:ff9b:1:a9fe:a9:fe00::",  # ... /48 layout (RFC 6052: the u octet skipped)
    "2002:a9fe:a9fe::1",  # 6to4
    "::169.254.169.254",  # IPv4-compatible
    "::a9fe:a9fe",
    "::ffff:169.254.169.254",  # IPv4-mapped
]
#: private and loopback addresses, spelled the same ways
PRIVATE_SPELLINGS = [
    "64:ff9b::a00:1", "64:ff9b::127.0.0.1", "64:ff9b::100.64.0.1", "2002:c0a8:101::1",
    "2002:7f00:1::1", "::10.0.0.1", "::ffff:192.168.1.1", "::ffff:100.64.0.1",
    "64:ff9b:1::808:808",  # a local-use translator is on the local network
]


@pytest.mark.parametrize("address", METADATA_SPELLINGS + [
    "64:ff9b::a9fe:1", "2002:a9fe:1::", "::169.254.0.1"])  # link-local, spelled likewise
@pytest.mark.parametrize("allow_private", [True, False])
def test_embedded_metadata_and_link_local_are_always_refused(address: str,
                                                             allow_private: bool) -> None:
    with pytest.raises(ProviderError) as info:
        netpolicy.check_address(address, allow_private=allow_private)
    assert info.value.error_kind == "network" and "refused" in info.value.message
    assert "169.254." in info.value.message  # names the address it carries


@pytest.mark.parametrize("address", METADATA_SPELLINGS)
def test_embedded_metadata_is_refused_at_save_time(address: str) -> None:
    with pytest.raises(ValidationError) as info:
        netpolicy.validate_base_url(f"http://[{address}]/v1")
    (message,) = info.value.fields["baseUrl"]
    assert "169.254.169.254 is a cloud metadata address" in message


@pytest.mark.parametrize("address", PRIVATE_SPELLINGS)
def test_embedded_private_addresses_follow_the_setting(address: str) -> None:
    netpolicy.check_address(address, allow_private=True)
    netpolicy.validate_base_url(f"http://[{address}]:8000/v1")  # refused when connecting
    with pytest.raises(ProviderError, match="private networks are disabled"):
        netpolicy.check_address(address, allow_private=False)


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "64:ff9b::8.8.8.8", "2002:808:808::1",
                                     "::ffff:93.184.216.34", "2606:4700::1111"])
def test_public_addresses_in_ipv6_spellings_are_allowed(address: str) -> None:
    """A DNS64 network answers with 64:ff9b:: addresses for IPv4-only hosts: those of a
    public address stay usable with private networks off."""
    netpolicy.check_address(address, allow_private=False)
    assert netpolicy.validate_base_url(f"https://[{address}]/v1")


def test_embedded_ipv4_decoding() -> None:
    def carried(address: str) -> str | None:
        inner = netpolicy.embedded_ipv4(ipaddress.IPv6Address(address))
        return None if inner is None else str(inner)

    assert carried("64:ff9b::c000:221") == "192.0.2.33"
    assert carried("2002:c000:221::1") == "192.0.2.33"
    assert carried("::c000:221") == "192.0.2.33"
    assert carried("::ffff:c000:221") == "192.0.2.33"
    assert carried("::1") is None and carried("::") is None and carried("2001:db8::1") is None


def test_cgnat_gets_no_connect_attempt_when_private_networks_are_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connect)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", no_connect)
    adapter = create_adapter(ProviderConfig("ollama", base_url="http://100.64.0.1:11434"),
                             HttpSettings(allow_private_networks=False))
    result = adapter.test_connection()
    assert (result.status, result.error_kind) == ("invalid", "network")
    assert "100.64.0.1" in result.message and "private networks are disabled" in result.message


@pytest.mark.parametrize("base_url", ["http://[64:ff9b::a9fe:a9fe]/v1",
                                      "http://[2002:a9fe:a9fe::1]:8080",
                                      "http://[::169.254.169.254]/"])
def test_the_api_refuses_embedded_metadata_base_urls(admin: FlaskClient, base_url: str) -> None:
    res = admin.post("/api/llm/providers", json={
        "name": "sneaky", "providerType": "openai_compatible", "baseUrl": base_url})
    assert res.status_code == 400, res.json
    assert "baseUrl" in res.json["error"]["fields"]
    assert "metadata" in " ".join(res.json["error"]["fields"]["baseUrl"])
    assert admin.get("/api/llm/providers").json["data"] == []
