"""The vault: AES-256-GCM envelope for provider API keys, master-key parsing and key ids.

Every ciphertext is bound to its record and field through associated data
(``task_master_llm:<record id>:<field>``), so a ciphertext copied to another provider or
field does not decrypt. Each value carries the id of the master key that wrote it (a keyed
hash, never the key), so a vault built with the current key plus the previous ones can read
old values and :meth:`Vault.reencrypt` writes them anew (like Fernet's ``MultiFernet``).

Pure crypto: nothing here knows how a value is stored (that is
:mod:`task_master_llm.store.keys`).

Values written by the original JavaScript Task Master have no key id and no associated data;
they still decrypt, trying the current key first and then each previous key.

Every decryption failure raises the same :class:`~task_master_llm.errors.DecryptionError`
with the same message, whatever went wrong (wrong key, tampering, unknown key id, bad
lengths), so the error is no oracle. Nothing here logs, and no message names a key or a
plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from collections.abc import Sequence
from dataclasses import dataclass

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes

from task_master_llm.errors import ConfigurationError, DecryptionError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

KEY_ENV = "LLM_ENCRYPTION_KEY"
PREVIOUS_KEYS_ENV = "LLM_ENCRYPTION_KEY_PREVIOUS"

#: Shown in every key error: one line that prints a fresh, valid key.
KEY_HOWTO = (
    'Generate one with: python -c "import secrets, base64; '
    'print(base64.b64encode(secrets.token_bytes(32)).decode())"'
)

_KEY_ID_LABEL = b"task_master_llm key id v1"
_HEX_DIGITS = frozenset(string.hexdigits)
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "+/-_=")


def _key_error(name: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{name} {problem}. It must be 32 random bytes written as base64 (44 characters) "
        f"or hex (64 characters). {KEY_HOWTO}"
    )


def _decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64 with padding; None when ``text`` is not base64."""
    if len(text) % 4 or not set(text) <= _B64_CHARS:
        return None
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_master_key(
    text: str | None, *, name: str = KEY_ENV, allow_trivial: bool = False
) -> bytes:
    """Parse a 32-byte master key given as base64 (44 chars) or hex (64 chars).

    Raises :class:`ConfigurationError` saying what is wrong (length, encoding, size) and
    how to make a key; the message never contains the value. There is no default key.
    A key of one repeated byte (such as the JavaScript Task Master's all-zero default) is
    refused unless ``allow_trivial`` (used for previous keys, so such data can be rotated).
    """
    if text is None:
        raise _key_error(name, "is not set")
    if not isinstance(text, str):
        raise _key_error(name, "is not a string")
    text = text.strip()
    if not text:
        raise _key_error(name, "is empty")
    if len(text) == 2 * KEY_BYTES and set(text) <= _HEX_DIGITS:
        key = bytes.fromhex(text)
    elif len(text) % 2 == 0 and len(text) != 44 and set(text) <= _HEX_DIGITS:
        raise _key_error(name, f"is hex for {len(text) // 2} bytes, not {KEY_BYTES}")
    else:
        decoded = _decode_base64(text)
        if decoded is None:
            raise _key_error(name, f"is neither base64 nor hex ({len(text)} characters)")
        if len(decoded) != KEY_BYTES:
            raise _key_error(name, f"is base64 for {len(decoded)} bytes, not {KEY_BYTES}")
        key = decoded
    if not allow_trivial and len(set(key)) == 1:
        raise _key_error(name, "is one byte repeated (e.g. all zeros), which is no secret")
    return key


def parse_previous_keys(text: str | None) -> list[bytes]:
    """Parse ``LLM_ENCRYPTION_KEY_PREVIOUS``: comma-separated keys, each as in
    :func:`parse_master_key`. Missing or empty gives ``[]``; blank items are ignored."""
    if text is None:
        return []
    items = [item.strip() for item in text.split(",")]
    return [
        parse_master_key(item, name=PREVIOUS_KEYS_ENV, allow_trivial=True) for item in items if item
    ]


def key_id_for(key: bytes) -> str:
    """The id stored beside each ciphertext: HMAC-SHA256(key, label), 16 hex chars.

    It identifies a key without revealing it (a keyed hash, not a hash of the key).
    """
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def associated_data(record_id: str, field: str) -> bytes:
    """The associated data that binds a ciphertext to one record's field."""
    return f"task_master_llm:{record_id}:{field}".encode()


@dataclass(frozen=True)
class EncryptedValue:
    """One encrypted secret as stored: ciphertext, nonce, tag and the writing key's id.

    ``key_id`` is None for values written by the JavaScript Task Master (no associated
    data). The repr shows only ciphertext, which is safe to show.
    """

    ciphertext: bytes
    nonce: bytes
    tag: bytes
    key_id: str | None


class Vault:
    """Encrypts with the current master key; decrypts with the current or a previous one."""

    def __init__(self, key: bytes, previous: Sequence[bytes] = ()) -> None:
        for candidate in (key, *previous):
            if not isinstance(candidate, bytes) or len(candidate) != KEY_BYTES:
                raise ConfigurationError(
                    f"Vault keys must be {KEY_BYTES} bytes; use parse_master_key() to read "
                    f"them from configuration. {KEY_HOWTO}"
                )
        self._key = key
        self._key_id = key_id_for(key)
        # Current key first, then previous keys in the order given, without duplicates.
        self._keys: dict[str, bytes] = {self._key_id: key}
        for old in previous:
            self._keys.setdefault(key_id_for(old), old)

    @classmethod
    def from_strings(cls, key: str | None, previous: str | None = None) -> Vault:
        """Build a vault from ``LLM_ENCRYPTION_KEY`` and ``LLM_ENCRYPTION_KEY_PREVIOUS``."""
        return cls(parse_master_key(key), parse_previous_keys(previous))

    @property
    def key_id(self) -> str:
        """The current key's id, stored as ``apiKeyKeyId`` on every value it writes."""
        return self._key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every key this vault can decrypt with, current first."""
        return tuple(self._keys)

    def __repr__(self) -> str:
        previous = list(self._keys)[1:]
        return f"Vault(key_id={self._key_id!r}, previous_key_ids={previous!r})"

    def encrypt(self, plaintext: str, *, record_id: str, field: str) -> EncryptedValue:
        """Encrypt ``plaintext`` under the current key, bound to ``record_id`` and ``field``."""
        if not isinstance(plaintext, str):
            raise TypeError("Vault.encrypt takes the plaintext as str")
        nonce = get_random_bytes(NONCE_BYTES)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
        cipher.update(associated_data(record_id, field))
        ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode("utf-8"))
        return EncryptedValue(ciphertext=ciphertext, nonce=nonce, tag=tag, key_id=self._key_id)

    def decrypt(self, value: EncryptedValue, *, record_id: str, field: str) -> str:
        """Decrypt ``value`` stored on ``record_id``'s ``field``.

        Raises :class:`DecryptionError`, always with the same message, on any failure.
        """
        try:
            if len(value.nonce) != NONCE_BYTES or len(value.tag) != TAG_BYTES:
                raise DecryptionError()
            if value.key_id is None:
                # Legacy JavaScript record: no key id, no associated data.
                for candidate in self._keys.values():
                    plaintext = _open(candidate, value, None)
                    if plaintext is not None:
                        return plaintext
                raise DecryptionError()
            key = self._keys.get(value.key_id)
            plaintext = (
                None if key is None else _open(key, value, associated_data(record_id, field))
            )
            if plaintext is None:
                raise DecryptionError()
            return plaintext
        except DecryptionError:
            raise DecryptionError() from None
        except Exception:  # malformed value (wrong types...): the same opaque error
            raise DecryptionError() from None

    def needs_rotation(self, value: EncryptedValue) -> bool:
        """True when ``value`` was not written with the current key (legacy values too)."""
        return value.key_id != self._key_id

    def reencrypt(self, value: EncryptedValue, *, record_id: str, field: str) -> EncryptedValue:
        """Decrypt with whichever key wrote ``value`` and encrypt again under the current key.

        Always produces a fresh nonce, even when ``value`` is already current.
        """
        plaintext = self.decrypt(value, record_id=record_id, field=field)
        return self.encrypt(plaintext, record_id=record_id, field=field)


def _open(key: bytes, value: EncryptedValue, aad: bytes | None) -> str | None:
    """AES-256-GCM decrypt-and-verify; None on any failure (the caller makes it opaque)."""
    cipher = AES.new(key, AES.MODE_GCM, nonce=bytes(value.nonce), mac_len=TAG_BYTES)
    if aad is not None:
        cipher.update(aad)
    try:
        data = cipher.decrypt_and_verify(bytes(value.ciphertext), bytes(value.tag))
        return data.decode("utf-8")
    except ValueError:  # bad tag, or not UTF-8 (UnicodeDecodeError is a ValueError)
        return None


__all__ = [
    "KEY_ENV",
    "KEY_HOWTO",
    "PREVIOUS_KEYS_ENV",
    "EncryptedValue",
    "Vault",
    "associated_data",
    "key_id_for",
    "parse_master_key",
    "parse_previous_keys",
]
