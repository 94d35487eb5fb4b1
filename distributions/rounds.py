"""Distribution rounds: what a round is, how it is checked, and what a household gets.

A round is a JSON document (docs/distributions.md, "Rounds")::

    {"round_id": "R-2026-12", "name": {"en": "Winter kits", "uk": "Зимові набори"},
     "start": "2026-12-01", "end": "2026-12-05",
     "eligibility": "${hh_size} >= 1",
     "items": [{"code": "FOOD", "label": {"en": "Food kit", "uk": "Продуктовий набір"},
                "unit": "kit", "entitlement": "if(${hh_size} > 4, 2, 1)", "low_stock": 10}],
     "teams": {"team-a": ["REG-1", "REG-2"]}}

The eligibility rule and each entitlement are expressions of the XLSForm language,
parsed and evaluated by forms/ over the household's fields (a repeat such as
``members`` is a list of entries, so ``count(${members}[disabled='yes'])`` works).
``teams`` is optional: a team listed there serves only the households (by external
reference) on its list.

The hub publishes a round the way it publishes a form: as a published item whose id
is ``round.<round_id>`` carrying the document as its one file, ``round.json``. It
reaches laptops by sync and in return bundles and is kept sealed in the store like a
form; withdrawing it drops it from the laptops at their next sync.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Mapping

from forms import xpath

from .desk_errors import RoundError

PREFIX = "round."  # published ids that are rounds, not forms
FILE = "round.json"
ROUND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
ITEM_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,31}")
MAX_QTY = 1_000_000


@dataclass(frozen=True)
class Item:
    code: str
    label: dict[str, str]
    unit: str
    entitlement: xpath.Expr
    low_stock: int | None = None

    def name(self, lang: str = "en") -> str:
        return self.label.get(lang) or self.label.get("en") or next(iter(self.label.values()), self.code)


@dataclass(frozen=True)
class Round:
    round_id: str
    name: dict[str, str]
    start: str
    end: str
    eligibility: xpath.Expr
    items: tuple[Item, ...]
    teams: dict[str, frozenset[str]] = field(default_factory=dict)
    version: str = "1"
    source: bytes = b""  # the document as published

    @property
    def published_id(self) -> str:
        return PREFIX + self.round_id

    def title(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name.get("en") or self.round_id

    def item(self, code: str) -> Item:
        for it in self.items:
            if it.code == code:
                return it
        raise RoundError(f"Round {self.round_id} has no item {code}; its items are: "
                         f"{', '.join(i.code for i in self.items)}.")

    def on_list(self, team: str | None, external_ref: str | None) -> bool:
        """Whether a team may serve this household: always, unless the round lists households per team."""
        if not self.teams:
            return True
        listed = self.teams.get(team or "")
        return listed is not None and external_ref in listed


def _labels(value: object, where: str) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                 for k, v in value.items()):
        return {k: v.strip() for k, v in value.items()}
    raise RoundError(f"{where}: give a text, or an object of texts by language, for example "
                     '{"en": "Food kit", "uk": "Продуктовий набір"}.')


def _expression(value: object, where: str) -> xpath.Expr:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RoundError(f"{where}: an expression is required, for example 1 or ${{hh_size}}.")
    try:
        return xpath.parse(value)
    except xpath.ExpressionError as exc:
        raise RoundError(f"{where}: {exc.message}.") from None


def _date(value: object, where: str) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise RoundError(f"{where}: a date as YYYY-MM-DD is required.") from None


def _document(data: bytes) -> dict:
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise RoundError(f"The round file is not valid UTF-8 JSON{where}.") from None
    if not isinstance(obj, dict):
        raise RoundError("The round file must hold one JSON object.")
    unknown = sorted(set(obj) - {"round_id", "name", "start", "end", "eligibility", "items", "teams", "version"})
    if unknown:
        raise RoundError(f"The round file has unknown keys: {', '.join(unknown)}.")
    return obj


def _round_id(value: object) -> str:
    if not isinstance(value, str) or not ROUND_ID.fullmatch(value):
        raise RoundError("round_id: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.")
    return value


def _item(raw: object, where: str, codes: set[str]) -> Item:
    """One entry of ``items``; its code is added to ``codes``."""
    if not isinstance(raw, dict):
        raise RoundError(f"{where}: an object with code, label, unit and entitlement is required.")
    code = raw.get("code")
    if not isinstance(code, str) or not ITEM_CODE.fullmatch(code):
        raise RoundError(f"{where}.code: 1-32 letters, digits, '_' or '-'.")
    if code in codes:
        raise RoundError(f"{where}.code: {code} is listed twice.")
    codes.add(code)
    unit = raw.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise RoundError(f"{where}.unit: a unit is required, for example kit or kg.")
    low = raw.get("low_stock")
    if low is not None and (not isinstance(low, int) or isinstance(low, bool) or low < 0):
        raise RoundError(f"{where}.low_stock: a whole number, 0 or more.")
    return Item(code, _labels(raw.get("label"), f"{where}.label"), unit.strip(),
                _expression(raw.get("entitlement"), f"{where}.entitlement"), low)


def _items(raw_items: object) -> tuple[Item, ...]:
    if not isinstance(raw_items, list) or not raw_items:
        raise RoundError("items: a list of at least one item is required.")
    codes: set[str] = set()
    return tuple(_item(raw, f"items[{n}]", codes) for n, raw in enumerate(raw_items, start=1))


def _teams(raw_teams: object) -> dict[str, frozenset[str]]:
    teams: dict[str, frozenset[str]] = {}
    if not isinstance(raw_teams, dict):
        raise RoundError("teams: an object from team name to a list of household references.")
    for team, refs in raw_teams.items():
        if not isinstance(refs, list) or not all(isinstance(r, str) and r for r in refs):
            raise RoundError(f"teams.{team}: a list of household references (reg_id).")
        teams[team] = frozenset(refs)
    return teams


def _version(version: object) -> str:
    if not isinstance(version, (str, int)) or isinstance(version, bool) or not str(version):
        raise RoundError("version: a text or number.")
    return str(version)


def parse_round(data: bytes) -> Round:
    """Check a round document; RoundError names the place of the first problem."""
    obj = _document(data)
    rid = _round_id(obj.get("round_id"))
    name = _labels(obj.get("name"), "name")
    start, end = _date(obj.get("start"), "start"), _date(obj.get("end"), "end")
    if end < start:
        raise RoundError("end: the round ends before it starts.")
    eligibility = _expression(obj.get("eligibility", "true()"), "eligibility")
    items = _items(obj.get("items"))
    teams = _teams(obj.get("teams") or {})
    version = _version(obj.get("version", "1"))
    return Round(rid, name, start, end, eligibility, items, teams, version, bytes(data))


def load_round_file(path) -> Round:
    """A round from a .json file, or from an .xlsx workbook (converted to the same JSON,
    which is what is published, so laptops read one format)."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        raise RoundError(f"{path.name}: a round is published from a .json or .xlsx file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RoundError(f"Cannot read {path}: {exc.strerror}.") from None
    if suffix == ".json":
        return parse_round(data)
    obj = _workbook_round(path)
    try:
        return parse_round(json.dumps(obj, ensure_ascii=False).encode("utf-8"))
    except RoundError as exc:
        # Name the place as the workbook shows it: items[2].unit -> sheet items, row 3, column unit.
        text = re.sub(r"^items\[(\d+)\]\.(\w+)", lambda m: f"sheet items, row {int(m.group(1)) + 1}, column {m.group(2)}", str(exc))
        text = re.sub(r"^items\[(\d+)\]", lambda m: f"sheet items, row {int(m.group(1)) + 1}", text)
        text = re.sub(r"^(round_id|name|start|end|eligibility|version):", r"sheet round, \1:", text)
        raise RoundError(text) from None


XLSX_SHEETS = ("round", "items", "teams")


def _cell(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        v = v.date()
    return v.isoformat() if isinstance(v, dt.date) else v


def _open_workbook(path):
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError, ValueError):
        raise RoundError(f"{path.name} is not a readable .xlsx workbook.") from None
    for sheet in ("round", "items"):
        if sheet not in book.sheetnames:
            raise RoundError(f"{path.name} has no sheet '{sheet}'; a round workbook has the sheets round, items "
                             "and optionally teams.")
    return book


def _sheet_round(sheet) -> dict:
    meta = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] not in (None, ""):
            meta[str(row[0]).strip()] = _cell(row[1] if len(row) > 1 else None)
    obj: dict = {"round_id": meta.get("round_id"), "start": meta.get("start"), "end": meta.get("end"),
                 "name": {k: v for k, v in (("en", meta.get("name_en")), ("uk", meta.get("name_uk"))) if v}}
    for key in ("eligibility", "version"):
        if meta.get(key) is not None:
            obj[key] = str(meta[key])
    return obj


def _sheet_items(sheet) -> list[dict]:
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    items = []
    for row in rows:
        if not any(v not in (None, "") for v in row):
            continue
        r = {h: _cell(v) for h, v in zip(header, row)}
        item = {"code": r.get("code"), "unit": r.get("unit"), "entitlement": r.get("entitlement"),
                "label": {k: v for k, v in (("en", r.get("label_en")), ("uk", r.get("label_uk"))) if v}}
        if r.get("low_stock") is not None:
            item["low_stock"] = r["low_stock"]
        items.append(item)
    return items


def _sheet_teams(sheet) -> dict[str, list]:
    teams: dict[str, list] = {}
    rows = sheet.iter_rows(values_only=True)
    next(rows, None)
    for row in rows:
        if row and row[0] not in (None, "") and len(row) > 1 and row[1] not in (None, ""):
            teams.setdefault(str(row[0]), []).append(str(_cell(row[1])))
    return teams


def _workbook_round(path) -> dict:
    """Sheets: ``round`` (key, value rows: round_id, name_en, name_uk, start, end,
    eligibility, version), ``items`` (code, label_en, label_uk, unit, entitlement,
    low_stock) and optionally ``teams`` (team, reg_id)."""
    book = _open_workbook(path)
    obj = _sheet_round(book["round"])
    obj["items"] = _sheet_items(book["items"])
    if "teams" in book.sheetnames:
        obj["teams"] = _sheet_teams(book["teams"])
    return obj


# -- evaluating over a household ------------------------------------------------------------

def _context(fields: Mapping, today: dt.date | None) -> xpath.SimpleContext:
    return xpath.SimpleContext(fields, today=today)


def eligible(rnd: Round, fields: Mapping, *, today: dt.date | None = None) -> bool:
    return xpath.to_bool(xpath.evaluate(rnd.eligibility, _context(fields, today)))


def entitlement(rnd: Round, fields: Mapping, *, today: dt.date | None = None) -> dict[str, int]:
    """Whole quantities per item code (an expression that gives no number gives 0)."""
    ctx = _context(fields, today)
    out = {}
    for it in rnd.items:
        n = xpath.to_number(xpath.evaluate(it.entitlement, ctx))
        out[it.code] = 0 if math.isnan(n) or n <= 0 else min(int(n), MAX_QTY)
    return out


# -- rounds held by a laptop ------------------------------------------------------------------

def is_round(published_id: str) -> bool:
    return published_id.startswith(PREFIX)


def held_rounds(store) -> dict[str, Round]:
    """The rounds the hub published to this laptop's team (withdrawn ones are gone)."""
    out = {}
    for f in store.published_form_files():
        if is_round(f["form_id"]) and FILE in f["media"]:
            rnd = parse_round(f["media"][FILE])
            out[rnd.round_id] = rnd
    return out


def held_round(store, round_id: str) -> Round:
    rounds = held_rounds(store)
    if round_id not in rounds:
        there = ", ".join(sorted(rounds)) or "none"
        raise RoundError(f"Round {round_id} is not open on this laptop (withdrawn by the hub, or not published "
                         f"to this team); rounds held: {there}.")
    return rounds[round_id]


def report_round(store, round_id: str) -> Round:
    """The round to report on: the one held, or, once the hub withdrew it, one rebuilt from
    what its receipts and stock movements name (item codes; no labels or units)."""
    held = held_rounds(store)
    if round_id in held:
        return held[round_id]
    codes: set[str] = set()
    for kind in ("receipt", "stock_movement"):
        for r in store.list_records(kind):
            if r.fields.get("round") == round_id:
                codes |= set(r.fields.get("items") or ()) if kind == "receipt" else {r.fields.get("item")}
    codes.discard(None)
    if not codes:
        raise RoundError(f"This laptop holds no round {round_id} and no receipt or stock movement of it.")
    expr = xpath.parse("0")
    return Round(round_id, {"en": round_id}, "", "", expr,
                 tuple(Item(c, {"en": c}, "", expr) for c in sorted(codes)))
