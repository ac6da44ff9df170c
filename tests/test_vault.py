"""The vault: round trips, tamper resistance, one opaque error, key parsing, key ids and
compatibility with records written by the JavaScript Task Master (vectors from Node).
How a sealed key is stored in a document is tested in ``tests/store/test_keys.py``."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from bson.binary import Binary

from task_master_llm.errors import ConfigurationError, DecryptionError
from task_master_llm.store.keys import from_document
from task_master_llm.vault import (
    EncryptedValue,
    Vault,
    key_id_for,
    parse_master_key,
    parse_previous_keys,
)

DATA = Path(__file__).parent / "data"
SECRET = "sk-test-CANARY-5f3a9c0e71d2-ünïcødé"
RID = "65f0c0ffee0000000000aaaa"
HOWTO = (
    'python -c "import secrets, base64; print(base64.b64encode(secrets.token_bytes(32)).decode())"'
)


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def vault(key: bytes) -> Vault:
    return Vault(key)


@pytest.fixture
def sealed(vault: Vault) -> EncryptedValue:
    return vault.encrypt(SECRET, record_id=RID, field="apiKey")


def opaque_message() -> str:
    return str(DecryptionError())


class TestRoundTrip:
    def test_round_trip(self, vault: Vault, sealed: EncryptedValue) -> None:
        assert vault.decrypt(sealed, record_id=RID, field="apiKey") == SECRET

    def test_empty_plaintext(self, vault: Vault) -> None:
        value = vault.encrypt("", record_id=RID, field="apiKey")
        assert vault.decrypt(value, record_id=RID, field="apiKey") == ""

    def test_shape(self, vault: Vault, sealed: EncryptedValue) -> None:
        assert len(sealed.nonce) == 12
        assert len(sealed.tag) == 16
        assert sealed.key_id == vault.key_id
        assert SECRET.encode() not in sealed.ciphertext

    def test_fresh_nonce_each_time(self, vault: Vault) -> None:
        a = vault.encrypt(SECRET, record_id=RID, field="apiKey")
        b = vault.encrypt(SECRET, record_id=RID, field="apiKey")
        assert a.nonce != b.nonce
        assert a.ciphertext != b.ciphertext

    def test_encrypt_refuses_bytes(self, vault: Vault) -> None:
        with pytest.raises(TypeError):
            vault.encrypt(b"raw", record_id=RID, field="apiKey")  # type: ignore[arg-type]

    def test_v1_vector_from_node(self) -> None:
        """The format is pinned by an independent Node implementation."""
        v = load("vault_v1_vector.json")
        key = bytes.fromhex(v["key_hex"])
        assert key_id_for(key) == v["key_id"]
        value = EncryptedValue(
            ciphertext=bytes.fromhex(v["ciphertext_hex"]),
            nonce=bytes.fromhex(v["nonce_hex"]),
            tag=bytes.fromhex(v["tag_hex"]),
            key_id=v["key_id"],
        )
        assert (
            Vault(key).decrypt(value, record_id=v["record_id"], field=v["field"])
            == (v["plaintext"])
        )


class TestOpaqueFailure:
    """Every failure is the same DecryptionError with the same message."""

    @pytest.mark.parametrize(
        "tamper",
        [
            pytest.param(lambda v: replace(v, ciphertext=flip(v.ciphertext)), id="ciphertext"),
            pytest.param(lambda v: replace(v, ciphertext=v.ciphertext[:-1]), id="truncated"),
            pytest.param(lambda v: replace(v, nonce=flip(v.nonce, 5)), id="nonce"),
            pytest.param(lambda v: replace(v, tag=flip(v.tag, 15)), id="tag"),
            pytest.param(lambda v: replace(v, tag=v.tag[:12]), id="short-tag"),
            pytest.param(lambda v: replace(v, nonce=v.nonce + b"\0" * 4), id="long-nonce"),
            pytest.param(lambda v: replace(v, key_id="0" * 16), id="unknown-key-id"),
            pytest.param(lambda v: replace(v, key_id=None), id="claims-legacy"),
            pytest.param(lambda v: replace(v, nonce=None), id="malformed"),
        ],
    )
    def test_tampered(self, vault: Vault, sealed: EncryptedValue, tamper) -> None:
        with pytest.raises(DecryptionError) as info:
            vault.decrypt(tamper(sealed), record_id=RID, field="apiKey")
        assert str(info.value) == opaque_message()
        assert info.value.__cause__ is None and info.value.__suppress_context__

    def test_wrong_key(self, sealed: EncryptedValue) -> None:
        other = Vault(secrets.token_bytes(32))
        forged_id = replace(sealed, key_id=other.key_id)  # right id claim, wrong key
        for value in (sealed, forged_id):
            with pytest.raises(DecryptionError) as info:
                other.decrypt(value, record_id=RID, field="apiKey")
            assert str(info.value) == opaque_message()

    def test_copied_to_another_record(self, vault: Vault, sealed: EncryptedValue) -> None:
        with pytest.raises(DecryptionError) as info:
            vault.decrypt(sealed, record_id="65f0c0ffee0000000000bbbb", field="apiKey")
        assert str(info.value) == opaque_message()

    def test_copied_to_another_field(self, vault: Vault, sealed: EncryptedValue) -> None:
        with pytest.raises(DecryptionError) as info:
            vault.decrypt(sealed, record_id=RID, field="otherSecret")
        assert str(info.value) == opaque_message()

    def test_message_is_identical_across_failures(self, vault: Vault, sealed) -> None:
        messages = set()
        for value, rid, field in [
            (replace(sealed, tag=flip(sealed.tag)), RID, "apiKey"),
            (sealed, "elsewhere", "apiKey"),
            (sealed, RID, "elsewhere"),
            (replace(sealed, key_id="f" * 16), RID, "apiKey"),
        ]:
            with pytest.raises(DecryptionError) as info:
                vault.decrypt(value, record_id=rid, field=field)
            messages.add((type(info.value), str(info.value), info.value.to_dict()["error"]["code"]))
        assert len(messages) == 1


class TestLegacyJavaScript:
    @pytest.fixture
    def vector(self) -> dict:
        return load("legacy_js_vector.json")

    def legacy_value(self, v: dict) -> EncryptedValue:
        doc = {
            "encryptedApiKey": Binary(bytes.fromhex(v["ciphertext_hex"])),
            "apiKeyNonce": Binary(bytes.fromhex(v["nonce_hex"])),
            "apiKeyTag": Binary(bytes.fromhex(v["tag_hex"])),
        }
        value = from_document(doc)
        assert value is not None and value.key_id is None
        return value

    def test_decrypts_with_current_key(self, vector: dict) -> None:
        vault = Vault(bytes.fromhex(vector["key_hex"]))
        value = self.legacy_value(vector)
        # Legacy values have no associated data: record id and field do not matter.
        assert vault.decrypt(value, record_id=RID, field="apiKey") == vector["plaintext"]
        assert vault.needs_rotation(value)

    def test_decrypts_with_previous_key(self, vector: dict) -> None:
        old = bytes.fromhex(vector["key_hex"])
        vault = Vault(secrets.token_bytes(32), [secrets.token_bytes(32), old])
        value = self.legacy_value(vector)
        assert vault.decrypt(value, record_id=RID, field="apiKey") == vector["plaintext"]
        rotated = vault.reencrypt(value, record_id=RID, field="apiKey")
        assert rotated.key_id == vault.key_id and not vault.needs_rotation(rotated)
        assert (
            Vault(vault._key).decrypt(rotated, record_id=RID, field="apiKey")
            == (vector["plaintext"])
        )

    def test_unknown_key_is_opaque(self, vector: dict) -> None:
        with pytest.raises(DecryptionError) as info:
            Vault(secrets.token_bytes(32)).decrypt(
                self.legacy_value(vector), record_id=RID, field="apiKey"
            )
        assert str(info.value) == opaque_message()

    def test_legacy_key_as_hex_config(self, vector: dict) -> None:
        """The JS app's LLM_ENCRYPTION_KEY (hex) works as-is as a previous key."""
        vault = Vault.from_strings(
            base64.b64encode(secrets.token_bytes(32)).decode(), vector["key_hex"]
        )
        value = self.legacy_value(vector)
        assert vault.decrypt(value, record_id=RID, field="apiKey") == vector["plaintext"]


class TestRotationPrimitives:
    def test_previous_key_reads_and_reencrypts(self) -> None:
        old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
        old_value = Vault(old_key).encrypt(SECRET, record_id=RID, field="apiKey")
        vault = Vault(new_key, [old_key])
        assert vault.needs_rotation(old_value)
        assert vault.decrypt(old_value, record_id=RID, field="apiKey") == SECRET
        new_value = vault.reencrypt(old_value, record_id=RID, field="apiKey")
        assert not vault.needs_rotation(new_value)
        assert Vault(new_key).decrypt(new_value, record_id=RID, field="apiKey") == SECRET

    def test_current_key_does_not_need_rotation(self, vault, sealed) -> None:
        assert not vault.needs_rotation(sealed)

    def test_key_ids(self, key: bytes) -> None:
        other = secrets.token_bytes(32)
        vault = Vault(key, [other, other, key])
        assert vault.key_ids == (key_id_for(key), key_id_for(other))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class TestParseMasterKey:
    @pytest.mark.parametrize(
        "encode",
        [
            pytest.param(b64, id="base64"),
            pytest.param(lambda k: base64.urlsafe_b64encode(k).decode(), id="urlsafe"),
            pytest.param(bytes.hex, id="hex"),
            pytest.param(lambda k: k.hex().upper(), id="HEX"),
            pytest.param(lambda k: f"  {b64(k)}\n", id="whitespace"),
        ],
    )
    def test_accepts(self, encode) -> None:
        raw = b"\xfb\xff" + bytes(range(3, 33))  # '+/' in base64, '-_' in urlsafe
        assert parse_master_key(encode(raw)) == raw

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param(None, id="none"),
            pytest.param("", id="empty"),
            pytest.param("   ", id="blank"),
            pytest.param(b64(b"k" * 15 + b"K"), id="16-bytes-base64"),
            pytest.param((b"k" * 15 + b"K").hex(), id="16-bytes-hex"),
            pytest.param(b64(b"k" * 30 + b"K"), id="31-bytes-base64"),
            pytest.param(b64(b"k" * 32 + b"K"), id="33-bytes-base64"),
            pytest.param((b"k" * 30 + b"K").hex(), id="31-bytes-hex"),
            pytest.param((b"k" * 32 + b"K").hex(), id="33-bytes-hex"),
            pytest.param("correct horse battery staple, not a key!!!!", id="garbage-44"),
            pytest.param("zz" * 32, id="garbage-64"),
            pytest.param("my-secret-password", id="password"),
            pytest.param(b64(bytes(32)), id="all-zero"),
        ],
    )
    def test_rejects(self, text: str | None) -> None:
        with pytest.raises(ConfigurationError) as info:
            parse_master_key(text)
        message = str(info.value)
        assert "LLM_ENCRYPTION_KEY" in message
        assert HOWTO in message
        if text and text.strip():
            assert text.strip() not in message

    def test_name_in_message(self) -> None:
        with pytest.raises(ConfigurationError, match="MY_KEY is not set"):
            parse_master_key(None, name="MY_KEY")

    def test_message_says_what_is_wrong(self) -> None:
        with pytest.raises(ConfigurationError, match="16 bytes"):
            parse_master_key(b64(secrets.token_bytes(16)))

    def test_howto_makes_a_valid_key(self) -> None:
        made = base64.b64encode(secrets.token_bytes(32)).decode()  # what HOWTO prints
        assert len(parse_master_key(made)) == 32


class TestParsePreviousKeys:
    def test_comma_separated(self) -> None:
        a, b = secrets.token_bytes(32), secrets.token_bytes(32)
        assert parse_previous_keys(f"{b64(a)}, {b.hex()} ,") == [a, b]

    @pytest.mark.parametrize("text", [None, "", " , "])
    def test_empty(self, text) -> None:
        assert parse_previous_keys(text) == []

    def test_bad_item_named(self) -> None:
        bad = b64(secrets.token_bytes(16))
        with pytest.raises(ConfigurationError) as info:
            parse_previous_keys(f"{b64(secrets.token_bytes(32))},{bad}")
        assert "LLM_ENCRYPTION_KEY_PREVIOUS" in str(info.value)
        assert bad not in str(info.value)

    def test_allows_old_all_zero_default(self) -> None:
        """Data written under the JS app's all-zero default key can still be rotated."""
        assert parse_previous_keys("0" * 64) == [bytes(32)]


class TestKeyIdsAndSecrecy:
    def test_key_id_stable_and_distinct(self, key: bytes) -> None:
        assert key_id_for(key) == key_id_for(bytes(key))
        assert len(key_id_for(key)) == 16
        assert key_id_for(key) != key_id_for(secrets.token_bytes(32))
        assert Vault(key).key_id == key_id_for(key)

    def test_key_id_hides_key(self, key: bytes) -> None:
        kid = key_id_for(key)
        for form in (key.hex(), b64(key)):
            assert kid not in form and form[:16] != kid

    def test_repr_hides_keys(self, key: bytes) -> None:
        old = secrets.token_bytes(32)
        text = repr(Vault(key, [old])) + str(Vault(key, [old]))
        for k in (key, old):
            for form in (k.hex(), b64(k), repr(k)):
                assert form not in text
        assert key_id_for(key) in text

    def test_from_strings(self, key: bytes) -> None:
        old = secrets.token_bytes(32)
        vault = Vault.from_strings(b64(key), old.hex())
        assert vault.key_ids == (key_id_for(key), key_id_for(old))
        with pytest.raises(ConfigurationError):
            Vault.from_strings(None)

    @pytest.mark.parametrize("bad", [b"short", "x" * 32, None])
    def test_constructor_checks_key(self, bad) -> None:
        with pytest.raises(ConfigurationError):
            Vault(bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError):
            Vault(secrets.token_bytes(32), [bad])  # type: ignore[list-item]
