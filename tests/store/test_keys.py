"""The stored key fields (store/keys.py): an encrypted key to and from a document, through
a real MongoDB wire server."""

from __future__ import annotations

import secrets

import pytest
from bson.binary import Binary

from task_master_llm.errors import DecryptionError
from task_master_llm.store.keys import from_document, to_document
from task_master_llm.vault import EncryptedValue, Vault

SECRET = "sk-test-CANARY-5f3a9c0e71d2-ünïcødé"
RID = "65f0c0ffee0000000000aaaa"


@pytest.fixture
def vault() -> Vault:
    return Vault(secrets.token_bytes(32))


@pytest.fixture
def sealed(vault: Vault) -> EncryptedValue:
    return vault.encrypt(SECRET, record_id=RID, field="apiKey")


class TestDocuments:
    def test_round_trip(self, vault: Vault, sealed: EncryptedValue) -> None:
        doc = to_document(sealed)
        assert set(doc) == {"encryptedApiKey", "apiKeyNonce", "apiKeyTag", "apiKeyKeyId"}
        assert isinstance(doc["encryptedApiKey"], Binary)
        assert from_document(doc) == sealed

    def test_through_mongo(self, db, vault: Vault, sealed: EncryptedValue) -> None:
        _id = db.LlmProvider.insert_one({"name": "p", **to_document(sealed)}).inserted_id
        value = from_document(db.LlmProvider.find_one({"_id": _id}))
        assert vault.decrypt(value, record_id=RID, field="apiKey") == SECRET

    def test_no_key(self) -> None:
        assert from_document({"name": "p"}) is None
        assert from_document({"name": "p", "encryptedApiKey": None}) is None

    def test_missing_nonce_fails_opaquely(self, vault: Vault, sealed) -> None:
        value = from_document({"encryptedApiKey": sealed.ciphertext, "apiKeyKeyId": vault.key_id})
        with pytest.raises(DecryptionError):
            vault.decrypt(value, record_id=RID, field="apiKey")
