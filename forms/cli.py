"""Command line for forms: ``forms check`` and ``forms fill``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine import Session
from .errors import FormError, MalformedForm
from .loader import load_form

ERRORS = (FormError,)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        form = load_form(args.file)
    except MalformedForm as exc:
        for issue in exc.issues:
            print(issue)
        print(f"error: {args.file} has {len(exc.issues)} problem(s); see above.", file=sys.stderr)
        return 1
    for warning in form.warnings:
        print(f"warning: {warning}")
    questions = sum(1 for q in form.walk() if not q.is_group)
    langs = ", ".join(form.languages) or "no translations"
    print(f"ok: {form.form_id} version {form.version}: {questions} questions; languages: {langs}")
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    form = load_form(args.file)
    try:
        answers = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormError(f"Cannot read {args.answers}: {exc.strerror}.") from None
    except json.JSONDecodeError as exc:
        raise FormError(f"{args.answers} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(answers, dict):
        raise FormError(f"{args.answers} must hold a JSON object of answers.")
    summary = Session(form, answers, lang=args.lang).summary()
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0 if summary["valid"] else 1


def register(sub: argparse._SubParsersAction) -> None:
    forms = sub.add_parser("forms", help="check and try out XLSForms").add_subparsers(dest="action", required=True, metavar="ACTION")
    p = forms.add_parser("check", help="validate an XLSForm; problems name sheet, row and column")
    p.add_argument("file", metavar="FILE.xlsx")
    p.set_defaults(func=cmd_check)
    p = forms.add_parser("fill", help="evaluate answers against a form; prints the record or the errors")
    p.add_argument("file", metavar="FILE.xlsx")
    p.add_argument("--answers", required=True, metavar="FILE.json")
    p.add_argument("--lang", help="language for labels and messages, e.g. uk or 'Українська (uk)'")
    p.set_defaults(func=cmd_fill)
