"""A form's data as entity sets: the OData feed's model, and the rows the feed and the scripts' endpoints read.

One entity set per table of the laptop export's layout (forms/export.py ``plan``): the form
itself (``Submissions``) and each repeat (``Submissions.members``, nested repeats too), as
ODK Central names them, so that a workbook built on Central's feed finds the same sets.
Columns are the export's columns (group paths, one 0/1 column per choice of a
select_multiple, a geopoint's parts), as OData identifiers: ``/`` and other characters an
identifier cannot hold become ``_``. Meta columns start with ``__``:

- ``Submissions``: ``__id`` (the record id, the key), ``__submissionDate`` (when it was
  made: its UUIDv7 time), ``__team``, ``__formVersion``;
- a repeat: ``__id`` (``RECORD-TABLE-N``, the key), ``__Submissions_id`` (the
  submission), ``__parent_id`` (the row it belongs to: the submission's or the enclosing
  repeat's ``__id``).

Records are read in record-id order (which is creation-time order for UUIDv7 ids) by
keyset over ``records_form``, a batch at a time, and decrypted only once their team and
kind have been checked: memory stays bounded however large the form.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import orjson

from forms.export import Table, plan
from forms.model import Form

from ..console.data import KIND, id_time_ms
from ..hub import Hub

MAIN = "Submissions"
_IDENT_BAD = re.compile(r"[^A-Za-z0-9_]")

# The types the feed declares: what an analyst's tool sums, sorts and charts.
_INT = "Edm.Int64"
_DOUBLE = "Edm.Double"
_STRING = "Edm.String"
_DATE = "Edm.Date"


@dataclass
class Prop:
    name: str            # the OData identifier
    type: str
    column: int | None   # the cell's index in the export row of its table; None for a meta column


@dataclass
class EntitySet:
    name: str                      # Submissions, Submissions.members, Submissions.members.visits
    type_name: str                 # the entity type's identifier: Submissions, members, ...
    table: Table
    props: list[Prop] = field(default_factory=list)
    path: list[Table] = field(default_factory=list)   # the tables from the form down to this one

    def prop_names(self) -> list[str]:
        return [p.name for p in self.props]


def identifier(text: str) -> str:
    name = _IDENT_BAD.sub("_", text) or "_"
    return name if not name[0].isdigit() else "_" + name


def _type_of(question_type: str, part: int) -> str:
    base = question_type.split()[0] if question_type else ""
    if base.startswith("select_multiple"):
        return _STRING if part == 0 else _INT
    if base == "geopoint":
        return _STRING if part == 0 else _DOUBLE
    if base == "integer":
        return _INT
    if base in ("decimal", "range"):
        return _DOUBLE
    if base in ("date", "today"):
        return _DATE
    return _STRING


class Feed:
    """A form's entity sets, and its records' rows for each."""

    def __init__(self, form: Form) -> None:
        self.form = form
        tables = plan(form)
        self.tables = tables  # kept: ``blanks`` is keyed by their ids
        self.blanks = {id(t): [f.emit(None) for f in t.fields] for t in tables}  # an unanswered question's cells
        self.sets: dict[str, EntitySet] = {}
        by_table: dict[int, EntitySet] = {}
        used_types: set[str] = set()
        for t in tables:
            if t.parent is None:
                name, type_name, path = MAIN, MAIN, [t]
            else:
                parent = by_table[id(t.parent)]
                name, path = f"{parent.name}.{t.repeat.name}", parent.path + [t]
                type_name = identifier(t.repeat.name)
                while type_name in used_types or type_name == MAIN:
                    type_name += "_"
            used_types.add(type_name)
            es = EntitySet(name, type_name, t, path=path)
            if t.parent is None:
                es.props = [Prop("__id", _STRING, None), Prop("__submissionDate", "Edm.DateTimeOffset", None),
                            Prop("__team", _STRING, None), Prop("__formVersion", _STRING, None)]
            else:
                es.props = [Prop("__id", _STRING, None), Prop("__Submissions_id", _STRING, None),
                            Prop("__parent_id", _STRING, None)]
            seen = {p.name for p in es.props}
            col = 0
            for f in t.fields:
                for part, c in enumerate(f.columns):
                    name_ = identifier(c.name)
                    while name_ in seen:
                        name_ += "_"
                    seen.add(name_)
                    es.props.append(Prop(name_, _type_of(f.q.type, part), col))
                    col += 1
            self.sets[es.name] = es
            by_table[id(t)] = es

    # -- rows ------------------------------------------------------------------------------
    def rows(self, es: EntitySet, record: dict) -> list[dict]:
        """The entity set's rows for one record ({"id", "team", "form_version", "fields"})."""
        rid = record["id"]
        if es.table.parent is None:
            cells = _cells(es.table, record["fields"], self.blanks[id(es.table)])
            made = id_time_ms(rid)
            row = {"__id": rid, "__submissionDate": _iso_ms(made) if made is not None else None,
                   "__team": record.get("team"), "__formVersion": record.get("form_version") or None}
            for p in es.props[4:]:
                value = cells[p.column]
                row[p.name] = None if value is None else value if p.type == _STRING and type(value) is str else _typed(value, p.type)
            return [row]
        out: list[dict] = []
        counters: dict[int, int] = {}
        self._descend(es, 1, record["fields"], rid, rid, counters, out)
        return out

    def _descend(self, es: EntitySet, depth: int, data: dict, rid: str, parent_id: str, counters: dict, out: list) -> None:
        table = es.path[depth]
        entries = _lookup(data, table.repeat.name, table.groups)
        if not isinstance(entries, list):
            return
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            n = counters[id(table)] = counters.get(id(table), 0) + 1
            row_id = f"{rid}-{table.name}-{n}"
            if depth == len(es.path) - 1:
                cells = _cells(table, entry, self.blanks[id(table)])
                row = {"__id": row_id, "__Submissions_id": rid, "__parent_id": parent_id}
                for p in es.props[3:]:
                    row[p.name] = _typed(cells[p.column], p.type)
                out.append(row)
            else:
                self._descend(es, depth + 1, entry, rid, row_id, counters, out)


def _lookup(data: dict, name: str, groups: tuple[str, ...]) -> Any:
    value = data.get(name)
    if value is None and groups:
        node: Any = data
        for g in groups:
            node = node.get(g) if isinstance(node, dict) else None
        if isinstance(node, dict):
            value = node.get(name)
    return value


def _cells(table: Table, data: dict, blanks: list) -> list:
    cells: list = []
    for f, blank in zip(table.fields, blanks):
        value = _lookup(data, f.q.name, f.groups)
        # most of a wide form's questions are unanswered: no call for those
        cells += blank if value is None or value == "" else f.emit(value)
    return cells


def _typed(value: Any, edm: str) -> Any:
    """A cell as its declared type; a value that is not one (a record of an older form version) is null."""
    if value is None:
        return None
    if edm == _STRING:
        if isinstance(value, str):
            return value
        if isinstance(value, (dt.date, dt.time)):
            return value.isoformat()
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if edm == _INT:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            return None
    if edm == _DOUBLE:
        try:
            f = float(value)
        except (TypeError, ValueError):
            return None
        return f if math.isfinite(f) else None
    if edm == _DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value)[:10]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    return value


def _iso_ms(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- reading records ----------------------------------------------------------------------------
def id_bound(ms: int) -> str:
    """The smallest UUIDv7 string made at ``ms`` or later: a key for ranges over ``records_form``."""
    h = f"{max(0, ms):012x}"
    return f"{h[:8]}-{h[8:12]}"


@dataclass
class Window:
    """Which submissions: teams (None: every team) and a creation-time range [from_ms, to_ms)."""

    teams: tuple[str, ...] | None = None
    from_ms: int | None = None
    to_ms: int | None = None

    def admits(self, rid: str, team: str) -> bool:
        if self.teams is not None and team not in self.teams:
            return False
        if self.from_ms is not None or self.to_ms is not None:
            t = id_time_ms(rid)
            if t is None or (self.from_ms is not None and t < self.from_ms) or (self.to_ms is not None and t >= self.to_ms):
                return False
        return True


def records(hub: Hub, form_id: str, window: Window, *, after: str = "", start: str | None = None, batch: int = 500,
            decrypt: bool = True) -> Iterator[dict]:
    """The form's live submissions in the window, in record-id order, after the id ``after``
    (or from the id ``start`` on, that one included).

    A batch of keys is read, checked (kind, deleted, team, time) before anything is decrypted,
    then the bodies of those that pass are read: memory holds one batch.
    """
    last = after
    if window.from_ms is not None and last < id_bound(window.from_ms):
        last = id_bound(window.from_ms)
    stop = id_bound(window.to_ms) if window.to_ms is not None else None
    first = start is not None
    while True:
        sql, args = _keys_query(form_id, start if first else last, first, stop)
        first = False
        if decrypt and window.teams is None:
            # Every team: one query with the bodies (what is left out, drafts and deletions, is rare).
            # Submissions only: a form's attachment parts (1.4 MB each, forms/media.py) share its
            # form id, and a batch of their bodies would hold a thousand photos' worth.
            rows = hub.db.execute(sql.replace("deleted FROM", "deleted, form_version, body FROM") + " AND kind = ?"
                                  " ORDER BY record_id LIMIT ?", (*args, KIND, batch))
            yield from _opened_rows(hub, rows, window)
            if len(rows) < batch:
                return
            last = rows[-1][0]
            continue
        keys = hub.db.execute(sql + " ORDER BY record_id LIMIT ?", (*args, batch))
        wanted = [(rid, team) for rid, team, kind, deleted in keys if kind == KIND and not deleted and window.admits(rid, team)]
        if wanted and decrypt:
            yield from _opened_bodies(hub, wanted)
        elif wanted:
            yield from ({"id": rid, "team": team} for rid, team in wanted)
        if len(keys) < batch:
            return
        last = keys[-1][0]


def _keys_query(form_id: str, bound: str, inclusive: bool, stop: str | None) -> tuple[str, list]:
    """The query for one batch of a form's record keys from ``bound`` on (below ``stop``)."""
    sql = f"SELECT record_id, team, kind, deleted FROM records WHERE form_id = ? AND record_id {'>=' if inclusive else '>'} ?"
    args: list = [form_id, bound]
    if stop is not None:
        sql += " AND record_id < ?"
        args.append(stop)
    return sql, args


def _opened_rows(hub: Hub, rows, window: Window) -> Iterator[dict]:
    """The live submissions among rows read with their bodies, decrypted."""
    for rid, team, kind, deleted, version, body in rows:
        if kind == KIND and not deleted and window.admits(rid, team):
            yield {"id": rid, "team": team, "form_version": version,
                   "fields": orjson.loads(hub.unseal(f"record|{rid}", body))}


def _opened_bodies(hub: Hub, wanted: list[tuple[str, str]]) -> Iterator[dict]:
    """The submissions ``wanted`` (record id, team), their bodies read and decrypted."""
    marks = ",".join("?" * len(wanted))
    bodies = {rid: (version, body) for rid, version, body in hub.db.execute(
        f"SELECT record_id, form_version, body FROM records WHERE record_id IN ({marks})", [r for r, _ in wanted])}
    for rid, team in wanted:
        if rid in bodies:
            version, body = bodies[rid]
            yield {"id": rid, "team": team, "form_version": version,
                   "fields": orjson.loads(hub.unseal(f"record|{rid}", body))}


def count(hub: Hub, form_id: str, window: Window) -> int:
    """How many submissions the window holds, from the keys alone (nothing decrypted)."""
    sql = "SELECT count(*) FROM records WHERE form_id = ? AND kind = ? AND deleted = 0"
    args: list = [form_id, KIND]
    if window.teams is not None:
        sql += f" AND team IN ({','.join('?' * len(window.teams))})"
        args += list(window.teams)
    if window.from_ms is not None:
        sql += " AND record_id >= ?"
        args.append(id_bound(window.from_ms))
    if window.to_ms is not None:
        sql += " AND record_id < ?"
        args.append(id_bound(window.to_ms))
    return hub.db.execute(sql, args)[0][0]
