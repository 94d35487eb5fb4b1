"""Finalising a filled form into a saved submission: one path for the app and the command line.

The desktop app's Finalise (gui/screens/form.py) and ``forms submit`` both come here, so a
submission is checked and stored the same way whoever makes it:

    record = finalised(session)              # every answer checked; ``end`` stamped
    rid = save_finalised(store, record)      # the submission, and the draft gone, in one transaction

It lives beside the export because it is the other place outside gui/ where the form engine
and the store meet (see exporting/__init__.py for why such code sits in this layer).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from forms import Session
from forms.errors import FormError, UnknownForm
from forms.media import ATTACHMENT_KIND, attachment_parts
from forms.model import Form
from storage import Store

from . import builtin_form_ids, find_builtin_form


class InvalidAnswers(FormError):
    """The answers do not pass the form's checks; ``errors`` lists each (question, kind, message)."""

    def __init__(self, errors: list) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} answer(s) need attention before this form can be finalised; nothing was saved.")


def finalised(session: Session, *, errors: list | None = None) -> dict:
    """The record to save for a finished interview, or InvalidAnswers.

    ``errors`` is ``session.errors()`` when the caller has just computed it (the app has, to
    show the messages), so a large form is not checked twice on the GUI thread.
    """
    errors = session.errors() if errors is None else errors
    if errors:
        raise InvalidAnswers(errors)
    return session.to_save(finalise=True)


def save_finalised(store: Store, record: dict, *, draft_id: str | None = None, editing: str | None = None) -> str:
    """Store a finalised record: a new submission, or the edited one (fields no longer answered
    are cleared); the draft it came from is deleted in the same transaction. Returns its id."""
    with store.atomic():
        if editing:
            old = store.get_record(editing).fields
            store.edit_record(editing, {**{k: None for k in old if k not in record["fields"]}, **record["fields"]})
            rid = editing
        else:
            rid = store.save_record(record["kind"], record["fields"], form_id=record["form_id"],
                                    form_version=record["form_version"])
        save_files(store, record, rid)
        if draft_id is not None:
            store.delete_record(draft_id)
    return rid


def save_files(store: Store, record: dict, rid: str) -> None:
    """The record's attached files (photos, recordings), each as attachment records of one part
    (forms.media): sealed like any value, and each part one change far under the change limit."""
    for f in record.get("files", ()):
        for fields in attachment_parts(f["data"], record=rid, question=f["question"], name=f["name"],
                                       instance=f["instance"]):
            store.save_record(ATTACHMENT_KIND, fields, form_id=record["form_id"], form_version=record["form_version"])


def find_form(store: Store, form_id: str) -> Form:
    """A form this profile offers: one the hub published to it (which replaces a built-in form
    of the same id, as on Home), else a built-in one. UnknownForm names those there are."""
    import forms

    for f in store.published_form_files():
        if f["form_id"] == form_id and not form_id.startswith("round."):  # rounds travel as published items too
            return forms.load_form_bytes(f["xlsx"], name=f"{form_id}.xlsx", media=f["media"])
    try:
        return find_builtin_form(form_id)
    except UnknownForm:
        published = sorted(f for f in store.published_forms() if not f.startswith("round."))
        there = ", ".join([*builtin_form_ids(), *published])
        raise UnknownForm(f"This profile has no form '{form_id}'; its forms are: {there}.") from None


def read_answers(path: str | os.PathLike) -> dict:
    """A JSON object of answers, as ``forms fill`` takes it (repeats as lists of objects)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise FormError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise FormError(f"{path} is not UTF-8 text.") from None

    def refuse(constant: str) -> object:
        raise FormError(f"{path} contains {constant}, which is not an answer; use a number or null.")

    try:
        answers = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        # The position only: the text holds what a person answered.
        raise FormError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise FormError(f"{path} is nested too deeply to be answers.") from None
    if not isinstance(answers, dict):
        raise FormError(f"{path} must hold a JSON object of answers.")
    return answers


def submit(store: Store, form: Form, answers: dict, *, lang: str | None = None) -> str:
    """Check ``answers`` against ``form`` as the app's Finalise does and save the submission."""
    session = Session(form, answers, lang=lang, device_id=store.device_id, username=store.user_name or "")
    return save_finalised(store, finalised(session))


__all__ = ["InvalidAnswers", "find_form", "finalised", "read_answers", "save_finalised", "submit"]
