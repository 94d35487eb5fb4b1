"""Command line for the household registry: ``registry import`` and ``registry duplicates``."""
from __future__ import annotations

import argparse
import csv
import sys

from storage.cli import open_profile

from . import matching, registry
from .errors import RegistryError

ERRORS = (RegistryError,)
MAX_WARNINGS = 20  # every problem is listed; flagged dates (often thousands) only the first few


def _progress(stage: str, done: int, total: int) -> None:
    print(f"{stage}: {done:,}" + (f" of {total:,}" if total else ""), file=sys.stderr, flush=True)


def cmd_import(args: argparse.Namespace) -> int:
    mapping = registry.load_mapping(args.mapping)
    with open_profile(args.profile) as store:
        report = registry.import_list(store, args.file, mapping=mapping, progress=_progress)
    for line in report.problems:
        print(f"problem: {line}", file=sys.stderr)
    for line in report.warnings[:MAX_WARNINGS]:
        print(f"warning: {line}", file=sys.stderr)
    if len(report.warnings) > MAX_WARNINGS:
        print(f"warning: ... and {len(report.warnings) - MAX_WARNINGS} more rows flagged the same way "
              "(the households carry dob_ambiguous)", file=sys.stderr)
    print(f"rows {report.rows}, added {report.added}, already registered {report.already}, "
          f"rejected {report.rejected}, flagged {len(report.warnings)}")
    return 1 if report.problems else 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    out = registry.check_destination(args.out, args.profile) if args.out else None
    with open_profile(args.profile) as store:
        pairs = registry.find_duplicates(store, min_score=args.min_score, progress=_progress)
        if out is not None:
            count = registry.write_pairs(pairs, out)
            store.log_event("registry_duplicates_export")
            print(f"{count} candidate pair(s) written to {out}")
        else:
            store.log_event("registry_duplicates")
            w = csv.writer(sys.stdout)
            w.writerow(["ref_a", "ref_b", "score", "reasons"])
            for c in pairs:
                w.writerow([c.ref_a, c.ref_b, f"{c.score:.1f}", c.reasons])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    reg = sub.add_parser("registry", help="the household registry: import lists, find duplicates") \
        .add_subparsers(dest="action", required=True, metavar="ACTION")
    p = reg.add_parser("import", help="import households from a .csv or .xlsx list; prints counts")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("file", metavar="FILE.csv|FILE.xlsx")
    p.add_argument("--mapping", metavar="FILE.json", help="JSON object: our column name -> the list's header")
    p.set_defaults(func=cmd_import)
    p = reg.add_parser("duplicates", help="candidate duplicate pairs: ref_a,ref_b,score,reasons")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--out", metavar="FILE.csv", help="write the pairs here (owner-only, outside the profile)")
    p.add_argument("--min-score", type=float, default=matching.THRESHOLD, metavar="S",
                   help=f"lowest score listed (default {matching.THRESHOLD:g})")
    p.set_defaults(func=cmd_duplicates)


def self_test(report) -> None:
    """Import a small list into a temporary profile and find the one duplicate in it."""
    import shutil
    import tempfile
    from pathlib import Path

    from storage import Store
    from storage.logs import detach_profile_log

    canary = "Канаренко"
    rows = [
        "reg_id,head_name,dob,phone,doc_type,doc_number,settlement",
        f"A-1,{canary} Олександр Петрович,14.03.1975,067 123 45 67,passport,ЕН123456,Буча",
        "A-2,Kanarenko Aleksandr,3/14/1975,+380671234567,,,Bucha",
        f"A-3,{canary} Андрій Петрович,14.03.1975,0671234567,,,Буча",
    ]
    root = Path(tempfile.mkdtemp(prefix="fieldbook-registry-selftest-"))
    try:
        (root / "list.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        store, _ = Store.create(root / "profile", user="selftest", passphrase="self-test passphrase")
        with store:
            imported = registry.import_list(store, root / "list.csv")
            again = registry.import_list(store, root / "list.csv")
            pairs = registry.find_duplicates(store)
        if imported.added != 3 or again.added != 0:
            raise RegistryError("self-test failed: the import did not add 3 households once")
        if [sorted((p.ref_a, p.ref_b)) for p in pairs] != [["A-1", "A-2"]] or "across scripts" not in pairs[0].reasons:
            raise RegistryError("self-test failed: duplicate detection did not pair the one household "
                                "written in two scripts (and only it)")
        leaks = [p.name for p in (root / "profile").rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
        if leaks:
            raise RegistryError(f"self-test failed: plaintext found in the profile after an import: {leaks}")
        report("a list imported twice (added once), a duplicate found across scripts, twins kept apart; "
               "the profile stayed ciphertext")
    finally:
        detach_profile_log(root / "profile")
        shutil.rmtree(root, ignore_errors=True)


SELF_TEST = [("registry", self_test)]
