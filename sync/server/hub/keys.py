"""The server's keys (``server-keys.json``) and the sealer that keeps values sealed at rest."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rules import envelope

from ...bundle import Identity
from ...errors import SyncError
from ...files import file_error

log = logging.getLogger("fieldbook.server")

KEYS_FILE = "server-keys.json"


@dataclass
class ServerKeys:
    server_id: str
    identity: Identity
    data_key: bytes

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "ServerKeys":
        """The keys in ``data_dir``, made there first if there are none.

        Several server processes may start at once on an empty folder: the file is
        written whole under a name of its own, then linked to its place, which fails
        if another process got there first; the loser reads the winner's keys. So every
        process ends with the same keys, and a half-written file is never read."""
        path = data_dir / KEYS_FILE
        if path.exists():
            return cls._load(path)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys = cls(f"server-{secrets.token_hex(8)}", Identity.generate(), AESGCM.generate_key(bit_length=256))
        text = json.dumps({"format": "fieldbook-server-keys", "version": 1, "server_id": keys.server_id,
                           "identity": keys.identity.private_bytes().hex(), "data_key": keys.data_key.hex()})
        if not _create_exclusively(path, text.encode()):
            return cls._load(path)
        log.info("server keys created (%s)", keys.server_id)
        return keys

    @classmethod
    def _load(cls, path: Path) -> "ServerKeys":
        try:
            d = json.loads(path.read_text())
            return cls(d["server_id"], Identity.from_private_bytes(bytes.fromhex(d["identity"])), bytes.fromhex(d["data_key"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise SyncError(f"The server's key file {path} is damaged ({type(exc).__name__}); restore it from a backup.") from None

    def check_value(self) -> str:
        """A value that names these keys without revealing them: an HMAC of a fixed text under
        the data key. The database keeps it, so a process with other keys is stopped at start."""
        return hmac.new(self.data_key, b"fieldbook/server/key-check/v1", hashlib.sha256).hexdigest()[:32]


def _create_exclusively(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` only if nothing is there: False if another process made it first.

    write_atomically replaces what is there, which is right for a bundle and wrong here:
    two processes would each keep the keys they made, and one of them would be lost."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, and never over a file that is there
        except FileExistsError:
            return False
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True
    except OSError as exc:
        raise file_error(path, "write", exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


class Sealer:
    """AES-256-GCM under the server's data key; the place a value belongs to is its associated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, place: str, plain: bytes) -> bytes:
        return envelope.seal(self._aead, plain, place.encode())  # the shared layout (rules/envelope.py)

    def opener(self, purpose: str):
        """``open`` for many values of one purpose, as a function of the rest of their place
        (``opener("change")("dev|seq", blob)``): the serving loop's one call per change."""
        aead, prefix, open_sealed = self._aead, purpose + "|", envelope.open_sealed

        def open_one(rest: str, blob: bytes) -> bytes:
            try:
                return open_sealed(aead, blob, (prefix + rest).encode())
            except (envelope.MalformedEnvelope, InvalidTag):
                raise SyncError(f"A sealed value in the server database is damaged ({purpose}).") from None

        return open_one

    def open(self, place: str, blob: bytes) -> bytes:
        try:
            return envelope.open_sealed(self._aead, bytes(blob), place.encode())
        except (envelope.MalformedEnvelope, InvalidTag):
            raise SyncError(f"A sealed value in the server database is damaged ({place.split('|')[0]}).") from None

