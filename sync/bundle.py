"""The sealed bundle: the one container that carries sync payloads, over HTTP and on USB sticks.

A bundle is sealed to one recipient and signed by one sender (docs/sync.md,
"Bundle format", is the normative description; this module follows it):

    header (plaintext, versioned, bounded)
    chunks: zlib-compressed payload, cut into fixed-size pieces, each AES-256-GCM
            under a key from X25519(ephemeral, recipient) and HKDF over the header,
            with a STREAM nonce (counter, last-chunk flag) and the header as AD
    signature: Ed25519 by the sender over SHA-256 of everything before it

``open_bundle`` checks size, header, recipient, length, sender and signature
before it decrypts anything, and decompresses under a hard cap, so a refused
bundle costs little and yields no plaintext. It keeps no state: callers refuse
replays by remembering ``Opened.bundle_id``.

Both ``seal`` and ``open_bundle`` take an optional ``progress(done, total)``
callback, in bytes (of payload compressed; of content opened). It is called once
per piece of work (a megabyte compressed, a chunk opened), never per byte, and
last with ``done == total`` on success, so a USB screen can draw a real bar.

This module imports nothing of storage/: the server uses it too.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

Progress = Callable[[int, int], None]

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.errors import (
    BundleTampered,
    BundleTooLarge,
    BundleTruncated,
    NotABundle,
    UnknownSender,
    UnsupportedBundleVersion,
    WrongRecipient,
)

__all__ = [
    "Identity", "PublicKeys", "Header", "Opened", "seal", "open_bundle", "peek_header",
    "MAX_BUNDLE_BYTES", "MAX_PAYLOAD_BYTES", "DEFAULT_CHUNK_SIZE", "FORMAT_VERSION",
]

# PNG-style magic: the high byte catches 7-bit transfers, CR LF and LF catch
# line-ending conversion, 0x1A (end of text in old tools) stops a text dump.
# Bytes 0-8 never change between versions.
MAGIC = b"\x89FBB\r\n\x1a\n"
FORMAT_VERSION = 1

MAX_BUNDLE_BYTES = 64 * 1024 * 1024     # whole bundle; opened in memory
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024   # decompressed payload: the zip-bomb cap
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 256
MAX_CHUNK_SIZE = 1024 * 1024
# Sealing compresses in pieces of this size to report progress. zlib's output does not
# depend on how its input is split (a test checks this against zlib.compress), so the
# bundle is byte for byte what one call would make; a megabyte is ~6 ms of work.
SEAL_PIECE = 1024 * 1024
COMPRESSION_LEVEL = 1  # measured on sync-like JSON: 0.24 of raw at ~160 MB/s; level 6 gives 0.20 at ~65 MB/s

TAG_BYTES = 16
SIG_BYTES = 64
KEY_BYTES = 32
BUNDLE_ID_BYTES = 16
_FIXED = struct.Struct(">8sBHQ16sIQ32s32s")  # magic .. ephemeral key; 111 bytes
MIN_HEADER = _FIXED.size + 3 * 2
MAX_HEADER = _FIXED.size + (1 + 32) + 2 * (1 + 64)

_KDF_SALT = b"fieldbook/bundle/v1/key"
_SIG_CONTEXT = b"fieldbook/bundle/v1/signature\x00"
_FINGERPRINT_CONTEXT = b"fieldbook/key-fingerprint/v1\x00"
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_KIND = re.compile(r"[A-Za-z0-9_.\-]{1,32}")


# --- keys ---------------------------------------------------------------------------
def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _unb64(text: str, n: int) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_\-]*", text):
        raise ValueError("not base64url text")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != n or _b64(raw) != text:  # canonical form only: one text per key
        raise ValueError(f"expected {n} bytes of canonical base64url")
    return raw


@dataclass(frozen=True)
class PublicKeys:
    """A device's or server's public keys: Ed25519 for signatures, X25519 for sealing to it."""

    sign: bytes
    box: bytes

    def __post_init__(self) -> None:
        for name in ("sign", "box"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise ValueError(f"public key '{name}' must be 32 bytes")

    def to_json(self) -> dict[str, str]:
        return {"sign": _b64(self.sign), "box": _b64(self.box)}

    @classmethod
    def from_json(cls, d: dict) -> PublicKeys:
        if not isinstance(d, dict) or set(d) != {"sign", "box"}:
            raise ValueError("public keys must be an object with exactly 'sign' and 'box'")
        return cls(sign=_unb64(d["sign"], 32), box=_unb64(d["box"], 32))

    def fingerprint(self) -> str:
        """80 bits of SHA-256 over both keys, as five groups of four hex digits, for reading aloud."""
        h = hashlib.sha256(_FINGERPRINT_CONTEXT + self.sign + self.box).hexdigest()[:20]
        return "-".join(h[i : i + 4] for i in range(0, 20, 4))


class Identity:
    """A private identity: an Ed25519 signing key and an X25519 key-agreement key."""

    __slots__ = ("_sign", "_box")

    def __init__(self, sign: Ed25519PrivateKey, box: X25519PrivateKey) -> None:
        self._sign, self._box = sign, box

    @classmethod
    def generate(cls) -> Identity:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    def private_bytes(self) -> bytes:
        """64 bytes: the Ed25519 seed, then the X25519 private key. Keep them sealed."""
        raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        return self._sign.private_bytes(*raw) + self._box.private_bytes(*raw)

    @classmethod
    def from_private_bytes(cls, b: bytes) -> Identity:
        if not isinstance(b, (bytes, bytearray)) or len(b) != 64:
            raise ValueError("an identity is 64 bytes")
        b = bytes(b)
        return cls(Ed25519PrivateKey.from_private_bytes(b[:32]), X25519PrivateKey.from_private_bytes(b[32:]))

    def public(self) -> PublicKeys:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return PublicKeys(sign=self._sign.public_key().public_bytes(*raw), box=self._box.public_key().public_bytes(*raw))

    def __repr__(self) -> str:
        # Never the private bytes: identities end up in logs and tracebacks.
        return f"Identity(fingerprint={self.public().fingerprint()})"


# --- header ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    """The plaintext header. Readable without keys; authenticated only once the bundle is opened."""

    version: int
    kind: str
    sender_id: str
    recipient_id: str
    bundle_id: str
    created_ms: int
    chunk_size: int
    content_length: int   # bytes of compressed payload, before encryption
    recipient_box: bytes  # the recipient's X25519 public key it was sealed to
    ephemeral: bytes      # the sender's one-time X25519 public key
    raw: bytes = field(repr=False)

    @property
    def chunk_count(self) -> int:
        return -(-self.content_length // self.chunk_size)

    @property
    def bundle_length(self) -> int:
        """The exact size of the whole bundle, so a forwarder can tell a complete file."""
        return len(self.raw) + self.content_length + TAG_BYTES * self.chunk_count + SIG_BYTES


@dataclass(frozen=True)
class Opened:
    bundle_id: str
    sender_id: str
    recipient_id: str
    kind: str
    created_ms: int
    payload: bytes = field(repr=False)


def _check_id(what: str, value: str, pattern: re.Pattern[str]) -> bytes:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{what} must be 1-{64 if pattern is _ID else 32} characters of A-Z a-z 0-9 _ . -")
    return value.encode("ascii")


def _encode_header(
    *, kind: str, sender_id: str, recipient_id: str, bundle_id: bytes, created_ms: int,
    chunk_size: int, content_length: int, recipient_box: bytes, ephemeral: bytes,
) -> bytes:
    k = _check_id("kind", kind, _KIND)
    s = _check_id("sender_id", sender_id, _ID)
    r = _check_id("recipient_id", recipient_id, _ID)
    length = _FIXED.size + 3 + len(k) + len(s) + len(r)
    fixed = _FIXED.pack(
        MAGIC, FORMAT_VERSION, length, created_ms, bundle_id, chunk_size, content_length, recipient_box, ephemeral
    )
    return b"".join([fixed, bytes([len(k)]), k, bytes([len(s)]), s, bytes([len(r)]), r])


def peek_header(data: bytes, *, max_bytes: int = MAX_BUNDLE_BYTES) -> Header:
    """Parse and check the plaintext header only; ``data`` may be just the start of a bundle.

    Needs no keys, so a laptop can forward a bundle sealed to someone else. Nothing
    in the header is authenticated until ``open_bundle`` has verified the signature.
    """
    view = memoryview(data)
    n = len(view)
    if n < len(MAGIC):
        if bytes(view) == MAGIC[:n]:
            raise BundleTruncated(n, None)
        raise NotABundle("it does not start with the bundle signature bytes")
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise NotABundle("it does not start with the bundle signature bytes")
    if n < 9:
        raise BundleTruncated(n, None)
    version = view[8]
    if version > FORMAT_VERSION:
        # Checked before anything else: a newer format may lay out the rest differently.
        raise UnsupportedBundleVersion(version)
    if version != FORMAT_VERSION:
        raise NotABundle(f"unknown format version {version}")
    if n < 11:
        raise BundleTruncated(n, None)
    length = int.from_bytes(view[9:11], "big")
    if not MIN_HEADER <= length <= MAX_HEADER:
        raise NotABundle("header length out of range")
    if n < length:
        raise BundleTruncated(n, None)
    raw = bytes(view[:length])
    _, _, _, created_ms, bundle_id, chunk_size, content_length, recipient_box, ephemeral = _FIXED.unpack_from(raw)
    pos = _FIXED.size
    fields = []
    for what, pattern in (("kind", _KIND), ("sender id", _ID), ("recipient id", _ID)):
        if pos >= length:
            raise NotABundle("header fields overrun the header length")
        size = raw[pos]
        text = raw[pos + 1 : pos + 1 + size]
        pos += 1 + size
        if pos > length:
            raise NotABundle("header fields overrun the header length")
        try:
            value = text.decode("ascii")
        except UnicodeDecodeError:
            raise NotABundle(f"malformed {what}") from None
        if not pattern.fullmatch(value):
            raise NotABundle(f"malformed {what}")
        fields.append(value)
    if pos != length:
        raise NotABundle("header length does not match its fields")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise NotABundle("chunk size out of range")
    if content_length < 1:
        raise NotABundle("empty content")
    header = Header(
        version=version, kind=fields[0], sender_id=fields[1], recipient_id=fields[2],
        bundle_id=bundle_id.hex(), created_ms=created_ms, chunk_size=chunk_size,
        content_length=content_length, recipient_box=recipient_box, ephemeral=ephemeral, raw=raw,
    )
    if header.bundle_length > max_bytes:
        raise BundleTooLarge("bundle", header.bundle_length, max_bytes)
    return header


# --- crypto core ------------------------------------------------------------------------
def _derive_key(shared: bytes, header_raw: bytes) -> bytes:
    # The header as HKDF info binds the key to every header field, the ephemeral
    # and recipient keys included, so a new bundle id alone already gives a new key.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_KDF_SALT, info=header_raw).derive(shared)


def _nonce(counter: int, last: bool) -> bytes:
    # STREAM: 3 zero bytes, 64-bit chunk counter, last-chunk flag.
    return b"\x00\x00\x00" + counter.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _encrypt_chunks(key: bytes, header_raw: bytes, content: bytes, chunk_size: int) -> list[bytes]:
    aead = AESGCM(key)
    view = memoryview(content)
    count = -(-len(content) // chunk_size)
    return [
        aead.encrypt(_nonce(i, i == count - 1), view[i * chunk_size : (i + 1) * chunk_size], header_raw)
        for i in range(count)
    ]


def _decrypt_chunks(key: bytes, header_raw: bytes, chunks: list) -> bytes:
    aead = AESGCM(key)
    out = []
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        out.append(_decrypt_chunk(aead, header_raw, chunk, i, last))
    return b"".join(out)


def _decrypt_chunk(aead: AESGCM, header_raw: bytes, chunk, i: int, last: int) -> bytes:
    try:
        return aead.decrypt(_nonce(i, i == last), chunk, header_raw)
    except InvalidTag:
        raise BundleTampered(f"chunk {i + 1} of {last + 1} did not authenticate") from None


def _signed_message(transcript_hash: bytes) -> bytes:
    return _SIG_CONTEXT + transcript_hash


def _seal_compressed(
    content: bytes, *, sender: Identity, sender_id: str, recipient: PublicKeys, recipient_id: str,
    kind: str, chunk_size: int, ephemeral: X25519PrivateKey, bundle_id: bytes, created_ms: int,
) -> bytes:
    """Seal an already compressed payload; ``seal`` minus zlib (known-answer tests use it)."""
    header_raw = _encode_header(
        kind=kind, sender_id=sender_id, recipient_id=recipient_id, bundle_id=bundle_id,
        created_ms=created_ms, chunk_size=chunk_size, content_length=len(content),
        recipient_box=recipient.box,
        ephemeral=ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.box))
    chunks = _encrypt_chunks(_derive_key(shared, header_raw), header_raw, content, chunk_size)
    transcript = hashlib.sha256(header_raw)
    for chunk in chunks:
        transcript.update(chunk)
    signature = sender._sign.sign(_signed_message(transcript.digest()))
    return b"".join([header_raw, *chunks, signature])


# --- public API -------------------------------------------------------------------------
def seal(
    payload: bytes, *, sender: Identity, sender_id: str, recipient: PublicKeys, recipient_id: str,
    kind: str = "changes", chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress | None = None,
    _ephemeral: bytes | None = None, _bundle_id: bytes | None = None, _created_ms: int | None = None,
) -> bytes:
    """Compress, encrypt to ``recipient`` and sign as ``sender``. Returns the bundle bytes.

    ``progress(done, total)`` counts payload bytes compressed (compression is about
    85% of sealing; encrypting and signing take milliseconds and end at ``total``).
    The underscored keywords fix the random and time inputs for known-answer tests
    only; production code never passes them.
    """
    payload = bytes(payload)
    _check_id("kind", kind, _KIND)
    _check_id("sender_id", sender_id, _ID)
    _check_id("recipient_id", recipient_id, _ID)
    if not isinstance(chunk_size, int) or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be {MIN_CHUNK_SIZE}-{MAX_CHUNK_SIZE} bytes")
    # Refuse what no reader would open, so a sender learns it here, not at the far end.
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BundleTooLarge("payload", len(payload), MAX_PAYLOAD_BYTES)
    content = _compress(payload, progress)
    bundle = _seal_compressed(
        content, sender=sender, sender_id=sender_id, recipient=recipient, recipient_id=recipient_id,
        kind=kind, chunk_size=chunk_size,
        ephemeral=X25519PrivateKey.from_private_bytes(_ephemeral) if _ephemeral is not None else X25519PrivateKey.generate(),
        bundle_id=_bundle_id if _bundle_id is not None else os.urandom(BUNDLE_ID_BYTES),
        created_ms=_created_ms if _created_ms is not None else time.time_ns() // 1_000_000,
    )
    if len(bundle) > MAX_BUNDLE_BYTES:
        raise BundleTooLarge("bundle", len(bundle), MAX_BUNDLE_BYTES)
    if progress is not None:
        progress(len(payload), len(payload))
    return bundle


def _compress(payload: bytes, progress: Progress | None) -> bytes:
    if progress is None or len(payload) <= SEAL_PIECE:
        return zlib.compress(payload, COMPRESSION_LEVEL)
    z = zlib.compressobj(COMPRESSION_LEVEL)
    view = memoryview(payload)
    out = []
    total = len(payload)
    for start in range(0, total, SEAL_PIECE):
        out.append(z.compress(view[start : start + SEAL_PIECE]))
        end = start + SEAL_PIECE
        if end < total:  # the end itself is reported by ``seal``, once the bundle is whole
            progress(end, total)
    out.append(z.flush())
    return b"".join(out)


def open_bundle(
    data: bytes, *, recipient: Identity, recipient_id: str,
    sender_key: Callable[[str], PublicKeys | None],
    max_bytes: int = MAX_BUNDLE_BYTES, max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    progress: Progress | None = None,
) -> Opened:
    """Check, verify, decrypt and decompress a bundle addressed to ``recipient``.

    ``progress(done, total)`` counts bytes of encrypted content opened (decrypted and
    decompressed), once per chunk, starting only after the signature verified.

    ``sender_key(sender_id)`` returns the sender's pinned keys, or None when it is
    unknown or revoked. Raises a ``sync.errors.BundleError`` subclass on any refusal;
    no plaintext is produced before the signature has verified. Replays are the
    caller's to refuse (``BundleReplayed``), by the returned ``bundle_id``.
    """
    if len(data) > max_bytes:
        raise BundleTooLarge("bundle", len(data), max_bytes)
    header = peek_header(data, max_bytes=max_bytes)
    mine = recipient.public()
    if header.recipient_id != recipient_id:
        raise WrongRecipient(header.recipient_id, recipient_id)
    if header.recipient_box != mine.box:
        raise WrongRecipient(header.recipient_id, recipient_id, key_differs=True)
    if len(data) < header.bundle_length:
        raise BundleTruncated(len(data), header.bundle_length)
    if len(data) > header.bundle_length:
        raise BundleTampered("it has extra bytes after its end")
    keys = sender_key(header.sender_id)
    if keys is None:
        raise UnknownSender(header.sender_id)

    view = memoryview(data)
    body_end = len(view) - SIG_BYTES
    transcript = hashlib.sha256(view[:body_end]).digest()
    try:
        Ed25519PublicKey.from_public_bytes(keys.sign).verify(bytes(view[body_end:]), _signed_message(transcript))
    except InvalidSignature:
        raise BundleTampered(f"the signature is not that of '{header.sender_id}'") from None

    try:
        shared = recipient._box.exchange(X25519PublicKey.from_public_bytes(header.ephemeral))
    except ValueError:  # a low-order ephemeral key gives an all-zero secret
        raise BundleTampered("its one-time key is invalid") from None
    step = header.chunk_size + TAG_BYTES
    pos = len(header.raw)
    chunks = [view[p : min(p + step, body_end)] for p in range(pos, body_end, step)]
    payload = _open_chunks(_derive_key(shared, header.raw), header, chunks, max_payload_bytes, progress)
    return Opened(
        bundle_id=header.bundle_id, sender_id=header.sender_id, recipient_id=header.recipient_id,
        kind=header.kind, created_ms=header.created_ms, payload=payload,
    )


def _open_chunks(key: bytes, header: Header, chunks: list, cap: int, progress: Progress | None) -> bytes:
    """Decrypt and decompress chunk by chunk, stopping one byte past ``cap``: a bomb
    costs about twice ``cap`` in memory, never more. One pass feeds the decompressor
    as the chunks open, so progress can be told per chunk at no extra cost."""
    aead = AESGCM(key)
    d = zlib.decompressobj()
    out = []
    produced = done = 0
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        plain = _decrypt_chunk(aead, header.raw, chunk, i, last)
        if d.eof:  # the deflate stream ended in an earlier chunk: this one is extra
            raise BundleTampered("its compressed payload is incomplete or has extra data")
        try:
            # produced <= cap here, so max_length is >= 1 (0 would mean "no limit").
            piece = d.decompress(plain, cap + 1 - produced)
        except zlib.error:
            raise BundleTampered("its compressed payload is corrupt") from None
        produced += len(piece)
        if produced > cap or d.unconsumed_tail:
            raise BundleTooLarge("bundle's payload, once decompressed,", None, cap)
        out.append(piece)
        if progress is not None:
            done += len(plain)
            progress(done, header.content_length)
    if not d.eof or d.unused_data:
        raise BundleTampered("its compressed payload is incomplete or has extra data")
    return b"".join(out)
