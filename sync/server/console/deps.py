"""What every console route depends on: the console, the signed-in user, CSRF, the language, rendering."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..hub import Hub
from . import auth
from .audit import audit
from .data import Index
from .i18n import LANGUAGES, translator

SESSION_COOKIE = "fieldbook_session"
LOGIN_COOKIE = "fieldbook_login"     # the sign-in form's double-submit CSRF value
LANG_COOKIE = "fieldbook_lang"
PREFIX = "/console"
HERE = Path(__file__).resolve().parent


class NotSignedIn(Exception):
    """No session, or it is over: the browser goes to the sign-in page."""


class Refused(Exception):
    """A signed-in user asked for something they may not do or see (403), or that is not there (404),
    or sent a bad form (400). The message is shown; it names ids at most, never a value."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class Console:
    """The console's state on the app: the hub, its settings, the index, the templates."""

    def __init__(self, hub: Hub, settings: auth.ConsoleSettings) -> None:
        self.hub = hub
        self.db = hub.db
        self.settings = settings
        self.index = Index(hub)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))


@dataclass
class Ctx:
    """One request's signed-in user, language and CSRF token."""

    console: Console
    request: Request
    user: auth.WebUser | None
    token: str | None
    lang: str
    _: object = field(default=None)

    @property
    def csrf(self) -> str:
        return auth.csrf_token(self.token) if self.token else ""

    def check_csrf(self, sent: str | None) -> None:
        if not auth.csrf_ok(self.token, sent):
            self.audit("csrf_refused", detail=self.request.url.path)
            raise Refused(403, self._("The form was out of date or not sent from this console; nothing was changed. "
                                      "Reload the page and try again."))

    def audit(self, event: str, *, device_id: str | None = None, detail: str | None = None) -> None:
        audit(self.console.db, event, actor=self.user.name if self.user else None, device_id=device_id, detail=detail)

    def render(self, template: str, status: int = 200, **context):
        return self.console.templates.TemplateResponse(
            self.request, template,
            {"_": self._, "lang": self.lang, "languages": LANGUAGES, "user": self.user, "csrf": self.csrf,
             "here": quote(self.request.url.path + (f"?{self.request.url.query}" if self.request.url.query else ""), safe=""),
             **context},
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )


def the_console(request: Request) -> Console:
    return request.app.state.console


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGUAGES else "en"


def anonymous(request: Request) -> Ctx:
    lang = language(request)
    return Ctx(the_console(request), request, None, None, lang, translator(lang))


def signed_in(request: Request) -> Ctx:
    """The signed-in user of this request (a dependency; runs in the thread pool)."""
    console = the_console(request)
    token = request.cookies.get(SESSION_COOKIE)
    user = auth.session_user(console.db, token, console.settings)
    if user is None:
        raise NotSignedIn()
    lang = language(request)
    return Ctx(console, request, user, token, lang, translator(lang))


def may_see_team(ctx: Ctx, team: str) -> None:
    if not ctx.user.may_see(team):
        ctx.audit("refused", detail=f"team {team} outside the user's teams")
        raise Refused(403, ctx._("That belongs to a team you do not work with."))


def device_in_scope(ctx: Ctx, device_id: str) -> dict:
    """The device, once it is known to be one this user's teams hold (404, 403 otherwise)."""
    device = next((d for d in ctx.console.hub.devices() if d["device_id"] == device_id), None)
    if device is None:
        raise Refused(404, ctx._("There is no such device."))
    may_see_team(ctx, device["team"])
    return device


def managers_only(ctx: Ctx) -> None:
    if not ctx.user.can_manage_devices:
        ctx.audit("refused", detail=f"{ctx.request.url.path} needs a lead or an admin")
        raise Refused(403, ctx._("Only a team lead or an administrator may do that."))
