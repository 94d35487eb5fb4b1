"""Unlock: choose the user, type the passphrase; key derivation runs off the GUI thread."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from storage import Store
from storage.errors import WrongPassphrase

from ..context import Context
from ..errors import message_for
from ..i18n import tr

FREE_TRIES = 3        # after this many wrong tries, each one waits longer
MAX_DELAY_S = 30


def retry_delay(failures: int) -> int:
    """Seconds to wait before the next try: none at first, then 2, 4, 8 ... up to 30."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_DELAY_S, 2 ** (failures - FREE_TRIES + 1))


class UnlockScreen(QWidget):
    unlocked = Signal(object)  # the unlocked Store

    def __init__(self, ctx: Context, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.store = ctx, store
        self.failures = 0
        self.wait_left = 0
        self.setObjectName("unlock")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        panel = QWidget()
        panel.setMaximumWidth(520)
        lay = QVBoxLayout(panel)
        title = QLabel(tr("Fieldbook is locked"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)
        form = QFormLayout()
        self.user = QComboBox()
        self.user.setObjectName("unlockUser")
        self.user.addItems(store.users())
        form.addRow(tr("User:"), self.user)
        self.user.setVisible(len(store.users()) > 1)
        form.labelForField(self.user).setVisible(len(store.users()) > 1)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("unlockPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.returnPressed.connect(self.on_unlock_clicked)
        form.addRow(tr("Passphrase:"), self.passphrase)
        lay.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("unlockMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        lay.addWidget(self.busy)
        row = QHBoxLayout()
        row.addStretch(1)
        self.button = QPushButton(tr("Unlock"))
        self.button.setObjectName("unlockButton")
        self.button.clicked.connect(self.on_unlock_clicked)
        row.addWidget(self.button)
        lay.addLayout(row)
        h = QHBoxLayout()
        h.addStretch(1)
        h.addWidget(panel)
        h.addStretch(1)
        outer.addLayout(h)
        outer.addStretch(2)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self.on_countdown)
        self.passphrase.setFocus()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def on_unlock_clicked(self) -> None:
        if self.wait_left > 0 or not self.button.isEnabled():
            return
        secret = self.passphrase.text()
        user = self.user.currentText() or None
        store = self.store
        self.button.setEnabled(False)
        self.passphrase.setEnabled(False)
        self.busy.show()
        self.message.setText(tr("Unlocking…"))
        self.ctx.tasks.store(lambda: store.unlock(secret, user), self.on_unlock_done, self.on_unlock_failed)

    def on_unlock_done(self, _result: object) -> None:
        self.busy.hide()
        self.passphrase.clear()
        self.failures = 0
        self.unlocked.emit(self.store)

    def on_unlock_failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.passphrase.setEnabled(True)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        if isinstance(exc, WrongPassphrase):
            self.failures += 1
            self.wait_left = retry_delay(self.failures)
        self.message.setText(message_for(exc))
        if self.wait_left:
            self.countdown.start()
            self.on_countdown(first=True)
        else:
            self.button.setEnabled(True)

    def on_countdown(self, first: bool = False) -> None:
        if not first:
            self.wait_left -= 1
        if self.wait_left <= 0:
            self.countdown.stop()
            self.button.setEnabled(True)
            self.button.setText(tr("Unlock"))
            return
        self.button.setText(tr("Try again in {n} s").format(n=self.wait_left))
