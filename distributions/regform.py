"""Registering a household through the built-in registration form (resources/forms/build.py).

Finalising the form ``household_registration`` does not store a ``submission``: it *is*
a registration. Its answers become a ``household`` record through the same checks as
``registry add`` and the Registry screen (:func:`registration.register`): an exact match
on tax number, document or card blocks the save and names the household already
registered; a likely duplicate is shown and asked about, and a confirmed one is audited.
The household and the removal of the form's draft are one transaction, so a refused
registration leaves the draft as it was.

The form's questions map to the household's fields here, and only here (:data:`QUESTIONS`):

    entry = household_entry(form, record["fields"])     # what registration.validate reads
    rid, check = register_submission(store, form, record, draft_id=..., confirm=False)

Pure Python over the form engine and the store: the app's Finalise (gui/screens/form.py)
and ``forms submit`` both come here.
"""
from __future__ import annotations

import datetime as dt
from typing import Mapping

from forms import Form, Session
from forms.finalise import finalised
from storage import Store

from . import registration
from .errors import InvalidHousehold

FORM_ID = "household_registration"

# Household field -> the form's question that answers it (None: the field is built below).
QUESTIONS: dict[str, str] = {
    "head_name": "head_name",
    "dob": "head_dob",
    "phone": "phone",
    "doc_type": "doc_type",
    "doc_number": "doc_number",
    "tax_number": "tax_number",
    "oblast": "oblast",
    "raion": "raion",
    "hromada": "hromada",
    "settlement": "settlement",
    "hh_size": "hh_size",
    "reg_id": "external_ref",
    "consent": "consent",
    "consent_date": "consent_date",
    "consent_purpose": "consent_purpose",
    "members": "members",
}
# Each member's field -> the question in the ``members`` repeat.
MEMBER_QUESTIONS: dict[str, str] = {
    "name": "member_name",
    "sex": "member_sex",
    "dob": "member_dob",
    "relation": "member_relation",
    "disabled": "member_disability",
}
PLACES = ("oblast", "raion", "hromada")  # select_one of COD-AB P-codes, kept as their Ukrainian names
PLACE_LANGUAGE = "uk"  # official names, as registration lists write them


def is_registration(form_id: str | None) -> bool:
    """Whether finalising a form of this id registers a household."""
    return form_id == FORM_ID


def question_of(field: str) -> str:
    """The form's question for a household field named in an error (InvalidHousehold.fields)."""
    return QUESTIONS.get(field, field)


def _place_name(form: Form, question: str, code: object) -> object:
    """The place's name in Ukrainian for its P-code (the code itself if the form does not list it)."""
    try:
        choices = form.question(question).choices
    except KeyError:  # a form published in its place may lay its questions out otherwise
        return code
    lang = next((lang for lang in form.languages if lang.endswith(f"({PLACE_LANGUAGE})")), None)
    for choice in choices:
        if choice.name == code:
            return choice.label(lang) if lang else choice.label(form.default_language)
    return code


def household_entry(form: Form, fields: Mapping) -> dict:
    """The household, as :func:`registration.validate` reads it, for the answers of a finalised
    registration form. InvalidHousehold (naming the form's questions, never a value) when a
    needed answer is missing or consent was not given."""
    if fields.get(QUESTIONS["consent"]) != "yes":
        raise InvalidHousehold("Not registered: the household did not consent to registration.", ["consent"])
    missing = [q for q in ("head_name", "head_dob", "settlement", "hh_size") if fields.get(q) in (None, "")]
    if missing:
        raise InvalidHousehold(f"Not registered: no answer to {', '.join(missing)}.", missing)
    entry: dict = {}
    for field, question in QUESTIONS.items():
        value = fields.get(question)
        if value in (None, "") or field == "members":
            continue
        if field in PLACES:
            value = _place_name(form, question, value)
        entry[field] = value
    if entry.get("doc_type") == "none":
        entry.pop("doc_type")
        entry.pop("doc_number", None)
    entry["hh_size"] = str(entry["hh_size"])
    members = []
    for answers in fields.get(QUESTIONS["members"]) or []:
        member = {field: answers.get(question) for field, question in MEMBER_QUESTIONS.items()
                  if answers.get(question) not in (None, "")}
        if member:
            members.append(member)
    if members:
        entry["members"] = members
    return entry


def register_submission(store: Store, form: Form, record: Mapping, *, draft_id: str | None = None,
                        confirm: bool = False, index: registration.LocalRegistry | None = None,
                        registry: registration.FreshRegistry | None = None,
                        today: dt.date | None = None) -> tuple[str, registration.Check]:
    """Register the household a finalised registration form describes (``record`` as
    ``forms.finalise.finalised`` returns it); its draft goes in the same transaction.
    ``registry``: the app's kept registry (else ``index``, else the registry is read now).
    The household's team is the team this laptop is enrolled in (none before enrolling).

    Refused, nothing saved and the draft kept: InvalidHousehold, DuplicateFound, or
    LikelyDuplicate unless ``confirm`` (registration.register)."""
    entry = household_entry(form, record["fields"])
    team = (store.sync_settings() or {}).get("team")
    if isinstance(team, str) and team:
        entry["team"] = team  # the registering team: the one this laptop is enrolled in
    kwargs = dict(confirm=confirm, today=today, form_id=record.get("form_id") or form.form_id,
                  form_version=record.get("form_version") or form.version, draft_id=draft_id)
    if registry is not None:
        return registry.register(store, entry, **kwargs)
    return registration.register(store, entry, index=index, **kwargs)


def submit(store: Store, form: Form, answers: dict, *, lang: str | None = None,
           confirm: bool = False) -> str:
    """``forms submit`` for the registration form: the form's own checks (InvalidAnswers), then
    the registration's; returns the new household's record id."""
    session = Session(form, answers, lang=lang, device_id=store.device_id, username=store.user_name or "")
    rid, _check = register_submission(store, form, finalised(session), confirm=confirm)
    return rid


__all__ = ["FORM_ID", "MEMBER_QUESTIONS", "QUESTIONS", "household_entry", "is_registration", "question_of",
           "register_submission", "submit"]
