"""``export``: write one form's records to CSV or XLSX; ``forms submit``: save a filled form as a
finished submission. Both need the store and the form engine (see exporting/__init__.py for why
they live here)."""
from __future__ import annotations

import argparse
import sys

from forms.errors import FormError
from forms.export import FORMATS, export_format, resolve_language
from storage.cli import open_profile
from storage.errors import StorageError

from . import check_destination, check_exportable, export_form, find_builtin_form

ERRORS = (FormError, StorageError)


def cmd_export(args: argparse.Namespace) -> int:
    # Everything that can be checked without the passphrase is checked first: a typo in
    # the form id or the path costs nothing and decrypts nothing.
    check_exportable(args.form)
    form = find_builtin_form(args.form)
    if args.lang:
        args.lang = resolve_language(form, args.lang)
        args.labels = True  # asking for a language means asking for its labels
    out = check_destination(args.out, args.profile)
    fmt = export_format(out, args.format)
    with open_profile(args.profile, user=args.user) as store:
        summary = export_form(store, form, out, fmt=fmt, lang=args.lang, labels=args.labels)
    files = ", ".join(str(p) for p in summary.files)
    print(f"Exported {summary.records} record(s) of {form.form_id} to {files}.", file=sys.stderr)
    if summary.unknown_fields:
        print(
            f"warning: some records hold fields form version {form.version} does not define; they are not in the "
            f"export: {', '.join(summary.unknown_fields[:20])}{' …' if len(summary.unknown_fields) > 20 else ''}",
            file=sys.stderr,
        )
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from forms.finalise import InvalidAnswers, read_answers

    from . import find_form, submit

    answers = read_answers(args.answers)  # checked before the passphrase is asked for
    finishers = getattr(args, "finishers", None) or {}
    if args.confirm and args.form_id not in finishers:
        raise FormError(f"--confirm is for a form that registers a household ({', '.join(sorted(finishers)) or 'none here'}), "
                        f"not for {args.form_id}; nothing was saved.")
    with open_profile(args.profile, user=args.user) as store:
        form = find_form(store, args.form_id)
        lang = resolve_language(form, args.lang) if args.lang else None
        # A form whose finalising means more than a submission (the household registration form
        # registers a household) has a finisher, put here by the package that owns it when it
        # registered its commands (distributions/cli.py): this package may not import it.
        finish = finishers.get(form.form_id)
        try:
            if finish is not None:
                rid, note = finish(store, form, answers, lang=lang, confirm=args.confirm)
            else:
                rid = submit(store, form, answers, lang=lang)
                note = f"Saved a finished {form.form_id} (version {form.version}) submission; it syncs like any other."
        except InvalidAnswers as exc:
            # As the app shows them: each question, what is wrong, the form's own message.
            for e in exc.errors:
                print(f"{e.name}{''.join(f'[{i + 1}]' for i in e.instance)}: {e.kind}: {e.message}")
            raise
    print(rid)
    print(note, file=sys.stderr)
    return 0


def _forms_actions(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    # 'forms' is registered by forms/cli.py, which must not import the store; its 'submit'
    # needs the store, so it is added here, to the same group (main.py registers forms first).
    forms_parser = sub.choices["forms"]
    return next(a for a in forms_parser._actions if isinstance(a, argparse._SubParsersAction))


def register(sub: argparse._SubParsersAction) -> None:
    p = _forms_actions(sub).add_parser("submit", help="check a filled form as the app's Finalise does and save it; prints the new id")
    p.add_argument("--profile", required=True, metavar="DIR", help="the profile folder")
    p.add_argument("--user", metavar="NAME", help="which user's passphrase to try (default: every user on the profile)")
    p.add_argument("form_id", metavar="FORM_ID", help="a built-in form, or one the hub published to this profile")
    p.add_argument("--answers", required=True, metavar="FILE.json", help="a JSON object of answers, as for 'forms fill'")
    p.add_argument("--lang", help="language of the messages, e.g. uk")
    p.add_argument("--confirm", action="store_true",
                   help="household registration form: register even though likely duplicates were found")
    p.set_defaults(func=cmd_submit, finishers={})
    p = sub.add_parser("export", help="write the records of one form to CSV or XLSX (the only plaintext the app writes)")
    p.add_argument("--profile", required=True, metavar="DIR", help="the profile folder")
    p.add_argument("--user", metavar="NAME", help="which user's passphrase to try (default: every user on the profile)")
    p.add_argument("--form", required=True, metavar="FORM_ID", help="the form's id, e.g. household_needs")
    p.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from the --out file name; a name that says the other format is refused)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write; repeats go to FILE-REPEAT.csv with csv")
    p.add_argument("--lang", metavar="LANG", help="headers and choices as labels in this language, e.g. uk or en (implies --labels)")
    p.add_argument("--labels", action="store_true", help="headers and choices as labels (in the form's default language) instead of names")
    p.set_defaults(func=cmd_export)


def self_test(report) -> None:
    """Export a built-in form's record from a temporary profile and read the file back."""
    import shutil
    import tempfile
    from pathlib import Path

    import openpyxl

    from forms import Session
    from storage import Store

    canary = "Канарка-Експорт-7731"
    root = Path(tempfile.mkdtemp(prefix="fieldbook-export-selftest-"))
    try:
        form = find_builtin_form("household_needs")
        session = Session(form, {"consent": "yes", "hh_size": 1, "settlement": canary,
                                 "members": [{"member_age": 30, "member_sex": "female"}]})
        store, _ = Store.create(root / "profile", user="selftest", passphrase="self-test passphrase")
        with store:
            r = session.to_save()
            rid = store.save_record(r["kind"], r["fields"], form_id=r["form_id"], form_version=r["form_version"])
            summary = export_form(store, form, root / "hh.xlsx", fmt="xlsx")
        wb = openpyxl.load_workbook(root / "hh.xlsx", read_only=True)
        try:
            main = list(wb[form.form_id].iter_rows(values_only=True))
            members = list(wb["members"].iter_rows(values_only=True))
        finally:
            wb.close()
        header = main[0]
        ok = (summary.rows == {form.form_id: 1, "members": 1} and main[2][header.index("_id")] == rid
              and main[2][header.index("assessment/location_group/settlement")] == canary and members[2][-1] == rid)
        if not ok:
            raise FormError("self-test failed: the export did not hold the record as saved")
        leaks = [p.name for p in (root / "profile").rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
        if leaks:
            raise FormError(f"self-test failed: plaintext found in the profile after an export: {leaks}")
        report("a record exported to XLSX, read back with its repeat linked; the profile stayed ciphertext")
    finally:
        from storage.logs import detach_profile_log

        detach_profile_log(root / "profile")
        shutil.rmtree(root, ignore_errors=True)


SELF_TEST = [("export", self_test)]
