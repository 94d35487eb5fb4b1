"""First run: name, passphrase (with a strength hint), the recovery key once, optional enrollment."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QStackedWidget,
    QVBoxLayout, QWidget,
)

from storage import Store

from .. import enroll
from ..context import Context
from ..errors import message_for, present
from ..i18n import LiveTexts, tr
from ..passphrase import MIN_PASSPHRASE, PassphraseMeter, strength  # noqa: F401 - strength: kept importable here



class WizardScreen(QWidget):
    finished = Signal(object)       # the unlocked Store
    language_changed = Signal(str)  # chosen on the first page: the window installs it and keeps it as the preference

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store: Store | None = None
        self.texts = LiveTexts()  # set again when the language is changed on the first page
        self.setObjectName("wizard")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 24)
        title = QLabel()
        title.setObjectName("screenTitle")
        self.texts(lambda: title.setText(tr("Welcome to Fieldbook")))
        outer.addWidget(title)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.pages.addWidget(self._page_profile())
        self.pages.addWidget(self._page_recovery())
        self.pages.addWidget(self._page_enroll())

    def _label(self, text: Callable[[], str], buddy: QWidget) -> QLabel:
        label = QLabel()
        label.setBuddy(buddy)
        self.texts(lambda: label.setText(text()))
        return label

    # page 1
    def _page_profile(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        top = QHBoxLayout()
        self.language = QComboBox()
        self.language.setObjectName("wizardLanguage")
        self.language.addItem("English", "en")      # each language in its own words: found whatever is shown now
        self.language.addItem("Українська", "uk")
        self.language.setCurrentIndex(max(0, self.language.findData(self.ctx.prefs.language)))
        self.language.currentIndexChanged.connect(self.on_language_chosen)
        top.addWidget(self._label(lambda: tr("Language (Мова):"), self.language))
        top.addWidget(self.language)
        top.addStretch(1)
        lay.addLayout(top)
        lay.addSpacing(8)
        intro = QLabel()
        intro.setWordWrap(True)
        self.texts(lambda: intro.setText(tr("Everything you record on this laptop is encrypted with your passphrase. "
                                            "Choose one you can remember: a few words are easier than symbols.")))
        lay.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("wizardName")
        form.addRow(self._label(lambda: tr("Your name:"), self.name), self.name)
        self.pass1 = QLineEdit()
        self.pass1.setObjectName("wizardPass1")
        self.pass1.setEchoMode(QLineEdit.EchoMode.Password)
        self.pass1.textChanged.connect(self.on_passphrase_changed)
        form.addRow(self._label(lambda: tr("Passphrase:"), self.pass1), self.pass1)
        self.strength_meter = PassphraseMeter()
        self.meter, self.meter_text = self.strength_meter.bar, self.strength_meter.hint
        self.texts(lambda: self.strength_meter.show_for(self.pass1.text()))
        form.addRow("", self.strength_meter)
        self.pass2 = QLineEdit()
        self.pass2.setObjectName("wizardPass2")
        self.pass2.setEchoMode(QLineEdit.EchoMode.Password)
        self.pass2.returnPressed.connect(self.on_create_clicked)
        form.addRow(self._label(lambda: tr("Passphrase again:"), self.pass2), self.pass2)
        lay.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("message")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        lay.addWidget(self.busy)
        lay.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.create = QPushButton()
        self.create.setObjectName("wizardCreate")
        self.texts(lambda: self.create.setText(tr("Create profile")))
        self.create.clicked.connect(self.on_create_clicked)
        row.addWidget(self.create)
        lay.addLayout(row)
        return page

    def on_language_chosen(self, index: int) -> None:
        lang = self.language.itemData(index)
        self.language_changed.emit(lang)  # the window installs the translator and keeps the preference
        self.error.clear()                # a message in the old language would stay behind
        self.texts.again()

    def on_passphrase_changed(self, text: str) -> None:
        self.strength_meter.show_for(text)

    def on_create_clicked(self) -> None:
        name, p1, p2 = self.name.text().strip(), self.pass1.text(), self.pass2.text()
        if not name:
            self.error.setText(tr("Type your name first."))
            return
        if len(p1) < MIN_PASSPHRASE:
            self.error.setText(tr("The passphrase is too short: use at least 8 characters."))
            return
        if p1 != p2:
            self.error.setText(tr("The two passphrases differ. Type the same one twice."))
            return
        self.error.setText("")
        self.create.setEnabled(False)
        self.busy.show()
        directory: Path = self.ctx.profile
        kdf = self.ctx.kdf
        self.ctx.tasks.store(lambda: Store.create(directory, user=name, passphrase=p1, kdf=kdf),
                             self.on_created, self.on_create_failed)

    def on_created(self, result: tuple) -> None:
        self.store, recovery = result
        # The language shown is the person's choice now, also when it was the system's default:
        # a later change of the system's language does not change this laptop's interface.
        self.ctx.prefs.language = self.language.currentData()
        self.busy.hide()
        self.pass1.clear()
        self.pass2.clear()
        self.recovery.setText(recovery)
        self.pages.setCurrentIndex(1)

    def on_create_failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.create.setEnabled(True)
        self.error.setText(message_for(exc))

    # page 2
    def _page_recovery(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        text = QLabel()
        self.texts(lambda: text.setText(tr("This is your recovery key. If every passphrase is forgotten, it is the "
                                           "only way to open this profile. Write it on paper now and keep it apart "
                                           "from the laptop. It will not be shown again.")))
        text.setWordWrap(True)
        lay.addWidget(text)
        self.recovery = QLabel()
        self.recovery.setObjectName("recoveryKey")
        self.recovery.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recovery.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.recovery)
        self.written = QCheckBox()
        self.texts(lambda: self.written.setText(tr("I have written it down")))
        self.written.setObjectName("wizardWritten")
        lay.addWidget(self.written)
        lay.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.next = QPushButton()
        self.texts(lambda: self.next.setText(tr("Continue")))
        self.next.setObjectName("wizardContinue")
        self.next.setEnabled(False)
        self.written.toggled.connect(self.next.setEnabled)
        self.next.clicked.connect(self.on_written_clicked)
        row.addWidget(self.next)
        lay.addLayout(row)
        return page

    def on_written_clicked(self) -> None:
        self.recovery.clear()  # shown once
        self.pages.setCurrentIndex(2)

    # page 3
    def _page_enroll(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        text = QLabel()
        self.texts(lambda: text.setText(tr("If your hub gave you a server address and a one-time code, enter them "
                                           "to sync automatically. You can also do this later in Settings.")))
        text.setWordWrap(True)
        lay.addWidget(text)
        form = QFormLayout()
        self.url = QLineEdit()
        self.url.setObjectName("wizardUrl")
        self.url.setPlaceholderText("http://hub.example:8765")
        form.addRow(self._label(lambda: tr("Server address:"), self.url), self.url)
        self.code = QLineEdit()
        self.code.setObjectName("wizardCode")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX")
        self.url.returnPressed.connect(self.code.setFocus)
        self.code.returnPressed.connect(self.on_enroll_clicked)
        form.addRow(self._label(lambda: tr("One-time code:"), self.code), self.code)
        lay.addLayout(form)
        self.enroll_error = QLabel()
        self.enroll_error.setObjectName("message")
        self.enroll_error.setWordWrap(True)
        lay.addWidget(self.enroll_error)
        lay.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        skip = QPushButton()
        self.texts(lambda: skip.setText(tr("Skip for now")))
        skip.setObjectName("wizardSkip")
        skip.clicked.connect(self.on_skip_clicked)
        row.addWidget(skip)
        self.enroll = QPushButton()
        self.texts(lambda: self.enroll.setText(tr("Enroll and start")))
        self.enroll.setObjectName("wizardEnroll")
        self.enroll.clicked.connect(self.on_enroll_clicked)
        row.addWidget(self.enroll)
        lay.addLayout(row)
        return page

    def on_skip_clicked(self) -> None:
        self.finished.emit(self.store)

    def on_enroll_clicked(self) -> None:
        from sync.client import SyncClient

        client = SyncClient(self.store, lock=self.ctx.tasks.store_lock)
        enroll.start(self.ctx, client, self.url, self.code, self.enroll_error, self.enroll,
                     lambda _settings: self.finished.emit(self.store), owner=self)


__all__ = ["WizardScreen", "present"]
