"""Home: the forms, the unfinished drafts, and the latest records."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

import forms
from forms.model import METADATA_TYPES

from ..context import DRAFT_KIND, SUBMISSION_KIND, Context, record_time
from ..errors import present
from ..i18n import tr
from ..workers import give_way

RECENT = 12


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


_META = METADATA_TYPES  # device metadata says nothing about the record


def summary_text(fields: dict, limit: int = 3, form=None, lang: str | None = None) -> str:
    """A few answers, enough to recognise a record in a list (only shown after unlock).
    With the form, choices show as their labels in ``lang``, not as their codes."""
    labels: dict[str, dict[str, str]] = {}
    if form is not None:
        for q in form.walk():
            if q.choices and q.name in fields:
                labels[q.name] = {c.name: c.label(lang) for c in q.choices}
    parts = []
    for k, v in fields.items():
        if k.startswith("_") or k in _META or not isinstance(v, (str, int, float)) or not str(v).strip():
            continue
        if k in labels and isinstance(v, str):
            v = ", ".join(labels[k].get(code, code) for code in v.split())
        parts.append(str(v))
    return " · ".join(p if len(p) < 40 else p[:37] + "…" for p in parts[:limit])


def describe(fields: dict, form=None, lang: str | None = None) -> str:
    """The record's name as its form defines it (XLSForm ``instance_name``), else a summary."""
    if form is not None and form.instance_name is not None:
        try:
            name = forms.Session(form, {k: v for k, v in fields.items() if not k.startswith("_")}, lang=lang).instance_name()
        except Exception:  # a half-filled draft may not evaluate; the summary still helps
            name = ""
        name = name.strip(" –-")  # a half-filled draft leaves the separators of missing parts
        if name:
            return name
    return summary_text(fields, form=form, lang=lang)


def last_change(record) -> float:
    """When the record last changed (its newest stamp), in seconds; its creation time when it
    carries no stamp. A stamp starts with its HLC: 48 bits of milliseconds (storage/hlc.py)."""
    stamps = [s for s in record.clocks.values() if s]
    return (int(max(stamps)[:16], 16) >> 16) / 1000.0 if stamps else record_time(record.id)


def state_words() -> dict[str, str]:
    """What a record's state is called in the lists (on the GUI thread: workers get keys)."""
    return {"draft": tr("Draft"), "editing": tr("Being edited (draft)"), "waiting": tr("Finalised, waiting to sync"),
            "synced": tr("Synced")}


def load_home(store, form_of=lambda form_id: None, lang: str | None = None) -> dict:
    """Runs on the store worker: the drafts and the newest submissions, newest first, each
    with the time of its last change; submissions also with their state (waiting or synced)."""
    drafts = [(r.id, r.form_id, describe(r.fields, form_of(r.form_id), lang), r.fields.get("_editing"), last_change(r))
              for r in store.list_records(DRAFT_KIND)]
    # Ids are time-ordered, so the store reads only the newest few, however many there are.
    newest = list(store.list_records(SUBMISSION_KIND, newest_first=True, limit=RECENT))
    wanted = {r.id for r in newest}
    waiting = {rid for rid in give_way(store.waiting_record_ids()) if rid in wanted} if wanted else set()
    recent = [(r.id, r.form_id, describe(r.fields, form_of(r.form_id), lang), last_change(r),
               "waiting" if r.id in waiting else "synced") for r in newest]
    return {"drafts": drafts[::-1], "recent": recent}


class HomeScreen(QWidget):
    open_form = Signal(str)           # form id: a new interview
    open_draft = Signal(str)          # draft record id
    open_record = Signal(str)         # submission id
    review_conflicts = Signal()       # the banner's button: to the conflicts list

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("home")
        lay = QVBoxLayout(self)
        # Open conflicts are said first, where the day starts: review is a person's decision.
        self.banner = QFrame()
        self.banner.setObjectName("conflictsBanner")
        bl = QHBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        bl.addWidget(self.banner_text, 1)
        review = QPushButton(tr("Review conflicts"))
        review.setObjectName("reviewConflicts")
        review.clicked.connect(self.review_conflicts)
        bl.addWidget(review)
        self.banner.hide()
        lay.addWidget(self.banner)
        ctx.conflicts_changed.connect(self.on_conflicts_changed)
        self.on_conflicts_changed(ctx.open_conflicts)
        title = QLabel(tr("Start a form"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)
        self.grid = QGridLayout()
        self.columns = 0
        self.form_buttons: dict[str, QPushButton] = {}
        self.titles: dict[str, str] = {}
        lay.addLayout(self.grid)
        self.build_form_buttons()
        ctx.forms_changed.connect(self.build_form_buttons)
        lists = QHBoxLayout()
        drafts_box = QGroupBox(tr("Unfinished drafts"))
        dl = QVBoxLayout(drafts_box)
        self.drafts = QListWidget()
        self.drafts.setObjectName("drafts")
        self.drafts.setAccessibleName(tr("Unfinished drafts"))
        self.drafts.itemActivated.connect(lambda it: self.open_draft.emit(it.data(Qt.ItemDataRole.UserRole)))
        dl.addWidget(self.drafts)
        recent_box = QGroupBox(tr("Recent records"))
        rl = QVBoxLayout(recent_box)
        self.recent = QListWidget()
        self.recent.setObjectName("recent")
        self.recent.setAccessibleName(tr("Recent records"))
        self.recent.itemActivated.connect(lambda it: self.open_record.emit(it.data(Qt.ItemDataRole.UserRole)))
        rl.addWidget(self.recent)
        lists.addWidget(drafts_box)
        lists.addWidget(recent_box)
        lay.addLayout(lists, 1)
        ctx.records_changed.connect(self.reload)
        self.reload()

    def on_conflicts_changed(self, n: int) -> None:
        self.banner_text.setText(tr("{n} conflict(s) to review: two laptops changed the same answer, "
                                    "and one value was set aside.").format(n=n))
        self.banner.setVisible(n > 0)

    def build_form_buttons(self) -> None:
        """One button per form: built-in ones, then those the hub published, each with its own
        title in the interface language (form_title_translation::<language>). Buttons of forms
        that stay are kept, so focus and Tab order stay where they were."""
        # Updated in place: the records screen shares this dict.
        self.titles.update({form_id: self.ctx.form_title(form_id) for form_id in self.ctx.form_ids()})
        entries = [(form_id, None) for form_id in self.ctx.form_ids()]
        entries += sorted(self.ctx.unusable.items())
        old, self.form_buttons = self.form_buttons, {}
        previous, joined = None, []
        for form_id, unusable in entries:
            b = old.pop(form_id, None)
            if b is None:
                b = QPushButton(self.titles.get(form_id, form_id))
                b.setObjectName(f"start_{form_id}")
                b.setMinimumHeight(b.sizeHint().height() * 2)
                b.clicked.connect(lambda _=False, f=form_id: self.open_form.emit(f))
                if previous is not None:
                    joined.append((previous, b))
            b.setText(self.titles.get(form_id, form_id))
            b.setToolTip("")
            b.setEnabled(True)
            if form_id in self.ctx.published:
                b.setToolTip(tr("Published by the hub, version {version}").format(version=self.ctx.published[form_id].version))
            if unusable is not None:
                title, why = unusable
                b.setText(tr("{title} (cannot be opened)").format(title=title))
                b.setToolTip(tr("This laptop cannot open this form: {reason} Update Fieldbook, or ask the hub.").format(reason=why))
                b.setEnabled(False)
            self.form_buttons[form_id] = b
            previous = b
        for b in old.values():  # withdrawn by the hub
            self.grid.removeWidget(b)
            b.deleteLater()
        columns, self.columns = self.columns or 2, 0
        self.place_buttons(columns)
        self.fit_columns(self.width())
        for before, b in joined:  # placed now, so in the window: Tab reaches a new button in reading order
            QWidget.setTabOrder(before, b)

    def place_buttons(self, columns: int) -> None:
        """Two columns of form buttons, or one when a title would not fit half the width
        (a long title, a large system font): a button cannot wrap its text."""
        if columns == self.columns:
            return
        self.columns = columns
        for k, b in enumerate(self.form_buttons.values()):
            self.grid.addWidget(b, k // columns, k % columns)
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def fit_columns(self, width: int) -> None:
        if not self.isVisible() or self.layout() is None:
            return
        margins = self.layout().contentsMargins()
        room = width - margins.left() - margins.right()
        widest = max((b.sizeHint().width() for b in self.form_buttons.values()), default=0)
        self.place_buttons(2 if 2 * widest + self.grid.horizontalSpacing() <= room else 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_columns(event.size().width())

    def reload(self) -> None:
        if self.ctx.store is None:
            return
        ctx = self.ctx
        lang = ctx.prefs.language

        def form_of(form_id):
            try:
                return ctx.form(form_id) if form_id else None
            except Exception:  # a form this laptop does not have: codes are still shown
                return None

        ctx.run(lambda st: load_home(st, form_of, lang), self.on_loaded, lambda exc: present(self, exc), owner=self)

    def on_loaded(self, data: dict) -> None:
        self.drafts.clear()
        for rid, form_id, text, editing, changed in data["drafts"]:
            label = f"{when(changed)}  {self.titles.get(form_id, form_id)}"
            if editing:
                label += "  " + tr("(editing a finished record)")
            it = QListWidgetItem(label + (f"\n{text}" if text else ""))
            it.setData(Qt.ItemDataRole.UserRole, rid)
            self.drafts.addItem(it)
        if not data["drafts"]:
            it = QListWidgetItem(tr("No drafts: every form you started is finished."))
            it.setFlags(Qt.ItemFlag.NoItemFlags)
            self.drafts.addItem(it)
        self.recent.clear()
        words = state_words()
        for rid, form_id, text, changed, state in data["recent"]:
            # The state leads the second line: a long form title must not push it out of sight.
            second = f"{words[state]}  ·  {text}" if text else words[state]
            it = QListWidgetItem(f"{when(changed)}  {self.titles.get(form_id, form_id)}\n{second}")
            it.setData(Qt.ItemDataRole.UserRole, rid)
            self.recent.addItem(it)
        if not data["recent"]:
            it = QListWidgetItem(tr("No records yet."))
            it.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(it)
