"""The values a fake server passes around: the parsed request, the reply, the log entry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. Secret header values read ``"[redacted]"``."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = None
    raw_body: bytes = field(default=b"", repr=False)

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name (``None`` when absent)."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    """What a route answers: a status, a JSON-able body (or raw bytes) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Request:
    """The parsed request handed to :meth:`FakeServer.route` (with real header values)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    raw_body: bytes

    def arg(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body parsed as JSON; ``None`` if empty; raises ``ValueError`` if invalid."""
        if not self.raw_body:
            return None
        return json.loads(self.raw_body.decode("utf-8"))

    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header."""
        value = self.headers.get("Authorization") or ""
        if value[:7].lower() == "bearer ":
            return value[7:].strip()
        return None
