"""Tokens: an admin makes, lists and revokes the analysts' read tokens (sync/server/api/tokens.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse

from ...api import tokens
from ..deps import PREFIX, Ctx, Refused, signed_in
from ..exports import known_form_ids

router = APIRouter()


def _admin(ctx: Ctx) -> None:
    if ctx.user.role != "admin":
        ctx.audit("refused", detail=f"{ctx.request.url.path} needs an admin")
        raise Refused(403, ctx._("Only an administrator may do that."))


def _page(ctx: Ctx, **extra):
    forms = [f for f in known_form_ids(ctx.console.hub) if not f.startswith("round.")]
    return ctx.render("tokens.html", tokens=tokens.list_tokens(ctx.console.db), forms=forms, max_days=tokens.MAX_DAYS,
                      base=str(ctx.request.base_url).rstrip("/"), **extra)


@router.get(PREFIX + "/tokens")
def token_list(done: str = "", ctx: Ctx = Depends(signed_in)):
    _admin(ctx)
    return _page(ctx, note=ctx._("Token revoked; it opens nothing from now on.") if done == "revoked" else None)


@router.post(PREFIX + "/tokens")
def token_add(name: str = Form(""), teams: str = Form(""), forms: list[str] = Form([]), days: str = Form("90"),
              csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    _admin(ctx)
    try:
        d = float(days)
    except ValueError:
        d = -1
    team_list = [t.strip() for t in teams.replace(",", " ").split()] or ["*"]
    try:
        token, t = tokens.add_token(ctx.console.db, name=name.strip(), teams=team_list, forms=forms or ["*"], days=d,
                                    created_by=ctx.user.name)
    except tokens.TokenError as exc:
        return _page(ctx, error=ctx._(_web_message(str(exc))))
    ctx.audit("api_token_added", detail=f"{t.token_id} '{t.name}': teams {','.join(t.teams)}, forms {','.join(t.forms)}, {d:g} day(s)")
    return _page(ctx, made=token, made_id=t.token_id)


@router.post(PREFIX + "/tokens/{token_id}/revoke")
def token_revoke(token_id: str, csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    _admin(ctx)
    try:
        tokens.revoke_token(ctx.console.db, token_id)
    except tokens.TokenError:
        raise Refused(404, ctx._("There is no such token.")) from None
    ctx.audit("api_token_revoked", detail=token_id)
    return RedirectResponse(f"{PREFIX}/tokens?done=revoked", status_code=303)


def _web_message(message: str) -> str:
    """The command line's refusal, in the console's words (which have their Ukrainian)."""
    if "days" in message:
        return "A token lasts from 1 to 366 days."
    if "team" in message:
        return "A team name is 1-64 letters, digits, '_', '.' or '-'."
    if "name" in message:
        return "Give the token a name of 1-64 letters, digits, spaces, '.', '@', '_' or '-'."
    return "Cannot do that"
