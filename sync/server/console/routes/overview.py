"""The overview: devices, submissions per form and per day, open conflicts, the latest USB imports."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from forms.errors import FormError, UnknownForm

from ..audit import recent
from ..data import _scope
from ..deps import PREFIX, Ctx, signed_in
from ..exports import hub_form

router = APIRouter()


class Names:
    """Forms by their title and answers by their question's label, in the console's language
    (the form's id and the field's name where the hub does not know the form)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self._forms: dict[str, tuple] = {}

    def _form(self, form_id: str | None):
        if form_id not in self._forms:
            from .data import _label_lang

            try:
                form = hub_form(self.ctx.console.hub, form_id)
                self._forms[form_id] = (form, _label_lang(form, self.ctx.lang))
            except (UnknownForm, FormError):
                self._forms[form_id] = (None, None)
        return self._forms[form_id]

    def title(self, form_id: str | None) -> str:
        form, lang = self._form(form_id)
        return form.title_in(lang) if form else (form_id or "")

    def label(self, form_id: str | None, field: str) -> str:
        form, lang = self._form(form_id)
        q = form.questions.get(field) if form else None
        return q.label(lang) if q else field


def scoped_devices(ctx: Ctx) -> list[dict]:
    return [d for d in ctx.console.hub.devices() if ctx.user.may_see(d["team"])]


@router.get(PREFIX + "/")
def overview(ctx: Ctx = Depends(signed_in)):
    console = ctx.console
    console.index.catch_up(budget_s=1.0)
    scope = ctx.user.scope()
    where, args = _scope("team", scope)
    names = Names(ctx)
    cwhere, cargs = _scope("c.team", scope)
    conflicts = [{"record_id": r[0], "team": r[1], "field": r[2], "found": r[3], "form": names.title(r[4]),
                  "question": names.label(r[4], r[2])} for r in console.db.execute(
        f"SELECT c.record_id, c.team, c.field, c.found_at, r.form_id FROM conflicts c JOIN records r ON r.record_id = c.record_id "
        f"WHERE c.resolution IS NULL{cwhere} ORDER BY c.id DESC LIMIT 20", cargs)]
    open_conflicts = console.db.execute(f"SELECT count(*) FROM conflicts WHERE resolution IS NULL{where}", args)[0][0]
    from ..data import _stamp
    for c in conflicts:
        c["found"] = _stamp(c["found"])
    imports = recent(console.db, events=("usb_import",), limit=10)
    if scope is not None:
        teams_of = {d["device_id"]: d["team"] for d in console.hub.devices()}
        imports = [i for i in imports if teams_of.get(i["device_id"]) in scope]
    per_form = [(f, names.title(f), n) for f, n in console.index.form_counts(scope)]
    per_day = [(day, f, names.title(f), n) for day, f, n in console.index.per_day(scope)]
    return ctx.render("overview.html", devices=scoped_devices(ctx), per_form=per_form, per_day=per_day, conflicts=conflicts, open_conflicts=open_conflicts,
                      imports=imports, behind=console.index.behind())
