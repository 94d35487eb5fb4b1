"""A record's page: its answers (sensitive ones masked), its history and conflicts; revealing
the sensitive answers on request; data cleaning, an edit at the hub that syncs like any change."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from forms.engine import Session
from forms.errors import FormError, UnknownForm

from ... import hub_edits
from .. import sensitive
from ..deps import PREFIX, Ctx, Refused, may_see_team, signed_in
from ..exports import hub_form
from .data import REVIEW_LABELS, REVIEW_STATES, _label_lang, shown

router = APIRouter()

# Answers the console can edit: what a person types or picks. Locations, calculations and
# what the laptop fills in itself (start, device id...) are left to the laptops.
EDITABLE = {"text", "integer", "decimal", "select_one", "select_multiple", "date", "time", "datetime", "range", "barcode"}


def _submission(ctx: Ctx, record_id: str) -> dict:
    record = ctx.console.index.record(record_id) if len(record_id) <= 64 else None
    if record is None or record["kind"] != "submission":
        raise Refused(404, ctx._("There is no such record."))
    may_see_team(ctx, record["team"])
    return record


def _form_of(ctx: Ctx, record: dict):
    try:
        return hub_form(ctx.console.hub, record["form_id"])
    except (UnknownForm, FormError):
        return None


def may_edit(ctx: Ctx, record: dict) -> bool:
    """Administrators, and team leads of the record's team."""
    return ctx.user.can_manage_devices and ctx.user.may_see(record["team"])


def _text(value) -> str:
    """An answer as an input field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def editable(form, record: dict, lang: str | None, hidden: frozenset[str]) -> list[dict]:
    out = []
    for q in form.walk():
        if q.type not in EDITABLE or q.repeat() is not None or q.name in hidden:
            continue
        value = record["fields"].get(q.name)
        out.append({"name": q.name, "label": q.label(lang), "type": q.type, "value": _text(value),
                    "picked": set(_text(value).split()), "choices": [(c.name, c.label(lang)) for c in q.choices]})
    return out


def record_page(ctx: Ctx, record_id: str, *, revealed: bool = False, status: int = 200, **extra):
    index = ctx.console.index
    record = _submission(ctx, record_id)
    form = _form_of(ctx, record)
    lang = _label_lang(form, ctx.lang) if form else None
    labels = {q.name: (q.label(lang), {c.name: c.label(lang) for c in q.choices}) for q in form.walk()} if form else {}
    secret = sensitive.names(form)
    masked = secret if not revealed else frozenset()

    def row(name, value):
        label, choices = labels.get(name, (name, {}))
        if name in masked:
            return {"name": name, "label": label, "value": sensitive.MASK, "masked": True}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return {"name": name, "label": label, "entries": [[row(k, v) for k, v in entry.items()] for entry in value]}
        return {"name": name, "label": label, "value": shown(value, choices), "sensitive": name in secret}

    answers = [row(k, v) for k, v in record["fields"].items()]
    history = index.history(record_id)
    authors = hub_edits.authors(ctx.console.hub) if any(h["device_id"] == ctx.console.hub.server_id for h in history) else {}
    names_shown = sensitive.may_reveal(ctx.user, record["team"])  # a laptop's person: leads and admins
    for h in history:
        h["names"] = [labels.get(k, (k, {}))[0] for k in h["fields"]]
        if h["device_id"] == ctx.console.hub.server_id:
            h["by"] = authors.get(h["seq"], "")
        elif not names_shown:
            h["author"] = ""
    conflicts = index.conflicts_of(record_id)
    for c in conflicts:
        c["label"] = labels.get(c["field"], (c["field"], {}))[0]
        c["shown"] = sensitive.MASK if c["field"] in masked else shown(c["value"], labels.get(c["field"], ("", {}))[1])
    can_edit = may_edit(ctx, record) and form is not None and not record["deleted"]
    return ctx.render("record.html", status=status, record=record, answers=answers, history=history,
                      review=index.review_of(record_id), review_states=REVIEW_STATES, review_labels=REVIEW_LABELS,
                      conflicts=conflicts, title=form.title_in(lang) if form else record["form_id"],
                      hub_origin=ctx.console.hub.server_id, has_sensitive=bool(secret & set(record["fields"])),
                      revealed=revealed, may_reveal=sensitive.may_reveal(ctx.user, record["team"]),
                      fields=editable(form, record, lang, masked) if can_edit else [], can_edit=can_edit,
                      **extra)


@router.get(PREFIX + "/records/{record_id}")
def record_view(record_id: str, done: str = "", ctx: Ctx = Depends(signed_in)):
    ctx.audit("web_record_view", detail=record_id)
    notes = {"edited": ctx._("Saved. The laptops of the team get the change at their next sync."),
             "unchanged": ctx._("Nothing was changed: the answers are as they were.")}
    return record_page(ctx, record_id, note=notes.get(done))


@router.post(PREFIX + "/records/{record_id}/reveal")
async def reveal(record_id: str, request: Request, ctx: Ctx = Depends(signed_in)):
    """The record's page with its sensitive answers shown: the answer to a POST, so no URL
    or browser history holds it; audited with the names of the answers shown."""
    form_data = await request.form()
    ctx.check_csrf(form_data.get("csrf"))
    record = _submission(ctx, record_id)
    if not sensitive.may_reveal(ctx.user, record["team"]):
        ctx.audit("refused", detail=f"reveal {record_id}: {ctx.user.role}")
        raise Refused(403, ctx._("Only an administrator or a lead of the record's team may see sensitive answers."))
    shown_names = sorted(sensitive.names(_form_of(ctx, record)) & set(record["fields"]))
    ctx.audit("sensitive_revealed", detail=f"{record_id}: {', '.join(shown_names) or 'none'}")
    return record_page(ctx, record_id, revealed=True)


@router.post(PREFIX + "/records/{record_id}/edit")
async def edit(record_id: str, request: Request, ctx: Ctx = Depends(signed_in)):
    """Data cleaning: the changed answers become one change made at the hub (hub_edits), checked
    by the form first (types, choices, constraints), audited, and synced to the laptops."""
    form_data = await request.form()
    ctx.check_csrf(form_data.get("csrf"))
    record = _submission(ctx, record_id)
    if not may_edit(ctx, record):
        ctx.audit("refused", detail=f"edit {record_id}: {ctx.user.role}")
        raise Refused(403, ctx._("Only a team lead or an administrator may do that."))
    form = _form_of(ctx, record)
    if form is None or record["deleted"]:
        raise Refused(400, ctx._("Cannot do that"))
    revealed = form_data.get("revealed") == "1"
    lang = _label_lang(form, ctx.lang)
    hidden = frozenset() if revealed else sensitive.names(form)
    posted = _posted_answers(form_data, editable(form, record, lang, hidden))
    if not posted:
        return RedirectResponse(f"{PREFIX}/records/{record_id}?done=unchanged", status_code=303)
    after, errors = _checked(ctx, form, record, posted, lang)
    if errors:
        labels = {q.name: q.label(lang) for q in form.walk()}
        problems = [f"{labels.get(e.name, e.name)}: {e.message}" for e in errors]
        return record_page(ctx, record_id, revealed=revealed, status=400,
                           error=ctx._("Nothing was saved.") + " " + " · ".join(problems))
    changes = {name: after.get(name) for name in posted}
    try:
        done = hub_edits.edit_record(ctx.console.hub, record_id, changes, actor=ctx.user.name)
    except hub_edits.HubEditRefused as exc:
        raise Refused(400, str(exc)) from None
    ctx.console.index.catch_up(budget_s=1.0)
    return RedirectResponse(f"{PREFIX}/records/{record_id}?done={'edited' if done.seq else 'unchanged'}", status_code=303)


def _posted_answers(form_data, fields) -> dict[str, str]:
    """The answers the edit form sent that differ from the record's: name -> text."""
    posted: dict[str, str] = {}
    for f in fields:
        if f"present.{f['name']}" not in form_data:
            continue  # not on the form that was sent
        if f["type"] == "select_multiple":
            text = " ".join(v for v in form_data.getlist(f"a.{f['name']}") if isinstance(v, str))
            if set(text.split()) != f["picked"]:
                posted[f["name"]] = text
        else:
            text = form_data.get(f"a.{f['name']}")
            if isinstance(text, str) and text.strip() != f["value"].strip():
                posted[f["name"]] = text.strip()
    return posted


def _checked(ctx: Ctx, form, record: dict, posted: dict[str, str], lang) -> tuple[dict, list]:
    """The record with the posted answers, as the form computes it; and the form's errors on them."""
    try:
        session = Session(form, record["fields"], lang=lang)
        for name, text in posted.items():
            session.set(name, text)
        errors = [e for e in session.errors() if e.name in posted and not e.instance]
        return session.record(), errors
    except FormError:
        raise Refused(400, ctx._("This record does not fit its form's current version; it cannot be edited here.")) from None
