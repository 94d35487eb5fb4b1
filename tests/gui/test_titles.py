"""Form titles follow the interface language on Home and Records, and the form language on the form."""
from __future__ import annotations

import pytest

from gui_helpers import unlock

from gui.context import Prefs

TITLES = {"uk": "Оцінювання потреб домогосподарства", "en": "Household needs assessment"}


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_home_and_records_show_form_titles_in_the_interface_language(qtbot, window_factory, profile, lang):
    Prefs(profile).language = lang
    w = window_factory(profile)
    unlock(qtbot, w)
    assert w.home.form_buttons["household_needs"].text() == TITLES[lang]
    assert w.ctx.form_title("household_needs", lang) == TITLES[lang]  # the text comes from the form itself
    box = w.records.form_box
    assert box.itemText(box.findData("household_needs")) == TITLES[lang]
    other = "en" if lang == "uk" else "uk"
    assert all(w.home.form_buttons[f].text() != w.ctx.form_title(f, other) for f in w.home.form_buttons)


def test_the_form_header_and_window_title_follow_the_form_language(qtbot, window_factory, profile):
    Prefs(profile).language = "uk"
    w = window_factory(profile)
    unlock(qtbot, w)
    screen = w.open_form("household_needs")
    assert screen.title.text() == TITLES["uk"]
    assert TITLES["uk"] in w.windowTitle()
    screen.lang_box.setCurrentIndex(screen.lang_box.findData("English (en)"))
    assert screen.title.text() == TITLES["en"]
    assert TITLES["en"] in w.windowTitle()
    w.show_screen("home")
    assert TITLES["en"] not in w.windowTitle() and TITLES["uk"] not in w.windowTitle()
