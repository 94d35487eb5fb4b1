"""Data: per form, a table of submissions with filters and keyset paging; a record with its history;
the export download (the laptop export's layout, streamed, audited)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask

from forms.errors import FormError, UnknownForm
from forms.export import FORMATS
from rules import names

from ....protocol import valid_team
from .. import sensitive
from ..data import REVIEW_STATES, Filter, parse_day
from ..deps import PREFIX, Ctx, Refused, managers_only, may_see_team, signed_in
from ..exports import ExportRequest, export_submissions, hub_form, known_form_ids
from ..jobs import zip_files

router = APIRouter()
COLUMNS = 8  # the table shows the first answers; the record's page shows all


def _form(ctx: Ctx, form_id: str):
    if form_id in names.REGISTRATION_FORMS:  # (exports.check_exportable) not listed; a typed address is told why
        raise Refused(404, ctx._("This form registers households: they are kept as household records, not as "
                                 "submissions, so it has no data table or export. The Review page shows the likely "
                                 "duplicates across teams."))
    try:
        return hub_form(ctx.console.hub, form_id)
    except (UnknownForm, FormError):
        raise Refused(404, ctx._("There is no such form.")) from None


def _label_lang(form, lang: str) -> str | None:
    for candidate in form.languages:
        if candidate == lang or candidate.endswith(f"({lang})"):
            return candidate
    return None


def _columns(form, lang: str | None) -> list[tuple[str, str, dict]]:
    """(name, label, {choice name: label}) of the form's first top-level answers."""
    out = []
    for q in form.walk():
        if q.stores_answer and q.repeat() is None and q.type not in ("start", "end", "today", "deviceid", "username", "calculate", "hidden"):
            out.append((q.name, q.label(lang), {c.name: c.label(lang) for c in q.choices}))
    return out


def shown(value, choices: dict) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return f"[{len(value)}]"
    if choices and isinstance(value, str):
        return ", ".join(choices.get(v, v) for v in value.split())
    return str(value)


def _filter(ctx: Ctx, team: str, device: str, date_from: str, date_to: str, field: str, match: str, review: str = "") -> Filter:
    try:
        flt = Filter(team=team or None, device=device or None, date_from=parse_day(date_from), date_to=parse_day(date_to, end=True),
                     field=field or None, token=match or None, review=review or None)
    except ValueError:
        raise Refused(400, ctx._("A date is YYYY-MM-DD.")) from None
    if flt.review and flt.review not in REVIEW_STATES:
        raise Refused(400, ctx._("Cannot do that"))
    if flt.team:
        if not valid_team(flt.team):
            raise Refused(400, ctx._("A team name is 1-64 letters, digits, '_', '.' or '-'."))
        may_see_team(ctx, flt.team)
    return flt


@router.get(PREFIX + "/data")
def data_forms(ctx: Ctx = Depends(signed_in)):
    ctx.console.index.catch_up(budget_s=1.0)
    counts = dict(ctx.console.index.form_counts(ctx.user.scope()))
    forms = [(fid, counts.get(fid, 0)) for fid in sorted(set(known_form_ids(ctx.console.hub)) | set(counts))]
    return ctx.render("forms.html", forms=forms)


@router.get(PREFIX + "/data/{form_id}")
def data_table(form_id: str, team: str = "", device: str = "", date_from: str = "", date_to: str = "", field: str = "",
               match: str = "", review: str = "", after: str = "", done: str = "", state: str = "",
               ctx: Ctx = Depends(signed_in)):
    form = _form(ctx, form_id)
    index = ctx.console.index
    index.catch_up(budget_s=1.0)
    flt = _filter(ctx, team, device, date_from, date_to, field, match, review)
    key = None
    if after:
        ms, _, rid = after.partition("~")
        if not ms.isdigit() or not rid:
            raise Refused(400, ctx._("Cannot do that"))
        key = (int(ms), rid)
    hidden = sensitive.names(form)
    if flt.field in hidden:
        _only_who_may_see_sensitive(ctx)
    rows, next_key = index.page(form.form_id, scope=ctx.user.scope(), flt=flt, after=key)
    lang = _label_lang(form, ctx.lang)
    columns = _columns(form, lang)
    # Sensitive answers are masked in the table for everyone; a record's page reveals them on request.
    table = [{**r, "cells": [sensitive.MASK if name in hidden and r["fields"].get(name) not in (None, "")
                             else shown(r["fields"].get(name), choices) for name, _, choices in columns[:COLUMNS]]}
             for r in rows]
    query = flt.query()
    next_url = f"{PREFIX}/data/{form.form_id}?" + urlencode({**query, "after": f"{next_key[0]}~{next_key[1]}"}) if next_key else None
    first_url = f"{PREFIX}/data/{form.form_id}?" + urlencode(query) if after else None
    teams = sorted({d["team"] for d in ctx.console.hub.devices() if ctx.user.may_see(d["team"])})
    ctx.audit("web_data_page", detail=f"{form.form_id}{' filtered on ' + flt.field if flt.token else ''}")
    return ctx.render("data.html", form=form, title=form.title_in(lang), columns=columns[:COLUMNS], rows=table, flt=flt,
                      next_url=next_url, first_url=first_url, teams=teams, devices=index.devices_of(form.form_id, ctx.user.scope()),
                      questions=[c for c in columns if c[0] not in hidden or _may_see_sensitive(ctx)],
                      sensitive_columns=hidden, may_export_sensitive=_may_see_sensitive(ctx) and bool(hidden),
                      form_languages=form.languages, query=urlencode(query), review_states=REVIEW_STATES,
                      review_labels=REVIEW_LABELS,
                      note=(f"{done} {ctx._('submission(s) set to')} {ctx._(REVIEW_LABELS[state])}."
                            if done.isdigit() and state in REVIEW_LABELS else None))


@router.post(PREFIX + "/data/{form_id}/filter")
def filter_on_answer(form_id: str, field: str = Form(""), value: str = Form(""), team: str = Form(""), device: str = Form(""),
                     date_from: str = Form(""), date_to: str = Form(""), review: str = Form(""), csrf: str = Form(""),
                     ctx: Ctx = Depends(signed_in)):
    """The answer's value comes by POST and leaves as its token: no URL, and so no access log, holds it."""
    ctx.check_csrf(csrf)
    form = _form(ctx, form_id)
    flt = _filter(ctx, team, device, date_from, date_to, "", "", review)
    if field and value.strip():
        if field not in form.questions:
            raise Refused(400, ctx._("Choose a question and type the answer."))
        if field in sensitive.names(form):
            _only_who_may_see_sensitive(ctx)
        flt.field, flt.token = field, ctx.console.index.token(form.form_id, field, value)
    return RedirectResponse(f"{PREFIX}/data/{form.form_id}?" + urlencode(flt.query()), status_code=303)


def _may_see_sensitive(ctx: Ctx) -> bool:
    """Which rows match a value tells the value: only those who may reveal it filter on it
    (a lead's rows are their own teams')."""
    return ctx.user.role in ("admin", "lead")


def _only_who_may_see_sensitive(ctx: Ctx) -> None:
    if not _may_see_sensitive(ctx):
        ctx.audit("refused", detail="filter on a sensitive answer")
        raise Refused(403, ctx._("Only an administrator or a lead of the record's team may see sensitive answers."))


REVIEW_LABELS = {"received": "Received", "has_issues": "Has issues", "approved": "Approved", "rejected": "Rejected"}


@router.post(PREFIX + "/data/{form_id}/review")
def review_in_bulk(form_id: str, state: str = Form(""), team: str = Form(""), device: str = Form(""), date_from: str = Form(""),
                   date_to: str = Form(""), field: str = Form(""), match: str = Form(""), review: str = Form(""),
                   csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    """Set the review state of every submission the table's filter matches (within the user's teams)."""
    ctx.check_csrf(csrf)
    managers_only(ctx)
    form = _form(ctx, form_id)
    if state not in REVIEW_STATES:
        raise Refused(400, ctx._("Cannot do that"))
    flt = _filter(ctx, team, device, date_from, date_to, field, match, review)
    index = ctx.console.index
    index.catch_up(budget_s=1.0)
    ids = list(index.matching(form.form_id, scope=ctx.user.scope(), flt=flt))
    done = index.set_review(ids, state)
    ctx.audit("review_bulk", detail=f"{form.form_id}: {done} submission(s) set to {state}"
              f"{' (filter: ' + ', '.join(k for k in flt.query() if k != 'match') + ')' if flt.query() else ''}")
    return RedirectResponse(f"{PREFIX}/data/{form.form_id}?" + urlencode({**flt.query(), "done": done, "state": state}),
                            status_code=303)


@router.post(PREFIX + "/records/{record_id}/review")
def review_one(record_id: str, state: str = Form(""), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    managers_only(ctx)
    record = ctx.console.index.record(record_id) if len(record_id) <= 64 else None
    if record is None or record["kind"] != "submission":
        raise Refused(404, ctx._("There is no such record."))
    may_see_team(ctx, record["team"])
    if state not in REVIEW_STATES:
        raise Refused(400, ctx._("Cannot do that"))
    ctx.console.index.catch_up(budget_s=1.0)
    ctx.console.index.set_review([record_id], state)
    ctx.audit("review_set", detail=f"{record_id} {state}")
    return RedirectResponse(f"{PREFIX}/records/{record_id}", status_code=303)


@router.get(PREFIX + "/data/{form_id}/export")
def export(form_id: str, format: str = "xlsx", team: str = "", lang: str = "", sensitive_answers: str = "",
           ctx: Ctx = Depends(signed_in)):
    form = _form(ctx, form_id)
    if format not in FORMATS:
        raise Refused(400, ctx._("Cannot do that"))
    with_sensitive = sensitive_answers == "1"
    if with_sensitive:
        _only_who_may_see_sensitive(ctx)  # a viewer's export leaves them out
    if team:
        if not valid_team(team):
            raise Refused(400, ctx._("A team name is 1-64 letters, digits, '_', '.' or '-'."))
        may_see_team(ctx, team)
        teams = (team,)
    else:
        teams = ctx.user.scope()
    # The file is made in a private folder under the data directory, sent, and removed; csv
    # with repeats is several files, sent as one zip.
    work = Path(tempfile.mkdtemp(prefix="export-", dir=_spool(ctx)))
    try:
        out = work / f"{form.form_id}.{format}"
        summary = export_submissions(ctx.console.hub, ExportRequest(form.form_id, format, teams, lang or None,
                                                                   sensitive=with_sensitive), out,
                                     actor=ctx.user.name)
        if len(summary.files) > 1:  # csv with repeats, or a sheet and its NAME_media/ folder
            out = zip_files(work / f"{form.form_id}-{format}.zip", summary.files)
    except FormError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise Refused(400, str(exc)) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    media = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "zip": "application/zip"}[out.suffix.lstrip(".")]
    return FileResponse(out, media_type=media, filename=out.name, headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(shutil.rmtree, work, True))


def _spool(ctx: Ctx) -> Path:
    folder = ctx.console.hub.settings.data_dir / "exports-in-progress"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder
