"""Key rotation: re-encrypt every stored API key under the current master key.

Safe to interrupt and to repeat, without transactions:

- each record is rewritten by ONE update (many go in one bulk write) that sets ciphertext,
  nonce, tag and key id together, so a record is always wholly old (readable with a
  previous key) or wholly new (readable with the current key);
- the filter of that update includes the old ciphertext, nonce and tag, so a concurrent
  change (an admin entering a new key) is never overwritten; such a record is re-read
  and retried a few times, then counted as skipped;
- after writing, the record is read back and must hold exactly the bytes written (each
  record is decrypted once, before); if it does not, it is put back as it was (when it
  is still ours) and counted failed;
- records already under the current key are left alone, so a rerun rotates nothing.

Logs carry counts and record ids only, never plaintext, ciphertext or key material.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pymongo import UpdateOne
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
#: records rotated per bulk write (and read back per query)
BATCH_SIZE = 500


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
    batch_size: int = BATCH_SIZE,
) -> RotationReport:
    """Re-encrypt under ``vault``'s current key every document whose ``encryptedApiKey``
    was written with another key (a previous key, or a legacy JavaScript record).

    ``field`` is the associated-data field name (the record id is ``str(doc["_id"])``).
    ``on_record(record_id, outcome)`` is called after each record, e.g. for progress.
    Records that no configured key decrypts are counted failed and left untouched.
    Database errors propagate; the run can simply be repeated.

    Round trips do not grow with the records: one read of every keyed record, then per
    ``batch_size`` records to rotate one bulk write and one read-back (plus one more of
    each per retry after a concurrent change). Each record is decrypted once; the
    read-back must hold exactly the bytes written.
    """
    report = RotationReport(total=0, rotated=0, already_current=0, failed=0, dry_run=dry_run)
    # Read first: updating while iterating a cursor could show a document twice.
    with_key = {CIPHER_FIELDS[0]: {"$ne": None}}
    docs = list(collection.find(with_key, _PROJECTION))
    for start in range(0, len(docs), max(1, batch_size)):
        batch = docs[start:start + max(1, batch_size)]
        for record_id, outcome in _rotate_batch(collection, vault, batch, field, dry_run):
            report.total += 1
            setattr(report, outcome, getattr(report, outcome) + 1)
            log.debug("key rotation: record %s %s", record_id, outcome)
            if on_record is not None:
                on_record(record_id, outcome)
    log.info("key rotation: %s", report.summary())
    return report


def _rotate_batch(
    collection: Collection, vault: Vault, docs: list[Mapping[str, Any]], field: str,
    dry_run: bool,
) -> list[tuple[str, Outcome]]:
    """Rotate these records (as read); returns each one's outcome, in order."""
    outcomes: dict[Any, Outcome] = {}
    current: dict[Any, Mapping[str, Any] | None] = {d["_id"]: d for d in docs}
    for _attempt in range(_ATTEMPTS):
        writes: dict[Any, tuple[EncryptedValue, EncryptedValue]] = {}
        for _id, doc in current.items():
            old = None if doc is None else from_document(doc)
            if old is None:
                outcomes[_id] = "skipped"  # deleted, or its key removed, meanwhile
            elif not vault.needs_rotation(old):
                outcomes[_id] = "already_current"
            else:
                try:
                    plaintext = vault.decrypt(old, record_id=str(_id), field=field)
                except DecryptionError:
                    log.warning(
                        "key rotation: record %s does not decrypt with any configured key "
                        "(is its old key missing from LLM_ENCRYPTION_KEY_PREVIOUS?); left "
                        "untouched", _id)
                    outcomes[_id] = "failed"
                    continue
                if dry_run:
                    outcomes[_id] = "rotated"
                    continue
                new = vault.encrypt(plaintext, record_id=str(_id), field=field)
                writes[_id] = (old, new)
        if not writes:
            break
        collection.bulk_write([
            UpdateOne(_match(_id, old), {"$set": to_document(new)})
            for _id, (old, new) in writes.items()
        ], ordered=False)
        stored = {d["_id"]: d for d in collection.find({"_id": {"$in": list(writes)}},
                                                       _PROJECTION)}
        current = {}
        for _id, (old, new) in writes.items():
            doc = stored.get(_id)
            value = None if doc is None else from_document(doc)
            if value is None:
                outcomes[_id] = "skipped"
            elif value.ciphertext == new.ciphertext:
                outcomes[_id] = _settle(collection, _id, old, new, value)
            else:  # someone else wrote it after we read it: theirs wins, look again
                log.info("key rotation: record %s changed concurrently; retrying", _id)
                current[_id] = doc
        if not current:
            break
    for _id in current:
        outcomes.setdefault(_id, "skipped")
    return [(str(d["_id"]), outcomes.get(d["_id"], "skipped")) for d in docs]


def _settle(
    collection: Collection, _id: Any, old: EncryptedValue, new: EncryptedValue,
    stored: EncryptedValue,
) -> Outcome:
    """The read-back holds our ciphertext: it must hold exactly what we wrote (nonce, tag,
    key id too), else the old value is put back (while the record still holds what was
    read back), so the record stays readable with the old key."""
    if (stored.nonce, stored.tag, stored.key_id) == (new.nonce, new.tag, new.key_id):
        return "rotated"
    restore: dict[str, Any] = {"$set": to_document(old)}
    if old.key_id is None:
        del restore["$set"][KEY_ID_FIELD]
        restore["$unset"] = {KEY_ID_FIELD: ""}
    collection.update_one(_match(_id, stored), restore)
    log.warning("key rotation: record %s failed verification after writing; restored", _id)
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
