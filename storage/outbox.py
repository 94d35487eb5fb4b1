"""The outbox room: this laptop's changes, kept until the server holds them.

A change holds only the fields its write changed, sealed, with the stamps it overwrote
(``bases``), the conflicts it closes (``resolves``) and, since schema 0009, its author's
name (sealed). ``(device_id, seq)`` is unique everywhere. A record's creation change has
no body of its own while the record is as it was created: its fields are read from the
record row (``records.outbox_seq``, schema 0004; see ``keep_creation``).

Changes the server refused for good are set aside: acknowledged (so they no longer hold
back the ones after them) and listed in ``meta`` for the person to see.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import orjson

from rules import limits
from rules.names import LOCAL_KINDS

from . import crypto
from .audit import AuditLog
from .core import RECOVERY_USER, Core, translate_errors
from .errors import DamagedRecord

if TYPE_CHECKING:
    from .records import Record

log = logging.getLogger("fieldbook.storage")

_dumps = orjson.dumps
_loads = orjson.loads
AUTHOR_PURPOSE = "change_author"  # a change's sealed author (schema 0009): bound to device|seq|record id
CHANGE_OVERHEAD_BYTES = 256  # a change's JSON beyond its field values (ids, stamps, kind), for byte-bounded batches
# A change joined to the record row its creation change may read its fields from.
_JOINED = ("SELECT c.device_id, c.seq, c.record_id, c.kind, c.form_id, c.form_version, c.hlc, c.deleted, c.body, "
           "r.outbox_seq, r.updated, r.body, c.bases, c.resolves, c.author "
           "FROM changes c LEFT JOIN records r ON c.body IS NULL AND r.id = c.record_id ")


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


def _iso_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


class Outbox:
    def __init__(self, core: Core, audit: AuditLog) -> None:
        self._core, self._audit = core, audit

    # -- writes (inside a transaction) -------------------------------------------------------
    def author(self) -> str | None:
        """The author of a change written now: the unlocked person's display name, or None
        when nobody by name is unlocked (the recovery key)."""
        if self._core.user_id == RECOVERY_USER:
            return None
        return limits.author_text(self._core.user_name)

    def creation_rows(self, sealer: crypto.Sealer, kind: str, form_id: str | None, form_version: str | None,
                      new: list[tuple[int, str, str]]) -> list[tuple]:
        """Bodyless creation changes for new records, ``(seq, record id, stamp)`` each: their
        fields are the record rows' bodies while those rows name them (``outbox_seq``)."""
        device, author = self._core.device_id, self.author()
        if author is None:
            return [(device, seq, rid, kind, form_id, form_version, now, None) for seq, rid, now in new]
        seal, name = sealer.sealing(AUTHOR_PURPOSE, len(new)), author.encode()
        return [(device, seq, rid, kind, form_id, form_version, now, seal(f"{device}|{seq}|{rid}", name))
                for seq, rid, now in new]

    def insert_creations(self, rows: list[tuple]) -> None:
        with translate_errors():
            self._core.conn.executemany(
                "INSERT INTO changes (device_id, seq, record_id, kind, form_id, form_version, hlc, author) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )

    def append(self, sealer: crypto.Sealer, record: "Record", now: str, fields: dict, bases: dict | None = None,
               resolves: list | None = None, *, deleted: bool | None = None) -> None:
        if record.kind in LOCAL_KINDS:
            # A bug, not a user error: a local record must never reach the outbox, where
            # it would take a sequence number and be pushed.
            raise AssertionError(f"a {record.kind} record must not enter the outbox")
        core = self._core
        tx = core.need_tx()
        tx.last_seq += 1
        seq = tx.last_seq
        place = f"{core.device_id}|{seq}|{record.id}"
        body = sealer.seal("change", place, _dumps(fields))
        author = self.author()
        sealed_author = sealer.seal(AUTHOR_PURPOSE, place, author.encode()) if author else None
        with translate_errors():
            core.conn.execute(
                "INSERT INTO changes (device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, body, bases, resolves, author) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (core.device_id, seq, record.id, record.kind, record.form_id, record.form_version, now,
                 int(record.deleted if deleted is None else deleted), body,
                 _dumps(bases).decode() if bases else None, _dumps(resolves).decode() if resolves else None, sealed_author),
            )

    def keep_creation(self, sealer: crypto.Sealer, record: "Record", outbox_seq: int | None) -> None:
        """Before a record row is first rewritten, give its creation change a sealed copy
        of the fields it was created with: until now it read them from the row.

        Every rewrite of a record row must call this first (and then ``Records.write``,
        which clears ``outbox_seq`` and moves ``updated``); ``record`` is the row as
        read, not yet changed. A rewrite that skipped it is caught, not sent: the
        outbox and ``verify`` accept a bodyless change only while the row's
        ``outbox_seq`` and ``updated`` stamp are still the change's own.
        """
        if outbox_seq is None:
            return
        device = self._core.device_id
        body = sealer.seal("change", f"{device}|{outbox_seq}|{record.id}", _dumps(record.fields))
        with translate_errors():
            self._core.conn.execute(
                "UPDATE changes SET body = ? WHERE device_id = ? AND seq = ? AND record_id = ? AND body IS NULL",
                (body, device, outbox_seq, record.id),
            )

    # -- reads ---------------------------------------------------------------------------
    def _open(self, sealer: crypto.Sealer, row: tuple) -> tuple[bytes, str | None]:
        """A joined change row's sealed fields (as JSON) and author, opened. The fields of a
        bodyless creation change come from its record row, which must still be the one it
        created: same sequence, same stamp."""
        dev, seq, rid, _kind, _fid, _fver, h, _deleted, body, outbox_seq, updated, record_body, *_rest, author = row
        try:
            if body is not None:
                plain = sealer.open("change", f"{dev}|{seq}|{rid}", body)
            elif dev == self._core.device_id and outbox_seq == seq and updated == f"{h}@{dev}" and record_body is not None:
                plain = sealer.open("record", rid, record_body)
            else:
                raise crypto.AuthenticationFailed()
            name = sealer.open(AUTHOR_PURPOSE, f"{dev}|{seq}|{rid}", author).decode() if author is not None else None
        except (crypto.AuthenticationFailed, UnicodeDecodeError):
            raise DamagedRecord(rid, "change for record") from None
        return plain, name

    def _change(self, sealer: crypto.Sealer, row: tuple) -> tuple[Change, int]:
        """A joined change row as a Change, and the bytes it counts towards a batch."""
        plain, author = self._open(sealer, row)
        dev, seq, rid, kind, fid, fver, h, deleted, *_middle, bases, resolves, _author = row
        try:
            fields = _loads(plain)
        except orjson.JSONDecodeError:
            raise DamagedRecord(rid, "change for record") from None
        change = Change(dev, seq, rid, kind, fid, fver, h, bool(deleted), fields, _loads(bases) if bases else {},
                        _loads(resolves) if resolves else [], author)
        return change, len(plain) + CHANGE_OVERHEAD_BYTES + (len(bases) if bases else 0)

    def pending(self, limit: int | None = None, *, after_seq: int = 0, max_bytes: int | None = None) -> list[Change]:
        """Unacknowledged local changes, oldest first.

        ``after_seq`` skips those up to that sequence number (a USB export in parts reads
        the outbox part by part). ``max_bytes`` stops before the change that would take
        the decrypted field values past that many bytes, but always returns at least one
        change: sync sends batches bounded in bytes, and a 200 MiB outbox is never read
        into memory whole.
        """
        sealer = self._core.need_key()
        sql = _JOINED + "WHERE c.acked = 0 AND c.seq > ? ORDER BY c.device_id, c.seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        out: list[Change] = []
        size = 0
        with translate_errors():
            cursor = self._core.conn.execute(sql, (int(after_seq),))
            for rows in iter(lambda: cursor.fetchmany(64), []):
                for row in rows:
                    change, cost = self._change(sealer, row)
                    size += cost
                    if max_bytes is not None and out and size > max_bytes:
                        cursor.close()
                        return out
                    out.append(change)
        return out

    def pending_count(self) -> int:
        row = self._core.query_one("SELECT count(*) FROM changes WHERE acked = 0")
        return row[0] if row else 0

    def waiting_record_ids(self, *, form_id: str | None = None) -> Iterator[str]:
        """Records with a change made here that the server has not yet confirmed (the
        outbox, by record), streamed. Local-only records (drafts) are never in it."""
        sql, args = "SELECT DISTINCT record_id FROM changes WHERE acked = 0 AND device_id = ?", [self._core.device_id]
        if form_id is not None:
            sql += " AND form_id = ?"
            args.append(form_id)
        with translate_errors():
            for (rid,) in self._core.conn.execute(sql, args):
                yield rid

    # -- acknowledgement -------------------------------------------------------------------
    def last_seq(self) -> int:
        return self._core.meta_int("last_seq", 0)

    def acknowledged_seq(self) -> int:
        row = self._core.query_one("SELECT max(seq) FROM changes WHERE device_id = ? AND acked = 1", (self._core.device_id,))
        # Schema 0007 removed draft changes from the outbox, acknowledged ones included;
        # it kept the highest acknowledged sequence in meta, so this never goes back.
        floor = self._core.query_one("SELECT value FROM meta WHERE key = 'acked_floor'")
        return max(row[0] or 0 if row else 0, int(floor[0]) if floor else 0)

    def acknowledge(self, upto_seq: int) -> int:
        """The server holds our changes up to ``upto_seq``: they leave the outbox (inside a
        transaction). Returns how many."""
        with translate_errors():
            cur = self._core.conn.execute(
                "UPDATE changes SET acked = 1 WHERE device_id = ? AND seq <= ? AND acked = 0",
                (self._core.device_id, int(upto_seq)))
        return cur.rowcount

    # -- changes the server refused for good: set aside ---------------------------------
    def _set_aside_list(self) -> list[dict]:
        row = self._core.query_one("SELECT value FROM meta WHERE key = 'set_aside'")
        return _loads(row[0]) if row else []

    def record_refusals(self, refused: list[dict]) -> list[int]:
        """Keep the server's refusals, ``[{seq, reason}]`` (inside a transaction).

        The changes stay in the outbox table, acknowledged, with their sealed values; the
        list lives in ``meta`` (ids, numbers and the server's reason: no values)."""
        core = self._core
        kept = {e["seq"]: e for e in self._set_aside_list()}
        now = core.clock.now_ms()
        added = []
        issued = core.tx.last_seq if core.tx is not None else self.last_seq()
        for r in refused:
            seq, reason = r.get("seq"), r.get("reason")
            if type(seq) is not int or seq in kept or seq > issued:
                continue
            reason = reason if isinstance(reason, str) else "refused"
            kept[seq] = {"seq": seq, "reason": reason[:200], "at_ms": now}
            added.append(seq)
        if added:
            core.set_meta("set_aside", _dumps(sorted(kept.values(), key=lambda e: e["seq"])).decode())
            self._audit.add("changes_set_aside", detail={"seqs": added})
            log.warning("%d change(s) refused by the server for good; set aside", len(added))
        return added

    def set_aside_count(self) -> int:
        return len(self._set_aside_list())

    def set_aside(self, *, values: bool = False) -> list[dict]:
        """Our changes the server refused for good, oldest first: ``{seq, record_id, kind,
        form_id, form_version, hlc, deleted, reason, set_aside_at, fields}`` where ``fields``
        is the number of fields, or with ``values`` the fields themselves (personal data: for
        a deliberate support export only)."""
        sealer = self._core.need_key()
        out = []
        for e in self._set_aside_list():
            row = self._core.query_one(_JOINED + "WHERE c.device_id = ? AND c.seq = ?", (self._core.device_id, e["seq"]))
            if row is None:
                continue
            change, _cost = self._change(sealer, row)
            out.append({"seq": e["seq"], "record_id": change.record_id, "kind": change.kind, "form_id": change.form_id,
                        "form_version": change.form_version, "hlc": change.hlc, "deleted": change.deleted,
                        "reason": e["reason"], "set_aside_at": _iso_ms(e["at_ms"]),
                        "fields": change.fields if values else len(change.fields)})
        return out
