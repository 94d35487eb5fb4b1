"""Export a form's records to CSV or XLSX, laid out the way Kobo and ODK exports are.

    summary = export_records(form, records, "hh.xlsx", fmt="xlsx", lang="uk", labels=True)

``records`` is any iterable of plain dicts ``{"id", "fields", "form_version", ...}``
(the store's records, decrypted in memory by the caller). Pure: it knows no store.

Layout:

- One table for the form, then one per repeat (nested repeats included), in form order.
  XLSX puts each table on its own sheet; CSV writes ``OUT`` for the form and
  ``OUT-stem + "-" + repeat + OUT-suffix`` per repeat (``hh.csv``, ``hh-members.csv``).
- Columns are group paths (``assessment/household/hh_size``) in form order. A
  ``select_multiple`` is one column for the whole answer plus one 0/1 column per
  choice (``needs/food``); a ``geopoint`` also gets ``_PATH_latitude``,
  ``_longitude``, ``_altitude`` and ``_precision``.
- Meta columns come last. The form table: ``_id`` (the record id), ``_form_version``
  (the version the record was filled with) and ``_index`` (row number). A repeat
  table: ``_index`` (its own row number), ``_parent_table_name`` and ``_parent_index``
  (the row it belongs to in its parent table) and ``_parent_id`` (the record id).
- Row 1 holds names (or, with ``labels=True``, labels in ``lang``, and choice
  labels instead of choice names in the values); row 2 the HXL hashtags of the
  survey sheet's ``hxl`` column, when the form has any.

Safety: the output is written to a temporary file in the same folder (owner-only,
0600) and moved into place with ``os.replace`` only once it is complete, so a
failure never leaves half a file; on error the temporary files are removed.
XLSX is written by a small streaming writer (forms/sinks.py) rather than a spreadsheet
library, for three reasons: every cell is typed explicitly, so a typed answer
such as ``=HYPERLINK(...)`` can never become a formula; nothing is spooled to
the system temp folder (only temporary files beside the output, owner-only, hold
plaintext: the output's own, and the repeat sheets waiting their turn, compressed,
so memory stays flat at any size); and it is about ten times faster,
which the 50k-record target needs. Errors name files and field names, never a value.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Mapping as _AbcMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import ExportError
from .model import Form, Question
from .sinks import _CsvSink, _Sink, _XlsxSink

FORMATS = ("csv", "xlsx")
_MISSING = object()
_GEO_PARTS = ("latitude", "longitude", "altitude", "precision")
_HXL_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# --- the plan: which tables and columns a form exports to -------------------------------
@dataclass
class Column:
    name: str   # header in names mode
    label: str  # header in labels mode
    hxl: str = ""


@dataclass
class _Field:
    """One question's cells: a value, or a select_multiple/geopoint split into several."""

    q: Question
    groups: tuple[str, ...]  # non-repeat group names between the table and the question
    columns: list[Column]
    emit: Callable[[Any], list]


@dataclass
class Table:
    """One sheet (XLSX) or file (CSV): the form itself or one repeat."""

    name: str
    repeat: Question | None
    parent: "Table | None"
    groups: tuple[str, ...] = ()  # for a repeat: the groups between its parent table and it
    fields: list[_Field] = field(default_factory=list)
    children: list["Table"] = field(default_factory=list)
    rows: int = 0

    @property
    def meta(self) -> list[str]:
        if self.parent is None:
            return ["_id", "_form_version", "_index"]
        return ["_index", "_parent_table_name", "_parent_index", "_parent_id"]

    @property
    def columns(self) -> list[Column]:
        cols = [c for f in self.fields for c in f.columns]
        return cols + [Column(m, m) for m in self.meta]

    def known_names(self) -> set[str]:
        """Names a value dict of this table may hold (flat, or nested under group names)."""
        names = {f.q.name for f in self.fields} | {g for f in self.fields for g in f.groups}
        names |= {c.repeat.name for c in self.children} | {g for c in self.children for g in c.groups}
        return names


def plan(form: Form, *, lang: str | None = None, labels: bool = False) -> list[Table]:
    """The tables (form first, then repeats in form order) and their columns."""
    lang = lang or form.default_language
    main = Table(name=form.form_id, repeat=None, parent=None)
    tables = [main]

    def visit(node: Question, table: Table, groups: tuple[str, ...]) -> None:
        for q in node.children:
            if q.is_repeat:
                child = Table(name=q.name, repeat=q, parent=table, groups=groups)
                table.children.append(child)
                tables.append(child)
                visit(q, child, ())
            elif q.is_group:
                visit(q, table, groups + (q.name,))
            elif q.stores_answer:
                table.fields.append(_field(q, groups, lang, labels))

    visit(form.root, main, ())
    _unique_names(tables)
    return tables


def _field(q: Question, groups: tuple[str, ...], lang: str | None, labels: bool) -> _Field:
    label = q.label(lang) if q.labels else q.name
    hxl = (q.hxl or "").strip()
    main = Column(q.path, label, hxl)
    if q.type.startswith("select_multiple"):
        names = [c.name for c in q.choices]
        shown = {c.name: c.label(lang) for c in q.choices}
        cols = [main] + [
            Column(f"{q.path}/{c.name}", f"{label}/{shown[c.name]}",
                   f"{hxl}+{c.name.lower()}" if hxl and _HXL_ATTRIBUTE.match(c.name) else "")
            for c in q.choices
        ]

        def emit_multiple(value: Any) -> list:
            if _empty(value):
                return [None] * (1 + len(names))
            picked = value.split() if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else str(value).split()
            chosen = set(picked)
            whole = " ".join(shown.get(p, p) for p in picked) if labels else " ".join(picked)
            return [whole] + [1 if n in chosen else 0 for n in names]

        return _Field(q, groups, cols, emit_multiple)
    if q.type.startswith("select_one"):
        shown = {c.name: c.label(lang) for c in q.choices}

        def emit_one(value: Any) -> list:
            if _empty(value):
                return [None]
            return [shown.get(str(value), value) if labels else _plain(value)]

        return _Field(q, groups, [main], emit_one if labels else _emit_plain)
    if q.type == "geopoint":
        cols = [main] + [Column(f"_{q.path}_{part}", f"_{label}_{part}") for part in _GEO_PARTS]

        def emit_geopoint(value: Any) -> list:
            if _empty(value):
                return [None] * 5
            text = value if isinstance(value, str) else " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            parts: list[Any] = []
            for p in text.split()[:4]:
                try:
                    parts.append(float(p))
                except ValueError:
                    parts.append(None)
            return [text] + parts + [None] * (4 - len(parts))

        return _Field(q, groups, cols, emit_geopoint)
    if q.type in ("date", "today"):
        return _Field(q, groups, [main], _emit_date)
    return _Field(q, groups, [main], _emit_plain)


def _emit_plain(value: Any) -> list:
    return [None if _empty(value) else _plain(value)]


def _emit_date(value: Any) -> list:
    if _empty(value):
        return [None]
    if isinstance(value, str):
        try:
            return [dt.date.fromisoformat(value[:10]) if len(value) == 10 else value]
        except ValueError:
            return [value]
    return [_plain(value)]


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, dt.date, dt.time)):
        return value
    # A list or object where the form expects one value (a record from an older version): keep it readable.
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value is _MISSING or (isinstance(value, float) and math.isnan(value))


def _unique_names(tables: list[Table]) -> None:
    # Sheet names: at most 31 characters, none of []:*?/\ , unique regardless of case.
    seen: set[str] = set()
    for t in tables:
        base = re.sub(r"[\[\]:*?/\\]", "_", t.name)[:31] or "data"
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base[:31 - len(str(n)) - 1]}~{n}"
        seen.add(name.lower())
        t.name = name


# --- rows -----------------------------------------------------------------------------------
def _is_map(value: Any) -> bool:
    # A plain dict is checked first: the typing alias's isinstance goes through several Python
    # calls, and an export of 1,000,000 records asks this tens of millions of times.
    return type(value) is dict or isinstance(value, _AbcMapping)


def _lookup(data: Mapping, name: str, groups: tuple[str, ...]) -> Any:
    """Engine records are flat (groups dissolved); hand-made ones may nest under group names."""
    value = data.get(name, _MISSING)
    if value is _MISSING and groups:
        node: Any = data
        for g in groups:
            node = node.get(g) if _is_map(node) else None
        if _is_map(node):
            value = node.get(name, _MISSING)
    return value


@dataclass
class ExportSummary:
    """What was written: the files, the rows per table, and field names the form does not define."""

    files: list[Path]
    rows: dict[str, int]
    records: int
    unknown_fields: list[str]


def export_format(out: str | os.PathLike, fmt: str | None = None) -> str:
    """The format to write ``out`` in: ``fmt``, or the file name's suffix when ``fmt`` is None.

    A file named for the other format is refused: CSV inside ``hh.xlsx`` opens as a broken
    workbook, or is mailed on as one. Another suffix (``.txt``) is fine with an explicit ``fmt``.
    """
    suffix = Path(out).suffix.lstrip(".").lower()
    if fmt is None:
        if suffix not in FORMATS:
            what = f"Unknown export format '{suffix}' in the name" if suffix else "Cannot tell the format from the name"
            raise ExportError(f"{what} {Path(out).name}: end it in {' or '.join('.' + f for f in FORMATS)}, "
                              f"or give --format.")
        return suffix
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'; choose one of: {', '.join(FORMATS)}.")
    if suffix in FORMATS and suffix != fmt:
        raise ExportError(f"The file name {Path(out).name} says {suffix} but the format asked for is {fmt}; "
                          f"name it .{fmt} or leave out --format (nothing was written).")
    return fmt


def export_records(
    form: Form,
    records: Iterable[Mapping],
    out: str | os.PathLike,
    *,
    fmt: str | None = None,
    lang: str | None = None,
    labels: bool = False,
) -> ExportSummary:
    """Write ``records`` of ``form`` to ``out`` (csv or xlsx; by default from the suffix)."""
    out = Path(out)
    fmt = export_format(out, fmt)
    if lang is not None:
        lang = resolve_language(form, lang)
    tables = plan(form, lang=lang, labels=labels)
    if not out.parent.is_dir():
        raise ExportError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    sink: _Sink = _CsvSink(out, tables) if fmt == "csv" else _XlsxSink(out, tables)
    unknown: set[str] = set()
    try:
        count = _write(sink, tables, records, labels, unknown)
    except OSError as exc:
        sink.abort()
        raise ExportError(f"Cannot write {out}: {exc.strerror or type(exc).__name__}; nothing was written.") from None
    except BaseException:
        sink.abort()
        raise
    return ExportSummary(sink.files, {t.name: t.rows for t in tables}, count, sorted(unknown))


def _write(sink: "_Sink", tables: list[Table], records: Iterable[Mapping], labels: bool, unknown: set[str]) -> int:
    """Every record's rows into ``sink``; returns how many records were read."""
    header = [[c.label if labels else c.name for c in t.columns] for t in tables]
    hxl = [[c.hxl for c in t.columns] for t in tables] if any(f.q.hxl for t in tables for f in t.fields) else None
    sink.start(header, hxl)
    slots = {id(t): i for i, t in enumerate(tables)}
    known = {id(t): t.known_names() for t in tables}
    for t in tables:  # the group names a record may nest this table's answers under
        known[("groups", id(t))] = frozenset(g for f in t.fields for g in f.groups)
        known[("emit", id(t))] = [(f.q.name, f.emit, f.emit(None)) for f in t.fields]
    count = 0
    for record in records:
        count += 1
        rid = str(record.get("id", ""))
        fields = record.get("fields") or {}
        if not _is_map(fields):
            raise ExportError(f"Record {rid} has no field object; it cannot be exported.")
        _emit(sink, slots, known, tables[0], fields, rid, str(record.get("form_version") or ""), None, unknown)
    sink.finish()
    return count


def _emit(sink: "_Sink", slots: dict, known: dict, table: Table, data: Mapping, rid: str, version: str,
          parent_index: int | None, unknown: set[str]) -> None:
    table.rows += 1
    index = table.rows
    row: list = []
    groups = known[("groups", id(table))]
    if groups and not groups.isdisjoint(data):
        for f in table.fields:
            row += f.emit(_lookup(data, f.q.name, f.groups))
    else:  # flat, as the form engine saves records: one dictionary look-up per question
        get = data.get
        for name, emit, blank in known[("emit", id(table))]:
            value = get(name)
            # an unanswered question is most of a wide form's cells: no call for it
            row += blank if value is None or value == "" else emit(value)
    if table.parent is None:
        row += [rid, version or None, index]
    else:
        row += [index, table.parent.name, parent_index, rid]
    sink.row(slots[id(table)], row)
    extra = data.keys() - known[id(table)]
    if extra:
        unknown.update(extra)
    for child in table.children:
        entries = _lookup(data, child.repeat.name, child.groups)
        if isinstance(entries, list):
            for entry in entries:
                if _is_map(entry):
                    _emit(sink, slots, known, child, entry, rid, version, index, unknown)
        elif not _empty(entries):
            unknown.add(child.repeat.name)  # not a list of entries: shown as a problem, not guessed at


def resolve_language(form: Form, lang: str) -> str:
    """``uk`` or ``Українська (uk)`` -> the form's language column; ExportError if it has none."""
    for candidate in form.languages:
        if lang == candidate or candidate.endswith(f"({lang})"):
            return candidate
    if lang == "default" or not form.languages:
        return lang
    raise ExportError(f"The form has no '{lang}' labels; its languages: {', '.join(form.languages)}.")


__all__ = ["FORMATS", "Column", "ExportSummary", "Table", "export_format", "export_records", "plan", "resolve_language"]
