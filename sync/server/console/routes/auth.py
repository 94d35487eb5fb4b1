"""Sign in, sign out, and the language switch."""
from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from .. import auth
from ..deps import LANG_COOKIE, LOGIN_COOKIE, PREFIX, SESSION_COOKIE, Ctx, anonymous, signed_in
from ..i18n import LANGUAGES

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only a path inside the console: a sign-in link must not send the user elsewhere.
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _cookie(response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def _login_page(ctx: Ctx, *, status: int = 200, error: str | None = None, note: str | None = None, next_: str = ""):
    value = secrets.token_urlsafe(24)
    response = ctx.render("login.html", status=status, error=error, note=note, login_csrf=value, next=_safe_next(next_))
    _cookie(response, ctx.request, LOGIN_COOKIE, value, max_age=3600)
    return response


@router.get(PREFIX + "/login")
def login_page(request: Request, next: str = "", ended: int = 0, out: int = 0, ctx: Ctx = Depends(anonymous)):
    note = ctx._("Your session has ended. Sign in again.") if ended else ctx._("You have signed out.") if out else None
    return _login_page(ctx, note=note, next_=next)


@router.post(PREFIX + "/login")
async def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
                next: str = Form("")):
    ctx = anonymous(request)
    console = ctx.console
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, csrf):
        return _login_page(ctx, status=403, next_=next, error=ctx._(
            "The form was out of date or not sent from this console; nothing was changed. Reload the page and try again."))
    try:
        user = await run_in_threadpool(auth.login, console.db, name, password, console.settings)
    except auth.LoginRefused as exc:
        await run_in_threadpool(ctx.audit, "web_login_refused", detail=f"{exc.reason} for user {name}"
                                if exc.known else f"{exc.reason} for an unknown name")
        if exc.reason != "disabled":
            # Slowed: every failure is answered late, and without holding a thread.
            await asyncio.sleep(console.settings.failure_delay_s)
        return _login_page(ctx, status=401, error=ctx._(str(exc)), next_=next)
    token = await run_in_threadpool(auth.start_session, console.db, user)
    ctx.user = user
    await run_in_threadpool(ctx.audit, "web_login")
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(response, request, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post(PREFIX + "/logout")
def logout(csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    auth.end_session(ctx.console.db, ctx.token)
    ctx.audit("web_logout")
    response = RedirectResponse(PREFIX + "/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get(PREFIX + "/lang/{code}")
def switch_language(code: str, request: Request, next: str = ""):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        _cookie(response, request, LANG_COOKIE, code, max_age=365 * 86400)
    return response
