"""The Desk's Print cards and PDM sample dialogs: defaults, file checks, worker, result, audit."""
from __future__ import annotations

import csv
import os
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from gui_helpers import WAIT
from test_desk_screen import desk_profile, open_desk, scan  # noqa: F401 - the fixture is used by name


def set_file(qtbot, dialog, path) -> None:
    dialog.file.selectAll()
    qtbot.keyClicks(dialog.file, str(path))


def run(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running and dialog.result.text() != "", timeout=WAIT)


def audit(w) -> list[str]:
    with w.ctx.tasks.store_lock:
        return [e.action for e in w.ctx.store.audit_entries()]


def test_print_cards_from_the_desk(qtbot, window_factory, desk_profile, tmp_path):
    profile, _ = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    qtbot.mouseClick(d.cards_button, Qt.MouseButton.LeftButton)
    dialog = d.tool
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    assert dialog.file.text().endswith("cards-R-GUI.pdf") and dialog.show_boxes["external_ref"].isChecked()
    # Inside the profile folder: refused, nothing written.
    set_file(qtbot, dialog, profile / "cards.pdf")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "outside the profile folder" in dialog.result.text() and not (profile / "cards.pdf").exists()
    # Every household has a card already: nothing to print, no file.
    out = tmp_path / "cards"
    set_file(qtbot, dialog, out)  # ".pdf" is added
    run(qtbot, dialog)
    assert "nothing to print" in dialog.result.text() and not out.with_suffix(".pdf").exists()
    qtbot.mouseClick(dialog.reprint, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.show_boxes["head_name"], Qt.MouseButton.LeftButton)
    run(qtbot, dialog)
    pdf = out.with_suffix(".pdf")
    assert "2 card(s) on 1 sheet(s)" in dialog.result.text() and str(pdf) in dialog.result.text()
    assert pdf.read_bytes().startswith(b"%PDF") and stat.S_IMODE(os.stat(pdf).st_mode) == 0o600
    assert "card_print|R-GUI|2" in audit(w)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)


def test_the_choose_button_fills_the_file(qtbot, window_factory, desk_profile, tmp_path, monkeypatch):
    profile, _ = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    qtbot.mouseClick(d.pdm_button, Qt.MouseButton.LeftButton)
    dialog = d.tool
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "chosen.csv"), ""))
    qtbot.mouseClick(dialog.choose, Qt.MouseButton.LeftButton)
    assert dialog.file.text() == str(tmp_path / "chosen.csv")


def test_pdm_sample_from_the_desk(qtbot, window_factory, desk_profile, tmp_path):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    qtbot.mouseClick(d.pdm_button, Qt.MouseButton.LeftButton)
    dialog = d.tool
    assert dialog.percent.value() == 10.0 and dialog.drafts.isChecked()
    out = tmp_path / "sample.csv"
    set_file(qtbot, dialog, out)
    run(qtbot, dialog)  # nobody served yet
    assert "sync first" in dialog.result.text() and not out.exists()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    for code in cards[:2]:
        with qtbot.waitSignal(d.saved, timeout=WAIT):
            scan(qtbot, d, code)
            qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    qtbot.mouseClick(d.pdm_button, Qt.MouseButton.LeftButton)
    dialog = d.tool
    set_file(qtbot, dialog, out)
    dialog.percent.selectAll()
    qtbot.keyClicks(dialog.percent, "50")
    run(qtbot, dialog)
    assert "1 of 2 served household(s) sampled" in dialog.result.text(), dialog.result.text()
    assert "1 PDM draft(s) made" in dialog.result.text()
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["household_ref", "card_number", "receipt"] and rows[1][0] in ("H-1", "H-2")
    assert rows[1][1] in cards and stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with w.ctx.tasks.store_lock:
        drafts = [r.fields for r in w.ctx.store.list_records("draft", form_id="post_distribution_monitoring")]
    assert drafts == [{"card_number": rows[1][1]}]
    assert "pdm_sample|R-GUI|1" in audit(w) and "pdm_sample_list|R-GUI|1" in audit(w)
    # The same again: the same household, and no second draft.
    run(qtbot, dialog)
    assert "0 PDM draft(s) made" in dialog.result.text() and "1 already there" in dialog.result.text()


def test_printing_runs_off_the_gui_thread_with_progress(qtbot, window_factory, desk_profile, tmp_path, monkeypatch):
    """Slow card drawing leaves the GUI thread free, shows progress, and the dialog stays until done."""
    import threading
    import time

    from gui import cards_pdf

    profile, _ = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    real, threads = cards_pdf.render, []

    def slow(cards, **kw):
        threads.append(threading.current_thread() is threading.main_thread())
        for n in range(len(cards)):
            time.sleep(0.2)
            kw["progress"](n + 1, len(cards))
        return real(cards, **kw)

    monkeypatch.setattr(cards_pdf, "render", slow)
    qtbot.mouseClick(d.cards_button, Qt.MouseButton.LeftButton)
    dialog = d.tool
    set_file(qtbot, dialog, tmp_path / "cards.pdf")
    qtbot.mouseClick(dialog.reprint, Qt.MouseButton.LeftButton)
    start = time.perf_counter()
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - start < 0.2 and dialog.running and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: "Drawing the cards" in dialog.stage.text(), timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # not while it writes
    assert dialog.isVisible() and "Still working" in dialog.result.text()
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT)
    assert threads == [False] and "2 card(s)" in dialog.result.text()
