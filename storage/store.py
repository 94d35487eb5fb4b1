"""The encrypted local store: one profile directory on one laptop.

    store, recovery_key = Store.create(path, user="Oksana", passphrase=...)
    store = Store.open(path); store.unlock(passphrase)
    rid = store.save_record("household", {"head_name": ..., "phone": ...})
    store.edit_record(rid, {"phone": ...}); store.delete_record(rid)
    store.find_records("household", "phone", "067 123 45 67")

Every write goes through :meth:`Store.atomic`, the one transaction helper, and
appends, in the same transaction, the record row, one outbox change per record
with only the changed fields, the blind-index tokens and an audit-chain link.
(A new record's change reads its fields from the record row until the record is
first rewritten, and one audit link covers each batch of new records: schema 0004.)

Records of a kind in ``LOCAL_KINDS`` (unfinished drafts) are the exception: they
never enter the outbox, so they are never pushed, never go into a USB bundle and
never count as pending. See ``LOCAL_KINDS`` below and docs/security.md.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import math
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import orjson
from cryptography.exceptions import InvalidTag
from sqlite_utils import Database

from rules import limits, names

from . import crypto, hlc, normalize, schema
from .errors import (
    CorruptStore,
    DamagedRecord,
    DiskFull,
    EmptyPassphrase,
    InvalidQuery,
    InvalidRecord,
    LastUser,
    Locked,
    NewerStore,
    NoBlindIndex,
    NotAProfile,
    ProfileExists,
    StorageError,
    StoreBusy,
    UnknownRecord,
    UnknownUser,
    UserExists,
    WeakPassphrase,
    WrongPassphrase,
    WrongRecoveryKey,
    MalformedRecoveryKey,
)
from .ids import is_uuid, new_device_id, uuid7, uuid7_many, uuid_bytes, uuid_text
from .keyring import WIPED_MARKER, Keyring, atomic_write, fsync_dir, shred
from .replica import ReplicaMixin

log = logging.getLogger("fieldbook.storage")

DB_NAME = "store.db"
MIN_PASSPHRASE = 8
DELETED = names.DELETED  # the clock key that stamps a delete
_NAME = names.FIELD_NAME  # the names the server takes (rules/names.py), and its counts and sizes (rules/limits.py)
_KIND = names.KIND
RECOVERY_USER = "recovery"  # the user id of whoever unlocked with the recovery key: no name is known
AUTHOR_PURPOSE = "change_author"  # a change's sealed author (schema 0009): bound to device|seq|record id
CHANGE_OVERHEAD_BYTES = 256  # a change's JSON beyond its field values (ids, stamps, kind), for byte-bounded batches
_dumps = orjson.dumps
_loads = orjson.loads

# Kinds whose records never leave this laptop (rules/names.py). Saving, editing and
# deleting one writes the record and the audit chain but no outbox change, and takes no
# outbox sequence number, so the sequence the server sees has no holes where they were.
# Deleting one removes its row outright (no tombstone: no other replica has it to be
# told), and ``secure_delete`` zeroes the sealed content.
LOCAL_KINDS = names.LOCAL_KINDS
is_local_kind = names.is_local_kind


class Record:
    """A decrypted record. ``clocks`` maps each field to its ``hlc@device`` stamp.

    The store keeps clocks compactly (a bare stamp, or ``{"": stamp}`` plus the
    exceptions, stand for "every field not listed has this stamp"), and expands
    them only when asked: a scan that reads fields never pays for the clocks.
    """

    __slots__ = ("id", "kind", "form_id", "form_version", "fields", "deleted", "_clocks")

    def __init__(self, id: str, kind: str, form_id: str | None, form_version: str | None, fields: dict,
                 clocks: dict | str, deleted: bool = False) -> None:
        # Kept to plain assignments: a scan builds one Record per row.
        self.id, self.kind, self.form_id, self.form_version = id, kind, form_id, form_version
        self.fields, self.deleted, self._clocks = fields, deleted, clocks

    @property
    def clocks(self) -> dict:
        clocks = self._clocks
        if type(clocks) is str:  # stored form: JSON text, or one stamp for every field
            if clocks.startswith("{"):
                stored = _loads(clocks)
                base = stored.pop("", None)
            else:
                stored, base = {}, clocks
            clocks = dict.fromkeys(self.fields, base) if base is not None else {}
            clocks.update(stored)
            self._clocks = clocks
        return clocks

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return f"Record(id={self.id!r}, kind={self.kind!r}, fields={len(self.fields)}, deleted={self.deleted})"

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "form_id": self.form_id,
            "form_version": self.form_version,
            "fields": self.fields,
            "clocks": self.clocks,
            "deleted": self.deleted,
        }


def _encode_clocks(clocks: dict, fields: dict) -> str:
    """The most common stamp among the record's fields becomes the base ``""``; only the
    others are listed. Keys that are not fields (a tombstone's ``_deleted``, the fields
    a delete had seen) are always listed: the base expands over ``fields`` only."""
    if not clocks:
        return "{}"
    counts: dict[str, int] = {}
    for name, stamp in clocks.items():
        if name in fields:
            counts[stamp] = counts.get(stamp, 0) + 1
    if not counts:
        return _dumps(clocks).decode()
    base = max(counts, key=counts.__getitem__)
    compact = {"": base}
    compact.update((k, v) for k, v in clocks.items() if v != base or k not in fields)
    return _dumps(compact).decode()


@dataclass(slots=True)
class Change:
    device_id: str
    seq: int
    record_id: str
    kind: str
    form_id: str | None
    form_version: str | None
    hlc: str
    deleted: bool
    fields: dict
    bases: dict = field(default_factory=dict)  # {field: stamp it overwrote}; a delete lists every clock it saw
    resolves: list = field(default_factory=list)  # [{field, stamp, resolution}]: the conflicts this change closes
    author: str | None = None  # the display name of the person who made it; None for changes older than schema 0009

    def to_json(self) -> dict:
        # By hand: dataclasses.asdict deep-copies every value, which dominated a 10k push.
        out = {"device_id": self.device_id, "seq": self.seq, "record_id": self.record_id, "kind": self.kind,
               "form_id": self.form_id, "form_version": self.form_version, "hlc": self.hlc, "deleted": self.deleted,
               "fields": self.fields, "bases": self.bases}
        if self.resolves:
            out["resolves"] = self.resolves
        if self.author:
            out["author"] = self.author
        return out


@dataclass
class VerifyReport:
    integrity: str = "ok"
    records: int = 0
    changes: int = 0
    audit_entries: int = 0
    damaged_records: list[str] = field(default_factory=list)
    damaged_changes: list[str] = field(default_factory=list)
    audit_broken_at: int | None = None
    audit_broken_record: str | None = None
    audit_head_ok: bool = True

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and not self.damaged_records
            and not self.damaged_changes
            and self.audit_broken_at is None
            and self.audit_head_ok
        )


@dataclass
class _Tx:
    last_seq: int
    audit_seq: int
    audit_mac: bytes


@dataclass
class AuditEntry:
    """One link of the audit chain, as the history shows it.

    ``user_name`` is the person on this laptop who did it; None for changes that
    came from another laptop by sync (nobody here wrote them), whose laptop is
    ``origin`` (its device id; "" for entries written before the store kept it).
    ``detail`` is the entry's sealed detail, opened only when one record's history
    is asked for (the fields an edit changed, say)."""

    seq: int
    hlc: str
    user_id: str
    user_name: str | None
    action: str
    record_id: str | None
    origin: str | None = None
    detail: dict | None = None


# --- sqlite errors -> typed errors ----------------------------------------------
@contextlib.contextmanager
def translate_errors(where: str = "the store") -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _typed(exc, where) from exc


def _typed(exc: sqlite3.Error, where: str) -> StorageError:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    text = str(exc).lower()
    if primary == 13 or "disk is full" in text:
        return DiskFull("The disk is full: the last change was not saved, and nothing else was touched. Free some space and try again.")
    if primary in (5, 6) or "locked" in text or "busy" in text:
        return StoreBusy(f"{where} is in use by another Fieldbook window or process. Close it, then try again.")
    if primary == 26 or "not a database" in text:
        return CorruptStore(f"{where} is not a Fieldbook store, or it is damaged or truncated.")
    if primary == 11 or "malformed" in text:
        return CorruptStore(f"{where} is damaged (the database is malformed). Run 'profile verify', and restore from the server or a backup.")
    if primary == 10:
        return StorageError(f"A disk error stopped the write to {where}; nothing was saved. Check the disk and its free space.")
    if primary == 8:
        return StorageError(f"{where} is read-only; Fieldbook needs write access to its profile folder.")
    if primary == 14:
        return NotAProfile(f"{where} cannot be opened (missing folder or no permission).")
    return StorageError(f"{where} reported a database error ({getattr(exc, 'sqlite_errorname', type(exc).__name__)}).")


def check_new_passphrase(passphrase: str | None) -> str:
    if not passphrase:
        raise EmptyPassphrase("The passphrase is empty. Choose one of at least 8 characters.")
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(f"The passphrase is too short: use at least {MIN_PASSPHRASE} characters (a few words work well).")
    return passphrase


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise InvalidRecord("A record kind is a short lowercase name such as 'submission' or 'household'.")
    return kind


_SLICE = 1000  # records encrypted, then written, at a time in save_records


def _slices(items: Iterable[dict], size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_VALID_NAMES: set[str] = set()  # names already checked: records of a kind repeat them


def _check_fields(fields: object, *, allow_empty: bool = False, defer_floats: bool = False) -> bool:
    """Raise InvalidRecord unless ``fields`` is a JSON object of valid names and values.

    With ``defer_floats``, top-level floats may be left unchecked: then it returns
    True, and the caller must check ``_serialised_floats_ok`` on the serialised form.
    """
    if type(fields) is not dict:
        raise InvalidRecord("Record fields must be a JSON object of field names and values.")
    if not fields and not allow_empty:
        raise InvalidRecord("No fields were given.")
    if limits.too_many_fields(len(fields)):
        # The server refuses a change with more (rules/limits.py): refused here, at save
        # time, rather than queued in front of every later change.
        raise InvalidRecord(f"A record or edit may have at most {limits.MAX_FIELDS:,} fields; this one has {len(fields):,}.")
    if _VALID_NAMES.issuperset(fields):  # the common case, in one call: every name seen before
        return _check_values(fields.values(), defer_floats=defer_floats)
    for name in fields:
        if name in _VALID_NAMES:
            continue
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidRecord(
                "Field names must start with a letter or underscore and use only ASCII letters, digits, '_', '-', '.' or '/'."
            )
        if name == DELETED:
            raise InvalidRecord(f"'{DELETED}' is reserved; use delete to remove a record.")
        if len(_VALID_NAMES) < 10_000:
            _VALID_NAMES.add(name)
    return _check_values(fields.values(), defer_floats=defer_floats)


_SCALARS = frozenset((str, int, bool, type(None)))
_SCALARS_AND_FLOAT = _SCALARS | {float}


# Lists and objects may nest this deep in a field value. A hub refuses deeper values
# (the same number, from rules/limits.py): refused here, at save time, such a record can
# never sit in the outbox blocking every sync.
MAX_VALUE_DEPTH = limits.MAX_VALUE_DEPTH


def _check_values(values: Iterable, *, defer_floats: bool = False, depth: int = 1) -> bool:
    """Only what JSON carries exactly: no NaN or infinity (they would come back as null),
    and lists and objects nested at most ``MAX_VALUE_DEPTH`` deep.

    Returns True when it left top-level floats to ``_serialised_floats_ok`` (``defer_floats``).
    """
    types = set(map(type, values))
    if types <= _SCALARS:  # the common case, without a Python-level loop
        return False
    if types <= _SCALARS_AND_FLOAT:
        if defer_floats:
            return True
        for value in values:
            if type(value) is float and not math.isfinite(value):
                raise InvalidRecord("Field values must be finite numbers; NaN and infinity cannot be stored.")
        return False
    for value in values:
        t = type(value)
        if t is str or t is int or t is bool or value is None:
            continue
        if t is float:
            if not math.isfinite(value):
                raise InvalidRecord("Field values must be finite numbers; NaN and infinity cannot be stored.")
        elif t is dict or t is list:
            if depth > MAX_VALUE_DEPTH:
                raise InvalidRecord(f"A field value nests lists or objects more than {MAX_VALUE_DEPTH} levels deep.")
            if t is list:
                _check_values(value, depth=depth + 1)
            elif not all(isinstance(k, str) for k in value):
                raise InvalidRecord("Nested objects need text keys.")
            else:
                _check_values(value.values(), depth=depth + 1)
        else:
            raise InvalidRecord("Field values must be text, numbers, true/false, null, lists or objects.")
    return False


def _check_size(size: int) -> None:
    """Refuse what the server would refuse for its size (rules/limits.py)."""
    if limits.too_large(size):
        raise InvalidRecord(f"A record or edit may hold at most {limits.MAX_CHANGE_BYTES // (1024 * 1024)} MiB of values; "
                            f"this one holds {size / (1024 * 1024):.1f} MiB. Keep large files outside the record.")


def _serialised_floats_ok(fields: dict, serialised: bytes) -> None:
    """The deferred float check: orjson writes NaN and infinity as ``null``, so without
    a ``null`` in the output (the usual case) every float was finite. Otherwise check
    exactly (a null value, or "null" inside a text, only costs the slow path)."""
    if b"null" in serialised:
        _check_values(fields.values())


class Store(ReplicaMixin):
    """An open profile. Locked until :meth:`unlock` or :meth:`unlock_with_recovery_key`."""

    def __init__(self, directory: Path, keyring: Keyring, conn: sqlite3.Connection) -> None:
        self.directory = directory
        self.keyring = keyring
        self._conn = conn
        self._data_key: bytes | None = None
        self._sealer: crypto.Sealer | None = None
        self._keys: crypto.SubKeys | None = None
        self.user_id: str | None = None
        self.user_name: str | None = None
        self._tx: _Tx | None = None
        self._savepoints = itertools.count()
        self._index_fields: dict[str, dict[str, str]] = {}
        self.clock = hlc.HybridClock(self._meta_int("hlc", 0, hex_=True))

    # -- lifecycle -------------------------------------------------------------
    @property
    def device_id(self) -> str:
        return self.keyring.device_id

    @property
    def profile_id(self) -> str:
        return self.keyring.profile_id

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike,
        *,
        user: str,
        passphrase: str,
        kdf: crypto.KdfParams | None = None,
    ) -> tuple["Store", str]:
        """Make a new profile; return it unlocked, and the recovery key to print once."""
        directory = Path(directory)
        if not user or not user.strip():
            raise UnknownUser("A user name is needed for the first user of a profile.")
        check_new_passphrase(passphrase)
        for name in ("keyring.json", DB_NAME, WIPED_MARKER):
            if (directory / name).exists():
                raise ProfileExists(
                    f"{directory} already holds a profile (or what is left of one). Choose an empty folder."
                )
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        keyring = Keyring(profile_id=uuid7(), device_id=new_device_id())
        data_key = crypto.new_data_key()
        slot = keyring.add_user_slot(user.strip(), passphrase, data_key, kdf or crypto.KdfParams.new())
        recovery_text, raw = crypto.new_recovery_key()
        keyring.set_recovery_slot(raw, data_key)
        conn = _connect(directory / DB_NAME)
        try:
            db = Database(conn, execute_plugins=False, recursive_triggers=False)
            with translate_errors("The new store"):
                schema.upgrade(db)
                with db.atomic():
                    for key, value in (
                        ("profile_id", keyring.profile_id),
                        ("device_id", keyring.device_id),
                        ("hlc", hlc.encode(0)),
                        ("last_seq", "0"),
                    ):
                        conn.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
            # The keyring goes last: a folder without one is not (yet) a profile.
            keyring.save(directory)
        except BaseException:
            conn.close()
            raise
        store = cls(directory, keyring, conn)
        store._become(data_key, slot.user_id, slot.name)
        with store.atomic():
            store._audit("profile_created")
        log.info("profile created (profile %s, device %s)", keyring.profile_id, keyring.device_id)
        return store, recovery_text

    @classmethod
    def open(cls, directory: str | os.PathLike, *, busy_timeout: float = 5.0) -> "Store":
        """Open a profile, locked. Migrates its schema if this Fieldbook is newer."""
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
        conn = _connect(path, busy_timeout=busy_timeout, configure=False)
        try:
            with translate_errors(f"The store in {directory}"):
                db = Database(conn, execute_plugins=False, recursive_triggers=False)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > schema.SCHEMA_VERSION:
                    raise NewerStore(
                        f"The store in {directory} was written by a newer Fieldbook (schema {version}); update Fieldbook to open it."
                    )
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if "meta" not in tables or "records" not in tables:
                    raise NotAProfile(f"{path} is a database, but not a Fieldbook store.")
                meta = dict(conn.execute("SELECT key, value FROM meta"))
                if meta.get("profile_id") != keyring.profile_id:
                    raise CorruptStore(
                        f"The keyring and the database in {directory} belong to different profiles; put back the matching keyring."
                    )
                _configure(conn, path)
                if schema.pending(db):
                    before = version
                    schema.upgrade(db)
                    log.info("store schema upgraded from %s to %s", before, schema.SCHEMA_VERSION)
        except BaseException:
            conn.close()
            raise
        return cls(directory, keyring, conn)

    def users(self) -> list[str]:
        return [s.name for s in self.keyring.users]

    def unlock(self, passphrase: str, user: str | None = None) -> None:
        """Unwrap the data key with a user's passphrase. Tries every user when none is named."""
        if not passphrase:
            raise EmptyPassphrase("The passphrase is empty.")
        slots = self.keyring.users
        if user is not None:
            slots = [s for s in slots if s.name == user]
            if not slots:
                raise UnknownUser(f"There is no user '{user}' on this profile. Users: {', '.join(self.users())}.")
        for slot in slots:
            kek = crypto.derive_user_key(passphrase, slot.kdf)
            try:
                data_key = crypto.unwrap_key(kek, slot.wrapped, self.keyring.slot_ad(slot.slot_id))
            except crypto.AuthenticationFailed:
                continue
            self._become(data_key, slot.user_id, slot.name)
            self._audit_best_effort("unlock")
            return
        log.warning("unlock failed: wrong passphrase")
        raise WrongPassphrase("Wrong passphrase. Check the keyboard layout and Caps Lock, then try again.")

    def unlock_with_recovery_key(self, text: str) -> None:
        try:
            raw = crypto.parse_recovery_key(text)
        except ValueError as exc:
            raise MalformedRecoveryKey(f"That recovery key was mistyped: {exc}.") from None
        slot = self.keyring.recovery_slot()
        if slot is None:
            raise WrongRecoveryKey("This profile has no recovery key.")
        try:
            data_key = crypto.unwrap_key(crypto.recovery_kek(raw, self.profile_id), slot.wrapped, self.keyring.slot_ad(slot.slot_id))
        except crypto.AuthenticationFailed:
            raise WrongRecoveryKey("That recovery key belongs to another profile.") from None
        self._become(data_key, RECOVERY_USER, "recovery key")
        self._audit_best_effort("unlock_recovery")

    def _become(self, data_key: bytes, user_id: str, user_name: str | None) -> None:
        self._data_key = data_key
        self._keys = crypto.sub_keys(data_key, self.profile_id)
        self._sealer = crypto.Sealer(self._keys.records)
        self.user_id, self.user_name = user_id, user_name
        self._load_index_fields()

    @property
    def unlocked(self) -> bool:
        return self._data_key is not None

    def lock(self) -> None:
        self._data_key = self._keys = self._sealer = None
        self.user_id = self.user_name = None

    def close(self) -> None:
        self.lock()
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _need_key(self) -> crypto.Sealer:
        if self._sealer is None:
            raise Locked("The profile is locked; unlock it first.")
        return self._sealer

    # -- users and keys ----------------------------------------------------------
    def _change_keyring(self, action: str, change: Callable[[], object]) -> None:
        """Change the key slots and save the keyring inside the transaction that audits it:
        the audit entry is written first, the keyring saved last, so a failure of either
        (a full disk, a busy store) leaves both as they were, on disk and in memory."""
        slots = list(self.keyring.slots)
        saved = False
        try:
            with self.atomic():
                self._audit(action)
                change()
                self.keyring.save(self.directory)
                saved = True
        except BaseException:
            self.keyring.slots = slots
            if saved:  # the commit itself failed: put the keyring back as it was
                self.keyring.save(self.directory)
            raise

    def add_user(self, name: str, passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        self._need_key()
        name = (name or "").strip()
        if not name:
            raise UnknownUser("A user needs a name.")
        if name in self.users():
            raise UserExists(f"There is already a user '{name}' on this profile.")
        check_new_passphrase(passphrase)
        self._change_keyring("user_added", lambda: self.keyring.add_user_slot(
            name, passphrase, self._data_key, kdf or crypto.KdfParams.new()))

    def check_passphrase(self, user: str, passphrase: str) -> None:
        """Raise WrongPassphrase unless ``passphrase`` is ``user``'s (before a change of it, say).
        Changes nothing: the unlocked state stays as it is."""
        if not passphrase:
            raise EmptyPassphrase("The passphrase is empty.")
        slot = next((s for s in self.keyring.users if s.name == user), None)
        if slot is None:
            raise UnknownUser(f"There is no user '{user}' on this profile.")
        try:
            crypto.unwrap_key(crypto.derive_user_key(passphrase, slot.kdf), slot.wrapped, self.keyring.slot_ad(slot.slot_id))
        except crypto.AuthenticationFailed:
            log.warning("passphrase check failed")
            raise WrongPassphrase("The current passphrase is wrong, so it was not changed.") from None

    def change_passphrase(self, user: str, new_passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        """Re-wrap the data key for ``user``. The data itself is never re-encrypted."""
        self._need_key()
        check_new_passphrase(new_passphrase)
        old = next((s for s in self.keyring.users if s.name == user), None)
        if old is None:
            raise UnknownUser(f"There is no user '{user}' on this profile.")

        def rewrap() -> None:
            self.keyring.slots.remove(old)
            self.keyring.add_user_slot(user, new_passphrase, self._data_key, kdf or crypto.KdfParams.new(),
                                       user_id=old.user_id)

        self._change_keyring("passphrase_changed", rewrap)

    def remove_user(self, name: str) -> None:
        """Remove a person's key slot: their passphrase no longer opens the profile. The
        last user cannot be removed (LastUser): wiping the profile is the way to end it."""
        self._need_key()
        users = self.keyring.users
        if name not in [s.name for s in users]:
            raise UnknownUser(f"There is no user '{name}' on this profile.")
        if len(users) == 1:
            raise LastUser("The last user cannot be removed; wipe the profile instead.")

        def remove() -> None:
            self.keyring.slots = [s for s in self.keyring.slots if not (s.kind == "user" and s.name == name)]

        self._change_keyring("user_removed", remove)

    def new_recovery_key(self) -> str:
        """Replace the recovery key; the old one stops working at once."""
        self._need_key()
        text, raw = crypto.new_recovery_key()
        self._change_keyring("recovery_key_replaced", lambda: self.keyring.set_recovery_slot(raw, self._data_key))
        return text

    def wipe(self) -> None:
        """Crypto-erase: shred the keyring so that no passphrase or recovery key opens the data."""
        marker = self.directory / WIPED_MARKER
        atomic_write(marker, f"wiped device {self.device_id}\n".encode())
        shred(self.directory / "keyring.json")
        fsync_dir(self.directory)
        self.keyring.slots = []
        log.warning("profile wiped (device %s)", self.device_id)
        self.close()

    # -- transactions ----------------------------------------------------------
    @contextlib.contextmanager
    def atomic(self) -> Iterator["Store"]:
        """The one transaction helper: BEGIN IMMEDIATE at the top level, savepoints inside.

        At the top level it also loads and persists the clock, the outbox
        sequence and the audit-chain head, so they commit with the rows they cover.
        """
        conn = self._conn
        if self._tx is not None:
            name = f"sp{next(self._savepoints)}"
            saved = dataclasses.replace(self._tx)
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    self._tx = saved  # the sequence and audit head go back with the rows
                raise
            conn.execute(f"RELEASE {name}")
            return
        with translate_errors():
            conn.execute("BEGIN IMMEDIATE")
        try:
            with translate_errors():
                meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('hlc','last_seq','audit_head')"))
                self.clock.observe(hlc.decode(meta.get("hlc", hlc.encode(0))))
                head_seq, _, head_mac = meta.get("audit_head", "0:").partition(":")
                self._tx = _Tx(
                    last_seq=int(meta.get("last_seq", "0")),
                    audit_seq=int(head_seq),
                    audit_mac=bytes.fromhex(head_mac) if head_mac else self._audit_genesis(),
                )
            yield self
            with translate_errors():
                tx = self._tx
                conn.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [
                        ("hlc", hlc.encode(self.clock.last)),
                        ("last_seq", str(tx.last_seq)),
                        ("audit_head", f"{tx.audit_seq}:{tx.audit_mac.hex()}"),
                    ],
                )
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self._tx = None

    # -- records -----------------------------------------------------------------
    def save_record(self, kind: str, fields: dict, *, form_id: str | None = None, form_version: str | None = None) -> str:
        """Save a new record; return its id."""
        return self.save_records(kind, [fields], form_id=form_id, form_version=form_version)[0]

    def save_records(
        self,
        kind: str,
        many: Iterable[dict],
        *,
        form_id: str | None = None,
        form_version: str | None = None,
    ) -> list[str]:
        """Save many new records in one transaction (imports, bulk registration)."""
        sealer = self._need_key()
        _check_kind(kind)
        for ref_value, what in ((form_id, "form id"), (form_version, "form version")):
            if ref_value is not None and (not isinstance(ref_value, str) or len(ref_value) > limits.MAX_FORM_REF):
                raise InvalidRecord(f"A {what} is text of at most {limits.MAX_FORM_REF} characters.")
        ids: list[str] = []
        with self.atomic():
            with translate_errors():
                ref = (self._conn.execute("SELECT max(ref) FROM records").fetchone()[0] or 0) + 1
            # Slices bound the memory of a big import. (Overlapping encryption with the
            # writes on a second thread was measured slower: the writer waits for the
            # interpreter lock on every row it binds.)
            for chunk in _slices(many, _SLICE):
                rows = self._prepare_new(sealer, kind, chunk, form_id, form_version, ref)
                self._write_new(rows)
                ids += rows[0]
                ref += len(rows[0])
        log.info("saved %d %s record(s)", len(ids), kind)
        return ids

    def _prepare_new(self, sealer: crypto.Sealer, kind: str, chunk: list, form_id, form_version, ref: int) -> tuple:
        """Encrypt and stamp one slice of new records (pure Python; no database access).

        Per record: one sealed body, whose row the creation change reads (``outbox_seq``),
        and the blind-index tokens. One audit entry covers the whole slice.
        Records of a local kind get no change and no sequence number, and one plain
        audit entry each: a batch entry's packed ids claim outbox sequence numbers
        (``verify`` vouches for bodyless changes with them), and these have none.
        """
        local = kind in LOCAL_KINDS
        n = len(chunk)
        new_ids = uuid7_many(n)
        ids = [rid for rid, _raw in new_ids]
        seal = sealer.sealing("record", n)
        bodies = []
        for fields, rid in zip(chunk, ids):
            deferred = _check_fields(fields, defer_floats=True)
            try:
                plain = _dumps(fields)
            except TypeError as exc:
                raise InvalidRecord("Field values must be text, numbers, true/false, null, lists or objects.") from exc
            if deferred:
                _serialised_floats_ok(fields, plain)
            _check_size(len(plain))
            # Sealed at once: each plaintext buffer is freed (and reused) before the next.
            bodies.append(seal(rid, plain))
        tx = self._tx
        device = self.device_id
        stamps = self.clock.ticks(n)
        first_seq = tx.last_seq + 1
        seqs = itertools.repeat(None, n) if local else range(first_seq, first_seq + n)
        refs = range(ref, ref + n)
        # clocks stay NULL: every field carries the stamp in `updated`.
        rec_rows = [
            (r, rid, kind, form_id, form_version, f"{now}@{device}", seq, body)
            for r, rid, now, seq, body in zip(refs, ids, stamps, seqs, bodies)
        ]
        author = self._author()
        if local:
            change_rows = []
        elif author is None:
            change_rows = [(device, seq, rid, kind, form_id, form_version, now, None)
                           for seq, rid, now in zip(seqs, ids, stamps)]
        else:
            seal_author, name = sealer.sealing(AUTHOR_PURPOSE, n), author.encode()
            change_rows = [(device, seq, rid, kind, form_id, form_version, now, seal_author(f"{device}|{seq}|{rid}", name))
                           for seq, rid, now in zip(seqs, ids, stamps)]
        index_rows = []
        for name, normaliser in self._indexed(kind).items():
            norm = normalize.NORMALISERS[normaliser]
            present = [(r, fields[name]) for r, fields in zip(refs, chunk) if fields.get(name) not in (None, "")]
            tokens = crypto.blind_tokens(self._keys.blind_index, crypto.blind_prefix(kind, name), [norm(v) for _r, v in present])
            index_rows += zip(tokens, [r for r, _v in present])
        # Sorted, the tokens go into the index in key order: each page is visited once.
        index_rows.sort()
        if local:
            audit_rows = [self._audit_row("add", rid) for rid in ids]
        else:
            tx.last_seq = first_seq + n - 1
            audit_rows = [self._audit_row("add", ids[0] if n == 1 else None,
                                          records=_pack_ids(first_seq, [raw for _rid, raw in new_ids]))]
        return ids, rec_rows, change_rows, index_rows, audit_rows

    def _write_new(self, rows: tuple) -> None:
        _ids, rec_rows, change_rows, index_rows, audit_rows = rows
        with translate_errors():
            c = self._conn
            c.executemany(
                "INSERT INTO records (ref, id, kind, form_id, form_version, updated, outbox_seq, body) VALUES (?,?,?,?,?,?,?,?)",
                rec_rows,
            )
            c.executemany(
                "INSERT INTO changes (device_id, seq, record_id, kind, form_id, form_version, hlc, author) VALUES (?,?,?,?,?,?,?,?)",
                change_rows,
            )
            c.executemany("INSERT OR IGNORE INTO blind_index VALUES (?, ?)", index_rows)
            c.executemany(_AUDIT_INSERT, audit_rows)

    def get_record(self, record_id: str) -> Record:
        sealer = self._need_key()
        row = self._row(record_id)
        return self._decode(sealer, row)

    def edit_record(self, record_id: str, changes: dict, *, _resolves: list | None = None) -> Record:
        """Change only the given fields. Unchanged values are not written again."""
        sealer = self._need_key()
        _check_fields(changes)
        try:
            _check_size(len(_dumps(changes)))
        except TypeError as exc:
            raise InvalidRecord("Field values must be text, numbers, true/false, null, lists or objects.") from exc
        with self.atomic():
            row = self._row(record_id)
            record = self._decode(sealer, row)
            if record.deleted:
                raise UnknownRecord(f"Record {record_id} was deleted; it cannot be edited.")
            changed = {k: v for k, v in changes.items() if record.fields.get(k, _MISSING) != v}
            if not changed:
                return record
            local = record.kind in LOCAL_KINDS
            if not local:
                self._keep_creation(sealer, record, row[_OUTBOX_SEQ])
            now = self.clock.tick()
            st = f"{now}@{self.device_id}"
            old_fields = dict(record.fields)
            bases = {k: record.clocks[k] for k in changed if k in record.clocks}
            record.fields.update(changed)
            for k in changed:
                record.clocks[k] = st
            self._write_record(sealer, record, st)
            self._reindex(record, row[_REF], old_fields, changed.keys())
            if not local:
                self._append_change(sealer, record, now, changed, bases, _resolves)
            self._audit("edit", record_id, detail={"fields": sorted(changed)})
        log.info("edited record %s (%d field(s))", record_id, len(changed))
        return record

    def delete_record(self, record_id: str) -> None:
        """Leave a tombstone: the row stays with its id and clocks, the values are erased."""
        sealer = self._need_key()
        with self.atomic():
            row = self._row(record_id)
            record = self._decode(sealer, row)
            if record.kind in LOCAL_KINDS:
                self._erase_local(record, row[_REF])
                log.info("erased local record %s", record_id)
                return
            if record.deleted:
                return
            self._keep_creation(sealer, record, row[_OUTBOX_SEQ])
            now = self.clock.tick()
            st = f"{now}@{self.device_id}"
            old_fields = record.fields
            bases = dict(record.clocks)  # what this delete saw: later or unseen writes become conflicts elsewhere
            record.clocks[DELETED] = st  # expands the clocks while the field names are known
            record.fields = {}
            record.deleted = True
            self._write_record(sealer, record, st)
            ref = row[_REF]
            with translate_errors():
                self._conn.executemany(
                    "DELETE FROM blind_index WHERE token = ? AND ref = ?",
                    [(t, ref) for t in self._tokens(record.kind, old_fields)],
                )
            self._append_change(sealer, record, now, {}, bases)
            self._audit("delete", record_id)
        log.info("deleted record %s", record_id)

    def _erase_local(self, record: Record, ref: int) -> None:
        """Delete a local-only record outright: no other replica holds it, so there is no
        one to tell with a tombstone. With ``secure_delete`` on, SQLite zeroes the freed
        sealed body. Its blind-index tokens and any conflicts kept for it go too (a draft
        pulled before schema 0007 could have both); outbox rows cannot exist for it."""
        with translate_errors():
            c = self._conn
            c.executemany("DELETE FROM blind_index WHERE token = ? AND ref = ?",
                          [(t, ref) for t in self._tokens(record.kind, record.fields)])
            c.execute("DELETE FROM conflicts WHERE record_id = ?", (record.id,))
            c.execute("DELETE FROM records WHERE ref = ?", (ref,))
        self._audit("delete", record.id)

    def list_records(self, kind: str | None = None, *, form_id: str | None = None, include_deleted: bool = False,
                     newest_first: bool = False, limit: int | None = None) -> Iterator[Record]:
        """Stream records in id order, decrypting one at a time (memory stays flat on big
        stores). With ``form_id``, only that form's records are read and decrypted. Ids are
        time-ordered, so ``newest_first`` with a ``limit`` reads only the newest few,
        however big the store.

        The arguments and the lock are checked when it is called, not at the first record:
        a bad ``limit`` raises InvalidQuery and a locked store Locked, at once."""
        if limit is not None and (type(limit) is not int or limit < 0):
            raise InvalidQuery("A limit on records is a whole number, 0 or more.")
        sealer = self._need_key()
        # The common scan is one kind's live records: kind and deleted are then known, not read.
        lean = kind is not None and not include_deleted
        if lean:
            sql = f"SELECT id, form_id, form_version, {_CLOCKS}, body FROM records WHERE kind = ? AND deleted = 0"
            args: list = [kind]
            if form_id is not None:
                sql += " AND form_id = ?"
                args.append(form_id)
        else:
            sql = f"SELECT id, kind, form_id, form_version, {_CLOCKS}, deleted, body FROM records"
            where, args = [], []
            if kind is not None:
                where.append("kind = ?")
                args.append(kind)
            if not include_deleted:
                where.append("deleted = 0")
            if form_id is not None:
                where.append("form_id = ?")
                args.append(form_id)
            if where:
                sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with translate_errors():
            cursor = self._conn.execute(sql, args)
        return self._scan(sealer, cursor, kind if lean else None)

    @staticmethod
    def _scan(sealer: crypto.Sealer, cursor: sqlite3.Cursor, lean_kind: str | None) -> Iterator[Record]:
        """Decrypt ``list_records``' rows one at a time. ``lean_kind``: the rows are one kind's
        live records, read without their kind and deleted columns."""
        # The hot loop of every scan: Sealer.open inlined (same format and associated data).
        decrypt = sealer.aead.decrypt
        version = crypto.KEY_VERSION
        ad = f"record|%s|{version}"
        with translate_errors():  # damage found mid-scan is a CorruptStore, not a raw sqlite error
            if lean_kind is not None:
                kind = lean_kind
                for rid, fid, fver, clocks, body in cursor:
                    try:
                        if body[0] != version:
                            raise InvalidTag
                        fields = _loads(decrypt(body[1:13], body[13:], (ad % rid).encode()))
                    except (InvalidTag, ValueError, IndexError):
                        raise DamagedRecord(rid) from None
                    yield Record(rid, kind, fid, fver, fields, clocks, False)
            else:
                for rid, rkind, fid, fver, clocks, deleted, body in cursor:
                    try:
                        if body[0] != version:
                            raise InvalidTag
                        fields = _loads(decrypt(body[1:13], body[13:], (ad % rid).encode()))
                    except (InvalidTag, ValueError, IndexError):
                        raise DamagedRecord(rid) from None
                    yield Record(rid, rkind, fid, fver, fields, clocks, bool(deleted))

    def record_stamps(self, kind: str, *, form_id: str | None = None) -> Iterator[tuple[str, str]]:
        """When each live record of ``kind`` last changed, here or anywhere: ``(id, newest
        stamp)`` pairs (``hlc@device``), streamed. Read from plaintext columns: nothing is
        decrypted. (Streamed, so a caller on a worker can let other threads in between rows.)"""
        sql, args = "SELECT id, updated FROM records WHERE kind = ? AND deleted = 0", [kind]
        if form_id is not None:
            sql += " AND form_id = ?"
            args.append(form_id)
        with translate_errors():
            yield from self._conn.execute(sql, args)

    def waiting_record_ids(self, *, form_id: str | None = None) -> Iterator[str]:
        """Records with a change made here that the server has not yet confirmed (the
        outbox, by record), streamed. Local-only records (drafts) are never in it."""
        sql, args = "SELECT DISTINCT record_id FROM changes WHERE acked = 0 AND device_id = ?", [self.device_id]
        if form_id is not None:
            sql += " AND form_id = ?"
            args.append(form_id)
        with translate_errors():
            for (rid,) in self._conn.execute(sql, args):
                yield rid

    def count_records(self, kind: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM records WHERE deleted = 0", []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        with translate_errors():
            return self._conn.execute(sql, args).fetchone()[0]

    # -- blind indexes -----------------------------------------------------------
    def declare_index(self, kind: str, field: str, normaliser: str = "text") -> int:
        """Make ``field`` of ``kind`` searchable by exact value; index existing records. Returns how many."""
        sealer = self._need_key()
        if kind != "*":
            _check_kind(kind)
        _check_fields({field: None})
        if normaliser not in normalize.NORMALISERS:
            raise InvalidRecord(f"Unknown normaliser '{normaliser}'; use one of: {', '.join(normalize.NORMALISERS)}.")
        count = 0
        with self.atomic():
            with translate_errors():
                self._conn.execute("INSERT OR REPLACE INTO index_fields VALUES (?, ?, ?)", (kind, field, normaliser))
            self._load_index_fields()
            sql, args = "SELECT ref, id, kind, body FROM records WHERE deleted = 0", []
            if kind != "*":
                sql += " AND kind = ?"
                args.append(kind)
            rows = []
            with translate_errors():
                for ref, rid, rkind, body in self._conn.execute(sql, args).fetchall():
                    try:
                        value = _loads(sealer.open("record", rid, body)).get(field)
                    except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                        raise DamagedRecord(rid) from None
                    if value not in (None, ""):
                        rows.append((self._token(rkind, field, normaliser, value), ref))
                self._conn.executemany("INSERT OR IGNORE INTO blind_index VALUES (?, ?)", rows)
            count = len(rows)
            self._audit("index_declared")
        return count

    def indexed_fields(self, kind: str) -> dict[str, str]:
        return dict(self._indexed(kind))

    def find_records(self, kind: str, field: str, value: object) -> list[Record]:
        """Exact match through the blind index; the value itself is never stored or logged."""
        sealer = self._need_key()
        normaliser = self._indexed(kind).get(field)
        if normaliser is None:
            names = ", ".join(sorted(self._indexed(kind))) or "none"
            raise NoBlindIndex(f"Field '{field}' of kind '{kind}' has no blind index, so it cannot be searched exactly. Indexed fields: {names}.")
        token = self._token(kind, field, normaliser, value)
        norm = normalize.NORMALISERS[normaliser]
        wanted = norm(value)
        with translate_errors():
            rows = self._conn.execute(
                f"SELECT r.id, r.kind, r.form_id, r.form_version, {_CLOCKS_R}, r.deleted, r.body "
                # CROSS JOIN keeps SQLite on the token index first, whatever its statistics say.
                "FROM blind_index b CROSS JOIN records r ON r.ref = b.ref "
                "WHERE b.token = ? AND r.kind = ? AND r.deleted = 0 ORDER BY r.id",
                (token, kind),
            ).fetchall()
        found = []
        for row in rows:
            record = self._decode(sealer, row)
            # Guard against a truncated-HMAC collision: confirm on the decrypted value.
            if record.fields.get(field) not in (None, "") and norm(record.fields[field]) == wanted:
                found.append(record)
        return found

    def _tokens(self, kind: str, fields: dict) -> list[bytes]:
        return [
            self._token(kind, name, normaliser, fields[name])
            for name, normaliser in self._indexed(kind).items()
            if fields.get(name) not in (None, "")
        ]

    def _token(self, kind: str, field: str, normaliser: str, value: object) -> bytes:
        return crypto.blind_token(self._keys.blind_index, kind, field, normalize.NORMALISERS[normaliser](value))

    def _load_index_fields(self) -> None:
        table: dict[str, dict[str, str]] = {}
        with translate_errors():
            for kind, fld, normaliser in self._conn.execute("SELECT kind, field, normaliser FROM index_fields"):
                table.setdefault(kind, {})[fld] = normaliser
        self._index_fields = table

    def _indexed(self, kind: str) -> dict[str, str]:
        merged = dict(self._index_fields.get("*", {}))
        merged.update(self._index_fields.get(kind, {}))
        return merged

    def _reindex(self, record: Record, ref: int, old: dict, changed: Iterable[str]) -> None:
        indexed = self._indexed(record.kind)
        with translate_errors():
            for name in changed:
                normaliser = indexed.get(name)
                if normaliser is None:
                    continue
                if old.get(name) not in (None, ""):
                    self._conn.execute(
                        "DELETE FROM blind_index WHERE token = ? AND ref = ?",
                        (self._token(record.kind, name, normaliser, old[name]), ref),
                    )
                if record.fields.get(name) not in (None, ""):
                    self._conn.execute(
                        "INSERT OR IGNORE INTO blind_index VALUES (?, ?)",
                        (self._token(record.kind, name, normaliser, record.fields[name]), ref),
                    )

    # -- outbox ------------------------------------------------------------------
    def pending_changes(self, limit: int | None = None, *, after_seq: int = 0,
                        max_bytes: int | None = None) -> list[Change]:
        """Unacknowledged local changes, oldest first.

        ``after_seq`` skips those up to that sequence number (a USB export in parts reads
        the outbox part by part). ``max_bytes`` stops before the change that would take
        the decrypted field values past that many bytes, but always returns at least one
        change: sync sends batches bounded in bytes, and a 200 MiB outbox is never read
        into memory whole.

        A record's creation change has no body of its own while the record is as it
        was created: its fields are read from the record row (see ``_keep_creation``).
        """
        sealer = self._need_key()
        sql = (
            "SELECT c.device_id, c.seq, c.record_id, c.kind, c.form_id, c.form_version, c.hlc, c.deleted, c.body, "
            "r.outbox_seq, r.updated, r.body, c.bases, c.resolves, c.author "
            "FROM changes c LEFT JOIN records r ON c.body IS NULL AND r.id = c.record_id "
            "WHERE c.acked = 0 AND c.seq > ? ORDER BY c.device_id, c.seq"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        out = []
        size = 0
        device = self.device_id
        with translate_errors():
            cursor = self._conn.execute(sql, (int(after_seq),))
            while True:
                rows = cursor.fetchmany(64)
                if not rows:
                    break
                for (dev, seq, rid, kind, fid, fver, h, deleted, body, outbox_seq, updated, record_body, bases, resolves,
                     sealed_author) in rows:
                    try:
                        author = (sealer.open(AUTHOR_PURPOSE, f"{dev}|{seq}|{rid}", sealed_author).decode()
                                  if sealed_author is not None else None)
                        if body is not None:
                            plain = sealer.open("change", f"{dev}|{seq}|{rid}", body)
                        # The row must still be the one this change created: same sequence, same stamp.
                        elif dev == device and outbox_seq == seq and updated == f"{h}@{dev}" and record_body is not None:
                            plain = sealer.open("record", rid, record_body)
                        else:
                            raise crypto.AuthenticationFailed()
                        fields = _loads(plain)
                    except (crypto.AuthenticationFailed, orjson.JSONDecodeError, UnicodeDecodeError):
                        raise DamagedRecord(rid, "change for record") from None
                    if max_bytes is not None:
                        size += len(plain) + CHANGE_OVERHEAD_BYTES + (len(bases) if bases else 0)
                        if out and size > max_bytes:
                            cursor.close()
                            return out
                    out.append(Change(dev, seq, rid, kind, fid, fver, h, bool(deleted), fields, _loads(bases) if bases else {},
                                      _loads(resolves) if resolves else [], author))
        return out

    def pending_count(self) -> int:
        with translate_errors():
            return self._conn.execute("SELECT count(*) FROM changes WHERE acked = 0").fetchone()[0]

    def _append_change(self, sealer: crypto.Sealer, record: Record, now: str, fields: dict, bases: dict | None = None,
                       resolves: list | None = None, *, deleted: bool | None = None) -> None:
        if record.kind in LOCAL_KINDS:
            # A bug, not a user error: a local record must never reach the outbox, where
            # it would take a sequence number and be pushed.
            raise AssertionError(f"a {record.kind} record must not enter the outbox")
        tx = self._tx
        tx.last_seq += 1
        seq = tx.last_seq
        place = f"{self.device_id}|{seq}|{record.id}"
        body = sealer.seal("change", place, _dumps(fields))
        author = self._author()
        sealed_author = sealer.seal(AUTHOR_PURPOSE, place, author.encode()) if author else None
        with translate_errors():
            self._conn.execute(
                "INSERT INTO changes (device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, body, bases, resolves, author) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.device_id, seq, record.id, record.kind, record.form_id, record.form_version, now,
                 int(record.deleted if deleted is None else deleted), body,
                 _dumps(bases).decode() if bases else None, _dumps(resolves).decode() if resolves else None, sealed_author),
            )

    def _author(self) -> str | None:
        """The author of a change written now: the unlocked person's display name, or None
        when nobody by name is unlocked (the recovery key)."""
        if self.user_id == RECOVERY_USER:
            return None
        return limits.author_text(self.user_name)

    def _keep_creation(self, sealer: crypto.Sealer, record: Record, outbox_seq: int | None) -> None:
        """Before a record row is first rewritten, give its creation change a sealed copy
        of the fields it was created with: until now it read them from the row.

        Every rewrite of a record row must call this first (and then ``_write_record``,
        which clears ``outbox_seq`` and moves ``updated``); ``record`` is the row as
        read, not yet changed. A rewrite that skipped it is caught, not sent: the
        outbox and ``verify`` accept a bodyless change only while the row's
        ``outbox_seq`` and ``updated`` stamp are still the change's own.
        """
        if outbox_seq is None:
            return
        device = self.device_id
        body = sealer.seal("change", f"{device}|{outbox_seq}|{record.id}", _dumps(record.fields))
        with translate_errors():
            self._conn.execute(
                "UPDATE changes SET body = ? WHERE device_id = ? AND seq = ? AND record_id = ? AND body IS NULL",
                (body, device, outbox_seq, record.id),
            )

    # -- audit -------------------------------------------------------------------
    def _audit_genesis(self) -> bytes:
        if self._keys is None:
            raise Locked("The profile is locked; unlock it first.")
        return crypto.chain_mac(self._keys.audit, b"", ("genesis", self.profile_id))

    def _audit(self, action: str, record_id: str | None = None, *, detail: dict | None = None) -> None:
        row = self._audit_row(action, record_id, detail=detail)
        with translate_errors():
            self._conn.execute(_AUDIT_INSERT, row)

    def _audit_row(self, action: str, record_id: str | None, *, detail: dict | None = None, records: bytes | None = None,
                   author: str | None = None) -> tuple:
        """The next link of the chain, as a row; ``records`` packs the ids a batch entry covers.
        ``author`` replaces the user id for what nobody here wrote (``origin_author``)."""
        tx = self._tx
        tx.audit_seq += 1
        seq = tx.audit_seq
        when = hlc.encode(self.clock.last)
        uid = author or self.user_id
        blob = self._sealer.seal("audit", str(seq), _dumps(detail)) if detail is not None else None
        mac = _audit_link(self._keys.audit, tx.audit_mac, seq, when, uid, action, record_id, blob, records)
        tx.audit_mac = mac
        return (seq, when, uid, action, record_id, blob, mac, records)

    def audit_entries(self, record_id: str | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; with ``record_id``, that record's entries, their
        sealed details opened.

        An entry that added a batch of records stands for one "add" per record here.
        A change applied by sync is credited to the laptop it came from, never to the
        person unlocked here (entries written before the store kept that laptop
        say only that it was another one).
        """
        sealer = self._need_key()
        names = {s.user_id: s.name for s in self.keyring.users}
        names[RECOVERY_USER] = "recovery key"
        sql, args = "SELECT seq, hlc, user_id, action, record_id, records, detail FROM audit", []
        needle = None
        if record_id:
            try:
                needle = uuid_bytes(record_id)
            except (ValueError, AttributeError):
                needle = None
            sql += " WHERE record_id = ? OR (records IS NOT NULL AND instr(records, ?) > 0)"
            args += [record_id, needle]
        with translate_errors():
            rows = self._conn.execute(sql + " ORDER BY seq", args).fetchall()
        out = []
        for seq, h, uid, action, rid, packed, blob in rows:
            if packed is None:
                entry = AuditEntry(seq, h, uid, names.get(uid), action, rid)
                if action in SYNC_ACTIONS:
                    entry.user_name = None
                    entry.origin = uid[len(ORIGIN_PREFIX):] if uid.startswith(ORIGIN_PREFIX) else ""
                if record_id and blob is not None:
                    try:
                        entry.detail = _loads(sealer.open("audit", str(seq), blob))
                    except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                        raise DamagedRecord(rid or "?", "audit detail for record") from None
                out.append(entry)
            elif record_id:
                if needle is not None and needle in _unpack_ids(packed)[1]:
                    out.append(AuditEntry(seq, h, uid, names.get(uid), action, record_id))
            else:
                out += [AuditEntry(seq, h, uid, names.get(uid), action, uuid_text(raw)) for raw in _unpack_ids(packed)[1]]
        return out

    def _audit_best_effort(self, action: str) -> None:
        """Audit a read-only event. A full disk or a busy store must not lock a person out
        of reading their data, so the failure is logged instead of raised."""
        try:
            with self.atomic():
                self._audit(action)
        except (DiskFull, StoreBusy) as exc:
            log.warning("audit entry '%s' not written: %s", action, type(exc).__name__)

    def log_event(self, action: str) -> None:
        """Record a non-record event (export, verify, sync) in the audit chain."""
        self._need_key()
        with self.atomic():
            self._audit(action)

    # -- verify ------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Decrypt every record and change, and walk the audit chain.

        A creation change without a body of its own must be vouched for twice: by its
        record row (``outbox_seq``) and by the audit entry that added the record.
        """
        sealer = self._need_key()
        report = VerifyReport()
        c = self._conn
        with translate_errors():
            result = [r[0] for r in c.execute("PRAGMA quick_check")]
            report.integrity = "ok" if result == ["ok"] else "; ".join(result[:5])
            row_claims: dict[int, tuple[str, str]] = {}  # outbox seq -> (record id, stamp), from the record rows
            for rid, body, outbox_seq, updated in c.execute("SELECT id, body, outbox_seq, updated FROM records"):
                report.records += 1
                try:
                    _loads(sealer.open("record", rid, body))
                except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                    report.damaged_records.append(rid)
                if outbox_seq is not None:
                    row_claims[outbox_seq] = (rid, updated)
            bodyless: list[tuple[str, int, str, str]] = []
            for dev, seq, rid, h, body, author in c.execute("SELECT device_id, seq, record_id, hlc, body, author FROM changes"):
                report.changes += 1
                if author is not None:
                    try:
                        sealer.open(AUTHOR_PURPOSE, f"{dev}|{seq}|{rid}", author)
                    except crypto.AuthenticationFailed:
                        report.damaged_changes.append(f"{dev}:{seq} (record {rid})")
                        continue
                if body is None:
                    bodyless.append((dev, seq, rid, h))
                    continue
                try:
                    _loads(sealer.open("change", f"{dev}|{seq}|{rid}", body))
                except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                    report.damaged_changes.append(f"{dev}:{seq} (record {rid})")
            prev = self._audit_genesis()
            expected_seq = 0
            key = self._keys.audit
            audit_claims: dict[int, bytes] = {}  # outbox seq -> record id bytes, from the audit chain
            for seq, when, uid, action, rid, blob, mac, packed in c.execute(
                "SELECT seq, hlc, user_id, action, record_id, detail, mac, records FROM audit ORDER BY seq"
            ):
                report.audit_entries += 1
                expected_seq += 1
                link = _audit_link(key, prev, seq, when, uid, action, rid, blob, packed)
                bad = seq != expected_seq or link != mac
                if blob is not None and not bad:
                    try:
                        sealer.open("audit", str(seq), blob)
                    except crypto.AuthenticationFailed:
                        bad = True
                if packed is not None and not bad:
                    try:
                        first, raws = _unpack_ids(packed)
                    except ValueError:
                        bad = True
                    else:
                        audit_claims.update(zip(range(first, first + len(raws)), raws))
                if bad:
                    report.audit_broken_at, report.audit_broken_record = seq, rid
                    break
                prev = mac
            if report.audit_broken_at is None:
                head = dict(c.execute("SELECT key, value FROM meta WHERE key = 'audit_head'")).get("audit_head", "0:")
                report.audit_head_ok = head == f"{expected_seq}:{prev.hex()}" or (expected_seq == 0 and head == "0:")
            for dev, seq, rid, h in bodyless:
                try:
                    vouched = (
                        dev == self.device_id
                        and row_claims.get(seq) == (rid, f"{h}@{dev}")
                        and audit_claims.get(seq) == uuid_bytes(rid)
                    )
                except (ValueError, AttributeError):
                    vouched = False
                if not vouched:
                    report.damaged_changes.append(f"{dev}:{seq} (record {rid})")
        self._audit_best_effort("verified" if report.ok else "verify_failed")
        return report

    # -- internals -----------------------------------------------------------------
    def _row(self, record_id: str) -> tuple:
        """The record row: the seven columns ``_decode`` reads, then ``ref`` and ``outbox_seq``."""
        if not isinstance(record_id, str) or not is_uuid(record_id):
            raise UnknownRecord("A record id looks like 0190f0c2-3b4a-7c1d-9e2f-0123456789ab; that is not one.")
        with translate_errors():
            row = self._conn.execute(
                f"SELECT id, kind, form_id, form_version, {_CLOCKS}, deleted, body, ref, outbox_seq FROM records WHERE id = ?",
                (record_id,),
            ).fetchone()
        if row is None:
            raise UnknownRecord(f"There is no record {record_id} in this profile.")
        return row

    @staticmethod
    def _decode(sealer: crypto.Sealer, row: tuple) -> Record:
        rid, kind, fid, fver, clocks, deleted, body = row[:7]
        try:
            fields = _loads(sealer.open("record", rid, body))
        except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
            raise DamagedRecord(rid) from None
        return Record(rid, kind, fid, fver, fields, clocks, bool(deleted))

    def _write_record(self, sealer: crypto.Sealer, record: Record, st: str) -> None:
        """Rewrite a record row (after ``_keep_creation``)."""
        with translate_errors():
            self._conn.execute(
                "UPDATE records SET clocks = ?, updated = ?, deleted = ?, outbox_seq = NULL, body = ? WHERE id = ?",
                (_encode_clocks(record.clocks, record.fields), st, int(record.deleted), sealer.seal("record", record.id, _dumps(record.fields)), record.id),
            )

    def _meta_int(self, key: str, default: int, *, hex_: bool = False) -> int:
        with translate_errors():
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        return int(row[0], 16 if hex_ else 10)


# The stored clocks, or the one stamp every field shares (NULL clocks, see schema 0004).
_CLOCKS = "coalesce(clocks, updated)"
_CLOCKS_R = "coalesce(r.clocks, r.updated)"
_REF, _OUTBOX_SEQ = 7, 8  # positions in Store._row
# Audit entries of changes that came from another laptop: their author column names
# that laptop (``ORIGIN_PREFIX`` + its device id), not the person unlocked here.
ORIGIN_PREFIX = "device:"
SYNC_ACTIONS = frozenset({"sync_edit"})
_AUDIT_INSERT = "INSERT INTO audit (seq, hlc, user_id, action, record_id, detail, mac, records) VALUES (?,?,?,?,?,?,?,?)"
_PACKED_FORMAT = 1


def _pack_ids(first_seq: int, raws: list[bytes]) -> bytes:
    """A batch entry's ``records``: format byte, first outbox sequence (8 bytes), 16 bytes per id."""
    return bytes([_PACKED_FORMAT]) + first_seq.to_bytes(8, "big") + b"".join(raws)


def _unpack_ids(packed: bytes) -> tuple[int, list[bytes]]:
    if len(packed) < 9 or packed[0] != _PACKED_FORMAT or (len(packed) - 9) % 16:
        raise ValueError("not a packed list of record ids")
    return int.from_bytes(packed[1:9], "big"), [packed[i : i + 16] for i in range(9, len(packed), 16)]


def _audit_link(key: bytes, prev: bytes, seq: int, when: str, user_id: str, action: str,
                record_id: str | None, detail: bytes | None, records: bytes | None) -> bytes:
    parts: tuple = (str(seq), when, user_id, action, record_id or "", detail or b"")
    if records is not None:
        parts += (records,)  # entries written before schema 0004 have six parts
    return crypto.chain_mac(key, prev, parts)


_MISSING = object()


def _connect(path: Path, *, busy_timeout: float = 5.0, configure: bool = True) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        if configure:
            _configure(conn, path)
    except sqlite3.Error as exc:
        raise _typed(exc, f"The store {path}") from exc
    return conn


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)  # -wal and -shm inherit the database's mode
    # Durability first: power cuts are routine in the field.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
