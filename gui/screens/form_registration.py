"""Finalising the household registration form: the registry's checks, and their outcome in words.

The form screen's Finalise hands a checked registration form here
(distributions.regform). On the store worker, the household is checked against the
registry as ``registry add`` and the Registry screen check it, and saved with its draft
gone in one transaction. Back on the GUI thread the person sees:

* **saved**: the card code, and the Registry screen with the new household;
* **blocked** (same tax number, document or card): the household already registered,
  and that nothing was saved; the draft stays as it was;
* **asked** (a likely duplicate): the households it may be, with the reasons, and
  "Register anyway" / "Do not register". Registering anyway is audited.

The registry is read and prepared on the store worker, once, then kept in step with the store
(registration.FreshRegistry: what sync brought in a moment ago is checked too); the GUI thread
only shows the outcome.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox

from distributions import regform, registration
from distributions.errors import InvalidHousehold

from ..errors import present
from ..i18n import tr
from .registry import field_labels, reason_text, reason_words, value_text

if TYPE_CHECKING:
    from .form import FormScreen


@dataclass
class Outcome:
    """What the store worker found: ``saved`` (rid, card), ``blocked`` or ``asked`` (the
    matches, with the fields of the households they point to, read on the worker)."""

    kind: str
    rid: str | None = None
    card: str | None = None
    matches: list[registration.Match] = field(default_factory=list)
    households: dict[str, dict] = field(default_factory=dict)


def kept_registry(ctx) -> registration.FreshRegistry:
    """The registry kept between registrations on this unlocked profile (on the context, so every
    form screen shares it); dropped on lock, as it holds decrypted names."""
    kept = getattr(ctx, "_kept_registry", None)
    if kept is None:
        kept = ctx._kept_registry = registration.FreshRegistry()
        ctx.locked.connect(kept.clear)
    return kept


def warm_up(screen: "FormScreen") -> None:
    """Read the registry while the form is being filled (minutes), not at Finalise. A failure
    here is left to the Finalise, which reads it again and says what went wrong."""
    kept = kept_registry(screen.ctx)
    screen.ctx.run(kept.get, None, lambda _exc: None, owner=screen)


def register_on_worker(store, form, record: dict, holder: dict, confirm: bool,
                       registry: registration.FreshRegistry | None = None) -> Outcome:
    """The work for the store worker: check and save, or say why not (reading the households shown)."""
    try:
        rid, _check = regform.register_submission(store, form, record, draft_id=holder["id"], confirm=confirm,
                                                  registry=registry)
    except (registration.DuplicateFound, registration.LikelyDuplicate) as exc:
        blocked = isinstance(exc, registration.DuplicateFound)
        matches = exc.check.exact[:1] if blocked else exc.check.likely[: registration.MAX_SHOWN]
        return Outcome("blocked" if blocked else "asked", matches=matches,
                       households={m.id: store.get_record(m.id).fields for m in matches})
    holder["id"] = None
    return Outcome("saved", rid=rid, card=store.get_record(rid).fields.get("card_code"))


class RegistrationFinish:
    """One Finalise of the registration form on ``screen`` (a FormScreen)."""

    def __init__(self, screen: "FormScreen", record: dict) -> None:
        self.screen, self.record = screen, record
        self.box: QMessageBox | None = None  # the question or warning shown, for tests and screen readers

    def start(self, *, confirm: bool = False) -> None:
        screen, record, holder, form = self.screen, self.record, self.screen.draft, self.screen.form
        screen.finalise_button.setEnabled(False)
        screen.status.setText(tr("Checking the registry…"))
        kept = kept_registry(screen.ctx)
        screen.ctx.run(lambda store: register_on_worker(store, form, record, holder, confirm, kept),
                       self.on_outcome, self.on_failed, owner=screen)

    def on_outcome(self, outcome: Outcome) -> None:
        screen = self.screen
        screen.finalise_button.setEnabled(True)
        if outcome.kind == "saved":
            screen._dirty = False
            screen.ctx.saved()
            screen.status.setText(tr("Household registered. Card code: {code}").format(code=outcome.card))
            screen.registered.emit(outcome.rid, outcome.card or "")
            return
        if outcome.kind == "blocked":
            self.show_blocked(outcome)
        else:
            self.ask(outcome)

    def on_failed(self, exc: BaseException) -> None:
        screen = self.screen
        screen.finalise_button.setEnabled(True)
        if not isinstance(exc, InvalidHousehold):
            self.keep_draft("")
            present(screen, exc)
            return
        # An answer the form let through but the registry refuses (a form published in the
        # built-in one's place may lack a check): name the questions, in the form's language.
        names = [regform.question_of(f) for f in exc.fields]
        labels = []
        for name in names:
            try:
                labels.append(screen.form.question(name).label(screen.session.lang))
            except KeyError:
                labels.append(name)
        self.keep_draft(tr("Not registered: check these answers: {questions}. The draft is kept.")
                        .format(questions=", ".join(labels)))
        row = next((r for (n, _inst), r in screen.rows.items() if n in names and r.isVisibleTo(screen)), None)
        if row is not None:
            screen.scroll.ensureWidgetVisible(row)
            row.focus()

    def keep_draft(self, message: str) -> None:
        """Refused: the answers stay on screen and are kept as the draft (the autosave stopped for
        the Finalise); ``message`` says why, now and after the save's own "Draft saved"."""
        screen = self.screen
        screen.status.setText(message)
        screen.save_draft(then=lambda: screen.status.setText(message))

    @staticmethod
    def describe(match: registration.Match, households: dict[str, dict]) -> str:
        f = households.get(match.id, {})
        lines = [f"{label}: {value_text(f, name)}" for name, label in field_labels() if value_text(f, name)]
        return "\n".join(lines)

    def show_blocked(self, outcome: Outcome) -> None:
        match = outcome.matches[0]
        text = (tr("This household is already registered ({why}):").format(why=reason_text(match.why))
                + "\n\n" + self.describe(match, outcome.households) + "\n\n"
                + tr("Nothing was saved.") + " " + tr("The draft is kept: correct the answers, or close the form."))
        self.keep_draft(tr("Not registered: this household is already registered. The draft is kept."))
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Already registered"), text, QMessageBox.StandardButton.Ok,
                          self.screen)
        box.setObjectName("alreadyRegistered")
        self.box = box
        box.open()

    def ask(self, outcome: Outcome) -> None:
        self.keep_draft(tr("Possible duplicate"))
        words = reason_words()
        lines = []
        for m in outcome.matches:
            f = outcome.households.get(m.id, {})
            reasons = "\n    ".join([reason_text(e.reason, words) for e in m.evidence if e.weight > 0][:4])
            who = ", ".join(v for v in (f.get("head_name") or m.ref, value_text(f, "dob"), f.get("settlement"),
                                        f.get("external_ref"), f.get("card_code")) if v)
            lines.append(f"• {who}\n    {reasons}")
        box = QMessageBox(QMessageBox.Icon.Question, tr("Possible duplicate"),
                          tr("This household may already be registered:") + "\n\n" + "\n\n".join(lines) + "\n\n"
                          + tr("Register it anyway? A team lead will see the pair in the review queue."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.screen)
        box.setObjectName("likelyDuplicate")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(tr("Register anyway"))
        box.button(QMessageBox.StandardButton.No).setText(tr("Do not register"))
        box.finished.connect(self.on_answered)
        self.box = box
        box.open()

    def on_answered(self, code: Any) -> None:
        if code == QMessageBox.StandardButton.Yes:
            self.start(confirm=True)
        else:
            self.keep_draft(tr("Not registered. The draft is kept."))


__all__ = ["Outcome", "RegistrationFinish", "kept_registry", "register_on_worker", "warm_up"]
