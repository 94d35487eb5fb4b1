"""Unlock: choose the user, type the passphrase, or use the recovery key and set a new one;
key derivation runs off the GUI thread."""
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
from ..passphrase import MIN_PASSPHRASE, PassphraseMeter
from ..widgets import MessageLabel

FREE_TRIES = 3        # after this many wrong tries, each one waits longer
MAX_DELAY_S = 30


def retry_delay(failures: int) -> int:
    """Seconds to wait before the next try: none at first, then 2, 4, 8 ... up to 30."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_DELAY_S, 2 ** (failures - FREE_TRIES + 1))


class _Pages(QWidget):
    """One of several widgets shown at a time. Not a QStackedWidget: that keeps the height of
    its tallest page (at the width where its wrapped text is tallest), which left gaps here."""

    def __init__(self) -> None:
        super().__init__()
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._pages: list[QWidget] = []
        self._current = 0

    def addWidget(self, page: QWidget) -> None:  # noqa: N802 - as QStackedWidget's
        self._pages.append(page)
        self._lay.addWidget(page)
        page.setVisible(len(self._pages) - 1 == self._current)

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self._current = index
        for k, page in enumerate(self._pages):
            page.setVisible(k == index)

    def currentIndex(self) -> int:  # noqa: N802
        return self._current


class UnlockScreen(QWidget):
    """Three pages: the passphrase; or, when it is forgotten, the recovery key, then a new
    passphrase for this user. Every key derivation runs on the store worker."""

    unlocked = Signal(object)  # the unlocked Store
    PASSPHRASE, RECOVERY_KEY, NEW_PASSPHRASE = range(3)

    def __init__(self, ctx: Context, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.store = ctx, store
        self.failures = 0
        self.wait_left = 0
        self.setObjectName("unlock")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        panel = QWidget()
        # As wide on every page (scaled from the font: a larger system font gets a wider panel).
        panel.setFixedWidth(max(560, 80 * panel.fontMetrics().averageCharWidth()))
        lay = QVBoxLayout(panel)
        title = QLabel(tr("Fieldbook is locked"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)
        # The fields of each page, then one message and one busy bar, then each page's buttons.
        self.pages = _Pages()
        self.buttons = _Pages()
        self._page(self._passphrase_fields(), self._passphrase_buttons())
        # The recovery pages are built when first asked for: most unlocks never need them,
        # and the unlock window is what a cold start waits for.
        self._recovery_built = False
        lay.addWidget(self.pages)
        self.message = MessageLabel("unlockMessage")
        lay.addWidget(self.message)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        lay.addWidget(self.busy)
        lay.addWidget(self.buttons)
        h = QHBoxLayout()
        h.addStretch(1)
        h.addWidget(panel)
        h.addStretch(1)
        outer.addLayout(h)
        outer.addStretch(2)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self.on_countdown)
        self.show_page(self.PASSPHRASE)
        self.passphrase.setFocus()

    def _page(self, fields: QWidget, buttons: QWidget) -> None:
        self.pages.addWidget(fields)
        self.buttons.addWidget(buttons)

    def _row(self, *widgets: QWidget, stretch_after: int = 0) -> QWidget:
        holder = QWidget(self.buttons)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for k, w in enumerate(widgets):
            if k == stretch_after:
                row.addStretch(1)
            row.addWidget(w)
        return holder

    # -- the passphrase ----------------------------------------------------------------------------
    def _passphrase_fields(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        users = self.store.users()
        self.user = QComboBox()
        self.user.setObjectName("unlockUser")
        self.user.addItems(users)
        form.addRow(tr("User:"), self.user)
        self.user.setVisible(len(users) > 1)
        form.labelForField(self.user).setVisible(len(users) > 1)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("unlockPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.returnPressed.connect(self.on_unlock_clicked)
        form.addRow(tr("Passphrase:"), self.passphrase)
        return page

    def _passphrase_buttons(self) -> QWidget:
        self.recover_button = QPushButton(tr("Forgot it? Use the recovery key…"))
        self.recover_button.setObjectName("unlockUseRecoveryKey")
        self.recover_button.setAutoDefault(True)  # Return presses it when it has the focus
        self.recover_button.clicked.connect(self.on_use_recovery_clicked)
        self.button = QPushButton(tr("Unlock"))
        self.button.setObjectName("unlockButton")
        self.button.setAutoDefault(True)
        self.button.clicked.connect(self.on_unlock_clicked)
        return self._row(self.recover_button, self.button, stretch_after=1)

    # -- the recovery key ----------------------------------------------------------------------------
    def _key_fields(self) -> QWidget:
        # Built after the window is shown: made with a parent, never as a window of its own, which
        # would take the window system's focus from the main window when it is put in place.
        page = QWidget(self.pages)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(tr("Type the recovery key that was shown once when this profile was created (it should be "
                          "written on paper). Capitals, spaces and dashes do not matter."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.key = QLineEdit()
        self.key.setObjectName("unlockRecoveryKey")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.key.returnPressed.connect(self.on_key_continue_clicked)
        form.addRow(tr("Recovery key:"), self.key)
        lay.addLayout(form)
        return page

    def _back_and(self, back_name: str, button: QPushButton, name: str, slot) -> QWidget:
        """A recovery page's buttons: Back, then the page's own action."""
        back = QPushButton(tr("Back"))
        back.setObjectName(back_name)
        back.clicked.connect(self.on_back_clicked)
        button.setObjectName(name)
        button.clicked.connect(slot)
        for b in (back, button):
            b.setAutoDefault(True)
        return self._row(back, button, stretch_after=1)

    def _key_buttons(self) -> QWidget:
        self.key_button = QPushButton(tr("Continue"))
        return self._back_and("unlockKeyBack", self.key_button, "unlockKeyContinue", self.on_key_continue_clicked)

    # -- a new passphrase ------------------------------------------------------------------------------
    def _new_fields(self) -> QWidget:
        page = QWidget(self.pages)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        intro = QLabel(tr("The recovery key is right. Now choose a new passphrase; the old one stops working. "
                          "The recovery key stays as it is."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        users = self.store.users()
        self.new_user = QComboBox()
        self.new_user.setObjectName("unlockNewUser")
        self.new_user.addItems(users)
        form.addRow(tr("For user:"), self.new_user)
        # Hide only, never an explicit show: built after the window is shown, an explicit show of
        # the combo took the keyboard focus away from the window (seen on the offscreen platform).
        if len(users) < 2:
            self.new_user.hide()
            form.labelForField(self.new_user).hide()
        self.new_pass = QLineEdit()
        self.new_pass.setObjectName("unlockNewPass")
        self.new_pass.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("New passphrase:"), self.new_pass)
        self.new_meter = PassphraseMeter()
        self.new_pass.textChanged.connect(self.new_meter.show_for)
        form.addRow("", self.new_meter)
        self.new_pass2 = QLineEdit()
        self.new_pass2.setObjectName("unlockNewPass2")
        self.new_pass2.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pass.returnPressed.connect(self.new_pass2.setFocus)
        self.new_pass2.returnPressed.connect(self.on_set_passphrase_clicked)
        form.addRow(tr("New passphrase again:"), self.new_pass2)
        lay.addLayout(form)
        return page

    def _new_buttons(self) -> QWidget:
        self.set_button = QPushButton(tr("Set passphrase and unlock"))
        return self._back_and("unlockNewBack", self.set_button, "unlockSetPassphrase", self.on_set_passphrase_clicked)

    # -- moving between pages ------------------------------------------------------------------------
    def _build_recovery_pages(self) -> None:
        if not self._recovery_built:
            self._recovery_built = True
            self._page(self._key_fields(), self._key_buttons())
            self._page(self._new_fields(), self._new_buttons())

    def show_page(self, index: int) -> None:
        if index != self.PASSPHRASE:
            self._build_recovery_pages()
        self.pages.setCurrentIndex(index)
        self.buttons.setCurrentIndex(index)
        self.message.clear()
        focus = {self.RECOVERY_KEY: "key", self.NEW_PASSPHRASE: "new_pass"}.get(index, "passphrase")
        getattr(self, focus).setFocus()

    def on_use_recovery_clicked(self) -> None:
        self._build_recovery_pages()
        self.passphrase.clear()
        self.new_user.setCurrentIndex(max(0, self.user.currentIndex()))
        self.show_page(self.RECOVERY_KEY)

    def on_back_clicked(self) -> None:
        if self.busy.isVisible():
            return
        if self.pages.currentIndex() == self.NEW_PASSPHRASE:
            self.new_pass.clear()
            self.new_pass2.clear()
            self.show_page(self.RECOVERY_KEY)
        else:
            self.key.clear()
            self.show_page(self.PASSPHRASE)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape and self.pages.currentIndex() != self.PASSPHRASE:
            self.on_back_clicked()  # Escape steps back, as a dialog's Cancel would
            return
        super().keyPressEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.pages.currentIndex() == self.PASSPHRASE:
            self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def _working(self, on: bool, *widgets: QWidget) -> None:
        self.busy.setVisible(on)
        for w in widgets:
            w.setEnabled(not on)

    # -- the passphrase: unlock -------------------------------------------------------------------------
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

    # -- the recovery key: check it, then set a new passphrase ----------------------------------------------
    def on_key_continue_clicked(self) -> None:
        if self.busy.isVisible():
            return
        key, store = self.key.text(), self.store
        if not key.strip():
            self.message.setText(tr("Type the recovery key first."))
            return

        def check() -> None:
            # The key is checked here, and used again with the new passphrase: the store
            # stays locked while the person chooses it.
            store.unlock_with_recovery_key(key)
            store.lock()

        self._working(True, self.key, self.key_button)
        self.message.setText(tr("Checking the recovery key…"))
        self.ctx.tasks.store(check, self.on_key_checked, self.on_key_failed, owner=self)

    def on_key_checked(self, _result: object) -> None:
        self._working(False, self.key, self.key_button)
        self.show_page(self.NEW_PASSPHRASE)

    def on_key_failed(self, exc: BaseException) -> None:
        self._working(False, self.key, self.key_button)
        self.message.setText(message_for(exc))
        self.key.setFocus()
        self.key.selectAll()

    def on_set_passphrase_clicked(self) -> None:
        if self.busy.isVisible():
            return
        p1, p2 = self.new_pass.text(), self.new_pass2.text()
        if len(p1) < MIN_PASSPHRASE:
            self.message.setText(tr("The passphrase is too short: use at least 8 characters."))
            self.new_pass.setFocus()
            return
        if p1 != p2:
            self.message.setText(tr("The two passphrases differ. Type the same one twice."))
            self.new_pass2.setFocus()
            self.new_pass2.selectAll()
            return
        key, user, store, kdf = self.key.text(), self.new_user.currentText(), self.store, self.ctx.kdf

        def work() -> None:
            # Storage's own steps, as 'profile passwd --recovery' takes them: open with the
            # recovery key, re-wrap the data key for this user, then unlock as that user.
            store.unlock_with_recovery_key(key)
            try:
                store.change_passphrase(user, p1, kdf=kdf)
            finally:
                store.lock()
            store.unlock(p1, user)

        self._working(True, self.new_pass, self.new_pass2, self.set_button)
        self.message.setText(tr("Setting the new passphrase…"))
        self.ctx.tasks.store(work, self.on_passphrase_set, self.on_set_failed, owner=self)

    def on_passphrase_set(self, _result: object) -> None:
        self._working(False, self.new_pass, self.new_pass2, self.set_button)
        self.key.clear()
        self.new_pass.clear()
        self.new_pass2.clear()
        self.failures = 0
        self.unlocked.emit(self.store)

    def on_set_failed(self, exc: BaseException) -> None:
        self._working(False, self.new_pass, self.new_pass2, self.set_button)
        self.message.setText(message_for(exc))
        self.new_pass.setFocus()
        self.new_pass.selectAll()
