"""Web accounts of the hub console: passwords, sign-in throttling, sessions, CSRF tokens.

Web users are not devices. A device's keys open no page, and a web account cannot sync:
the sync API (app.py) reads only bundles signed by enrolled devices, and the console reads
only its own session cookie. Everything here lives in the server's database, so several
server processes behind one address share accounts, sessions and failure counters.

- Passwords: Argon2id (the ``cryptography`` package, as storage/ uses), at the OWASP
  minimum of 19 MiB, 2 passes, 1 lane: about 30-60 ms here, cheap enough for a sign-in,
  dear enough for a guesser holding a copy of the database.
- Sessions: a random token in an HTTP-only, SameSite=Strict cookie; the database holds
  only its SHA-256, so a copied database opens no session. A session ends after
  ``idle_s`` without a request, and after ``max_s`` in any case.
- CSRF: every form carries HMAC(session token, "csrf"); a request without the right one
  changes nothing. The sign-in form, which has no session yet, uses a random cookie
  that the form repeats (double submit).
- Failed sign-ins: each is answered only after ``failure_delay_s``; ``max_failures`` in a
  row lock the account for ``lockout_s``. A correct password does not open a locked or
  disabled account.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ... import protocol
from ...errors import SyncError
from ..db import Database

ROLES = ("admin", "lead", "viewer")
ALL_TEAMS = "*"
MIN_PASSWORD = 12
_NAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")
_ARGON = {"iterations": 2, "lanes": 1, "memory_cost": 19 * 1024}


class WebUserError(SyncError):
    """A web account command or form was refused; the message says why."""


class LoginRefused(WebUserError):
    """A sign-in was refused. ``reason``: 'password' (wrong name or password), 'locked', 'disabled'."""

    def __init__(self, reason: str, message: str, *, until_ms: int | None = None, known: bool = True) -> None:
        self.reason = reason
        self.until_ms = until_ms
        self.known = known  # False: no such account (its name is not logged: it may be a password typed too soon)
        super().__init__(message)


@dataclass(frozen=True)
class ConsoleSettings:
    idle_s: int = 30 * 60            # a session unused this long is over
    max_s: int = 12 * 60 * 60        # and any session after this
    failure_delay_s: float = 1.0     # every failed sign-in is answered this late
    max_failures: int = 5            # this many in a row lock the account
    lockout_s: int = 15 * 60         # for this long


@dataclass(frozen=True)
class WebUser:
    name: str
    role: str
    teams: tuple[str, ...]           # ('*',) for an admin: every team

    @property
    def all_teams(self) -> bool:
        return self.role == "admin"

    def may_see(self, team: str) -> bool:
        return self.all_teams or team in self.teams

    def scope(self) -> tuple[str, ...] | None:
        """The teams this user's queries are limited to; None for every team."""
        return None if self.all_teams else self.teams

    @property
    def can_manage_devices(self) -> bool:
        return self.role in ("admin", "lead")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- passwords ------------------------------------------------------------------------
def hash_password(password: str) -> str:
    salt = os.urandom(16)
    key = Argon2id(salt=salt, length=32, **_ARGON).derive(password.encode("utf-8"))
    params = f"m={_ARGON['memory_cost']},t={_ARGON['iterations']},p={_ARGON['lanes']}"
    return f"argon2id${params}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, params, salt, key = stored.split("$")
        p = dict(item.split("=") for item in params.split(","))
        kdf = Argon2id(salt=_unb64(salt), length=32, iterations=int(p["t"]), lanes=int(p["p"]), memory_cost=int(p["m"]))
    except (ValueError, KeyError):
        return False
    try:
        kdf.verify(password.encode("utf-8"), _unb64(key))
        return True
    except InvalidKey:
        return False


_DUMMY_HASH = None


def _dummy_verify(password: str) -> None:
    # An unknown name costs what a known one does, so timing does not tell which names exist.
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    verify_password(password, _DUMMY_HASH)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode().rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4))


def check_password(password: str | None) -> str:
    if not password:
        raise WebUserError("No password given: set FIELDBOOK_NEW_PASSWORD (nothing was changed).")
    if len(password) < MIN_PASSWORD:
        raise WebUserError(f"A password needs at least {MIN_PASSWORD} characters (nothing was changed).")
    return password


# --- accounts ------------------------------------------------------------------------------
def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise WebUserError("A user name is 1-64 letters, digits, '_', '.', '@' or '-' (nothing was changed).")
    return name


def _check_teams(role: str, teams: list[str] | None) -> tuple[str, ...]:
    if role not in ROLES:
        raise WebUserError(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)} (nothing was changed).")
    teams = [t for t in (teams or []) if t]
    if role == "admin":
        if teams:
            raise WebUserError("An admin sees every team; give --team only for a lead or a viewer (nothing was changed).")
        return (ALL_TEAMS,)
    if not teams:
        raise WebUserError(f"A {role} sees only their own teams: give at least one --team (nothing was changed).")
    for t in teams:
        if not protocol.valid_team(t):
            raise WebUserError("A team name is 1-64 letters, digits, '_', '.' or '-' (nothing was changed).")
    return tuple(sorted(set(teams)))


def add_user(db: Database, *, name: str, role: str, teams: list[str] | None, password: str) -> WebUser:
    _check_name(name)
    scope = _check_teams(role, teams)
    hashed = hash_password(check_password(password))
    with db.transaction():
        if db.execute("SELECT 1 FROM web_users WHERE name = ?", (name,)):
            raise WebUserError(f"There is already a web user {name}; 'server user list' shows them (nothing was changed).")
        db.execute("INSERT INTO web_users (name, role, teams, password, created_at) VALUES (?, ?, ?, ?, ?)",
                   (name, role, ",".join(scope), hashed, _now_ms()))
    return WebUser(name, role, scope)


def list_users(db: Database) -> list[dict]:
    now = _now_ms()
    return [{"name": n, "role": r, "teams": t.split(","), "created_at": _iso(c), "disabled": d is not None,
             "locked": bool(lu and lu > now)}
            for n, r, t, c, d, lu in db.execute(
                "SELECT name, role, teams, created_at, disabled_at, locked_until FROM web_users ORDER BY name")]


def _require(db: Database, name: str) -> None:
    if not db.execute("SELECT 1 FROM web_users WHERE name = ?", (name,)):
        raise WebUserError(f"There is no web user {name}; 'server user list' shows them (nothing was changed).")


def disable_user(db: Database, name: str) -> None:
    """The account can no longer sign in, and its open sessions end now."""
    with db.transaction():
        _require(db, name)
        db.execute("UPDATE web_users SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?", (_now_ms(), name))
        db.execute("DELETE FROM web_sessions WHERE user_name = ?", (name,))


def set_password(db: Database, name: str, password: str) -> None:
    """A new password; it also lifts a lock-out and ends the account's open sessions."""
    hashed = hash_password(check_password(password))
    with db.transaction():
        _require(db, name)
        db.execute("UPDATE web_users SET password = ?, failures = 0, locked_until = NULL WHERE name = ?", (hashed, name))
        db.execute("DELETE FROM web_sessions WHERE user_name = ?", (name,))


def _user(row: tuple) -> WebUser:
    name, role, teams = row[:3]
    return WebUser(name, role, tuple(teams.split(",")))


# --- sign-in -------------------------------------------------------------------------------
def login(db: Database, name: str, password: str, settings: ConsoleSettings) -> WebUser:
    """The account, if the password is right and the account is neither locked nor disabled."""
    now = _now_ms()
    rows = db.execute("SELECT name, role, teams, password, disabled_at, failures, locked_until FROM web_users WHERE name = ?",
                      (name,)) if _NAME.fullmatch(name or "") else []
    if not rows:
        _dummy_verify(password)
        raise LoginRefused("password", "Wrong user name or password.", known=False)
    _, _, _, stored, disabled, failures, locked_until = rows[0]
    if locked_until and locked_until > now:
        raise LoginRefused("locked", "Too many failed sign-ins: this account is locked for a while. Try again later, "
                                     "or ask an administrator to set a new password.", until_ms=locked_until)
    ok = verify_password(password, stored)
    with db.transaction():
        if not ok:
            failures = db.execute("SELECT failures FROM web_users WHERE name = ?", (name,))[0][0] + 1
            if failures >= settings.max_failures:
                db.execute("UPDATE web_users SET failures = 0, locked_until = ? WHERE name = ?",
                           (now + settings.lockout_s * 1000, name))
            else:
                db.execute("UPDATE web_users SET failures = ? WHERE name = ?", (failures, name))
        else:
            db.execute("UPDATE web_users SET failures = 0, locked_until = NULL WHERE name = ?", (name,))
    if not ok:
        raise LoginRefused("password", "Wrong user name or password.")
    if disabled is not None:
        raise LoginRefused("disabled", "This account is disabled. Ask the hub's administrator.")
    return _user(rows[0])


# --- sessions ---------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, user: WebUser) -> str:
    token = secrets.token_urlsafe(32)
    now = _now_ms()
    db.execute("INSERT INTO web_sessions (token_hash, user_name, created_at, last_seen) VALUES (?, ?, ?, ?)",
               (_token_hash(token), user.name, now, now))
    return token


def session_user(db: Database, token: str | None, settings: ConsoleSettings) -> WebUser | None:
    """The signed-in user of this cookie's session, or None (no, unknown, idle or old session;
    disabled account). An expired session is deleted; a live one is marked as used."""
    if not token or len(token) > 200:
        return None
    th = _token_hash(token)
    rows = db.execute(
        "SELECT s.created_at, s.last_seen, u.name, u.role, u.teams, u.disabled_at FROM web_sessions s "
        "JOIN web_users u ON u.name = s.user_name WHERE s.token_hash = ?", (th,))
    if not rows:
        return None
    created, last_seen, name, role, teams, disabled = rows[0]
    now = _now_ms()
    if disabled is not None or now - last_seen > settings.idle_s * 1000 or now - created > settings.max_s * 1000:
        db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (th,))
        return None
    if now - last_seen > 5000:  # one write per few seconds at most, not one per request
        db.execute("UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?", (now, th))
    return WebUser(name, role, tuple(teams.split(",")))


def end_session(db: Database, token: str | None) -> None:
    if token:
        db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_token_hash(token),))


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"fieldbook-console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str | None, sent: str | None) -> bool:
    return bool(session_token and sent) and hmac.compare_digest(csrf_token(session_token), sent)


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
