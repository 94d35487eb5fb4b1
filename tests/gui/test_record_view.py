"""The record view: the record as its form shows it, read-only, and its history in words,
in the interface language; Tab reaches both panes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton

from storage import Store, hlc
from sync.merge import merge_change

from gui_helpers import PASSPHRASE, WAIT, unlock

from gui import i18n
from gui.context import Prefs
from gui.record_view import RecordDialog

OTHER_LAPTOP = "0a1b2c3d4e5f6071"  # a synthetic device id
HOUSEHOLD = {"consent": "yes", "assessment_date": "2026-03-02", "oblast": "UA63", "settlement": "Synthetic Vilkhivka",
             "displacement_status": "idp", "hh_size": 2,
             "members": [{"member_age": 34, "member_sex": "female"}, {"member_age": 7, "member_sex": "male"}]}


@pytest.fixture
def english_after():
    yield
    i18n.install(QApplication.instance(), "en")  # the interface language is process-wide


def _household_edited_here_and_elsewhere(profile) -> str:
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    rid = store.save_record("submission", HOUSEHOLD, form_id="household_needs", form_version="2026.11.1")
    store.edit_record(rid, {"hh_size": 3})
    # Another laptop then changed the settlement, having seen this laptop's value.
    seen = store.get_record(rid).clocks["settlement"]
    later = hlc.encode(hlc.decode(seen.split("@")[0]) + (120_000 << 16))
    store.apply_changes([{"device_id": OTHER_LAPTOP, "seq": 1, "record_id": rid, "kind": "submission",
                          "hlc": later, "fields": {"settlement": "Synthetic Vilkhivka village"},
                          "bases": {"settlement": seen}, "form_id": "household_needs",
                          "form_version": "2026.11.1"}], merge=merge_change)
    store.close()
    return rid


def _open_view(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 1, timeout=WAIT)
    r.table.selectRow(0)
    qtbot.mouseClick(r.findChild(QPushButton, "recordView"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: r.findChild(RecordDialog) is not None and r.findChild(RecordDialog).isVisible(), timeout=WAIT)
    return w, r.findChild(RecordDialog)


def test_record_view_shows_labels_choices_sections_and_history_in_ukrainian(qtbot, window_factory, profile, english_after):
    _household_edited_here_and_elsewhere(profile)
    Prefs(profile).language = "uk"
    w, dialog = _open_view(qtbot, window_factory, profile)
    answers = dialog.answers.toPlainText()
    # Question and choice labels in the interface language, never names or codes.
    assert "Область" in answers and "Харківська" in answers
    assert "Населений пункт (місто, селище або село)" in answers and "Synthetic Vilkhivka village" in answers
    assert "UA63" not in answers and "oblast" not in answers and "idp" not in answers
    # Groups and repeat entries are sections, not a list printed as text.
    assert "Місцезнаходження" in answers and "Член домогосподарства 1" in answers and "Член домогосподарства 2" in answers
    assert "Жіноча" in answers and "Чоловіча" in answers
    assert "[{" not in answers and "member_age" not in answers

    assert len(dialog.entries) == 3, dialog.entries
    created, edited_here, edited_there = dialog.entries
    assert created[1:] == ("Enumerator One, цей ноутбук", "Створено")
    assert edited_here[1] == "Enumerator One, цей ноутбук" and edited_here[2].startswith("Змінено: Скільки осіб")
    # The other laptop's edit is credited to that laptop, not to the person unlocked here.
    assert edited_there[1] == f"інший ноутбук ({OTHER_LAPTOP[:8]})"
    assert edited_there[2] == "Змінено: Населений пункт (місто, селище або село)"
    shown = dialog.history.toPlainText()
    assert all(part in shown for entry in dialog.entries for part in entry)
    assert "sync_edit" not in shown and "settlement" not in shown and "hh_size" not in shown


def test_another_laptops_changes_are_credited_to_their_author_when_known(qtbot, window_factory, profile):
    # Issue 13's last gap: the change carries its author's name (schema 0009), shown with the laptop.
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    rid = "0190f0c2-3b4a-7c1d-9e2f-0123456789ab"
    first = hlc.encode((store.clock.now_ms() - 600_000) << 16)
    later = hlc.encode(hlc.decode(first) + (120_000 << 16))
    store.apply_changes([
        {"device_id": OTHER_LAPTOP, "seq": 1, "record_id": rid, "kind": "submission", "hlc": first,
         "fields": dict(HOUSEHOLD), "form_id": "household_needs", "form_version": "2026.11.1",
         "author": "Synthetic Mariia"},
    ], merge=merge_change)
    store.apply_changes([
        {"device_id": OTHER_LAPTOP, "seq": 2, "record_id": rid, "kind": "submission", "hlc": later,
         "fields": {"hh_size": 3}, "bases": {"hh_size": f"{first}@{OTHER_LAPTOP}"}, "form_id": "household_needs",
         "form_version": "2026.11.1", "author": "Synthetic Mariia"},
    ], merge=merge_change)
    store.close()
    w, dialog = _open_view(qtbot, window_factory, profile)
    assert len(dialog.entries) == 2, dialog.entries
    created, edited = dialog.entries
    assert created[1:] == (f"Synthetic Mariia, another laptop ({OTHER_LAPTOP[:8]})", "Created")
    assert edited[1] == f"Synthetic Mariia, another laptop ({OTHER_LAPTOP[:8]})" and edited[2].startswith("Changed: ")


def test_tab_reaches_both_panes_then_close(qtbot, window_factory, profile):
    _household_edited_here_and_elsewhere(profile)
    w, dialog = _open_view(qtbot, window_factory, profile)
    dialog.activateWindow()
    dialog.answers.setFocus()
    qtbot.waitUntil(lambda: dialog.answers.hasFocus(), timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.history.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    assert close.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert dialog.answers.hasFocus()


def test_a_record_whose_form_is_missing_still_shows_by_field_name():
    from gui.record_view import record_sections

    [other] = record_sections(None, {"head_name": "Synthetic Name", "_editing": "x", "members": 4}, "en")
    assert other.rows == [("head_name", "Synthetic Name"), ("members", "4")]


def test_an_unlabelled_question_named_in_two_groups_shows_its_own_name(tmp_path):
    # Same-named questions in two groups are keyed by group path (head/age); a person reads "age".
    from forms import load_form
    from gui.record_view import question_label, record_sections
    from tests.unit.forms.xlsform import write_xlsform

    form = load_form(write_xlsform(tmp_path / "hh.xlsx", [
        ["type", "name", "label"],
        ["begin_group", "head", "Head of household"], ["integer", "age", None], ["end_group", None, None],
        ["begin_group", "spouse", "Spouse"], ["integer", "age", None], ["end_group", None, None],
    ], None, [["form_id", "version"], ["hh", "1"]]))
    [top] = record_sections(form, {"head/age": 41, "spouse/age": 39}, "en")
    assert [(part.title, part.rows) for part in top.rows] == [("Head of household", [("age", "41")]),
                                                             ("Spouse", [("age", "39")])]
    assert question_label(form, "spouse/age", "en") == "age"
