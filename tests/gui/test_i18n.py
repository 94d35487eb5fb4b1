"""Every user-facing string in gui/ has a Ukrainian translation, and the shipped .qm carries it."""
from __future__ import annotations

from PySide6.QtCore import QTranslator

from gui import i18n


def test_every_source_string_has_a_ukrainian_translation():
    translations = i18n.read_ts(i18n.ts_path("uk"))
    missing = [s for s in i18n.source_strings() if not translations.get(s)]
    assert missing == []


def test_the_compiled_qm_matches_the_ts(qapp):
    translator = QTranslator()
    assert translator.load(str(i18n.qm_path("uk")))
    translations = i18n.read_ts(i18n.ts_path("uk"))
    stale = [s for s, t in translations.items() if translator.translate(i18n.CONTEXT, s) != t]
    assert stale == []
    assert translator.translate(i18n.CONTEXT, "Sync now") == "Синхронізувати"


def test_the_checker_sees_a_new_untranslated_string(tmp_path):
    # Control: a tr() call that the .ts lacks must be found.
    (tmp_path / "screen.py").write_text('from gui.i18n import tr\nLABEL = tr("A string nobody translated")\n')
    found = i18n.source_strings(tmp_path)
    assert found == ["A string nobody translated"]
    assert not i18n.read_ts(i18n.ts_path("uk")).get(found[0])


def test_switching_to_ukrainian_translates_the_window(qtbot, window_factory, profile):
    from gui_helpers import unlock

    w = window_factory(profile)
    unlock(qtbot, w)
    w.settings.language.setCurrentIndex(w.settings.language.findData("uk"))
    qtbot.waitUntil(lambda: w.nav.item(0).text() == "Головна", timeout=5000)
    assert w.sync_button.text() == "Синхронізувати"
    assert w.ctx.prefs.language == "uk"
    w.settings.language.setCurrentIndex(w.settings.language.findData("en"))
    qtbot.waitUntil(lambda: w.nav.item(0).text() == "Home", timeout=5000)
