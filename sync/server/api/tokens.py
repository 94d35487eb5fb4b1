"""Analyst tokens: what lets a script, Excel or Power BI read a form's data, and nothing else.

An admin makes a token (``server token add``, or the console's Tokens page), scoped to
teams and forms, with an expiry. The token is shown once; the database keeps only its
SHA-256 (a token is 256 random bits, so a plain hash is as strong as a password hash would
be, and costs nothing per request). Tokens live in their own table: a web session's cookie
or a device key presented as a token is unknown here, and a token put in the console's
session cookie is unknown there, because each is looked up only in its own table.

A token is ``fbt_`` + its public id (8 hex digits, which lists and the audit log name) +
a secret. Every use is audited with the id, never the secret.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from ... import protocol
from ...errors import SyncError
from ..db import Database

PREFIX = "fbt_"
ALL = "*"
MAX_DAYS = 366
_NAME = re.compile(r"[\w .@\-]{1,64}")
_FORM = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,99}")
_TOKEN = re.compile(r"fbt_([0-9a-f]{8})[A-Za-z0-9_\-]{43}")


class TokenError(SyncError):
    """A token command or form was refused; the message says why (nothing was changed)."""


@dataclass(frozen=True)
class ApiToken:
    token_id: str
    name: str
    teams: tuple[str, ...]       # ('*',): every team
    forms: tuple[str, ...]       # ('*',): every form
    expires_at: int

    def scope(self) -> tuple[str, ...] | None:
        """The teams this token reads; None for every team."""
        return None if ALL in self.teams else self.teams

    def may_read(self, form_id: str) -> bool:
        return ALL in self.forms or form_id in self.forms

    @property
    def actor(self) -> str:
        return f"token {self.token_id} ({self.name})"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _list_of(values: list[str] | None, check, what: str) -> tuple[str, ...]:
    values = [v.strip() for v in (values or []) if v and v.strip()]
    if not values or ALL in values:
        if len(values) > 1:
            raise TokenError(f"Give either '*' for every {what} or a list of them, not both (nothing was changed).")
        if not values:
            raise TokenError(f"Give at least one {what}, or '*' for every {what} (nothing was changed).")
        return (ALL,)
    for v in values:
        if not check(v):
            raise TokenError(f"{v!r} is not a {what} name (nothing was changed).")
    return tuple(sorted(set(values)))


def add_token(db: Database, *, name: str, teams: list[str] | None, forms: list[str] | None, days: float,
              created_by: str) -> tuple[str, ApiToken]:
    """Make a token; returns (the token, shown this once; its record)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TokenError("A token's name is 1-64 letters, digits, spaces, '.', '@', '_' or '-' (nothing was changed).")
    team_scope = _list_of(teams, protocol.valid_team, "team")
    form_scope = _list_of(forms, _FORM.fullmatch, "form")
    if not 0 < days <= MAX_DAYS:
        raise TokenError(f"A token lasts from 1 to {MAX_DAYS} days (nothing was changed).")
    now = _now_ms()
    with db.transaction():
        while True:
            token_id = secrets.token_hex(4)
            if not db.execute("SELECT 1 FROM api_tokens WHERE token_id = ?", (token_id,)):
                break
        token = PREFIX + token_id + secrets.token_urlsafe(32)
        expires = now + int(days * 86_400_000)
        db.execute("INSERT INTO api_tokens (token_id, token_hash, name, teams, forms, created_at, created_by, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (token_id, _hash(token), name, ",".join(team_scope), ",".join(form_scope), now, created_by, expires))
    return token, ApiToken(token_id, name, team_scope, form_scope, expires)


def list_tokens(db: Database) -> list[dict]:
    now = _now_ms()
    out = []
    for tid, name, teams, forms, created, by, expires, revoked, used in db.execute(
            "SELECT token_id, name, teams, forms, created_at, created_by, expires_at, revoked_at, last_used "
            "FROM api_tokens ORDER BY created_at DESC, token_id"):
        state = "revoked" if revoked is not None else "expired" if expires <= now else "active"
        out.append({"token_id": tid, "name": name, "teams": teams.split(","), "forms": forms.split(","),
                    "created_at": _iso(created), "created_by": by, "expires_at": _iso(expires), "state": state,
                    "last_used": _iso(used)})
    return out


def revoke_token(db: Database, token_id: str) -> None:
    with db.transaction():
        if not isinstance(token_id, str) or not db.execute("SELECT 1 FROM api_tokens WHERE token_id = ?", (token_id,)):
            raise TokenError("There is no such token; 'server token list' shows them (nothing was changed).")
        db.execute("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?", (_now_ms(), token_id))


def authenticate(db: Database, presented: str | None) -> ApiToken | None:
    """The live token this secret is, or None (malformed, unknown, revoked or expired)."""
    if not presented or not _TOKEN.fullmatch(presented):
        return None
    rows = db.execute("SELECT token_id, name, teams, forms, expires_at, revoked_at, last_used FROM api_tokens "
                      "WHERE token_hash = ?", (_hash(presented),))
    if not rows:
        return None
    tid, name, teams, forms, expires, revoked, used = rows[0]
    now = _now_ms()
    if revoked is not None or expires <= now:
        return None
    if used is None or now - used > 5000:  # one write per few seconds at most
        db.execute("UPDATE api_tokens SET last_used = ? WHERE token_id = ?", (now, tid))
    return ApiToken(tid, name, tuple(teams.split(",")), tuple(forms.split(",")), expires)


def token_id_of(presented: str | None) -> str | None:
    """The public id inside a presented token, for the audit of a refusal (never the secret)."""
    m = _TOKEN.fullmatch(presented or "")
    return m.group(1) if m else None


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
