"""An enumerator's first day: the wizard's language, enrollment, USB, the last sync, recovery at
unlock, and the smaller things on the wizard and Settings (issue 13, items 10-15)."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from gui_helpers import PASSPHRASE, WAIT, unlock
from storage import Store
from sync_helpers import LiveServer, make_hub


@pytest.fixture
def live(tmp_path):
    hub = make_hub(tmp_path / "live-hub")
    with LiveServer(hub) as server:
        yield server
    hub.close()


def _enrolled_and_synced_once(profile, tmp_path, url: str = "http://127.0.0.1:9") -> float:
    """Enroll ``profile`` with an in-process hub filed under ``url``, and sync once; returns when."""
    from sync.client import SyncClient
    from sync_helpers import HubTransport, make_hub

    hub = make_hub(tmp_path / "hub")
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    try:
        client = SyncClient(store, transport=HubTransport(hub))
        client.enroll(url, hub.new_enroll_code("north"))
        before = time.time()
        client.sync_now()
        return before
    finally:
        store.close()
        hub.close()


# -- 13: the last sync survives a restart offline ---------------------------------------------------
def test_the_last_sync_is_remembered_after_a_restart_offline(qtbot, window_factory, profile, tmp_path):
    synced = _enrolled_and_synced_once(profile, tmp_path)  # filed under a port where nothing listens
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: w.ctx.last_state.state == "offline", timeout=WAIT)
    last = w.ctx.last_state.last_sync
    assert last is not None and synced <= last <= synced + 60
    assert w.last_label.text() == "last sync " + time.strftime("%Y-%m-%d %H:%M", time.localtime(last))
    # It lives in the store's sync state, not in a file beside it.
    files = {p.name for p in profile.parent.iterdir()}
    assert not any("sync" in name for name in files - {profile.name}), files


# -- 11: enrollment errors say what is wrong, and put the keyboard where it is fixed ------------------
def _to_enroll_page(qtbot, w):
    from gui.screens.wizard import WizardScreen

    wiz = w.centralWidget()
    assert isinstance(wiz, WizardScreen)
    qtbot.keyClicks(wiz.name, "Enumerator One")
    qtbot.keyClicks(wiz.pass1, PASSPHRASE)
    qtbot.keyClicks(wiz.pass2, PASSPHRASE)
    qtbot.keyClick(wiz.pass2, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wiz.pages.currentIndex() == 1, timeout=WAIT)
    wiz.written.click()
    qtbot.mouseClick(wiz.next, Qt.MouseButton.LeftButton)
    assert wiz.pages.currentIndex() == 2
    # The language shown (the system's, untouched) is kept as the choice once the profile exists.
    ini = w.ctx.profile.parent / f".{w.ctx.profile.name}-gui.ini"
    assert f"language={wiz.language.currentData()}" in ini.read_text()
    return wiz


def _unknown_code(real: str) -> str:
    """A code of the right shape that the hub never issued."""
    first = "B" if real[0] != "B" else "C"
    return first + real[1:]


def test_wizard_enrolls_with_an_address_typed_without_http_and_a_wrong_code_gets_the_focus(
        qtbot, window_factory, tmp_path, live):
    from PySide6.QtWidgets import QApplication

    w = window_factory(tmp_path / "new")
    wiz = _to_enroll_page(qtbot, w)
    host_port = "localhost:" + live.url.rsplit(":", 1)[1]
    code = live.hub.new_enroll_code("north")
    wiz.url.setFocus()
    qtbot.keyClicks(wiz.url, host_port)
    qtbot.keyClick(wiz.url, Qt.Key.Key_Return)              # on to the code
    assert QApplication.focusWidget() is wiz.code
    qtbot.keyClicks(wiz.code, _unknown_code(code))
    qtbot.keyClick(wiz.code, Qt.Key.Key_Return)             # enroll
    qtbot.waitUntil(lambda: wiz.enroll.isEnabled() and "code" in wiz.enroll_error.text(), timeout=WAIT)
    text = wiz.enroll_error.text()
    assert "did not accept this code" in text and "cannot be reached" not in text
    assert f"No http:// or https:// was typed, so this address is used: http://{host_port}" in text
    assert QApplication.focusWidget() is wiz.code and wiz.code.selectedText() == wiz.code.text()

    qtbot.keyClicks(wiz.code, "K7QP")                         # replaces the selected code: now mistyped
    qtbot.keyClick(wiz.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wiz.enroll.isEnabled() and "mistyped" in wiz.enroll_error.text(), timeout=WAIT)
    assert QApplication.focusWidget() is wiz.code

    wiz.code.selectAll()
    qtbot.keyClicks(wiz.code, code)
    qtbot.keyClick(wiz.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)
    with w.ctx.tasks.store_lock:
        assert w.store.sync_settings()["server_url"] == f"http://{host_port}"


def test_settings_says_no_server_answered_at_the_address_and_keeps_the_focus_there(qtbot, window_factory, profile):
    from PySide6.QtWidgets import QApplication

    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("settings")
    s = w.settings
    s.url.setFocus()
    qtbot.keyClicks(s.url, "127.0.0.1:9")                    # nothing listens there
    qtbot.keyClick(s.url, Qt.Key.Key_Return)
    qtbot.keyClicks(s.code, "K7QP-3MZD-XW9A-HT4R")
    qtbot.keyClick(s.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.enroll_button.isEnabled() and "No server answered" in s.enroll_message.text(),
                    timeout=WAIT)
    assert "http://127.0.0.1:9" in s.enroll_message.text()
    assert QApplication.focusWidget() is s.url
    # Shown in the enrollment group, not at the foot of the screen.
    assert s.enroll_message.parentWidget() is s.enroll_button.parentWidget()

    s.url.selectAll()
    qtbot.keyClicks(s.url, "ftp://hub.example")
    qtbot.keyClick(s.code, Qt.Key.Key_Return)
    assert "http:// or https://" in s.enroll_message.text() and QApplication.focusWidget() is s.url


# -- 12: USB errors say what happened; the message goes when the person leaves; an Open dialog ----------
@pytest.fixture
def english_after(qapp):
    """A test that opens the window in Ukrainian leaves the app in English for the next."""
    yield
    from gui import i18n

    i18n.install(qapp, "en")


def _import_from(qtbot, w, path) -> str:
    s = w.sync_screen
    s.path.clear()
    qtbot.keyClicks(s.path, str(path))
    qtbot.mouseClick(s.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.import_button.isEnabled() and s.result.text() not in ("", "Working…"), timeout=WAIT)
    return s.result.text()


def test_usb_says_when_there_is_no_file_or_no_stick_and_forgets_it_on_leaving(qtbot, window_factory, profile, tmp_path):
    _enrolled_and_synced_once(profile, tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("sync")
    stick = tmp_path / "usb"
    stick.mkdir()
    text = _import_from(qtbot, w, stick / "laptop-07.fbb")
    assert text.startswith(f"There is no file at {stick / 'laptop-07.fbb'}") and "try again" not in text

    text = _import_from(qtbot, w, tmp_path / "media" / "STICK" / "laptop-07.fbb")
    assert f"The folder {tmp_path / 'media' / 'STICK'} does not exist" in text and "not mounted" in text

    s = w.sync_screen
    s.path.clear()
    qtbot.keyClicks(s.path, str(tmp_path / "media" / "STICK" / "out.fbb"))
    qtbot.mouseClick(s.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.export_button.isEnabled() and "not mounted" in s.result.text(), timeout=WAIT)
    assert "nothing was written" in s.result.text()
    assert not (tmp_path / "media").exists()

    w.nav.setFocus()
    qtbot.keyClick(w.nav, Qt.Key.Key_Up)                     # to the screen above, as a person leaves this one
    assert w.stack.currentWidget() is w.desk
    qtbot.keyClick(w.nav, Qt.Key.Key_Down)                   # and back
    assert w.stack.currentWidget() is s
    assert s.result.text() == "" and s.progress.value() == 0
    assert s.path.text().endswith("out.fbb")                 # the path stays: it is still useful


def test_choosing_a_bundle_to_import_opens_a_translated_open_dialog(qtbot, window_factory, profile, tmp_path,
                                                                    english_after):
    from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

    from gui.context import Prefs

    Prefs(profile).language = "uk"
    bundle = tmp_path / "from-hub.fbb"
    bundle.write_bytes(b"not opened in this test")
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("sync")
    s = w.sync_screen
    s.path.setText(str(tmp_path / "x.fbb"))                  # the dialog starts in the typed path's folder
    qtbot.mouseClick(s.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(t, QFileDialog) and t.isVisible() for t in QApplication.topLevelWidgets()),
                    timeout=WAIT)
    dialog = next(t for t in QApplication.topLevelWidgets() if isinstance(t, QFileDialog) and t.isVisible())
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptOpen
    assert dialog.fileMode() == QFileDialog.FileMode.ExistingFile
    assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)  # follows the app's language, not the system's
    assert dialog.windowTitle() == "Виберіть пакет для імпорту"
    assert dialog.labelText(QFileDialog.DialogLabel.Accept) == "Відкрити"
    assert dialog.labelText(QFileDialog.DialogLabel.FileName) == "Назва файлу:"
    assert dialog.directory().absolutePath() == str(tmp_path)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.setFocus()
    qtbot.keyClicks(name, bundle.name)
    qtbot.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.path.text() == str(bundle), timeout=WAIT)

    qtbot.mouseClick(s.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(t, QFileDialog) and t.isVisible() for t in QApplication.topLevelWidgets()),
                    timeout=WAIT)
    dialog = next(t for t in QApplication.topLevelWidgets() if isinstance(t, QFileDialog) and t.isVisible())
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert dialog.windowTitle() == "Виберіть, куди експортувати пакет"
    dialog.reject()


# -- 10: the wizard speaks the person's language, chosen on its first page ------------------------------
def _title(wiz) -> str:
    from PySide6.QtWidgets import QLabel

    return wiz.findChild(QLabel, "screenTitle").text()


def test_the_wizard_starts_in_the_systems_language_and_switches_live(qtbot, window_factory, tmp_path, monkeypatch,
                                                                      english_after):
    from PySide6.QtWidgets import QApplication

    from gui import context
    from gui.context import Prefs

    monkeypatch.setattr(context, "system_language", lambda: "uk")
    w = window_factory(tmp_path / "new")
    wiz = w.centralWidget()
    assert _title(wiz) == "Ласкаво просимо до Fieldbook" and wiz.language.currentText() == "Українська"
    assert wiz.create.text() == "Створити профіль" and w.lock_action.text() == "Заблокувати зараз"

    # The first control Tab reaches, and arrows choose: no mouse needed.
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT)
    wiz.name.setFocus()
    qtbot.keyClick(wiz.name, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is wiz.language
    qtbot.keyClicks(wiz.pass1, "short")
    qtbot.keyClick(wiz.language, Qt.Key.Key_Up)                # to English
    assert wiz.language.currentData() == "en"
    assert _title(wiz) == "Welcome to Fieldbook" and wiz.create.text() == "Create profile"
    assert wiz.meter_text.text() == "Too short: use at least 8 characters."   # the live hint too
    assert w.lock_action.text() == "Lock now" and w.windowTitle() == "Fieldbook"
    assert Prefs(tmp_path / "new").language == "en"            # kept as the interface language

    qtbot.keyClick(wiz.language, Qt.Key.Key_Down)              # and back to Ukrainian: the later pages follow
    wiz.pass1.clear()
    qtbot.keyClicks(wiz.name, "Enumerator One")
    qtbot.keyClicks(wiz.pass1, PASSPHRASE)
    qtbot.keyClicks(wiz.pass2, PASSPHRASE)
    qtbot.keyClick(wiz.pass2, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wiz.pages.currentIndex() == 1, timeout=WAIT)
    assert wiz.written.text() == "Я його записав(-ла)"
    wiz.written.click()
    qtbot.mouseClick(wiz.next, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wiz.findChild(type(wiz.next), "wizardSkip"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)
    assert w.nav.item(0).text() == "Головна"
    assert Prefs(tmp_path / "new").language == "uk"


def test_the_wizard_defaults_to_english_on_a_system_in_another_language(qtbot, window_factory, tmp_path, monkeypatch):
    from gui import context

    monkeypatch.setattr(context, "system_language", lambda: "en")
    w = window_factory(tmp_path / "new")
    wiz = w.centralWidget()
    assert _title(wiz) == "Welcome to Fieldbook" and wiz.language.currentData() == "en"


# -- 15: the strength bar tells "too short" from "weak" --------------------------------------------------
def test_the_strength_bar_shows_too_short_and_weak_differently(qtbot, window_factory, tmp_path):
    w = window_factory(tmp_path / "new")
    wiz = w.centralWidget()

    def shown(text: str):
        wiz.pass1.clear()
        qtbot.keyClicks(wiz.pass1, text)
        return wiz.meter.value(), wiz.meter_text.text(), wiz.meter.grab().toImage()

    empty = shown("")
    short = shown("short")
    weak = shown("abcdefgh")
    fair = shown("abcdefgh ijk")
    assert short[1].startswith("Too short") and weak[1].startswith("Weak") and fair[1].startswith("Fair")
    assert empty[0] < short[0] < weak[0] < fair[0]
    # As drawn: not empty when too short, and not the same bar for too short and weak.
    assert short[2] != empty[2] and short[2] != weak[2] and weak[2] != fair[2]


# -- 14: a forgotten passphrase: the recovery key at unlock, then a new passphrase -------------------------
def test_unlock_with_the_recovery_key_then_a_new_passphrase_for_the_chosen_user(qtbot, window_factory, tmp_path):
    import threading

    from PySide6.QtWidgets import QApplication

    from gui.screens.unlock import UnlockScreen
    from storage import crypto
    from storage.errors import WrongPassphrase

    profile = tmp_path / "shared"
    store, recovery = Store.create(profile, user="Enumerator One", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    store.add_user("Enumerator Two", "second synthetic passphrase", kdf=crypto.fast_kdf_for_tests())
    store.close()
    w = window_factory(profile)
    qtbot.waitUntil(lambda: isinstance(w.centralWidget(), UnlockScreen), timeout=WAIT)
    u = w.centralWidget()
    threads = []
    change = w.store.change_passphrase
    w.store.change_passphrase = lambda *a, **k: (threads.append(threading.current_thread()), change(*a, **k))[1]
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT)
    u.user.setCurrentIndex(u.user.findText("Enumerator Two"))
    u.passphrase.setFocus()
    focus = QApplication.focusWidget

    # Tab reaches the way in; Return takes it.
    qtbot.keyClick(u.passphrase, Qt.Key.Key_Tab)
    assert focus() is u.recover_button
    qtbot.keyClick(u.recover_button, Qt.Key.Key_Return)
    assert u.pages.currentIndex() == u.RECOVERY_KEY and focus() is u.key
    qtbot.keyClick(u.key, Qt.Key.Key_Escape)                   # Escape steps back
    assert u.pages.currentIndex() == u.PASSPHRASE
    u.on_use_recovery_clicked()

    qtbot.keyClicks(u.key, "ABCD-EFGH")                         # mistyped
    qtbot.keyClick(u.key, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "mistyped" in u.message.text(), timeout=WAIT)
    assert focus() is u.key and u.pages.currentIndex() == u.RECOVERY_KEY
    qtbot.keyClicks(u.key, crypto.new_recovery_key()[0])       # well formed, but another profile's
    qtbot.keyClick(u.key, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not belong" in u.message.text(), timeout=WAIT)
    assert focus() is u.key
    qtbot.keyClicks(u.key, recovery.lower().replace("-", " "))  # as someone types it off paper
    qtbot.keyClick(u.key, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: u.pages.currentIndex() == u.NEW_PASSPHRASE, timeout=WAIT)
    assert focus() is u.new_pass and u.new_user.currentText() == "Enumerator Two"
    assert not w.store.unlocked                                 # locked while the new passphrase is chosen

    new = "a new synthetic passphrase"
    qtbot.keyClicks(u.new_pass, new)
    qtbot.keyClick(u.new_pass, Qt.Key.Key_Return)               # on to the second field
    assert focus() is u.new_pass2
    qtbot.keyClicks(u.new_pass2, new + "x")
    qtbot.keyClick(u.new_pass2, Qt.Key.Key_Return)
    assert "differ" in u.message.text() and focus() is u.new_pass2
    qtbot.keyClicks(u.new_pass2, new)                           # replaces the selected text
    qtbot.keyClick(u.new_pass2, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: hasattr(w, "home") and w.centralWidget() is not u, timeout=WAIT)
    assert w.store.user_name == "Enumerator Two"
    assert threads and threads[0] is not threading.main_thread()  # the key derivation ran off the GUI thread

    check = Store.open(profile)
    try:
        check.check_passphrase("Enumerator Two", new)
        check.check_passphrase("Enumerator One", PASSPHRASE)   # the other user is untouched
        with pytest.raises(WrongPassphrase):
            check.check_passphrase("Enumerator Two", "second synthetic passphrase")
        check.unlock_with_recovery_key(recovery)                # the recovery key stays
    finally:
        check.close()


# -- 15: the change-passphrase error beside its fields; the wipe word in the interface language ------------
def test_a_wrong_current_passphrase_is_said_beside_the_passphrase_fields(qtbot, window_factory, profile):
    from PySide6.QtWidgets import QApplication, QGroupBox, QLabel

    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("settings")
    s = w.settings
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT)
    s.current_pass.setFocus()
    qtbot.keyClicks(s.current_pass, "not the passphrase")
    qtbot.keyClicks(s.new_pass, "a brand new synthetic passphrase")
    qtbot.keyClicks(s.new_pass2, "a brand new synthetic passphrase")
    qtbot.mouseClick(s.change_button, Qt.MouseButton.LeftButton)

    def shown() -> list[QLabel]:
        return [lab for lab in s.findChildren(QLabel) if lab.isVisible() and "did not open" in lab.text()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=WAIT)
    label = shown()[0]
    groups = {g.title(): g for g in s.findChildren(QGroupBox)}
    passphrase_group, wipe_group = groups["Passphrase and recovery"], groups["Lost or seized laptop"]
    assert passphrase_group.isAncestorOf(label)
    top = label.mapTo(s, label.rect().topLeft()).y()
    assert top < wipe_group.mapTo(s, wipe_group.rect().topLeft()).y()
    assert QApplication.focusWidget() is s.current_pass        # where the fix is typed


def test_wipe_asks_for_the_word_in_the_interface_language(qtbot, window_factory, profile, monkeypatch, english_after):
    from PySide6.QtWidgets import QInputDialog

    from gui.context import Prefs

    Prefs(profile).language = "uk"
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("settings")
    prompts, answers = [], iter([("WIPE?", True), ("стерти", True)])

    def get_text(_parent, _title, prompt, *a, **k):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    w.settings.on_wipe_clicked()
    assert "СТЕРТИ" in prompts[0] and "WIPE" not in prompts[0]
    assert "Нічого не стерто" in w.settings.message.text()
    assert w.store.unlocked
    w.settings.on_wipe_clicked()                                # typed in lower case: still the word
    qtbot.waitUntil(lambda: not (profile / "keyring.json").exists(), timeout=WAIT)
