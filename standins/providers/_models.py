"""The base of the fake provider servers that serve a list of models."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from standins.providers._base import FakeServer


class ModelServer(FakeServer):
    """A provider server with a list of models that tests may replace while it runs."""

    def __init__(self, **knobs: Any) -> None:
        super().__init__(**knobs)
        self._models_lock = threading.Lock()
        self._models: list[dict[str, Any]] = []

    @property
    def models(self) -> list[dict[str, Any]]:
        """The models served (a copy; assign to replace)."""
        with self._models_lock:
            return list(self._models)

    @models.setter
    def models(self, models: Iterable[dict[str, Any]]) -> None:
        with self._models_lock:
            self._models = list(models)


def now_rfc3339(offset_days: int = 0) -> str:
    """An RFC 3339 UTC timestamp ``offset_days`` before now (for generated models)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - offset_days * 86400))
