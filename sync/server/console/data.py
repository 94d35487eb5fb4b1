"""The console's view of submissions: an index kept up from the change log, and its queries.

Why an index of its own: record bodies are sealed at rest, so neither team, device, date
nor an answer's value can be filtered on in SQL without one. ``catch_up`` reads the
change log after a cursor (``console_state.index_cursor``), and for each submission it
touched stores one row (form, team, device that made it, when) and the blind-index
tokens of its answers: HMAC(console key, form | field | normalised value). The cursor
moves in the same transaction as the rows, under the server's one-writer lock, so two
server processes never index the same change twice and none is skipped (sequence
numbers become visible in commit order: see db.py). Nothing in the hub's write path
changes; a change imported with ``server import-bundle`` while the server runs is
indexed at the next page view.

Paging is by keyset over (created_ms, record_id), newest first, on indexes that start
with the form (and team or device): a page costs the same at row 50 and row 1,000,000.
A filter on an answer's value is an exact, case-insensitive match through its token,
and the URL carries the token, never the value, so access logs hold no answer.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from ..hub import Hub

KIND = "submission"   # the data table shows finished submissions; drafts never reach the hub
PAGE = 50
REVIEW_STATES = ("received", "has_issues", "approved", "rejected")
_BATCH = 2000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def id_time_ms(record_id: str) -> int | None:
    """The creation time in a UUIDv7 record id (ms), or None for another kind of id."""
    if len(record_id) == 36 and record_id[14] == "7" and record_id[8] == "-":
        try:
            return int(record_id[:8] + record_id[9:13], 16)
        except ValueError:
            return None
    return None


def day_of(ms: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def normalise(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode() if not isinstance(value, (int, float)) else repr(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class Index:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.db = hub.db
        self._key = hub.subkey("console-index")

    # -- tokens ----------------------------------------------------------------------------
    def token(self, form_id: str, field: str, value: Any) -> str:
        msg = f"{form_id}\x1f{field}\x1f{normalise(value)}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def _terms(self, form_id: str, fields: dict) -> set[str]:
        out: set[str] = set()

        def visit(data: dict) -> None:
            for name, value in data.items():
                if value is None or value == "":
                    continue
                if isinstance(value, list):
                    for entry in value:
                        if isinstance(entry, dict):
                            visit(entry)
                        elif entry is not None:
                            out.add(self.token(form_id, name, entry))
                    continue
                if isinstance(value, dict):
                    visit(value)
                    continue
                out.add(self.token(form_id, name, value))
                if isinstance(value, str) and " " in value.strip():
                    for part in value.split():  # each choice of a select_multiple
                        out.add(self.token(form_id, name, part))

        visit(fields)
        return out

    # -- keeping up --------------------------------------------------------------------------
    def cursor(self) -> int:
        rows = self.db.execute("SELECT value FROM console_state WHERE name = 'index_cursor'")
        return rows[0][0] if rows else 0

    def behind(self) -> int:
        return self.db.execute("SELECT count(*) FROM changes WHERE server_seq > ?", (self.cursor(),))[0][0]

    def catch_up(self, *, budget_s: float = 2.0) -> int:
        """Index changes made since the cursor, for at most about ``budget_s``; returns how many."""
        newest = self.db.execute("SELECT max(server_seq) FROM changes")[0][0]
        if newest is None or newest <= self.cursor():
            return 0  # nothing new: no write lock taken, so page views never queue behind a sync
        done, deadline = 0, time.monotonic() + budget_s
        while time.monotonic() < deadline:
            n = self._step()
            done += n
            if n < _BATCH:
                break
        return done

    def _step(self) -> int:
        db = self.db
        with db.transaction():
            cursor = self.cursor()
            rows = db.execute("SELECT server_seq, device_id, record_id, kind, received_at FROM changes WHERE server_seq > ? "
                              "ORDER BY server_seq LIMIT ?", (cursor, _BATCH))
            if not rows:
                return 0
            touched: dict[str, tuple[str, int]] = {}
            for _, device, rid, kind, received in rows:
                if kind == KIND and rid not in touched:
                    touched[rid] = (device, received)
            ids = list(touched)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                known = {r[0]: (r[1], r[2], r[3]) for r in db.execute(
                    f"SELECT record_id, form_id, team, deleted FROM console_rows WHERE record_id IN ({marks})", chunk)}
                recs = db.execute(f"SELECT record_id, team, form_id, deleted, body FROM records WHERE record_id IN ({marks}) "
                                  f"AND kind = ?", (*chunk, KIND))
                db.execute(f"DELETE FROM console_terms WHERE record_id IN ({marks})", chunk)
                now = _now_ms()
                new_rows, updates, terms = [], [], []
                counts: Counter[tuple[str, str]] = Counter()
                for rid, team, form_id, deleted, body in recs:
                    device, received = touched[rid]
                    created = id_time_ms(rid) or received
                    if rid in known:
                        updates.append((now, int(deleted), rid))
                        was_form, was_team, was_deleted = known[rid]
                        counts[(was_form, was_team)] += int(bool(was_deleted)) - int(bool(deleted))
                    else:
                        new_rows.append((rid, form_id or "", team, device, created, day_of(created), now, int(deleted)))
                        counts[(form_id or "", team)] += 0 if deleted else 1
                    if not deleted and form_id:
                        fields = orjson.loads(self.hub.unseal(f"record|{rid}", body))
                        terms += [(t, created, rid) for t in self._terms(form_id, fields)]
                db.executemany("INSERT INTO console_rows (record_id, form_id, team, device_id, created_ms, day, updated_ms, "
                               "deleted) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (record_id) DO NOTHING", new_rows)
                db.executemany("UPDATE console_rows SET updated_ms = ?, deleted = ? WHERE record_id = ?", updates)
                db.executemany("INSERT INTO console_counts (form_id, team, n) VALUES (?, ?, ?) ON CONFLICT (form_id, team) "
                               "DO UPDATE SET n = console_counts.n + excluded.n",
                               [(f, t, n) for (f, t), n in counts.items() if n])
                db.executemany("INSERT INTO console_terms (token, created_ms, record_id) VALUES (?,?,?) "
                               "ON CONFLICT DO NOTHING", terms)
            db.execute("INSERT INTO console_state (name, value) VALUES ('index_cursor', ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (rows[-1][0],))
            return len(rows)

    # -- reading -------------------------------------------------------------------------------
    def form_counts(self, scope: tuple[str, ...] | None) -> list[tuple[str, int]]:
        # From the counts the index keeps (migration 0020): a few rows per form, not a scan.
        where, args = _scope("team", scope)
        return [(f, int(n)) for f, n in self.db.execute(
            f"SELECT form_id, sum(n) FROM console_counts WHERE n <> 0{where} GROUP BY form_id ORDER BY form_id", args)]

    def per_day(self, scope: tuple[str, ...] | None, days: int = 14) -> list[tuple[str, str, int]]:
        since = day_of(_now_ms() - (days - 1) * 86_400_000)
        where, args = _scope("team", scope)
        return [tuple(r) for r in self.db.execute(
            f"SELECT day, form_id, count(*) FROM console_rows WHERE day >= ? AND deleted = 0{where} "
            f"GROUP BY day, form_id ORDER BY day DESC, form_id", (since, *args))]

    def page(self, form_id: str, *, scope: tuple[str, ...] | None, flt: "Filter", after: tuple[int, str] | None = None,
             limit: int = PAGE, bodies: bool = True) -> tuple[list[dict], tuple[int, str] | None]:
        """One page of the form's submissions, newest first, and the key of the next page (None: last)."""
        if flt.token:
            base = "FROM console_terms k JOIN console_rows r ON r.record_id = k.record_id"
            key = "k"
            where, args = ["k.token = ?", "r.form_id = ?", "r.deleted = 0"], [flt.token, form_id]
        else:
            base, key = "FROM console_rows r", "r"
            where, args = ["r.form_id = ?", "r.deleted = 0"], [form_id]
        sc, sargs = _scope("r.team", scope)
        if sc:
            where.append(sc[5:])
            args += sargs
        if flt.team:
            where.append("r.team = ?"); args.append(flt.team)
        if flt.device:
            where.append("r.device_id = ?"); args.append(flt.device)
        if flt.review:
            where.append("r.review = ?"); args.append(flt.review)
        if flt.date_from is not None:
            where.append(f"{key}.created_ms >= ?"); args.append(flt.date_from)
        if flt.date_to is not None:
            where.append(f"{key}.created_ms < ?"); args.append(flt.date_to)
        if after:
            where.append(f"({key}.created_ms < ? OR ({key}.created_ms = ? AND {key}.record_id < ?))")
            args += [after[0], after[0], after[1]]
        rows = self.db.execute(
            f"SELECT r.record_id, r.team, r.device_id, r.created_ms, r.review {base} WHERE {' AND '.join(where)} "
            f"ORDER BY {key}.created_ms DESC, {key}.record_id DESC LIMIT ?", (*args, limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        bodies = self.fields_of([r[0] for r in rows]) if bodies else {}
        out = [{"record_id": rid, "team": team, "device_id": dev, "created": _stamp(created), "review": review,
                "fields": bodies.get(rid, {})} for rid, team, dev, created, review in rows]
        return out, ((rows[-1][3], rows[-1][0]) if more and rows else None)

    def review_of(self, record_id: str) -> str | None:
        rows = self.db.execute("SELECT review FROM console_rows WHERE record_id = ?", (record_id,))
        return rows[0][0] if rows else None

    def set_review(self, record_ids: list[str], state: str) -> int:
        """Set the review state of these submissions (already checked to be in the user's scope)."""
        if state not in REVIEW_STATES:
            raise ValueError(state)
        done = 0
        with self.db.transaction():
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                done += self.db.execute(f"SELECT count(*) FROM console_rows WHERE record_id IN ({marks})", chunk)[0][0]
                self.db.execute(f"UPDATE console_rows SET review = ? WHERE record_id IN ({marks})", (state, *chunk))
        return done

    def matching(self, form_id: str, *, scope: tuple[str, ...] | None, flt: "Filter") -> Iterator[str]:
        """Every submission id the filter matches (for bulk review), a page of 1,000 at a time."""
        key = None
        while True:
            rows, key = self.page(form_id, scope=scope, flt=flt, after=key, limit=1000, bodies=False)
            yield from (r["record_id"] for r in rows)
            if key is None:
                return

    def fields_of(self, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {rid: orjson.loads(self.hub.unseal(f"record|{rid}", body))
                for rid, body in self.db.execute(f"SELECT record_id, body FROM records WHERE record_id IN ({marks})", ids)}

    def record(self, record_id: str) -> dict | None:
        rows = self.db.execute("SELECT team, kind, form_id, form_version, deleted, body, clocks FROM records WHERE record_id = ?",
                               (record_id,))
        if not rows:
            return None
        team, kind, form_id, version, deleted, body, clocks = rows[0]
        return {"record_id": record_id, "team": team, "kind": kind, "form_id": form_id, "form_version": version,
                "deleted": bool(deleted), "fields": orjson.loads(self.hub.unseal(f"record|{record_id}", body)),
                "clocks": orjson.loads(clocks)}

    def history(self, record_id: str) -> list[dict]:
        """Who changed what, and when: the record's changes in the order the hub took them."""
        out = []
        for dev, seq, h, deleted, body, received, author in self.db.execute(
                "SELECT device_id, seq, hlc, deleted, body, received_at, author FROM changes WHERE record_id = ? "
                "ORDER BY server_seq", (record_id,)):
            fields = orjson.loads(self.hub.unseal(f"change|{dev}|{seq}", body))
            out.append({"device_id": dev, "seq": seq, "at": _stamp(int(h, 16) >> 16), "received": _stamp(received),
                        "deleted": bool(deleted), "fields": fields,
                        # the person at the laptop (sync.md "Changes": sealed at rest, never logged)
                        "author": self.hub.unseal(f"author|{dev}|{seq}", author).decode() if author else ""})
        return out

    def authors_of(self, stamps: set[str]) -> dict[str, str]:
        """Who made the laptop changes behind these stamps (``hlc@device``) -> the person's name,
        for those that carry one. One query per device, on its primary-key prefix."""
        by_device: dict[str, set[str]] = {}
        for stamp in stamps:
            hlc, _, dev = stamp.partition("@")
            by_device.setdefault(dev, set()).add(hlc)
        out = {}
        for dev, hlcs in by_device.items():
            marks = ",".join("?" * len(hlcs))
            for seq, h, author in self.db.execute(
                    f"SELECT seq, hlc, author FROM changes WHERE device_id = ? AND hlc IN ({marks}) AND author IS NOT NULL",
                    (dev, *sorted(hlcs))):
                out[f"{h}@{dev}"] = self.hub.unseal(f"author|{dev}|{seq}", author).decode()
        return out

    def conflicts_of(self, record_id: str) -> list[dict]:
        out = []
        for cid, field, stamp, winner, found, body, resolution in self.db.execute(
                "SELECT id, field, stamp, winner, found_at, body, resolution FROM conflicts WHERE record_id = ? ORDER BY id",
                (record_id,)):
            value = orjson.loads(self.hub.unseal(f"conflict|{record_id}|{field}|{stamp}", body))["value"]
            out.append({"id": cid, "field": field, "value": value, "stamp": stamp, "winner": winner, "found": _stamp(found),
                        "resolution": resolution})
        return out

    def devices_of(self, form_id: str, scope: tuple[str, ...] | None) -> list[str]:
        where, args = _scope("team", scope)
        return [r[0] for r in self.db.execute(f"SELECT device_id FROM devices WHERE 1 = 1{where} ORDER BY device_id", args)]


@dataclass
class Filter:
    team: str | None = None
    device: str | None = None
    date_from: int | None = None     # ms, inclusive
    date_to: int | None = None       # ms, exclusive
    field: str | None = None
    token: str | None = None         # blind-index token of field = value
    review: str | None = None        # one of REVIEW_STATES

    def query(self) -> dict[str, str]:
        """The filter as URL parameters (the value only as its token)."""
        out = {}
        if self.team:
            out["team"] = self.team
        if self.device:
            out["device"] = self.device
        if self.date_from is not None:
            out["date_from"] = day_of(self.date_from)
        if self.date_to is not None:
            out["date_to"] = day_of(self.date_to - 86_400_000)
        if self.field and self.token:
            out["field"], out["match"] = self.field, self.token
        if self.review:
            out["review"] = self.review
        return out


def parse_day(text: str | None, *, end: bool = False) -> int | None:
    """'YYYY-MM-DD' -> ms at 00:00 UTC (of the next day when ``end``); None when empty; ValueError if not a date."""
    if not text:
        return None
    d = dt.date.fromisoformat(text.strip())
    if end:
        d += dt.timedelta(days=1)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def _scope(column: str, scope: tuple[str, ...] | None) -> tuple[str, list]:
    if scope is None:
        return "", []
    return f" AND {column} IN ({','.join('?' * len(scope))})", list(scope)


def _stamp(ms: int | None) -> str:
    if ms is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))


def iter_submissions(hub: Hub, form_id: str, *, teams: tuple[str, ...] | None = None, since_ms: int | None = None,
                     batch: int = 1000) -> Iterator[dict]:
    """Every live submission of a form, in record id order, read and decrypted ``batch`` at a
    time (keyset over the primary key), so an export of any size holds one batch in memory.
    Read from the records table itself, not the console's index, so an export never lags."""
    wanted = set(teams) if teams is not None else None
    last = ""
    while True:
        # Only the form and the key in SQL, so both engines walk records_form in order; the rest
        # is checked here before anything is decrypted (a team filter in SQL made SQLite sort a
        # whole team's rows for every batch).
        rows = hub.db.execute(
            "SELECT record_id, team, kind, deleted, form_version, body FROM records WHERE form_id = ? AND record_id > ? "
            "ORDER BY record_id LIMIT ?", (form_id, last, batch))
        for rid, team, kind, deleted, version, body in rows:
            if kind != KIND or deleted or (wanted is not None and team not in wanted):
                continue
            if since_ms is not None:
                t = id_time_ms(rid)
                if t is None or t < since_ms:
                    continue
            yield {"id": rid, "form_version": version, "fields": orjson.loads(hub.unseal(f"record|{rid}", body))}
        if len(rows) < batch:
            return
        last = rows[-1][0]
