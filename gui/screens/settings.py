"""Settings: language, auto-lock, enrollment, passphrase, recovery status, wipe."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from storage.errors import EmptyPassphrase, WrongPassphrase

from .. import enroll
from ..context import Context
from ..errors import message_for
from ..i18n import tr
from ..widgets import MessageLabel

WIPE_WORD = "WIPE"  # also accepted in any interface language: the command line's word


def wipe_word() -> str:
    """The word typed to confirm a wipe, in the interface language (СТЕРТИ in Ukrainian): a
    person must not need a Latin keyboard layout to act on a seized laptop."""
    return tr("WIPE")


class SettingsScreen(QWidget):
    language_changed = Signal(str)
    autolock_changed = Signal(int)  # minutes: the window re-arms its idle timer at once
    wiped = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("settings")
        lay = QVBoxLayout(self)
        title = QLabel(tr("Settings"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)

        general = QGroupBox(tr("This laptop"))
        gf = QFormLayout(general)
        self.language = QComboBox()
        self.language.setObjectName("settingsLanguage")
        self.language.addItem("English", "en")
        self.language.addItem("Українська", "uk")
        self.language.setCurrentIndex(self.language.findData(ctx.prefs.language))
        self.language.currentIndexChanged.connect(lambda i: self.language_changed.emit(self.language.itemData(i)))
        gf.addRow(tr("Interface language:"), self.language)
        self.autolock = QSpinBox()
        self.autolock.setObjectName("settingsAutolock")
        self.autolock.setRange(1, 240)
        self.autolock.setSuffix(tr(" min"))
        self.autolock.setValue(ctx.prefs.autolock_minutes)
        self.autolock.valueChanged.connect(self.on_autolock_changed)
        gf.addRow(tr("Lock after idle:"), self.autolock)
        lay.addWidget(general)

        enroll = QGroupBox(tr("Server enrollment"))
        ef = QFormLayout(enroll)
        self.enrolled = QLabel()
        self.enrolled.setWordWrap(True)
        ef.addRow(tr("Status:"), self.enrolled)
        self.url = QLineEdit()
        self.url.setObjectName("settingsUrl")
        self.url.setPlaceholderText("http://hub.example:8765")
        ef.addRow(tr("Server address:"), self.url)
        self.code = QLineEdit()
        self.code.setObjectName("settingsCode")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX")
        self.url.returnPressed.connect(self.code.setFocus)
        self.code.returnPressed.connect(self.on_enroll_clicked)
        ef.addRow(tr("One-time code:"), self.code)
        self.enroll_button = QPushButton(tr("Enroll"))
        self.enroll_button.setObjectName("settingsEnroll")
        self.enroll_button.clicked.connect(self.on_enroll_clicked)
        ef.addRow("", self.enroll_button)
        self.enroll_message = MessageLabel()  # next to the fields it is about
        ef.addRow(self.enroll_message)
        lay.addWidget(enroll)

        security = QGroupBox(tr("Passphrase and recovery"))
        sf = QFormLayout(security)
        self.current_pass = QLineEdit()
        self.current_pass.setObjectName("settingsCurrentPass")
        self.current_pass.setEchoMode(QLineEdit.EchoMode.Password)
        sf.addRow(tr("Current passphrase:"), self.current_pass)
        self.new_pass = QLineEdit()
        self.new_pass.setObjectName("settingsNewPass")
        self.new_pass.setEchoMode(QLineEdit.EchoMode.Password)
        sf.addRow(tr("New passphrase:"), self.new_pass)
        self.new_pass2 = QLineEdit()
        self.new_pass2.setEchoMode(QLineEdit.EchoMode.Password)
        sf.addRow(tr("New passphrase again:"), self.new_pass2)
        change = self.change_button = QPushButton(tr("Change passphrase"))
        change.clicked.connect(self.on_change_passphrase_clicked)
        sf.addRow("", change)
        self.pass_message = MessageLabel()  # next to the passphrase fields, not at the foot of the screen
        sf.addRow(self.pass_message)
        self.recovery = QLabel()
        self.recovery.setWordWrap(True)
        sf.addRow(tr("Recovery key:"), self.recovery)
        lay.addWidget(security)

        danger = QGroupBox(tr("Lost or seized laptop"))
        dl = QHBoxLayout(danger)
        warn = QLabel(tr("Wiping destroys the keys: nothing on this laptop can be read again, by anyone. "
                         "Changes not yet synced are lost."))
        warn.setWordWrap(True)
        dl.addWidget(warn, 1)
        wipe = QPushButton(tr("Wipe this profile…"))
        wipe.setObjectName("settingsWipe")
        wipe.clicked.connect(self.on_wipe_clicked)
        dl.addWidget(wipe)
        lay.addWidget(danger)
        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        lay.addStretch(1)
        self.reload()

    def reload(self) -> None:
        if self.ctx.store is None:
            return

        def read(st) -> tuple:
            return st.sync_settings(), st.keyring.recovery_slot() is not None

        self.ctx.run(read, self.on_loaded)

    def on_loaded(self, result: tuple) -> None:
        settings, has_recovery = result
        if settings:
            self.enrolled.setText(tr("Enrolled with {url} (team {team}).").format(
                url=settings.get("server_url", ""), team=settings.get("team", "")))
        else:
            self.enrolled.setText(tr("Not enrolled: this laptop syncs only by USB bundle."))
        self.recovery.setText(tr("Set. It was shown once when the profile was created.") if has_recovery
                              else tr("None. Ask your supervisor to issue one."))

    def on_autolock_changed(self, minutes: int) -> None:
        self.ctx.prefs.autolock_minutes = minutes
        self.autolock_changed.emit(minutes)

    def on_enroll_clicked(self) -> None:
        client = self.ctx.client
        if client is None:  # locked meanwhile
            return

        def done(settings: dict) -> None:
            self.code.clear()
            self.url.setText(settings["server_url"])  # as used: with its scheme
            self.enroll_message.setText(tr("Enrolled with {url}. Sync starts now.").format(url=settings["server_url"]))
            self.reload()
            self.ctx.sync_now()

        enroll.start(self.ctx, client, self.url, self.code, self.enroll_message, self.enroll_button, done, owner=self)

    def on_change_passphrase_clicked(self) -> None:
        current, p1, p2 = self.current_pass.text(), self.new_pass.text(), self.new_pass2.text()
        if p1 != p2:
            self.pass_message.setText(tr("The two passphrases differ. Type the same one twice."))
            self.new_pass2.setFocus()
            self.new_pass2.selectAll()
            return
        kdf = self.ctx.kdf

        def work(st) -> None:
            # An unlocked laptop left alone must not let anyone set a new passphrase.
            st.check_passphrase(st.user_name, current)
            st.change_passphrase(st.user_name, p1, kdf=kdf)

        def done(_r) -> None:
            self.current_pass.clear()
            self.new_pass.clear()
            self.new_pass2.clear()
            self.change_button.setEnabled(True)
            self.pass_message.setText(tr("Passphrase changed. Use the new one from now on."))

        def failed(exc: BaseException) -> None:
            self.change_button.setEnabled(True)
            self.pass_message.setText(message_for(exc))
            field = self.current_pass if isinstance(exc, (WrongPassphrase, EmptyPassphrase)) else self.new_pass
            field.setFocus()
            field.selectAll()

        self.change_button.setEnabled(False)
        self.pass_message.setText(tr("Changing the passphrase…"))
        self.ctx.run(work, done, failed, owner=self)

    def on_wipe_clicked(self) -> None:
        word = wipe_word()
        text, ok = QInputDialog.getText(self, tr("Wipe this profile"),
                                        tr("This cannot be undone. Type {word} to destroy the keys of this profile."
                                           ).format(word=word))
        if ok and text.strip().casefold() in {word.casefold(), WIPE_WORD.casefold()}:
            self.ctx.run(lambda st: st.wipe(), lambda _r: self.wiped.emit(),
                         lambda exc: self.message.setText(message_for(exc)))
        elif ok:
            self.message.setText(tr("Nothing was wiped: the word did not match."))
