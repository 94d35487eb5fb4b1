"""Locking holds across every change of settings: Ctrl+L works and the idle lock fires."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui_helpers import PASSPHRASE, WAIT, unlock

import gui.window
from gui.context import Prefs

MINUTE_MS = 1000  # one "minute" of the auto-lock setting, shortened for the tests


def change_setting(qtbot, w, setting: str) -> None:
    """Change one setting on the Settings screen, with keys and clicks as a person does."""
    w.show_screen("settings")
    s = w.settings
    if setting == "language":
        s.language.setFocus()
        qtbot.keyClick(s.language, Qt.Key.Key_Down)  # English -> Українська
        qtbot.waitUntil(lambda: w.ctx.prefs.language == "uk" and w.settings is not s, timeout=WAIT)
    elif setting == "autolock":
        s.autolock.setFocus()
        s.autolock.selectAll()
        qtbot.keyClicks(s.autolock, "3")
        assert w.ctx.prefs.autolock_minutes == 3
    elif setting == "passphrase":
        qtbot.keyClicks(s.current_pass, PASSPHRASE)
        qtbot.keyClicks(s.new_pass, "another synthetic passphrase 2")
        qtbot.keyClicks(s.new_pass2, "another synthetic passphrase 2")
        qtbot.mouseClick(s.change_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "changed" in s.pass_message.text(), timeout=WAIT)
    elif setting == "enroll":
        qtbot.keyClicks(s.url, "http://127.0.0.1:9")  # nothing listens there: enrollment fails
        qtbot.keyClicks(s.code, "AAAA-BBBB-CCCC-DDDD")
        qtbot.mouseClick(s.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: s.enroll_button.isEnabled() and s.enroll_message.text() not in ("", "Enrolling…"),
                        timeout=WAIT)
    else:
        raise AssertionError(setting)


def passphrase_after(setting: str) -> str:
    return "another synthetic passphrase 2" if setting == "passphrase" else PASSPHRASE


@pytest.mark.parametrize("setting", ["language", "autolock", "passphrase", "enroll"])
def test_ctrl_l_locks_after_changing_a_setting(qtbot, window_factory, profile, setting):
    w = window_factory(profile)
    unlock(qtbot, w)
    change_setting(qtbot, w, setting)
    assert w.lock_action.isEnabled()
    target = QApplication.focusWidget() or w
    qtbot.keyClick(target, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=WAIT)
    assert w.ctx.store is None and not w.lock_action.isEnabled()


@pytest.mark.parametrize("setting", ["language", "autolock", "passphrase", "enroll"])
def test_idle_lock_fires_after_changing_a_setting(qtbot, window_factory, profile, monkeypatch, setting):
    monkeypatch.setattr(gui.window, "MINUTE_MS", MINUTE_MS)
    # Set before this unlock: 2 "minutes"; for the auto-lock test 30, past the test's wait, so
    # only the new value, taking effect at once, can lock it in time.
    Prefs(profile).autolock_minutes = 30 if setting == "autolock" else 2
    w = window_factory(profile)
    unlock(qtbot, w)
    change_setting(qtbot, w, setting)
    want = (3 if setting == "autolock" else 2) * MINUTE_MS
    assert w.idle.isActive() and w.idle.interval() == want
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=want + 3000)
    assert w.ctx.store is None and not w.lock_action.isEnabled()
    # ... and after unlocking again, it still locks by itself.
    unlock(qtbot, w, passphrase_after(setting))
    assert w.lock_action.isEnabled() and w.idle.isActive() and w.idle.interval() == want
    qtbot.waitUntil(lambda: w.centralWidget().objectName() == "unlock", timeout=want + 3000)
