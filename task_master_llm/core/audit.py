"""The audit log: one small recorder the services call after each action they audit.

``audit.record("provider.deleted", provider_target(doc), details={...})`` stores who (the
actor callable given at build time: the web layer hands in the logged-in user's id, the
commands "cli:<os user>", anything else is "system"), what, which record, when, and the
outcome. Key events carry a fingerprint: HMAC-SHA256 of the key under a key derived from
the master key with HKDF, 16 hex characters; never the key, never its last four.

Recording never blocks or fails the action it records: each write is bounded by
``pymongo.timeout`` (``TASK_MASTER_LLM_AUDIT_TIMEOUT``), and any failure (database down or
slow, the collection refusing the document, a bug here) is caught, logged at WARNING with
the action and target only, and counted in :attr:`AuditLog.failures`. The action's own
result is unaffected.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pymongo
from bson import ObjectId
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import storable, utcnow
from task_master_llm.store.audit import AuditStore

log = logging.getLogger("task_master_llm.audit")

#: returns who is acting, as the host knows them (a user id, "cli:<user>", "system")
Actor = Callable[[], str]
Outcome = Literal["ok", "failed"]

#: every action the registry records (a typo is refused, not silently stored)
ACTIONS = frozenset({
    "provider.created", "provider.updated", "provider.key_set", "provider.key_replaced",
    "provider.key_cleared", "provider.tested", "provider.deleted",
    "gateway_credential.pushed", "gateway_credential.removed",
    "key_rotation.run",
    "model.registered", "model.updated", "model.enabled", "model.disabled", "model.deleted",
    "agent.created", "agent.updated", "agent.deleted", "agent.synced", "agent_sync.run",
})
#: the target types events name
TARGET_TYPES = frozenset({"provider", "model", "agent", "gateway_credential", "registry"})

_FINGERPRINT_INFO = b"task_master_llm audit fingerprint v1"
FINGERPRINT_CHARS = 16
_MESSAGE_CHARS = 300


def system_actor() -> str:
    """The actor of work nobody asked for in person."""
    return "system"


@dataclass(frozen=True)
class Target:
    """What an event is about: its type, id (as text) and name (as it was then)."""

    type: str
    id: str
    name: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The stored ``target`` field."""
        return {"type": self.type, "id": self.id, "name": self.name}


def _target(kind: str, doc: Mapping[str, Any], name_field: str = "name") -> Target:
    name = doc.get(name_field)
    return Target(kind, str(doc.get("_id")), name if isinstance(name, str) else None)


def provider_target(doc: Mapping[str, Any]) -> Target:
    """A provider document as a target."""
    return _target("provider", doc)


def model_target(doc: Mapping[str, Any]) -> Target:
    """A model document as a target (named by its provider's model id)."""
    return _target("model", doc, "providerModelId")


def agent_target(doc: Mapping[str, Any]) -> Target:
    """An agent document as a target."""
    return _target("agent", doc)


def failure(exc: BaseException) -> dict[str, str]:
    """An error as an event stores it: the registry's own errors by code and message (which
    never hold key material), anything else by its type alone (its text might)."""
    if isinstance(exc, LlmRegistryError):
        return {"kind": exc.code, "message": exc.message[:_MESSAGE_CHARS]}
    return {"kind": type(exc).__name__, "message": "Unexpected error (see the server log)."}


def problem(kind: str | None, message: str | None) -> dict[str, str]:
    """An error kind and a short message (already free of secrets) as an event stores them."""
    return {"kind": kind or "error", "message": (message or "")[:_MESSAGE_CHARS]}


def fingerprint_key(master_key: bytes) -> bytes:
    """The key fingerprints are made with: HKDF-SHA256 of the master key, its own label."""
    derived = HKDF(master_key, 32, b"", SHA256, context=_FINGERPRINT_INFO)
    assert isinstance(derived, bytes)
    return derived


class AuditLog:
    """Records audit events and reads them back, one page at a time."""

    def __init__(
        self,
        store: AuditStore | None,
        actor: Actor = system_actor,
        key: bytes | None = None,
        *,
        timeout: float = 2.0,
    ) -> None:
        self.store = store
        self.actor = actor
        self._key = key
        self.timeout = timeout
        #: events that could not be written since start
        self.failures = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditLog(failures={self.failures})"

    # --- writing ------------------------------------------------------------------------
    def fingerprint(self, api_key: str | None) -> str | None:
        """A keyed hash identifying ``api_key`` (same key, same fingerprint, under one
        master key), or None without a key."""
        if not api_key or self._key is None:
            return None
        digest = hmac.new(self._key, api_key.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:FINGERPRINT_CHARS]

    def record(
        self,
        action: str,
        target: Target,
        *,
        related: Iterable[Target] = (),
        outcome: Outcome = "ok",
        error: Mapping[str, str] | None = None,
        fingerprint: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Store one event about ``target``, and about the ``related`` records the action
        touched too (a registration's models): the event is found by any of their ids.
        Never raises: see the module docstring."""
        self._write(action, [target, *related], outcome=outcome, error=error,
                    fingerprint=fingerprint, details=details)

    def _write(
        self,
        action: str,
        targets: list[Target],
        *,
        outcome: Outcome,
        error: Mapping[str, str] | None,
        fingerprint: str | None,
        details: Mapping[str, Any] | None,
    ) -> None:
        """Insert the event: ``target`` is the first of ``targets``, ``targets`` all of
        them (what the target filters read)."""
        if self.store is None:
            return
        try:
            if action not in ACTIONS:
                raise ValueError(f"unknown audit action {action!r}")
            stored = [t.to_document() for t in targets]
            doc = {
                "_id": ObjectId(),
                "at": utcnow(),
                "actor": self._who(),
                "action": action,
                "target": stored[0],
                "targets": stored,
                "outcome": outcome,
                "error": dict(error) if error else None,
                "fingerprint": fingerprint,
                "details": storable(dict(details or {})),
            }
            with pymongo.timeout(self.timeout):
                self.store.insert(doc)
        except Exception as exc:  # noqa: BLE001 - an audit write never fails the action
            with self._lock:
                self.failures += 1
            log.warning(
                "audit event not written (%s): action=%s target=%s:%s (+%d related); "
                "%d audit write(s) failed since start",
                type(exc).__name__, action, targets[0].type, targets[0].id, len(targets) - 1,
                self.failures,
            )

    def _who(self) -> str:
        try:
            who = self.actor()
        except Exception:  # noqa: BLE001 - an actor hook that fails still leaves an event
            return "unknown"
        return str(who)[:200] if who else "unknown"

    # --- reading ------------------------------------------------------------------------
    def page(
        self,
        *,
        target_id: str | None = None,
        target_type: str | None = None,
        action: str | None = None,
        limit: int = 50,
        offset: int = 0,
        count: bool = False,
    ) -> dict[str, Any]:
        """One page of events, newest first (one query; a second counts every match for
        ``total`` when ``count`` asks, else ``total`` is None unless the page reaches
        the end)."""
        if self.store is None:
            return {"items": [], "hasMore": False, "total": 0, "limit": limit,
                    "offset": offset}
        query: dict[str, Any] = {}
        if target_id:  # the event's target or a related record (``targets`` holds both)
            query["targets.id"] = target_id
        if target_type:
            query["targets.type"] = target_type
        if action:
            # "provider" matches every provider.* action; "provider.deleted" only itself
            query["action"] = action if "." in action else {"$in": sorted(
                a for a in ACTIONS if a.split(".")[0] == action)}
        docs, more, total = self.store.page(query, offset=offset, limit=limit, count=count)
        return {"items": docs, "hasMore": more, "total": total, "limit": limit,
                "offset": offset}


#: the recorder of services built without one: records nothing
NO_AUDIT = AuditLog(None)


__all__ = [
    "ACTIONS",
    "NO_AUDIT",
    "TARGET_TYPES",
    "Actor",
    "AuditLog",
    "Target",
    "agent_target",
    "failure",
    "fingerprint_key",
    "model_target",
    "problem",
    "provider_target",
    "system_actor",
]
