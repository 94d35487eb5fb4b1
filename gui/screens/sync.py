"""Sync: state, "Sync now", USB bundles out and in, and the conflicts list."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHeaderView, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from storage import errors as se
from storage.hlc import wall_ms
from sync import errors as sy
from sync.client import SyncState

from ..context import Context
from ..errors import message_for, present
from ..i18n import tr


def state_text(state: SyncState) -> str:
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
        browse = QPushButton(tr("Choose…"))
        browse.clicked.connect(self.on_browse_clicked)
        row.addWidget(browse)
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

        conflicts = QGroupBox(tr("Conflicts: values that lost a concurrent edit"))
        cl = QVBoxLayout(conflicts)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("conflictsTable")
        self.table.setHorizontalHeaderLabels([tr("Record"), tr("Field"), tr("Value that lost"), tr("Found")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(tr("Conflicts"))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), so no Tab trap
        cl.addWidget(self.table, 1)
        crow = QHBoxLayout()
        self.conflict_note = QLabel()
        crow.addWidget(self.conflict_note, 1)
        keep = QPushButton(tr("Keep current value"))
        keep.setObjectName("conflictKeep")
        keep.clicked.connect(lambda: self.on_resolve_clicked(False))
        restore = QPushButton(tr("Restore this value"))
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
        if state.state == "error" or state.reason == "clock_ahead":
            reason = reason_text(state)
            if reason:
                text += "\n" + reason
        self.state.setToolTip(state_tooltip(state))
        self.state.setText(text)

    # -- USB ---------------------------------------------------------------------------------------
    def on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Bundle file"), self.path.text(), tr("Fieldbook bundles (*.fbb)"),
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path.setText(path)

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
        self.result.setText(tr("Refused: {reason}").format(reason=message_for(exc)))

    # -- conflicts ----------------------------------------------------------------------------------
    def reload_conflicts(self) -> None:
        if self.ctx.store is None:
            return
        self.ctx.run(lambda st: st.conflicts(), self.on_conflicts, lambda exc: present(self, exc), owner=self)

    def on_conflicts(self, conflicts: list) -> None:
        self.table.setRowCount(len(conflicts))
        for k, c in enumerate(conflicts):
            found = time.strftime("%Y-%m-%d %H:%M", time.localtime(wall_ms(c.found) / 1000))
            for col, text in enumerate((c.record_id[-12:], c.field, str(c.value), found)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, c.id)
                self.table.setItem(k, col, item)
        self.conflict_note.setText(tr("No conflicts to review.") if not conflicts else
                                   tr("{n} to review.").format(n=len(conflicts)))

    def on_resolve_clicked(self, restore: bool) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is None:
            return
        cid = item.data(Qt.ItemDataRole.UserRole)
        self.ctx.run(lambda st: st.resolve_conflict(cid, restore=restore), lambda _r: self.ctx.saved(),
                     lambda exc: present(self, exc), owner=self)
