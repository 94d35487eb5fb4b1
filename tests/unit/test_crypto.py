"""Known-answer vectors for every primitive the store uses, then for our own formats.

Published vectors prove the primitives are wired correctly; the pinned vectors of
our formats (sealed blobs, blind-index tokens, sub-keys, the recovery-key text)
catch an accidental format change, which would strand every existing store.
"""
from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from storage import crypto

K32 = bytes(range(32))


# --- published vectors ------------------------------------------------------------
def test_hkdf_rfc5869_case_1():
    okm = crypto.hkdf(b"\x0b" * 22, info=bytes(range(0xF0, 0xFA)), salt=bytes(range(13)), length=42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_hmac_sha256_rfc4231_case_2():
    # chain_mac and blind_token are built on this primitive.
    assert hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_aes256_gcm_mcgrew_viega_cases_13_and_14():
    aead = AESGCM(bytes(32))
    assert aead.encrypt(bytes(12), b"", None).hex() == "530f8afbc74536b9a963b4f1c4cb738b"
    assert aead.encrypt(bytes(12), bytes(16), None).hex() == (
        "cea7403d4d606b6e074ec5d3baf39d18" "d0d1c8a799996bf0265b98b5d48ab919"
    )


def test_argon2id_rfc9106_vector():
    kdf = Argon2id(salt=b"\x02" * 16, length=32, iterations=3, lanes=4, memory_cost=32, ad=b"\x04" * 12, secret=b"\x03" * 8)
    assert kdf.derive(b"\x01" * 32).hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


# --- our formats, pinned ------------------------------------------------------------
def test_user_key_derivation_is_plain_argon2id():
    params = crypto.KdfParams(salt=b"somesaltsomesalt", iterations=2, lanes=1, memory_kib=64)
    expected = Argon2id(salt=b"somesaltsomesalt", length=32, iterations=2, lanes=1, memory_cost=64).derive(b"password")
    assert crypto.derive_user_key("password", params) == expected
    assert expected.hex() == "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1"


def test_sealed_blob_format():
    rid = "01a2023c-fe5e-7af9-91ac-85f2126ab947"
    plaintext = '{"head_name":"О"}'.encode()
    blob = crypto.Sealer(K32).seal("record", rid, plaintext, nonce=bytes(range(12)))
    assert blob.hex() == (
        "01000102030405060708090a0b3c20be7ea4819d75ec2cf2a98bcba8f3a1ab9c2a719195250badeb1b44f3dd75fd30"
    )
    # Independently: version byte, nonce, then AES-GCM under AD "purpose|id|key version".
    assert blob[0] == 1 and blob[1:13] == bytes(range(12))
    assert AESGCM(K32).decrypt(blob[1:13], blob[13:], f"record|{rid}|1".encode()) == plaintext


def test_blind_token_format():
    token = crypto.blind_token(K32, "household", "phone", "380671234567")
    expected = hmac.new(K32, b"household\x1fphone\x1f380671234567", hashlib.sha256).digest()[:16]
    assert token == expected
    assert token.hex() == "c70a2da9a7840d4b71e3570402321076"


def test_sub_keys_are_hkdf_with_labels():
    sk = crypto.sub_keys(K32, "profile-1")
    assert sk.records == crypto.hkdf(K32, b"fieldbook/records/v1", b"profile-1")
    assert sk.records.hex() == "32fae93d4f4b0c340966a0440900bfb9f1a905258cc9e501586d858508bcdeec"
    assert sk.blind_index.hex() == "9b94f7b2d1c70bebabcb7725bc6bc484a92de974bdda84f29c498fa448bc397d"
    assert sk.audit.hex() == "1340e08c75faea9dda699779503161d884ba77be828d03b06e98d6e7334df162"
    assert len({sk.records, sk.blind_index, sk.audit}) == 3


def test_chain_mac_length_prefixes_parts():
    mac = crypto.chain_mac(K32, b"", ("genesis", "p"))
    expected = hmac.new(K32, b"\x00\x00\x00\x07genesis\x00\x00\x00\x01p", hashlib.sha256).digest()
    assert mac == expected
    # Moving a byte from one part to the next must change the link.
    assert crypto.chain_mac(K32, b"", ("ab", "c")) != crypto.chain_mac(K32, b"", ("a", "bc"))


def test_chain_macs_match_chain_mac():
    macs = crypto.ChainMacs(K32)
    prev = b""
    for parts in [("genesis", "p"), ("1", "0190", "device:x", "sync_edit", "", b"\x00\xff"), ("2", "", b"")]:
        assert macs.mac(prev, parts) == crypto.chain_mac(K32, prev, parts)
        prev = crypto.chain_mac(K32, prev, parts)
    with pytest.raises(ValueError):
        crypto.ChainMacs(b"k" * 65)


def test_recovery_key_text_format():
    raw = bytes(range(20))
    assert crypto.b32encode(raw) == "000G40R40M30E209185GR38E1W8124GK"
    text = crypto.format_recovery_key(raw)
    assert text == "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-290Y"
    assert crypto.recovery_kek(raw, "profile-1").hex() == "acaaff907688eea15b2ffbe13e2b2ef80d10c30f443038be5bcf17d9e880cd2d"


# --- adversarial ------------------------------------------------------------------------
def test_recovery_key_forgives_case_spaces_and_lookalikes_but_catches_typos():
    text, raw = crypto.new_recovery_key()
    assert crypto.parse_recovery_key(text.lower().replace("-", " ")) == raw
    assert crypto.parse_recovery_key(text.replace("0", "O").replace("1", "l")) == raw
    flipped = ("1" if text[5] != "1" else "2").join([text[:5], text[6:]])
    with pytest.raises(ValueError, match="mistyped"):
        crypto.parse_recovery_key(flipped)
    with pytest.raises(ValueError, match="36 characters"):
        crypto.parse_recovery_key(text[:-2])
    with pytest.raises(ValueError, match="never appear"):
        crypto.parse_recovery_key(text[:-1] + "U")


@pytest.mark.parametrize("purpose,identity", [("change", "x"), ("record", "other-id")])
def test_sealed_blob_refuses_another_place(purpose, identity):
    sealer = crypto.Sealer(K32)
    blob = sealer.seal("record", "x", b"value")
    with pytest.raises(crypto.AuthenticationFailed):
        sealer.open(purpose, identity, blob)


def test_sealed_blob_refuses_every_single_bit_flip():
    sealer = crypto.Sealer(K32)
    blob = sealer.seal("record", "x", b"Tetiana Synthetic")
    for i in range(len(blob)):
        for bit in (0x01, 0x80):
            bad = bytearray(blob)
            bad[i] ^= bit
            with pytest.raises(crypto.AuthenticationFailed):
                sealer.open("record", "x", bytes(bad))
    for cut in (0, 1, 13, len(blob) - 1):
        with pytest.raises(crypto.AuthenticationFailed):
            sealer.open("record", "x", blob[:cut])


def test_sealing_twice_uses_fresh_nonces():
    sealer = crypto.Sealer(K32)
    assert sealer.seal("record", "x", b"same") != sealer.seal("record", "x", b"same")


def test_sealing_a_batch_gives_the_same_format_with_fresh_nonces():
    sealer = crypto.Sealer(K32)
    seal = sealer.sealing("record", 3)
    blobs = [seal("a", b"one"), seal("b", b"two"), seal("b", b"two")]
    assert [sealer.open("record", i, blob) for i, blob in zip("abb", blobs)] == [b"one", b"two", b"two"]
    assert len({blob[1:13] for blob in blobs}) == 3 and blobs[1] != blobs[2]
    with pytest.raises(crypto.AuthenticationFailed):
        sealer.open("record", "b", blobs[0])
    with pytest.raises(StopIteration):  # more than it was drawn for: refused, never a nonce reused
        seal("c", b"four")


def test_blind_tokens_of_a_batch_match_single_tokens():
    values = ["380671234567", "380501112233", ""]
    prefix = crypto.blind_prefix("household", "phone")
    assert crypto.blind_tokens(K32, prefix, values) == [crypto.blind_token(K32, "household", "phone", v) for v in values]
    assert crypto.blind_tokens(K32, prefix, values)[0].hex() == "c70a2da9a7840d4b71e3570402321076"


@given(st.binary(min_size=0, max_size=64), st.text(max_size=20), st.text(max_size=200))
def test_batched_blind_tokens_are_plain_hmac_sha256(key, field, value):
    prefix = crypto.blind_prefix("household", field)
    expected = hmac.new(key, prefix + value.encode(), hashlib.sha256).digest()[:16]
    assert crypto.blind_tokens(key, prefix, [value]) == [expected]


def test_wrapped_key_is_bound_to_its_slot():
    kek, data_key = bytes(32), crypto.new_data_key()
    wrapped = crypto.wrap_key(kek, data_key, b"slot-a")
    assert crypto.unwrap_key(kek, wrapped, b"slot-a") == data_key
    with pytest.raises(crypto.AuthenticationFailed):
        crypto.unwrap_key(kek, wrapped, b"slot-b")
    with pytest.raises(crypto.AuthenticationFailed):
        crypto.unwrap_key(b"\x01" * 32, wrapped, b"slot-a")


def test_production_kdf_parameters_are_strong():
    params = crypto.KdfParams.new()
    assert params.memory_kib >= 64 * 1024 and params.iterations >= 2 and len(params.salt) == 16
    assert crypto.KdfParams.new().salt != params.salt
