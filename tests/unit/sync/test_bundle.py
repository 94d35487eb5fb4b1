"""The sealed bundle: round trips, every refusal, a pinned known-answer vector.

Attack tests come in two kinds. Those that change bytes and leave the signature
alone show the outer check works. Those that re-sign with the real sender's key
model a buggy or dishonest enrolled sender, and show the inner layers (STREAM
nonces, header as associated data, bounded decompression) hold on their own.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import tracemalloc
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import bundle as B
from sync.bundle import MAX_BUNDLE_BYTES, Identity, Opened, PublicKeys, open_bundle, peek_header, seal
from sync.errors import (
    BundleError,
    BundleReplayed,
    BundleTampered,
    BundleTooLarge,
    BundleTruncated,
    NotABundle,
    SyncError,
    UnknownSender,
    UnsupportedBundleVersion,
    WrongRecipient,
)

DEVICE = "0123456789abcdef"
OTHER_DEVICE = "fedcba9876543210"
SERVER = "server-0123456789abcdef"
ALICE = Identity.generate()     # an enrolled laptop
MALLORY = Identity.generate()   # another enrolled laptop, dishonest
SERVER_ID = Identity.generate()
ENROLLED = {DEVICE: ALICE.public(), "mallory": MALLORY.public()}
SECRET = b"Tetiana Synthetic, +380671234567"  # must never appear in an error message


def to_server(payload: bytes, *, sender: Identity = ALICE, sender_id: str = DEVICE, **kw) -> bytes:
    return seal(payload, sender=sender, sender_id=sender_id, recipient=SERVER_ID.public(), recipient_id=SERVER, **kw)


def as_server(data: bytes, **kw) -> Opened:
    return open_bundle(data, recipient=SERVER_ID, recipient_id=SERVER, sender_key=ENROLLED.get, **kw)


def sync_json(n: int, seed: int = 7) -> bytes:
    """Sync-like JSON changes: ids, clocks and field values from a seeded generator."""
    rng = random.Random(seed)
    names = ["Олена", "Тарас", "Ірина", "Микола", "Оксана", "Андрій", "Галина", "Петро"]
    changes = [
        {
            "record_id": "%08x-%04x-7%03x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 12, 16, 48)),
            "kind": "household", "form_id": "household_needs", "form_version": "2024061201",
            "device": "%016x" % rng.getrandbits(64), "seq": i, "hlc": "%013d:%04d" % (1750000000000 + i * 37, i % 7),
            "fields": {
                "head_name": f"{rng.choice(names)} {rng.choice(names)}енко",
                "phone": "+38067%07d" % rng.randrange(10**7), "members": rng.randrange(1, 12),
                "settlement": rng.choice(["Харків", "Ізюм", "Балаклія", "Куп'янськ"]),
                "needs": rng.sample(["food", "water", "shelter", "health", "cash", "hygiene"], 3),
                "gps": [round(rng.uniform(49, 50), 6), round(rng.uniform(36, 37), 6)],
            },
        }
        for i in range(n)
    ]
    return json.dumps(changes, ensure_ascii=False).encode()


def compressing_to(target: int, seed: int = 1) -> bytes:
    """Random bytes whose compressed stream is exactly ``target`` bytes long."""
    rng = random.Random(seed)
    for n in range(max(0, target - 64), target + 1):
        p = rng.randbytes(n)
        if len(zlib.compress(p, B.COMPRESSION_LEVEL)) == target:
            return p
    raise AssertionError(f"no payload compresses to {target} bytes")


def resign(data: bytes, who: Identity = ALICE) -> bytes:
    """Replace the signature with a valid one by ``who`` (written from the spec, not the code)."""
    body = data[:-64]
    key = Ed25519PrivateKey.from_private_bytes(who.private_bytes()[:32])
    return body + key.sign(b"fieldbook/bundle/v1/signature\x00" + hashlib.sha256(body).digest())


def chunks_of(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    h = peek_header(data)
    body = data[len(h.raw) : -64]
    step = h.chunk_size + 16
    return h.raw, [body[i : i + step] for i in range(0, len(body), step)], data[-64:]


# --- round trips --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload,chunk_size",
    [
        (b"", 256),
        (SECRET, 256),
        (compressing_to(256), 256),        # exactly one full chunk
        (compressing_to(257), 256),        # one byte into a second chunk
        (compressing_to(512), 256),        # exactly two full chunks
        (compressing_to(4096), 1024),
        (sync_json(2_000), 4096),          # many chunks
        (compressing_to(64 * 1024), 64 * 1024),
    ],
    ids=["empty", "small", "one-chunk", "chunk-plus-one", "two-chunks", "four-chunks", "json-many", "default-size"],
)
def test_round_trip(payload, chunk_size):
    data = to_server(payload, chunk_size=chunk_size, kind="changes")
    header = peek_header(data)
    assert header.content_length == len(zlib.compress(payload, B.COMPRESSION_LEVEL))
    assert header.chunk_count == max(1, -(-header.content_length // chunk_size))
    assert len(data) == header.bundle_length
    opened = as_server(data)
    assert opened.payload == payload
    assert (opened.sender_id, opened.recipient_id, opened.kind) == (DEVICE, SERVER, "changes")
    assert opened.bundle_id == header.bundle_id and re.fullmatch(r"[0-9a-f]{32}", opened.bundle_id)


def test_several_megabytes_of_json_round_trip_at_under_half_the_size():
    payload = sync_json(30_000)
    assert len(payload) > 8_000_000
    data = to_server(payload)
    assert as_server(data).payload == payload
    assert len(data) <= 0.5 * len(payload), len(data) / len(payload)


def test_server_to_device_and_fresh_randomness():
    a = seal(SECRET, sender=SERVER_ID, sender_id=SERVER, recipient=ALICE.public(), recipient_id=DEVICE)
    b = seal(SECRET, sender=SERVER_ID, sender_id=SERVER, recipient=ALICE.public(), recipient_id=DEVICE)
    opened = open_bundle(a, recipient=ALICE, recipient_id=DEVICE, sender_key={SERVER: SERVER_ID.public()}.get)
    assert opened.payload == SECRET
    ha, hb = peek_header(a), peek_header(b)
    assert ha.bundle_id != hb.bundle_id and ha.ephemeral != hb.ephemeral
    assert SECRET not in a


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(max_size=6000), chunk_size=st.integers(B.MIN_CHUNK_SIZE, 2048), kind=st.from_regex(r"[a-z_.\-]{1,32}", fullmatch=True))
def test_random_payloads_round_trip(payload, chunk_size, kind):
    opened = as_server(to_server(payload, chunk_size=chunk_size, kind=kind))
    assert (opened.payload, opened.kind) == (payload, kind)


# --- every byte, every cut ------------------------------------------------------------------
def small_multi_chunk_bundle() -> bytes:
    payload = SECRET + compressing_to(600, seed=3)
    data = to_server(payload, chunk_size=256)
    assert peek_header(data).chunk_count == 3
    return data


def test_every_single_byte_flip_is_refused():
    data = small_multi_chunk_bundle()
    header_len = len(peek_header(data).raw)
    seen: set[type] = set()
    for i in range(len(data)):
        for bit in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= bit
            with pytest.raises(BundleError) as caught:
                as_server(bytes(bad))
            seen.add(type(caught.value))
            assert SECRET.decode() not in str(caught.value)
            if i >= header_len:
                assert type(caught.value) is BundleTampered, i
    # The header's fields each have their own refusal; the flips must have reached them.
    assert {NotABundle, UnsupportedBundleVersion, WrongRecipient, UnknownSender, BundleTruncated, BundleTampered} <= seen


def test_every_truncation_is_refused_as_truncated():
    data = small_multi_chunk_bundle()
    for cut in range(len(data)):
        with pytest.raises(BundleTruncated) as caught:
            as_server(data[:cut])
        if cut >= len(peek_header(data).raw):
            assert (caught.value.have, caught.value.need) == (cut, len(data))


def test_truncation_at_chunk_boundaries_and_random_offsets_of_a_large_bundle():
    data = to_server(sync_json(3_000), chunk_size=4096)
    h = peek_header(data)
    assert h.chunk_count > 20
    boundaries = [len(h.raw) + i * (h.chunk_size + 16) for i in range(h.chunk_count)] + [len(data) - 64]
    rng = random.Random(5)
    for cut in boundaries + [rng.randrange(len(data)) for _ in range(100)] + [len(data) - 1]:
        with pytest.raises(BundleTruncated):
            as_server(data[:cut])


def test_extra_bytes_after_the_end_are_refused():
    data = to_server(SECRET)
    with pytest.raises(BundleTampered, match="extra bytes"):
        as_server(data + b"\x00")


# --- STREAM: chunk order, duplication, dropping ---------------------------------------------
def test_resigning_control_an_untouched_bundle_still_opens():
    data = small_multi_chunk_bundle()
    assert resign(data) == data  # Ed25519 is deterministic: our helper signs exactly as seal does
    assert as_server(resign(data)).payload.startswith(SECRET)


@pytest.mark.parametrize("order", [[1, 0, 2], [0, 0, 2], [1, 1, 2], [0, 2, 1]])
def test_reordered_or_duplicated_chunks_are_refused_even_when_resigned(order):
    data = small_multi_chunk_bundle()
    raw, chunks, _ = chunks_of(data)
    moved = raw + b"".join(chunks[i] for i in order) + bytes(64)
    if len(moved) != len(data):
        with pytest.raises(BundleError):
            as_server(resign(moved))
        return
    with pytest.raises(BundleTampered, match="signature"):
        as_server(moved)           # the signature catches it first
    with pytest.raises(BundleTampered, match="chunk . of 3 did not authenticate"):
        as_server(resign(moved))   # and the STREAM nonces without it


def spec_key(data: bytes, who: Identity = SERVER_ID) -> tuple[bytes, bytes]:
    """The content key, derived independently from the spec: X25519, then HKDF over the header."""
    h = peek_header(data)
    shared = X25519PrivateKey.from_private_bytes(who.private_bytes()[32:]).exchange(X25519PublicKey.from_public_bytes(h.ephemeral))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fieldbook/bundle/v1/key", info=h.raw).derive(shared)
    return key, h.raw


def test_chunks_decrypt_by_the_spec_alone():
    data = small_multi_chunk_bundle()
    key, raw = spec_key(data)
    _, chunks, _ = chunks_of(data)
    aead = AESGCM(key)
    content = b"".join(
        aead.decrypt(b"\x00" * 3 + i.to_bytes(8, "big") + bytes([i == len(chunks) - 1]), c, raw) for i, c in enumerate(chunks)
    )
    assert zlib.decompress(content).startswith(SECRET)


@pytest.mark.parametrize("keep", [slice(0, 2), slice(0, 1), slice(1, 3), slice(1, 2)])
def test_dropping_chunks_is_caught_by_the_last_chunk_flag(keep):
    data = small_multi_chunk_bundle()
    key, raw = spec_key(data)
    _, chunks, _ = chunks_of(data)
    assert len(B._decrypt_chunks(key, raw, chunks)) == peek_header(data).content_length  # control
    with pytest.raises(BundleTampered, match="did not authenticate"):
        B._decrypt_chunks(key, raw, chunks[keep])


def test_a_chunk_moved_to_a_bundle_with_another_header_is_refused():
    data = small_multi_chunk_bundle()
    key, raw = spec_key(data)
    _, chunks, _ = chunks_of(data)
    other = bytearray(raw)
    other[11] ^= 1  # created_ms: same key, different associated data
    with pytest.raises(BundleTampered):
        B._decrypt_chunks(key, bytes(other), chunks)


# --- who may send, who may open --------------------------------------------------------------
def test_wrong_recipient_id():
    data = seal(SECRET, sender=ALICE, sender_id=DEVICE, recipient=MALLORY.public(), recipient_id="mallory")
    with pytest.raises(WrongRecipient, match="addressed to 'mallory'"):
        as_server(data)


def test_wrong_recipient_key_same_id():
    rekeyed = Identity.generate()
    with pytest.raises(WrongRecipient, match="different key") as caught:
        open_bundle(to_server(SECRET), recipient=rekeyed, recipient_id=SERVER, sender_key=ENROLLED.get)
    assert caught.value.key_differs


def test_unknown_or_revoked_sender():
    asked = []

    def revoked(sender_id: str) -> PublicKeys | None:
        asked.append(sender_id)
        return None

    with pytest.raises(UnknownSender, match=DEVICE):
        open_bundle(to_server(SECRET), recipient=SERVER_ID, recipient_id=SERVER, sender_key=revoked)
    assert asked == [DEVICE]


def test_signature_by_another_key_under_a_valid_looking_header():
    # Mallory seals a well-formed bundle that claims to come from Alice.
    forged = to_server(SECRET, sender=MALLORY, sender_id=DEVICE)
    with pytest.raises(BundleTampered, match="signature"):
        as_server(forged)
    # Mallory re-signs Alice's own bundle.
    with pytest.raises(BundleTampered, match="signature"):
        as_server(resign(to_server(SECRET), MALLORY))
    # Control: the same key under its own id is accepted.
    assert as_server(to_server(SECRET, sender=MALLORY, sender_id="mallory")).sender_id == "mallory"


def test_signature_covers_the_header_even_when_chunks_would_still_decrypt():
    # Changing the sender id to Mallory's and re-signing as Mallory breaks the key (header is HKDF info).
    data = to_server(SECRET, sender_id="mallory", sender=MALLORY)
    assert as_server(data).sender_id == "mallory"
    claimed = data.replace(b"\x07mallory", b"\x07mallorz")
    enrolled = dict(ENROLLED, mallorz=MALLORY.public())
    with pytest.raises(BundleTampered, match="did not authenticate"):
        open_bundle(resign(claimed, MALLORY), recipient=SERVER_ID, recipient_id=SERVER, sender_key=enrolled.get)


# --- sizes -------------------------------------------------------------------------------------
def test_oversized_input_is_refused_before_parsing():
    data = to_server(SECRET)
    with pytest.raises(BundleTooLarge):
        as_server(data, max_bytes=len(data) - 1)
    with pytest.raises(BundleTooLarge):
        as_server(b"\x00" * 1001, max_bytes=1000)  # not even parsed
    assert as_server(data, max_bytes=len(data)).payload == SECRET


def test_a_header_declaring_an_oversized_bundle_is_refused_from_its_first_bytes():
    data = to_server(sync_json(500), chunk_size=1024)
    h = peek_header(data)
    with pytest.raises(BundleTooLarge):
        peek_header(data[: len(h.raw)], max_bytes=h.bundle_length - 1)


def test_seal_refuses_what_no_reader_would_open(monkeypatch):
    with pytest.raises(BundleTooLarge):
        to_server(bytes(B.MAX_PAYLOAD_BYTES + 1))
    monkeypatch.setattr(B, "MAX_BUNDLE_BYTES", 4096)
    with pytest.raises(BundleTooLarge):
        to_server(random.Random(1).randbytes(5000))


def test_zip_bomb_is_refused_under_a_given_cap():
    data = to_server(bytes(32 * 1024 * 1024))
    assert len(data) < 256 * 1024  # over 200:1
    with pytest.raises(BundleTooLarge, match="decompressed"):
        as_server(data, max_payload_bytes=8 * 1024 * 1024)
    # Exactly at the cap is allowed; one byte under is not.
    assert len(as_server(data, max_payload_bytes=32 * 1024 * 1024).payload) == 32 * 1024 * 1024
    with pytest.raises(BundleTooLarge):
        as_server(data, max_payload_bytes=32 * 1024 * 1024 - 1)


def test_zip_bomb_costs_no_more_memory_than_the_cap():
    data = to_server(bytes(48 * 1024 * 1024))
    cap = 4 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(BundleTooLarge):
            as_server(data, max_payload_bytes=cap)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # zlib gathers output in blocks, then joins them: twice the cap at worst, not 48 MiB.
    assert peak < 2.5 * cap + 4 * len(data), peak


def test_zip_bomb_over_the_hard_limit_from_an_enrolled_sender_is_refused():
    # seal() refuses such a payload, so build the bomb one layer down, as a hostile sender would.
    z = zlib.compressobj(9)
    block = bytes(1 << 20)
    content = b"".join(z.compress(block) for _ in range(B.MAX_PAYLOAD_BYTES // len(block) + 1)) + z.flush()
    data = B._seal_compressed(
        content, sender=ALICE, sender_id=DEVICE, recipient=SERVER_ID.public(), recipient_id=SERVER, kind="changes",
        chunk_size=B.DEFAULT_CHUNK_SIZE, ephemeral=X25519PrivateKey.generate(), bundle_id=bytes(16), created_ms=0,
    )
    assert len(data) < MAX_BUNDLE_BYTES // 100
    with pytest.raises(BundleTooLarge, match="decompressed"):
        as_server(data)


@pytest.mark.parametrize("content", [b"not zlib at all", zlib.compress(SECRET)[:-3], zlib.compress(SECRET) + b"junk"])
def test_corrupt_compressed_content_from_an_enrolled_sender_is_refused(content):
    data = B._seal_compressed(
        content, sender=ALICE, sender_id=DEVICE, recipient=SERVER_ID.public(), recipient_id=SERVER, kind="changes",
        chunk_size=256, ephemeral=X25519PrivateKey.generate(), bundle_id=bytes(16), created_ms=0,
    )
    with pytest.raises(BundleTampered, match="compressed payload"):
        as_server(data)


# --- versions and garbage ------------------------------------------------------------------------
@pytest.mark.parametrize("version", [2, 0x7F, 0xFF])
def test_a_future_version_is_named_as_such(version):
    data = bytearray(to_server(SECRET))
    data[8] = version
    for candidate in (bytes(data), B.MAGIC + bytes([version]), B.MAGIC + bytes([version]) + b"anything at all"):
        with pytest.raises(UnsupportedBundleVersion, match="newer Fieldbook") as caught:
            as_server(candidate)
        assert "Update Fieldbook" in str(caught.value) and caught.value.version == version


@pytest.mark.parametrize(
    "garbage",
    [
        b"{}", b'{"changes": []}', b"PK\x03\x04" + bytes(100), b"\x89PNG\r\n\x1a\n" + bytes(100),
        random.Random(9).randbytes(4096), b"\x89FBB\r\n\x1a\n\x00" + bytes(200),   # version 0
        B.MAGIC + b"\x01\x00\x05" + bytes(200),                                   # header length too small
        B.MAGIC + b"\x01\xff\xff" + bytes(70000),                                 # header length too large
        b"\x89FBB\n\x1a\n\x01" + bytes(300),                                      # CR lost on the way
    ],
)
def test_garbage_is_not_a_bundle(garbage):
    with pytest.raises(NotABundle):
        as_server(garbage)
    with pytest.raises(NotABundle):
        peek_header(garbage)


@pytest.mark.parametrize("where", ["kind", "sender", "recipient"])
def test_header_strings_outside_the_alphabet_are_refused(where):
    data = to_server(SECRET, kind="changes")
    target = {"kind": b"\x07changes", "sender": b"\x10" + DEVICE.encode(), "recipient": b"\x17" + SERVER.encode()}[where]
    assert data.count(target) == 1
    for bad_char in (b" ", b"\n", b"\xd0", b"/"):
        with pytest.raises(NotABundle, match="malformed"):
            as_server(data.replace(target, target[:2] + bad_char + target[3:]))


def test_a_header_whose_fields_disagree_with_its_length_is_refused():
    data = to_server(SECRET)
    raw = peek_header(data).raw
    lengths = raw[9:11]
    for delta in (-1, +1):
        bad = bytearray(data)
        bad[9:11] = (int.from_bytes(lengths, "big") + delta).to_bytes(2, "big")
        with pytest.raises(NotABundle, match="header"):
            peek_header(bytes(bad))


@pytest.mark.parametrize("chunk_size", [0, 255, 1024 * 1024 + 1, 2**32 - 1])
def test_chunk_size_limits(chunk_size):
    data = bytearray(to_server(SECRET))
    data[35:39] = chunk_size.to_bytes(4, "big")
    with pytest.raises(NotABundle, match="chunk size"):
        as_server(bytes(data))
    with pytest.raises(ValueError):
        to_server(SECRET, chunk_size=chunk_size)


def test_a_zero_content_length_is_refused():
    data = bytearray(to_server(SECRET))
    data[39:47] = bytes(8)
    with pytest.raises(NotABundle, match="empty"):
        as_server(bytes(data))


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "ünï", "a/b", "a\nb"])
def test_seal_refuses_ids_outside_the_alphabet(bad):
    with pytest.raises(ValueError):
        to_server(SECRET, sender_id=bad)
    with pytest.raises(ValueError):
        seal(SECRET, sender=ALICE, sender_id=DEVICE, recipient=SERVER_ID.public(), recipient_id=bad)
    with pytest.raises(ValueError):
        to_server(SECRET, kind=bad if bad else "k" * 33)


# --- store-and-forward ---------------------------------------------------------------------------
def test_peek_header_needs_no_keys_and_works_on_a_prefix():
    data = to_server(SECRET, kind="changes", sender_id=DEVICE)
    h = peek_header(data)
    assert (h.version, h.kind, h.sender_id, h.recipient_id) == (1, "changes", DEVICE, SERVER)
    assert h.recipient_box == SERVER_ID.public().box and h.bundle_length == len(data)
    assert abs(h.created_ms - peek_header(to_server(b"")).created_ms) < 60_000
    assert peek_header(data[: len(h.raw)]) == h
    # A laptop that is not the recipient can read where it goes, but cannot open it.
    with pytest.raises(WrongRecipient):
        open_bundle(data, recipient=ALICE, recipient_id=DEVICE, sender_key=ENROLLED.get)


# --- keys ------------------------------------------------------------------------------------------
def test_identity_private_bytes_round_trip():
    raw = ALICE.private_bytes()
    assert len(raw) == 64
    again = Identity.from_private_bytes(raw)
    assert again.public() == ALICE.public()
    data = seal(SECRET, sender=SERVER_ID, sender_id=SERVER, recipient=ALICE.public(), recipient_id=DEVICE)
    assert open_bundle(data, recipient=again, recipient_id=DEVICE, sender_key={SERVER: SERVER_ID.public()}.get).payload == SECRET
    for bad in (raw[:63], raw + b"\x00", b""):
        with pytest.raises(ValueError):
            Identity.from_private_bytes(bad)
    assert raw.hex() not in repr(ALICE) and raw[:32].hex() not in repr(ALICE)
    assert ALICE.public().fingerprint() in repr(ALICE)


def test_public_keys_json_is_strict_base64url():
    pub = ALICE.public()
    d = pub.to_json()
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The last of 43 characters carries 4 key bits and 2 zero bits; setting one gives a second spelling.
    non_canonical = d["sign"][:-1] + b64[b64.index(d["sign"][-1]) ^ 1]
    assert set(d) == {"sign", "box"} and all(re.fullmatch(r"[A-Za-z0-9_\-]{43}", v) for v in d.values())
    assert PublicKeys.from_json(json.loads(json.dumps(d))) == pub
    for bad in (
        {"sign": d["sign"] + "=", "box": d["box"]},        # padding
        {"sign": d["sign"][:-1], "box": d["box"]},          # short
        {"sign": d["sign"], "box": d["box"], "extra": ""},  # unknown key
        {"sign": "+" + d["sign"][1:], "box": d["box"]},      # the other alphabet
        {"sign": non_canonical, "box": d["box"]},
        {"box": d["box"]},
        ["not", "a", "dict"],
    ):
        with pytest.raises(ValueError):
            PublicKeys.from_json(bad)
    with pytest.raises(ValueError):
        PublicKeys(sign=b"\x00" * 31, box=b"\x00" * 32)


def test_fingerprint_is_short_stable_and_key_dependent():
    fp = ALICE.public().fingerprint()
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){4}", fp)
    assert fp == ALICE.public().fingerprint() != MALLORY.public().fingerprint()
    pinned = PublicKeys(sign=bytes(32), box=bytes(range(32)))
    expected = hashlib.sha256(b"fieldbook/key-fingerprint/v1\x00" + bytes(32) + bytes(range(32))).hexdigest()[:20]
    assert pinned.fingerprint().replace("-", "") == expected


# --- errors ------------------------------------------------------------------------------------------
def test_every_bundle_error_is_a_sync_error_with_a_sentence():
    errors = [
        NotABundle("x"), UnsupportedBundleVersion(2), BundleTruncated(10, 20), BundleTruncated(3, None),
        BundleTampered("x"), WrongRecipient("a", "b"), WrongRecipient("a", "a", key_differs=True),
        UnknownSender("a"), BundleTooLarge("bundle", 70 * 2**20, 64 * 2**20), BundleReplayed("00" * 16),
    ]
    for e in errors:
        assert isinstance(e, BundleError) and isinstance(e, SyncError)
        text = str(e)
        assert text[0].isupper() and text.endswith(".") and "\n" not in text
    assert "70.0 MB" in str(errors[8]) and "64.0 MB" in str(errors[8])
    assert "10 of 20 bytes" in str(errors[2])


# --- known answers -------------------------------------------------------------------------------------
def test_x25519_rfc7748_vector():
    alice = X25519PrivateKey.from_private_bytes(bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob_pub = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    assert alice.exchange(X25519PublicKey.from_public_bytes(bob_pub)).hex() == (
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    )


def test_ed25519_rfc8032_test_1():
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    Ed25519PublicKey.from_public_bytes(bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")).verify(
        key.sign(b""), b""
    )


KAT_SENDER = Identity.from_private_bytes(bytes(range(64)))
KAT_SERVER = Identity.from_private_bytes(bytes(range(64, 128)))
KAT_PAYLOAD = (
    "["
    + ",".join(
        '{"record_id":"01a2023c-fe5e-7af9-91ac-%012x","hlc":"%013d:0000","fields":{"head_name":"Тетяна %d","members":%d}}'
        % (i * 7919, 1750000000000 + i, i, i % 9)
        for i in range(12)
    )
    + "]"
).encode()
KAT_ARGS = dict(
    sender=KAT_SENDER, sender_id=DEVICE, recipient=KAT_SERVER.public(), recipient_id=SERVER, kind="changes", chunk_size=256,
)
KAT_FIXED = dict(_ephemeral=bytes(range(128, 160)), _bundle_id=bytes(range(16)), _created_ms=1750000000000)
KAT_SHA256 = "dc8010e09b75a180c082be914042c349f4d8b5c6ea564480bf784af006df9149"
KAT_BUNDLE = bytes.fromhex(
    "894642420d0a1a0a0100a0000001977420dc00000102030405060708090a0b0c0d0e0f00000100000000000000011667"
    "5dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f493e82fc74464a59268817623d2053c5eb"
    "8e2cc4a988b4fee179ec6b010d531d076368616e6765731030313233343536373839616263646566177365727665722d"
    "3031323334353637383961626364656680823d4633061394715910b92a1c580eba0c49ed4d5ec4af96187277a83a00e3"
    "f25d0c695b2895c028364c894e90b755ccb6b751c968978d1e1a875d55c2ea2f7c446c543f4fc1d00892684c09485523"
    "cf80d9584c10a43dd46dcca921b503928d3438a4ff9ce7e783132c9e8743c8cbcd27a73709be4febcc566e49fd0f9486"
    "63e252d17e7f91f94ad364fccd53837852b08373fd654e308e253fadfb6e0158c15b7fb33fb231051b4679d33ccf1f69"
    "185c23018d80d721881de493c610d3f87d0298fa2f17834ac1d2dc4d891d35cfc44b55feddaca8cc081277e4e1670332"
    "588851665dd390048a3ea7eeeb899278700292b617cbeee8600d86a9b16ec0011cc45d0a34d3201900a47d4eb0f8f63f"
    "b6492a4b30dcf0a2eada0f11877aafe37b771fe6da0307978bea249c66eb375e288180c8f984c1f082085cf866fb5bde"
    "80da6d1b4f645d04c517dc322d352795476136c6ac3644a7dad10b5fa1531aec513b8f8eac6cbea1a10f0891b1563925"
    "1fc8a6b82d08"
)


def test_known_answer_bundle_opens_and_is_what_seal_makes():
    """Pinned once, never regenerated: a change here strands every bundle in transit.

    The deflate stream is the platform zlib's choice, not part of the format, so
    the byte-exact check seals the pinned bundle's own compressed content; a
    second check ties ``seal`` to that path with whatever zlib is installed.
    """
    assert hashlib.sha256(KAT_BUNDLE).hexdigest() == KAT_SHA256
    opened = open_bundle(KAT_BUNDLE, recipient=KAT_SERVER, recipient_id=SERVER, sender_key={DEVICE: KAT_SENDER.public()}.get)
    assert opened == Opened(
        bundle_id="000102030405060708090a0b0c0d0e0f", sender_id=DEVICE, recipient_id=SERVER, kind="changes",
        created_ms=1750000000000, payload=KAT_PAYLOAD,
    )
    assert opened.payload == KAT_PAYLOAD
    h = peek_header(KAT_BUNDLE)
    assert (h.chunk_count, len(h.raw), h.bundle_length) == (2, 160, 534)
    assert h.raw[:11].hex() == "894642420d0a1a0a0100a0"
    key, raw = spec_key(KAT_BUNDLE, KAT_SERVER)
    assert key.hex() == "848e3625a789797065e799f3ccb7d645c5ce51b47dbabcc76307c6670e2e5915"
    content = B._decrypt_chunks(key, raw, chunks_of(KAT_BUNDLE)[1])
    resealed = B._seal_compressed(
        content, ephemeral=X25519PrivateKey.from_private_bytes(KAT_FIXED["_ephemeral"]),
        bundle_id=KAT_FIXED["_bundle_id"], created_ms=KAT_FIXED["_created_ms"], **KAT_ARGS,
    )
    assert resealed == KAT_BUNDLE
    assert seal(KAT_PAYLOAD, **KAT_ARGS, **KAT_FIXED) == B._seal_compressed(
        zlib.compress(KAT_PAYLOAD, B.COMPRESSION_LEVEL), ephemeral=X25519PrivateKey.from_private_bytes(KAT_FIXED["_ephemeral"]),
        bundle_id=KAT_FIXED["_bundle_id"], created_ms=KAT_FIXED["_created_ms"], **KAT_ARGS,
    )



def test_the_spec_quotes_the_pinned_vector_and_every_error():
    spec = (Path(__file__).resolve().parents[3] / "docs" / "sync.md").read_text(encoding="utf-8")
    section = spec[spec.index("## Bundle format") :]
    row = re.search(r"\| header \(160 bytes\) \| (.*) \|\n", section)
    assert row and "".join(re.findall(r"`([0-9a-f]+)`", row.group(1))) == peek_header(KAT_BUNDLE).raw.hex()
    assert KAT_SHA256 in section and spec_key(KAT_BUNDLE, KAT_SERVER)[0].hex() in section
    for error in (NotABundle, UnsupportedBundleVersion, BundleTruncated, BundleTampered, WrongRecipient, UnknownSender, BundleTooLarge, BundleReplayed):
        assert f"`{error.__name__}`" in section, error.__name__
    assert f"| 0 | 8 | magic | `{' '.join(f'{b:02X}' for b in B.MAGIC)}`" in section
