"""Devices: enrollment codes (as text and as a QR code), revocation with or without a wipe."""
from __future__ import annotations

import segno
from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse

from ....errors import EnrollmentRefused
from ... import cli as server_cli
from ..deps import PREFIX, Ctx, Refused, device_in_scope, managers_only, may_see_team, signed_in
from .overview import scoped_devices

router = APIRouter()


def _page(ctx: Ctx, **extra):
    teams = sorted({d["team"] for d in scoped_devices(ctx)} | set(t for t in ctx.user.teams if t != "*"))
    return ctx.render("devices.html", devices=scoped_devices(ctx), teams=teams,
                      fingerprint=ctx.console.hub.public_keys().fingerprint(), **extra)


@router.get(PREFIX + "/devices")
def devices(done: str = "", ctx: Ctx = Depends(signed_in)):
    notes = {"revoked": ctx._("Device revoked."),
             "wiped": ctx._("Device revoked; it will erase its data at its next contact.")}
    return _page(ctx, note=notes.get(done))


@router.post(PREFIX + "/devices/enroll-code")
def enroll_code(team: str = Form(""), hours: str = Form("24"), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    managers_only(ctx)
    team = team.strip()
    may_see_team(ctx, team)
    try:
        h = float(hours)
    except ValueError:
        h = -1
    if not 0 < h <= server_cli.MAX_CODE_HOURS:
        raise Refused(400, ctx._("Hours must be a number from 1 to 720."))
    try:
        code = ctx.console.hub.new_enroll_code(team, ttl_s=int(h * 3600))
    except EnrollmentRefused:
        raise Refused(400, ctx._("A team name is 1-64 letters, digits, '_', '.' or '-'.")) from None
    ctx.audit("web_enroll_code", detail=f"team {team}, {h:g} h")
    qr = segno.make(code, error="m").svg_inline(scale=5, border=2)
    return _page(ctx, code=code, code_team=team, code_hours=f"{h:g}", qr=qr)


@router.post(PREFIX + "/devices/{device_id}/revoke")
def revoke(device_id: str, wipe: str = Form(""), confirm: str = Form(""), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    managers_only(ctx)
    device = device_in_scope(ctx, device_id)
    if not confirm:
        # Revocation cannot be undone, and a wipe erases the laptop's data: one more page, no script.
        return ctx.render("revoke.html", device=device, wipe=bool(wipe))
    ctx.console.hub.revoke(device_id, wipe=bool(wipe))
    ctx.audit("web_revoke", device_id=device_id, detail="wipe" if wipe else None)
    return RedirectResponse(f"{PREFIX}/devices?done={'wiped' if wipe else 'revoked'}", status_code=303)
