"""End-to-end flows, driven with qtbot as a person would."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt

from gui_helpers import PASSPHRASE, WAIT, answer, message, unlock

from gui.context import DRAFT_KIND, SUBMISSION_KIND
from gui.screens.wizard import WizardScreen
from storage import Store


def test_wizard_then_fill_household_form_with_relevance_repeat_and_constraint(qtbot, window_factory, tmp_path):
    w = window_factory(tmp_path / "new")
    wiz = w.centralWidget()
    assert isinstance(wiz, WizardScreen)
    qtbot.keyClicks(wiz.name, "Enumerator One")
    qtbot.keyClicks(wiz.pass1, "short")
    assert "short" in wiz.meter_text.text().lower()
    wiz.pass1.clear()
    qtbot.keyClicks(wiz.pass1, PASSPHRASE)
    qtbot.keyClicks(wiz.pass2, PASSPHRASE)
    qtbot.mouseClick(wiz.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wiz.pages.currentIndex() == 1, timeout=WAIT)
    key = wiz.recovery.text()
    assert len(key.replace("-", "")) >= 30
    assert not wiz.next.isEnabled()  # not before "I have written it down"
    wiz.written.click()
    qtbot.mouseClick(wiz.next, Qt.MouseButton.LeftButton)
    assert wiz.recovery.text() == ""  # shown once
    qtbot.mouseClick(wiz.findChild(type(wiz.next), "wizardSkip"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)

    qtbot.mouseClick(w.home.form_buttons["household_needs"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.form_screen is not None, timeout=WAIT)
    s = w.form_screen
    assert not s.sections[("assessment", ())].isVisibleTo(s)     # relevance: hidden until consent
    answer(qtbot, s, "consent", "yes")
    assert s.sections[("assessment", ())].isVisibleTo(s)
    answer(qtbot, s, "assessment_date", "2026-01-15")
    answer(qtbot, s, "oblast", "UA63")
    answer(qtbot, s, "raion", "UA6312")                         # offered only after the oblast
    answer(qtbot, s, "hromada", "UA6312027")
    answer(qtbot, s, "settlement", "Synthetic village")
    answer(qtbot, s, "displacement_status", "idp")
    assert s.rows[("months_displaced", ())].isVisibleTo(s)
    answer(qtbot, s, "months_displaced", "7")
    answer(qtbot, s, "hh_size", "40")                            # constraint: 1 to 30
    assert "1 to 30" in message(s, "hh_size")
    answer(qtbot, s, "hh_size", "2")
    assert message(s, "hh_size") == ""
    assert s.repeats[("members", ())].built == 2                 # the repeat follows the count
    answer(qtbot, s, "member_age", "41", (0,))
    answer(qtbot, s, "member_sex", "female", (0,))
    answer(qtbot, s, "member_disability", "no", (0,))
    answer(qtbot, s, "member_relation", "head", (0,))
    answer(qtbot, s, "member_age", "3", (1,))
    assert not s.rows[("member_disability", (1,))].isVisibleTo(s)  # asked from age 5
    answer(qtbot, s, "member_sex", "male", (1,))
    answer(qtbot, s, "member_relation", "child", (1,))

    # Finalising now stops at the first unanswered required question, and says so next to it.
    qtbot.keyClick(s, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "need attention" in s.status.text()
    first = s.first_error_row(s.session.errors())
    assert first.q.name == "priority_needs" and first.message.text()
    answer(qtbot, s, "priority_needs", "food water")
    answer(qtbot, s, "shelter_condition", s.rows[("shelter_condition", ())]._choice_names[0])
    answer(qtbot, s, "income_sources", "none")
    answer(qtbot, s, "received_assistance", "no")
    answer(qtbot, s, "followup_consent", "no")
    qtbot.mouseClick(s.finalise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.form_screen is None, timeout=WAIT)
    qtbot.waitUntil(lambda: w.records.model.rowCount() == 1, timeout=WAIT)
    assert w.stack.currentWidget() is w.records
    assert "Synthetic village" in w.records.model.index(0, 2).data()

    with w.ctx.tasks.store_lock:
        subs = list(w.store.list_records(SUBMISSION_KIND))
        drafts = list(w.store.list_records(DRAFT_KIND))
    assert len(subs) == 1 and drafts == []                      # the draft went when the record was finalised
    fields = subs[0].fields
    assert fields["hh_size"] == 2 and [m["member_age"] for m in fields["members"]] == [41, 3]
    assert "member_disability" not in fields["members"][1]


def test_draft_survives_closing_the_window_mid_form(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("complaints_feedback")
    answer(qtbot, s, "received_date", "2026-02-01")
    answer(qtbot, s, "feedback_type", s.rows[("feedback_type", ())]._choice_names[0])
    qtbot.waitUntil(lambda: s.draft["id"] is not None, timeout=WAIT)   # auto-saved, no button pressed
    answer(qtbot, s, "urgency", s.rows[("urgency", ())]._choice_names[-1])
    w.close()                                                          # mid-form

    w2 = window_factory(profile)
    unlock(qtbot, w2)
    qtbot.waitUntil(lambda: w2.home.drafts.count() == 1 and bool(w2.home.drafts.item(0).data(Qt.ItemDataRole.UserRole)), timeout=WAIT)
    item = w2.home.drafts.item(0)
    w2.home.drafts.itemActivated.emit(item)
    qtbot.waitUntil(lambda: w2.form_screen is not None, timeout=WAIT)
    s2 = w2.form_screen
    assert s2.rows[("received_date", ())].line.text() == "2026-02-01"
    assert s2.session.get("urgency") == s.rows[("urgency", ())]._choice_names[-1]


def test_draft_autosaves_wait_for_no_sync_and_are_not_counted(qtbot, window_factory, profile):
    import storage

    assert storage.is_local_kind(DRAFT_KIND)
    w = window_factory(profile)
    unlock(qtbot, w)
    wakes = []
    w.ctx.loop.wake = lambda: wakes.append(1)
    s = w.open_form("complaints_feedback")
    answer(qtbot, s, "received_date", "2026-02-01")
    qtbot.waitUntil(lambda: s.draft["id"] is not None and s.status.text() != "", timeout=WAIT)
    answer(qtbot, s, "feedback_type", s.rows[("feedback_type", ())]._choice_names[0])
    qtbot.mouseClick(s.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.draft["saved"] is not None and "feedback_type" in s.draft["saved"], timeout=WAIT)
    with w.ctx.tasks.store_lock:
        assert w.store.pending_count() == 0 and len(list(w.store.list_records(DRAFT_KIND))) == 1
    assert wakes == []                                  # an auto-save sends nothing, so it wakes no sync
    w.ctx.refresh_pending()
    qtbot.waitUntil(lambda: w.pending_label.text() == "0 waiting to sync", timeout=WAIT)


def test_auto_lock_then_unlock_reopens_the_draft(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("complaints_feedback")
    answer(qtbot, s, "received_date", "2026-02-02")
    w.idle.setInterval(50)   # the configured minutes, shortened for the test
    w.idle.start()
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=WAIT)
    assert w.ctx.store is None and w.form_screen is None
    qtbot.waitUntil(lambda: not w.store.unlocked, timeout=WAIT)
    screen = w.centralWidget()
    qtbot.keyClicks(screen.passphrase, "wrong passphrase")
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "did not open" in screen.message.text(), timeout=WAIT)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: w.form_screen is not None, timeout=WAIT)
    assert w.form_screen.rows[("received_date", ())].line.text() == "2026-02-02"


def test_lock_now_shortcut(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=WAIT)
    assert w.sync_label.text() == "Locked"




def test_changing_the_passphrase_needs_the_current_one(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("settings")
    s = w.settings
    new = "a brand new synthetic passphrase"
    qtbot.keyClicks(s.current_pass, "not the passphrase")
    qtbot.keyClicks(s.new_pass, new)
    qtbot.keyClicks(s.new_pass2, new)
    qtbot.mouseClick(s.change_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.change_button.isEnabled() and s.pass_message.text() != "", timeout=WAIT)
    assert "changed" not in s.pass_message.text().lower()
    s.current_pass.clear()
    s.pass_message.clear()
    qtbot.keyClicks(s.current_pass, PASSPHRASE)
    qtbot.mouseClick(s.change_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "changed" in s.pass_message.text().lower(), timeout=WAIT)
    qtbot.keyClick(w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=WAIT)
    unlock(qtbot, w, new)


def _saved_household(profile) -> str:
    import forms
    from resources import resource_path

    form = forms.load_form(resource_path("forms", "household_needs.xlsx"))
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    rid = store.save_record(SUBMISSION_KIND, {"consent": "yes", "settlement": "Synthetic Village"},
                            form_id="household_needs", form_version=form.version)
    store.close()
    return rid


def _shown_box(qtbot, name: str):
    """The visible top-level widget called ``name``, once the window system has shown it."""
    from PySide6.QtWidgets import QApplication

    found = []
    qtbot.waitUntil(lambda: bool(found.extend(t for t in QApplication.topLevelWidgets()
                                              if t.objectName() == name and t.isVisible()) or found), timeout=WAIT)
    return found[0]


def test_view_history_then_delete_with_confirmation(qtbot, window_factory, profile):
    from PySide6.QtWidgets import QApplication, QMessageBox

    from gui.screens.records import RecordDialog

    rid = _saved_household(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 1, timeout=WAIT)
    r.table.selectRow(0)
    assert r.selected_id() == rid
    r.on_view_clicked()
    qtbot.waitUntil(lambda: any(isinstance(t, RecordDialog) and t.isVisible() for t in QApplication.topLevelWidgets()),
                    timeout=WAIT)
    dialog = next(t for t in QApplication.topLevelWidgets() if isinstance(t, RecordDialog) and t.isVisible())
    dialog.close()
    # Delete asks first; Cancel keeps the record.
    assert r.selected_id() == rid  # still selected, whatever reloaded the list meanwhile
    r.on_delete_clicked()
    box = _shown_box(qtbot, "confirmDelete")
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert r.model.rowCount() == 1
    r.table.selectRow(0)
    assert r.selected_id() == rid
    r.on_delete_clicked()
    box = _shown_box(qtbot, "confirmDelete")
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: r.model.rowCount() == 0, timeout=WAIT)
    assert w.store.get_record(rid).deleted


def test_deleting_a_record_from_the_list_deletes_its_photo_parts(qtbot, window_factory, profile):
    # Delete in the records list takes the record's attachment parts with it, each a synced delete.
    from PySide6.QtWidgets import QMessageBox

    from forms.media import ATTACHMENT_KIND, PART_BYTES, attachment_parts

    rid = _saved_household(profile)
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    with store.atomic():
        store.edit_record(rid, {"photo": "1732812345678.jpg"})
        for fields in attachment_parts(os.urandom(PART_BYTES + 9), record=rid, question="photo",
                                       name="1732812345678.jpg"):
            store.save_record(ATTACHMENT_KIND, fields, form_id="household_needs")
        # An edit of it, begun with a new photo and not finished: it goes too.
        edit = store.save_record(DRAFT_KIND, {"_editing": rid, "photo": "1732812349999.jpg"}, form_id="household_needs")
        for fields in attachment_parts(b"new synthetic photo", record=edit, question="photo", name="1732812349999.jpg"):
            store.save_record("draft_file", fields, form_id="household_needs")
    store.close()
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 1, timeout=WAIT)
    r.table.selectRow(0)
    r.on_delete_clicked()
    _shown_box(qtbot, "confirmDelete").button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: r.model.rowCount() == 0, timeout=WAIT)
    with w.ctx.tasks.store_lock:
        assert list(w.store.list_records(ATTACHMENT_KIND)) == []
        parts = [p for p in w.store.list_records(ATTACHMENT_KIND, include_deleted=True)]
        deletes = {c.record_id for c in w.store.pending_changes(limit=100) if c.deleted}
    assert len(parts) == 2 and deletes == {rid, *(p.id for p in parts)}
    with w.ctx.tasks.store_lock:
        assert list(w.store.list_records(DRAFT_KIND)) == [] and list(w.store.list_records("draft_file")) == []


def test_wipe_needs_the_word_then_the_profile_cannot_be_opened(qtbot, window_factory, profile, monkeypatch):
    import pytest
    from PySide6.QtWidgets import QInputDialog

    from storage.errors import StorageError

    _saved_household(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("settings")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("wipe it", True)))
    w.settings.on_wipe_clicked()
    assert "Nothing was wiped" in w.settings.message.text()
    assert w.store.count_records() == 1
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("WIPE", True)))
    w.settings.on_wipe_clicked()
    qtbot.waitUntil(lambda: "wiped" in getattr(w.centralWidget(), "text", str)(), timeout=WAIT)
    with pytest.raises(StorageError):
        Store.open(profile)


def test_focus_lands_on_a_choice_not_on_its_row(qtbot, window_factory, profile):
    """Opening a form and "Finalise" with errors put the keyboard on the first question's
    own control: for radio buttons, the checked one (else the first), where Space works."""
    from PySide6.QtWidgets import QApplication, QRadioButton

    w = window_factory(profile)
    unlock(qtbot, w)
    screen = w.open_form("household_needs")
    consent = screen.rows[("consent", ())]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    first = consent.group.buttons()[0]
    assert QApplication.focusWidget() is first and isinstance(first, QRadioButton)
    qtbot.keyClick(first, Qt.Key.Key_Space)
    assert first.isChecked() and screen.session.get("consent") == consent.q.choices[0].name
    # With consent given, the first error is further down; back at the top, the checked box gets the keyboard.
    screen.on_finalise_clicked()
    assert QApplication.focusWidget() is not first
    consent.focus()
    assert QApplication.focusWidget() is first and first.isChecked()
