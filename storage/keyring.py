"""The keyring file: the data key, wrapped once per user and once by the recovery key.

It lives beside the database as ``keyring.json``. It is small, written whole and
atomically (temp file, chmod 600, fsync, rename, fsync of the directory), and it
says what it is (``format`` and ``version``). Destroying it is the crypto-erase.

Plaintext in it: the profile and device ids, each slot's user id and display
name (the unlock screen lists who uses this laptop), and the Argon2id
parameters. Nothing a respondent said is ever here.
"""
from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import crypto
from .errors import CorruptStore, DiskFull, NotAProfile, ProfileWiped

FORMAT = "fieldbook-keyring"
VERSION = 1
FILENAME = "keyring.json"
WIPED_MARKER = "WIPED"


@dataclass
class Slot:
    slot_id: str
    kind: str  # "user" or "recovery"
    wrapped: bytes
    user_id: str | None = None
    name: str | None = None
    kdf: crypto.KdfParams | None = None

    def to_json(self) -> dict:
        d: dict = {"slot_id": self.slot_id, "kind": self.kind, "wrapped": self.wrapped.hex()}
        if self.kind == "user":
            d.update(user_id=self.user_id, name=self.name, kdf=self.kdf.to_json() if self.kdf is not None else None)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Slot":
        kdf = crypto.KdfParams.from_json(d["kdf"]) if d["kind"] == "user" else None
        return cls(
            slot_id=d["slot_id"],
            kind=d["kind"],
            wrapped=bytes.fromhex(d["wrapped"]),
            user_id=d.get("user_id"),
            name=d.get("name"),
            kdf=kdf,
        )


@dataclass
class Keyring:
    profile_id: str
    device_id: str
    slots: list[Slot] = field(default_factory=list)

    def slot_ad(self, slot_id: str) -> bytes:
        return f"fieldbook/keyslot/v1|{self.profile_id}|{slot_id}".encode()

    @property
    def users(self) -> list[Slot]:
        return [s for s in self.slots if s.kind == "user"]

    def recovery_slot(self) -> Slot | None:
        return next((s for s in self.slots if s.kind == "recovery"), None)

    # -- slots -------------------------------------------------------------
    def add_user_slot(self, name: str, passphrase: str, data_key: bytes, kdf: crypto.KdfParams, user_id: str | None = None) -> Slot:
        slot_id = secrets.token_hex(8)
        kek = crypto.derive_user_key(passphrase, kdf)
        slot = Slot(
            slot_id=slot_id,
            kind="user",
            wrapped=crypto.wrap_key(kek, data_key, self.slot_ad(slot_id)),
            user_id=user_id or str(uuid.uuid4()),
            name=name,
            kdf=kdf,
        )
        self.slots.append(slot)
        return slot

    def set_recovery_slot(self, raw: bytes, data_key: bytes) -> None:
        self.slots = [s for s in self.slots if s.kind != "recovery"]
        slot_id = secrets.token_hex(8)
        kek = crypto.recovery_kek(raw, self.profile_id)
        self.slots.append(Slot(slot_id, "recovery", crypto.wrap_key(kek, data_key, self.slot_ad(slot_id))))

    # -- file --------------------------------------------------------------
    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "profile_id": self.profile_id,
            "device_id": self.device_id,
            "slots": [s.to_json() for s in self.slots],
        }
        return json.dumps(doc, indent=1, ensure_ascii=False).encode()

    @classmethod
    def load(cls, directory: Path) -> "Keyring":
        path = directory / FILENAME
        if (directory / WIPED_MARKER).exists():
            raise ProfileWiped(f"The profile in {directory} was wiped; its data can no longer be decrypted.")
        if not path.exists():
            raise NotAProfile(f"{directory} is not a Fieldbook profile (it has no {FILENAME}).")
        try:
            doc = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptStore(f"The keyring in {directory} is damaged or truncated; restore it from a backup or use the recovery key on a copy.") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise NotAProfile(f"{path} is not a Fieldbook keyring.")
        if doc.get("version") != VERSION:
            raise CorruptStore(f"The keyring in {directory} has format version {doc.get('version')!r}, which this Fieldbook does not read.")
        try:
            return cls(
                profile_id=doc["profile_id"],
                device_id=doc["device_id"],
                slots=[Slot.from_json(s) for s in doc["slots"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptStore(f"The keyring in {directory} is damaged; restore it from a backup.") from exc

    def save(self, directory: Path) -> None:
        atomic_write(directory / FILENAME, self.to_bytes())


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file, chmod 600, fsync, rename over, fsync the directory. ENOSPC -> DiskFull."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == 28:  # ENOSPC
            raise DiskFull(f"The disk is full: {path.name} was not changed. Free some space and try again.") from exc
        raise


def fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shred(path: Path) -> None:
    """Overwrite a small file with random bytes in place, fsync, then remove it."""
    if not path.exists():
        return
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(os.urandom(max(size, 1)))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
