"""The built-in household registration form, filled from the keyboard and finalised: a new
household is registered (and shown in the Registry), an exact duplicate is blocked and named,
a likely one is asked about; a refused registration keeps its draft."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from gui_helpers import PASSPHRASE, WAIT, answer, unlock

from distributions import registry
from distributions.normalise import make_rnokpp
from rules.names import DRAFT
from storage import Store

EXISTING_TAX = make_rnokpp(dt.date(1975, 3, 14), 3, female=False)
NEW_TAX = make_rnokpp(dt.date(1980, 5, 2), 7, female=True)
EXISTING = {"external_ref": "N-1", "head_name": "Шевченко Олександр Петрович", "dob": "1975-03-14",
            "phone": "+380671234567", "tax_number": EXISTING_TAX, "settlement": "Буча", "import_key": "ref:N-1",
            "card_code": "CQ7X-K69YY"}


def seed(profile) -> None:
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    registry.ensure_indexes(store)
    store.save_record("household", EXISTING)
    store.close()


def type_in(qtbot, s, name: str, text: str, inst: tuple = ()) -> None:
    """Type ``text`` into a text question key by key, then Tab on. Qt's test driver types ASCII only,
    so each other letter goes as the key event a Ukrainian layout sends (its text)."""
    line = s.rows[(name, inst)].line
    s.scroll.ensureWidgetVisible(s.rows[(name, inst)])
    line.setFocus()
    line.selectAll()  # typing replaces what was there
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(line, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(line, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
    assert line.text() == text
    qtbot.keyClick(line, Qt.Key.Key_Tab)


def fill(qtbot, s, *, name: str, dob: str, phone: str, tax: str | None) -> None:
    """As an enumerator fills it: typed text, dates typed as people write them, choices clicked."""
    answer(qtbot, s, "consent", "yes")
    answer(qtbot, s, "consent_date", dt.date.today().strftime("%d.%m.%Y"))
    answer(qtbot, s, "consent_purpose", "registration")
    type_in(qtbot, s, "head_name", name)
    answer(qtbot, s, "head_dob", dob)
    answer(qtbot, s, "phone", phone)
    answer(qtbot, s, "doc_type", "none")
    if tax:
        answer(qtbot, s, "tax_number", tax)
    answer(qtbot, s, "oblast", "UA63")
    answer(qtbot, s, "raion", "UA6314")
    answer(qtbot, s, "hromada", "UA6314003")
    type_in(qtbot, s, "settlement", "Зміїв")
    answer(qtbot, s, "hh_size", "2")
    type_in(qtbot, s, "member_name", "Коваленко Олег", (0,))
    answer(qtbot, s, "member_sex", "male", (0,))
    answer(qtbot, s, "member_dob", "01.01.2010", (0,))
    answer(qtbot, s, "member_relation", "child", (0,))
    answer(qtbot, s, "member_disability", "no", (0,))


def finalise(qtbot, s) -> None:
    qtbot.keyClick(s.finalise_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def shown_box(qtbot, name: str) -> QMessageBox:
    found: list = []
    qtbot.waitUntil(lambda: bool(found.extend(t for t in QApplication.topLevelWidgets()
                                              if t.objectName() == name and t.isVisible()) or found), timeout=WAIT)
    return found[0]


def households(w) -> list:
    return list(w.store.list_records("household"))


def drafts(w) -> list:
    return list(w.store.list_records(DRAFT))


def test_filled_and_finalised_it_registers_a_household_and_shows_it(qtbot, window_factory, profile):
    seed(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    fill(qtbot, s, name="Коваленко Ірина Петрівна", dob="02.05.1980", phone="+380661112233", tax=NEW_TAX)
    assert s.session.errors() == []
    finalise(qtbot, s)
    qtbot.waitUntil(lambda: len(households(w)) == 2, timeout=WAIT)
    new = next(r for r in households(w) if r.fields.get("tax_number") == NEW_TAX)
    assert new.form_id == "household_registration" and new.fields["members"][0]["name"] == "Коваленко Олег"
    assert new.fields["hromada"] == "Зміївська" and new.fields["dob"] == "1980-05-02"
    # The Registry screen opens on the new household, found by its card code.
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.registry, timeout=WAIT)
    assert w.form_screen is None and w.registry.search.text() == new.fields["card_code"]
    qtbot.waitUntil(lambda: getattr(w.registry, "result_ids", None) == [new.id], timeout=WAIT)
    qtbot.waitUntil(lambda: drafts(w) == [], timeout=WAIT)


def test_an_exact_duplicate_is_blocked_in_words_and_the_draft_is_kept(qtbot, window_factory, profile):
    seed(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    fill(qtbot, s, name="Коваленко Ірина Петрівна", dob="02.05.1980", phone="+380661112233", tax=EXISTING_TAX)
    finalise(qtbot, s)
    box = shown_box(qtbot, "alreadyRegistered")
    text = box.text()
    assert "already registered (same tax number)" in text and "Reference: N-1" in text
    assert "Шевченко Олександр Петрович" in text and "Nothing was saved." in text and "draft is kept" in text
    assert "already registered" in s.status.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    assert len(households(w)) == 1 and w.form_screen is s
    qtbot.waitUntil(lambda: len(drafts(w)) == 1, timeout=WAIT)  # the answers so far, kept
    assert drafts(w)[0].fields["tax_number"] == EXISTING_TAX


def test_a_likely_duplicate_is_asked_and_registered_only_when_confirmed(qtbot, window_factory, profile):
    seed(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    # N-1 again, in Latin, with his birth date and phone, and no document: likely, not certain.
    fill(qtbot, s, name="Oleksandr Shevchenko", dob="14.03.1975", phone="+380671234567", tax=None)
    finalise(qtbot, s)
    box = shown_box(qtbot, "likelyDuplicate")
    assert "Шевченко Олександр Петрович" in box.text() and "N-1" in box.text() and "same phone" in box.text()
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Register anyway"
    box.button(QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: s.status.text() == "Not registered. The draft is kept.", timeout=WAIT)
    assert len(households(w)) == 1
    assert not any(e.action == "household_registered_despite_likely_duplicate" for e in w.store.audit_entries())

    finalise(qtbot, s)
    box = shown_box(qtbot, "likelyDuplicate")
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: len(households(w)) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: w.form_screen is None, timeout=WAIT)
    assert [e.action for e in w.store.audit_entries()].count("household_registered_despite_likely_duplicate") == 1
    qtbot.waitUntil(lambda: drafts(w) == [], timeout=WAIT)
    assert w.ctx._kept_registry.loads == 1  # read once, when the form opened; kept in step since


def test_the_outcome_is_shown_in_ukrainian(qtbot, window_factory, profile):
    from gui.context import Prefs

    seed(profile)
    Prefs(profile).language = "uk"
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    assert s.title.text() == "Реєстрація домогосподарства"
    fill(qtbot, s, name="Коваленко Ірина Петрівна", dob="02.05.1980", phone="+380661112233", tax=EXISTING_TAX)
    finalise(qtbot, s)
    box = shown_box(qtbot, "alreadyRegistered")
    assert box.windowTitle() == "Уже зареєстровано"
    assert "Нічого не збережено." in box.text() and "Чернетку збережено" in box.text(), box.text()
    assert "Шевченко Олександр Петрович" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()


def test_an_answer_the_registry_refuses_is_named_and_gets_the_keyboard(qtbot, window_factory, profile, monkeypatch):
    # A form published in the built-in one's place may lack a check the registry makes.
    from distributions import regform
    from distributions.errors import InvalidHousehold

    def refuse(form, fields):
        raise InvalidHousehold("Not registered: dob: not a date.", ["dob"])

    monkeypatch.setattr(regform, "household_entry", refuse)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    fill(qtbot, s, name="Коваленко Ірина Петрівна", dob="02.05.1980", phone="+380661112233", tax=NEW_TAX)
    finalise(qtbot, s)
    qtbot.waitUntil(lambda: s.status.text().startswith("Not registered: check these answers: Date of birth."),
                    timeout=WAIT)
    assert s.rows[("head_dob", ())].isAncestorOf(QApplication.focusWidget())
    assert households(w) == [] and w.form_screen is s
    qtbot.waitUntil(lambda: len(drafts(w)) == 1, timeout=WAIT)


def test_no_name_or_phone_reaches_the_disk_through_the_form(qtbot, window_factory, profile):
    from tests.unit.test_privacy import CANARIES, scan

    seed(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = w.open_form("household_registration")
    fill(qtbot, s, name=CANARIES[1], dob="02.05.1980", phone="+380997654321", tax=EXISTING_TAX)
    finalise(qtbot, s)  # blocked: the draft is kept, with the canaries in it
    shown_box(qtbot, "alreadyRegistered").button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: len(drafts(w)) == 1, timeout=WAIT)
    type_in(qtbot, s, "tax_number", NEW_TAX)
    finalise(qtbot, s)
    qtbot.waitUntil(lambda: len(households(w)) == 2, timeout=WAIT)
    assert scan(profile) == []
    w.close()
    assert scan(profile) == []
