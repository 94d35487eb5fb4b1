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
import json
import sys

from sync.server.duplicates import DuplicatesError
from sync.server.hub_decisions import DecisionRefused

from . import matching, review
from .registry import score_text

ERRORS = (DuplicatesError, DecisionRefused)


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
    from sync.server import duplicates, hub_decisions

    if args.data is None:
        args.parser.error("the following arguments are required: --data")
    out = duplicates.check_destination(args.out, args.data) if args.out else None
    hub = _hub(args)
    try:
        households = duplicates.households(hub, team=args.team)
        rows = hub_pairs(households, min_score=args.min_score, progress=_progress)
        if args.team is None:
            # Every team's pairs, undecided: the console's Review page lists them (sealed at rest).
            hub_decisions.store_pairs(hub, rows)
        if args.cross_team:
            rows = [r for r in rows if r[4] != r[5]]
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


def cmd_decide(args: argparse.Namespace) -> int:
    """A lead's decision on a pair, made at the hub; the laptops of both households' teams
    receive it at their next sync (sync/server/hub_decisions.py)."""
    from sync.server import hub_decisions

    verdict = "same" if args.same else "different" if args.different else "unsure"
    hub = _hub(args)
    try:
        name, role, teams = hub_decisions.acting_user(hub, args.as_user)
        held = {rid: r["fields"] for rid, r in hub.records().items() if r["kind"] == "household" and not r["deleted"]}
        first, second = (hub_decisions.household_by_ref(hub, ref, held) for ref in args.pair)
        keep = hub_decisions.household_by_ref(hub, args.keep, held) if args.keep else None
        hub_decisions.check_may_decide(hub, role, teams, first, second)
        done = hub_decisions.decide(hub, first, second, verdict, args.reason or "", actor=name, keep=keep)
    finally:
        hub.close()
    refs = {first: args.pair[0], second: args.pair[1]}
    print(json.dumps({"a": done.a, "b": done.b, "ref_a": refs[done.a], "ref_b": refs[done.b], "verdict": done.verdict,
                      "kept": done.kept, "decisions": done.decisions, "changes": done.seqs}, sort_keys=True))
    print(f"decided '{verdict}'; the laptops of {' and '.join(sorted(done.decisions))} receive it at their next sync.",
          file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from sync.server.cli import actions

    p = actions().add_parser("duplicates", help="candidate duplicate households across every team (after sync)")
    # Not required here: 'server duplicates decide --data DIR' gives it to the action (checked in cmd_duplicates).
    p.add_argument("--data", metavar="DIR", help="the server's data folder")
    p.add_argument("--db", metavar="URL", help="postgresql://user:pass@host/db when the hub uses PostgreSQL")
    p.add_argument("--out", metavar="FILE.csv", help="write the pairs here (owner-only, outside the data folder)")
    p.add_argument("--team", help="only this team's households (the console's list is kept from runs over every team)")
    p.add_argument("--cross-team", action="store_true", help="only pairs registered by two different teams")
    p.add_argument("--min-score", type=float, default=matching.THRESHOLD, metavar="S",
                   help=f"lowest score listed (default {matching.THRESHOLD:g})")
    p.set_defaults(func=cmd_duplicates, parser=p)
    then = p.add_subparsers(dest="duplicates_action", metavar="ACTION")
    d = then.add_parser("decide", help="decide a candidate pair at the hub: same, different or unsure, with a reason")
    d.add_argument("--data", required=True, metavar="DIR", help="the server's data folder")
    d.add_argument("--db", metavar="URL", help="postgresql://user:pass@host/db when the hub uses PostgreSQL")
    d.add_argument("--pair", nargs=2, required=True, metavar=("REF_A", "REF_B"),
                   help="the two households: external references (reg_id) or record ids")
    how = d.add_mutually_exclusive_group(required=True)
    how.add_argument("--same", action="store_true", help="one household registered twice: link them")
    how.add_argument("--different", action="store_true", help="two households: never propose the pair again")
    how.add_argument("--unsure", action="store_true", help="keep the pair in the queue, after the undecided ones")
    d.add_argument("--reason", metavar="TEXT", help="why (required for --same and --different)")
    d.add_argument("--keep", metavar="REF", help="with --same: the household that survives (default: the older registration)")
    d.add_argument("--as", dest="as_user", required=True, metavar="USER",
                   help="the console account (administrator or team lead) deciding; named in the decision")
    d.set_defaults(func=cmd_decide)
