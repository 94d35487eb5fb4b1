"""Measurements behind bench/gui.py, in bench/ so that the app never ships them.

bench/gui.py imports it, and runs it in a fresh interpreter for the cold start and memory:
``python bench/gui_probes.py cold-start|rss ...``.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

# Run as a script, bench/ comes first on the path, where bench/gui.py would shadow the gui package.
ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import forms  # noqa: E402


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
    from gui.screens.form import FormScreen

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


# -- the GUI thread's longest stall while work runs in the background ----------------------------
STALL_TICK_MS = 5


class StallMeter:
    """A timer on the GUI thread that ticks every 5 ms and notes how late each tick came.

    A tick is late by however long the GUI thread was busy (or waiting for the
    interpreter lock) when it was due, so the largest lateness is the longest time
    the window could not have answered a click or repainted."""

    def __init__(self, tick_ms: int = STALL_TICK_MS) -> None:
        self.tick_ms = tick_ms
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.late = []
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, (now - self._last) * 1000 - self.tick_ms))
        self._last = now

    def stop(self) -> dict:
        self._tick()  # the stretch since the last tick counts too
        self.timer.stop()
        late = sorted(self.late)
        return {"max_ms": round(late[-1], 1), "p99_ms": round(late[min(len(late) - 1, int(len(late) * 0.99))], 1),
                "ticks": len(late)}


def stall_during(start: Callable[[], None], done: Callable[[], bool], ms: int = 300_000) -> dict:
    """The GUI thread's stalls from ``start()`` (run from the event loop, as a click's
    handler is, so its own work counts) until ``done()`` holds."""
    from gui.screenshots import _wait

    meter = StallMeter()
    meter.start()
    began = time.perf_counter()
    QTimer.singleShot(0, start)
    _wait(done, ms=ms)
    figures = meter.stop()
    figures["seconds"] = round(time.perf_counter() - began, 2)
    return figures


def stalls(tmp: Path, *, usb_records: int, big_profile: Path | None, big_records: int, passphrase: str) -> dict:
    """Longest GUI-thread stalls during: idle (the meter's floor), unlock with the real key
    derivation, a USB export and import of ``usb_records`` changes, a sync of as many
    records each way against a real server on loopback, and opening the records list of
    ``big_profile``, typing a search into it and sorting it by its answers."""
    from storage import Store, crypto
    from sync.client import SyncClient
    from sync.server.embedded import EmbeddedServer
    from sync.server.hub import Hub
    from sync.server.settings import Settings

    from gui.app import make_window
    from gui.screens.unlock import UnlockScreen
    from gui.screenshots import _wait

    out: dict[str, dict] = {}
    waited = [False]
    QTimer.singleShot(1000, lambda: waited.__setitem__(0, True))
    out["idle"] = stall_during(lambda: None, lambda: waited[0])

    def unlock(w, secret: str) -> None:
        _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
        w.centralWidget().passphrase.setText(secret)
        w.centralWidget().on_unlock_clicked()

    def home_loaded(w) -> bool:
        return hasattr(w, "home") and w.home.recent.count() > 0

    # (a) unlock: the profile's own key derivation (Argon2id as shipped), then home loads.
    real = tmp / "stall-real-kdf"
    store, _ = Store.create(real, user="Bench", passphrase=passphrase)
    store.save_record("submission", {"settlement": "Synthetic"}, form_id="household_needs", form_version="2026.11.1")
    store.close()
    w = make_window(real)
    w.resize(1366, 768)
    w.show()
    _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
    out["unlock"] = stall_during(lambda: unlock(w, passphrase), lambda: home_loaded(w), ms=60_000)
    w.close()

    # (b, c) a laptop with usb_records unsent records, a real hub on loopback, and a second
    # laptop of the same team whose records come back in the return bundle and the sync.
    hub = Hub(Settings(data_dir=tmp / "stall-hub"))
    try:
        with EmbeddedServer(hub) as server:
            rows = [{"settlement": f"Synthetic {i}", "hh_size": i % 9 + 1, "consent": "yes"} for i in range(usb_records)]
            other, _ = Store.create(tmp / "stall-other", user="Other", passphrase=passphrase,
                                    kdf=crypto.fast_kdf_for_tests())
            other_client = SyncClient(other)
            other_client.enroll(server.url, hub.new_enroll_code("bench"))
            laptop = tmp / "stall-laptop"
            store, _ = Store.create(laptop, user="Bench", passphrase=passphrase, kdf=crypto.fast_kdf_for_tests())
            store.save_records("submission", rows, form_id="household_needs", form_version="2026.11.1")
            store.close()
            w = make_window(laptop, kdf=crypto.fast_kdf_for_tests())
            w.resize(1366, 768)
            w.show()
            unlock(w, passphrase)
            _wait(lambda: home_loaded(w) and w.ctx.last_state.state == "not_enrolled", ms=60_000)
            enrolled = []
            code = hub.new_enroll_code("bench")
            w.ctx.tasks.background(lambda: w.ctx.client.enroll(server.url, code), enrolled.append)
            _wait(lambda: bool(enrolled))

            w.show_screen("sync")
            sc = w.sync_screen
            bundle = tmp / "stall-out.fbb"
            sc.path.setText(str(bundle))
            out["usb_export"] = stall_during(sc.export_button.click, lambda: sc.result.text().startswith("Exported"))
            other.save_records("submission", rows, form_id="household_needs", form_version="2026.11.1")
            other_client.sync_now()
            _, request = hub.receive(bundle.read_bytes())
            reply, _ = hub.reply_bundle(request.device_id, limit=usb_records)
            back = tmp / "stall-back.fbb"
            back.write_bytes(reply)
            sc.path.setText(str(back))
            out["usb_import"] = stall_during(sc.import_button.click, lambda: sc.result.text().startswith("Imported"))
            if not sc.result.text().startswith(f"Imported: {usb_records} new"):
                raise RuntimeError("the USB import did not apply what the benchmark expected")

            # (b) a sync pushing usb_records new local records and pulling as many from the other laptop.
            # First let the sync the import woke (it has nothing to move) finish, so the one
            # measured is the one that carries the records.
            _wait(lambda: w.ctx.last_state.state == "up_to_date", ms=60_000)
            saved = []
            w.ctx.run(lambda st: st.save_records("submission", rows, form_id="household_needs",
                                                 form_version="2026.11.1"), saved.append)
            _wait(lambda: bool(saved), ms=60_000)
            other.save_records("submission", rows, form_id="household_needs", form_version="2026.11.1")
            other_client.sync_now()
            states: list[str] = []
            w.ctx.sync_state.connect(lambda st: states.append(st.state))
            out["sync"] = stall_during(w.ctx.sync_now,
                                       lambda: "syncing" in states and states[-1] in ("up_to_date", "error", "offline"))
            if states[-1] != "up_to_date" or len(hub.records("bench")) != 4 * usb_records:
                raise RuntimeError(f"the sync did not finish as the benchmark expected ({states[-1]})")
            w.close()
            other.close()
    finally:
        hub.close()

    # (d) the records list of a big store.
    if big_profile is not None:
        w = make_window(big_profile, kdf=crypto.fast_kdf_for_tests())
        w.resize(1366, 768)
        w.show()
        unlock(w, passphrase)
        _wait(lambda: home_loaded(w), ms=120_000)
        w.ctx.loop.stop()
        out["records_list"] = stall_during(lambda: w.show_screen("records"),
                                           lambda: w.records.model.rowCount() >= big_records, ms=300_000)
        # (e) typing a search into it, a key at a time, then sorting it by the answers.
        r = w.records
        target = "Synthetic 4242"
        typed: list[bool] = []

        def type_search() -> None:
            for i in range(1, len(target) + 1):
                QTimer.singleShot(60 * i, lambda i=i: r.search.setText(target[:i]))
            QTimer.singleShot(60 * len(target) + 1, lambda: typed.append(True))

        out["records_search"] = stall_during(
            type_search, lambda: bool(typed) and not r.search_timer.isActive() and r.model.rowCount() < big_records)
        r.search.clear()
        r.apply_search()
        first = r.model.order[0]
        out["records_sort"] = stall_during(lambda: r.table.sortByColumn(1, Qt.SortOrder.AscendingOrder),
                                           lambda: r.model.order[0] != first, ms=120_000)
        w.close()
    return out


# -- run in a fresh interpreter by bench/gui.py: ``python bench/gui_probes.py cold-start|rss ...`` --
def cold_start(profile: Path, launched: float) -> float:
    """Seconds from the launch (``launched``, wall clock, taken by the parent just before it
    started this interpreter) until the unlock window is on screen: imports included."""
    from gui.app import make_window
    from gui.screens.unlock import UnlockScreen
    from gui.screenshots import _wait

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

    from gui.app import make_window
    from gui.screens.unlock import UnlockScreen
    from gui.screenshots import _wait

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
    if sys.argv[1] == "cold-start":
        print(cold_start(Path(sys.argv[2]), float(sys.argv[3])))
    else:
        print(peak_rss_mb(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))



def desk_scans(profile: Path, passphrase: str, cards: list[str], kdf=None, gap_ms: int = 0) -> dict:
    """The Desk screen as a scanner drives it: for each card, its code typed and Return,
    then Return again on the empty line; until the receipt is saved. Returns the screen's
    own times per receipt (Return of the scan to the saved receipt shown; the software part:
    look-up plus save, without the wait between the two Returns) and the GUI thread's
    longest stall meanwhile; also the longest stall while the Desk counts the round's receipts
    for the first time (every receipt held is read), and while nothing runs (the meter's floor: what the machine's load alone costs)."""
    from gui.app import application, make_window
    from gui.screens.unlock import UnlockScreen
    from gui.screenshots import _wait

    application()
    w = make_window(profile, kdf=kdf)
    w.resize(1366, 768)
    w.show()
    _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
    w.centralWidget().passphrase.setText(passphrase)
    w.centralWidget().on_unlock_clicked()
    _wait(lambda: hasattr(w, "home"), ms=120_000)
    waited = [False]
    QTimer.singleShot(1000, lambda: waited.__setitem__(0, True))
    idle = stall_during(lambda: None, lambda: waited[0])  # the meter's floor on this machine now
    w.show_screen("desk")
    d = w.desk
    _wait(lambda: d.round is not None and d.summary is not None, ms=300_000)
    from distributions import stock

    def recount() -> None:  # the first count of the day: every receipt held is read once
        with w.ctx.tasks.store_lock:
            stock._DISTRIBUTED.pop(w.ctx.store, None)
        d.refresh_summary()

    d.summary = None
    counted = stall_during(recount, lambda: d.summary is not None)
    queue = list(cards)

    def next_card() -> None:
        if not queue:
            return
        d.scan.setFocus()
        QTest.keyClicks(d.scan, queue.pop(0))
        QTest.keyClick(d.scan, Qt.Key.Key_Return)
        QTest.keyClick(d.scan, Qt.Key.Key_Return)  # at once: the desk saves as soon as the household shows

    d.saved.connect(lambda _rid: QTimer.singleShot(gap_ms, next_card))
    before = len(d.timings)
    syncs: list[str] = []  # the syncs that began while the Desk served (online only)
    w.ctx.sync_state.connect(lambda st: syncs.append(st.state) if st.state == "syncing" else None)
    stall = stall_during(next_card, lambda: len(d.timings) - before >= len(cards))
    timings = d.timings[before:]
    w.close()

    def figures(key: str) -> dict:
        values = sorted(t[key] for t in timings)
        return {"median_ms": round(statistics.median(values), 2),
                "p95_ms": round(values[min(len(values) - 1, int(len(values) * 0.95))], 2),
                "max_ms": round(values[-1], 2)}

    return {"receipts": len(timings), "scan_to_saved": figures("scan_to_saved_ms"),
            "software": figures("software_ms"), "gui_stall": stall, "gui_stall_idle": idle,
            "gui_stall_first_count": counted, "syncs_while_serving": len(syncs)}
