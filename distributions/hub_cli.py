"""``server duplicates``: duplicate households across every team, at the hub.

After sync, the hub holds every team's registrations: the one place where two teams'
lists meet. This command reads them from the hub's data folder (sync/server/duplicates.py),
finds candidate pairs with the same matcher the laptops use (matching.py), leaves out
pairs a team lead already decided (review.py: the verdict travels with the household),
and writes them as the laptops' pairs file does, with each side's team. It sits above
both the server and the registry, as desk_cli.py does for rounds.
"""
from __future__ import annotations

import argparse
import csv
import sys

from sync.server.duplicates import DuplicatesError

from . import matching, review
from .registry import score_text

ERRORS = (DuplicatesError,)


def _hub(args: argparse.Namespace):
    from sync.server.cli import _hub as open_hub  # the hub's own way to open its data folder

    return open_hub(args)


def _progress(stage: str, done: int, total: int) -> None:
    print(f"{stage}: {done:,}" + (f" of {total:,}" if total else ""), file=sys.stderr, flush=True)


def hub_pairs(households: dict[str, dict], *, min_score: float = matching.THRESHOLD, cross_team: bool = False,
              progress=None) -> list[list]:
    """Rows of the hub's pairs file: undecided candidate pairs, best first."""
    queue = review.queue_from(households, set(), min_score=min_score, progress=progress)
    rows = []
    for p in queue:
        team_a, team_b = p.household_a.get("team") or "", p.household_b.get("team") or ""
        if cross_team and team_a == team_b:
            continue
        rows.append([p.ref_a, p.ref_b, score_text(p.score), p.reasons, team_a, team_b, p.a, p.b])
    return rows


def cmd_duplicates(args: argparse.Namespace) -> int:
    from sync.server import duplicates

    out = duplicates.check_destination(args.out, args.data) if args.out else None
    hub = _hub(args)
    try:
        households = duplicates.households(hub, team=args.team)
        rows = hub_pairs(households, min_score=args.min_score, cross_team=args.cross_team, progress=_progress)
        if out is not None:
            count = duplicates.write_pairs(rows, out)
            print(f"{count} candidate pair(s) among {len(households):,} households written to {out}")
        else:
            w = csv.writer(sys.stdout)
            w.writerow(duplicates.COLUMNS)
            w.writerows(rows)
        duplicates.record_run(hub, pairs=len(rows), households=len(households), exported=out is not None)
    finally:
        hub.close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from sync.server.cli import actions

    p = actions().add_parser("duplicates", help="candidate duplicate households across every team (after sync)")
    p.add_argument("--data", required=True, metavar="DIR", help="the server's data folder")
    p.add_argument("--db", metavar="URL", help="postgresql://user:pass@host/db when the hub uses PostgreSQL")
    p.add_argument("--out", metavar="FILE.csv", help="write the pairs here (owner-only, outside the data folder)")
    p.add_argument("--team", help="only this team's households")
    p.add_argument("--cross-team", action="store_true", help="only pairs registered by two different teams")
    p.add_argument("--min-score", type=float, default=matching.THRESHOLD, metavar="S",
                   help=f"lowest score listed (default {matching.THRESHOLD:g})")
    p.set_defaults(func=cmd_duplicates)
