"""The household registry: search, register with a duplicate check, and review candidate pairs.

The registry is read once on the store worker and prepared for matching on a background
worker (distributions.registration.LocalRegistry), with progress: 100,000 households
take seconds, and the window never waits for them. Searching looks in that index;
finding duplicate pairs (distributions.review.queue_from) runs on the background worker
too. Decisions are saved on the store worker. Keyboard first: in the review queue, 1 or
S decides "same", 2 or D "different", 3 or U "unsure" (Т, Р, Н on a Ukrainian layout),
the focus goes to the reason, and Return saves and moves to the next pair.
"""
from __future__ import annotations

import gc
import re

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QProgressBar, QPushButton, QSpinBox, QSplitter,
    QTableWidget, QTableWidgetItem, QTabWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from distributions import registration, review
from distributions.errors import InvalidHousehold, LinkLoop, RegistryError
from distributions.registry import KIND as HOUSEHOLD

from ..context import Context
from ..errors import present
from ..i18n import tr
from ..record_view import history_lines
from ..widgets import MessageLabel
from ..workers import give_way

SEARCH_PAUSE_MS = 200


def field_labels() -> list[tuple[str, str]]:
    """The household fields shown side by side and in the household view, in order."""
    return [
        ("head_name", tr("Head of household")), ("dob", tr("Date of birth")), ("phone", tr("Phone")),
        ("phone_other", tr("Other phone")), ("doc_number", tr("Document")), ("tax_number", tr("Tax number (RNOKPP)")),
        ("settlement", tr("Settlement")), ("hromada", tr("Hromada")), ("raion", tr("Raion")), ("oblast", tr("Oblast")),
        ("hh_size", tr("Household size")), ("team", tr("Team")), ("registered_at", tr("Registered")),
        ("external_ref", tr("Reference")), ("card_code", tr("Card code")), ("consent", tr("Consent")),
    ]


def value_text(fields: dict, name: str) -> str:
    value = fields.get(name)
    if value in (None, ""):
        return ""
    if name == "doc_number":
        kind = {"passport": tr("passport"), "id_card": tr("ID card")}.get(fields.get("doc_type"), "")
        return f"{kind} {value}".strip()
    if name == "consent":
        return tr("given") if value is True else tr("not given")
    if name in ("dob", "registered_at") and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"{value[8:10]}.{value[5:7]}.{value[:4]}"  # as people here write dates
    return str(value)


_WITH_NAMES = re.compile(r"^(.*?): (.+)$")
_NUMBERS = (
    (re.compile(r"^born (\d+) years apart$"), lambda n: tr("born {n} years apart").format(n=n)),
    (re.compile(r"^same phone \(on (\d+) registrations\)$"), lambda n: tr("same phone (on {n} registrations)").format(n=n)),
    (re.compile(r"^same phone, but it is on (\d+) registrations$"),
     lambda n: tr("same phone, but it is on {n} registrations").format(n=n)),
)


def reason_words() -> dict[str, str]:
    """The matcher's reasons (distributions.matching), in the interface language."""
    return {
        "same first name": tr("same first name"),
        "names match across scripts": tr("names match across scripts"),
        "one first name in two forms": tr("one first name in two forms"),
        "first names nearly match (a typing error?)": tr("first names nearly match (a typing error?)"),
        "different first names": tr("different first names"),
        "first names differ": tr("first names differ"),
        "first name matches an initial": tr("first name matches an initial"),
        "first name and initial differ": tr("first name and initial differ"),
        "same surname": tr("same surname"),
        "surnames match in two spellings": tr("surnames match in two spellings"),
        "surnames nearly match (a typing error?)": tr("surnames nearly match (a typing error?)"),
        "different surnames": tr("different surnames"),
        "same patronymic": tr("same patronymic"),
        "patronymics from the same father's name": tr("patronymics from the same father's name"),
        "different patronymics": tr("different patronymics"),
        "same birth date": tr("same birth date"),
        "birth dates differ by a day/month swap": tr("birth dates differ by a day/month swap"),
        "same birth year; one birth date is the 01.01 placeholder":
            tr("same birth year; one birth date is the 01.01 placeholder"),
        "birth dates differ by one digit": tr("birth dates differ by one digit"),
        "different birth dates": tr("different birth dates"),
        "same tax number": tr("same tax number"),
        "different tax numbers": tr("different tax numbers"),
        "same passport number": tr("same passport number"),
        "same ID card number": tr("same ID card number"),
        "passport numbers differ by one character": tr("passport numbers differ by one character"),
        "ID card numbers differ by one character": tr("ID card numbers differ by one character"),
        "different passport numbers": tr("different passport numbers"),
        "different ID card numbers": tr("different ID card numbers"),
        "same document number": tr("same document number"),
        "same phone": tr("same phone"),
        "one is a man, the other a woman": tr("one is a man, the other a woman"),
        "same settlement": tr("same settlement"),
        "same card code": tr("same card code"),
    }


def reason_text(reason: str, words: dict[str, str] | None = None) -> str:
    words = words or reason_words()
    if reason in words:
        return words[reason]
    for pattern, say in _NUMBERS:
        m = pattern.match(reason)
        if m:
            return say(m.group(1))
    m = _WITH_NAMES.match(reason)
    if m and m.group(1) in words:
        return f"{words[m.group(1)]}: {m.group(2)}"
    return reason


def verdict_words() -> dict[str, str]:
    return {"same": tr("same household"), "different": tr("different households"), "unsure": tr("unsure")}


def pair_label(pair: review.ReviewPair, marks: tuple[str, str] | None = None) -> str:
    """``marks``: the words for disputed and unsure (looked up once, on the GUI thread)."""
    disputed, unsure = marks or (tr("disputed"), tr("unsure"))
    a, b = pair.household_a.get("head_name") or pair.ref_a, pair.household_b.get("head_name") or pair.ref_b
    score = "" if pair.score is None else f"   {pair.score:.1f}"
    mark = disputed + ": " if pair.disputed else (unsure + ": " if pair.verdict == "unsure" else "")
    return f"{mark}{a}\n  ↔ {b}{score}"  # two lines: both names stay readable in a narrow list


class CollectorPause:
    """Big registry work allocates hundreds of thousands of objects (decrypted households,
    prepared rows, blocking keys). The app's collector runs on the GUI thread
    (gui/collector.py), and each full collection would walk them all: stalls of 100-300 ms
    at 20,000 households. They hold no reference cycles, so reference counting frees them
    anyway; the collector waits while the work runs, and what it built is then frozen
    (out of every later collection) in constant time."""

    def __init__(self) -> None:
        self.depth = 0

    def _timer(self):
        from PySide6.QtWidgets import QApplication

        from ..collector import GuiThreadCollector

        app = QApplication.instance()
        found = app.findChild(GuiThreadCollector) if app is not None else None
        return found.timer if found is not None else None

    def enter(self) -> None:
        self.depth += 1
        timer = self._timer()
        if timer is not None:
            timer.stop()

    def release(self) -> None:
        """Whatever is still running: the screen went (a lock) while its work ran."""
        if self.depth:
            self.depth = 1
            self.leave()

    def leave(self) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            gc.freeze()
            timer = self._timer()
            if timer is not None:
                timer.start()


def load_households(store) -> tuple[dict[str, dict], set]:
    """On the store worker: every household (decrypted, memory only) and the disputed pairs.
    give_way: a long read would otherwise starve the GUI thread of the interpreter lock."""
    return {r.id: r.fields for r in give_way(store.list_records(HOUSEHOLD))}, review.disputed_fields(store)


class QueueList(QListWidget):
    """The review queue. 1/S/Т, 2/D/Р, 3/U/Н pick a verdict for the current pair."""

    verdict_key = Signal(str)
    KEYS = {"1": "same", "s": "same", "т": "same", "2": "different", "d": "different", "р": "different",
            "3": "unsure", "u": "unsure", "н": "unsure"}

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        verdict = self.KEYS.get(event.text().lower()) if not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier else None
        if verdict and self.currentItem() is not None:
            self.verdict_key.emit(verdict)
            return
        super().keyPressEvent(event)


class RegisterDialog(QDialog):
    """Register one household; the duplicate check runs before anything is saved."""

    registered = Signal(str)

    def __init__(self, screen: "RegistryScreen") -> None:
        super().__init__(screen)
        self.screen = screen
        self.setObjectName("registerHousehold")
        self.setWindowTitle(tr("Register a household"))
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.edits: dict[str, QWidget] = {}

        def line(name: str, label: str, hint: str = "") -> None:
            ed = QLineEdit()
            ed.setObjectName(f"register_{name}")
            ed.setPlaceholderText(hint)
            form.addRow(label, ed)
            self.edits[name] = ed

        line("head_name", tr("Head of household"), tr("Surname, first name, patronymic"))
        line("dob", tr("Date of birth"), tr("e.g. 14.03.1975"))
        line("phone", tr("Phone"), tr("e.g. 067 123 45 67"))
        self.doc_type = QComboBox()
        self.doc_type.setObjectName("register_doc_type")
        for value, text in (("", tr("none")), ("passport", tr("passport")), ("id_card", tr("ID card"))):
            self.doc_type.addItem(text, value)
        form.addRow(tr("Document type"), self.doc_type)
        line("doc_number", tr("Document number"))
        line("tax_number", tr("Tax number (RNOKPP)"))
        line("oblast", tr("Oblast"))
        line("raion", tr("Raion"))
        line("hromada", tr("Hromada"))
        line("settlement", tr("Settlement"))
        self.size = QSpinBox()
        self.size.setObjectName("register_hh_size")
        self.size.setRange(1, 50)
        form.addRow(tr("Household size"), self.size)
        self.consent = QCheckBox(tr("Consent given for registration and assistance"))
        self.consent.setObjectName("register_consent")
        form.addRow("", self.consent)
        lay.addLayout(form)
        self.message = MessageLabel("registerMessage")
        lay.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.save = buttons.addButton(tr("Check and register"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setObjectName("registerSave")
        self.save.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self.submit(confirm=False))
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.labels = dict(field_labels()) | {"doc_type": tr("Document type"), "tax_number": tr("Tax number (RNOKPP)")}

    def entry(self) -> dict:
        out: dict = {name: ed.text().strip() for name, ed in self.edits.items() if ed.text().strip()}
        if self.doc_type.currentData():
            out["doc_type"] = self.doc_type.currentData()
        out["hh_size"] = str(self.size.value())
        out["consent"] = "yes" if self.consent.isChecked() else "no"
        return out

    def submit(self, *, confirm: bool) -> None:
        entry, index = self.entry(), self.screen.index
        self.save.setEnabled(False)
        self.message.setText(tr("Checking the registry…"))
        self.screen.ctx.run(lambda st: registration.register(st, entry, index=index, confirm=confirm),
                            self.on_saved, self.on_refused, owner=self)

    def on_saved(self, result: tuple) -> None:
        rid, _check = result
        self.registered.emit(rid)
        self.accept()

    def on_refused(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        self.message.clear()
        if isinstance(exc, InvalidHousehold):
            names = ", ".join(self.labels.get(f, f) for f in exc.fields)
            self.message.setText(tr("Check these fields: {fields}.").format(fields=names))
            first = next((self.edits[f] for f in exc.fields if f in self.edits), None)
            if first is not None:
                first.setFocus()
        elif isinstance(exc, registration.DuplicateFound):
            self.screen.show_existing(exc.check.exact[0], blocked=True, parent=self)
        elif isinstance(exc, registration.LikelyDuplicate):
            self.ask_likely(exc.check)
        else:
            present(self, exc)

    def ask_likely(self, check: registration.Check) -> None:
        words = reason_words()
        fields_of = self.screen.households
        lines = []
        for m in check.likely[: registration.MAX_SHOWN]:
            f = fields_of.get(m.id, {})
            # One reason a line, the strongest four: a message box wraps long lines badly.
            reasons = "\n    ".join([reason_text(e.reason, words) for e in m.evidence if e.weight > 0][:4])
            who = ", ".join(v for v in (f.get("head_name") or m.ref, value_text(f, "dob"), f.get("settlement"),
                                        f.get("external_ref")) if v)
            lines.append(f"• {who}\n    {reasons}")
        box = QMessageBox(QMessageBox.Icon.Question, tr("Possible duplicate"),
                          tr("This household may already be registered:") + "\n\n" + "\n\n".join(lines) + "\n\n"
                          + tr("Register it anyway? A team lead will see the pair in the review queue."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("likelyDuplicate")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(tr("Register anyway"))
        box.button(QMessageBox.StandardButton.No).setText(tr("Do not register"))
        box.finished.connect(lambda code: self.submit(confirm=True) if code == QMessageBox.StandardButton.Yes else None)
        box.open()


class RegistryScreen(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("registry")
        self.index: registration.LocalRegistry | None = None
        self.households: dict[str, dict] = {}
        self.disputed: set = set()
        self.queue: list[review.ReviewPair] = []
        self.stale = True
        self.loading = False
        self.matching = False
        self.pause = pause = CollectorPause()
        self.destroyed.connect(lambda *_: pause.release())  # never leave the collector stopped
        self.verdict: str | None = None
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        title = QLabel(tr("Registry"))
        title.setObjectName("screenTitle")
        top.addWidget(title, 1)
        self.register_button = QPushButton(tr("Register a household…"))
        self.register_button.setObjectName("registryRegister")
        self.register_button.clicked.connect(self.on_register_clicked)
        top.addWidget(self.register_button)
        lay.addLayout(top)
        status = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("registryStatus")
        status.addWidget(self.status, 1)
        self.progress = QProgressBar()
        self.progress.setObjectName("registryProgress")
        self.progress.setMaximumWidth(320)
        self.progress.hide()
        status.addWidget(self.progress)
        lay.addLayout(status)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("registryTabs")
        self.tabs.addTab(self._search_tab(), tr("Households"))
        self.tabs.addTab(self._review_tab(), tr("Duplicates to review"))
        self.tabs.currentChanged.connect(self.on_tab_changed)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its tab bar takes the focus (arrows switch tabs)
        self.tabs.tabBar().setAccessibleName(tr("Registry"))
        lay.addWidget(self.tabs, 1)
        ctx.records_changed.connect(self.on_records_changed)

    # -- layout ---------------------------------------------------------------------------
    def _search_tab(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        bar = QHBoxLayout()
        lab = QLabel(tr("Search:"))
        bar.addWidget(lab)
        self.search = QLineEdit()
        self.search.setObjectName("registrySearch")
        self.search.setPlaceholderText(tr("Card code, phone, document, tax number, or name in either script"))
        self.search.setClearButtonEnabled(True)
        lab.setBuddy(self.search)
        bar.addWidget(self.search, 1)
        lay.addLayout(bar)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_PAUSE_MS)
        self.search_timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self.search_timer.start)
        self.search.returnPressed.connect(self.run_search)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.results = QTableWidget(0, 4)
        self.results.setObjectName("registryResults")
        self.results.setHorizontalHeaderLabels([tr("Head of household"), tr("Date of birth"), tr("Settlement"),
                                                tr("Card code")])
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().hide()
        self.results.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.results.setTabKeyNavigation(False)
        self.results.setAccessibleName(tr("Households found"))
        self.results.currentCellChanged.connect(lambda row, *_: self.show_household(row))
        split.addWidget(self.results)
        self.detail = QTextBrowser()
        self.detail.setObjectName("registryHousehold")
        self.detail.setAccessibleName(tr("Household"))
        split.addWidget(self.detail)
        split.setSizes([600, 400])
        lay.addWidget(split, 1)
        self.found_label = QLabel()
        lay.addWidget(self.found_label)
        return page

    def _review_tab(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        bar = QHBoxLayout()
        self.queue_label = QLabel()
        self.queue_label.setObjectName("queueLabel")
        self.queue_label.setWordWrap(True)  # long in Ukrainian, and with a large system font
        bar.addWidget(self.queue_label, 1)
        self.find_button = QPushButton(tr("Find duplicates"))
        self.find_button.setObjectName("registryFind")
        self.find_button.clicked.connect(self.find_duplicates)
        bar.addWidget(self.find_button)
        lay.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.queue_list = QueueList()
        self.queue_list.setObjectName("registryQueue")
        self.queue_list.setAccessibleName(tr("Pairs to review"))
        self.queue_list.currentRowChanged.connect(self.show_pair)
        self.queue_list.verdict_key.connect(self.pick_verdict)
        self.queue_list.itemActivated.connect(lambda _item: self.reason.setFocus())
        # Every item is two lines (pair_label): uniform sizes let the view lay out 10,000 pairs
        # without measuring each (measuring them held the GUI thread half a second at 2,000).
        self.queue_list.setUniformItemSizes(True)
        self.queue_list.setSpacing(2)
        self.queue_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        split.addWidget(self.queue_list)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        self.pair_table = QTableWidget(0, 3)
        self.pair_table.setObjectName("registryPair")
        self.pair_table.setHorizontalHeaderLabels(["", "", ""])
        self.pair_table.verticalHeader().hide()
        self.pair_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pair_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.pair_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.pair_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.pair_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.pair_table.verticalHeader().setMinimumSectionSize(1)
        rlay.addWidget(self.pair_table, 4)
        why = QLabel(tr("Why they may be one household:"))
        rlay.addWidget(why)
        self.reasons = QListWidget()
        self.reasons.setObjectName("registryReasons")
        self.reasons.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reasons.setAccessibleName(tr("Why they may be one household:"))
        rlay.addWidget(self.reasons, 2)
        self.reasons.setMaximumHeight(self.reasons.fontMetrics().lineSpacing() * 10)
        decide = QHBoxLayout()
        self.verdict_buttons: dict[str, QPushButton] = {}
        for verdict, text in (("same", tr("1 &Same household")), ("different", tr("2 &Different households")),
                              ("unsure", tr("3 &Unsure"))):
            b = QPushButton(text)
            b.setObjectName(f"verdict_{verdict}")
            b.setCheckable(True)
            # The chosen verdict must be plain at a glance (a checked button is barely darker).
            b.setStyleSheet("QPushButton:checked { background: #1f5f99; color: white; font-weight: 600; }")
            b.clicked.connect(lambda _c=False, v=verdict: self.pick_verdict(v))
            decide.addWidget(b)
            self.verdict_buttons[verdict] = b
        lay_reason = QHBoxLayout()
        rlab = QLabel(tr("Reason:"))
        lay_reason.addWidget(rlab)
        self.reason = QLineEdit()
        self.reason.setObjectName("registryReason")
        self.reason.setPlaceholderText(tr("Why you decided so (needed for same and different)"))
        self.reason.setMaxLength(review.MAX_REASON)
        rlab.setBuddy(self.reason)
        self.reason.returnPressed.connect(self.save_decision)
        lay_reason.addWidget(self.reason, 1)
        self.save_button = QPushButton(tr("Save and next"))
        self.save_button.setObjectName("registrySave")
        self.save_button.clicked.connect(self.save_decision)
        lay_reason.addWidget(self.save_button)
        rlay.addLayout(decide)
        rlay.addLayout(lay_reason)
        self.decision_message = MessageLabel("decisionMessage")
        rlay.addWidget(self.decision_message)
        split.addWidget(right)
        split.setSizes([330, 700])
        lay.addWidget(split, 1)
        self.set_decision_enabled(False)
        return page

    # -- loading ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.stale:
            self.reload()

    def on_records_changed(self) -> None:
        self.stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        if self.ctx.store is None or self.loading:
            return
        self.loading, self.stale = True, False
        self.pause.enter()
        self.status.setText(tr("Reading the registry…"))
        self.ctx.run(load_households, self.on_households, self.on_failed, owner=self)

    def on_households(self, loaded: tuple) -> None:
        households, disputed = loaded
        self.households, self.disputed = households, disputed
        self.show_progress(0, len(households))

        def build(report):
            reg = registration.LocalRegistry(
                ({"id": rid, "ref": f.get("external_ref") or rid, **f} for rid, f in households.items()), report)
            reg.cards = {f["card_code"]: rid for rid, f in households.items() if f.get("card_code")}
            return reg

        self.ctx.tasks.background(build, self.on_index, self.on_failed, owner=self, progress=self.on_progress)

    def on_index(self, index: registration.LocalRegistry) -> None:
        self.index = index
        self.loading = False
        self.pause.leave()
        self.progress.hide()
        self.status.setText(tr("{n} household(s) registered on this laptop.").format(n=len(index)))
        if self.search.text().strip():
            self.run_search()
        if self.tabs.currentIndex() == 1 and not self.queue:
            self.find_duplicates()

    def on_failed(self, exc: BaseException) -> None:
        self.pause.release()
        self.loading = self.matching = False
        self.progress.hide()
        self.find_button.setEnabled(True)
        self.status.setText("")
        present(self, exc)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)
        self.progress.show()

    def on_progress(self, stage: str, done: int, total: int) -> None:
        words = {"prepared": tr("Reading names, dates and documents…"), "blocked": tr("Grouping likely pairs…"),
                 "compared": tr("Comparing pairs…")}
        self.status.setText(words.get(stage, ""))
        self.show_progress(done, total or len(self.households) or 1)

    # -- search -----------------------------------------------------------------------------
    def run_search(self) -> None:
        self.search_timer.stop()
        index, text = self.index, self.search.text()
        if index is None:
            return
        self.ctx.tasks.background(lambda: index.search(text), lambda ids: self.show_results(ids, text), owner=self)

    def show_results(self, ids: list[str], text: str) -> None:
        if text != self.search.text():
            return  # typed on since
        self.results.setRowCount(0)
        self.result_ids = [rid for rid in ids if rid in self.households]
        self.results.setRowCount(len(self.result_ids))
        for row, rid in enumerate(self.result_ids):
            f = self.households[rid]
            for col, name in enumerate(("head_name", "dob", "settlement", "card_code")):
                self.results.setItem(row, col, QTableWidgetItem(value_text(f, name)))
        self.found_label.setText(tr("{n} household(s) found").format(n=len(self.result_ids)) if text.strip() else "")
        if self.result_ids:
            self.results.selectRow(0)
            self.show_household(0)
        else:
            self.detail.clear()

    def show_household(self, row: int) -> None:
        ids = getattr(self, "result_ids", [])
        if not 0 <= row < len(ids):
            return
        rid = self.result_ids[row]
        lang = self.ctx.prefs.language

        def load(st):
            record = st.get_record(rid)
            return record, review.decisions(st, rid), history_lines(rid, st.audit_entries(rid), None, lang, st.device_id)

        self.ctx.run(load, lambda loaded: self.detail.setHtml(self.household_html(*loaded)), self.on_failed, owner=self)

    def household_html(self, record, decisions: list[dict], history: list | None = None) -> str:
        from html import escape

        f = record.fields
        rows = "".join(f"<tr><td><b>{escape(label)}</b>&nbsp;&nbsp;</td><td>{escape(value_text(f, name))}</td></tr>"
                       for name, label in field_labels() if value_text(f, name))
        html = f"<h3>{escape(f.get('head_name', ''))}</h3><table>{rows}</table>"
        members = f.get("members") or []
        if members:
            html += f"<h4>{escape(tr('Members'))}</h4><ul>"
            for m in members:
                if isinstance(m, dict):
                    html += "<li>" + escape(", ".join(str(v) for v in m.values() if v not in (None, ""))) + "</li>"
            html += "</ul>"
        link = f.get("duplicate_of")
        if isinstance(link, str):
            other = self.households.get(link, {})
            html += "<p>" + escape(tr("Linked as a duplicate of {name}.").format(name=other.get("head_name", link))) + "</p>"
        if decisions:
            words = verdict_words()
            html += f"<h4>{escape(tr('Duplicate decisions'))}</h4><ul>"
            for d in decisions:
                other = next((h for h in d.get("households", []) if h != record.id), "")
                name = self.households.get(other, {}).get("head_name", other)
                html += "<li>" + escape(tr("{when}: {who} decided “{verdict}” with {name}: {reason}").format(
                    when=str(d.get("at", ""))[:16].replace("T", " "), who=d.get("by", ""),
                    verdict=words.get(d.get("verdict"), d.get("verdict")), name=name, reason=d.get("reason", ""))) + "</li>"
            html += "</ul>"
        if history:
            labels = dict(field_labels()) | {"duplicate_of": tr("duplicate link")}
            pair = re.compile(re.escape(review.PAIR_FIELD) + r"[0-9a-f-]{36}")

            def words(what: str) -> str:
                # The form-less history names fields; say them as the screen labels them.
                what = pair.sub(tr("duplicate decision"), what)
                return re.sub(r"\b[a-z_]+\b", lambda m: labels.get(m.group(0), m.group(0)), what)

            html += f"<h4>{escape(tr('History'))}</h4><ul>"
            for when, who, what in history:
                html += f"<li>{escape(when)}: {escape(who)}: {escape(words(what))}</li>"
            html += "</ul>"
        return html

    def show_existing(self, match: registration.Match, *, blocked: bool, parent: QWidget) -> None:
        f = self.households.get(match.id, {})
        text = (tr("This household is already registered ({why}):").format(why=reason_text(match.why))
                + "\n\n" + "\n".join(f"{label}: {value_text(f, name)}" for name, label in field_labels()
                                     if value_text(f, name))
                + "\n\n" + tr("Nothing was saved."))
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Already registered"), text, QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("alreadyRegistered")
        box.open()

    # -- registering ----------------------------------------------------------------------------
    def on_register_clicked(self) -> None:
        dialog = RegisterDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.registered.connect(self.on_registered)
        dialog.open()
        dialog.edits["head_name"].setFocus()

    def on_registered(self, rid: str) -> None:
        def done(record) -> None:
            self.households[rid] = record.fields  # the index has it already (registration.register)
            self.status.setText(tr("Household registered. Card code: {code}").format(code=record.fields.get("card_code")))
            self.search.setText(record.fields.get("card_code", ""))
            self.run_search()

        self.ctx.run(lambda st: st.get_record(rid), done, self.on_failed, owner=self)
        self.saved_quietly()

    def saved_quietly(self) -> None:
        """Tell sync and the other screens; this screen's own copy is already up to date, so
        it does not read and match the whole registry again for one change of its own."""
        self.ctx.records_changed.disconnect(self.on_records_changed)
        try:
            self.ctx.saved()
        finally:
            self.ctx.records_changed.connect(self.on_records_changed)

    # -- review -------------------------------------------------------------------------------
    def on_tab_changed(self, tab: int) -> None:
        if tab == 1 and not self.queue and self.index is not None and not self.matching:
            self.find_duplicates()

    def find_duplicates(self) -> None:
        if self.matching or self.loading:
            return
        self.matching = True
        self.pause.enter()
        self.find_button.setEnabled(False)
        households, disputed, marks = self.households, self.disputed, (tr("disputed"), tr("unsure"))
        self.show_progress(0, 0)

        def match(report):
            # The labels too, on the worker: 10,000 pairs are milliseconds the GUI thread keeps.
            queue = review.queue_from(households, disputed, progress=report)
            return queue, [pair_label(p, marks) for p in queue]

        self.ctx.tasks.background(match, self.on_queue, self.on_failed, owner=self, progress=self.on_progress)

    def on_queue(self, found: tuple) -> None:
        queue, labels = found
        self.pause.leave()
        self.matching = False
        self.find_button.setEnabled(True)
        self.progress.hide()
        self.status.setText(tr("{n} household(s) registered on this laptop.").format(n=len(self.households)))
        self.queue = queue
        self.queue_list.clear()
        self.queue_list.addItems(labels)  # one call: the items are made in C++
        self.show_queue_count()
        if queue:
            self.queue_list.setCurrentRow(0)
            if self.tabs.currentIndex() == 1:
                self.queue_list.setFocus()
        else:
            self.show_pair(-1)

    def show_queue_count(self) -> None:
        self.queue_label.setText(tr("{n} pair(s) to review. Keys: 1 same, 2 different, 3 unsure; "
                                    "then the reason and Return.").format(n=len(self.queue)))

    def set_decision_enabled(self, on: bool) -> None:
        for b in (*self.verdict_buttons.values(), self.save_button, self.reason):
            b.setEnabled(on)

    def show_pair(self, row: int) -> None:
        self.pick_verdict(None)
        self.reason.clear()
        self.decision_message.clear()
        if not 0 <= row < len(self.queue):
            self.pair_table.setRowCount(0)
            self.reasons.clear()
            self.set_decision_enabled(False)
            return
        self.set_decision_enabled(True)
        pair = self.queue[row]
        a, b = pair.household_a, pair.household_b
        self.pair_table.setHorizontalHeaderLabels(["", tr("Registered first ({ref})").format(ref=pair.ref_a),
                                                   tr("Registered later ({ref})").format(ref=pair.ref_b)])
        shown = [(name, label) for name, label in field_labels() if value_text(a, name) or value_text(b, name)]
        self.pair_table.setRowCount(len(shown))
        bold = QFont(self.pair_table.font())
        bold.setBold(True)
        for r, (name, label) in enumerate(shown):
            x, y = value_text(a, name), value_text(b, name)
            cells = [QTableWidgetItem(label), QTableWidgetItem(x), QTableWidgetItem(y)]
            cells[0].setFont(bold)
            if x and y and x != y:
                # Differences stand out: a reviewer's eye goes to what does not agree.
                for c in cells[1:]:
                    c.setForeground(Qt.GlobalColor.darkRed)
                    c.setFont(bold)
            for c, item in enumerate(cells):
                self.pair_table.setItem(r, c, item)
        self.reasons.clear()
        words = reason_words()
        if pair.disputed:
            item = QListWidgetItem(tr("Two team leads decided this pair differently; the decision that holds now: {v}.")
                                   .format(v=verdict_words().get(pair.verdict or "", "-")))
            item.setForeground(Qt.GlobalColor.darkRed)
            self.reasons.addItem(item)
        for e in pair.evidence:
            item = QListWidgetItem(f"{e.weight:+5.1f}   {reason_text(e.reason, words)}")
            item.setForeground(Qt.GlobalColor.darkGreen if e.weight > 0 else Qt.GlobalColor.darkRed)
            self.reasons.addItem(item)
        if pair.score is not None:
            self.reasons.addItem(QListWidgetItem(tr("Score {score} (a pair is proposed from {min})").format(
                score=f"{pair.score:.1f}", min=f"{review.matching.THRESHOLD:g}")))

    def pick_verdict(self, verdict: str | None) -> None:
        self.verdict = verdict
        for v, b in self.verdict_buttons.items():
            b.setChecked(v == verdict)
        if verdict is not None:
            self.decision_message.clear()
            self.reason.setFocus()

    def save_decision(self) -> None:
        row = self.queue_list.currentRow()
        if not 0 <= row < len(self.queue):
            return
        if self.verdict is None:
            self.decision_message.setText(tr("Choose same (1), different (2) or unsure (3) first."))
            self.queue_list.setFocus()
            return
        reason = self.reason.text().strip()
        if self.verdict in review.FINAL and not reason:
            self.decision_message.setText(tr("Give a reason for this decision."))
            self.reason.setFocus()
            return
        pair, verdict = self.queue[row], self.verdict
        self.save_button.setEnabled(False)
        self.ctx.run(lambda st: review.decide(st, pair.a, pair.b, verdict, reason, score=pair.score,
                                              reasons=pair.reasons),
                     lambda _id: self.on_decided(pair, verdict), self.on_decision_failed, owner=self)

    def on_decided(self, pair: review.ReviewPair, verdict: str) -> None:
        self.save_button.setEnabled(True)
        if pair not in self.queue:
            return
        row = self.queue.index(pair)
        self.queue.pop(row)
        self.queue_list.takeItem(row)
        # The registry's copy follows the decision, so the search and the household view agree.
        if verdict == "same":
            self.households[pair.b] = {**self.households.get(pair.b, {}), "duplicate_of": pair.a}
        self.show_queue_count()
        self.status.setText(tr("Saved: {verdict}.").format(verdict=verdict_words()[verdict]))
        self.queue_list.setCurrentRow(min(row, len(self.queue) - 1))
        self.show_pair(self.queue_list.currentRow())
        self.queue_list.setFocus()
        self.saved_quietly()

    def on_decision_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, LinkLoop):
            self.decision_message.setText(tr("Not saved: these two are already linked the other way round."))
        elif isinstance(exc, RegistryError):
            self.decision_message.setText(tr("Not saved: {why}").format(why=str(exc)))
        else:
            present(self, exc)
