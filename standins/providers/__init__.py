"""Local provider servers that speak contracts/providers.md, for tests, benchmarks and demos.

Every server listens on 127.0.0.1 (a free port unless given one), runs in a daemon thread,
and stops by itself when used as a context manager::

    with GoogleServer(model_count=1200) as google:
        adapter_base_url = google.base_url      # what an admin types as baseUrl
        ...
    with OllamaServer(model_count=300, latency=0.05) as ollama:
        ...

All servers share the knobs of :class:`FakeServer` (``valid_keys``, ``latency``,
``fail_next``, ``mode``, ``slow_seconds``, ``requests``); each adds its own (see the class).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from standins.providers._base import (
    MODES,
    FakeServer,
    RecordedRequest,
    Reply,
    Request,
)
from standins.providers.anthropic import ANTHROPIC_DEMO_KEY, AnthropicServer
from standins.providers.azure import (
    AZURE_DEMO_DEPLOYMENT,
    AZURE_DEMO_KEY,
    AzureServer,
)
from standins.providers.google import GOOGLE_DEMO_KEY, GoogleServer
from standins.providers.ollama import OLLAMA_DEMO_KEY, OllamaServer
from standins.providers.openai import (
    OPENAI_COMPATIBLE_DEMO_KEY,
    OPENAI_DEMO_KEY,
    OPENAI_RESTRICTED_KEY,
    OpenAICompatibleServer,
    OpenAIServer,
)

#: providerType -> server class
SERVER_CLASSES: dict[str, type[FakeServer]] = {
    cls.provider_type: cls
    for cls in (
        GoogleServer, OpenAIServer, OpenAICompatibleServer, AnthropicServer, AzureServer,
        OllamaServer,
    )
}

#: providerType -> the key its server accepts by default
DEMO_KEYS: dict[str, str] = {name: cls.DEMO_KEY for name, cls in SERVER_CLASSES.items()}


class DemoProviders:
    """One server per provider type, started together (a context manager).

    ``ports`` maps a providerType to a fixed port (others get free ports). After
    ``start()``, ``servers`` maps each providerType to its running server.
    """

    def __init__(self, ports: Mapping[str, int] | None = None) -> None:
        ports = dict(ports or {})
        unknown = set(ports) - set(SERVER_CLASSES)
        if unknown:
            raise ValueError(
                f"unknown provider types {sorted(unknown)}; known: {sorted(SERVER_CLASSES)}"
            )
        self.servers: dict[str, FakeServer] = {
            name: cls(port=ports.get(name, 0)) for name, cls in SERVER_CLASSES.items()
        }

    def start(self) -> dict[str, FakeServer]:
        """Start every server; on a failure, stop the ones already started."""
        try:
            for server in self.servers.values():
                server.start()
        except BaseException:
            self.stop()
            raise
        return dict(self.servers)

    def stop(self) -> None:
        """Stop every server."""
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> dict[str, FakeServer]:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_demo_servers(ports: Mapping[str, int] | None = None) -> dict[str, FakeServer]:
    """Start one server of each type and return ``{providerType: server}``.

    The caller stops them (``server.stop()`` each); prefer ``with DemoProviders() as s:``.
    """
    return DemoProviders(ports).start()


__all__ = [
    "ANTHROPIC_DEMO_KEY",
    "AZURE_DEMO_DEPLOYMENT",
    "AZURE_DEMO_KEY",
    "DEMO_KEYS",
    "GOOGLE_DEMO_KEY",
    "MODES",
    "OLLAMA_DEMO_KEY",
    "OPENAI_COMPATIBLE_DEMO_KEY",
    "OPENAI_DEMO_KEY",
    "OPENAI_RESTRICTED_KEY",
    "SERVER_CLASSES",
    "AnthropicServer",
    "AzureServer",
    "DemoProviders",
    "FakeServer",
    "GoogleServer",
    "OllamaServer",
    "OpenAICompatibleServer",
    "OpenAIServer",
    "RecordedRequest",
    "Reply",
    "Request",
    "start_demo_servers",
]
