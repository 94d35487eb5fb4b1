"""A form that shuffles its choices reopens from its draft in the order it had."""
from __future__ import annotations

from gui_helpers import WAIT, unlock

from forms import load_form
from gui.context import DRAFT_KIND, SEED_FIELD
from gui.screens.form import FormScreen
from tests.unit.forms.xlsform import write_xlsform


def test_a_reopened_draft_keeps_the_shuffled_order(qtbot, window_factory, profile, tmp_path):
    form = load_form(write_xlsform(tmp_path / "shuffled.xlsx", [
        ["type", "name", "label", "parameters"],
        ["text", "who", "Who", None],
        ["select_one n", "pick", "Pick", "randomize=true"],
    ], [["list_name", "name", "label"]] + [["n", f"c{i}", f"Choice {i}"] for i in range(10)],
        [["form_id", "version"], ["shuffled", "1"]]))
    w = window_factory(profile)
    unlock(qtbot, w)
    first = FormScreen(w.ctx, form)
    qtbot.addWidget(first)
    order = [c.name for c in first.session.choices("pick")]
    first.session.set("who", "Synthetic")
    first._dirty = True
    first.save_draft()
    qtbot.waitUntil(lambda: first.draft["saved"] is not None, timeout=WAIT)
    with w.ctx.tasks.store_lock:
        [draft] = list(w.store.list_records(DRAFT_KIND))
    assert draft.fields[SEED_FIELD] == first.session.seed
    reopened = FormScreen(w.ctx, form, answers=draft.fields, draft_id=draft.id)
    qtbot.addWidget(reopened)
    assert [c.name for c in reopened.session.choices("pick")] == order
    assert reopened.session.record() == {"who": "Synthetic"}  # the seed is not an answer
