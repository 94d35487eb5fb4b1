"""Review: candidate duplicate households, side by side, decided at the hub.

The pairs are those of the last ``server duplicates`` run over every team (kept at the hub,
sealed: sync/server/hub_decisions.py). A user sees the pairs that touch their teams. Each
side shows the household's own answers only to those who may see its team; identifiers
(phone, document, tax number) are masked for everyone, as sensitive answers are elsewhere.
The matcher's reasons quote both names, so they are shown only to those who may see both
teams. An administrator, or a lead of both households' teams, decides same / different /
unsure with a reason (a CSRF-checked POST); the decision is a hub change, audited, and
reaches the laptops of both teams at their next sync.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from rules import dedup, domain, names

from ... import hub_decisions
from .. import sensitive
from ..data import _stamp
from ..deps import PREFIX, Ctx, Refused, managers_only, signed_in

router = APIRouter()
LIMIT = 50  # pairs shown at once, best first; each decision brings the next up

# (field, label) of what a reviewer compares; masked ones show only whether there is a value.
SHOWN = [("external_ref", "Reference"), ("head_name", "Head of household"), ("dob", "Date of birth"),
         ("settlement", "Settlement"), ("hromada", "Hromada"), ("hh_size", "Household size"),
         ("registered_at", "Registered")]
MASKED = [("phone", "Phone"), ("doc_number", "Document"), ("tax_number", "Tax number")]


def _side(ctx: Ctx, record_id: str, team: str, ref: str, fields: dict) -> dict:
    visible = ctx.user.may_see(team)
    rows = []
    for name, label in SHOWN:
        value = fields.get(name) if visible else None
        if name == "external_ref":
            value = ref  # the reference is in the pairs list for both sides
        rows.append({"label": ctx._(label), "value": "" if value is None else str(value)})
    for name, label in MASKED:
        held = fields.get(name) not in (None, "")
        rows.append({"label": ctx._(label), "value": sensitive.MASK if held and visible else ""})
    return {"id": record_id, "team": team, "visible": visible, "rows": rows}


def household_pairs(ctx: Ctx) -> list[dict]:
    """The undecided (or unsure) stored pairs that touch the user's teams, best first, for the
    Review page: read a page at a time, so that a long list costs only what is shown."""
    out: list[dict] = []
    offset = 0
    while len(out) < LIMIT:
        pairs = hub_decisions.stored_pairs(ctx.console.hub, ctx.user.scope(), limit=_PAGE, offset=offset)
        offset += len(pairs)
        out += _open_pairs(ctx, pairs)[:LIMIT - len(out)]
        if len(pairs) < _PAGE:
            break
    return out


_PAGE = 200


def _open_pairs(ctx: Ctx, pairs: list) -> list[dict]:
    held = ctx.console.index.fields_of(sorted({x for p in pairs for x in (p.a, p.b)}))
    out = []
    for p in pairs:
        fa, fb = held.get(p.a), held.get(p.b)
        if fa is None or fb is None:
            continue  # no longer at the hub
        verdict = dedup.verdict_of(fb, p.a)
        if verdict in dedup.FINAL:
            continue
        links = {x: f[domain.LINK_FIELD] for x, f in ((p.a, fa), (p.b, fb)) if isinstance(f.get(domain.LINK_FIELD), str)}
        if links and domain.survivor(p.a, links) == domain.survivor(p.b, links):
            continue  # already linked, through a third registration
        both = ctx.user.may_see(p.team_a) and ctx.user.may_see(p.team_b)
        out.append({
            "a": _side(ctx, p.a, p.team_a, p.refs[0], fa), "b": _side(ctx, p.b, p.team_b, p.refs[1], fb),
            "score": "" if p.score is None else f"{p.score:.1f}", "reasons": p.reasons if both else None,
            "cross_team": p.cross_team, "verdict": verdict, "found": _stamp(p.found_at),
            "may_decide": hub_decisions.may_decide(ctx.user.role, ctx.user.teams, p.team_a, p.team_b),
        })
    return out


@router.post(PREFIX + "/review/households/decide")
async def decide(request: Request, ctx: Ctx = Depends(signed_in)):
    form = await request.form()
    ctx.check_csrf(form.get("csrf"))
    managers_only(ctx)
    a, b, verdict = form.get("a"), form.get("b"), form.get("verdict")
    keep, reason = form.get("keep") or None, form.get("reason") or ""
    ids_ok = all(isinstance(x, str) and names.UUID.fullmatch(x) for x in (a, b)) and (
        keep is None or (isinstance(keep, str) and keep in (a, b)))
    if not ids_ok or verdict not in dedup.VERDICTS or not isinstance(reason, str):
        raise Refused(400, ctx._("Choose same, different or unsure for a pair of households."))
    hub = ctx.console.hub
    try:
        hub_decisions.check_may_decide(hub, ctx.user.role, ctx.user.teams, a, b)
    except hub_decisions.DecisionRefused as exc:
        ctx.audit("refused", detail=f"duplicate decision {a} {b}: {ctx.user.role}")
        raise Refused(403, str(exc)) from None
    try:
        hub_decisions.decide(hub, a, b, verdict, reason, actor=ctx.user.name, keep=keep if verdict == "same" else None)
    except hub_decisions.DecisionRefused as exc:
        raise Refused(400, str(exc)) from None
    ctx.console.index.catch_up(budget_s=1.0)
    return RedirectResponse(f"{PREFIX}/review?decided={verdict}#household-pairs", status_code=303)
