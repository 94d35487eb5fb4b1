"""Duplicate households across teams, at the hub: the hub's side of ``server duplicates``.

The hub is the one place where two teams' registration lists meet. This module reads
the hub's live households (decrypted in memory only), and writes the pairs file and the
hub's event for it. The matching itself is the laptops' own (distributions.matching,
applied by distributions/hub_cli.py, which sits above both): the hub never imports it, as
it never imports the store, and every replica scores a pair the same way.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Iterable

from rules import outputs

HOUSEHOLD = "household"
COLUMNS = ["ref_a", "ref_b", "score", "reasons", "team_a", "team_b", "id_a", "id_b"]


class DuplicatesError(Exception):
    """The pairs file cannot be written where asked (a one-line, value-free message)."""


def households(hub, *, team: str | None = None) -> dict[str, dict]:
    """Every live household the hub holds (of one team, or all), as ``{id: fields}``, each
    with ``team``: the team of the laptop that registered it."""
    out = {}
    for rid, r in hub.records(team).items():
        if r["kind"] == HOUSEHOLD and not r["deleted"]:
            out[rid] = {**r["fields"], "team": r["fields"].get("team") or r["team"]}
    return out


def check_destination(out: str | os.PathLike, data_dir: str | os.PathLike) -> Path:
    """Refuse, before anything is decrypted, a pairs file that must not be written."""
    return outputs.checked_destination(
        out, data_dir, error=DuplicatesError,
        refusal="The pairs file must be outside the hub's data folder: it holds readable names.")


def write_pairs(rows: Iterable[list], out: Path) -> int:
    """CSV with ``COLUMNS``, owner-only, written whole or not at all."""
    count = 0
    with outputs.owner_only_text(out) as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def record_run(hub, *, pairs: int, households: int, exported: bool) -> None:
    """The hub's event log notes every run: counts only, never a name."""
    with hub.db.transaction():
        hub._event("duplicates_export" if exported else "duplicates", None, f"{pairs} pairs of {households} households")
