"""A form that uses one name in two groups (head/age, spouse/age) is filled in on the form screen."""
from __future__ import annotations

from gui_helpers import WAIT, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from forms import load_form
from gui.context import DRAFT_KIND
from gui.screens.form import FormScreen
from tests.unit.forms.xlsform import write_xlsform


def test_two_ages_are_typed_into_their_own_rows_and_kept_apart_in_the_draft(qtbot, window_factory, profile, tmp_path):
    form = load_form(write_xlsform(tmp_path / "hh.xlsx", [
        ["type", "name", "label"],
        ["begin_group", "head", "Head of household"], ["integer", "age", "Head's age"], ["end_group", None, None],
        ["begin_group", "spouse", "Spouse"], ["integer", "age", "Spouse's age"], ["end_group", None, None],
    ], None, [["form_id", "version"], ["hh", "1"]]))
    w = window_factory(profile)
    unlock(qtbot, w)
    screen = FormScreen(w.ctx, form)
    qtbot.addWidget(screen)
    screen.show()
    head = screen.rows[("head/age", ())]
    spouse = screen.rows[("spouse/age", ())]
    assert head.label.text() == "Head's age" and spouse.label.text() == "Spouse's age"
    for row, typed in ((head, "41"), (spouse, "39")):
        line = row.editor if isinstance(row.editor, QLineEdit) else row.findChild(QLineEdit)
        line.setFocus()
        qtbot.keyClicks(line, typed)
        qtbot.keyClick(line, Qt.Key.Key_Tab)
    assert screen.session.record() == {"head/age": 41, "spouse/age": 39}
    screen._dirty = True
    screen.save_draft()
    qtbot.waitUntil(lambda: screen.draft["saved"] is not None, timeout=WAIT)
    with w.ctx.tasks.store_lock:
        [draft] = list(w.store.list_records(DRAFT_KIND))
    reopened = FormScreen(w.ctx, form, answers=draft.fields, draft_id=draft.id)
    qtbot.addWidget(reopened)
    assert reopened.session.record() == {"head/age": 41, "spouse/age": 39}
