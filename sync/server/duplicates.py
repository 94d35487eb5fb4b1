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
    out = Path(out).expanduser()
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise DuplicatesError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    if out.is_dir():
        raise DuplicatesError(f"Cannot write {out}: it is a folder; give a file name.")
    data = Path(data_dir).expanduser().resolve()
    if folder == data or data in folder.parents:
        raise DuplicatesError("The pairs file must be outside the hub's data folder: it holds readable names.")
    return out


def write_pairs(rows: Iterable[list], out: Path) -> int:
    """CSV with ``COLUMNS``, owner-only, written whole or not at all."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    count = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for row in rows:
                w.writerow(row)
                count += 1
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def record_run(hub, *, pairs: int, households: int, exported: bool) -> None:
    """The hub's event log notes every run: counts only, never a name."""
    with hub.db.transaction():
        hub._event("duplicates_export" if exported else "duplicates", None, f"{pairs} pairs of {households} households")
