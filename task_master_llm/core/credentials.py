"""Provider credentials: encrypt a key for storage, decrypt it for one call, build the
adapter that uses it.

The plaintext key exists only between :meth:`Credentials.decrypt` and the adapter (or the
gateway payload) using it; it is never returned, logged or put in an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from task_master_llm.adapters import ProviderAdapter, ProviderConfig, get_adapter_class
from task_master_llm.errors import DecryptionError, ProviderKeyUnreadable
from task_master_llm.net.settings import HttpSettings
from task_master_llm.store import keys
from task_master_llm.vault import Vault


def last4(api_key: str) -> str:
    """The last four characters shown as ``****abcd`` (fewer for very short keys)."""
    return api_key[-4:] if len(api_key) >= 8 else ""


class Credentials:
    """The vault and the HTTP settings, for everything that needs a provider's key."""

    def __init__(self, vault: Vault, http: HttpSettings) -> None:
        self.vault = vault
        self.http = http

    def encrypt(self, provider_id: ObjectId, api_key: str) -> dict[str, Any]:
        """The document fields that store ``api_key`` for this provider."""
        value = self.vault.encrypt(api_key, record_id=str(provider_id), field=keys.AAD_FIELD)
        return {**keys.to_document(value), keys.LAST4_FIELD: last4(api_key)}

    def decrypt(self, doc: Mapping[str, Any]) -> str | None:
        """The plaintext key of a provider document, or None when it has none; a key that
        will not decrypt is a clean 409 naming the provider."""
        value = keys.from_document(doc)
        if value is None:
            return None
        try:
            return self.vault.decrypt(value, record_id=str(doc["_id"]), field=keys.AAD_FIELD)
        except DecryptionError:
            raise ProviderKeyUnreadable(doc.get("name", str(doc["_id"]))) from None

    def adapter_for(self, doc: Mapping[str, Any]) -> ProviderAdapter:
        """An adapter for one operation on the provider, with its key decrypted."""
        cls = get_adapter_class(doc["providerType"])
        config = ProviderConfig(
            provider_type=doc["providerType"],
            name=doc.get("name", ""),
            base_url=doc.get("baseUrl"),
            api_key=self.decrypt(doc),
            org_id=doc.get("orgId"),
            deployment_id=doc.get("deploymentId"),
        )
        return cls(config, self.http)

    def __repr__(self) -> str:
        return f"Credentials({self.vault!r})"


__all__ = ["Credentials", "last4"]
