"""A finished interview: every answer checked before it may be saved.

The desktop app's Finalise (gui/screens/form.py) and ``forms submit`` both come here, so a
submission is checked the same way whoever makes it; ``storage.finalise.save_finalised`` then
stores it. Pure form engine: nothing here knows the store.

    record = finalised(session)              # every answer checked; ``end`` stamped
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from collections.abc import Callable, Iterator

from .engine import Session
from .errors import FormError
from .media import ATTACHMENT_KIND, MEDIA_TYPES, answered_names, attachment_parts


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
    record = session.to_save(finalise=True)
    # Every file the record names, whether held by this session or kept by the draft it came
    # from (storage.finalise copies the draft's copies to the record's attachments).
    record["file_names"] = sorted(set(answered_names(record["fields"], media_questions(session.form))))
    return record


def media_questions(form) -> set[str]:
    """The names of the form's photo, audio, video and file questions."""
    return {q.name for q in form.walk() if q.type in MEDIA_TYPES}


def attachments(record: dict) -> Callable[[str], Iterator[tuple[str, dict]]]:
    """The record's attached files (photos, recordings) as records to store beside it, once its
    id is known: (kind, fields) for each part (forms.media), each part one change far under the
    change limit. ``storage.finalise.save_finalised`` takes it as ``attachments``."""
    def parts(rid: str) -> Iterator[tuple[str, dict]]:
        for f in record.get("files", ()):
            for fields in attachment_parts(f["data"], record=rid, question=f["question"], name=f["name"],
                                           instance=f["instance"]):
                yield ATTACHMENT_KIND, fields
    return parts


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


__all__ = ["InvalidAnswers", "attachments", "finalised", "media_questions", "read_answers"]
