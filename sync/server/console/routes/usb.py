"""USB: import a laptop's bundle; download a return bundle for a device."""
from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ....bundle import peek_header
from ....errors import BundleError, BundleReplayed, SyncError
from ....protocol import ProtocolError
from ..audit import recent
from ..deps import PREFIX, Ctx, Refused, device_in_scope, managers_only, may_see_team, signed_in
from .overview import scoped_devices

router = APIRouter()


def _page(ctx: Ctx, status: int = 200, **extra):
    imports = recent(ctx.console.db, events=("usb_import",), limit=20)
    mine = {d["device_id"] for d in scoped_devices(ctx)}
    if ctx.user.scope() is not None:
        imports = [i for i in imports if i["device_id"] in mine]
    return ctx.render("usb.html", status=status, devices=[d for d in scoped_devices(ctx) if not d["revoked"]],
                      imports=imports, **extra)


@router.get(PREFIX + "/usb")
def usb(ctx: Ctx = Depends(signed_in)):
    return _page(ctx)


@router.post(PREFIX + "/usb/import")
async def usb_import(bundle: UploadFile | None = File(None), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    managers_only(ctx)
    hub = ctx.console.hub
    limit = hub.settings.max_bundle_bytes
    if bundle is None or not bundle.filename:
        raise Refused(400, ctx._("Choose a bundle file."))
    data = await bundle.read(limit + 1)
    if len(data) > limit or not data:
        raise Refused(400, ctx._("The bundle was refused; nothing was changed.") + f" ({len(data)} bytes)")

    def work():
        try:
            sender = peek_header(data, max_bytes=limit).sender_id
        except BundleError as exc:
            ctx.audit("usb_import_refused", detail=type(exc).__name__)
            return _page(ctx, status=400, error=f"{ctx._('The bundle was refused; nothing was changed.')} {exc}")
        device = next((d for d in hub.devices() if d["device_id"] == sender), None)
        if device is not None:
            may_see_team(ctx, device["team"])
        elif ctx.user.scope() is not None:
            raise Refused(403, ctx._("That belongs to a team you do not work with."))
        try:
            result, request = hub.receive(data)
        except BundleReplayed:
            ctx.audit("usb_import", device_id=sender, detail="already imported")
            return _page(ctx, note=ctx._("This bundle was imported before; nothing was added."))
        except (SyncError, ProtocolError) as exc:
            ctx.audit("usb_import_refused", device_id=sender, detail=type(exc).__name__)
            return _page(ctx, status=400, error=f"{ctx._('The bundle was refused; nothing was changed.')} {exc}")
        summary = {"new": result.new, "duplicates": result.duplicates, "conflicts": result.conflicts, "refused": len(result.refused)}
        ctx.audit("usb_import", device_id=request.device_id,
                  detail=f"{result.new} new, {result.duplicates} duplicate, {result.conflicts} conflict(s), {len(result.refused)} refused")
        return _page(ctx, result=summary, result_device=request.device_id)

    return await run_in_threadpool(work)


@router.post(PREFIX + "/usb/return")
def usb_return(device: str = Form(""), csrf: str = Form(""), ctx: Ctx = Depends(signed_in)):
    ctx.check_csrf(csrf)
    managers_only(ctx)
    device_in_scope(ctx, device)
    try:
        data, reply = ctx.console.hub.reply_bundle(device, limit=200_000)
    except SyncError as exc:
        raise Refused(400, str(exc)) from None
    ctx.audit("usb_return_bundle", device_id=device, detail=f"{len(reply.changes)} change(s)")
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="return-{device}.fbb"', "Cache-Control": "no-store"})
