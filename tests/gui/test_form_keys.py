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
