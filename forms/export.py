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
XLSX is written by a small streaming writer (below) rather than a spreadsheet
library, for three reasons: every cell is typed explicitly, so a typed answer
such as ``=HYPERLINK(...)`` can never become a formula; nothing is spooled to
the system temp folder (only temporary files beside the output, owner-only, hold
plaintext: the output's own, and the repeat sheets waiting their turn, compressed,
so memory stays flat at any size); and it is about ten times faster,
which the 50k-record target needs. Errors name files and field names, never a value.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping as _AbcMapping
from typing import Any, Callable, Iterable, Iterator, Mapping
from xml.sax.saxutils import quoteattr

from .errors import ExportError
from .model import Form, Question

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


# --- sinks: where rows go -----------------------------------------------------------------------
def _temp_beside(target: Path) -> tuple[int, Path]:
    # mkstemp creates the file owner-only (0600): the export holds personal data.
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    return fd, Path(name)


def _fsync_replace(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)
    try:  # make the rename itself durable (power cuts are routine in the field)
        dfd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


class _Sink:
    files: list[Path]

    def start(self, header: list[list[str]], hxl: list[list[str]] | None) -> None: ...
    def row(self, table: int, cells: list) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


_CSV_RISKY = re.compile(r"^[=@\t\r]|^[+\-].*[^0-9 .,()\-+]")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        # A spreadsheet opening the CSV would run a text answer starting with '=' (or '+'/'-'
        # followed by more than a number) as a formula; a leading apostrophe keeps it text.
        return "'" + value if _CSV_RISKY.match(value) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return value


class _CsvSink(_Sink):
    """One UTF-8 CSV per table (with a BOM, so spreadsheets read Cyrillic correctly)."""

    def __init__(self, out: Path, tables: list[Table]) -> None:
        self.targets = [out] + [out.with_name(f"{out.stem}-{t.name}{out.suffix or '.csv'}") for t in tables[1:]]
        self.files = []
        self.temps: list[Path] = []
        self.handles: list[io.TextIOWrapper] = []
        self.writers: list[Any] = []

    def start(self, header, hxl) -> None:
        for i, target in enumerate(self.targets):
            fd, tmp = _temp_beside(target)
            self.temps.append(tmp)
            fh = open(fd, "w", encoding="utf-8-sig", newline="")
            self.handles.append(fh)
            w = csv.writer(fh)
            self.writers.append(w)
            w.writerow(header[i])
            if hxl is not None:
                w.writerow(hxl[i])

    def row(self, table: int, cells: list) -> None:
        self.writers[table].writerow(["" if v is None else v if type(v) is int else _csv_cell(v) for v in cells])

    def finish(self) -> None:
        for fh in self.handles:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        for tmp, target in zip(self.temps, self.targets):
            try:
                _fsync_replace(tmp, target)
            except OSError:
                # A set of files half old, half new would mislead: take back the new ones.
                for placed in self.files:
                    placed.unlink(missing_ok=True)
                self.files = []
                raise
            self.files.append(target)
        self.temps = []

    def abort(self) -> None:
        for fh in self.handles:
            try:
                fh.close()
            except OSError:
                pass
        for tmp in self.temps:
            try:
                tmp.unlink()
            except OSError:
                pass


# --- a streaming XLSX writer ------------------------------------------------------------------
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _ooxml_escape(match: re.Match) -> str:
    # Characters XML cannot carry are written as _xHHHH_, which spreadsheets decode back;
    # a literal "_xHHHH_" in an answer is protected the same way (its '_' becomes _x005F_).
    text = match.group(0)
    if text.startswith("_x"):
        return "_x005F" + text
    return f"_x{ord(text):04X}_"


def _xml_text(text: str) -> str:
    if _XML_SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _XML_BAD.sub(_ooxml_escape, text)
    return text


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class _Spool:
    """A sheet waiting for its turn in the zip, compressed (XML shrinks ~10x) into an owner-only
    temporary file beside the output, so memory stays flat however many repeat rows there are:
    the output itself holds the same plaintext in the same folder, so the spool adds no exposure."""

    _CHUNK = 1 << 20

    def __init__(self, beside: Path) -> None:
        self.z = zlib.compressobj(1)
        fd, self.path = _temp_beside(beside)
        self.fh = open(fd, "w+b")

    def write(self, data: bytes) -> None:
        chunk = self.z.compress(data)
        if chunk:
            self.fh.write(chunk)

    def drain(self) -> Iterator[bytes]:
        self.fh.write(self.z.flush())
        self.fh.seek(0)
        d = zlib.decompressobj()
        while True:
            chunk = self.fh.read(self._CHUNK)
            if not chunk:
                break
            yield d.decompress(chunk)
        yield d.flush()
        self.close()

    def close(self) -> None:
        try:
            self.fh.close()
        finally:
            self.path.unlink(missing_ok=True)


class _SheetStream:
    """Rows of one worksheet as SpreadsheetML, written in batches."""

    def __init__(self, target: Any, width: int, frozen_rows: int) -> None:
        self.target = target
        self.refs = [_column_letters(i + 1) for i in range(width)]
        self.n = 0
        self.buf: list[str] = []
        self.size = 0
        pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" state="frozen"/>'
                if frozen_rows else "")
        self.buf.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews><sheetData>'
        )

    def row(self, cells: list, style: int = 0) -> None:
        self.n += 1
        r = str(self.n)
        refs = self.refs
        parts = [f'<row r="{r}">']
        s = f' s="{style}"' if style else ""
        for i, v in enumerate(cells):
            if v is None:
                continue
            ref = refs[i] + r
            t = type(v)  # the exact types first: most cells are one of these (isinstance chains cost at 1M rows)
            if t is str:
                if v:
                    space = ' xml:space="preserve"' if v[0] in " \t\n" or v[-1] in " \t\n" else ""
                    parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_xml_text(v)}</t></is></c>')
            elif t is int:
                parts.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            elif isinstance(v, str):
                if v == "":
                    continue
                space = ' xml:space="preserve"' if v[0] in " \t\n" or v[-1] in " \t\n" else ""
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_xml_text(v)}</t></is></c>')
            elif isinstance(v, bool):
                parts.append(f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, int):
                parts.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            elif isinstance(v, float):
                if math.isfinite(v):
                    parts.append(f'<c r="{ref}"{s}><v>{v!r}</v></c>')
            elif isinstance(v, dt.datetime):
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t>{v.isoformat()}</t></is></c>')
            elif isinstance(v, dt.date):
                parts.append(f'<c r="{ref}" s="1"><v>{(v - _EXCEL_EPOCH).days}</v></c>')
            else:
                parts.append(f'<c r="{ref}"{s} t="inlineStr"><is><t>{_xml_text(str(v))}</t></is></c>')
        parts.append("</row>")
        text = "".join(parts)
        self.buf.append(text)
        self.size += len(text)
        if self.size > 1 << 18:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.target.write("".join(self.buf).encode("utf-8", "replace"))
            self.buf, self.size = [], 0

    def close(self) -> None:
        self.buf.append("</sheetData></worksheet>")
        self.flush()


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


class _XlsxSink(_Sink):
    """The form's sheet streams straight into the zip; repeat sheets wait compressed in spool files."""

    def __init__(self, out: Path, tables: list[Table]) -> None:
        self.out = out
        self.names = [t.name for t in tables]
        self.widths = [len(t.columns) for t in tables]
        self.files = []
        self.tmp: Path | None = None
        self.zip: zipfile.ZipFile | None = None
        self.entry: Any = None
        self.sheets: list[_SheetStream] = []
        self.spools: list[_Spool | None] = []

    def start(self, header, hxl) -> None:
        fd, self.tmp = _temp_beside(self.out)
        fh = open(fd, "wb")
        # Level 1: a third of level 6's time for a file about a fifth larger (1,000,000 rows).
        self.zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.entry = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        frozen = 2 if hxl is not None else 1
        for i, width in enumerate(self.widths):
            spool = None if i == 0 else _Spool(self.out)
            self.spools.append(spool)
            sheet = _SheetStream(self.entry if i == 0 else spool, width, frozen)
            sheet.row(header[i], style=2)
            if hxl is not None:
                sheet.row(hxl[i] or [None], style=2)
            self.sheets.append(sheet)

    def row(self, table: int, cells: list) -> None:
        self.sheets[table].row(cells)

    def finish(self) -> None:
        z = self.zip
        self.sheets[0].close()
        self.entry.close()
        for i in range(1, len(self.sheets)):
            self.sheets[i].close()
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as entry:
                for chunk in self.spools[i].drain():
                    entry.write(chunk)
            self.spools[i] = None
        n = len(self.names)
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{sheets}</Types>'
        ))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'
        ))
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(self.names, 1))
            + "</sheets></workbook>"
        ))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        ))
        z.writestr("xl/styles.xml", _STYLES)
        fh = z.fp
        z.close()
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        _fsync_replace(self.tmp, self.out)
        self.tmp = None
        self.files.append(self.out)

    def abort(self) -> None:
        # Close everything in order (an open entry, the zip, the file) so nothing complains
        # later during garbage collection, then remove the partial file.
        for close in (getattr(self.entry, "close", None), getattr(self.zip, "close", None),
                      getattr(getattr(self.zip, "fp", None), "close", None)):
            if close is not None:
                try:
                    close()
                except (OSError, ValueError):
                    pass
        for spool in self.spools:
            if spool is not None:
                try:
                    spool.close()
                except OSError:
                    pass
        self.spools = []
        if self.tmp is not None:
            try:
                self.tmp.unlink()
            except OSError:
                pass


__all__ = ["FORMATS", "Column", "ExportSummary", "Table", "export_format", "export_records", "plan", "resolve_language"]
