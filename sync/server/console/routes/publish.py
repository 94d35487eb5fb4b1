"""Forms: upload and publish an XLSForm (its problems listed by sheet, row and column), the
published versions, and withdrawing a form. Publishing is an admin's: a form reaches every
laptop of its teams."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

import forms
from forms.errors import FormError, MalformedForm

from ....errors import FormNotPublished
from ....protocol import MAX_FORM_BYTES, PublishedForm, valid_team
from ..deps import PREFIX, Ctx, Refused, signed_in

router = APIRouter()


def _admins_only(ctx: Ctx) -> None:
    if ctx.user.role != "admin":
        ctx.audit("refused", detail=f"{ctx.request.url.path} needs an admin")
        raise Refused(403, ctx._("Only an administrator may publish or withdraw forms."))


def _page(ctx: Ctx, status: int = 200, **extra):
    rows = [r for r in ctx.console.hub.published_forms() if r["team"] == "*" or ctx.user.may_see(r["team"])]
    history = [dict(zip(("form_id", "team", "version", "withdrawn", "at"), r)) for r in ctx.console.db.execute(
        "SELECT form_id, team, version, files IS NULL, published_at FROM forms ORDER BY id DESC LIMIT 50")]
    from ..data import _stamp

    for h in history:
        h["at"] = _stamp(h["at"])
    history = [h for h in history if h["team"] == "*" or ctx.user.may_see(h["team"])]
    return ctx.render("publish.html", status=status, published=rows, history=history, **extra)


@router.get(PREFIX + "/forms")
def forms_page(done: str = "", ctx: Ctx = Depends(signed_in)):
    notes = {"published": ctx._("Published: laptops get it at their next sync."),
             "same": ctx._("That exact form was already published there; nothing changed."),
             "withdrawn": ctx._("Withdrawn: laptops drop it at their next sync; records made with it stay.")}
    return _page(ctx, note=notes.get(done))


@router.post(PREFIX + "/forms/publish")
async def publish(workbook: UploadFile | None = File(None), media: list[UploadFile] | None = File(None),
                  team: str = Form(""), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    _admins_only(ctx)
    team = team.strip()
    if team and not valid_team(team):
        raise Refused(400, ctx._("A team name is 1-64 letters, digits, '_', '.' or '-'."))
    if workbook is None or not workbook.filename:
        raise Refused(400, ctx._("Choose an XLSForm workbook (.xlsx)."))
    xlsx = await workbook.read(MAX_FORM_BYTES + 1)
    files = {}
    for f in media or []:
        if f.filename:
            files[f.filename.rsplit("/", 1)[-1]] = await f.read(MAX_FORM_BYTES + 1)
    if len(xlsx) + sum(map(len, files.values())) > MAX_FORM_BYTES:
        raise Refused(400, ctx._("The workbook and its choice files are too large.") + f" ({MAX_FORM_BYTES // 2**20} MiB)")
    name = workbook.filename.rsplit("/", 1)[-1]

    def work():
        try:
            form = forms.load_form_bytes(xlsx, name=name, media=files)
        except MalformedForm as exc:
            ctx.audit("form_refused", detail=f"{len(exc.issues)} problem(s)")
            return _page(ctx, status=400, issues=exc.issues, error=ctx._("The form was not published; fix these problems first:"))
        except FormError as exc:
            ctx.audit("form_refused", detail=type(exc).__name__)
            return _page(ctx, status=400, error=f"{ctx._('The form was not published.')} {exc}")
        missing = [m for m in form.media if m not in files]
        if missing:
            return _page(ctx, status=400, error=ctx._("The form reads choice files that were not uploaded:") + " " + ", ".join(missing))
        published = PublishedForm.make(form.form_id, form.version, form.title, xlsx, {m: files[m] for m in form.media})
        try:
            new = ctx.console.hub.publish_form(published, team=team or "*")
        except FormNotPublished as exc:
            return _page(ctx, status=400, error=str(exc))
        ctx.audit("form_published" if new else "form_publish_unchanged", detail=f"{form.form_id} {form.version} to {team or '*'}")
        return RedirectResponse(f"{PREFIX}/forms?done={'published' if new else 'same'}", status_code=303)

    return await run_in_threadpool(work)


@router.post(PREFIX + "/forms/{form_id}/withdraw")
def withdraw(form_id: str, team: str = Form("*"), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    _admins_only(ctx)
    try:
        ctx.console.hub.withdraw_form(form_id, team=team or "*")
    except FormNotPublished as exc:
        raise Refused(400, str(exc)) from None
    ctx.audit("form_withdrawn", detail=f"{form_id} from {team or '*'}")
    return RedirectResponse(f"{PREFIX}/forms?done=withdrawn", status_code=303)
