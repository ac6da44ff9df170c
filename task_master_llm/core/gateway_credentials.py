"""The gateway's credential store: which provider's key its runtime uses for each type.

The real Talon gateway never reads an agent body's ``apiKey`` at run time: it uses its own
store, one credential per gateway provider type (google, openai, anthropic, ollama), set
with ``POST /v1/auth/exchange`` and removed with ``POST /v1/auth/remove``. So for each type
at most one provider is the gateway's (``gatewayCredential: true``, a unique partial index):
the first provider of a type takes it, an admin can move it, and its key reaches the store
whenever it changes. ``gatewayCredentialVersion`` records the ``credentialsVersion`` the
store holds; a holder whose recorded version is behind is owed a push, across crashes and
outages, until one succeeds. Azure and OpenAI-compatible providers have no place in the
store (their adapters say ``gateway_credential = None``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from task_master_llm.adapters import adapter_types
from task_master_llm.config import TalonSettings
from task_master_llm.core.audit import NO_AUDIT, AuditLog, Target, problem
from task_master_llm.core.credentials import Credentials
from task_master_llm.errors import LlmRegistryError
from task_master_llm.store import ProviderStore
from task_master_llm.store.tombstones import TombstoneStore
from task_master_llm.talon import DISABLED_MESSAGE, SyncOutcome, TalonClient

log = logging.getLogger("task_master_llm.gateway")

OFF_MESSAGE = "TALON_CREDENTIALS=agent: the gateway's credential store is not used"


def store_type(provider_type: str) -> str | None:
    """The gateway credential-store provider of a registry provider type (None: none)."""
    cls = adapter_types().get(provider_type)
    return None if cls is None else cls.gateway_credential


class GatewayCredentials:
    """Keeps the gateway's credential store on the registry's providers."""

    audit: AuditLog = NO_AUDIT

    def __init__(
        self,
        providers: ProviderStore,
        tombstones: TombstoneStore,
        credentials: Credentials,
        client: TalonClient,
        settings: TalonSettings,
    ) -> None:
        self.providers = providers
        self.tombstones = tombstones
        self.credentials = credentials
        self.client = client
        self.settings = settings

    # --- which provider is the gateway's ------------------------------------------------
    def adopt(self, doc: Mapping[str, Any]) -> SyncOutcome | None:
        """A new provider: it becomes its type's gateway credential if no other is, and
        its key is pushed. None when the store has no place for the type."""
        kind = store_type(doc["providerType"])
        if kind is None:
            return None
        if self.providers.gateway_holder(doc["providerType"]) is not None:
            return None
        if not self.providers.claim_gateway_credential(doc["_id"]):
            return None
        return self.push(doc["_id"])

    def make_holder(self, provider_id: ObjectId) -> SyncOutcome | None:
        """An admin moves the type's gateway credential to this provider (then pushes)."""
        doc = self.providers.find(provider_id)
        if doc is None or store_type(doc["providerType"]) is None:
            return None
        current = self.providers.gateway_holder(doc["providerType"])
        if current is not None and current["_id"] == doc["_id"]:
            return self.push(doc["_id"])
        if current is not None:
            self.providers.release_gateway_credential(current["_id"])
        self.providers.claim_gateway_credential(doc["_id"])
        return self.push(doc["_id"])

    def release(self, doc: Mapping[str, Any]) -> SyncOutcome | None:
        """A provider is being deleted: when it is its type's gateway credential, hand the
        credential to the oldest other provider of the type (whose key then replaces it in
        the store), or remove it from the store. A removal that fails stays owed as a
        tombstone."""
        kind = store_type(doc["providerType"])
        if kind is None or not doc.get("gatewayCredential"):
            return None
        if self.settings.keys_in_store:
            # first, so a crash from here on leaves the gateway's copy visibly owed
            self.tombstones.add("credential", kind,
                                reason=f"provider {doc.get('name')!r} deleted")
        self.providers.release_gateway_credential(doc["_id"])
        successor = self.providers.next_gateway_candidate(doc["providerType"])
        if successor is not None and self.providers.claim_gateway_credential(successor["_id"]):
            return self.push(successor["_id"])  # its key replaces ours; settles the tombstone
        return self.remove(kind)

    # --- pushes -------------------------------------------------------------------------
    def push(self, provider_id: ObjectId) -> SyncOutcome:
        """Send the provider's current key and base URL to the gateway's store, and record
        which ``credentialsVersion`` it now holds."""
        if not self.settings.keys_in_store:
            return SyncOutcome("disabled", OFF_MESSAGE)
        if not self.client.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE)
        doc = self.providers.find(provider_id)
        kind = store_type(doc["providerType"]) if doc else None
        if doc is None or kind is None or not doc.get("gatewayCredential"):
            return SyncOutcome("synced", None)  # nothing of ours to hold
        version = int(doc.get("credentialsVersion") or 0)
        values: dict[str, Any] = {}
        try:
            values = self.credentials.adapter_for(doc).talon_credentials("-")
        except LlmRegistryError as exc:
            outcome = SyncOutcome("failed", exc.message)
        else:
            outcome = self.client.exchange(kind, values.get("apiKey"), values.get("baseUrl"))
        self.audit.record(
            "gateway_credential.pushed", Target("gateway_credential", kind, kind),
            outcome="ok" if outcome.ok else "failed",
            error=None if outcome.ok else problem("gateway", outcome.error),
            fingerprint=self.audit.fingerprint(values.get("apiKey")),
            details={"providerId": str(doc["_id"]), "provider": doc.get("name"),
                     "credentialsVersion": version},
        )
        self.providers.record_gateway_push(doc["_id"], version,
                                           None if outcome.ok else outcome.error)
        if outcome.ok:
            self.tombstones.done("credential", kind)  # a holder replaced the old one
        return outcome

    def remove(self, kind: str) -> SyncOutcome:
        """Drop ``kind`` from the gateway's store, settling its tombstone."""
        if not self.settings.keys_in_store:
            self.tombstones.done("credential", kind)
            return SyncOutcome("disabled", OFF_MESSAGE)
        if not self.client.enabled:
            return SyncOutcome("disabled", DISABLED_MESSAGE)
        outcome = self.client.remove_credential(kind)
        self.audit.record(
            "gateway_credential.removed", Target("gateway_credential", kind, kind),
            outcome="ok" if outcome.ok else "failed",
            error=None if outcome.ok else problem("gateway", outcome.error),
        )
        if outcome.ok:
            self.tombstones.done("credential", kind)
        else:
            self.tombstones.failed("credential", kind, outcome.error)
        return outcome

    # --- what is owed -------------------------------------------------------------------
    def owed(self) -> list[dict[str, Any]]:
        """Holders whose key the store does not hold in its current version."""
        if not self.settings.keys_in_store:
            return []
        return [
            d for d in self.providers.gateway_holders()
            if store_type(d["providerType"]) is not None
            and d.get("gatewayCredentialVersion") != int(d.get("credentialsVersion") or 0)
        ]

    def holders(self) -> dict[str, dict[str, Any]]:
        """Gateway store type -> the provider whose key it should hold."""
        out: dict[str, dict[str, Any]] = {}
        for doc in self.providers.gateway_holders():
            kind = store_type(doc["providerType"])
            if kind is not None:
                out[kind] = doc
        return out


__all__ = ["OFF_MESSAGE", "GatewayCredentials", "store_type"]
