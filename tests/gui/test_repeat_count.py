"""A repeat's count question: typed at human speed, rebuilt on commit, never dropping answers unasked."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from gui_helpers import WAIT, answer, unlock

KEY_DELAY_MS = 90  # between keys, as a person types


def household(qtbot, window_factory, profile, members: list[str]):
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_needs")
    answer(qtbot, s, "consent", "yes")
    answer(qtbot, s, "hh_size", str(len(members)))
    for k, age in enumerate(members):
        answer(qtbot, s, "member_age", age, (k,))
    return w, s


def type_count(qtbot, s, text: str) -> None:
    line = s.rows[("hh_size", ())].line
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text, delay=KEY_DELAY_MS)


def shown(s) -> list:
    return [b for b in s.findChildren(QMessageBox, "confirmDropEntries") if b.isVisible()]


def dialog(qtbot, s) -> QMessageBox:
    qtbot.waitUntil(lambda: len(shown(s)) == 1, timeout=WAIT)
    return shown(s)[0]


def test_typing_12_over_2_keeps_member_2(qtbot, window_factory, profile):
    _w, s = household(qtbot, window_factory, profile, ["41", "3"])
    type_count(qtbot, s, "12")        # passes through "1" on the way
    assert s.rows[("member_age", (1,))].line.text() == "3"
    assert s.repeats[("members", ())].built == 2           # nothing rebuilt while typing
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Return)   # committed
    assert s.repeats[("members", ())].built == 12
    assert s.session.get("member_age", index=(1,)) == 3
    assert s.rows[("member_age", (1,))].line.text() == "3"
    assert not shown(s)    # nothing answered was at stake


def test_leaving_the_field_commits_the_count(qtbot, window_factory, profile):
    _w, s = household(qtbot, window_factory, profile, ["41", "3"])
    type_count(qtbot, s, "4")
    assert s.repeats[("members", ())].built == 2
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Tab)
    assert s.repeats[("members", ())].built == 4
    assert [s.session.get("member_age", index=(k,)) for k in range(2)] == [41, 3]


def test_lowering_the_count_asks_before_dropping_answered_members(qtbot, window_factory, profile):
    _w, s = household(qtbot, window_factory, profile, ["41", "39", "3"])
    type_count(qtbot, s, "1")
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Return)
    box = dialog(qtbot, s)
    assert "2 entry(ies)" in box.text() and "2, 3" in box.text()   # how many, and which
    assert s.repeats[("members", ())].built == 3                     # nothing gone while asking
    qtbot.keyClick(box, Qt.Key.Key_Escape)                           # cancel: the old count comes back
    qtbot.waitUntil(lambda: not shown(s), timeout=WAIT)
    assert s.session.get("hh_size") == 3 and s.rows[("hh_size", ())].line.text() == "3"
    assert s.repeats[("members", ())].built == 3
    assert [s.session.get("member_age", index=(k,)) for k in range(3)] == [41, 39, 3]

    type_count(qtbot, s, "1")
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Return)
    box = dialog(qtbot, s)
    remove = next(b for b in box.findChildren(QPushButton) if b.text() == "Remove them")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.repeats[("members", ())].built == 1, timeout=WAIT)
    assert s.session.get("hh_size") == 1 and s.session.get("member_age", index=(0,)) == 41


def test_lowering_past_empty_members_only_needs_no_question(qtbot, window_factory, profile):
    _w, s = household(qtbot, window_factory, profile, ["41"])
    type_count(qtbot, s, "3")
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Return)
    assert s.repeats[("members", ())].built == 3
    type_count(qtbot, s, "1")                                        # members 2 and 3 hold nothing
    qtbot.keyClick(s.rows[("hh_size", ())].line, Qt.Key.Key_Return)
    assert s.repeats[("members", ())].built == 1 and not shown(s)
