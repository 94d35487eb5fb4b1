"""Records of one form: a searchable table; view with history, edit, delete with confirmation."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMessageBox, QPlainTextEdit, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from storage.hlc import wall_ms

from ..context import SUBMISSION_KIND, Context, record_time
from ..errors import present
from ..i18n import tr
from .home import summary_text, when


def load_rows(store, form_id: str, form=None, lang: str | None = None) -> list[tuple]:
    """Runs on the store worker: (id, when, summary, searchable text) for the form's records."""
    rows = []
    for r in store.list_records(SUBMISSION_KIND):
        if r.form_id != form_id:
            continue
        text = summary_text(r.fields, limit=6, form=form, lang=lang)
        rows.append((r.id, when(record_time(r.id)), text, r.form_version or ""))
    rows.reverse()
    return rows


def sort_rows(rows: list[tuple], column: int, order: Qt.SortOrder) -> list[tuple]:
    """Rows in the table's order. "Saved" sorts by record id: UUIDv7s are time-ordered,
    and the shown time is only to the minute. Plain Python: it runs on the store worker
    for a load, so a big list never sorts on the GUI thread."""
    key = 0 if column == 0 else column + 1
    rows.sort(key=lambda r: r[key], reverse=order == Qt.SortOrder.DescendingOrder)
    return rows


class RecordsModel(QAbstractTableModel):
    """The table's rows, sorted here in Python. A sorting proxy would compare rows through
    ``data()``, a call into Python per comparison: 100k rows took seconds on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple] = []
        self.headers = [tr("Saved"), tr("Answers"), tr("Form version")]
        self.order: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.DescendingOrder)

    def set_rows(self, rows: list[tuple]) -> None:
        """``rows`` already in ``self.order`` (see ``sort_rows``)."""
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.order = (column, order)
        self.beginResetModel()
        sort_rows(self.rows, column, order)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 3

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column() + 1]
        if role == Qt.ItemDataRole.UserRole:
            return self.rows[index.row()][0]
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


class FilterProxy(QSortFilterProxyModel):
    """Filters for the search box; sorting is passed to the source model (see RecordsModel)."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class RecordDialog(QDialog):
    """A record's answers and its history from the audit log."""

    def __init__(self, record, history: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Record"))
        self.resize(640, 520)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("Answers")))
        answers = QPlainTextEdit()
        answers.setReadOnly(True)
        answers.setObjectName("recordAnswers")
        answers.setPlainText("\n".join(f"{k}: {v}" for k, v in record.fields.items()))
        lay.addWidget(answers, 2)
        lay.addWidget(QLabel(tr("History")))
        hist = QPlainTextEdit()
        hist.setReadOnly(True)
        hist.setObjectName("recordHistory")
        hist.setPlainText("\n".join(
            f"{when(wall_ms(e.hlc) / 1000)}  {e.action}  {e.user_name or ''}" for e in history))
        lay.addWidget(hist, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class RecordsScreen(QWidget):
    edit_record = Signal(str)

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
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("recordsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        # Size the date column from the rows on screen, not from the first thousand.
        self.table.horizontalHeader().setResizeContentsPrecision(0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(tr("Records"))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), so no Tab trap
        self.table.doubleClicked.connect(self.on_view_clicked)
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
        ctx, lang, (column, order) = self.ctx, self.ctx.prefs.language, self.model.order
        # The form is loaded on the worker too: a first load parses a spreadsheet.
        self.ctx.run(lambda st: sort_rows(load_rows(st, form_id, ctx.form(form_id), lang), column, order), self.on_loaded,
                     lambda exc: present(self, exc), owner=self)

    def on_loaded(self, rows: list) -> None:
        self.model.set_rows(rows)
        self.count.setText(tr("{n} record(s)").format(n=len(rows)))
        if self.table.isVisible():
            # Hidden (a sync reloads it in the background), the view measures every row,
            # not the ones on screen: 0.1 s for 4,000. It is sized again when shown.
            self.table.resizeColumnToContents(0)

    def selected_id(self) -> str | None:
        idx = self.table.currentIndex()
        return self.proxy.data(idx, Qt.ItemDataRole.UserRole) if idx.isValid() else None

    def on_view_clicked(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        self.ctx.run(lambda st: (st.get_record(rid), st.audit_entries(rid)),
                     lambda res: RecordDialog(*res, parent=self).open(), lambda exc: present(self, exc), owner=self)

    def on_edit_clicked(self) -> None:
        rid = self.selected_id()
        if rid is not None:
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
        self.ctx.run(lambda st: st.delete_record(rid), lambda _r: self.ctx.saved(), lambda exc: present(self, exc), owner=self)
