"""The encrypted local store: one profile directory on one laptop.

    store, recovery_key = Store.create(path, user="Oksana", passphrase=...)
    store = Store.open(path); store.unlock(passphrase)
    rid = store.save_record("household", {"head_name": ..., "phone": ...})
    store.edit_record(rid, {"phone": ...}); store.delete_record(rid)
    store.find_records("household", "phone", "067 123 45 67")

``Store`` is a small facade over rooms, each a module with its own tests, that share
one ``Core`` (storage/core.py: the connection, the keys, the clock, the transaction)
and reach each other only through public methods:

    profile.py   the folder, keyring and users; unlock, lock, crypto-erase
    records.py   save, read, edit, delete, list (values.py: what a record may hold)
    index.py     blind indexes: exact search over sealed fields
    outbox.py    this laptop's changes until the server holds them; set-aside changes
    audit.py     the hash-chained audit log
    replica.py   applying other devices' changes, conflicts, domain checks after a merge
    syncstate.py enrollment, cursors, bundles, published forms, the clock's recovery
    verify.py    decrypt everything and walk the audit chain

Every write goes through :meth:`Store.atomic`, the one transaction helper. Records of a
kind in ``LOCAL_KINDS`` (unfinished drafts) never enter the outbox (rules/names.py).
"""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Callable, ContextManager, Iterable, Iterator

from rules import limits, names

from . import crypto, hlc
from .audit import AuditEntry, AuditLog
from .core import RECOVERY_USER, Core, translate_errors, typed_error
from .index import BlindIndex
from .keyring import Keyring
from .outbox import AUTHOR_PURPOSE, CHANGE_OVERHEAD_BYTES, Change, Outbox
from .profile import MIN_PASSPHRASE, Profile, check_new_passphrase, create_files, open_files
from .records import Record, Records, encode_clocks
from .replica import ApplyResult, Conflict, Merge, Replica
from .syncstate import SyncState
from .values import MAX_VALUE_DEPTH
from .verify import Verifier, VerifyReport
from .watch import Mark as WatchMark, Watch

__all__ = [
    "AUTHOR_PURPOSE", "CHANGE_OVERHEAD_BYTES", "DELETED", "LOCAL_KINDS", "MAX_VALUE_DEPTH", "MIN_PASSPHRASE",
    "RECOVERY_USER", "ApplyResult", "AuditEntry", "Change", "Conflict", "Record", "Store", "VerifyReport",
    "check_new_passphrase", "encode_clocks", "is_local_kind", "limits", "translate_errors", "typed_error",
]

log = logging.getLogger("fieldbook.storage")

DELETED = names.DELETED  # the clock key that stamps a delete
_NAME = names.FIELD_NAME  # the names the server takes (rules/names.py)
_KIND = names.KIND
# Kinds whose records never leave this laptop (rules/names.py): no outbox change, no
# sequence number; deleting one removes its row outright.
LOCAL_KINDS = names.LOCAL_KINDS
is_local_kind = names.is_local_kind


class Store:
    """An open profile. Locked until :meth:`unlock` or :meth:`unlock_with_recovery_key`."""

    def __init__(self, directory: Path, keyring: Keyring, conn: sqlite3.Connection) -> None:
        core = self._core = Core(directory, keyring, conn)
        self._audit_log = AuditLog(core)
        self._index = BlindIndex(core, self._audit_log)
        self._outbox = Outbox(core, self._audit_log)
        self._records = Records(core, self._index, self._outbox, self._audit_log)
        self._replica = Replica(core, self._records, self._index, self._outbox, self._audit_log)
        self._sync = SyncState(core, self._audit_log)
        self._profile = Profile(core, self._audit_log, on_unlock=self._index.load)
        self._verifier = Verifier(core, self._audit_log)
        self._watch = Watch(core)

    # -- lifecycle -------------------------------------------------------------
    @classmethod
    def create(cls, directory: str | os.PathLike, *, user: str, passphrase: str,
               kdf: crypto.KdfParams | None = None) -> tuple["Store", str]:
        """Make a new profile; return it unlocked, and the recovery key to print once."""
        path, keyring, conn, data_key, slot, recovery_text = create_files(directory, user=user, passphrase=passphrase,
                                                                          kdf=kdf)
        store = cls(path, keyring, conn)
        store._profile.become(data_key, slot.user_id, slot.name)  # type: ignore[attr-defined]
        store.log_event("profile_created")
        log.info("profile created (profile %s, device %s)", keyring.profile_id, keyring.device_id)
        return store, recovery_text

    @classmethod
    def open(cls, directory: str | os.PathLike, *, busy_timeout: float = 5.0) -> "Store":
        """Open a profile, locked. Migrates its schema if this Fieldbook is newer."""
        return cls(*open_files(directory, busy_timeout=busy_timeout))

    @property
    def directory(self) -> Path:
        return self._core.directory

    @property
    def keyring(self) -> Keyring:
        return self._core.keyring

    @property
    def device_id(self) -> str:
        return self._core.device_id

    @property
    def profile_id(self) -> str:
        return self._core.profile_id

    @property
    def user_id(self) -> str | None:
        return self._core.user_id

    @property
    def user_name(self) -> str | None:
        return self._core.user_name

    @property
    def clock(self) -> hlc.HybridClock:
        return self._core.clock

    @property
    def unlocked(self) -> bool:
        return self._core.data_key is not None

    @property
    def _conn(self) -> sqlite3.Connection:
        """The connection (tests and tools that read the database as it is)."""
        return self._core.conn

    @property
    def _sealer(self) -> crypto.Sealer | None:
        return self._core.sealer

    def _meta_int(self, key: str, default: int, *, hex_: bool = False) -> int:
        return self._core.meta_int(key, default, hex_=hex_)

    def users(self) -> list[str]:
        return self._profile.users()

    def unlock(self, passphrase: str, user: str | None = None) -> None:
        """Unwrap the data key with a user's passphrase. Tries every user when none is named."""
        self._profile.unlock(passphrase, user)

    def unlock_with_recovery_key(self, text: str) -> None:
        self._profile.unlock_with_recovery_key(text)

    def lock(self) -> None:
        self._core.forget_keys()

    def close(self) -> None:
        self.lock()
        self._core.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def atomic(self) -> ContextManager[None]:
        """The one transaction helper: BEGIN IMMEDIATE at the top level, savepoints inside."""
        return self._core.atomic()

    # -- users and keys ----------------------------------------------------------
    def add_user(self, name: str, passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        self._profile.add_user(name, passphrase, kdf=kdf)

    def check_passphrase(self, user: str, passphrase: str) -> None:
        """Raise WrongPassphrase unless ``passphrase`` is ``user``'s; changes nothing."""
        self._profile.check_passphrase(user, passphrase)

    def change_passphrase(self, user: str, new_passphrase: str, *, kdf: crypto.KdfParams | None = None) -> None:
        """Re-wrap the data key for ``user``. The data itself is never re-encrypted."""
        self._profile.change_passphrase(user, new_passphrase, kdf=kdf)

    def remove_user(self, name: str) -> None:
        """Remove a person's key slot (never the last one: LastUser)."""
        self._profile.remove_user(name)

    def new_recovery_key(self) -> str:
        """Replace the recovery key; the old one stops working at once."""
        return self._profile.new_recovery_key()

    def wipe(self) -> None:
        """Crypto-erase: shred the keyring so that no passphrase or recovery key opens the data."""
        self._profile.wipe()
        self.close()

    # -- records -----------------------------------------------------------------
    def save_record(self, kind: str, fields: dict, *, form_id: str | None = None, form_version: str | None = None) -> str:
        """Save a new record; return its id."""
        return self._records.save_many(kind, [fields], form_id=form_id, form_version=form_version)[0]

    def save_records(self, kind: str, many: Iterable[dict], *, form_id: str | None = None,
                     form_version: str | None = None) -> list[str]:
        """Save many new records in one transaction (imports, bulk registration)."""
        return self._records.save_many(kind, many, form_id=form_id, form_version=form_version)

    def get_record(self, record_id: str) -> Record:
        return self._records.get(record_id)

    def edit_record(self, record_id: str, changes: dict, *, _resolves: list | None = None) -> Record:
        """Change only the given fields. Unchanged values are not written again."""
        return self._records.edit(record_id, changes, resolves=_resolves)

    def delete_record(self, record_id: str) -> None:
        """Leave a tombstone (a local-only record is removed outright)."""
        self._records.delete(record_id)

    def list_records(self, kind: str | None = None, *, form_id: str | None = None, include_deleted: bool = False,
                     newest_first: bool = False, limit: int | None = None) -> Iterator[Record]:
        """Records in id order, decrypted one at a time; arguments and the lock are checked at the call."""
        return self._records.list(kind, form_id=form_id, include_deleted=include_deleted, newest_first=newest_first,
                                  limit=limit)

    def record_stamps(self, kind: str, *, form_id: str | None = None) -> Iterator[tuple[str, str]]:
        """``(id, newest stamp)`` of each live record of ``kind``, streamed; nothing is decrypted."""
        return self._records.stamps(kind, form_id=form_id)

    def changed_since(self, kind: str, mark: "WatchMark | None") -> tuple["WatchMark", set[str] | None]:
        """Ids of records of ``kind`` written through this store since ``mark``, and the new mark;
        None for the ids when the caller must read every record again (storage/watch.py)."""
        return self._watch.changed_since(kind, mark)

    def waiting_record_ids(self, *, form_id: str | None = None) -> Iterator[str]:
        """Records with a change the server has not yet confirmed, streamed."""
        return self._outbox.waiting_record_ids(form_id=form_id)

    def count_records(self, kind: str | None = None) -> int:
        return self._records.count(kind)

    # -- blind indexes -----------------------------------------------------------
    def declare_index(self, kind: str, field: str, normaliser: str = "text") -> int:
        """Make ``field`` of ``kind`` searchable by exact value; index existing records. Returns how many."""
        return self._index.declare(kind, field, normaliser)

    def indexed_fields(self, kind: str) -> dict[str, str]:
        return self._index.indexed(kind)

    def find_records(self, kind: str, field: str, value: object) -> list[Record]:
        """Exact match through the blind index; the value itself is never stored or logged."""
        return self._index.find(kind, field, value)

    def find_record_ids(self, kind: str, field: str, value: object) -> list[str]:
        """The ids the blind index gives for an exact value, nothing decrypted: candidates (a
        truncated token can collide), so check each record read. For many large records (the
        parts of files), read one at a time with ``get_record``."""
        return self._index.find_ids(kind, field, value)

    # -- outbox ------------------------------------------------------------------
    def pending_changes(self, limit: int | None = None, *, after_seq: int = 0,
                        max_bytes: int | None = None) -> list[Change]:
        """Unacknowledged local changes, oldest first (see ``Outbox.pending``)."""
        return self._outbox.pending(limit, after_seq=after_seq, max_bytes=max_bytes)

    def pending_count(self) -> int:
        return self._outbox.pending_count()

    def last_seq(self) -> int:
        return self._outbox.last_seq()

    def acknowledged_seq(self) -> int:
        return self._outbox.acknowledged_seq()

    def acknowledge(self, upto_seq: int) -> int:
        """The server holds our changes up to ``upto_seq``: they leave the outbox. Returns how many."""
        with self._core.atomic():
            return self._outbox.acknowledge(upto_seq)

    def set_aside_count(self) -> int:
        return self._outbox.set_aside_count()

    def set_aside(self, *, values: bool = False) -> list[dict]:
        """Our changes the server refused for good, oldest first (see ``Outbox.set_aside``)."""
        return self._outbox.set_aside(values=values)

    # -- audit -------------------------------------------------------------------
    def audit_entries(self, record_id: str | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; with ``record_id``, that record's entries, details opened."""
        return self._audit_log.entries(record_id)

    def log_event(self, action: str) -> None:
        """Record a non-record event (export, verify, sync) in the audit chain."""
        self._audit_log.log_event(action)

    def verify(self) -> VerifyReport:
        """Decrypt every record and change, and walk the audit chain."""
        return self._verifier.verify()

    # -- applying other devices' changes -------------------------------------------------
    def apply_changes(self, changes: Iterable[dict], *, merge: Merge, cursor: int | None = None,
                      acked: int | None = None, bundle: tuple[str, str] | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      refused: list[dict] | None = None, domain_check: bool = True) -> ApplyResult:
        """Apply other devices' changes in one transaction (see ``Replica.apply_changes``)."""
        return self._replica.apply_changes(changes, merge=merge, cursor=cursor, acked=acked, bundle=bundle,
                                           progress=progress, refused=refused, domain_check=domain_check)

    def conflicts(self, *, include_resolved: bool = False, record_id: str | None = None) -> list[Conflict]:
        """Values that lost a concurrent write, newest first."""
        return self._replica.conflicts(include_resolved=include_resolved, record_id=record_id)

    def open_conflict_count(self) -> int:
        return self._replica.open_conflict_count()

    def resolve_conflict(self, conflict_id: int, *, restore: bool) -> None:
        """Close a conflict; ``restore`` writes the losing value back as a new edit."""
        self._replica.resolve_conflict(conflict_id, restore=restore)

    def domain_reviews(self) -> list[dict]:
        return self._replica.domain_reviews()

    def check_domain(self) -> tuple[list[str], list[str]]:
        """Run the shared domain check over every receipt held (rules/domain.py)."""
        return self._replica.check_domain()

    # -- sync state ------------------------------------------------------------------------
    def sync_settings(self) -> dict | None:
        return self._sync.sync_settings()

    def save_sync_settings(self, settings: dict | None) -> None:
        self._sync.save_sync_settings(settings)

    def device_secret(self) -> bytes | None:
        return self._sync.device_secret()

    def set_device_secret(self, raw: bytes) -> None:
        self._sync.set_device_secret(raw)

    def last_sync_time(self) -> float | None:
        return self._sync.last_sync_time()

    def record_sync_time(self, when: float) -> None:
        self._sync.record_sync_time(when)

    def pull_cursor(self) -> int:
        return self._sync.pull_cursor()

    def peer_seqs(self) -> dict[str, int]:
        return self._sync.peer_seqs()

    def bundle_seen(self, bundle_id: str) -> str | None:
        return self._sync.bundle_seen(bundle_id)

    def queue_forward(self, bundle_id: str, sender: str, data: bytes) -> bool:
        return self._sync.queue_forward(bundle_id, sender, data)

    def forward_queue(self) -> list[tuple[str, str, bytes]]:
        return self._sync.forward_queue()

    def forwarded(self, bundle_id: str) -> None:
        self._sync.forwarded(bundle_id)

    def published_forms(self) -> dict[str, str]:
        return self._sync.published_forms()

    def published_form_files(self) -> list[dict]:
        return self._sync.published_form_files()

    def receive_forms(self, seq: int, listed: dict[str, str], files: list[dict]) -> bool:
        return self._sync.receive_forms(seq, listed, files)

    def clock_status(self) -> dict:
        return self._sync.clock_status()

    def note_clock_check(self, state: str, skew_ms: int) -> None:
        self._sync.note_clock_check(state, skew_ms)

    def restamp_ahead(self, *, bound_ms: int, floor: str | None = None) -> dict | None:
        """Recover from a clock that was once far ahead (see ``SyncState.restamp_ahead``)."""
        return self._sync.restamp_ahead(bound_ms=bound_ms, floor=floor)
