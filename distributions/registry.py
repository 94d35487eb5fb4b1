"""The household registry over the store's public API: import a list, find duplicates.

A household is an ordinary synced record of kind ``household``, so encryption, sync,
conflicts and audit come with it. Phone, document, tax number, card code and the
import key have blind indexes: a desk finds a household by any of them in
milliseconds, and no value is stored in the clear.

Import reads CSV (UTF-8) or XLSX. A row with a bad value is reported by row and column
and left out; the good rows are saved together in one transaction, so a list is never
half imported. Each household gets an import key (its ``reg_id``, or a digest of the
row when there is none), and a row whose key is already registered is skipped: importing
the same file again adds nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rules import outputs
from storage import Store

from . import matching, normalise
from .cards import new_card_code
from .errors import ImportFailed, RegistryError

log = logging.getLogger("fieldbook.distributions")

KIND = "household"
COLUMNS = ("reg_id", "team", "head_name", "dob", "phone", "doc_type", "doc_number", "oblast", "raion",
           "hromada", "settlement", "hh_size", "registered_at")
OPTIONAL = frozenset(COLUMNS) - {"head_name"}
EXTRA = ("tax_number",)  # read when the list has it
MEMBERS = "members"  # also read when the list has it: the members as a JSON list (see _check_members)
MEMBER_KEYS = ("name", "relation", "dob", "sex", "disabled")
DOC_TYPES = ("passport", "id_card", "rnokpp")
INDEXES = {"phone": "phone", "phone_other": "phone", "doc_number": "id", "tax_number": "id", "card_code": "id", "import_key": "text"}
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)  # "row 7, column dob: ..." (no values)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({p.split(",")[0] for p in self.problems})


def ensure_indexes(store: Store) -> None:
    """Declare the registry's blind indexes once per profile."""
    have = store.indexed_fields(KIND)
    for name, normaliser in INDEXES.items():
        if have.get(name) != normaliser:
            store.declare_index(KIND, name, normaliser)


# -- reading a list ---------------------------------------------------------------------

def load_mapping(path: str | os.PathLike | None) -> dict[str, str]:
    """A mapping file: a JSON object from our column names to the list's own headers,
    for example ``{"head_name": "ПІБ", "dob": "Дата народження"}``."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportFailed(f"Cannot read the mapping file {path}: {exc.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ImportFailed(f"The mapping file {path} is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ImportFailed("The mapping file must hold one JSON object of column names, for example "
                           '{"head_name": "ПІБ"}.')
    unknown = sorted(set(data) - set(COLUMNS) - set(EXTRA) - {MEMBERS})
    if unknown:
        raise ImportFailed(f"The mapping file names unknown columns: {', '.join(unknown)}; "
                           f"the columns are: {', '.join(COLUMNS + EXTRA + (MEMBERS,))}.")
    return data


def _read_csv(path: Path) -> tuple[list[str], Iterator[list]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed(f"{path.name} is not UTF-8 text (line {line}); save it as \"CSV UTF-8\" "
                           "and import it again. Nothing was imported.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    header = next(reader, None)
    if header is None:
        raise ImportFailed(f"{path.name} is empty.")
    return [h.strip() for h in header], reader


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[list]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    import zipfile

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError):
        raise ImportFailed(f"{path.name} is not a readable .xlsx workbook.") from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ImportFailed(f"{path.name} has an empty first sheet.")
    return ["" if h is None else str(h).strip() for h in header], (list(r) for r in rows)


def read_list(path: str | os.PathLike, mapping: dict[str, str] | None = None) -> Iterator[tuple[int, dict]]:
    """(row number as a person counts it, {our column: value}) for every non-empty row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _read_xlsx(path)
    else:
        raise ImportFailed(f"{path.name}: import reads .csv or .xlsx files.")
    mapping = mapping or {}
    where = {}
    for ours in COLUMNS + EXTRA + (MEMBERS,):
        theirs = mapping.get(ours, ours)
        if theirs in header:
            where[ours] = header.index(theirs)
    missing = [c for c in COLUMNS if c not in where and c not in OPTIONAL]
    if missing:
        names = ", ".join(f"{c} (as '{mapping[c]}')" if c in mapping else c for c in missing)
        raise ImportFailed(f"{path.name} has no column {names}; nothing was imported. "
                           "Rename the column or give a --mapping file.")
    for n, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        yield n, {c: (values[i] if i < len(values) else None) for c, i in where.items()}


# -- checking a row ---------------------------------------------------------------------

def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


@dataclass
class _RowCheck:
    """One row being checked: its cells as typed and tidied, the fields made so far, and
    its problems (naming the row and column, never the value)."""

    n: int
    row: dict
    t: dict
    fields: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def bad(self, column: str, why: str) -> None:
        self.problems.append(f"row {self.n}, column {column}: {why}")


def _check_name(c: _RowCheck) -> None:
    name = c.t.get("head_name", "")
    if not name:
        c.bad("head_name", "empty")
    elif not any(ch.isalpha() for ch in name):
        c.bad("head_name", "has no letters")
    c.fields["head_name"] = name


def _check_dob(c: _RowCheck, report: ImportReport, today: dt.date) -> None:
    if not c.t.get("dob"):
        return
    dob_value = c.row.get("dob")
    parsed = normalise.parse_date(dob_value if not isinstance(dob_value, str) else dob_value.strip(), today=today)
    if parsed.value is None:
        c.bad("dob", parsed.problem or "not a date")
        return
    c.fields["dob"] = parsed.value.isoformat()
    if parsed.ambiguous:
        c.fields["dob_ambiguous"] = True
        report.warnings.append(f"row {c.n}, column dob: day and month could be either way round; "
                               "read month first and flagged for checking")


def _check_phone(c: _RowCheck) -> None:
    if not c.t.get("phone", ""):
        return
    found = normalise.phones(c.row.get("phone"))
    if not found:
        c.bad("phone", "not a Ukrainian phone number")
        return
    c.fields["phone"] = found[0]
    if len(found) > 1:
        c.fields["phone_other"] = found[1]  # a second number in the same cell


def _check_tax_document(c: _RowCheck, digits: str) -> None:
    if not (digits.isdigit() and len(digits) == 10):
        c.bad("doc_number", "a tax number has ten digits")
    elif not normalise.rnokpp_valid(digits):
        c.bad("doc_number", "the tax number's check digit is wrong")
    else:
        c.fields["tax_number"] = digits


def _check_document_number(c: _RowCheck, doc_type: str, doc_number: str) -> None:
    parsed_doc = normalise.document(doc_number)
    digits = "".join(ch for ch in doc_number if ch not in " -.№#")
    if doc_type == "rnokpp" or (not doc_type and digits.isdigit() and len(digits) == 10):
        _check_tax_document(c, digits)
    elif parsed_doc is None or (doc_type and parsed_doc[0] != doc_type):
        what = {"passport": "a passport number (two letters and six digits)",
                "id_card": "an ID card number (nine digits)"}.get(doc_type)
        c.bad("doc_number", f"not {what}" if what else "not a passport, ID card or tax number")
    else:
        c.fields["doc_type"], c.fields["doc_number"] = parsed_doc


def _check_document(c: _RowCheck) -> None:
    doc_type = c.t.get("doc_type", "").lower()
    doc_number = c.t.get("doc_number", "")
    raw_doc = c.row.get("doc_number")
    if isinstance(raw_doc, (int, float)) and doc_type in ("id_card", "rnokpp") and doc_number.isdigit():
        # A spreadsheet stored the number as a number and dropped its leading zeros.
        doc_number = doc_number.zfill(9 if doc_type == "id_card" else 10)
    if doc_type and doc_type not in DOC_TYPES:
        c.bad("doc_type", f"must be one of {', '.join(DOC_TYPES)} or empty")
    elif doc_number:
        _check_document_number(c, doc_type, doc_number)
    elif doc_type:
        c.bad("doc_number", f"empty, but doc_type says {doc_type}")


def _check_tax_number(c: _RowCheck) -> None:
    tax_value = "".join(ch for ch in c.t.get("tax_number", "") if ch not in " -.№#")
    if not tax_value:
        return
    if not normalise.rnokpp_valid(tax_value):
        c.bad("tax_number", "not ten digits with a right check digit")
    else:
        c.fields["tax_number"] = tax_value


def _check_members(c: _RowCheck) -> None:
    """A ``members`` cell: a JSON list of objects, each with a name (and relation, dob, sex,
    disabled), as a form's repeat group exports them. Kept as the household's members."""
    text = c.t.get(MEMBERS, "")
    if not text:
        return
    try:
        members = json.loads(text)
    except ValueError:
        members = None
    if not isinstance(members, list) or not all(isinstance(m, dict) and str(m.get("name") or "").strip()
                                                for m in members):
        c.bad(MEMBERS, "not a JSON list of members, each with a name")
        return
    c.fields[MEMBERS] = [{k: str(m[k]).strip() for k in MEMBER_KEYS if m.get(k) not in (None, "")} for m in members]


def _check_place_and_size(c: _RowCheck) -> None:
    for column in ("team", "oblast", "raion", "hromada", "settlement"):
        value = c.t.get(column, "")
        if value:
            c.fields[column] = value
    size = c.t.get("hh_size", "")
    if not size:
        return
    if not size.isdigit() or not 1 <= int(size) <= 50:
        c.bad("hh_size", "must be a whole number from 1 to 50")
    else:
        c.fields["hh_size"] = int(size)


def _check_registered(c: _RowCheck, today: dt.date) -> None:
    if not c.t.get("registered_at"):
        return
    parsed = normalise.parse_date(c.row.get("registered_at"), today=today + dt.timedelta(days=1))
    if parsed.value is None:
        c.bad("registered_at", parsed.problem or "not a date")
    else:
        c.fields["registered_at"] = parsed.value.isoformat()


def household_from_row(n: int, row: dict, report: ImportReport, *, today: dt.date) -> dict | None:
    """The household record for one row, or None with the row's problems added to the report.
    Messages name the row and column, never the value (it may be personal)."""
    c = _RowCheck(n, row, {column: _text(value) for column, value in row.items()})
    _check_name(c)
    _check_dob(c, report, today)
    _check_phone(c)
    _check_document(c)
    _check_tax_number(c)
    _check_place_and_size(c)
    _check_registered(c, today)
    _check_members(c)
    fields = c.fields
    ref = c.t.get("reg_id", "")
    if ref:
        fields["external_ref"] = ref
    if c.problems:
        report.problems += c.problems
        return None
    if ref:
        fields["import_key"] = "ref:" + ref
    else:
        # No reference: the row's own normalised content is its key (sealed in the record,
        # searchable only through the keyed blind index).
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        fields["import_key"] = "row:" + digest[:32]
    return fields


def import_list(store: Store, path: str | os.PathLike, *, mapping: dict[str, str] | None = None,
                progress: Progress | None = None, today: dt.date | None = None) -> ImportReport:
    """Import a registration list into the unlocked store. File-level problems (encoding,
    missing columns) raise ImportFailed before anything is saved; row problems are
    reported and those rows left out."""
    today = today or dt.date.today()
    report = ImportReport()
    ensure_indexes(store)
    known = set()
    cards = set()
    for record in store.list_records(KIND):
        known.add(record.fields.get("import_key"))
        cards.add(record.fields.get("card_code"))
    fresh: list[dict] = []
    seen_now: set[str] = set()
    for n, row in read_list(path, mapping):
        report.rows += 1
        fields = household_from_row(n, row, report, today=today)
        if fields is None:
            continue
        key = fields["import_key"]
        if key in known or key in seen_now:
            report.already += 1
            continue
        seen_now.add(key)
        code = new_card_code()
        while code in cards:  # 10**12 codes: a clash is near impossible, but cheap to rule out
            code = new_card_code()
        cards.add(code)
        fields["card_code"] = code
        fresh.append(fields)
        if progress and report.rows % 5000 == 0:
            progress("read", report.rows, 0)
    if progress:
        progress("read", report.rows, report.rows)
    if fresh:
        store.save_records(KIND, fresh)
    report.added = len(fresh)
    if progress:
        progress("saved", report.added, report.added)
    log.info("registry import: %d row(s), %d added, %d already registered, %d problem(s)",
             report.rows, report.added, report.already, len(report.problems))
    return report


# -- duplicates ---------------------------------------------------------------------------

def households_for_matching(store: Store | None, records: dict[str, dict] | None = None) -> Iterator[dict]:
    """What the matcher reads of each household; ``records`` (id -> fields), when the
    caller has them decrypted already."""
    pairs = records.items() if records is not None else ((r.id, r.fields) for r in store.list_records(KIND))
    for rid, f in pairs:
        yield {"id": rid, "ref": f.get("external_ref") or rid, "head_name": f.get("head_name"), "dob": f.get("dob"),
               "phone": f.get("phone"), "phone_other": f.get("phone_other"), "doc_number": f.get("doc_number"),
               "tax_number": f.get("tax_number"), "settlement": f.get("settlement"), "members": f.get("members")}


def find_duplicates(store: Store, *, min_score: float = matching.THRESHOLD,
                    progress: Progress | None = None) -> list[matching.Candidate]:
    """Candidate pairs among the registered households, best first (decrypted in memory only)."""
    return matching.find_duplicates(list(households_for_matching(store)), threshold=min_score, progress=progress)


def check_destination(out: str | os.PathLike, profile: str | os.PathLike) -> Path:
    """Refuse, before anything is decrypted, a pairs file the command must not write."""
    return outputs.checked_destination(
        out, profile, error=RegistryError,
        refusal="The pairs file must be outside the profile folder: it holds readable names.")


def score_text(score: float | None) -> str:
    return "" if score is None else f"{score:.1f}"


def write_pairs(pairs: Iterable[matching.Candidate], out: Path) -> int:
    """CSV ``ref_a,ref_b,score,reasons``, readable by its owner only, written whole or not at all."""
    count = 0
    with outputs.owner_only_text(out) as f:
        w = csv.writer(f)
        w.writerow(["ref_a", "ref_b", "score", "reasons"])
        for c in pairs:
            w.writerow([c.ref_a, c.ref_b, score_text(c.score), c.reasons])
            count += 1
    return count
