"""The hub console: server-rendered pages for the hub's information-management officers.

    mount(app, hub)     # create_app does this: /console/... beside the sync API at /v1/...

Laid out by concern: ``auth`` (web accounts, sessions, CSRF), ``data`` (the console's index
of submissions and its keyset pages), ``exports`` (the laptop export's layout, from the
hub), ``audit`` (every action to the server's events table), ``deps`` (what routes depend
on), ``routes/`` (one module per page), ``templates/`` (Jinja) and ``static/`` (CSS). No
JavaScript is needed and nothing comes from a CDN: hubs are often offline.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from urllib.parse import quote

from ..hub import Hub
from .auth import ConsoleSettings
from .deps import HERE, PREFIX, Console, NotSignedIn, Refused, anonymous, signed_in

# The console's pages may load only what the hub itself serves, and no script at all.
_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


def mount(app: FastAPI, hub: Hub, settings: ConsoleSettings | None = None) -> Console:
    from .routes import auth as auth_routes, data, devices, duplicates, exports, overview, publish, records, review, tokens, usb

    console = Console(hub, settings or ConsoleSettings())
    app.state.console = console
    for module in (auth_routes, overview, devices, publish, data, records, review, duplicates, exports, tokens, usb):
        app.include_router(module.router, include_in_schema=False)
    app.mount(PREFIX + "/static", StaticFiles(directory=str(HERE / "static")), name="console-static")

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse(PREFIX + "/", status_code=303)

    @app.get(PREFIX, include_in_schema=False)
    def console_root():
        return RedirectResponse(PREFIX + "/", status_code=303)

    @app.exception_handler(NotSignedIn)
    def not_signed_in(request: Request, exc: NotSignedIn):
        had = bool(request.cookies.get("fieldbook_session"))
        target = request.url.path if request.method == "GET" else PREFIX + "/"
        response = RedirectResponse(f"{PREFIX}/login?next={quote(target, safe='')}{'&ended=1' if had else ''}", status_code=303)
        if had:
            response.delete_cookie("fieldbook_session", path=PREFIX)
        return response

    @app.exception_handler(Refused)
    def refused(request: Request, exc: Refused):
        try:
            ctx = signed_in(request)  # the page keeps its navigation for a signed-in user
        except NotSignedIn:
            ctx = anonymous(request)
        title = {403: "Not allowed", 404: "Not found"}.get(exc.status, "Cannot do that")
        return ctx.render("refused.html", status=exc.status, title=ctx._(title), message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        # FastAPI's default answer repeats what was sent, which may be a person's answer:
        # the console's pages say only that the request was malformed.
        if request.url.path.startswith(PREFIX):
            ctx = anonymous(request)
            return ctx.render("refused.html", status=400, title=ctx._("Cannot do that"), message="")
        return await request_validation_exception_handler(request, exc)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        if request.url.path.startswith(PREFIX):
            response.headers.setdefault("Content-Security-Policy", _CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    return console


__all__ = ["ConsoleSettings", "mount"]
