"""Filling a form from the keyboard: what has the keyboard is always in view."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication

from gui_helpers import WAIT, answer, unlock

from gui.questions import QuestionRow


def in_view(screen, widget) -> tuple[bool, str]:
    """Is the focused widget's question fully in the form's view, with context above it?"""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # as painting would: current geometry
    row = next(r for r in screen.rows.values() if r.isAncestorOf(widget))
    assert isinstance(row, QuestionRow), widget
    body = screen.scroll.widget()
    top = row.mapTo(body, QPoint(0, 0)).y()
    bottom = top + row.height()
    shown_from = screen.scroll.verticalScrollBar().value()
    shown_to = shown_from + screen.scroll.viewport().height()
    context = min(screen.follow.context_px(), top)
    ok = top - shown_from >= context and bottom <= shown_to
    return ok, f"{row.objectName()}: rows {top}-{bottom}, shown {shown_from}-{shown_to}, context {context}"


def open_household(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_needs")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)   # consent: yes; the questions open up
    return w, s


def walk(qtbot, s, key, steps: int) -> list[str]:
    """Press ``key`` ``steps`` times; every question reached is fully in view. Returns them."""
    seen = []
    for _ in range(steps):
        before = QApplication.focusWidget()
        qtbot.keyClick(before, key)
        now = QApplication.focusWidget()
        if now is None or not s.scroll.widget().isAncestorOf(now):
            break  # past the last question
        ok, why = in_view(s, now)
        assert ok, why
        seen.append(why.split(":")[0])
    return seen


def test_enter_keeps_the_next_question_in_view(qtbot, window_factory, profile):
    _w, s = open_household(qtbot, window_factory, profile)
    seen = walk(qtbot, s, Qt.Key.Key_Return, 13)
    assert len(seen) == 13 and s.scroll.verticalScrollBar().value() > 0   # it did scroll
    assert len(set(seen)) == len(seen)   # each Enter went on to the next question, not its next box
    assert "q_priority_needs" in seen and "q_income_sources" in seen


def test_tab_keeps_the_whole_question_in_view_with_context(qtbot, window_factory, profile):
    _w, s = open_household(qtbot, window_factory, profile)
    answer(qtbot, s, "hh_size", "3")
    s.rows[("hh_size", ())].focus()
    assert len(walk(qtbot, s, Qt.Key.Key_Tab, 10)) == 10


# -- Return presses what has the keyboard, on every screen -------------------------------------------
def press_return(qtbot, widget) -> None:
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=WAIT)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_return_presses_the_wizards_buttons(qtbot, window_factory, tmp_path):
    from gui.screens.wizard import WizardScreen

    from gui_helpers import PASSPHRASE

    w = window_factory(tmp_path / "new")
    wiz = w.centralWidget()
    assert isinstance(wiz, WizardScreen)
    qtbot.keyClicks(wiz.name, "Enumerator One")
    qtbot.keyClicks(wiz.pass1, PASSPHRASE)
    qtbot.keyClicks(wiz.pass2, PASSPHRASE)
    press_return(qtbot, wiz.create)
    qtbot.waitUntil(lambda: wiz.pages.currentIndex() == 1, timeout=WAIT)
    wiz.written.setFocus()
    qtbot.keyClick(wiz.written, Qt.Key.Key_Space)
    press_return(qtbot, wiz.next)                       # Continue
    assert wiz.pages.currentIndex() == 2
    qtbot.keyClicks(wiz.url, "http://127.0.0.1:9")
    qtbot.keyClicks(wiz.code, "AAAA-BBBB-CCCC-DDDD")
    press_return(qtbot, wiz.enroll)                     # Enroll: tried (nothing listens there)
    assert not wiz.enroll.isEnabled()
    qtbot.waitUntil(lambda: wiz.enroll.isEnabled() and wiz.enroll_error.text() != "", timeout=WAIT)
    press_return(qtbot, wiz.findChild(type(wiz.enroll), "wizardSkip"))
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)


def test_return_opens_home_forms_and_records(qtbot, window_factory, profile):
    from test_flows import _saved_household

    from gui.screens.records import RecordDialog

    rid = _saved_household(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    press_return(qtbot, w.home.form_buttons["complaints_feedback"])
    qtbot.waitUntil(lambda: w.form_screen is not None, timeout=WAIT)
    s = w.form_screen
    press_return(qtbot, s.close_button)                 # the form's own buttons too
    qtbot.waitUntil(lambda: w.form_screen is None, timeout=WAIT)

    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 1, timeout=WAIT)
    r.table.setFocus(Qt.FocusReason.TabFocusReason)
    r.table.selectRow(0)
    qtbot.keyClick(r.table, Qt.Key.Key_Return)          # Return on a row opens it
    qtbot.waitUntil(lambda: any(isinstance(t, RecordDialog) and t.isVisible() for t in QApplication.topLevelWidgets()),
                    timeout=WAIT)
    dialog = next(t for t in QApplication.topLevelWidgets() if isinstance(t, RecordDialog) and t.isVisible())
    dialog.close()
    edit = r.findChild(type(w.home.form_buttons["complaints_feedback"]), "recordEdit")
    press_return(qtbot, edit)
    qtbot.waitUntil(lambda: w.form_screen is not None and w.form_screen.editing == rid, timeout=WAIT)


# -- a reopened draft resumes where it was left ----------------------------------------------------
def test_a_reopened_draft_resumes_at_the_question_it_was_left_at(qtbot, window_factory, profile):
    from gui.context import DRAFT_KIND, POSITION_FIELD

    w, s = open_household(qtbot, window_factory, profile)        # consent: yes, by Space
    answer(qtbot, s, "settlement", "Synthetic village")
    s.rows[("hh_size", ())].focus()
    walk(qtbot, s, Qt.Key.Key_Return, 2)                         # on to shelter_condition, by Enter
    left_at = s.question_of(QApplication.focusWidget())
    assert left_at.q.name == "shelter_condition"
    press_return(qtbot, s.close_button)
    qtbot.waitUntil(lambda: w.form_screen is None, timeout=WAIT)
    with w.ctx.tasks.store_lock:
        drafts = list(w.store.list_records(DRAFT_KIND))
    assert [d.fields[POSITION_FIELD] for d in drafts] == [{"name": "shelter_condition", "instance": []}]

    drafts_list = w.home.drafts
    qtbot.waitUntil(lambda: drafts_list.count() == 1 and bool(drafts_list.item(0).data(Qt.ItemDataRole.UserRole)),
                    timeout=WAIT)
    drafts_list.setFocus()
    drafts_list.setCurrentRow(0)
    qtbot.keyClick(drafts_list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.form_screen is not None, timeout=WAIT)
    s2 = w.form_screen
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and s2.scroll.widget().isAncestorOf(QApplication.focusWidget()), timeout=WAIT)
    now = QApplication.focusWidget()
    assert s2.question_of(now).q.name == "shelter_condition"
    ok, why = in_view(s2, now)
    assert ok, why
    assert s2.session.get("settlement") == "Synthetic village"


def test_a_draft_inside_a_repeat_resumes_there_after_a_lock(qtbot, window_factory, profile):
    w, s = open_household(qtbot, window_factory, profile)
    answer(qtbot, s, "hh_size", "3")
    answer(qtbot, s, "member_age", "41", (0,))
    s.rows[("member_age", (2,))].focus()
    qtbot.waitUntil(lambda: s.draft["id"] is not None, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=WAIT)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: w.form_screen is not None and QApplication.focusWidget() is not None
                    and w.form_screen.scroll.widget().isAncestorOf(QApplication.focusWidget()), timeout=WAIT)
    row = w.form_screen.question_of(QApplication.focusWidget())
    assert (row.q.name, row.inst) == ("member_age", (2,))
    ok, why = in_view(w.form_screen, QApplication.focusWidget())
    assert ok, why
