"""The overview: devices, submissions per form and per day, open conflicts, the latest USB imports."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from ..audit import recent
from ..data import _scope
from ..deps import PREFIX, Ctx, signed_in

router = APIRouter()


def scoped_devices(ctx: Ctx) -> list[dict]:
    return [d for d in ctx.console.hub.devices() if ctx.user.may_see(d["team"])]


@router.get(PREFIX + "/")
def overview(ctx: Ctx = Depends(signed_in)):
    console = ctx.console
    console.index.catch_up(budget_s=1.0)
    scope = ctx.user.scope()
    where, args = _scope("team", scope)
    conflicts = [{"record_id": r[0], "team": r[1], "field": r[2], "found": r[3]} for r in console.db.execute(
        f"SELECT record_id, team, field, found_at FROM conflicts WHERE 1 = 1{where} ORDER BY id DESC LIMIT 20", args)]
    open_conflicts = console.db.execute(f"SELECT count(*) FROM conflicts WHERE 1 = 1{where}", args)[0][0]
    from ..data import _stamp
    for c in conflicts:
        c["found"] = _stamp(c["found"])
    imports = recent(console.db, events=("usb_import",), limit=10)
    if scope is not None:
        teams_of = {d["device_id"]: d["team"] for d in console.hub.devices()}
        imports = [i for i in imports if teams_of.get(i["device_id"]) in scope]
    return ctx.render("overview.html", devices=scoped_devices(ctx), per_form=console.index.form_counts(scope),
                      per_day=console.index.per_day(scope), conflicts=conflicts, open_conflicts=open_conflicts,
                      imports=imports, behind=console.index.behind())
