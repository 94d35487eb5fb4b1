"""The server's keys (``server-keys.json``) and the sealer that keeps values sealed at rest."""
from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ...bundle import Identity
from ...errors import SyncError
from ...files import write_atomically

log = logging.getLogger("fieldbook.server")

KEYS_FILE = "server-keys.json"


@dataclass
class ServerKeys:
    server_id: str
    identity: Identity
    data_key: bytes

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "ServerKeys":
        path = data_dir / KEYS_FILE
        if path.exists():
            try:
                d = json.loads(path.read_text())
                return cls(d["server_id"], Identity.from_private_bytes(bytes.fromhex(d["identity"])), bytes.fromhex(d["data_key"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise SyncError(f"The server's key file {path} is damaged ({type(exc).__name__}); restore it from a backup.") from None
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys = cls(f"server-{secrets.token_hex(8)}", Identity.generate(), AESGCM.generate_key(bit_length=256))
        text = json.dumps({"format": "fieldbook-server-keys", "version": 1, "server_id": keys.server_id,
                           "identity": keys.identity.private_bytes().hex(), "data_key": keys.data_key.hex()})
        write_atomically(path, text.encode())
        log.info("server keys created (%s)", keys.server_id)
        return keys


class Sealer:
    """AES-256-GCM under the server's data key; the place a value belongs to is its associated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, place: str, plain: bytes) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, plain, place.encode())

    def opener(self, purpose: str):
        """``open`` for many values of one purpose, as a function of the rest of their place
        (``opener("change")("dev|seq", blob)``): the serving loop's one call per change."""
        decrypt, prefix = self._aead.decrypt, purpose + "|"

        def open_one(rest: str, blob: bytes) -> bytes:
            if blob[:1] != b"\x01":
                raise SyncError(f"A sealed value in the server database is damaged ({purpose}).")
            try:
                return decrypt(blob[1:13], blob[13:], (prefix + rest).encode())
            except InvalidTag:
                raise SyncError(f"A sealed value in the server database is damaged ({purpose}).") from None

        return open_one

    def open(self, place: str, blob: bytes) -> bytes:
        blob = bytes(blob)
        if not blob or blob[0] != 1:
            raise SyncError(f"A sealed value in the server database is damaged ({place.split('|')[0]}).")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], place.encode())
        except InvalidTag:
            raise SyncError(f"A sealed value in the server database is damaged ({place.split('|')[0]}).") from None

