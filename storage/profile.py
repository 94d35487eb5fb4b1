"""The profile room: the folder, its keyring and its users; unlock, lock and crypto-erase.

A random data key encrypts everything; each person's passphrase (Argon2id) and the
printable recovery key wrap it (storage/keyring.py). Changing a passphrase re-wraps;
it never re-encrypts. Every change to the key slots is saved inside the transaction
that audits it (``_change_keyring``).
"""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Callable

from sqlite_utils import Database

from . import crypto, hlc, schema
from .audit import AuditLog
from .core import DB_NAME, RECOVERY_USER, Core, configure_connection, connect, translate_errors
from .errors import (
    CorruptStore,
    EmptyPassphrase,
    LastUser,
    MalformedRecoveryKey,
    NewerStore,
    NotAProfile,
    ProfileExists,
    UnknownUser,
    UserExists,
    WeakPassphrase,
    WrongPassphrase,
    WrongRecoveryKey,
)
from .ids import new_device_id, uuid7
from .keyring import WIPED_MARKER, Keyring, Slot, atomic_write, fsync_dir, shred

log = logging.getLogger("fieldbook.storage")

MIN_PASSPHRASE = 8


def check_new_passphrase(passphrase: str | None) -> str:
    if not passphrase:
        raise EmptyPassphrase("The passphrase is empty. Choose one of at least 8 characters.")
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(f"The passphrase is too short: use at least {MIN_PASSPHRASE} characters (a few words work well).")
    return passphrase


def create_files(directory: str | os.PathLike, *, user: str, passphrase: str,
                 kdf: crypto.KdfParams | None = None) -> tuple[Path, Keyring, sqlite3.Connection, bytes, object, str]:
    """Make a new profile's folder, keyring and database. Returns ``(directory, keyring,
    connection, data key, the first user's slot, recovery key text)``."""
    directory = Path(directory)
    if not user or not user.strip():
        raise UnknownUser("A user name is needed for the first user of a profile.")
    check_new_passphrase(passphrase)
    for name in ("keyring.json", DB_NAME, WIPED_MARKER):
        if (directory / name).exists():
            raise ProfileExists(f"{directory} already holds a profile (or what is left of one). Choose an empty folder.")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    keyring = Keyring(profile_id=uuid7(), device_id=new_device_id())
    data_key = crypto.new_data_key()
    slot = keyring.add_user_slot(user.strip(), passphrase, data_key, kdf or crypto.KdfParams.new())
    recovery_text, raw = crypto.new_recovery_key()
    keyring.set_recovery_slot(raw, data_key)
    conn = connect(directory / DB_NAME)
    try:
        db = Database(conn, execute_plugins=False, recursive_triggers=False)
        with translate_errors("The new store"):
            schema.upgrade(db)
            with db.atomic():
                conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ("profile_id", keyring.profile_id), ("device_id", keyring.device_id),
                    ("hlc", hlc.encode(0)), ("last_seq", "0")])
        # The keyring goes last: a folder without one is not (yet) a profile.
        keyring.save(directory)
    except BaseException:
        conn.close()
        raise
    return directory, keyring, conn, data_key, slot, recovery_text


def open_files(directory: str | os.PathLike, *, busy_timeout: float = 5.0) -> tuple[Path, Keyring, sqlite3.Connection]:
    """Open a profile's keyring and database, migrating its schema if this Fieldbook is newer."""
    directory = Path(directory)
    keyring = Keyring.load(directory)
    path = directory / DB_NAME
    if not path.exists():
        raise CorruptStore(f"The profile in {directory} has lost its database ({DB_NAME}); restore it from a backup.")
    with open(path, "rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise CorruptStore(f"The store in {directory} is not a Fieldbook store, or it is damaged or truncated.")
    # Look before touching: settings such as WAL mode are applied only once we know it is ours.
    conn = connect(path, busy_timeout=busy_timeout, configure=False)
    try:
        with translate_errors(f"The store in {directory}"):
            _check_ours(conn, directory, keyring)
            configure_connection(conn, path)
            db = Database(conn, execute_plugins=False, recursive_triggers=False)
            if schema.pending(db):
                before = conn.execute("PRAGMA user_version").fetchone()[0]
                schema.upgrade(db)
                log.info("store schema upgraded from %s to %s", before, schema.SCHEMA_VERSION)
    except BaseException:
        conn.close()
        raise
    return directory, keyring, conn


def _check_ours(conn: sqlite3.Connection, directory: Path, keyring: Keyring) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > schema.SCHEMA_VERSION:
        raise NewerStore(f"The store in {directory} was written by a newer Fieldbook (schema {version}); update Fieldbook to open it.")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables or "records" not in tables:
        raise NotAProfile(f"{directory / DB_NAME} is a database, but not a Fieldbook store.")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("profile_id") != keyring.profile_id:
        raise CorruptStore(f"The keyring and the database in {directory} belong to different profiles; put back the matching keyring.")


def _kdf(slot: Slot) -> crypto.KdfParams:
    if slot.kdf is None:
        raise CorruptStore("A user's key slot in the keyring has lost its settings; restore the keyring from a backup.")
    return slot.kdf


class Profile:
    def __init__(self, core: Core, audit: AuditLog, on_unlock: Callable[[], None]) -> None:
        self._core, self._audit, self._on_unlock = core, audit, on_unlock

    def users(self) -> list[str]:
        return [s.name or "" for s in self._core.keyring.users]

    def become(self, data_key: bytes, user_id: str, user_name: str | None) -> None:
        self._core.become(data_key, user_id, user_name)
        self._on_unlock()

    def unlock(self, passphrase: str, user: str | None = None) -> None:
        """Unwrap the data key with a user's passphrase. Tries every user when none is named."""
        if not passphrase:
            raise EmptyPassphrase("The passphrase is empty.")
        keyring = self._core.keyring
        slots = keyring.users
        if user is not None:
            slots = [s for s in slots if s.name == user]
            if not slots:
                raise UnknownUser(f"There is no user '{user}' on this profile. Users: {', '.join(self.users())}.")
        for slot in slots:
            kek = crypto.derive_user_key(passphrase, _kdf(slot))
            try:
                data_key = crypto.unwrap_key(kek, slot.wrapped, keyring.slot_ad(slot.slot_id))
            except crypto.AuthenticationFailed:
                continue
            self.become(data_key, slot.user_id or "", slot.name)
            self._audit.best_effort("unlock")
            return
        log.warning("unlock failed: wrong passphrase")
        raise WrongPassphrase("Wrong passphrase. Check the keyboard layout and Caps Lock, then try again.")

    def unlock_with_recovery_key(self, text: str) -> None:
        try:
            raw = crypto.parse_recovery_key(text)
        except ValueError as exc:
            raise MalformedRecoveryKey(f"That recovery key was mistyped: {exc}.") from None
        keyring = self._core.keyring
        slot = keyring.recovery_slot()
        if slot is None:
            raise WrongRecoveryKey("This profile has no recovery key.")
        try:
            data_key = crypto.unwrap_key(crypto.recovery_kek(raw, self._core.profile_id), slot.wrapped,
                                         keyring.slot_ad(slot.slot_id))
        except crypto.AuthenticationFailed:
            raise WrongRecoveryKey("That recovery key belongs to another profile.") from None
        self.become(data_key, RECOVERY_USER, "recovery key")
        self._audit.best_effort("unlock_recovery")

    # -- users and keys ----------------------------------------------------------
    def _change_keyring(self, action: str, change: Callable[[], object]) -> None:
        """Change the key slots and save the keyring inside the transaction that audits it:
        the audit entry is written first, the keyring saved last, so a failure of either
        (a full disk, a busy store) leaves both as they were, on disk and in memory."""
        core = self._core
        slots = list(core.keyring.slots)
        saved = False
        try:
            with core.atomic():
                self._audit.add(action)
                change()
                core.keyring.save(core.directory)
                saved = True
        except BaseException:
            core.keyring.slots = slots
            if saved:  # the commit itself failed: put the keyring back as it was
                core.keyring.save(core.directory)
            raise

    def _data_key(self) -> bytes:
        self._core.need_key()
        assert self._core.data_key is not None  # need_key: unlocked
        return self._core.data_key

    def add_user(self, name: str, passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        data_key = self._data_key()
        name = (name or "").strip()
        if not name:
            raise UnknownUser("A user needs a name.")
        if name in self.users():
            raise UserExists(f"There is already a user '{name}' on this profile.")
        check_new_passphrase(passphrase)
        self._change_keyring("user_added", lambda: self._core.keyring.add_user_slot(
            name, passphrase, data_key, kdf or crypto.KdfParams.new()))

    def check_passphrase(self, user: str, passphrase: str) -> None:
        """Raise WrongPassphrase unless ``passphrase`` is ``user``'s (before a change of it, say).
        Changes nothing: the unlocked state stays as it is."""
        if not passphrase:
            raise EmptyPassphrase("The passphrase is empty.")
        keyring = self._core.keyring
        slot = next((s for s in keyring.users if s.name == user), None)
        if slot is None:
            raise UnknownUser(f"There is no user '{user}' on this profile.")
        try:
            crypto.unwrap_key(crypto.derive_user_key(passphrase, _kdf(slot)), slot.wrapped, keyring.slot_ad(slot.slot_id))
        except crypto.AuthenticationFailed:
            log.warning("passphrase check failed")
            raise WrongPassphrase("The current passphrase is wrong, so it was not changed.") from None

    def change_passphrase(self, user: str, new_passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        """Re-wrap the data key for ``user``. The data itself is never re-encrypted."""
        data_key = self._data_key()
        check_new_passphrase(new_passphrase)
        keyring = self._core.keyring
        old = next((s for s in keyring.users if s.name == user), None)
        if old is None:
            raise UnknownUser(f"There is no user '{user}' on this profile.")

        def rewrap() -> None:
            keyring.slots.remove(old)
            keyring.add_user_slot(user, new_passphrase, data_key, kdf or crypto.KdfParams.new(), user_id=old.user_id)

        self._change_keyring("passphrase_changed", rewrap)

    def remove_user(self, name: str) -> None:
        """Remove a person's key slot: their passphrase no longer opens the profile. The
        last user cannot be removed (LastUser): wiping the profile is the way to end it."""
        self._core.need_key()
        keyring = self._core.keyring
        users = keyring.users
        if name not in [s.name for s in users]:
            raise UnknownUser(f"There is no user '{name}' on this profile.")
        if len(users) == 1:
            raise LastUser("The last user cannot be removed; wipe the profile instead.")

        def remove() -> None:
            keyring.slots = [s for s in keyring.slots if not (s.kind == "user" and s.name == name)]

        self._change_keyring("user_removed", remove)

    def new_recovery_key(self) -> str:
        """Replace the recovery key; the old one stops working at once."""
        data_key = self._data_key()
        text, raw = crypto.new_recovery_key()
        self._change_keyring("recovery_key_replaced", lambda: self._core.keyring.set_recovery_slot(raw, data_key))
        return text

    def wipe(self) -> None:
        """Crypto-erase: shred the keyring so that no passphrase or recovery key opens the data."""
        core = self._core
        atomic_write(core.directory / WIPED_MARKER, f"wiped device {core.device_id}\n".encode())
        shred(core.directory / "keyring.json")
        fsync_dir(core.directory)
        core.keyring.slots = []
        log.warning("profile wiped (device %s)", core.device_id)
