"""Records of one form: a searchable table; view with history, edit, delete with confirmation."""
from __future__ import annotations

import heapq

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QTableView,
    QVBoxLayout, QWidget,
)

from storage.finalise import delete_draft

from ..context import DRAFT_KIND, EDITING_FIELD, SUBMISSION_KIND, Context, form_or_none, record_time
from ..errors import present
from ..i18n import tr
from ..record_view import RecordDialog, record_title
from ..workers import give_way
from .home import describe, state_words, summary_text, when


SORT_CHUNK = 4096
SEARCH_PAUSE_MS = 150


class RowSet:
    """A form's records for the table, column by column: a few lists of strings, so 100k
    rows are a handful of objects for the garbage collector to walk, not 100k tuples.
    Row ``i`` is ``ids[i]``. ``stamps[i]`` is when the row last changed (``hlc@device``, whose
    string order is time order): "Saved" shows it and sorts by it."""

    __slots__ = ("ids", "saved", "states", "answers", "versions", "stamps", "haystack", "drafts", "editing", "in_order")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.saved: list[str] = []      # the last change, shown to the minute; sorts by ``stamps``
        self.states: list[str] = []     # draft, waiting to sync, or synced (a few shared strings)
        self.answers: list[str] = []
        self.versions: list[str] = []
        self.stamps: list[str] = []
        self.haystack: list[str] = []   # what the search looks in, casefolded
        self.drafts: set[str] = set()   # rows that are unfinished drafts, not finished records
        self.editing: dict[str, str] = {}  # finished record -> the draft that edits it
        self.in_order = True               # are ``stamps`` ascending (then "Saved" needs no sort)?

    def __len__(self) -> int:
        return len(self.ids)

    def append(self, rid: str, saved: str, answers: str, version: str, state: str = "", stamp: str = "") -> None:
        self.ids.append(rid)
        self.saved.append(saved)
        self.states.append(state)
        self.answers.append(answers)
        self.versions.append(version)
        if self.stamps and stamp < self.stamps[-1]:
            self.in_order = False
        self.stamps.append(stamp)
        self.haystack.append(f"{saved}\n{state}\n{answers}\n{version}".casefold())

    def column(self, column: int) -> list[str]:
        return (self.saved, self.states, self.answers, self.versions)[column]


def load_rows(store, form_id: str, form=None, lang: str | None = None, words: dict[str, str] | None = None) -> RowSet:
    """Runs on the store worker: the form's records, oldest first, then its unfinished drafts.
    The state and the time of the last change come from plaintext columns (the outbox and
    each record's newest stamp), not from decrypting anything more."""
    words = words or {"draft": "draft", "editing": "editing", "waiting": "waiting", "synced": "synced"}
    rows = RowSet()
    # give_way: each row read lets go of the interpreter lock and takes it straight back,
    # which starves a waiting GUI thread (see gui/workers.py).
    stamps = dict(give_way(store.record_stamps(SUBMISSION_KIND, form_id=form_id)))
    waiting = set(give_way(store.waiting_record_ids(form_id=form_id)))
    drafts = list(store.list_records(DRAFT_KIND, form_id=form_id))  # a few: the ones not yet finished
    draft_stamps = dict(store.record_stamps(DRAFT_KIND, form_id=form_id)) if drafts else {}
    rows.editing = {d.fields[EDITING_FIELD]: d.id for d in drafts if d.fields.get(EDITING_FIELD)}
    shown_minutes: dict[int, str] = {}  # formatting a time is the dearest step of a row: once per minute

    def saved(rid: str, stamp: str) -> str:
        # A stamp starts with its 16-hex-digit HLC: milliseconds, then a 16-bit counter (storage/hlc.py).
        ms = int(stamp[:16], 16) >> 16 if stamp else int(record_time(rid) * 1000)
        minute = ms // 60_000
        text = shown_minutes.get(minute)
        if text is None:
            text = shown_minutes[minute] = when(ms / 1000)
        return text

    draft_word, editing_word, waiting_word, synced_word = words["draft"], words["editing"], words["waiting"], words["synced"]
    editing = rows.editing
    for r in give_way(store.list_records(SUBMISSION_KIND, form_id=form_id)):
        rid = r.id
        stamp = stamps.get(rid, "")
        state = editing_word if rid in editing else waiting_word if rid in waiting else synced_word
        rows.append(rid, saved(rid, stamp), summary_text(r.fields, limit=6, form=form, lang=lang), r.form_version or "",
                    state, stamp)
    for d in drafts:
        if d.fields.get(EDITING_FIELD):
            continue  # shown as its record's state
        stamp = draft_stamps.get(d.id, "")
        rows.append(d.id, saved(d.id, stamp), summary_text(d.fields, limit=6, form=form, lang=lang),
                    d.form_version or "", draft_word, stamp)
        rows.drafts.add(d.id)
    return rows


def sort_order(rows: RowSet, column: int, order: Qt.SortOrder) -> list[int]:
    """Row numbers in the table's order; off the GUI thread. "Saved" sorts by the stamp of
    the last change; when that is already the rows' order (nothing edited since it was
    saved, the usual case), no sort is needed. Columns sort in chunks merged in Python: one
    sort of 100k strings is a single call that holds the interpreter lock for tens of
    milliseconds, and the GUI thread would wait that long."""
    descending = order == Qt.SortOrder.DescendingOrder
    n = len(rows)
    key_list = rows.stamps if column == 0 else rows.column(column)
    if column == 0 and rows.in_order:
        return list(range(n - 1, -1, -1)) if descending else list(range(n))
    key = key_list.__getitem__
    runs = [sorted(range(lo, min(lo + SORT_CHUNK, n)), key=key, reverse=descending)
            for lo in range(0, n, SORT_CHUNK)]
    if len(runs) == 1:
        return runs[0]
    return list(heapq.merge(*runs, key=key, reverse=descending))


def matching(rows: RowSet, order: list[int], text: str) -> list[int]:
    """The rows of ``order`` (kept in that order) whose shown text contains ``text``,
    ignoring case. On the GUI thread: about 10 ms for 100k rows."""
    needle = text.strip().casefold()
    if not needle:
        return order
    hay = rows.haystack
    return [i for i in order if needle in hay[i]]


class RecordsModel(QAbstractTableModel):
    """The table: ``rows`` shown in ``shown`` order (sorted, then filtered by the search).

    Sorting is asked for on ``sort_requested`` and done off the GUI thread (see
    ``sort_order``); the search filters here, as a sorting and filtering proxy would
    call into Python for every cell of 100k rows (about a second per keystroke)."""

    sort_requested = Signal(int, Qt.SortOrder)

    def __init__(self) -> None:
        super().__init__()
        self.rows = RowSet()
        self.order: list[int] = []   # every row, sorted
        self.shown: list[int] = []   # the rows that match the search, sorted
        self.search = ""
        self.headers = [tr("Saved"), tr("State"), tr("Answers"), tr("Form version")]
        self.sorting: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.DescendingOrder)

    def set_rows(self, rows: RowSet, order: list[int]) -> None:
        """New rows, with their order for ``self.sorting`` (see ``sort_order``)."""
        self.beginResetModel()
        self.rows, self.order = rows, order
        self.shown = matching(rows, order, self.search)
        self.endResetModel()

    def set_order(self, rows: RowSet, sorting: tuple[int, Qt.SortOrder], order: list[int]) -> None:
        """A sort done off the GUI thread; dropped if the rows or the wish changed meanwhile."""
        if rows is self.rows and sorting == self.sorting:
            self.set_rows(rows, order)

    def set_search(self, text: str) -> None:
        self.search = text
        self.beginResetModel()
        self.shown = matching(self.rows, self.order, text)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if (column, order) != self.sorting:
            self.sorting = (column, order)
            self.sort_requested.emit(column, order)

    def record_id(self, row: int) -> str:
        return self.rows.ids[self.shown[row]]

    def row_of(self, rid: str) -> int | None:
        """The row showing record ``rid``, or None (not loaded, or hidden by the search)."""
        try:
            index = self.rows.ids.index(rid)
            return self.shown.index(index)
        except ValueError:
            return None

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows.column(index.column())[self.shown[index.row()]]
        if role == Qt.ItemDataRole.UserRole:
            return self.record_id(index.row())
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


class RecordsScreen(QWidget):
    edit_record = Signal(str)
    open_draft = Signal(str)

    def __init__(self, ctx: Context, titles: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("records")
        lay = QVBoxLayout(self)
        title = QLabel(tr("Records"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)
        bar = QHBoxLayout()
        lab = QLabel(tr("Form:"))
        bar.addWidget(lab)
        self.form_box = QComboBox()
        self.form_box.setObjectName("recordsForm")
        lab.setBuddy(self.form_box)
        self.titles = titles
        self.fill_forms()
        self.form_box.currentIndexChanged.connect(self.reload)
        ctx.forms_changed.connect(self.on_forms_changed)
        bar.addWidget(self.form_box, 1)
        slab = QLabel(tr("Search:"))
        bar.addWidget(slab)
        self.search = QLineEdit()
        self.search.setObjectName("recordsSearch")
        self.search.setPlaceholderText(tr("Any answer, e.g. a settlement"))
        self.search.setClearButtonEnabled(True)
        slab.setBuddy(self.search)
        bar.addWidget(self.search, 1)
        lay.addLayout(bar)
        self.model = RecordsModel()
        self.model.sort_requested.connect(self.on_sort_requested)
        # Filter once typing pauses, not on every key.
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_PAUSE_MS)
        self.search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self.search_timer.start)
        self.table = QTableView()
        self.table.setObjectName("recordsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        # Size the date column from the rows on screen, not from the first thousand.
        self.table.horizontalHeader().setResizeContentsPrecision(0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # A reload (a save, a sync, the search) resets the model: the selected record stays
        # selected, so a person who viewed a record can still press Edit or Delete on it.
        self._keep: str | None = None
        self.model.modelAboutToBeReset.connect(self.on_model_about_to_reset)
        self.model.modelReset.connect(self.on_model_reset)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(tr("Records"))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), so no Tab trap
        # Return on a row, or a double click, opens it (activated: both, once).
        self.table.activated.connect(self.on_view_clicked)
        lay.addWidget(self.table, 1)
        self.count = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        for text, name, slot in ((tr("View and history"), "recordView", self.on_view_clicked),
                                 (tr("Edit"), "recordEdit", self.on_edit_clicked),
                                 (tr("Delete…"), "recordDelete", self.on_delete_clicked)):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        lay.addLayout(buttons)
        ctx.records_changed.connect(self.reload)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.reload()  # fresh on every visit

    def fill_forms(self) -> None:
        for form_id in self.ctx.form_ids():
            self.form_box.addItem(self.titles.get(form_id, form_id), form_id)

    def on_forms_changed(self) -> None:
        """The hub published or withdrew a form: offer the new list, keeping the choice."""
        current = self.form_box.currentData()
        self.form_box.blockSignals(True)
        self.form_box.clear()
        self.fill_forms()
        self.form_box.setCurrentIndex(max(0, self.form_box.findData(current)))
        self.form_box.blockSignals(False)
        if self.form_box.currentData() != current:
            self.reload()

    def show_form(self, form_id: str) -> None:
        idx = self.form_box.findData(form_id)
        if idx >= 0 and idx != self.form_box.currentIndex():
            self.form_box.setCurrentIndex(idx)
        else:
            self.reload()

    def reload(self) -> None:
        if self.ctx.store is None:
            return
        form_id = self.form_box.currentData()
        ctx, lang, sorting, words = self.ctx, self.ctx.prefs.language, self.model.sorting, state_words()

        def load(st):
            # The form is loaded on the worker too: a first load parses a spreadsheet.
            rows = load_rows(st, form_id, ctx.form(form_id), lang, words)
            return rows, sorting, sort_order(rows, *sorting)

        self.ctx.run(load, self.on_loaded, lambda exc: present(self, exc), owner=self)

    def on_loaded(self, loaded: tuple) -> None:
        rows, sorting, order = loaded
        self.model.set_rows(rows, order)
        self.show_count()
        if sorting != self.model.sorting:  # a column header was clicked while it loaded
            self.on_sort_requested(*self.model.sorting)
        if self.table.isVisible():
            # Hidden (a sync reloads it in the background), the view measures every row,
            # not the ones on screen: 0.1 s for 4,000. It is sized again when shown.
            self.table.resizeColumnToContents(0)
            self.fit_state_column()

    def fit_state_column(self) -> None:
        """As wide as the longest state's words (a few known strings: no rows to measure)."""
        fm = self.table.fontMetrics()
        widest = max(fm.horizontalAdvance(w) for w in (*state_words().values(), self.model.headers[1]))
        self.table.setColumnWidth(1, widest + 4 * fm.averageCharWidth())

    def on_sort_requested(self, column: int, order: Qt.SortOrder) -> None:
        rows, sorting = self.model.rows, (column, order)
        self.ctx.tasks.background(lambda: sort_order(rows, column, order),
                                  lambda done: self.model.set_order(rows, sorting, done),
                                  lambda exc: present(self, exc), owner=self)

    def apply_search(self) -> None:
        self.model.set_search(self.search.text())
        self.show_count()

    def show_count(self) -> None:
        total, shown = len(self.model.rows), self.model.rowCount()
        if shown == total:
            self.count.setText(tr("{n} record(s)").format(n=total))
        else:
            self.count.setText(tr("{shown} of {n} record(s) match").format(shown=shown, n=total))

    def on_model_about_to_reset(self) -> None:
        self._keep = self.selected_id()

    def on_model_reset(self) -> None:
        rid, self._keep = self._keep, None
        row = self.model.row_of(rid) if rid is not None else None
        if row is not None:
            self.table.selectRow(row)

    def selected_id(self) -> str | None:
        idx = self.table.currentIndex()
        return self.model.record_id(idx.row()) if idx.isValid() else None

    def on_view_clicked(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        ctx = self.ctx

        def load(st):
            record = st.get_record(rid)
            return record, st.audit_entries(rid), form_or_none(ctx, record.form_id), st.device_id

        self.ctx.run(load, self.show_record, lambda exc: present(self, exc), owner=self)

    def show_record(self, loaded: tuple) -> None:
        record, history, form, device = loaded
        lang = self.ctx.prefs.language
        title = record_title(self.titles.get(record.form_id, record.form_id or ""), describe(record.fields, form, lang))
        dialog = RecordDialog(record, history, form, lang, device, title, parent=self, ctx=self.ctx)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def on_edit_clicked(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        rows = self.model.rows
        if rid in rows.drafts:
            self.open_draft.emit(rid)
        elif rid in rows.editing:  # carry on with the edit already started, not a second one
            self.open_draft.emit(rows.editing[rid])
        else:
            self.edit_record.emit(rid)

    def on_delete_clicked(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Delete record"),
                          tr("Delete this record? It is removed on every device after the next sync."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("confirmDelete")
        box.finished.connect(lambda code: self._delete(rid) if code == QMessageBox.StandardButton.Yes else None)
        box.open()

    def _delete(self, rid: str) -> None:
        edit = self.model.rows.editing.get(rid)  # an edit of it begun and not finished

        def work(st) -> None:
            if st.get_record(rid).kind == DRAFT_KIND:
                delete_draft(st, rid)  # and the files it kept
                return
            with st.atomic():  # the record and the parts of its files (storage/records.py)
                if edit is not None and any(d.id == edit for d in st.list_records(DRAFT_KIND)):
                    delete_draft(st, edit)  # an edit of a deleted record could never be finished
                st.delete_record(rid)

        self.ctx.run(work, lambda _r: self.ctx.saved(), lambda exc: present(self, exc), owner=self)
