"""Review: open conflicts with both values, who made each and when; keep or restore, one at a
time or in bulk. A decision here is a change made at the hub (hub_edits): it closes the conflict
here and, at their next sync, on every laptop, so a team lead decides once."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from forms.errors import FormError, UnknownForm

from ... import hub_edits
from .. import sensitive
from ..data import _scope, _stamp
from ..deps import PREFIX, Ctx, Refused, managers_only, signed_in
from ..exports import hub_form
from .data import _label_lang, shown
from .duplicates import household_pairs

router = APIRouter()
LIMIT = 200  # the newest open conflicts shown at once; each decision brings the next ones up


def _who_when(stamp: str, hub_origin: str, authors: dict[str, str], people: dict[str, str] | None = None) -> dict:
    """When, and who: the person at the hub, or the laptop and (``people``: stamp -> name,
    for those allowed to see it) the person who made the change there."""
    hlc, _, device = stamp.partition("@")
    try:
        at = _stamp(int(hlc, 16) >> 16)
    except ValueError:
        at = ""
    if device == hub_origin:
        return {"at": at, "hub": True, "by": authors.get(hlc, ""), "person": ""}
    return {"at": at, "hub": False, "by": device, "person": (people or {}).get(stamp, "")}


@router.get(PREFIX + "/review")
def review(done: str = "", how: str = "", decided: str = "", ctx: Ctx = Depends(signed_in)):
    db, hub = ctx.console.db, ctx.console.hub
    where, args = _scope("c.team", ctx.user.scope())
    rows = db.execute(
        "SELECT c.id, c.record_id, c.team, c.field, c.stamp, c.winner, c.found_at, c.body, r.form_id FROM conflicts c "
        f"JOIN records r ON r.record_id = c.record_id WHERE c.resolution IS NULL{where} ORDER BY c.id DESC LIMIT ?",
        (*args, LIMIT))
    total = db.execute(f"SELECT count(*) FROM conflicts c WHERE c.resolution IS NULL{where}", args)[0][0]
    current = ctx.console.index.fields_of(sorted({r[1] for r in rows}))
    origin = hub.server_id
    authors = _hub_authors(db, hub, rows)
    # The people behind the laptops' stamps, for the rows whose team the user leads (or all, for an admin).
    allowed = [r for r in rows if sensitive.may_reveal(ctx.user, r[2])]
    people = ctx.console.index.authors_of({s for r in allowed for s in (r[4], r[5]) if not s.endswith("@" + origin)})
    forms: dict[str, object] = {}
    items = []
    for row in rows:
        form_id = row[8]
        if form_id not in forms:
            forms[form_id] = _form_or_none(hub, form_id)
        items.append(_item(ctx, row, forms[form_id], current, origin, authors,
                           people if sensitive.may_reveal(ctx.user, row[2]) else {}))
    doubles = double_distributions(hub, ctx.user.scope())
    pairs = household_pairs(ctx)
    ctx.audit("web_review_page", detail=f"{len(items)} open conflict(s), {len(doubles)} double distribution(s), "
                                        f"{len(pairs)} household pair(s) shown")
    note = None
    if done.isdigit():
        note = f"{done} {ctx._('conflict(s) closed')}: {ctx._('restored' if how == 'restored' else 'kept')}. " \
               f"{ctx._('The laptops close them at their next sync.')}"
    elif decided in ("same", "different", "unsure"):
        note = f"{ctx._('Decided')}: {ctx._(decided)}. {ctx._('The laptops of both households get the decision at their next sync.')}"
    return ctx.render("review.html", items=items, total=total, limit=LIMIT, note=note, doubles=doubles, pairs=pairs)


def _hub_authors(db, hub, rows) -> dict[str, str]:
    """Who made the hub's own stamps among these conflicts: its changes' clocks -> the person (hub_changes)."""
    origin = hub.server_id
    hub_hlcs = {s.partition("@")[0] for r in rows for s in (r[4], r[5]) if s.endswith("@" + origin)}
    authors: dict[str, str] = {}
    if hub_hlcs:
        people = hub_edits.authors(hub)
        marks = ",".join("?" * len(hub_hlcs))
        for seq, hlc in db.execute(f"SELECT seq, hlc FROM changes WHERE device_id = ? AND hlc IN ({marks})", (origin, *hub_hlcs)):
            authors[hlc] = people.get(seq, "")
    return authors


def _form_or_none(hub, form_id: str | None):
    try:
        return hub_form(hub, form_id) if form_id else None
    except (UnknownForm, FormError):
        return None


def _item(ctx: Ctx, row, form, current: dict, origin: str, authors: dict[str, str], people: dict[str, str]) -> dict:
    """One open conflict as the review page shows it: both values, each one's maker and time."""
    cid, rid, team, field, stamp, winner, found, body, form_id = row
    lang = _label_lang(form, ctx.lang) if form else None
    q = form.questions.get(field) if form else None
    choices = {c.name: c.label(lang) for c in q.choices} if q else {}
    masked = field in sensitive.names(form)
    lost = orjson.loads(ctx.console.hub.unseal(f"conflict|{rid}|{field}|{stamp}", body))["value"]
    now = current.get(rid, {}).get(field)
    return {
        "id": cid, "record_id": rid, "team": team, "form": form.title_in(lang) if form else (form_id or ""),
        "question": q.label(lang) if q else field, "field": field, "found": _stamp(found), "sensitive": masked,
        "current": sensitive.MASK if masked else shown(now, choices),
        "lost": sensitive.MASK if masked else shown(lost, choices),
        "winner": _who_when(winner, origin, authors, people), "loser": _who_when(stamp, origin, authors, people),
    }


def double_distributions(hub, scope: tuple[str, ...] | None) -> list[dict]:
    """The open double distributions the hub's check raised (rules/domain.py) that touch the
    user's teams: round, household and the receipts that count twice. Ids only, no value;
    a receipt is voided at the desk that recorded it, so this list is read-only here."""
    return [d for d in hub.domain_reviews() if scope is None or set(d["teams"]) & set(scope)]


@router.post(PREFIX + "/review/resolve")
async def resolve(request: Request, ctx: Ctx = Depends(signed_in)):
    form = await request.form()
    ctx.check_csrf(form.get("csrf"))
    managers_only(ctx)
    one = form.get("one")
    if isinstance(one, str) and one:
        ident, _, action = one.partition(":")
        picked = [ident]
    else:
        action = form.get("action")
        picked = [v for v in form.getlist("conflict") if isinstance(v, str)]
    if action not in ("keep", "restore") or not picked or not all(p.isdigit() and len(p) < 19 for p in picked):
        raise Refused(400, ctx._("Choose at least one conflict, and keep or restore."))
    ids = [int(p) for p in picked]
    marks = ",".join("?" * len(ids))
    teams = {t for (t,) in ctx.console.db.execute(f"SELECT DISTINCT team FROM conflicts WHERE id IN ({marks})", ids)}
    if any(not ctx.user.may_see(t) for t in teams):
        ctx.audit("refused", detail="resolve: a conflict outside the user's teams")
        raise Refused(403, ctx._("That belongs to a team you do not work with."))
    try:
        done = hub_edits.resolve_conflicts(ctx.console.hub, ids, restore=action == "restore", actor=ctx.user.name)
    except hub_edits.HubEditRefused as exc:
        raise Refused(400, str(exc)) from None
    ctx.console.index.catch_up(budget_s=1.0)
    how = "restored" if action == "restore" else "kept"
    return RedirectResponse(f"{PREFIX}/review?done={len(done)}&how={how}", status_code=303)
