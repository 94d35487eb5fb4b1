"""Focus that shows, arrows that choose, and dates as people type them."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

from gui_helpers import WAIT, message, unlock

from gui.dates import DateInputError, parse_typed_date


def open_form(qtbot, window_factory, profile, form_id: str):
    w = window_factory(profile)
    unlock(qtbot, w)
    w.activateWindow()
    s = w.open_form(form_id)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    return w, s


def looks(widget) -> bytes:
    QApplication.processEvents()
    img = widget.grab().toImage()
    return bytes(img.constBits())


def test_focus_is_drawn_on_the_first_radio_button_and_on_drop_downs(qtbot, window_factory, profile):
    w, s = open_form(qtbot, window_factory, profile, "household_needs")
    first = s.rows[("consent", ())].group.buttons()[0]
    assert QApplication.focusWidget() is first          # put there by the program, not by Tab
    focused = looks(first)
    s.finalise_button.setFocus()
    assert looks(first) != focused                       # so the ring is visible without any Tab
    qtbot.keyClick(first, Qt.Key.Key_Space)
    oblast = s.rows[("oblast", ())].editor
    assert isinstance(oblast, QComboBox)
    unfocused = looks(oblast)
    s.rows[("oblast", ())].focus()
    assert QApplication.focusWidget() is oblast and looks(oblast) != unfocused


def test_arrow_keys_choose_in_an_unanswered_radio_row(qtbot, window_factory, profile):
    _w, s = open_form(qtbot, window_factory, profile, "household_needs")
    consent = s.rows[("consent", ())]
    yes, no = consent.group.buttons()[:2]
    assert QApplication.focusWidget() is yes and consent.group.checkedButton() is None
    qtbot.keyClick(yes, Qt.Key.Key_Right)
    assert no.isChecked() and QApplication.focusWidget() is no and s.session.get("consent") == "no"
    qtbot.keyClick(no, Qt.Key.Key_Left)
    assert yes.isChecked() and s.session.get("consent") == "yes"
    status = s.rows[("displacement_status", ())]
    status.focus()
    first = status.group.buttons()[0]
    assert QApplication.focusWidget() is first and status.group.checkedButton() is None
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert status.group.buttons()[1].isChecked() and s.session.get("displacement_status") == status._choice_names[1]


def test_tab_reaches_the_calendar_and_today(qtbot, window_factory, profile):
    _w, s = open_form(qtbot, window_factory, profile, "complaints_feedback")
    row = s.rows[("received_date", ())]
    row.focus()
    assert QApplication.focusWidget() is row.line
    qtbot.keyClick(row.line, Qt.Key.Key_Tab)
    pick = QApplication.focusWidget()
    assert pick.objectName() == "pickDate"
    qtbot.keyClick(pick, Qt.Key.Key_Tab)
    today = QApplication.focusWidget()
    assert today.objectName() == "today"
    qtbot.keyClick(today, Qt.Key.Key_Return)
    assert s.session.get("received_date") == dt.date.today() and row.line.text() == dt.date.today().isoformat()

    row.line.clear()
    pick.setFocus()
    qtbot.keyClick(pick, Qt.Key.Key_Space)               # the calendar opens on today
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and QApplication.focusWidget().window().objectName() == "datePicker", timeout=WAIT)
    calendar = QApplication.focusWidget()
    qtbot.keyClick(calendar, Qt.Key.Key_Left)            # the day before
    qtbot.keyClick(calendar, Qt.Key.Key_Return)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    qtbot.waitUntil(lambda: s.session.get("received_date") == yesterday, timeout=WAIT)
    assert row.line.text() == yesterday.isoformat()


@pytest.mark.parametrize("typed, stored", [
    ("14.03.1975", "1975-03-14"), ("1975-03-14", "1975-03-14"), ("4.3.1975", "1975-03-04"),
    ("3/14/1975", "1975-03-14"), ("14/03/1975", "1975-03-14"), ("05/05/1975", "1975-05-05"),
])
def test_dates_typed_the_ways_people_type_them(qtbot, window_factory, profile, typed, stored):
    _w, s = open_form(qtbot, window_factory, profile, "complaints_feedback")
    line = s.rows[("received_date", ())].line
    line.setFocus()
    qtbot.keyClicks(line, typed)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert s.session.get("received_date") == dt.date.fromisoformat(stored)
    assert line.text() == stored and message(s, "received_date") == ""


@pytest.mark.parametrize("typed, says", [
    ("03/04/1975", "could be 3 April 1975 or 4 March 1975"),
    ("31.02.1975", "There is no such date: 31.02.1975."),
    ("14.03.75", "Type the year in full"),
    ("14 March", "Type a date as day.month.year"),
])
def test_ambiguous_or_impossible_dates_say_why(qtbot, window_factory, profile, typed, says):
    _w, s = open_form(qtbot, window_factory, profile, "complaints_feedback")
    line = s.rows[("received_date", ())].line
    line.setFocus()
    qtbot.keyClicks(line, typed)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert says in message(s, "received_date")
    assert s.session.get("received_date") == "" and line.text() == typed   # nothing taken, nothing rewritten


def test_parse_typed_date_refuses_rather_than_guesses():
    assert parse_typed_date(" 14.03.1975 ") == dt.date(1975, 3, 14)
    for bad in ("03/04/1975", "13/13/1975", "1975-02-30", "14.03.19751", ""):
        with pytest.raises(DateInputError):
            parse_typed_date(bad)


def test_switching_the_form_language_mid_form_keeps_choices_in_place(qtbot, window_factory, profile):
    from gui_helpers import answer

    _w, s = open_form(qtbot, window_factory, profile, "household_needs")
    answer(qtbot, s, "consent", "yes")
    answer(qtbot, s, "hh_size", "2")
    answer(qtbot, s, "member_age", "41", (0,))
    consent = s.rows[("consent", ())]
    before = [b.geometry().x() for b in consent.group.buttons()]
    s.lang_box.setFocus()
    qtbot.keyClick(s.lang_box, Qt.Key.Key_Down)          # English -> Українська
    assert s.session.lang.endswith("(uk)")
    QApplication.processEvents()
    buttons = consent.group.buttons()
    assert [b.text() for b in buttons] == ["Так", "Ні"] and buttons[0].isChecked()
    lay = consent._radio_layout
    places = [lay.indexOf(b) for b in buttons]
    assert places == sorted(places) and all(p < lay.count() - 1 for p in places)   # before the stretch
    after = [b.geometry().x() for b in buttons]
    assert after[0] == before[0] and after[1] > after[0]  # still at the left, in order
    repeat = s.repeats[("members", ())]
    heading = repeat.heading.text()
    assert heading == s.form.questions["members"].label(s.session.lang) and heading != "Household member"
    assert all("Household member" not in e.title() for e in repeat.entry_boxes)
    assert s.rows[("member_age", (0,))].line.text() == "41"    # the entries and their answers stay
