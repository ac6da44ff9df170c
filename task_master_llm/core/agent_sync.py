"""Pushing agents to the Talon gateway: the payload, the call, and the recorded outcome.

The decrypted provider key exists only inside :meth:`AgentSync.payload` and the gateway
request; it is never logged, stored or returned. Every outcome (``synced``, ``failed``
with the reason, ``disabled``) is stored on the agent as ``talonSyncStatus``,
``talonSyncError`` and ``talonSyncedAt``, with ``talonSyncedVersion``: the provider's
``credentialsVersion`` the push carried. An agent whose recorded version is behind its
provider's is owed a push (see :mod:`task_master_llm.core.reconcile`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

from task_master_llm.config import TalonSettings
from task_master_llm.core.credentials import Credentials
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import AgentStore, ModelStore, ProviderStore, maybe_object_id, utcnow
from task_master_llm.talon import (
    DISABLED_MESSAGE,
    SyncOutcome,
    TalonClient,
    build_payload,
)

log = logging.getLogger("task_master_llm.agents")

#: agent fields passed through to the gateway as they are (JavaScript Task Master's)
PASS_THROUGH = (("bootstrap", "bootstrap"), ("repoContext", "repo_context"))


def talon_client(settings: TalonSettings) -> TalonClient:
    """The gateway client configured by ``TALON_GATEWAY_URL`` (disabled without one)."""
    return TalonClient(
        settings.url,
        settings.token,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.timeout,
        deadline=settings.deadline,
        max_response_bytes=settings.max_response_bytes,
        max_listing_bytes=settings.max_listing_bytes,
        reserved_ids=settings.reserved_ids,
    )


#: what a request that re-syncs agents may spend beyond the gateway timeout
DEADLINE_MARGIN = 0.5


def request_deadline(settings: TalonSettings) -> float:
    """The :func:`time.monotonic` instant by which a request's agent re-syncs stop: the
    gateway timeout (plus a margin) from now, however many agents it touches; what is not
    pushed by then stays owed for ``flask llm sync-agents``."""
    return time.monotonic() + settings.timeout + DEADLINE_MARGIN


def talon_sync(doc: Mapping[str, Any]) -> dict[str, Any]:
    """An agent's stored sync state as the API returns it."""
    return {
        "status": doc.get("talonSyncStatus"),
        "error": doc.get("talonSyncError"),
        "syncedAt": doc.get("talonSyncedAt"),
        "verified": doc.get("talonVerifyStatus"),
        "verifiedAt": doc.get("talonVerifiedAt"),
    }


@dataclass
class Lookup:
    """Models, providers and adapters fetched once for many payloads (a read-back of
    every agent), instead of two queries and a decryption per agent."""

    models: dict[Any, dict[str, Any]]
    providers: dict[Any, dict[str, Any]]
    adapters: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Payload:
    """The body for one agent, or why there is none; ``version`` is the provider's
    ``credentialsVersion`` the body carries (None: the agent is not bound to a model)."""

    body: dict[str, Any]
    problem: str | None = None
    version: int | None = None


class AgentSync:
    """The gateway side of the agent service: payloads, calls, recorded outcomes."""

    def __init__(
        self,
        store: AgentStore,
        models: ModelStore,
        providers: ProviderStore,
        credentials: Credentials,
        client: TalonClient,
        settings: TalonSettings,
    ) -> None:
        self.store = store
        self.models = models
        self.providers = providers
        self.credentials = credentials
        self.client = client
        self.settings = settings

    def push(self, doc: Mapping[str, Any], method: str) -> dict[str, Any]:
        """Call the gateway for ``doc`` and record the outcome on it."""
        outcome, version = self.call(doc, method)
        return self.record(doc["_id"], outcome, version)

    def call(
        self, doc: Mapping[str, Any], method: str, lookup: Lookup | None = None
    ) -> tuple[SyncOutcome, int | None]:
        """Call the gateway for ``doc`` (nothing is recorded); returns the outcome and the
        provider's ``credentialsVersion`` the body carried."""
        if not self.client.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE), None
        try:
            payload = self.payload(doc, put=method != "POST", lookup=lookup)
            if payload.problem is not None:
                return SyncOutcome("failed", payload.problem), payload.version
            if method == "POST":
                return self.client.create(payload.body), payload.version
            return self.client.update(payload.body), payload.version
        except Exception as exc:  # never let a sync bug lose the saved change
            log.error("sync of agent %s crashed: %s", doc.get("_id"), type(exc).__name__)
            return SyncOutcome("failed", "The sync failed unexpectedly; see the server log."), None

    def lookup(self, docs: list[dict[str, Any]]) -> Lookup:
        """Fetch what :meth:`payload` needs for all of ``docs`` in two queries."""
        raw = [d["modelId"] for d in docs if d.get("modelId")]
        for doc in docs:
            ids = doc.get("fallbackModelIds")
            raw += ids if isinstance(ids, list) else []
        # a host may store an id as its text: read it as find() would
        wanted = [oid for oid in map(maybe_object_id, raw) if oid is not None]
        models = self.models.by_ids(wanted)
        models.update({value: models[oid] for value in raw
                       if (oid := maybe_object_id(value)) in models and value != oid})
        providers = self.providers.by_ids([m["providerId"] for m in models.values()])
        return Lookup(models, providers)

    def payload(
        self, doc: Mapping[str, Any], *, put: bool, lookup: Lookup | None = None
    ) -> Payload:
        """The gateway body. Always the whole body (the gateway validates it whole); on
        PUT, absent optional values go as "" so old ones clear (the gateway merges)."""
        blank = "" if put else None
        credentials: dict[str, str]
        version: int | None = None
        if lookup is None:
            lookup = self.lookup([dict(doc)])
        if doc.get("modelId"):
            model = lookup.models.get(doc["modelId"])
            if model is None:
                return Payload({}, "The agent's model is no longer registered; choose another "
                               "model (PATCH modelId).")
            provider = lookup.providers.get(model["providerId"])
            if provider is None or provider.get("deleting"):
                return Payload({}, f"The provider of model {model['providerModelId']!r} was "
                               "deleted; choose another model for this agent.")
            try:
                if provider["_id"] not in lookup.adapters:  # one decryption per provider
                    lookup.adapters[provider["_id"]] = self.credentials.adapter_for(provider)
                adapter = lookup.adapters[provider["_id"]]
            except LlmRegistryError as exc:  # e.g. a key that no longer decrypts
                return Payload({}, exc.message)
            credentials = adapter.talon_credentials(model["providerModelId"])
            prefix = self.settings.model_prefix(provider["providerType"])
            credentials["model"] = f"{prefix}/{model['providerModelId']}"
            version = int(provider.get("credentialsVersion") or 0)
        elif legacy := _legacy_model(doc):
            credentials = {"model": legacy}
        else:
            return Payload({}, "The agent has no model; set modelId to a registered model.")
        if not self.settings.keys_in_body:
            credentials = {"model": credentials["model"]}  # the credential store has them
        fallbacks = self._fallbacks(doc, lookup)
        extra = {
            arg: doc[name] if isinstance(doc.get(name), str) else blank
            for name, arg in PASS_THROUGH
        }
        body = build_payload(
            talon_id=doc.get("talonId") or "",
            name=doc.get("name") or "",
            role=doc.get("role"),
            model=credentials["model"],
            api_key=credentials.get("apiKey") or blank,
            base_url=credentials.get("baseUrl") or blank,
            soul=doc.get("soul") if doc.get("soul") is not None else blank,
            guardrails=doc.get("guardrails") if doc.get("guardrails") is not None else blank,
            fallbacks=fallbacks or None,
            **extra,
        )
        return Payload(body, None, version)

    def _fallbacks(self, doc: Mapping[str, Any], lookup: Lookup) -> list[str]:
        """The fallback model strings: the registered ``fallbackModelIds`` that are still
        usable, else the JavaScript Task Master's ``fallbackModel``."""
        ids = doc.get("fallbackModelIds")
        if isinstance(ids, list) and ids:
            out = []
            for model_id in ids:
                model = lookup.models.get(model_id)
                if model is None or not model.get("enabled") or model.get("deleting"):
                    continue
                provider = lookup.providers.get(model["providerId"])
                if provider is None or provider.get("deleting"):
                    continue
                prefix = self.settings.model_prefix(provider["providerType"])
                out.append(f"{prefix}/{model['providerModelId']}")
            return out
        legacy = doc.get("fallbackModel")
        return [legacy.strip()] if isinstance(legacy, str) and legacy.strip() else []

    def record(
        self, agent_id: ObjectId, outcome: SyncOutcome, version: int | None = None
    ) -> dict[str, Any]:
        """Store the outcome on the agent; returns its ``talonSync``."""
        new = self.store.update(agent_id, _outcome_fields(outcome, version))
        return talon_sync(new or _outcome_fields(outcome, version))

    def record_many(
        self, results: list[tuple[Mapping[str, Any], SyncOutcome, int | None]]
    ) -> list[dict[str, Any]]:
        """Store several outcomes in one bulk write; returns each agent's ``talonSync``
        (its document as read before the push, with the outcome applied)."""
        states = []
        operations = []
        for doc, outcome, version in results:
            values = _outcome_fields(outcome, version)
            operations.append(UpdateOne({"_id": doc["_id"]}, {"$set": values}))
            states.append(talon_sync({**doc, **values}))
        self.store.bulk_write(operations)
        return states

    def remove(self, talon_id: Any) -> SyncOutcome:
        """DELETE the agent at the gateway; 404 counts as done, a failure is logged."""
        if not self.client.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE)
        if not talon_id:
            return SyncOutcome("synced", None)  # never had a gateway id: nothing to remove
        try:
            outcome = self.client.delete(talon_id)
        except Exception as exc:
            log.error("gateway delete crashed: %s", type(exc).__name__)
            outcome = SyncOutcome("failed", "The gateway delete failed unexpectedly.")
        if outcome.status == "failed":
            log.warning("an agent was deleted here but not yet at the gateway: %s",
                        outcome.error)
        return outcome


def _outcome_fields(outcome: SyncOutcome, version: int | None) -> dict[str, Any]:
    """The agent fields that record a push's outcome."""
    values: dict[str, Any] = {"talonSyncStatus": outcome.status, "talonSyncError": outcome.error}
    if outcome.status == "synced":
        values["talonSyncedAt"] = utcnow()
        values["talonSyncedVersion"] = version
    return values


def _legacy_model(doc: Mapping[str, Any]) -> str | None:
    """The model string of an agent not bound to the registry: ``model``, else the
    JavaScript Task Master's ``defaultModel``."""
    for name in ("model", "defaultModel"):
        value = doc.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


__all__ = ["AgentSync", "Lookup", "Payload", "request_deadline", "talon_client", "talon_sync"]
