"""The records room: save, read, edit, delete and list records, sealed at rest.

Every write appends, in one transaction, the record row, one outbox change with only
the changed fields (storage/outbox.py), the blind-index tokens (storage/index.py) and
an audit link (storage/audit.py). A new record's change reads its fields from the
record row until the record is first rewritten, and one audit link covers each batch
of new records (schema 0004).

Records of a kind in ``LOCAL_KINDS`` (drafts) never enter the outbox; deleting one
removes its row outright (see rules/names.py and docs/security.md).
"""
from __future__ import annotations

import itertools
import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Iterable, Iterator

import orjson
from cryptography.exceptions import InvalidTag

from rules.names import DRAFT, DRAFT_FILE, LOCAL_KINDS

from . import crypto, values
from .audit import AuditLog, pack_ids
from .core import Core, translate_errors
from .errors import DamagedRecord, InvalidQuery, InvalidRecord, UnknownRecord
from .ids import is_uuid, uuid7_many

if TYPE_CHECKING:
    from .index import BlindIndex
    from .outbox import Outbox

log = logging.getLogger("fieldbook.storage")

_dumps = orjson.dumps
_loads = orjson.loads
DELETED = values.DELETED
# The stored clocks, or the one stamp every field shares (NULL clocks, see schema 0004).
CLOCKS = "coalesce(clocks, updated)"
CLOCKS_R = "coalesce(r.clocks, r.updated)"
ROW_COLUMNS = f"id, kind, form_id, form_version, {CLOCKS}, deleted, body, ref, outbox_seq"
REF, OUTBOX_SEQ = 7, 8  # positions in a ``ROW_COLUMNS`` row
_SLICE = 1000  # records encrypted, then written, at a time in save_records
MISSING = object()


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
        if isinstance(clocks, str):  # stored form: JSON text, or one stamp for every field
            if clocks.startswith("{"):
                stored = _loads(clocks)
                base = stored.pop("", None)
            else:
                stored, base = {}, clocks
            clocks = dict.fromkeys(self.fields, base) if base is not None else {}
            clocks.update(stored)
            self._clocks = clocks
        return clocks

    @property
    def compact_stamp(self) -> str | None:
        """The one stamp every field carries, while the clocks are still as stored that way
        (a record as first saved or pulled); None once they were expanded."""
        clocks = self._clocks
        return clocks if isinstance(clocks, str) and not clocks.startswith("{") else None

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


def encode_clocks(clocks: dict, fields: dict) -> str:
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


def _slices(items: Iterable[dict], size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# forms.media.ATTACHMENT_KIND: storage never imports forms (pyproject.toml's contracts).
ATTACHMENT = "attachment"
# A stored file name (forms.media: ``1732812345678.jpg``): a name, a dot, a short ending.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,150}\.[A-Za-z0-9]{1,8}")


def is_file_name(value: object) -> bool:
    """Whether a value is shaped like a stored file name (``1732812345678.jpg``)."""
    return isinstance(value, str) and _FILE_NAME.fullmatch(value) is not None


def _names_a_file(fields: dict) -> bool:
    """Whether any answer (in repeats too) is shaped like a stored file name."""
    for value in fields.values():
        if is_file_name(value):
            return True
        if isinstance(value, list) and any(isinstance(e, dict) and _names_a_file(e) for e in value):
            return True
    return False


def decode(sealer: crypto.Sealer, row: tuple) -> Record:
    """A record from the first seven columns of a ``ROW_COLUMNS`` row."""
    rid, kind, fid, fver, clocks, deleted, body = row[:7]
    try:
        fields = _loads(sealer.open("record", rid, body))
    except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
        raise DamagedRecord(rid) from None
    return Record(rid, kind, fid, fver, fields, clocks, bool(deleted))


class Records:
    def __init__(self, core: Core, index: "BlindIndex", outbox: "Outbox", audit: AuditLog) -> None:
        self._core, self._index, self._outbox, self._audit = core, index, outbox, audit

    # -- writes ------------------------------------------------------------------------
    def save_many(self, kind: str, many: Iterable[dict], *, form_id: str | None = None,
                  form_version: str | None = None) -> list[str]:
        """Save many new records in one transaction (imports, bulk registration)."""
        core = self._core
        sealer = core.need_key()
        values.check_kind(kind)
        values.check_form_refs(form_id, form_version)
        ids: list[str] = []
        with core.atomic():
            with translate_errors():
                ref = (core.conn.execute("SELECT max(ref) FROM records").fetchone()[0] or 0) + 1
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

    def _prepare_new(self, sealer: crypto.Sealer, kind: str, chunk: list, form_id: str | None,
                     form_version: str | None, ref: int) -> tuple:
        """Encrypt and stamp one slice of new records (pure Python; no database access).

        Per record: one sealed body, whose row the creation change reads (``outbox_seq``),
        and the blind-index tokens. One audit entry covers the whole slice.
        Records of a local kind get no change and no sequence number, and one plain
        audit entry each: a batch entry's packed ids claim outbox sequence numbers
        (``verify`` vouches for bodyless changes with them), and these have none.
        """
        core = self._core
        local = kind in LOCAL_KINDS
        n = len(chunk)
        new_ids = uuid7_many(n)
        ids = [rid for rid, _raw in new_ids]
        bodies = _seal_new(sealer, chunk, ids)
        tx = core.need_tx()
        device = core.device_id
        stamps = core.clock.ticks(n)
        first_seq = tx.last_seq + 1
        seqs: Iterable[int | None] = itertools.repeat(None, n) if local else range(first_seq, first_seq + n)
        refs = range(ref, ref + n)
        # clocks stay NULL: every field carries the stamp in `updated`.
        rec_rows = [
            (r, rid, kind, form_id, form_version, f"{now}@{device}", seq, body)
            for r, rid, now, seq, body in zip(refs, ids, stamps, seqs, bodies)
        ]
        change_rows = [] if local else self._outbox.creation_rows(sealer, kind, form_id, form_version,
                                                                  list(zip(range(first_seq, first_seq + n), ids, stamps)))
        index_rows = self._index.rows_for(kind, list(zip(refs, chunk)))
        if local:
            audit_rows = [self._audit.row("add", rid) for rid in ids]
        else:
            tx.last_seq = first_seq + n - 1
            audit_rows = [self._audit.row("add", ids[0] if n == 1 else None,
                                          records=pack_ids(first_seq, [raw for _rid, raw in new_ids]))]
        return ids, rec_rows, change_rows, index_rows, audit_rows

    def _write_new(self, rows: tuple) -> None:
        _ids, rec_rows, change_rows, index_rows, audit_rows = rows
        with translate_errors():
            self._core.conn.executemany(
                "INSERT INTO records (ref, id, kind, form_id, form_version, updated, outbox_seq, body) VALUES (?,?,?,?,?,?,?,?)",
                rec_rows,
            )
        self._outbox.insert_creations(change_rows)
        self._index.insert(index_rows)
        self._audit.add_rows(audit_rows)

    def edit(self, record_id: str, changes: dict, *, resolves: list | None = None) -> Record:
        """Change only the given fields. Unchanged values are not written again."""
        core = self._core
        sealer = core.need_key()
        values.check_fields(changes)
        try:
            values.check_size(len(_dumps(changes)))
        except TypeError as exc:
            raise values.not_json_error() from exc
        with core.atomic():
            row = self.row(record_id)
            record = decode(sealer, row)
            if record.deleted:
                raise UnknownRecord(f"Record {record_id} was deleted; it cannot be edited.")
            changed = {k: v for k, v in changes.items() if record.fields.get(k, MISSING) != v}
            if not changed:
                return record
            local = record.kind in LOCAL_KINDS
            if not local:
                self._outbox.keep_creation(sealer, record, row[OUTBOX_SEQ])
            now = core.clock.tick()
            st = f"{now}@{core.device_id}"
            old_fields = dict(record.fields)
            bases = {k: record.clocks[k] for k in changed if k in record.clocks}
            record.fields.update(changed)
            for k in changed:
                record.clocks[k] = st
            self.write(sealer, record, st)
            self._index.reindex(record, row[REF], old_fields, changed.keys())
            if not local:
                self._outbox.append(sealer, record, now, changed, bases, resolves)
            self._audit.add("edit", record_id, detail={"fields": sorted(changed)})
        log.info("edited record %s (%d field(s))", record_id, len(changed))
        return record

    def delete(self, record_id: str) -> None:
        """Leave a tombstone: the row stays with its id and clocks, the values are erased."""
        core = self._core
        sealer = core.need_key()
        with core.atomic():
            row = self.row(record_id)
            record = decode(sealer, row)
            if record.kind in LOCAL_KINDS:
                files = self._file_ids(record)
                self._erase_local(record, row[REF])
                for part_id in files:
                    self.delete(part_id)
                log.info("erased local record %s", record_id)
                return
            if record.deleted:
                return
            files = self._file_ids(record)
            self._outbox.keep_creation(sealer, record, row[OUTBOX_SEQ])
            now = core.clock.tick()
            st = f"{now}@{core.device_id}"
            old_fields = record.fields
            bases = dict(record.clocks)  # what this delete saw: later or unseen writes become conflicts elsewhere
            record.clocks[DELETED] = st  # expands the clocks while the field names are known
            record.fields = {}
            record.deleted = True
            self.write(sealer, record, st)
            self._index.remove(record.kind, old_fields, row[REF])
            self._outbox.append(sealer, record, now, {}, bases)
            self._audit.add("delete", record_id)
            # Its files go with it, each part a synced delete of its own in this transaction,
            # so the hub and the other laptops drop the photos too (docs/xlsform-compatibility.md).
            for part_id in files:
                self.delete(part_id)
        log.info("deleted record %s", record_id)

    def _file_ids(self, record: Record) -> list[str]:
        """The ids of the parts of the files a record holds: its ``attachment`` records (a
        draft's ``draft_file`` records), found through the blind index on ``record`` (store
        0010), each checked (a truncated token can collide). A part has no files of its own.

        Parts saved before 0010 carry no token: when none is found and the record's answers
        name a file (a value shaped like a stored file name), the form's untokened parts are
        read, one at a time, to find its own. Bounded by the parts stored before 0010."""
        if record.kind in (ATTACHMENT, DRAFT_FILE):
            return []
        kind = DRAFT_FILE if record.kind == DRAFT else ATTACHMENT
        sealer = self._core.need_key()
        found = []
        for rid in self._index.find_ids(kind, "record", record.id):
            part = decode(sealer, self.row(rid))
            if part.fields.get("record") == record.id:
                found.append(rid)
        if found or kind != ATTACHMENT or record.form_id is None or not _names_a_file(record.fields):
            return found
        with translate_errors():
            # Ids only (a part's body is 1.4 MB); the subquery is read once, into a temporary index.
            legacy = [rid for (rid,) in self._core.conn.execute(
                "SELECT id FROM records WHERE kind = ? AND deleted = 0 AND form_id = ? "
                "AND ref NOT IN (SELECT ref FROM blind_index) ORDER BY id", (ATTACHMENT, record.form_id))]
        for rid in legacy:
            if decode(sealer, self.row(rid)).fields.get("record") == record.id:
                found.append(rid)
        return found

    def _erase_local(self, record: Record, ref: int) -> None:
        """Delete a local-only record outright: no other replica holds it, so there is no
        one to tell with a tombstone. With ``secure_delete`` on, SQLite zeroes the freed
        sealed body. Its blind-index tokens and any conflicts kept for it go too (a draft
        pulled before schema 0007 could have both); outbox rows cannot exist for it."""
        self._index.remove(record.kind, record.fields, ref)
        with translate_errors():
            c = self._core.conn
            c.execute("DELETE FROM conflicts WHERE record_id = ?", (record.id,))
            c.execute("DELETE FROM records WHERE ref = ?", (ref,))
        self._audit.add("delete", record.id)

    def write(self, sealer: crypto.Sealer, record: Record, st: str) -> None:
        """Rewrite a record row (after ``Outbox.keep_creation``)."""
        with translate_errors():
            self._core.conn.execute(
                "UPDATE records SET clocks = ?, updated = ?, deleted = ?, outbox_seq = NULL, body = ? WHERE id = ?",
                (encode_clocks(record.clocks, record.fields), st, int(record.deleted),
                 sealer.seal("record", record.id, _dumps(record.fields)), record.id),
            )

    def insert_pulled(self, rows: list[tuple]) -> dict[str, int]:
        """Insert records new here, ``(id, kind, form_id, form_version, clocks, updated,
        deleted, body)`` rows; return their handles (``ref``) by id."""
        if not rows:
            return {}
        with translate_errors():
            conn = self._core.conn
            # The handles are given here, as a bulk save gives them (the next after the
            # highest), so that they need not be read back.
            first = (conn.execute("SELECT max(ref) FROM records").fetchone()[0] or 0) + 1
            conn.executemany(
                "INSERT INTO records (ref, id, kind, form_id, form_version, clocks, updated, deleted, body) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [(ref, *row) for ref, row in enumerate(rows, first)],
            )
            return {row[0]: ref for ref, row in enumerate(rows, first)}

    # -- reads ---------------------------------------------------------------------------
    def row(self, record_id: str) -> tuple:
        """The record row, as ``ROW_COLUMNS``: ``decode`` reads the first seven, then ``ref``
        and ``outbox_seq`` (``REF``, ``OUTBOX_SEQ``)."""
        if not isinstance(record_id, str) or not is_uuid(record_id):
            raise UnknownRecord("A record id looks like 0190f0c2-3b4a-7c1d-9e2f-0123456789ab; that is not one.")
        row = self._core.query_one(f"SELECT {ROW_COLUMNS} FROM records WHERE id = ?", (record_id,))
        if row is None:
            raise UnknownRecord(f"There is no record {record_id} in this profile.")
        return row

    def rows(self, ids: list[str]) -> dict[str, tuple]:
        """The rows of those of ``ids`` held here, by id."""
        marks = ",".join("?" * len(ids))
        with translate_errors():
            return {row[0]: row for row in self._core.conn.execute(
                f"SELECT {ROW_COLUMNS} FROM records WHERE id IN ({marks})", ids)}

    def get(self, record_id: str) -> Record:
        sealer = self._core.need_key()
        return decode(sealer, self.row(record_id))

    def list(self, kind: str | None = None, *, form_id: str | None = None, include_deleted: bool = False,
             newest_first: bool = False, limit: int | None = None) -> Iterator[Record]:
        """Records in id order, decrypted one at a time as they are read (memory stays flat
        on big stores). With ``form_id``, only that form's records are read. Ids are
        time-ordered, so ``newest_first`` with a ``limit`` reads only the newest few.

        The arguments and the lock are checked when it is called, not at the first record:
        a bad ``limit`` raises InvalidQuery and a locked store Locked, at once."""
        if limit is not None and (type(limit) is not int or limit < 0):
            raise InvalidQuery("A limit on records is a whole number, 0 or more.")
        sealer = self._core.need_key()
        # The common scan is one kind's live records: kind and deleted are then known, not read.
        lean = kind is not None and not include_deleted
        where: list[str] = []
        args: list[object] = []
        for column, value in (("kind", kind), ("form_id", form_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if not include_deleted:
            where.append("deleted = 0")
        columns = f"id, form_id, form_version, {CLOCKS}, body" if lean else \
            f"id, kind, form_id, form_version, {CLOCKS}, deleted, body"
        sql = f"SELECT {columns} FROM records" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with translate_errors():
            cursor = self._core.conn.execute(sql, args)
        return _scan(sealer, cursor, kind if lean else None)

    def stamps(self, kind: str, *, form_id: str | None = None) -> Iterator[tuple[str, str]]:
        """When each live record of ``kind`` last changed: ``(id, newest stamp)`` pairs, streamed.
        Read from plaintext columns: nothing is decrypted."""
        sql, args = "SELECT id, updated FROM records WHERE kind = ? AND deleted = 0", [kind]
        if form_id is not None:
            sql += " AND form_id = ?"
            args.append(form_id)
        with translate_errors():
            yield from self._core.conn.execute(sql, args)

    def count(self, kind: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM records WHERE deleted = 0", []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        row = self._core.query_one(sql, tuple(args))
        return row[0] if row else 0


def _seal_new(sealer: crypto.Sealer, chunk: list, ids: list[str]) -> list[bytes]:
    """Check and seal each new record's fields, one at a time: each plaintext buffer is
    freed (and reused) before the next."""
    seal = sealer.sealing("record", len(chunk))
    bodies = []
    for fields, rid in zip(chunk, ids):
        deferred = values.check_fields(fields, defer_floats=True)
        try:
            plain = _dumps(fields)
        except TypeError as exc:
            raise values.not_json_error() from exc
        if deferred:
            values.serialised_floats_ok(fields, plain)
        values.check_size(len(plain))
        bodies.append(seal(rid, plain))
    return bodies


def _scan(sealer: crypto.Sealer, cursor: sqlite3.Cursor, lean_kind: str | None) -> Iterator[Record]:
    """Decrypt listed rows one at a time. ``lean_kind``: the rows are one kind's live records,
    read without their kind and deleted columns."""
    # The hot loop of every scan: Sealer.open inlined (same envelope and associated data).
    decrypt = sealer.aead.decrypt
    version = crypto.KEY_VERSION
    ad = f"record|%s|{version}"

    with translate_errors():  # damage found mid-scan is a CorruptStore, not a raw sqlite error
        if lean_kind is not None:
            for rid, fid, fver, clocks, body in cursor:
                try:
                    if body[0] != version:
                        raise InvalidTag
                    fields = _loads(decrypt(body[1:13], body[13:], (ad % rid).encode()))
                except (InvalidTag, ValueError, IndexError):
                    raise DamagedRecord(rid) from None
                yield Record(rid, lean_kind, fid, fver, fields, clocks, False)
        else:
            for rid, rkind, fid, fver, clocks, deleted, body in cursor:
                try:
                    if body[0] != version:
                        raise InvalidTag
                    fields = _loads(decrypt(body[1:13], body[13:], (ad % rid).encode()))
                except (InvalidTag, ValueError, IndexError):
                    raise DamagedRecord(rid) from None
                yield Record(rid, rkind, fid, fver, fields, clocks, bool(deleted))
