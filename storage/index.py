"""The blind-index room: exact search over sealed fields (ID document, phone, card code).

A token is a truncated HMAC (the blind-index sub-key) of the kind, the field and the
normalised value; the value itself is never stored. Which fields are indexed is data
(``index_fields``, schema 0002): ``'*'`` applies to every kind.
"""
from __future__ import annotations

from typing import Iterable

import orjson

from . import crypto, normalize, values
from .audit import AuditLog
from .core import Core, translate_errors
from .errors import DamagedRecord, InvalidRecord, NoBlindIndex
from .records import CLOCKS_R, Record, decode


_EMPTY = (None, "")


class BlindIndex:
    def __init__(self, core: Core, audit: AuditLog) -> None:
        self._core, self._audit = core, audit
        self._fields: dict[str, dict[str, str]] = {}

    def load(self) -> None:
        """Read the declared fields (at unlock, and after a declaration)."""
        table: dict[str, dict[str, str]] = {}
        with translate_errors():
            for kind, fld, normaliser in self._core.conn.execute("SELECT kind, field, normaliser FROM index_fields"):
                table.setdefault(kind, {})[fld] = normaliser
        self._fields = table

    def indexed(self, kind: str) -> dict[str, str]:
        """The fields of ``kind`` searchable by exact value: field -> normaliser."""
        merged = dict(self._fields.get("*", {}))
        merged.update(self._fields.get(kind, {}))
        return merged

    # -- tokens ---------------------------------------------------------------------------
    def token(self, kind: str, field: str, normaliser: str, value: object) -> bytes:
        return crypto.blind_token(self._core.sub_keys().blind_index, kind, field, normalize.NORMALISERS[normaliser](value))

    def tokens(self, kind: str, fields: dict) -> list[bytes]:
        return [
            self.token(kind, name, normaliser, fields[name])
            for name, normaliser in self.indexed(kind).items()
            if fields.get(name) not in _EMPTY
        ]

    def rows_for(self, kind: str, records: list[tuple[int, dict]]) -> list[tuple[bytes, int]]:
        """Index rows for new records of one kind, ``(ref, fields)`` pairs, a field at a time
        as a bulk save makes them, sorted: they go into the index in key order, each page
        visited once."""
        key = self._core.sub_keys().blind_index
        rows: list[tuple[bytes, int]] = []
        for name, normaliser in self.indexed(kind).items():
            norm = normalize.NORMALISERS[normaliser]
            present = [(ref, fields[name]) for ref, fields in records if fields.get(name) not in _EMPTY]
            tokens = crypto.blind_tokens(key, crypto.blind_prefix(kind, name), [norm(v) for _r, v in present])
            rows += zip(tokens, [ref for ref, _v in present])
        rows.sort()
        return rows

    # -- writes (inside a transaction) ---------------------------------------------------------
    def insert(self, rows: Iterable[tuple[bytes, int]]) -> None:
        with translate_errors():
            self._core.conn.executemany("INSERT OR IGNORE INTO blind_index VALUES (?, ?)", rows)

    def remove(self, kind: str, fields: dict, ref: int | None) -> None:
        """Take a record's tokens for ``fields`` out of the index."""
        with translate_errors():
            self._core.conn.executemany("DELETE FROM blind_index WHERE token = ? AND ref = ?",
                                        [(t, ref) for t in self.tokens(kind, fields)])

    def reindex(self, record: Record, ref: int | None, old: dict, changed: Iterable[str]) -> None:
        """Move the tokens of the ``changed`` fields from their ``old`` values to the record's."""
        indexed = self.indexed(record.kind)
        conn = self._core.conn
        with translate_errors():
            for name in changed:
                normaliser = indexed.get(name)
                if normaliser is None:
                    continue
                if old.get(name) not in _EMPTY:
                    conn.execute("DELETE FROM blind_index WHERE token = ? AND ref = ?",
                                 (self.token(record.kind, name, normaliser, old[name]), ref))
                if record.fields.get(name) not in _EMPTY:
                    conn.execute("INSERT OR IGNORE INTO blind_index VALUES (?, ?)",
                                 (self.token(record.kind, name, normaliser, record.fields[name]), ref))

    # -- the public side -------------------------------------------------------------------
    def declare(self, kind: str, field: str, normaliser: str = "text") -> int:
        """Make ``field`` of ``kind`` searchable by exact value; index existing records. Returns how many."""
        core = self._core
        sealer = core.need_key()
        if kind != "*":
            values.check_kind(kind)
        values.check_fields({field: None})
        if normaliser not in normalize.NORMALISERS:
            raise InvalidRecord(f"Unknown normaliser '{normaliser}'; use one of: {', '.join(normalize.NORMALISERS)}.")
        with core.atomic():
            with translate_errors():
                core.conn.execute("INSERT OR REPLACE INTO index_fields VALUES (?, ?, ?)", (kind, field, normaliser))
            self.load()
            sql, args = "SELECT ref, id, kind, body FROM records WHERE deleted = 0", []
            if kind != "*":
                sql += " AND kind = ?"
                args.append(kind)
            rows = []
            with translate_errors():
                for ref, rid, rkind, body in core.conn.execute(sql, args).fetchall():
                    try:
                        value = orjson.loads(sealer.open("record", rid, body)).get(field)
                    except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                        raise DamagedRecord(rid) from None
                    if value not in _EMPTY:
                        rows.append((self.token(rkind, field, normaliser, value), ref))
            self.insert(rows)
            self._audit.add("index_declared")
        return len(rows)

    def find_ids(self, kind: str, field: str, value: object) -> list[str]:
        """The ids whose token matches, in id order, without decrypting any (see ``find``)."""
        self._core.need_key()
        normaliser = self.indexed(kind).get(field)
        if normaliser is None:
            raise NoBlindIndex(f"Field '{field}' of kind '{kind}' has no blind index, so it cannot be searched exactly.")
        token = self.token(kind, field, normaliser, value)
        with translate_errors():
            return [rid for (rid,) in self._core.conn.execute(
                "SELECT r.id FROM blind_index b CROSS JOIN records r ON r.ref = b.ref "
                "WHERE b.token = ? AND r.kind = ? AND r.deleted = 0 ORDER BY r.id", (token, kind))]

    def find(self, kind: str, field: str, value: object) -> list[Record]:
        """Exact match through the blind index; the value itself is never stored or logged."""
        sealer = self._core.need_key()
        normaliser = self.indexed(kind).get(field)
        if normaliser is None:
            names = ", ".join(sorted(self.indexed(kind))) or "none"
            raise NoBlindIndex(f"Field '{field}' of kind '{kind}' has no blind index, so it cannot be searched exactly. Indexed fields: {names}.")
        token = self.token(kind, field, normaliser, value)
        norm = normalize.NORMALISERS[normaliser]
        wanted = norm(value)
        with translate_errors():
            rows = self._core.conn.execute(
                f"SELECT r.id, r.kind, r.form_id, r.form_version, {CLOCKS_R}, r.deleted, r.body "
                # CROSS JOIN keeps SQLite on the token index first, whatever its statistics say.
                "FROM blind_index b CROSS JOIN records r ON r.ref = b.ref "
                "WHERE b.token = ? AND r.kind = ? AND r.deleted = 0 ORDER BY r.id",
                (token, kind),
            ).fetchall()
        found = []
        for row in rows:
            record = decode(sealer, row)
            # Guard against a truncated-HMAC collision: confirm on the decrypted value.
            if record.fields.get(field) not in _EMPTY and norm(record.fields[field]) == wanted:
                found.append(record)
        return found
