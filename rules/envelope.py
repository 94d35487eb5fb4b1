"""The sealed-value envelope: how a value sealed at rest is laid out, on a laptop and at the hub.

    version byte (1) || 96-bit random nonce || AES-256-GCM ciphertext and tag

The associated data binds the blob to its place, so it cannot be moved between rows;
each side names places its own way (the store: ``purpose|identity|key version``, see
``storage.crypto``; the hub: ``purpose|ids``, see ``sync.server.hub``). The cipher
itself is passed in (an object with the AEAD ``encrypt(nonce, data, ad)`` and
``decrypt(nonce, data, ad)`` calls): this module stays free of dependencies, and
decides only the layout, so the two sides cannot drift apart on it.
Imports nothing but the standard library (see the package docstring).
"""
from __future__ import annotations

import os
from typing import Protocol

VERSION = 1                 # the key version the first byte names
NONCE_BYTES = 12            # random nonces: safe while a key seals far fewer than 2^32 values
TAG_BYTES = 16
HEADER = bytes([VERSION])
MIN_BYTES = 1 + NONCE_BYTES + TAG_BYTES


class MalformedEnvelope(ValueError):
    """The bytes are not a sealed value of a version this code reads (nothing was decrypted)."""


class Aead(Protocol):
    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...


def seal(aead: Aead, plain: bytes, ad: bytes, *, nonce: bytes | None = None) -> bytes:
    """Seal ``plain`` bound to ``ad``. ``nonce`` only for known-answer tests: otherwise fresh."""
    nonce = nonce or os.urandom(NONCE_BYTES)
    return HEADER + nonce + aead.encrypt(nonce, plain, ad)


def open_sealed(aead: Aead, blob: bytes, ad: bytes) -> bytes:
    """Open a sealed value. A blob of another layout raises MalformedEnvelope; one that fails
    authentication raises whatever the cipher raises for that."""
    if len(blob) < MIN_BYTES or blob[0] != VERSION:
        raise MalformedEnvelope("not a sealed value of version 1")
    return aead.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], ad)
