"""Exports with progress: start one in the background, watch it, download it once it is done."""
from __future__ import annotations

import shutil

from fastapi import APIRouter, Depends, Form
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask

from forms.errors import FormError
from forms.export import FORMATS, resolve_language

from ....protocol import valid_team
from .. import jobs
from ..deps import PREFIX, Ctx, Refused, may_see_team, signed_in
from ..exports import ExportRequest
from .data import _form, _only_who_may_see_sensitive

router = APIRouter()


@router.post(PREFIX + "/data/{form_id}/export")
def start_export(form_id: str, format: str = Form("xlsx"), team: str = Form(""), lang: str = Form(""), csrf: str = Form(""),
                 sensitive_answers: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
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
    try:
        if lang:
            resolve_language(form, lang)
    except FormError:
        raise Refused(400, ctx._("Cannot do that")) from None
    job_id = jobs.start(ctx.console.hub, ExportRequest(form.form_id, format, teams, lang or None, sensitive=with_sensitive),
                        user=ctx.user.name, lang_note=lang)
    return RedirectResponse(f"{PREFIX}/exports/{job_id}", status_code=303)


@router.get(PREFIX + "/exports/{job_id}")
def export_progress(job_id: str, ctx: Ctx = Depends(signed_in)):
    job = jobs.get(ctx.console.hub, job_id, ctx.user.name)
    if job is None:
        raise Refused(404, ctx._("There is no such export."))
    return ctx.render("export.html", job=job, refresh=job["state"] == "running")


@router.get(PREFIX + "/exports/{job_id}/file")
def export_file(job_id: str, ctx: Ctx = Depends(signed_in)):
    job = jobs.get(ctx.console.hub, job_id, ctx.user.name)
    if job is None:
        raise Refused(404, ctx._("There is no such export."))
    path = jobs.take_file(ctx.console.hub, job_id) if job["state"] == "done" else None
    if path is None:
        raise Refused(404, ctx._("This export is not ready, or it was downloaded already."))
    ctx.audit("export_download", detail=f"{job['form_id']} {job['fmt']} ({job['detail']}): job {job_id}, {job['done']} record(s)")
    media = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "zip": "application/zip"}[path.suffix.lstrip(".")]
    return FileResponse(path, media_type=media, filename=path.name, headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(shutil.rmtree, path.parent, True))
