"""The round report: households served and items handed over by oblast, raion and hromada;
proxies, refusals and voids; the stock balance and its variance.

One table, written as CSV or XLSX: a header row, an HXL hashtag row under it, then
the rows, each in a ``section``. It is built from ``(record id, kind, fields,
deleted)`` tuples, so the same code reports from a laptop's store (its own desk and
what reached it) and from the hub's records (every team). Names of people never
appear: only places, item codes, counts and quantities. The file is the one
plaintext file the distribution day writes: owner-only, written whole or not at all,
and recorded in the audit log by the caller.
"""
from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from rules import domain, outputs

from . import registry, stock
from .desk_errors import DistributionError
from .rounds import Round

COLUMNS = ("section", "oblast", "raion", "hromada", "item", "unit", "households", "quantity", "received",
           "distributed", "damaged", "returned", "transfers", "balance", "count", "variance")
HXL = ("#meta+section", "#adm1+name", "#adm2+name", "#adm3+name", "#item+name", "#item+unit", "#reached+households",
       "#value+quantity", "#value+received", "#value+distributed", "#value+damaged", "#value+returned",
       "#value+transfers", "#value+balance", "#value+count", "#value+variance")
HEADERS_UK = {"section": "розділ", "oblast": "область", "raion": "район", "hromada": "громада", "item": "товар",
              "unit": "одиниця", "households": "домогосподарства", "quantity": "кількість", "received": "отримано",
              "distributed": "видано", "damaged": "пошкоджено", "returned": "повернено", "transfers": "переміщення",
              "balance": "залишок", "count": "перерахунок", "variance": "розбіжність"}
SECTIONS_UK = {"served": "охоплено", "served_item": "видано за товаром", "proxies": "через представника",
               "voids": "анульовано", "refusals": "відмови", "stock": "запаси", "review": "на перевірці"}
Row = dict
TALLY = "desk_tally"  # per round and desk: refusals by kind (distributions/desk.py keeps it)


def tally_refusals(records: Iterable[tuple[str, Mapping, bool]]) -> dict[str, int]:
    """Refusals per round, summed over the desks' tallies among ``(kind, fields, deleted)``."""
    out: dict[str, int] = defaultdict(int)
    for kind, fields, deleted in records:
        if kind != TALLY or deleted or not isinstance(fields.get("refusals"), dict):
            continue
        for n in fields["refusals"].values():
            if isinstance(n, int) and not isinstance(n, bool) and n > 0:
                out[str(fields.get("round"))] += n
    return dict(out)


@dataclass
class _Held:
    """The records one round's report reads, sorted by kind."""

    households: dict[str, Mapping] = field(default_factory=dict)
    receipts: list[tuple[str, Mapping]] = field(default_factory=list)
    movements: list[tuple[str, Mapping, bool]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    tallies: list[tuple[str, Mapping, bool]] = field(default_factory=list)


def _sort_records(round_id: str, records: Iterable[tuple[str, str, Mapping, bool]]) -> _Held:
    held = _Held()
    for rid, kind, fields, deleted in records:
        if kind == TALLY:
            held.tallies.append((kind, fields, deleted))
        elif kind == registry.KIND and not deleted:
            held.households[rid] = fields
            if isinstance(fields.get(domain.LINK_FIELD), str):
                held.links[rid] = fields[domain.LINK_FIELD]
        elif kind == domain.RECEIPT and not deleted and fields.get("round") == round_id:
            held.receipts.append((rid, fields))
        elif kind == stock.KIND and fields.get("round") == round_id:
            held.movements.append((kind, fields, deleted))
    return held


def _area_rows(held: _Held, live: list[tuple[str, Mapping]], units: dict, names: dict) -> list[Row]:
    """Households served, items handed over and proxies, by place."""
    households, links = held.households, held.links

    def area(hid: str) -> tuple[str, str, str]:
        f = households.get(domain.survivor(hid, links)) or households.get(hid) or {}
        return (str(f.get("oblast") or ""), str(f.get("raion") or ""), str(f.get("hromada") or ""))

    served: dict[tuple, set] = defaultdict(set)
    per_item: dict[tuple, list] = defaultdict(lambda: [set(), 0])
    proxies: dict[tuple, int] = defaultdict(int)
    for _, f in live:
        hid = f.get("household", "")
        place = area(hid)
        served[place].add(domain.survivor(hid, links))
        if f.get("collector") == "proxy":
            proxies[place] += 1
        for code, qty in (f.get("items") or {}).items():
            if not int(qty):
                continue
            entry = per_item[(place, code)]
            entry[0].add(domain.survivor(hid, links))
            entry[1] += int(qty)
    rows: list[Row] = []
    for place in sorted(served):
        rows.append({"section": "served", "oblast": place[0], "raion": place[1], "hromada": place[2],
                     "households": len(served[place])})
    for (place, code) in sorted(per_item):
        hh, qty = per_item[(place, code)]
        rows.append({"section": "served_item", "oblast": place[0], "raion": place[1], "hromada": place[2],
                     "item": names.get(code, code), "unit": units.get(code, ""), "households": len(hh), "quantity": qty})
    for place in sorted(proxies):
        rows.append({"section": "proxies", "oblast": place[0], "raion": place[1], "hromada": place[2],
                     "quantity": proxies[place]})
    return rows


def _stock_rows(rnd: Round, held: _Held, units: dict, names: dict) -> list[Row]:
    movements = held.movements + [(domain.RECEIPT, f, False) for _, f in held.receipts]
    return [{"section": "stock", "item": names.get(code, code), "unit": units.get(code, ""),
             **{k: v for k, v in b.to_json().items() if k != "item"}}
            for code, b in stock.balances(rnd.round_id, [i.code for i in rnd.items], movements).items()]


def build(rnd: Round, records: Iterable[tuple[str, str, Mapping, bool]], *, refusals: int | None = None,
          lang: str = "en") -> list[Row]:
    """The report's rows for one round. ``records``: every household, receipt and stock
    movement held, and the desks' tallies; ``refusals``: a count to report instead of the
    tallies' sum."""
    held = _sort_records(rnd.round_id, records)
    receipts = held.receipts
    live = [(rid, f) for rid, f in receipts if domain.is_live(f)]
    units = {i.code: i.unit for i in rnd.items}
    names = {i.code: i.name(lang) for i in rnd.items}
    rows = _area_rows(held, live, units, names)
    rows.append({"section": "voids", "quantity": len(receipts) - len(live)})
    if refusals is None:
        refusals = tally_refusals(held.tallies).get(rnd.round_id, 0)
    rows.append({"section": "refusals", "quantity": refusals})
    rows.append({"section": "review", "quantity": len(domain.double_distributions(
        ((rid, f, False) for rid, f in receipts), held.links))})
    rows.extend(_stock_rows(rnd, held, units, names))
    if lang == "uk":
        for row in rows:
            row["section"] = SECTIONS_UK.get(row["section"], row["section"])
    return rows


def totals(rows: list[Row]) -> dict:
    """Figures a person checks first (in English section names)."""
    out: dict = {"households": 0, "items": defaultdict(int), "proxies": 0, "voids": 0, "stock": {}}
    for r in rows:
        s = r["section"]
        if s == "served":
            out["households"] += r["households"]
        elif s == "served_item":
            out["items"][r["item"]] += r["quantity"]
        elif s == "proxies":
            out["proxies"] += r["quantity"]
        elif s == "voids":
            out["voids"] = r["quantity"]
        elif s == "stock":
            out["stock"][r["item"]] = {"balance": r["balance"], "variance": r["variance"]}
    out["items"] = dict(out["items"])
    return out


def check_destination(out: str | os.PathLike, profile: str | os.PathLike | None, fmt: str | None) -> tuple[Path, str]:
    out = Path(out).expanduser()
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise DistributionError("--format is csv or xlsx (or give --out a name ending in .csv or .xlsx).")
    out = outputs.checked_destination(out, profile, error=DistributionError,
                                      refusal="The report must be written outside the profile folder.")
    return out, fmt


def write(rows: list[Row], out: Path, fmt: str, *, lang: str = "en", title: str = "") -> None:
    """Owner-only, written to a temporary file and moved into place."""
    header = [HEADERS_UK[c] for c in COLUMNS] if lang == "uk" else list(COLUMNS)
    table = [header, list(HXL)] + [["" if r.get(c) is None else r.get(c) for c in COLUMNS] for r in rows]
    if fmt == "csv":
        with outputs.owner_only_text(out) as f:
            csv.writer(f).writerows(table)
        return
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = (title or "report")[:31]
    for line in table:
        sheet.append(line)
    with outputs.owner_only_path(out) as tmp:
        book.save(tmp)
