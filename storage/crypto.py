"""Key derivation, key wrapping and value sealing for the local store.

The key hierarchy (see docs/security.md):

    passphrase --Argon2id--> user key --AES-GCM wrap--> data key (random 256 bits)
    recovery key --HKDF----> recovery key-encryption key --wrap--> the same data key
    data key --HKDF--> records key | blind-index key | audit key

Sealed blobs say what they are (rules/envelope.py, shared with the hub): one version
byte (the key version), a 96-bit random nonce, then the AES-256-GCM ciphertext and tag. The associated data binds
each blob to its place (purpose and row identity), so a blob copied to another
row, or another purpose, fails authentication.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import asdict, dataclass
from typing import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rules import envelope

KEY_BYTES = 32
NONCE_BYTES = envelope.NONCE_BYTES
KEY_VERSION = envelope.VERSION


class AuthenticationFailed(Exception):
    """A sealed blob or wrapped key did not authenticate (wrong key, or tampered)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored beside each key slot so they can be retuned later."""

    salt: bytes
    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 112 * 1024  # 0.2-0.45 s measured on the reference 2-core machine

    @classmethod
    def new(cls, *, iterations: int = 3, lanes: int = 4, memory_kib: int = 112 * 1024) -> "KdfParams":
        return cls(salt=os.urandom(16), iterations=iterations, lanes=lanes, memory_kib=memory_kib)

    def to_json(self) -> dict:
        d = asdict(self)
        d["salt"] = self.salt.hex()
        d["alg"] = "argon2id"
        return d

    @classmethod
    def from_json(cls, d: dict) -> "KdfParams":
        if d.get("alg") != "argon2id":
            raise ValueError("unknown key-derivation algorithm")
        return cls(
            salt=bytes.fromhex(d["salt"]),
            iterations=int(d["iterations"]),
            lanes=int(d["lanes"]),
            memory_kib=int(d["memory_kib"]),
        )


# Cheap parameters for tests only; never used unless a caller passes them explicitly.
def fast_kdf_for_tests() -> KdfParams:
    return KdfParams.new(iterations=1, lanes=1, memory_kib=8)


def derive_user_key(passphrase: str, params: KdfParams) -> bytes:
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def hkdf(key: bytes, info: bytes, salt: bytes | None = None, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def wrap_key(kek: bytes, data_key: bytes, ad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, ad)


def unwrap_key(kek: bytes, wrapped: bytes, ad: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], ad)
    except (InvalidTag, ValueError) as exc:
        raise AuthenticationFailed() from exc


@dataclass(frozen=True)
class SubKeys:
    records: bytes
    blind_index: bytes
    audit: bytes


def sub_keys(data_key: bytes, profile_id: str) -> SubKeys:
    salt = profile_id.encode()
    return SubKeys(
        records=hkdf(data_key, b"fieldbook/records/v1", salt),
        blind_index=hkdf(data_key, b"fieldbook/blind-index/v1", salt),
        audit=hkdf(data_key, b"fieldbook/audit/v1", salt),
    )


class Sealer:
    """AES-256-GCM with place-bound associated data: ``purpose|identity|key version``."""

    __slots__ = ("aead",)

    def __init__(self, key: bytes) -> None:
        self.aead = AESGCM(key)

    def seal(self, purpose: str, identity: str, plaintext: bytes, *, nonce: bytes | None = None) -> bytes:
        # ``nonce`` is only for known-answer tests; production always draws a fresh one.
        return envelope.seal(self.aead, plaintext, f"{purpose}|{identity}|{KEY_VERSION}".encode(), nonce=nonce)

    def sealing(self, purpose: str, count: int) -> Callable[[str, bytes], bytes]:
        """A ``seal(identity, plaintext)`` for a batch of up to ``count`` values: the same
        envelope (rules/envelope.py), with the fresh nonces drawn from the system generator
        in one call. (Laid out inline, not through ``envelope.seal``: a bulk save seals
        every record through it, and the extra call measured in the save's time.)"""
        drawn = os.urandom(NONCE_BYTES * count)
        nonces = iter([drawn[i : i + NONCE_BYTES] for i in range(0, len(drawn), NONCE_BYTES)])
        encrypt = self.aead.encrypt
        ad = f"{purpose}|%s|{KEY_VERSION}"
        header = envelope.HEADER

        def seal(identity: str, plaintext: bytes) -> bytes:
            nonce = next(nonces)  # StopIteration past ``count``: never a nonce twice
            return header + nonce + encrypt(nonce, plaintext, (ad % identity).encode())

        return seal

    def open(self, purpose: str, identity: str, blob: bytes) -> bytes:
        try:
            return envelope.open_sealed(self.aead, blob, f"{purpose}|{identity}|{KEY_VERSION}".encode())
        except (envelope.MalformedEnvelope, InvalidTag) as exc:
            raise AuthenticationFailed() from exc


def blind_token(key: bytes, kind: str, field: str, normalised: str) -> bytes:
    """A truncated HMAC-SHA256 of the normalised value, scoped to kind and field.

    128 bits keep collisions negligible at any realistic scale while halving the
    index size; the key never leaves the unlocked store.
    """
    return blind_token_with_prefix(key, blind_prefix(kind, field), normalised)


def blind_prefix(kind: str, field: str) -> bytes:
    """The part of a blind token's message that a bulk write shares between records."""
    return f"{kind}\x1f{field}\x1f".encode()


def blind_token_with_prefix(key: bytes, prefix: bytes, normalised: str) -> bytes:
    return hmac.digest(key, prefix + normalised.encode(), "sha256")[:16]


def blind_tokens(key: bytes, prefix: bytes, normalised: list[str]) -> list[bytes]:
    """``blind_token`` of many values of one kind and field (a bulk write).

    The same HMAC-SHA256 (RFC 2104), with the key pads and the shared prefix
    hashed once for the batch instead of once per value: about 3x faster per
    token. Tests check it against ``hmac.digest`` and a fixed vector.
    """
    if len(key) > _SHA256_BLOCK:
        raise ValueError("blind-index keys are at most one SHA-256 block")
    padded = key.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(padded.translate(_IPAD) + prefix)
    outer = hashlib.sha256(padded.translate(_OPAD))
    tokens = []
    for value in normalised:
        i = inner.copy()
        i.update(value.encode())
        o = outer.copy()
        o.update(i.digest())
        tokens.append(o.digest()[:16])
    return tokens


_SHA256_BLOCK = 64
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def chain_mac(key: bytes, previous: bytes, parts: tuple[str | bytes, ...]) -> bytes:
    """HMAC over the previous link and length-prefixed parts (no ambiguity between fields)."""
    chunks = [previous]
    for part in parts:
        b = part.encode() if isinstance(part, str) else part
        chunks.append(len(b).to_bytes(4, "big"))
        chunks.append(b)
    return hmac.digest(key, b"".join(chunks), "sha256")


class ChainMacs:
    """``chain_mac`` for many links under one key (a pulled page's audit entries).

    The same HMAC-SHA256 (RFC 2104) as ``chain_mac``, with the key pads hashed once
    instead of once per link, as ``blind_tokens`` does. Tests check it against
    ``chain_mac``."""

    def __init__(self, key: bytes) -> None:
        if len(key) > _SHA256_BLOCK:
            raise ValueError("audit keys are at most one SHA-256 block")
        padded = key.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(padded.translate(_IPAD))
        self._outer = hashlib.sha256(padded.translate(_OPAD))

    def mac(self, previous: bytes, parts: tuple[str | bytes, ...]) -> bytes:
        chunks = [previous]
        for part in parts:
            b = part.encode() if isinstance(part, str) else part
            chunks.append(len(b).to_bytes(4, "big"))
            chunks.append(b)
        i = self._inner.copy()
        i.update(b"".join(chunks))
        o = self._outer.copy()
        o.update(i.digest())
        return o.digest()


# --- the printable recovery key -------------------------------------------------
# 160 random bits in Crockford base32 (no I, L, O, U: nothing to misread), eight
# groups of four, then one check group so that a typo is told apart from a wrong key.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})
RECOVERY_BYTES = 20


def b32encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big")
    n = (len(data) * 8 + 4) // 5
    pad = n * 5 - len(data) * 8
    bits <<= pad
    return "".join(_ALPHABET[(bits >> (5 * (n - 1 - i))) & 31] for i in range(n))


def b32decode(text: str, nbytes: int) -> bytes:
    bits = 0
    for ch in text:
        bits = (bits << 5) | _DECODE[ch]
    pad = len(text) * 5 - nbytes * 8
    return (bits >> pad).to_bytes(nbytes, "big")


def _check_group(raw: bytes) -> str:
    return b32encode(hashlib.sha256(b"fieldbook/recovery-check|" + raw).digest()[:3])[:4]


def format_recovery_key(raw: bytes) -> str:
    body = b32encode(raw)
    groups = [body[i : i + 4] for i in range(0, len(body), 4)]
    return "-".join(groups + [_check_group(raw)])


def new_recovery_key() -> tuple[str, bytes]:
    raw = secrets.token_bytes(RECOVERY_BYTES)
    return format_recovery_key(raw), raw


def parse_recovery_key(text: str) -> bytes:
    """Return the raw key bytes; raise ValueError with a reason when it was mistyped."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    if len(cleaned) != 36:
        raise ValueError(f"it should have 36 characters, not {len(cleaned)}")
    bad = sorted({ch for ch in cleaned if ch not in _DECODE})
    if bad:
        raise ValueError("it contains characters that never appear in a recovery key: " + " ".join(bad))
    raw = b32decode(cleaned[:32], RECOVERY_BYTES)
    if _check_group(raw) != "".join(_ALPHABET[_DECODE[c]] for c in cleaned[32:]):
        raise ValueError("its last group does not match; a character was probably mistyped")
    return raw


def recovery_kek(raw: bytes, profile_id: str) -> bytes:
    # The recovery key carries 160 bits of entropy, so a fast KDF is enough.
    return hkdf(raw, b"fieldbook/recovery-kek/v1", profile_id.encode())
