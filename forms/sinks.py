"""Where an export's rows go: a CSV file per table, or one XLSX workbook written by a small
streaming writer (forms/export.py plans the tables and emits the rows).

Why a hand-written XLSX writer rather than a spreadsheet library: every cell is typed
explicitly, so a typed answer such as ``=HYPERLINK(...)`` can never become a formula;
nothing is spooled to the system temp folder (only temporary files beside the output,
owner-only, hold plaintext: the output's own, and the repeat sheets waiting their turn,
compressed, so memory stays flat at any size); and it is about ten times faster, which the
50k-record target needs. Each sink writes a temporary file beside the output and moves it
into place only once complete; ``abort`` removes what it wrote.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from xml.sax.saxutils import quoteattr

if TYPE_CHECKING:
    from .export import Table


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
