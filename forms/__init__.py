"""The XLSForm engine: load, validate, evaluate. Pure Python; imports nothing of ours.

    form = forms.load_form("household.xlsx")        # MalformedForm lists every problem
    session = forms.Session(form, answers, lang="uk")
    session.set("age", 34); session.errors(); session.record()
    session.label("summary")                          # ${field} in labels and hints filled in
    r = session.to_save()                             # kind, form_id, form_version and fields
    store.save_record(r["kind"], r["fields"], form_id=r["form_id"], form_version=r["form_version"])
"""
from __future__ import annotations

from .engine import FieldError, Session
from .errors import FormError, Issue, MalformedForm
from .loader import load_form, load_form_bytes
from .model import Choice, Form, Question


def evaluate(form: Form, answers: dict, *, lang: str | None = None, **meta) -> dict:
    """One-shot evaluation: the record, visible questions, errors and calculated values."""
    return Session(form, answers, lang=lang, **meta).summary()


__all__ = [
    "Choice", "FieldError", "Form", "FormError", "Issue", "MalformedForm", "Question",
    "Session", "evaluate", "load_form", "load_form_bytes",
]
