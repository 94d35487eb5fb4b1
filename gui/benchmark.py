"""Measurements behind bench/gui.py (kept in gui/: only this package imports Qt)."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import forms


def big_form(path: Path, n: int = 200) -> Path:
    """An XLSForm with ``n`` questions of mixed types, in groups, with relevance and constraints."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::English (en)", "label::Українська (uk)", "relevant", "constraint", "required"])
    kinds = ["text", "integer", "select_one yn", "decimal", "date", "select_multiple yn"]
    for g in range(n // 20):
        ws.append(["begin_group", f"g{g}", f"Section {g}", f"Розділ {g}", "", "", ""])
        for k in range(20):
            i = g * 20 + k
            t = kinds[i % len(kinds)]
            rel = f"${{q{i - 1}}} != 'skip'" if i % 7 == 3 else ""
            con = ". >= 0" if t == "integer" else ""
            ws.append([t, f"q{i}", f"Question {i}", f"Питання {i}", rel, con, "yes" if i % 5 == 0 else ""])
        ws.append(["end_group", "", "", "", "", "", ""])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::English (en)", "label::Українська (uk)"])
    ch.append(["yn", "yes", "Yes", "Так"])
    ch.append(["yn", "no", "No", "Ні"])
    st = wb.create_sheet("settings")
    st.append(["form_id", "version", "form_title", "default_language"])
    st.append(["bench200", "1", "Benchmark form", "English (en)"])
    wb.save(path)
    return path


class PaintClock(QObject):
    """Notes when a widget finishes a paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.painted_at = 0.0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.painted_at = time.perf_counter()
        return False


def form_open_and_typing(ctx, form_path: Path, keystrokes: int = 150) -> dict:
    """Time to build the form screen for a loaded form, and key-press-to-repaint while typing."""
    from .screens.form import FormScreen

    t0 = time.perf_counter()
    form = forms.load_form(form_path)
    load_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    screen = FormScreen(ctx, form)
    screen.resize(1366, 768)
    screen.show()
    QApplication.processEvents()
    open_ms = (time.perf_counter() - t0) * 1000
    row = screen.rows[("q0", ())]
    line = row.line
    line.setFocus()
    clock = PaintClock()
    line.installEventFilter(clock)
    samples = []
    for k in range(keystrokes):
        start = time.perf_counter()
        QTest.keyClick(line, Qt.Key.Key_A if k % 10 else Qt.Key.Key_Space)
        line.repaint()  # force the paint the next frame would do, and time to its end
        QApplication.processEvents()
        samples.append((clock.painted_at - start) * 1000)
    screen.autosave.stop()
    screen.close()
    samples.sort()
    return {"form_load_ms": round(load_ms, 1), "form_open_ms": round(open_ms, 1),
            "typing_p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
            "typing_median_ms": round(statistics.median(samples), 2)}


# -- run in a fresh interpreter by bench/gui.py: ``python -m gui.benchmark cold-start|rss ...`` --
def cold_start(profile: Path, launched: float) -> float:
    """Seconds from the launch (``launched``, wall clock, taken by the parent just before it
    started this interpreter) until the unlock window is on screen: imports included."""
    from .app import make_window
    from .screens.unlock import UnlockScreen
    from .screenshots import _wait

    w = make_window(profile)
    w.show()
    _wait(lambda: isinstance(w.centralWidget(), UnlockScreen) and w.centralWidget().isVisible())
    QApplication.processEvents()
    elapsed = time.time() - launched
    w.close()
    return elapsed


def peak_rss_mb(profile: Path, records: int, passphrase: str) -> float:
    """Unlock a profile of ``records`` records, open home and the records table; peak RSS in MB."""
    import resource

    from storage import crypto

    from .app import make_window
    from .screens.unlock import UnlockScreen
    from .screenshots import _wait

    w = make_window(profile, kdf=crypto.fast_kdf_for_tests())
    w.resize(1366, 768)
    w.show()
    _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
    w.centralWidget().passphrase.setText(passphrase)
    w.centralWidget().on_unlock_clicked()
    _wait(lambda: hasattr(w, "home") and w.home.recent.count() > 0, ms=120_000)
    w.ctx.loop.stop()
    w.show_screen("records")
    _wait(lambda: w.records.model.rowCount() >= records, ms=300_000)
    w.close()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    import sys

    if sys.argv[1] == "cold-start":
        print(cold_start(Path(sys.argv[2]), float(sys.argv[3])))
    else:
        print(peak_rss_mb(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))

