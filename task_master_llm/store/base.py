"""Small helpers shared by the stores."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from task_master_llm.errors import NotFound


def utcnow() -> datetime:
    """Now in UTC, truncated to milliseconds (what BSON dates hold)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def parse_object_id(value: Any, what: str = "record") -> ObjectId:
    """Turn a URL or body id into an ObjectId; a malformed id is a 404, never a 500."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        raise NotFound(f"No {what} with id {str(value)[:64]!r}.") from None


def maybe_object_id(value: Any) -> ObjectId | None:
    """Like :func:`parse_object_id` but returns None for a malformed id."""
    try:
        return parse_object_id(value)
    except NotFound:
        return None
