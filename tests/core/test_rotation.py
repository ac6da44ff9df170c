"""Key rotation on a real MongoDB wire server: counts, idempotence, dry run, crash and
resume, concurrent changes, undecryptable records, and no secrets in the logs; and the
rotation service that ``build_services`` makes."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from bson.binary import Binary
from Crypto.Cipher import AES
from pymongo.collection import Collection
from pymongo.errors import AutoReconnect

from task_master_llm.core.rotation import RotationReport, rotate_collection
from task_master_llm.errors import ProviderKeyUnreadable
from task_master_llm.store.keys import from_document, to_document
from task_master_llm.vault import Vault

DATA = Path(__file__).parents[1] / "data"
LEGACY = json.loads((DATA / "legacy_js_vector.json").read_text("utf-8"))
LEGACY_KEY = bytes.fromhex(LEGACY["key_hex"])
OLD_KEY = secrets.token_bytes(32)
NEW_KEY = secrets.token_bytes(32)
CANARY = "CANARY-sk-7d1e0b"


def legacy_fields(plaintext: str, key: bytes = LEGACY_KEY) -> dict[str, Any]:
    """A record as the JavaScript Task Master wrote it: no AAD, no apiKeyKeyId."""
    nonce = secrets.token_bytes(12)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode())
    return {
        "encryptedApiKey": Binary(ciphertext),
        "apiKeyNonce": Binary(nonce),
        "apiKeyTag": Binary(tag),
    }


def add(coll: Collection, name: str, key: bytes | None, plaintext: str) -> ObjectId:
    """Insert a provider whose key is encrypted with ``key`` (None: legacy JS record)."""
    _id = ObjectId()
    doc: dict[str, Any] = {"_id": _id, "name": name, "hostField": {"kept": True}}
    if key is None:
        doc.update(legacy_fields(plaintext))
    else:
        value = Vault(key).encrypt(plaintext, record_id=str(_id), field="apiKey")
        doc.update(to_document(value))
    coll.insert_one(doc)
    return _id


@pytest.fixture
def coll(db) -> Collection:
    return db.LlmProvider


@pytest.fixture
def mixed(coll: Collection) -> dict[ObjectId, str]:
    """Two legacy, two previous-key and two current-key records, plus one without a key.
    Returns each keyed record's plaintext."""
    plain: dict[ObjectId, str] = {}
    coll.insert_one({"name": "no-key", "providerType": "ollama"})
    legacy_id = ObjectId()
    coll.insert_one(  # the Node-made vector itself
        {
            "_id": legacy_id,
            "name": "legacy-node",
            "encryptedApiKey": Binary(bytes.fromhex(LEGACY["ciphertext_hex"])),
            "apiKeyNonce": Binary(bytes.fromhex(LEGACY["nonce_hex"])),
            "apiKeyTag": Binary(bytes.fromhex(LEGACY["tag_hex"])),
        }
    )
    plain[legacy_id] = LEGACY["plaintext"]
    for name, key in [("legacy", None), ("old1", OLD_KEY), ("old2", OLD_KEY)]:
        plain[add(coll, name, key, f"{CANARY}-{name}")] = f"{CANARY}-{name}"
    for name in ("cur1", "cur2"):
        plain[add(coll, name, NEW_KEY, f"{CANARY}-{name}")] = f"{CANARY}-{name}"
    return plain


@pytest.fixture
def vault() -> Vault:
    return Vault(NEW_KEY, [OLD_KEY, LEGACY_KEY])


def snapshot(coll: Collection) -> list[dict]:
    return sorted(coll.find(), key=lambda d: str(d["_id"]))


def read_all(coll: Collection, vault: Vault, ids) -> dict[ObjectId, str]:
    out = {}
    for _id in ids:
        value = from_document(coll.find_one({"_id": _id}))
        out[_id] = vault.decrypt(value, record_id=str(_id), field="apiKey")
    return out


class FlakyCollection:
    """Delegates to a real collection; ``before_update(n, filter, update)`` runs before
    the n-th (1-based) update_one and may raise or change things."""

    def __init__(self, inner: Collection, before_update) -> None:
        self.inner = inner
        self.before_update = before_update
        self.updates = 0

    def update_one(self, filter, update, *args, **kwargs):
        self.updates += 1
        update = self.before_update(self.updates, filter, update) or update
        return self.inner.update_one(filter, update, *args, **kwargs)

    def bulk_write(self, operations, ordered=True):
        """Each update of a bulk write goes through :meth:`update_one`, in order, so a
        fault can land between two of them."""
        for op in operations:
            self.update_one(op._filter, op._doc)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class TestRotate:
    def test_mixed_collection(self, coll, mixed, vault) -> None:
        seen: list[tuple[str, str]] = []
        report = rotate_collection(coll, vault, on_record=lambda rid, out: seen.append((rid, out)))
        assert report == RotationReport(
            total=6, rotated=4, already_current=2, failed=0, dry_run=False, skipped=0
        )
        assert report.ok
        assert sorted(rid for rid, _ in seen) == sorted(str(i) for i in mixed)
        # Readable with the new key alone, and nothing else in the documents changed.
        assert read_all(coll, Vault(NEW_KEY), mixed) == mixed
        for doc in coll.find({"encryptedApiKey": {"$exists": True}}):
            assert doc["apiKeyKeyId"] == vault.key_id
            assert doc.get("hostField", {"kept": True}) == {"kept": True}
        assert "apiKeyKeyId" not in coll.find_one({"name": "no-key"})

    def test_rerun_rotates_nothing(self, coll, mixed, vault) -> None:
        rotate_collection(coll, vault)
        before = snapshot(coll)
        report = rotate_collection(coll, vault)
        assert (report.total, report.rotated, report.already_current) == (6, 0, 6)
        assert snapshot(coll) == before

    def test_dry_run_changes_nothing(self, coll, mixed, vault) -> None:
        before = snapshot(coll)
        report = rotate_collection(coll, vault, dry_run=True)
        assert report == RotationReport(
            total=6, rotated=4, already_current=2, failed=0, dry_run=True
        )
        assert "Dry run" in report.summary() and "would rotate" in report.summary()
        assert snapshot(coll) == before

    def test_empty_collection(self, coll, vault) -> None:
        assert rotate_collection(coll, vault) == RotationReport(0, 0, 0, 0, False)


class TestCrashAndResume:
    def assert_every_record_whole(self, coll, vault, mixed) -> None:
        """Each record decrypts, and its key id says which key to use."""
        assert read_all(coll, vault, mixed) == mixed

    def test_on_record_raises_halfway(self, coll, mixed, vault) -> None:
        calls = 0

        def die_after_three(rid: str, outcome: str) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):  # one record a batch: stop between records
            rotate_collection(coll, vault, on_record=die_after_three, batch_size=1)
        self.assert_every_record_whole(coll, vault, mixed)
        pending = sum(vault.needs_rotation(from_document(coll.find_one({"_id": i}))) for i in mixed)
        assert 0 < pending < 4

        report = rotate_collection(coll, vault)
        assert report.rotated == pending and report.failed == 0
        assert read_all(coll, Vault(NEW_KEY), mixed) == mixed
        assert rotate_collection(coll, vault).rotated == 0

    def test_database_fails_on_second_update(self, coll, mixed, vault) -> None:
        def fail_second(n: int, filter, update) -> None:
            if n == 2:
                raise AutoReconnect("connection lost")

        with pytest.raises(AutoReconnect):
            rotate_collection(FlakyCollection(coll, fail_second), vault)
        self.assert_every_record_whole(coll, vault, mixed)
        assert len([d for d in coll.find() if d.get("apiKeyKeyId") == vault.key_id]) == 3

        report = rotate_collection(coll, vault)
        assert (report.rotated, report.already_current, report.failed) == (3, 3, 0)
        assert read_all(coll, Vault(NEW_KEY), mixed) == mixed


class TestFailures:
    def test_undecryptable_record_left_untouched(self, coll, mixed, vault, caplog) -> None:
        lost = add(coll, "lost", secrets.token_bytes(32), f"{CANARY}-lost")
        lost_legacy_id = ObjectId()
        coll.insert_one(
            {"_id": lost_legacy_id, **legacy_fields(f"{CANARY}-x", secrets.token_bytes(32))}
        )
        before = [coll.find_one({"_id": i}) for i in (lost, lost_legacy_id)]
        with caplog.at_level(logging.WARNING, logger="task_master_llm"):
            report = rotate_collection(coll, vault)
        assert (report.total, report.rotated, report.failed) == (8, 4, 2)
        assert not report.ok and "2 failed" in report.summary()
        assert [coll.find_one({"_id": i}) for i in (lost, lost_legacy_id)] == before
        assert str(lost) in caplog.text and str(lost_legacy_id) in caplog.text
        assert read_all(coll, Vault(NEW_KEY), mixed) == mixed  # the rest went ahead
        assert rotate_collection(coll, vault).failed == 2  # and a rerun says so again

    def test_verification_failure_restores_old_value(self, coll, vault) -> None:
        _id = add(coll, "legacy", None, f"{CANARY}-v")
        before = coll.find_one({"_id": _id})

        def corrupt_write(n: int, filter, update):
            if n == 1:  # the rotation write: store a broken tag
                tag = bytes(update["$set"]["apiKeyTag"])
                update["$set"]["apiKeyTag"] = Binary(bytes([tag[0] ^ 1]) + tag[1:])
            return update

        report = rotate_collection(FlakyCollection(coll, corrupt_write), vault)
        assert (report.rotated, report.failed) == (0, 1)
        assert coll.find_one({"_id": _id}) == before  # legacy record back, no apiKeyKeyId
        assert rotate_collection(coll, vault).rotated == 1

    def test_concurrent_change_is_not_overwritten(self, coll, vault) -> None:
        _id = add(coll, "old", OLD_KEY, f"{CANARY}-old")
        admin_value = vault.encrypt(f"{CANARY}-admin", record_id=str(_id), field="apiKey")

        def admin_writes_first(n: int, filter, update) -> None:
            if n == 1:
                coll.update_one({"_id": _id}, {"$set": to_document(admin_value)})

        flaky = FlakyCollection(coll, admin_writes_first)
        report = rotate_collection(flaky, vault)
        assert flaky.updates == 1  # the rotation's write matched nothing; no second write
        assert (report.rotated, report.failed, report.total) == (0, 0, 1)
        assert read_all(coll, vault, [_id]) == {_id: f"{CANARY}-admin"}

    def test_deleted_during_run_is_skipped(self, coll, vault) -> None:
        _id = add(coll, "old", OLD_KEY, f"{CANARY}-old")

        def delete_first(n: int, filter, update) -> None:
            coll.delete_one({"_id": _id})

        report = rotate_collection(FlakyCollection(coll, delete_first), vault)
        assert (report.total, report.skipped, report.rotated) == (1, 1, 0)


class TestNoSecretsInOutput:
    def test_logs_and_report_carry_no_secrets(self, coll, mixed, vault, caplog) -> None:
        add(coll, "lost", secrets.token_bytes(32), f"{CANARY}-lost")
        outcomes: list[tuple] = []
        with caplog.at_level(logging.DEBUG):
            report = rotate_collection(coll, vault, dry_run=True)
            report2 = rotate_collection(coll, vault, on_record=lambda *args: outcomes.append(args))
        assert caplog.records, "rotation should log counts and record ids"
        text = "\n".join(
            [caplog.text, report.summary(), repr(report), report2.summary(), repr(report2)]
            + [repr(o) for o in outcomes]
        )
        assert CANARY not in text and LEGACY["plaintext"] not in text
        for key in (NEW_KEY, OLD_KEY, LEGACY_KEY):
            for form in (key.hex(), base64.b64encode(key).decode(), repr(key)):
                assert form not in text
        for doc in coll.find({"encryptedApiKey": {"$exists": True}}):
            assert bytes(doc["encryptedApiKey"]).hex() not in text


class TestKeyRotationService:
    """The rotation that ``build_services`` makes (no Flask): the app's provider
    collection and vault, with the previous master key configured."""

    def test_rotates_what_the_provider_service_stored(self, make_services) -> None:
        old = make_services()
        ids = [
            old.providers.create(
                {"name": f"g{i}", "providerType": "google", "apiKey": f"{CANARY}-{i}"}
            )["_id"]
            for i in range(2)
        ]
        old.providers.create({"name": "local", "providerType": "ollama"})  # no key
        new_key = base64.b64encode(NEW_KEY).decode()
        rotating = make_services(LLM_ENCRYPTION_KEY=new_key,
                                 LLM_ENCRYPTION_KEY_PREVIOUS=old.settings.encryption_key)
        coll = rotating.stores.providers.collection
        assert rotating.rotation.collection is coll

        before = snapshot(coll)
        dry = rotating.rotation.run(dry_run=True)
        assert dry == RotationReport(total=2, rotated=2, already_current=0, failed=0,
                                     dry_run=True)
        assert snapshot(coll) == before
        assert rotating.rotation.run() == RotationReport(2, 2, 0, 0, False)
        assert rotating.rotation.run() == RotationReport(2, 0, 2, 0, False)

        only_new = make_services(LLM_ENCRYPTION_KEY=new_key)
        for i, _id in enumerate(ids):
            doc = coll.find_one({"_id": _id})
            assert doc["apiKeyKeyId"] == only_new.vault.key_id != old.vault.key_id
            assert only_new.credentials.decrypt(doc) == f"{CANARY}-{i}"
            with pytest.raises(ProviderKeyUnreadable):
                old.credentials.decrypt(doc)  # the old key alone reads it no more
