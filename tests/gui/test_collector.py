"""Garbage collection runs on the GUI thread only while the app runs."""
from __future__ import annotations

import gc
import threading

from gui import collector
from gui.app import application


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_app_collects_on_its_gui_thread_only(qtbot):
    app = application()
    c = collector.install(app)
    assert not gc.isenabled() and collector.install(app) is c
    threads: list[str] = []

    def note(phase, info):
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(note)
    try:
        def make_garbage():  # as the store worker does when it parses forms and decrypts records
            for _ in range(50_000):
                Cycle()

        worker = threading.Thread(target=make_garbage, name="worker")
        worker.start()
        worker.join()
        assert threads == []  # nothing collected on the worker, though it crossed every threshold
        assert gc.get_count()[0] > c.thresholds[0]
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)
        assert set(threads) == {threading.main_thread().name}
        assert gc.get_count()[0] <= c.thresholds[0]
    finally:
        gc.callbacks.remove(note)


def test_the_tick_collects_the_generation_the_interpreter_would(qtbot):
    c = collector.install(application())
    c.timer.stop()
    try:
        gc.collect()
        assert c.on_tick() is None  # nothing over its threshold
        for _ in range(c.thresholds[0] + 10):
            Cycle()
        assert c.on_tick() == 0
    finally:
        c.timer.start()
