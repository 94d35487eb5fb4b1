"""The audit room: the hash-chained log of everything done to the profile.

Each entry is a link: an HMAC (the audit sub-key) over the previous link and the
entry's columns. An entry's optional detail is sealed; one entry covers each batch
of new records (``records`` packs their ids, schema 0004), and one each slice of a pulled
page's records new here that came from one laptop (``pack_pulled``). ``verify`` walks the
chain (storage/verify.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

from . import crypto, hlc
from .core import RECOVERY_USER, Core, translate_errors
from .errors import DamagedRecord, DiskFull, StoreBusy
from .ids import uuid_bytes, uuid_text

log = logging.getLogger("fieldbook.storage")

# Audit entries of changes that came from another laptop: their author column names
# that laptop (``ORIGIN_PREFIX`` + its device id), not the person unlocked here.
ORIGIN_PREFIX = "device:"
SYNC_ACTIONS = frozenset({"sync_edit"})
AUDIT_INSERT = "INSERT INTO audit (seq, hlc, user_id, action, record_id, detail, mac, records) VALUES (?,?,?,?,?,?,?,?)"
_PACKED_FORMAT = 1
_PULLED_FORMAT = 2  # records new here from a pull: no outbox sequence (they are not ours)


@dataclass
class AuditEntry:
    """One link of the audit chain, as the history shows it.

    ``user_name`` is the person on this laptop who did it; None for changes that
    came from another laptop by sync (nobody here wrote them), whose laptop is
    ``origin`` (its device id; "" for entries written before the store kept it).
    ``detail`` is the entry's sealed detail, opened only when one record's history
    is asked for (the fields an edit changed, say; for a sync entry, who made each
    change when the change carried its author)."""

    seq: int
    hlc: str
    user_id: str
    user_name: str | None
    action: str
    record_id: str | None
    origin: str | None = None
    detail: dict | None = None


def pack_ids(first_seq: int, raws: list[bytes]) -> bytes:
    """A batch entry's ``records``: format byte, first outbox sequence (8 bytes), 16 bytes per id."""
    return bytes([_PACKED_FORMAT]) + first_seq.to_bytes(8, "big") + b"".join(raws)


def pack_pulled(raws: list[bytes]) -> bytes:
    """A pulled batch entry's ``records``: format byte 2, then 16 bytes per id. Its sealed
    detail holds, by position, the author and stamp of the changes that named one."""
    return bytes([_PULLED_FORMAT]) + b"".join(raws)


def unpack_ids(packed: bytes) -> tuple[int | None, list[bytes]]:
    """A batch entry's first outbox sequence (None for records pulled, ``pack_pulled``) and ids."""
    if packed[:1] == bytes([_PULLED_FORMAT]) and (len(packed) - 1) % 16 == 0:
        return None, [packed[i : i + 16] for i in range(1, len(packed), 16)]
    if len(packed) < 9 or packed[0] != _PACKED_FORMAT or (len(packed) - 9) % 16:
        raise ValueError("not a packed list of record ids")
    return int.from_bytes(packed[1:9], "big"), [packed[i : i + 16] for i in range(9, len(packed), 16)]


def audit_link(key: bytes, prev: bytes, seq: int, when: str, user_id: str, action: str,
               record_id: str | None, detail: bytes | None, records: bytes | None) -> bytes:
    parts: tuple = (str(seq), when, user_id, action, record_id or "", detail or b"")
    if records is not None:
        parts += (records,)  # entries written before schema 0004 have six parts
    return crypto.chain_mac(key, prev, parts)


class AuditLog:
    def __init__(self, core: Core) -> None:
        self._core = core

    def row(self, action: str, record_id: str | None, *, detail: dict | None = None, records: bytes | None = None,
            author: str | None = None) -> tuple:
        """The next link of the chain, as a row for ``AUDIT_INSERT`` (inside a transaction);
        ``records`` packs the ids a batch entry covers. ``author`` replaces the user id for
        what nobody here wrote (``ORIGIN_PREFIX`` + the laptop it came from)."""
        core = self._core
        tx, keys, sealer = core.need_tx(), core.sub_keys(), core.need_key()
        tx.audit_seq += 1
        seq = tx.audit_seq
        when = hlc.encode(core.clock.last)
        uid = author or core.user_id or ""
        blob = sealer.seal("audit", str(seq), orjson.dumps(detail)) if detail is not None else None
        mac = audit_link(keys.audit, tx.audit_mac, seq, when, uid, action, record_id, blob, records)
        tx.audit_mac = mac
        return (seq, when, uid, action, record_id, blob, mac, records)

    def rows(self, entries: list[tuple[str, str | None, dict | None, str | None, bytes | None]]) -> list[tuple]:
        """``row`` for many entries ``(action, record_id, detail, author, records)`` at once (a pulled
        page's): the same links, with the keys and the time looked up once and the HMAC's key
        pads hashed once (``crypto.ChainMacs``)."""
        core = self._core
        tx, macs, sealer = core.need_tx(), crypto.ChainMacs(core.sub_keys().audit), core.need_key()
        when = hlc.encode(core.clock.last)
        default_uid = core.user_id or ""
        seq, mac, out = tx.audit_seq, tx.audit_mac, []
        for action, record_id, detail, author, records in entries:
            seq += 1
            uid = author or default_uid
            blob = sealer.seal("audit", str(seq), orjson.dumps(detail)) if detail is not None else None
            parts = (str(seq), when, uid, action, record_id or "", blob or b"")
            mac = macs.mac(mac, parts if records is None else (*parts, records))
            out.append((seq, when, uid, action, record_id, blob, mac, records))
        tx.audit_seq, tx.audit_mac = seq, mac
        return out

    def add(self, action: str, record_id: str | None = None, *, detail: dict | None = None) -> None:
        """Append one entry (inside a transaction)."""
        row = self.row(action, record_id, detail=detail)
        with translate_errors():
            self._core.conn.execute(AUDIT_INSERT, row)

    def add_rows(self, rows: list[tuple]) -> None:
        with translate_errors():
            self._core.conn.executemany(AUDIT_INSERT, rows)

    def log_event(self, action: str) -> None:
        """Record a non-record event (export, verify, sync) in its own transaction."""
        self._core.need_key()
        with self._core.atomic():
            self.add(action)

    def best_effort(self, action: str) -> None:
        """Audit a read-only event. A full disk or a busy store must not lock a person out
        of reading their data, so the failure is logged instead of raised."""
        try:
            with self._core.atomic():
                self.add(action)
        except (DiskFull, StoreBusy) as exc:
            log.warning("audit entry '%s' not written: %s", action, type(exc).__name__)

    def entries(self, record_id: str | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; with ``record_id``, that record's entries, their
        sealed details opened.

        An entry that added a batch of records stands for one "add" per record here.
        A change applied by sync is credited to the laptop it came from, never to the
        person unlocked here (entries written before the store kept that laptop
        say only that it was another one).
        """
        sealer = self._core.need_key()
        names: dict[str, str | None] = {s.user_id: s.name for s in self._core.keyring.users if s.user_id}
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
            rows = self._core.conn.execute(sql + " ORDER BY seq", args).fetchall()
        out: list[AuditEntry] = []
        for seq, h, uid, action, rid, packed, blob in rows:
            if packed is None:
                out.append(self._entry(sealer, names, (seq, h, uid, action, rid, blob), opened=bool(record_id)))
                continue
            first, raws = unpack_ids(packed)
            if record_id:
                if needle is not None and needle in raws:
                    entry = self._entry(sealer, names, (seq, h, uid, action, record_id, None), opened=False)
                    if first is None and blob is not None:  # a pulled batch: this record's author, if named
                        entry.detail = self._opened(sealer, seq, blob, record_id).get(str(raws.index(needle)))
                    out.append(entry)
            else:
                out += [self._entry(sealer, names, (seq, h, uid, action, uuid_text(raw), None), opened=False)
                        for raw in raws]
        return out

    @staticmethod
    def _entry(sealer: crypto.Sealer, names: dict, row: tuple, *, opened: bool) -> AuditEntry:
        seq, h, uid, action, rid, blob = row
        entry = AuditEntry(seq, h, uid, names.get(uid), action, rid)
        if action in SYNC_ACTIONS:
            entry.user_name = None
            entry.origin = uid[len(ORIGIN_PREFIX):] if uid.startswith(ORIGIN_PREFIX) else ""
        if opened and blob is not None:
            entry.detail = AuditLog._opened(sealer, seq, blob, rid)
        return entry

    @staticmethod
    def _opened(sealer: crypto.Sealer, seq: int, blob: bytes, rid: str | None) -> dict:
        try:
            return orjson.loads(sealer.open("audit", str(seq), blob))
        except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
            raise DamagedRecord(rid or "?", "audit detail for record") from None
