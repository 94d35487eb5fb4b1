"""The Desk's two tools around distribution day, as the command line has them:

- **Print cards** (``card print``): a team lead, before the day, prints household cards
  with QR codes on A4 sheets for the round's households that have no card yet (or
  reprints them), choosing what is printed beside the code.
- **PDM sample** (``round sample``): after the round, a monitoring officer draws the
  reproducible random sample of served households, makes a PDM form draft for each
  (on Home), and saves the list.

Each dialog has sensible defaults, a file chooser, and runs its work on a worker
with progress: the store's part holds the store lock, as sync does, and lets the GUI
thread in between rows (``give_way``); the PDF is drawn on the worker too. Files go
outside the profile folder, readable by their owner only, and each run is in the
audit log as the command line logs it.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from distributions import cards, pdm
from distributions.desk_errors import DistributionError
from distributions.rounds import Round

from ..context import Context
from ..i18n import tr
from ..workers import give_way

PROGRESS_STEPS = 1000

OK_STYLE = "color: #1b4d1f;"
STOP_STYLE = "color: #b00020;"


def field_names() -> dict[str, str]:
    """What a card may show beside its code (distributions.cards.CARD_FIELDS), in words."""
    return {"external_ref": tr("Household reference"), "head_name": tr("Head of household's name"),
            "settlement": tr("Settlement"), "hromada": tr("Hromada"), "raion": tr("Raion"), "oblast": tr("Oblast"),
            "hh_size": tr("Household size")}


def check_out(text: str, suffix: str, profile: Path) -> Path:
    """The file chosen, or ValueError in words: a name ending in ``suffix`` (added when left
    out), in a folder that exists, outside the profile folder."""
    text = text.strip()
    if not text:
        raise ValueError(tr("Choose the file to write."))
    out = Path(text).expanduser()
    if out.suffix.lower() != suffix:
        out = out.with_name(out.name + suffix)
    if not out.is_absolute():
        raise ValueError(tr("Give the file's full path, or choose it with Choose…."))
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise ValueError(tr("The folder {folder} does not exist.").format(folder=out.parent))
    if out.is_dir():
        raise ValueError(tr("{file} is a folder: give a file name.").format(file=out))
    p = profile.expanduser().resolve()
    if folder == p or p in folder.parents:
        raise ValueError(tr("Save it outside the profile folder: the profile holds only the encrypted store."))
    return out


def paced(report: Callable[[str, int, int], None], stage: str, total: int) -> Callable:
    """``pace`` for the store's loops: gives way to the GUI thread and counts rows towards ``total``."""
    done = [0]

    def pace(items):
        for item in give_way(items):
            done[0] += 1
            report(stage, min(done[0], total), total)
            yield item

    return pace


# -- work on the worker ------------------------------------------------------------------

def print_cards(store, lock: threading.RLock, rnd: Round, team: str | None, *, show: tuple[str, ...], reprint: bool,
                lang: str, out: Path, report: Callable[[str, int, int], None]) -> dict:
    """``card print`` for the Desk: choose and code the households (store lock held), draw
    the sheets, write the PDF owner-only, and log it."""
    from ..cards_pdf import render, write_owner_only

    with lock:
        total = store.count_records("household")
        chosen, new = cards.cards_to_print(store, rnd, team=team, reprint=reprint, pace=paced(report, "read", total))
    if not chosen:
        return {"cards": 0, "new": 0, "out": None}
    lines = [(code, [str(f.get(name)) for name in show if f.get(name) not in (None, "")]) for code, f in chosen]
    data = render(lines, title=rnd.title(lang), qr=cards.qr_modules, progress=lambda d, t: report("draw", d, t))
    write_owner_only(data, out)
    with lock:
        store.log_event(f"card_print|{rnd.round_id}|{len(chosen)}")
    return {"cards": len(chosen), "new": new, "out": out, "sheets": math.ceil(len(chosen) / 10)}


def draw_sample(store, lock: threading.RLock, round_id: str, *, percent: float, seed: str, drafts: bool,
                out: Path | None, report: Callable[[str, int, int], None]) -> dict:
    """``round sample`` for the Desk: the sample, PDM drafts if asked, the list written owner-only, logged."""
    with lock:
        total = 2 * store.count_records("receipt")  # read, then checked: two passes
        picked, population = pdm.sample(store, round_id, percent=percent, seed=seed,
                                        pace=paced(report, "sample", total))
        made = already = 0
        if drafts:
            made, already = pdm.make_drafts(store, picked)
        store.log_event(f"pdm_sample|{round_id}|{len(picked)}")
    if out is not None:
        pdm.write_list(picked, out)
        with lock:
            store.log_event(f"pdm_sample_list|{round_id}|{len(picked)}")
    return {"picked": len(picked), "population": population, "made": made, "already": already, "out": out}


# -- the dialogs ------------------------------------------------------------------------------

class ToolDialog(QDialog):
    """What both dialogs share: a file row, a progress bar, a result line, Run and Close."""

    suffix = ".pdf"
    file_filter = "PDF (*.pdf)"

    def __init__(self, ctx: Context, rnd: Round, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.rnd = ctx, rnd
        self.running = False
        self.setMinimumWidth(640)
        self.lay = QVBoxLayout(self)
        self.form = QFormLayout()
        self.lay.addLayout(self.form)

    def add_file_row(self, default_name: str, label: str) -> None:
        row = QHBoxLayout()
        self.file = QLineEdit(str(Path.home() / default_name))
        self.file.setObjectName("toolFile")
        self.file.setAccessibleName(label)
        self.choose = QPushButton(tr("Choose…"))
        self.choose.setObjectName("toolChoose")
        self.choose.clicked.connect(self.on_choose)
        row.addWidget(self.file, 1)
        row.addWidget(self.choose)
        self.form.addRow(label, row)

    def add_run_row(self, run_text: str) -> None:
        self.progress = QProgressBar()
        self.progress.setObjectName("toolProgress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        self.lay.addWidget(self.progress)
        self.stage = QLabel()
        self.stage.setObjectName("toolStage")
        self.lay.addWidget(self.stage)
        self.result = QLabel()
        self.result.setObjectName("toolResult")
        self.result.setWordWrap(True)
        self.lay.addWidget(self.result)
        buttons = QDialogButtonBox()
        self.run_button = buttons.addButton(run_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("toolRun")
        self.run_button.setDefault(True)
        self.close_button = buttons.addButton(tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setObjectName("toolClose")
        buttons.accepted.connect(self.on_run)
        buttons.rejected.connect(self.reject)
        self.lay.addWidget(buttons)

    def on_choose(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.windowTitle(), self.file.text(), self.file_filter)
        if path:
            self.file.setText(path)

    def reject(self) -> None:
        if self.running:  # the worker is writing: the dialog stays until it has finished
            self.show_result(tr("Still working: wait until it has finished."), STOP_STYLE)
            return
        super().reject()

    def show_result(self, text: str, style: str) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(style)
        self.resize(self.width(), self.sizeHint().height())  # room for the result's lines

    def set_running(self, on: bool) -> None:
        self.running = on
        for w in self.inputs():
            w.setEnabled(not on)
        self.run_button.setEnabled(not on)
        self.close_button.setEnabled(not on)
        self.progress.setVisible(on)
        if on:
            self.progress.setRange(0, 0)  # busy until the first count comes
            self.result.setText("")
        else:
            self.stage.setText("")

    def inputs(self) -> list[QWidget]:
        return [self.file, self.choose]

    def on_progress(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(self.stage_text(stage, done, total))
        if total:
            self.progress.setRange(0, PROGRESS_STEPS)
            self.progress.setValue(min(PROGRESS_STEPS, done * PROGRESS_STEPS // total))

    def stage_text(self, stage: str, done: int, total: int) -> str:
        return ""

    def on_failed(self, exc: BaseException) -> None:
        self.set_running(False)
        if isinstance(exc, DistributionError):
            text = tr("Nothing was written: {reason}").format(reason=str(exc))
        elif isinstance(exc, OSError):
            text = tr("The file could not be written: {reason}").format(reason=exc.strerror or str(exc))
        else:
            text = tr("Something went wrong; nothing was written. Try again.")
        self.show_result(text, STOP_STYLE)

    def on_run(self) -> None:
        raise NotImplementedError


class CardsDialog(ToolDialog):
    """Print cards: which households, what beside the code, the round's name in which language."""

    def __init__(self, ctx: Context, rnd: Round, team: str | None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, rnd, parent)
        self.team = team
        self.setObjectName("cardsDialog")
        self.setWindowTitle(tr("Print household cards"))
        intro = QLabel(tr("Cards with a QR code for the households of round {round} that this team serves and that "
                          "have no card yet, ten to an A4 sheet. Each gets its card code now; the code holds no "
                          "personal data.").format(round=rnd.title(ctx.prefs.language)))
        intro.setWordWrap(True)
        self.lay.insertWidget(0, intro)
        self.reprint = QCheckBox(tr("Also households that already have a card (the same code again)"))
        self.reprint.setObjectName("cardsReprint")
        self.form.addRow(self.reprint)
        box = QGroupBox(tr("Printed beside the code"))
        bl = QVBoxLayout(box)
        self.show_boxes: dict[str, QCheckBox] = {}
        for name, words in field_names().items():
            cb = QCheckBox(words)
            cb.setObjectName(f"cardsShow_{name}")
            cb.setChecked(name in cards.DEFAULT_SHOW)
            bl.addWidget(cb)
            self.show_boxes[name] = cb
        self.form.addRow(box)
        self.lang = QComboBox()
        self.lang.setObjectName("cardsLang")
        self.lang.addItem("Українська", "uk")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(self.lang.findData(ctx.prefs.language if ctx.prefs.language in ("uk", "en") else "uk"))
        self.form.addRow(tr("Round's name in:"), self.lang)
        self.add_file_row(f"cards-{rnd.round_id}.pdf", tr("Save the cards to:"))
        self.add_run_row(tr("Print cards"))

    def inputs(self) -> list[QWidget]:
        return [*super().inputs(), self.reprint, self.lang, *self.show_boxes.values()]

    def stage_text(self, stage: str, done: int, total: int) -> str:
        if stage == "read":
            return tr("Choosing the households: {done} of {total}").format(done=done, total=total)
        return tr("Drawing the cards: {done} of {total}").format(done=done, total=total)

    def on_run(self) -> None:
        try:
            out = check_out(self.file.text(), ".pdf", self.ctx.profile)
        except ValueError as exc:
            self.show_result(str(exc), STOP_STYLE)
            self.file.setFocus()
            return
        self.file.setText(str(out))
        show = tuple(name for name, cb in self.show_boxes.items() if cb.isChecked())
        store, lock, rnd, team = self.ctx.store, self.ctx.tasks.store_lock, self.rnd, self.team
        reprint, lang = self.reprint.isChecked(), self.lang.currentData()
        self.set_running(True)
        self.ctx.tasks.background(
            lambda report: print_cards(store, lock, rnd, team, show=show, reprint=reprint, lang=lang, out=out,
                                       report=report),
            self.on_done, self.on_failed, owner=self, progress=self.on_progress)

    def on_done(self, r: dict) -> None:
        self.set_running(False)
        if not r["cards"]:
            self.show_result(tr("Every household of this round on this team's list has a card already: nothing to "
                                "print. Tick “Also households that already have a card” to print them again."),
                             STOP_STYLE)
            return
        self.show_result(tr("{n} card(s) on {sheets} sheet(s) written to {file}; {new} new card code(s).")
                         .format(n=r["cards"], sheets=r["sheets"], file=r["out"], new=r["new"]), OK_STYLE)
        if r["new"]:
            self.ctx.saved()  # the new card codes sync, and the screens that show households reload


class PdmDialog(ToolDialog):
    """PDM sample: how much, which seed, drafts, and where the list goes."""

    suffix = ".csv"
    file_filter = "CSV (*.csv)"

    def __init__(self, ctx: Context, rnd: Round, parent: QWidget | None = None) -> None:
        super().__init__(ctx, rnd, parent)
        self.setObjectName("pdmDialog")
        self.setWindowTitle(tr("Post-distribution monitoring sample"))
        intro = QLabel(tr("A random sample of the households that received round {round}, drawn from the receipts "
                          "this laptop holds (sync first, to hold every desk's). The same percentage and seed always "
                          "draw the same households.").format(round=rnd.title(ctx.prefs.language)))
        intro.setWordWrap(True)
        self.lay.insertWidget(0, intro)
        self.percent = QDoubleSpinBox()
        self.percent.setObjectName("pdmPercent")
        self.percent.setRange(0.1, 100.0)
        self.percent.setDecimals(1)
        self.percent.setValue(10.0)
        self.percent.setSuffix(" %")
        self.percent.setAccessibleName(tr("Share of the served households"))
        self.form.addRow(tr("Share of the served households:"), self.percent)
        self.seed = QLineEdit()
        self.seed.setObjectName("pdmSeed")
        self.seed.setMaxLength(100)
        self.seed.setPlaceholderText(tr("Empty: the round's usual sample; another word draws another sample"))
        self.seed.setAccessibleName(tr("Seed"))
        self.form.addRow(tr("Seed:"), self.seed)
        self.drafts = QCheckBox(tr("A PDM form draft for each, its card number filled in (on Home)"))
        self.drafts.setObjectName("pdmDrafts")
        self.drafts.setChecked(True)
        self.form.addRow(self.drafts)
        self.save_list = QCheckBox(tr("Save the list: references, card numbers, receipts; no names"))
        self.save_list.setObjectName("pdmSaveList")
        self.save_list.setChecked(True)
        self.save_list.toggled.connect(lambda on: (self.file.setEnabled(on), self.choose.setEnabled(on)))
        self.form.addRow(self.save_list)
        self.add_file_row(f"pdm-sample-{rnd.round_id}.csv", tr("Save the list to:"))
        self.add_run_row(tr("Draw the sample"))

    def inputs(self) -> list[QWidget]:
        return [self.percent, self.seed, self.drafts, self.save_list,
                *(super().inputs() if self.save_list.isChecked() else [])]

    def set_running(self, on: bool) -> None:
        super().set_running(on)
        if not on:
            self.file.setEnabled(self.save_list.isChecked())
            self.choose.setEnabled(self.save_list.isChecked())

    def stage_text(self, stage: str, done: int, total: int) -> str:
        return tr("Reading the receipts: {done} of {total}").format(done=done, total=total)

    def on_failed(self, exc: BaseException) -> None:
        super().on_failed(exc)
        if isinstance(exc, DistributionError):  # the one the sample raises: nothing served here yet
            self.show_result(tr("No household has received this round on this laptop yet: sync first, then draw "
                                "the sample. Nothing was written."), STOP_STYLE)

    def on_run(self) -> None:
        out = None
        if self.save_list.isChecked():
            try:
                out = check_out(self.file.text(), ".csv", self.ctx.profile)
            except ValueError as exc:
                self.show_result(str(exc), STOP_STYLE)
                self.file.setFocus()
                return
            self.file.setText(str(out))
        elif not self.drafts.isChecked():
            self.show_result(tr("Tick at least one: the PDM drafts, or the list."), STOP_STYLE)
            return
        store, lock, rid = self.ctx.store, self.ctx.tasks.store_lock, self.rnd.round_id
        percent, seed, drafts = self.percent.value(), self.seed.text().strip(), self.drafts.isChecked()
        self.set_running(True)
        self.ctx.tasks.background(
            lambda report: draw_sample(store, lock, rid, percent=percent, seed=seed, drafts=drafts, out=out,
                                       report=report),
            self.on_done, self.on_failed, owner=self, progress=self.on_progress)

    def on_done(self, r: dict) -> None:
        self.set_running(False)
        parts = [tr("{n} of {population} served household(s) sampled.").format(n=r["picked"],
                                                                                 population=r["population"])]
        if self.drafts.isChecked():
            parts.append(tr("{made} PDM draft(s) made, waiting on Home; {already} already there.")
                         .format(made=r["made"], already=r["already"]))
        if r["out"] is not None:
            parts.append(tr("The list is in {file}.").format(file=r["out"]))
        self.show_result(" ".join(parts), OK_STYLE)
        if r["made"]:
            self.ctx.saved(outgoing=False)  # drafts stay on this laptop; Home lists them
