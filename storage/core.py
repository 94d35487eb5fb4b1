"""What every room of the store shares: the connection, the keys once unlocked, the clock,
and the one transaction helper (see storage/store.py for the rooms and the facade).

A room holds the one ``Core`` of its store and reaches the others only through their
public methods. The core keeps no personal data of its own: keys, while unlocked.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import crypto, hlc
from .errors import CorruptStore, DiskFull, Locked, NotAProfile, StorageError, StoreBusy
from .keyring import Keyring

DB_NAME = "store.db"
RECOVERY_USER = "recovery"  # the user id of whoever unlocked with the recovery key: no name is known


# --- sqlite errors -> typed errors ----------------------------------------------
@contextlib.contextmanager
def translate_errors(where: str = "the store") -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise typed_error(exc, where) from exc


# A table, not a chain of ifs: (primary result codes, words in the message, error, sentence).
_SQLITE_ERRORS: tuple[tuple[tuple[int, ...], tuple[str, ...], type[StorageError], str], ...] = (
    ((13,), ("disk is full",), DiskFull,
     "The disk is full: the last change was not saved, and nothing else was touched. Free some space and try again."),
    ((5, 6), ("locked", "busy"), StoreBusy,
     "{where} is in use by another Fieldbook window or process. Close it, then try again."),
    ((26,), ("not a database",), CorruptStore, "{where} is not a Fieldbook store, or it is damaged or truncated."),
    ((11,), ("malformed",), CorruptStore,
     "{where} is damaged (the database is malformed). Run 'profile verify', and restore from the server or a backup."),
    ((10,), (), StorageError,
     "A disk error stopped the write to {where}; nothing was saved. Check the disk and its free space."),
    ((8,), (), StorageError, "{where} is read-only; Fieldbook needs write access to its profile folder."),
    ((14,), (), NotAProfile, "{where} cannot be opened (missing folder or no permission)."),
)


def typed_error(exc: sqlite3.Error, where: str) -> StorageError:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    text = str(exc).lower()
    for codes, words, error, sentence in _SQLITE_ERRORS:
        if primary in codes or any(w in text for w in words):
            return error(sentence.format(where=where))
    return StorageError(f"{where} reported a database error ({getattr(exc, 'sqlite_errorname', type(exc).__name__)}).")


def connect(path: Path, *, busy_timeout: float = 5.0, configure: bool = True) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        if configure:
            configure_connection(conn, path)
    except sqlite3.Error as exc:
        raise typed_error(exc, f"The store {path}") from exc
    return conn


def configure_connection(conn: sqlite3.Connection, path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)  # -wal and -shm inherit the database's mode
    # Durability first: power cuts are routine in the field.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")


@dataclass
class Tx:
    """What a top-level transaction loads and persists with the rows it covers."""

    last_seq: int
    audit_seq: int
    audit_mac: bytes


class Core:
    """One open profile's shared state. Locked until ``become`` is given the data key."""

    def __init__(self, directory: Path, keyring: Keyring, conn: sqlite3.Connection) -> None:
        self.directory = directory
        self.keyring = keyring
        self.conn = conn
        self.data_key: bytes | None = None
        self.sealer: crypto.Sealer | None = None
        self.keys: crypto.SubKeys | None = None
        self.user_id: str | None = None
        self.user_name: str | None = None
        self.tx: Tx | None = None
        self._savepoints = itertools.count()
        self.clock = hlc.HybridClock(self.meta_int("hlc", 0, hex_=True))

    @property
    def device_id(self) -> str:
        return self.keyring.device_id

    @property
    def profile_id(self) -> str:
        return self.keyring.profile_id

    # -- keys ------------------------------------------------------------------------
    def become(self, data_key: bytes, user_id: str, user_name: str | None) -> None:
        self.data_key = data_key
        self.keys = crypto.sub_keys(data_key, self.profile_id)
        self.sealer = crypto.Sealer(self.keys.records)
        self.user_id, self.user_name = user_id, user_name

    def forget_keys(self) -> None:
        self.data_key = self.keys = self.sealer = None
        self.user_id = self.user_name = None

    def need_key(self) -> crypto.Sealer:
        if self.sealer is None:
            raise Locked("The profile is locked; unlock it first.")
        return self.sealer

    def sub_keys(self) -> crypto.SubKeys:
        if self.keys is None:
            raise Locked("The profile is locked; unlock it first.")
        return self.keys

    def need_tx(self) -> Tx:
        """The open transaction's state (a write outside ``atomic`` is a bug)."""
        if self.tx is None:
            raise AssertionError("a write outside Store.atomic()")
        return self.tx

    def audit_genesis(self) -> bytes:
        return crypto.chain_mac(self.sub_keys().audit, b"", ("genesis", self.profile_id))

    # -- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def atomic(self, *, wait_for_disk: bool = True) -> Iterator[None]:
        """The one transaction helper: BEGIN IMMEDIATE at the top level, savepoints inside.

        At the top level it also loads and persists the clock, the outbox
        sequence and the audit-chain head, so they commit with the rows they cover.

        ``wait_for_disk=False`` (a top-level transaction that only applies what a pull or a
        bundle brought, all of which can be fetched again) commits with ``synchronous =
        NORMAL``: atomic, and safe from a killed process, but a power cut may undo it
        together with its pull cursor, so the next sync fetches it again. Anything
        committed after it with the default waits for the disk, and takes it along (the
        log is written in order)."""
        if self.tx is not None:
            with self._savepoint():
                yield
            return
        if wait_for_disk:
            with self._top():
                yield
            return
        with translate_errors():
            self.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with self._top():
                yield
        finally:
            with translate_errors():
                self.conn.execute("PRAGMA synchronous = FULL")

    @contextlib.contextmanager
    def _top(self) -> Iterator[None]:
        conn = self.conn
        with translate_errors():
            conn.execute("BEGIN IMMEDIATE")
        try:
            with translate_errors():
                self.tx = self._load_tx()
            yield
            with translate_errors():
                self._persist_tx(self.tx)
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self.tx = None

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        conn, tx = self.conn, self.need_tx()
        name = f"sp{next(self._savepoints)}"
        saved = dataclasses.replace(tx)
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                self.tx = saved  # the sequence and audit head go back with the rows
            raise
        conn.execute(f"RELEASE {name}")

    def _load_tx(self) -> Tx:
        meta = dict(self.conn.execute("SELECT key, value FROM meta WHERE key IN ('hlc','last_seq','audit_head')"))
        self.clock.observe(hlc.decode(meta.get("hlc", hlc.encode(0))))
        head_seq, _, head_mac = meta.get("audit_head", "0:").partition(":")
        return Tx(last_seq=int(meta.get("last_seq", "0")), audit_seq=int(head_seq),
                  audit_mac=bytes.fromhex(head_mac) if head_mac else self.audit_genesis())

    def _persist_tx(self, tx: Tx) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("hlc", hlc.encode(self.clock.last)), ("last_seq", str(tx.last_seq)),
             ("audit_head", f"{tx.audit_seq}:{tx.audit_mac.hex()}")],
        )

    # -- small reads -------------------------------------------------------------------
    def query_one(self, sql: str, args: tuple = ()) -> tuple | None:
        with translate_errors():
            return self.conn.execute(sql, args).fetchone()

    def meta_int(self, key: str, default: int, *, hex_: bool = False) -> int:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        if row is None:
            return default
        return int(row[0], 16 if hex_ else 10)

    def set_meta(self, key: str, value: str) -> None:
        with translate_errors():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
