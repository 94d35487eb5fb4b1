"""Command line for the household registry: ``registry import``, ``duplicates``, ``add`` and ``review``,
and the household registration form's ``forms submit`` (:func:`_hook_forms_submit`)."""
from __future__ import annotations

import argparse
import csv
import json
import sys

from storage.cli import open_profile

from . import matching, regform, registration, registry, review
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
        # Pairs a lead decided "same" or "different" are not proposed again (review.py).
        pairs = review.review_queue(store, min_score=args.min_score, progress=_progress)
        if out is not None:
            count = registry.write_pairs(pairs, out)
            store.log_event("registry_duplicates_export")
            print(f"{count} candidate pair(s) written to {out}")
        else:
            store.log_event("registry_duplicates")
            w = csv.writer(sys.stdout)
            w.writerow(["ref_a", "ref_b", "score", "reasons"])
            for c in pairs:
                w.writerow([c.ref_a, c.ref_b, registry.score_text(c.score), c.reasons])
    return 0


def _show_existing(store, exc: registration.DuplicateFound | registration.LikelyDuplicate) -> None:
    """The existing households, on the person's own terminal (stdout), before the one-line error."""
    shown = exc.check.exact[:1] if isinstance(exc, registration.DuplicateFound) else exc.check.likely[: registration.MAX_SHOWN]
    for m in shown:
        fields = store.get_record(m.id).fields
        print(f"{m.ref}\t{fields.get('head_name', '')}\t{fields.get('dob', '')}\t{fields.get('settlement', '')}"
              f"\tscore {m.score:.1f}\t{m.reasons}")


def cmd_add(args: argparse.Namespace) -> int:
    entry = _read_json_arg(args.json)
    with open_profile(args.profile) as store:
        try:
            rid, check = registration.register(store, entry, confirm=args.confirm)
        except (registration.DuplicateFound, registration.LikelyDuplicate) as exc:
            _show_existing(store, exc)
            raise
        card = store.get_record(rid).fields["card_code"]
    print(f"{rid} {card}")
    return 0


def _submit_registration(store, form, answers: dict, *, lang: str | None, confirm: bool) -> tuple[str, str]:
    """``forms submit household_registration``: the form's checks, then those of ``registry add``."""
    try:
        rid = regform.submit(store, form, answers, lang=lang, confirm=confirm)
    except (registration.DuplicateFound, registration.LikelyDuplicate) as exc:
        _show_existing(store, exc)
        raise
    card = store.get_record(rid).fields["card_code"]
    return rid, f"Registered a household from {form.form_id} (version {form.version}), card code {card}; it syncs like any other."


def _hook_forms_submit(sub: argparse._SubParsersAction) -> None:
    """Finalising the registration form registers a household: hand it to ``forms submit``
    (exporting/cli.py, registered before this module; it may not import distributions)."""
    forms_parser = sub.choices.get("forms")
    actions = [a for a in forms_parser._actions if isinstance(a, argparse._SubParsersAction)] if forms_parser else []
    submit = actions[0].choices.get("submit") if actions else None
    if submit is not None:
        finishers = submit.get_default("finishers") or {}
        submit.set_defaults(finishers={**finishers, regform.FORM_ID: _submit_registration})


def _read_json_arg(value: str) -> dict:
    try:
        if value == "-":
            text = sys.stdin.read()
        elif value.startswith("@"):
            with open(value[1:], encoding="utf-8") as f:
                text = f.read()
        else:
            text = value
        data = json.loads(text)
    except OSError as exc:
        raise RegistryError(f"Cannot read {value[1:]}: {exc.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RegistryError("--json is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RegistryError('--json must be one JSON object, for example {"head_name": "...", "dob": "..."}.')
    return data


SIDE_BY_SIDE = (("head_name", "name"), ("dob", "born"), ("phone", "phone"), ("phone_other", "other phone"),
                ("doc_number", "document"), ("tax_number", "tax number"), ("settlement", "settlement"),
                ("hromada", "hromada"), ("raion", "raion"), ("oblast", "oblast"), ("hh_size", "people"),
                ("team", "team"), ("registered_at", "registered"), ("card_code", "card"),
                ("duplicate_of", "duplicate of"))


def _show_pair(n: int, pair: review.ReviewPair) -> None:
    """A pair side by side, on stdout (the lead's own terminal; never a log)."""
    a, b = pair.household_a, pair.household_b
    head = f"[{n}] {pair.ref_a}  |  {pair.ref_b}"
    if pair.score is not None:
        head += f"    score {pair.score:.1f}"
    if pair.disputed:
        head += "    DISPUTED: two leads decided differently (now: " + (pair.verdict or "-") + ")"
    elif pair.verdict:
        head += f"    earlier: {pair.verdict}"
    print(head)
    for name, label in SIDE_BY_SIDE:
        x, y = a.get(name), b.get(name)
        if x in (None, "") and y in (None, ""):
            continue
        if name == "doc_number":
            x = f"{a.get('doc_type', '')} {x}".strip() if x else x
            y = f"{b.get('doc_type', '')} {y}".strip() if y else y
        mark = " " if x == y else "*"
        print(f"  {mark} {label:<13} {'' if x is None else x!s:<36} {'' if y is None else y!s}")
    if pair.reasons:
        print(f"    why: {pair.reasons}")


def cmd_review(args: argparse.Namespace) -> int:
    if args.decision and not args.pair:
        raise RegistryError("--decision needs --pair REF_A REF_B.")
    if args.pair and not args.decision:
        raise RegistryError("--pair needs --decision same|different|unsure (and --reason).")
    with open_profile(args.profile) as store:
        if args.history:
            for d in review.decisions(store):
                print(json.dumps(d, ensure_ascii=False, sort_keys=True))
            return 0
        if args.pair:
            first, second = (review.household_by_ref(store, ref) for ref in args.pair)
            keep = review.household_by_ref(store, args.keep) if args.keep else None
            score, reasons = review.pair_score(store, first, second)
            decision = review.decide(store, first, second, args.decision, args.reason or "", keep=keep,
                                     score=score, reasons=reasons)
            print(decision)
            return 0
        queue = review.review_queue(store, min_score=args.min_score, progress=_progress)
        store.log_event("registry_review")
        if not args.interactive:
            for n, pair in enumerate(queue[: args.limit], start=1):
                _show_pair(n, pair)
                print()
            print(f"{len(queue)} pair(s) to review" + (f", the first {args.limit} shown" if len(queue) > args.limit else "")
                  + ". Decide with: registry review --profile DIR --pair REF_A REF_B --decision same|different|unsure --reason TEXT")
            return 0
        return _interactive(store, queue)


KEYS = {"s": "same", "d": "different", "u": "unsure"}


def _interactive(store, queue: list) -> int:
    """One pair at a time from stdin: s(ame), d(ifferent), u(nsure), n(ext) or q(uit), then a reason."""
    decided = 0
    for n, pair in enumerate(queue, start=1):
        _show_pair(n, pair)
        while True:
            print("same (s), different (d), unsure (u), next (n), quit (q)? ", end="", flush=True)
            answer = sys.stdin.readline()
            if not answer:
                answer = "q"
            answer = answer.strip().lower()[:1]
            if answer in ("n", "q") or answer in KEYS:
                break
        if answer == "q":
            break
        if answer == "n":
            continue
        print("reason: ", end="", flush=True)
        reason = sys.stdin.readline().strip()
        try:
            review.decide(store, pair.a, pair.b, KEYS[answer], reason, score=pair.score, reasons=pair.reasons)
        except RegistryError as exc:
            print(f"not saved: {exc}", file=sys.stderr)
            continue
        decided += 1
        print()
    print(f"{decided} decision(s) saved")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    _hook_forms_submit(sub)
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
    p = reg.add_parser("add", help="register one household; refused if already registered, asks on a likely duplicate")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--json", required=True, metavar="JSON|@FILE|-",
                   help="the household: list column names (head_name, dob, phone, ...), members, consent")
    p.add_argument("--confirm", action="store_true", help="register even though likely duplicates were found")
    p.set_defaults(func=cmd_add)
    p = reg.add_parser("review", help="review candidate pairs side by side; decide same, different or unsure")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--pair", nargs=2, metavar=("REF_A", "REF_B"), help="the pair to decide (external refs or record ids)")
    p.add_argument("--decision", choices=review.VERDICTS)
    p.add_argument("--reason", metavar="TEXT", help="why (needed for same and different)")
    p.add_argument("--keep", metavar="REF", help="with --decision same: the household that survives (default: the older)")
    p.add_argument("--interactive", action="store_true", help="go through the queue, reading s/d/u/n/q and a reason from stdin")
    p.add_argument("--history", action="store_true", help="print every decision as JSON, one per line")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="pairs shown (default 20)")
    p.add_argument("--min-score", type=float, default=matching.THRESHOLD, metavar="S")
    p.set_defaults(func=cmd_review)


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
            requeued = None
            if len(pairs) == 1:  # which pair it is, is checked below
                review.decide(store, review.household_by_ref(store, pairs[0].ref_a),
                              review.household_by_ref(store, pairs[0].ref_b), "same", "one man in two scripts")
                requeued = review.review_queue(store)
        if imported.added != 3 or again.added != 0:
            raise RegistryError("self-test failed: the import did not add 3 households once")
        if [sorted((p.ref_a, p.ref_b)) for p in pairs] != [["A-1", "A-2"]] or "across scripts" not in pairs[0].reasons:
            raise RegistryError("self-test failed: duplicate detection did not pair the one household "
                                "written in two scripts (and only it)")
        if requeued != []:
            raise RegistryError("self-test failed: a pair decided 'same' was proposed again")
        leaks = [p.name for p in (root / "profile").rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
        if leaks:
            raise RegistryError(f"self-test failed: plaintext found in the profile after an import: {leaks}")
        report("a list imported twice (added once), a duplicate found across scripts, twins kept apart, "
               "the pair decided and not proposed again; the profile stayed ciphertext")
    finally:
        detach_profile_log(root / "profile")
        shutil.rmtree(root, ignore_errors=True)


def self_test_form(report) -> None:
    """Register a household through the built-in registration form, then refuse it the second time."""
    import shutil
    import tempfile
    from pathlib import Path

    from forms import Session, load_form
    from forms.finalise import finalised
    from resources import resource_path
    from storage import Store
    from storage.logs import detach_profile_log

    canary = "Канаренко Ірина Петрівна"
    answers = {"consent": "yes", "consent_date": "2026-01-05", "consent_purpose": "registration",
               "head_name": canary, "head_dob": "1980-05-02", "doc_type": "id_card", "doc_number": "001234567",
               "oblast": "UA63", "raion": "UA6314", "hromada": "UA6314003", "settlement": "Зміїв", "hh_size": 1}
    root = Path(tempfile.mkdtemp(prefix="fieldbook-regform-selftest-"))
    try:
        form = load_form(resource_path("forms", f"{regform.FORM_ID}.xlsx"))
        store, _ = Store.create(root / "profile", user="selftest", passphrase="self-test passphrase")
        with store:
            record = finalised(Session(form, answers))
            rid, _check = regform.register_submission(store, form, record)
            try:
                regform.register_submission(store, form, record)
                blocked = False
            except registration.DuplicateFound:
                blocked = True
            saved = store.get_record(rid)
        if saved.kind != registry.KIND or not saved.fields.get("card_code") or saved.fields.get("hromada") != "Зміївська":
            raise RegistryError("self-test failed: the registration form did not register a household with a card")
        if not blocked:
            raise RegistryError("self-test failed: the same ID card was registered twice through the form")
        leaks = [p.name for p in (root / "profile").rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
        if leaks:
            raise RegistryError(f"self-test failed: plaintext found in the profile after a registration: {leaks}")
        report("a household registered through the built-in form, with its card code; the same ID card again "
               "was refused; the profile stayed ciphertext")
    finally:
        detach_profile_log(root / "profile")
        shutil.rmtree(root, ignore_errors=True)


SELF_TEST = [("registry", self_test), ("registration form", self_test_form)]
