"""Pushing agents to the Talon gateway: the payload, the call, and the recorded outcome.

The decrypted provider key exists only inside :meth:`AgentSync._payload` and the gateway
request; it is never logged, stored or returned. Every outcome (``synced``, ``failed``
with the reason, ``disabled``) is stored on the agent as ``talonSyncStatus``,
``talonSyncError`` and ``talonSyncedAt``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from task_master_llm.config import TalonSettings
from task_master_llm.core.credentials import Credentials
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import AgentStore, ModelStore, ProviderStore, utcnow
from task_master_llm.talon import (
    DISABLED_MESSAGE,
    TALON_ID_PATTERN,
    SyncOutcome,
    TalonClient,
    build_payload,
)

log = logging.getLogger("task_master_llm.agents")


def talon_client(settings: TalonSettings) -> TalonClient:
    """The gateway client configured by ``TALON_GATEWAY_URL`` (disabled without one)."""
    return TalonClient(
        settings.url,
        settings.token,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.timeout,
    )


def talon_sync(doc: Mapping[str, Any]) -> dict[str, Any]:
    """An agent's stored sync state as the API returns it."""
    return {
        "status": doc.get("talonSyncStatus"),
        "error": doc.get("talonSyncError"),
        "syncedAt": doc.get("talonSyncedAt"),
    }


class AgentSync:
    """The gateway side of the agent service: payloads, calls, recorded outcomes."""

    def __init__(
        self,
        store: AgentStore,
        models: ModelStore,
        providers: ProviderStore,
        credentials: Credentials,
        client: TalonClient,
    ) -> None:
        self.store = store
        self.models = models
        self.providers = providers
        self.credentials = credentials
        self.client = client

    def push(self, doc: Mapping[str, Any], method: str) -> dict[str, Any]:
        """Call the gateway for ``doc`` and record the outcome on it."""
        if not self.client.enabled:
            outcome = SyncOutcome("disabled", DISABLED_MESSAGE)
        else:
            try:
                payload, problem = self._payload(doc, put=method != "POST")
                if problem is not None:
                    outcome = SyncOutcome("failed", problem)
                elif method == "POST":
                    outcome = self.client.create(payload)
                else:
                    outcome = self.client.update(payload)
            except Exception as exc:  # never let a sync bug lose the saved change
                log.error("sync of agent %s crashed: %s", doc.get("_id"), type(exc).__name__)
                outcome = SyncOutcome("failed", "The sync failed unexpectedly; see the server log.")
        return self.record(doc["_id"], outcome)

    def _payload(self, doc: Mapping[str, Any], *, put: bool) -> tuple[dict[str, Any], str | None]:
        """The gateway body; on PUT, absent optional values go as "" so old ones clear."""
        credentials: dict[str, str]
        if doc.get("modelId"):
            model = self.models.find(doc["modelId"])
            if model is None:
                return {}, ("The agent's model is no longer registered; choose another model "
                            "(PATCH modelId).")
            provider = self.providers.find(model["providerId"])
            if provider is None or provider.get("deleting"):
                return {}, (f"The provider of model {model['providerModelId']!r} was deleted; "
                            "choose another model for this agent.")
            try:
                adapter = self.credentials.adapter_for(provider)
            except LlmRegistryError as exc:  # e.g. a key that no longer decrypts
                return {}, exc.message
            credentials = adapter.talon_credentials(model["providerModelId"])
        elif isinstance(doc.get("model"), str) and doc["model"].strip():
            credentials = {"model": doc["model"].strip()}
        else:
            return {}, "The agent has no model; set modelId to a registered model."
        blank = "" if put else None
        payload = build_payload(
            talon_id=doc.get("talonId") or "",
            name=doc.get("name") or "",
            role=doc.get("role"),
            model=credentials["model"],
            api_key=credentials.get("apiKey") or blank,
            base_url=credentials.get("baseUrl") or blank,
            soul=doc.get("soul") if doc.get("soul") is not None else blank,
            guardrails=doc.get("guardrails") if doc.get("guardrails") is not None else blank,
        )
        return payload, None

    def record(self, agent_id: ObjectId, outcome: SyncOutcome) -> dict[str, Any]:
        """Store the outcome on the agent; returns its ``talonSync``."""
        values: dict[str, Any] = {
            "talonSyncStatus": outcome.status,
            "talonSyncError": outcome.error,
        }
        if outcome.status == "synced":
            values["talonSyncedAt"] = utcnow()
        new = self.store.update(agent_id, values)
        return talon_sync(new or values)

    def remove(self, doc: Mapping[str, Any]) -> SyncOutcome:
        """DELETE the agent at the gateway; 404 counts as done, a failure is logged."""
        talon_id = doc.get("talonId")
        if not self.client.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE)
        if not talon_id:
            return SyncOutcome("synced", None)  # never had a gateway id: nothing to remove
        if not isinstance(talon_id, str) or not TALON_ID_PATTERN.fullmatch(talon_id):
            return SyncOutcome("failed", "The agent's Talon id is not a valid gateway id.")
        try:
            outcome = self.client.delete(talon_id)
        except Exception as exc:
            log.error("gateway delete of %s crashed: %s", talon_id, type(exc).__name__)
            outcome = SyncOutcome("failed", "The gateway delete failed unexpectedly.")
        if outcome.status == "failed":
            log.warning("agent %s deleted here but not at the gateway: %s", talon_id,
                        outcome.error)
        return outcome
