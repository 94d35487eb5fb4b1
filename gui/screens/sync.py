"""Sync: state, "Sync now", USB bundles out and in, and the conflicts list."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHeaderView, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar,
    QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from storage import errors as se
from sync import errors as sy
from sync.client import SyncState

from ..attribution import stamp_author, stamp_time, who_when
from ..context import Context, form_or_none
from ..errors import message_for, present
from ..i18n import tr
from ..record_view import answer_text, question_label, record_title
from .home import describe


# Reasons that must be seen, not left to a tooltip: the person has something to do or to know.
SHOWN_REASONS = ("clock_ahead", "clock_behind", "clock_restamped", "set_aside")


def state_text(state: SyncState) -> str:
    if state.state == "up_to_date" and state.reason in ("clock_ahead", "clock_behind"):
        return tr("Connected, but this laptop's date and time are wrong")
    if state.state == "up_to_date" and state.pending:
        # Saved since the last sync: "up to date" would be untrue until the loop sends them.
        return tr("Connected: new changes go out shortly")
    return {
        "not_enrolled": tr("Not connected to a server"),
        "offline": tr("Offline: will sync when the server answers"),
        "syncing": tr("Syncing…"),
        "up_to_date": tr("Up to date"),
        "error": tr("Sync problem"),
    }.get(state.state, state.state)


# The bar counts in thousandths: stages count bytes or changes, and a byte count
# can pass what a QProgressBar's int holds.
PROGRESS_STEPS = 1000


def stage_text(stage: str) -> str:
    """What a USB export or import is doing (the stages of sync.client's progress)."""
    return {
        "reading": tr("Reading the changes to send…"),
        "sealing": tr("Sealing: compressing and encrypting…"),
        "writing": tr("Writing the file…"),
        "checking": tr("Checking the bundle's signature and contents…"),
        "applying": tr("Applying the changes…"),
    }.get(stage, tr("Working…"))


# One translated sentence per reason code of the sync loop (sync.client.REASON_CODES);
# a test fails when a code has none. Where a typed error is behind the reason, its
# own message (gui/errors.py) says more; these are the words when it is missing.
REASONS = {
    "server_silent": lambda: tr("The server does not answer; sync will try again by itself."),
    "server_unreachable": lambda: message_for(sy.ServerUnreachable("")),
    "device_revoked": lambda: message_for(sy.DeviceRevoked("")),
    "sync_error": lambda: message_for(sy.SyncError("")),
    "store_error": lambda: message_for(se.StorageError("")),
    "unexpected": lambda: tr("Sync failed unexpectedly; it will try again. If it happens again, tell your supervisor."),
    "clock_ahead": lambda: tr("This laptop's clock is ahead of the server's. Set the correct date and time; "
                              "newer changes wait until then."),
    "clock_behind": lambda: tr("This laptop's clock is far behind the server's. Set the correct date and time: "
                               "while it is wrong, edits made here can lose to older ones."),
    "clock_restamped": lambda: tr("This laptop's date was wrong earlier. The changes made then were given the "
                                  "current time and sent; their values are unchanged."),
    "set_aside": lambda: tr("The server refused some changes for good. They are set aside so that the rest can "
                            "sync; nothing was deleted."),
    "server_warning": lambda: tr("The server sent a note with this sync; its text is in the tooltip."),
}


def reason_text(state: SyncState) -> str:
    """Why the loop is in its state, in the interface language ('' when there is nothing to say)."""
    if state.error is not None:
        return message_for(state.error)
    words = REASONS.get(state.reason)
    return words() if words else ""


def state_tooltip(state: SyncState) -> str:
    """The reason, then the English detail (a network error's own words) for whoever diagnoses it."""
    reason = reason_text(state)
    return "\n".join(t for t in (reason, state.detail) if t)


def set_aside_text(n: int) -> str:
    return tr("{n} change(s) set aside: the server will not take them. Your supervisor can export them for support "
              "with 'sync set-aside --export'.").format(n=n)


def conflicts_text(n: int) -> str:
    """The badge beside the sync state."""
    return tr("{n} conflict(s) to review").format(n=n)


def last_sync_text(state: SyncState) -> str:
    if not state.last_sync:
        return tr("never synced")
    return tr("last sync {time}").format(time=time.strftime("%Y-%m-%d %H:%M", time.localtime(state.last_sync)))


class SyncScreen(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("syncScreen")
        lay = QVBoxLayout(self)
        title = QLabel(tr("Sync and USB"))
        title.setObjectName("screenTitle")
        lay.addWidget(title)

        status = QGroupBox(tr("Server"))
        sl = QHBoxLayout(status)
        self.state = QLabel()
        self.state.setObjectName("syncScreenState")
        self.state.setWordWrap(True)
        sl.addWidget(self.state, 1)
        self.sync_button = QPushButton(tr("Sync now"))
        self.sync_button.clicked.connect(self.ctx.sync_now)
        sl.addWidget(self.sync_button)
        lay.addWidget(status)

        usb = QGroupBox(tr("USB bundle (when there is no network)"))
        ul = QVBoxLayout(usb)
        row = QHBoxLayout()
        lab = QLabel(tr("File:"))
        row.addWidget(lab)
        self.path = QLineEdit()
        self.path.setObjectName("bundlePath")
        self.path.setPlaceholderText(tr("e.g. /media/usb/fieldbook.fbb"))
        lab.setBuddy(self.path)
        row.addWidget(self.path, 1)
        self.open_button = QPushButton(tr("Choose file to import…"))
        self.open_button.setObjectName("bundleChooseOpen")
        self.open_button.clicked.connect(self.on_choose_open_clicked)
        row.addWidget(self.open_button)
        self.save_button = QPushButton(tr("Choose where to export…"))
        self.save_button.setObjectName("bundleChooseSave")
        self.save_button.clicked.connect(self.on_choose_save_clicked)
        row.addWidget(self.save_button)
        ul.addLayout(row)
        row2 = QHBoxLayout()
        self.export_button = QPushButton(tr("Export changes to this file"))
        self.export_button.setObjectName("bundleExport")
        self.export_button.clicked.connect(self.on_export_clicked)
        self.import_button = QPushButton(tr("Import this file"))
        self.import_button.setObjectName("bundleImport")
        self.import_button.clicked.connect(self.on_import_clicked)
        row2.addWidget(self.export_button)
        row2.addWidget(self.import_button)
        row2.addStretch(1)
        ul.addLayout(row2)
        self.progress = QProgressBar()
        self.progress.setObjectName("bundleProgress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        ul.addWidget(self.progress)
        self.result = QLabel()
        self.result.setObjectName("bundleResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        ul.addWidget(self.result)
        lay.addWidget(usb)

        conflicts = QGroupBox(tr("Conflicts: two laptops changed the same answer"))
        cl = QVBoxLayout(conflicts)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("conflictsTable")
        self.table.setHorizontalHeaderLabels([tr("Record"), tr("Question"), tr("Current value"), tr("Value set aside")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for col in range(4):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(tr("Conflicts"))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), so no Tab trap
        cl.addWidget(self.table, 1)
        crow = QHBoxLayout()
        self.views: list[ConflictView] = []
        self.conflict_note = QLabel()
        self.conflict_note.setWordWrap(True)
        crow.addWidget(self.conflict_note, 1)
        keep = QPushButton(tr("Keep current value…"))
        keep.setObjectName("conflictKeep")
        keep.clicked.connect(lambda: self.on_resolve_clicked(False))
        restore = QPushButton(tr("Restore the value set aside…"))
        restore.setObjectName("conflictRestore")
        restore.clicked.connect(lambda: self.on_resolve_clicked(True))
        crow.addWidget(keep)
        crow.addWidget(restore)
        cl.addLayout(crow)
        lay.addWidget(conflicts, 1)
        ctx.sync_state.connect(self.on_state)
        ctx.records_changed.connect(self.reload_conflicts)
        self.on_state(ctx.last_state)
        self.reload_conflicts()

    def on_state(self, state: SyncState) -> None:
        text = f"{state_text(state)} — {last_sync_text(state)}. " + tr("{n} change(s) waiting to be sent.").format(n=state.pending)
        # Offline is already said in full; its reason stays in the tooltip, with the network's
        # own words for whoever diagnoses a wrong address. A problem, or changes held back,
        # needs its reason shown, in the person's language.
        if state.state == "error" or state.reason in SHOWN_REASONS:
            reason = reason_text(state)
            if reason:
                text += "\n" + reason
        if state.set_aside:
            text += "\n" + set_aside_text(state.set_aside)
        self.state.setToolTip(state_tooltip(state))
        self.state.setText(text)

    # -- USB ---------------------------------------------------------------------------------------
    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        # Leaving the screen (not the window being minimised): the last USB message is stale
        # when the person comes back. A job still running keeps its words until it ends.
        if not event.spontaneous() and self.export_button.isEnabled():
            self.result.clear()
            self.progress.setValue(0)

    def _file_dialog(self, save: bool) -> QFileDialog:
        """Qt's own file dialog, not the system's: the system's follows the system's language, not
        the one chosen here, and was partly in English in the Ukrainian interface. Qt's own is
        translated by Qt's translations (gui/i18n.install); its buttons and labels by ours."""
        typed = Path(self.path.text().strip()).expanduser() if self.path.text().strip() else None
        start = typed.parent if typed is not None and typed.parent.is_dir() else Path.home()
        title = tr("Choose where to export the bundle") if save else tr("Choose a bundle to import")
        dialog = QFileDialog(self, title, str(start), tr("Fieldbook bundles (*.fbb);;All files (*)"))
        dialog.setObjectName("bundleSaveDialog" if save else "bundleOpenDialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            dialog.setDefaultSuffix("fbb")
            if typed is not None:
                dialog.selectFile(typed.name)
        else:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        labels = {QFileDialog.DialogLabel.LookIn: tr("Look in:"), QFileDialog.DialogLabel.FileName: tr("File name:"),
                  QFileDialog.DialogLabel.FileType: tr("Files of type:"),
                  QFileDialog.DialogLabel.Accept: tr("Choose") if save else tr("Open"),
                  QFileDialog.DialogLabel.Reject: tr("Cancel")}
        for which, text in labels.items():
            dialog.setLabelText(which, text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.on_file_chosen)
        return dialog

    def on_choose_open_clicked(self) -> None:
        self._file_dialog(save=False).open()  # window-modal, no nested event loop: sync and auto-lock go on

    def on_choose_save_clicked(self) -> None:
        self._file_dialog(save=True).open()

    def on_file_chosen(self, path: str) -> None:
        if path:
            self.path.setText(path)
            self.result.clear()

    def _start(self) -> Path | None:
        text = self.path.text().strip()
        if not text:
            self.result.setText(tr("Choose a file first."))
            return None
        self.progress.setRange(0, 0)  # busy until the worker answers
        self.export_button.setEnabled(False)
        self.import_button.setEnabled(False)
        self.result.setText(tr("Working…"))
        return Path(text).expanduser()

    def on_progress(self, stage: str, done: int, total: int) -> None:
        """A stage of the export or import (throttled by the worker, on the GUI thread)."""
        # The words first, then the bar: whoever watches the bar reads the stage it belongs to.
        if total <= 0:
            self.result.setText(stage_text(stage))
            self.progress.setRange(0, 0)  # the stage's size is not known yet: busy
            return
        self.result.setText(tr("{stage} {percent}%").format(stage=stage_text(stage), percent=100 * done // total))
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(min(PROGRESS_STEPS, done * PROGRESS_STEPS // total))

    def _stop(self) -> None:
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(PROGRESS_STEPS)
        self.export_button.setEnabled(True)
        self.import_button.setEnabled(True)

    def on_export_clicked(self) -> None:
        path, client = self._start(), self.ctx.client
        if path is None:
            return
        self.ctx.tasks.background(lambda report: client.export_parts(path, progress=report), self.on_exported,
                                  self.on_bundle_failed, progress=self.on_progress)

    def on_exported(self, parts: list) -> None:
        self._stop()
        n = sum(count for _, count in parts)
        if len(parts) == 1:
            self.result.setText(tr("Exported {n} change(s) to the file. Take it to the hub; "
                                   "they stay marked as waiting until the hub confirms them.").format(n=n))
            return
        # Too many for one bundle: the parts sit beside the chosen name (docs/sync.md, "USB bundles").
        self.result.setText(tr("Exported {n} change(s) in {parts} files, too many for one: {first} to {last}. "
                               "Take them all to the hub, which can import them in any order; the changes stay "
                               "marked as waiting until the hub confirms them.").format(
            n=n, parts=len(parts), first=parts[0][0].name, last=parts[-1][0].name))

    def on_import_clicked(self) -> None:
        path, client = self._start(), self.ctx.client
        if path is None:
            return
        self.ctx.tasks.background(lambda report: client.import_bundle(path, progress=report), self.on_imported,
                                  self.on_bundle_failed, progress=self.on_progress)

    def on_imported(self, result) -> None:
        self._stop()
        if result.kind == "forward":
            self.result.setText(tr("This bundle is from another laptop for the hub. It is kept, unread, "
                                   "and will be uploaded at the next sync."))
        else:
            self.result.setText(tr("Imported: {new} new change(s), {dup} already here, {conf} conflict(s); "
                                   "the hub confirmed {acked} of ours.").format(
                new=result.new, dup=result.duplicates, conf=result.conflicts, acked=result.acked))
            if result.forms_changed:
                self.result.setText(self.result.text() + " " + tr("The hub's forms were updated."))
                self.ctx.refresh_forms()
        self.ctx.saved()

    def on_bundle_failed(self, exc: BaseException) -> None:
        self._stop()
        self.progress.setValue(0)
        if isinstance(exc, sy.BundleError):  # the bundle itself was refused
            self.result.setText(tr("Refused: {reason}").format(reason=message_for(exc)))
        else:  # a file that is not there, a stick not mounted, not enrolled: what happened, plainly
            self.result.setText(message_for(exc))

    # -- conflicts ----------------------------------------------------------------------------------
    def reload_conflicts(self) -> None:
        if self.ctx.store is None:
            return
        ctx = self.ctx

        def load(st):
            # Each conflict with its record, that record's history (who wrote each value here)
            # and its form (labels): the few open conflicts, read on the store worker.
            records: dict[str, tuple] = {}
            out = []
            for c in st.conflicts():
                if c.record_id not in records:
                    try:
                        record = st.get_record(c.record_id)
                    except se.UnknownRecord:
                        record = None
                    form = form_or_none(ctx, record.form_id) if record is not None else None
                    records[c.record_id] = (record, st.audit_entries(c.record_id), form)
                out.append((c, *records[c.record_id]))
            return out, st.device_id

        self.ctx.run(load, self.on_conflicts, lambda exc: present(self, exc), owner=self)

    def on_conflicts(self, loaded: tuple) -> None:
        conflicts, device = loaded
        lang = self.ctx.prefs.language
        self.views = [conflict_view(c, record, history, form, lang, device, self.ctx.form_title)
                      for c, record, history, form in conflicts]
        self.table.setRowCount(len(self.views))
        for k, view in enumerate(self.views):
            for col, text in enumerate((view.record, view.question, view.current_cell, view.lost_cell)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, view.id)
                item.setToolTip(text)
                self.table.setItem(k, col, item)
        self.table.resizeRowsToContents()
        self.conflict_note.setText(tr("No conflicts to review.") if not conflicts else
                                   tr("{n} to review. Choose a row, then keep the current value or restore "
                                      "the one set aside.").format(n=len(conflicts)))

    def selected_view(self) -> "ConflictView | None":
        row = self.table.currentRow()
        if row < 0 or row >= len(self.views):
            return None
        return self.views[row]

    def on_resolve_clicked(self, restore: bool) -> None:
        view = self.selected_view()
        if view is None:
            self.conflict_note.setText(tr("Choose a conflict in the list first."))
            return
        if restore:
            title = tr("Restore the value set aside")
            text = tr("Restore “{lost}”?")
            detail = tr("It replaces the current value, “{current}”, on every laptop after the next sync.")
            action = tr("Restore")
        else:
            title = tr("Keep the current value")
            text = tr("Keep the current value, “{current}”?")
            detail = tr("The value set aside, “{lost}”, is dropped and the conflict is closed.")
            action = tr("Keep")
        words = {"lost": view.lost, "current": view.current}
        box = QMessageBox(QMessageBox.Icon.Question, title, text.format(**words), QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(tr("Record: {record}\nQuestion: {question}").format(record=view.record, question=view.question)
                               + "\n\n" + detail.format(**words))
        box.setObjectName("confirmConflict")
        yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        cid = view.id
        box.finished.connect(lambda _code: self._resolve(cid, restore) if box.clickedButton() is yes else None)
        box.open()

    def _resolve(self, cid: int, restore: bool) -> None:
        self.ctx.run(lambda st: st.resolve_conflict(cid, restore=restore), lambda _r: self.ctx.saved(),
                     lambda exc: present(self, exc), owner=self)


@dataclass
class ConflictView:
    """One conflict in words: the record as the lists name it, the question by its label, and
    both values (choice labels) with who wrote each, on which laptop, and when."""

    id: int
    record: str
    question: str
    current: str
    current_by: str
    lost: str
    lost_by: str

    @property
    def current_cell(self) -> str:
        return f"{self.current}\n{self.current_by}"

    @property
    def lost_cell(self) -> str:
        return f"{self.lost}\n{self.lost_by}"


def conflict_view(c, record, history: list, form, lang: str, this_device: str, form_title) -> ConflictView:
    q = form.questions.get(c.field) if form is not None else None
    if record is None:
        name, current, current_stamp = c.record_id[-12:], tr("(not on this laptop)"), c.winner
    else:
        title = form_title(record.form_id) if record.form_id else ""
        name = record_title(title, describe(record.fields, form, lang)) if not record.deleted else \
            tr("{record} (deleted)").format(record=title or c.record_id[-12:])
        if record.deleted:
            current, current_stamp = tr("(the record was deleted)"), record.clocks.get("_deleted", c.winner)
        else:
            current = answer_text(q, record.fields.get(c.field), form, lang) or tr("(no answer)")
            current_stamp = record.clocks.get(c.field, c.winner)
    user, uid, device = stamp_author(current_stamp, history, this_device)
    current_by = who_when(user, device, stamp_time(current_stamp), this_device, user_id=uid)
    user, uid, device = stamp_author(c.stamp, history, this_device)
    user = user or getattr(c, "author", None)  # a value that lost on arrival keeps its author with the conflict
    lost_by = who_when(user, device, stamp_time(c.stamp), this_device, user_id=uid)
    lost = answer_text(q, c.value, form, lang) or tr("(no answer)")
    return ConflictView(c.id, name, question_label(form, c.field, lang), current, current_by, lost, lost_by)
