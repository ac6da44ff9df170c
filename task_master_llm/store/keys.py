"""How an encrypted API key is stored on a provider document (the Prisma field names).

The one list of the key fields: the services, the rotation and the stores take the names
from here, and only this module turns a :class:`~task_master_llm.vault.EncryptedValue`
into BSON and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson.binary import Binary

from task_master_llm.vault import EncryptedValue

#: ciphertext, nonce and tag: together they identify one stored value exactly
CIPHER_FIELDS = ("encryptedApiKey", "apiKeyNonce", "apiKeyTag")
#: the id of the master key that wrote the value (absent on JavaScript-era records)
KEY_ID_FIELD = "apiKeyKeyId"
#: the last four characters, shown as ``****abcd``
LAST4_FIELD = "apiKeyLast4"
#: every field of a stored key: unset them all to remove a key
KEY_FIELDS = (*CIPHER_FIELDS, KEY_ID_FIELD, LAST4_FIELD)
#: the associated-data field name the vault binds each ciphertext to
AAD_FIELD = "apiKey"


def to_document(value: EncryptedValue) -> dict[str, Any]:
    """The Prisma fields for ``value``: byte fields as BSON binary, plus ``apiKeyKeyId``."""
    return {
        "encryptedApiKey": Binary(value.ciphertext),
        "apiKeyNonce": Binary(value.nonce),
        "apiKeyTag": Binary(value.tag),
        KEY_ID_FIELD: value.key_id,
    }


def from_document(doc: Mapping[str, Any]) -> EncryptedValue | None:
    """Read the encrypted key off a provider document; None when it has no
    ``encryptedApiKey``. Missing nonce or tag give empty bytes, which fail to decrypt."""
    ciphertext = doc.get("encryptedApiKey")
    if ciphertext is None:
        return None
    key_id = doc.get(KEY_ID_FIELD)
    return EncryptedValue(
        ciphertext=bytes(ciphertext),
        nonce=bytes(doc.get("apiKeyNonce") or b""),
        tag=bytes(doc.get("apiKeyTag") or b""),
        key_id=key_id if isinstance(key_id, str) and key_id else None,
    )


def has_key(doc: Mapping[str, Any]) -> bool:
    """Whether the provider document holds an encrypted key."""
    return bool(doc.get("encryptedApiKey"))


def matching(value: EncryptedValue) -> dict[str, Any]:
    """A filter part matching a document only while it holds exactly ``value``."""
    current = to_document(value)
    return {name: current[name] for name in CIPHER_FIELDS}


__all__ = [
    "AAD_FIELD",
    "CIPHER_FIELDS",
    "KEY_FIELDS",
    "KEY_ID_FIELD",
    "LAST4_FIELD",
    "from_document",
    "has_key",
    "matching",
    "to_document",
]
