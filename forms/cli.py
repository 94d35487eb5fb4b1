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
    except RecursionError:  # the parser's own depth bound
        raise FormError(f"{args.answers} is nested too deeply to hold answers.") from None
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


def _write_form(path: Path, rows: list[list]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def self_test(report) -> None:
    """Write a small bilingual XLSForm, load it, and run an interview through the engine."""
    import tempfile

    head = ["type", "name", "label::English (en)", "label::Українська (uk)", "relevant", "constraint", "calculation"]
    rows = [
        head,
        ["integer", "size", "Household size", "Розмір домогосподарства", None, ". >= 1", None],
        ["begin_repeat", "members", "Members", "Члени", None, None, None],
        ["integer", "age", "Age", "Вік", None, ". <= 120", None],
        ["calculate", "child", None, None, None, None, "if(${age} < 18, 1, 0)"],
        ["end_repeat", None, None, None, None, None, None],
        ["calculate", "adults", None, None, None, None, "count(${age}) - sum(${child})"],
        ["text", "note_child", "Child", "Дитина", "${adults} < ${size}", None, None],
    ]
    broken = [r for r in rows if r[1] != "child"]  # ${child} now refers to nothing
    with tempfile.TemporaryDirectory(prefix="fieldbook-forms-") as tmp:
        try:
            load_form(_write_form(Path(tmp) / "broken.xlsx", broken))
        except MalformedForm:
            pass
        else:
            raise FormError("self-test failed: a reference to a missing question was accepted")
        form = load_form(_write_form(Path(tmp) / "selftest.xlsx", rows))
    session = Session(form, {"size": 2, "members": [{"age": 40}, {"age": 7}]}, lang="uk")
    if session.get("adults") != 1 or not session.visible("note_child"):
        raise FormError("self-test failed: calculations or relevance gave the wrong result")
    session.set("age", 130, index=(0,))
    if [e.kind for e in session.errors()] != ["constraint"]:
        raise FormError("self-test failed: a constraint was not reported")
    report("an XLSForm loads, a bad reference is refused, calculations, relevance and constraints work")


SELF_TEST = [("forms", self_test)]
