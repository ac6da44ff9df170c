"""Local stand-ins for the outside world, for tests, benchmarks and the demo app.

- :mod:`standins.providers`: one HTTP server per provider type
  (``GoogleServer``, ``OpenAIServer``, ``OpenAICompatibleServer``, ``AnthropicServer``,
  ``AzureServer``, ``OllamaServer``) and ``DemoProviders`` / ``start_demo_servers()``.
- :mod:`standins.talon`: ``TalonServer``, a local Talon gateway.

Everything here is stdlib only, listens on 127.0.0.1 and runs in daemon threads; nothing
here is imported by the production code paths.
"""

from standins.providers import (
    DEMO_KEYS,
    SERVER_CLASSES,
    AnthropicServer,
    AzureServer,
    DemoProviders,
    FakeServer,
    GoogleServer,
    OllamaServer,
    OpenAICompatibleServer,
    OpenAIServer,
    start_demo_servers,
)
from standins.talon import TALON_DEMO_TOKEN, TalonServer

__all__ = [
    "DEMO_KEYS",
    "SERVER_CLASSES",
    "TALON_DEMO_TOKEN",
    "AnthropicServer",
    "AzureServer",
    "DemoProviders",
    "FakeServer",
    "GoogleServer",
    "OllamaServer",
    "OpenAICompatibleServer",
    "OpenAIServer",
    "TalonServer",
    "start_demo_servers",
]
