"""Key rotation: re-encrypt every stored API key under the current master key.

Safe to interrupt and to repeat, without transactions:

- each record is rewritten by ONE ``update_one`` that sets ciphertext, nonce, tag and key
  id together, so a record is always wholly old (readable with a previous key) or wholly
  new (readable with the current key);
- the filter of that update includes the old ciphertext, nonce and tag, so a concurrent
  change (an admin entering a new key) is never overwritten; such a record is re-read
  and retried a few times, then counted as skipped;
- after writing, the record is read back and must decrypt to the same plaintext; if it
  does not, it is put back as it was (when it is still ours) and counted failed;
- records already under the current key are left alone, so a rerun rotates nothing.

Logs carry counts and record ids only, never plaintext, ciphertext or key material.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pymongo.collection import Collection

from task_master_llm.core.audit import NO_AUDIT, AuditLog, Target, problem
from task_master_llm.errors import DecryptionError
from task_master_llm.store.keys import (
    AAD_FIELD,
    CIPHER_FIELDS,
    KEY_ID_FIELD,
    from_document,
    matching,
    to_document,
)
from task_master_llm.vault import EncryptedValue, Vault

log = logging.getLogger(__name__)

#: What happened to one record; passed to ``on_record``.
Outcome = Literal["rotated", "already_current", "failed", "skipped"]

_PROJECTION = dict.fromkeys((*CIPHER_FIELDS, KEY_ID_FIELD), 1)
_ATTEMPTS = 3


@dataclass
class RotationReport:
    """Counts from one rotation run. In a dry run, ``rotated`` counts what would be.

    ``total == rotated + already_current + failed + skipped``. ``skipped`` counts records
    changed or deleted by someone else while the run was on them.
    """

    total: int
    rotated: int
    already_current: int
    failed: int
    dry_run: bool
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """True when no record failed (a CLI can turn this into its exit status)."""
        return self.failed == 0

    def summary(self) -> str:
        """One line of counts, nothing else."""
        verb = "would rotate" if self.dry_run else "rotated"
        prefix = "Dry run: " if self.dry_run else ""
        return (
            f"{prefix}{self.total} records with an API key: {self.rotated} {verb}, "
            f"{self.already_current} already current, {self.failed} failed, "
            f"{self.skipped} skipped (changed concurrently)"
        )


def rotate_collection(
    collection: Collection,
    vault: Vault,
    *,
    dry_run: bool = False,
    field: str = AAD_FIELD,
    on_record: Callable[[str, Outcome], None] | None = None,
) -> RotationReport:
    """Re-encrypt under ``vault``'s current key every document whose ``encryptedApiKey``
    was written with another key (a previous key, or a legacy JavaScript record).

    ``field`` is the associated-data field name (the record id is ``str(doc["_id"])``).
    ``on_record(record_id, outcome)`` is called after each record, e.g. for progress.
    Records that no configured key decrypts are counted failed and left untouched.
    Database errors propagate; the run can simply be repeated.
    """
    report = RotationReport(total=0, rotated=0, already_current=0, failed=0, dry_run=dry_run)
    # Ids first: updating while iterating a cursor could show a document twice.
    with_key = {CIPHER_FIELDS[0]: {"$ne": None}}
    ids = [doc["_id"] for doc in collection.find(with_key, {"_id": 1})]
    for _id in ids:
        record_id = str(_id)
        outcome = _rotate_one(collection, vault, _id, record_id, field, dry_run)
        report.total += 1
        setattr(report, outcome, getattr(report, outcome) + 1)
        log.debug("key rotation: record %s %s", record_id, outcome)
        if on_record is not None:
            on_record(record_id, outcome)
    log.info("key rotation: %s", report.summary())
    return report


def _rotate_one(
    collection: Collection, vault: Vault, _id: Any, record_id: str, field: str, dry_run: bool
) -> Outcome:
    for _attempt in range(_ATTEMPTS):
        doc = collection.find_one({"_id": _id}, _PROJECTION)
        old = None if doc is None else from_document(doc)
        if old is None:
            return "skipped"  # deleted, or its key removed, since the run started
        if not vault.needs_rotation(old):
            return "already_current"
        try:
            plaintext = vault.decrypt(old, record_id=record_id, field=field)
        except DecryptionError:
            log.warning(
                "key rotation: record %s does not decrypt with any configured key "
                "(is its old key missing from LLM_ENCRYPTION_KEY_PREVIOUS?); left untouched",
                record_id,
            )
            return "failed"
        if dry_run:
            return "rotated"
        new = vault.encrypt(plaintext, record_id=record_id, field=field)
        result = collection.update_one(_match(_id, old), {"$set": to_document(new)})
        if result.matched_count == 1:
            return _verify(collection, vault, _id, record_id, field, old, new, plaintext)
        log.info("key rotation: record %s changed concurrently; retrying", record_id)
    return "skipped"


def _verify(
    collection: Collection,
    vault: Vault,
    _id: Any,
    record_id: str,
    field: str,
    old: EncryptedValue,
    new: EncryptedValue,
    plaintext: str,
) -> Outcome:
    """Read the record back; it must hold ``new`` and decrypt to ``plaintext``."""
    doc = collection.find_one({"_id": _id}, _PROJECTION)
    stored = None if doc is None else from_document(doc)
    if stored is None or stored.ciphertext != new.ciphertext:
        return "skipped"  # someone else wrote it after us; their value wins
    try:
        ok = vault.decrypt(stored, record_id=record_id, field=field) == plaintext
    except DecryptionError:
        ok = False
    if ok and stored.key_id == vault.key_id:
        return "rotated"
    # Put the old value back (only if the record still holds what we wrote), so the record
    # stays readable with the old key.
    restore: dict[str, Any] = {"$set": to_document(old)}
    if old.key_id is None:
        del restore["$set"][KEY_ID_FIELD]
        restore["$unset"] = {KEY_ID_FIELD: ""}
    collection.update_one(_match(_id, stored), restore)
    log.warning("key rotation: record %s failed verification after writing; restored", record_id)
    return "failed"


def _match(_id: Any, value: EncryptedValue) -> Mapping[str, Any]:
    """A filter matching the record only while it still holds exactly ``value``."""
    return {"_id": _id, **matching(value)}


class KeyRotation:
    """``flask llm rotate-key`` for one app: its provider collection and its vault."""

    audit: AuditLog = NO_AUDIT

    def __init__(self, collection: Collection, vault: Vault) -> None:
        self.collection = collection
        self.vault = vault

    def run(self, *, dry_run: bool = False) -> RotationReport:
        """Rotate every provider key; see :func:`rotate_collection`."""
        report = rotate_collection(self.collection, self.vault, dry_run=dry_run)
        self.audit.record(
            "key_rotation.run", Target("registry", "providers", "Provider keys"),
            outcome="ok" if report.ok else "failed",
            error=None if report.ok else problem("rotation", report.summary()),
            details={"dryRun": dry_run, "total": report.total, "rotated": report.rotated,
                     "alreadyCurrent": report.already_current, "failed": report.failed,
                     "skipped": report.skipped, "keyId": self.vault.key_id},
        )
        return report


__all__ = ["KeyRotation", "Outcome", "RotationReport", "rotate_collection"]
