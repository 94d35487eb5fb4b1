"""Python's cyclic garbage collection, run on the GUI thread only.

Left to itself, the collector runs in whichever thread happens to allocate when a
threshold is crossed: often the store worker, which parses forms and decrypts
thousands of records. A collection there can finalise Qt wrapper objects (widgets,
signal connections caught in cycles) off the GUI thread, which Qt does not allow and
which crashed the app in testing. So automatic collection is switched off while the
app runs, and a timer on the GUI thread does the same work, by the same thresholds.
The pause is no longer than before: a collection holds the interpreter lock whichever
thread runs it.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = [0, 0, 0]
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.on_tick)
        self.timer.start()

    def on_tick(self) -> int | None:
        """Collect the oldest generation whose count passed its threshold, as the
        interpreter would have; returns that generation, or None."""
        counts = gc.get_count()
        generation = None
        for g in range(3):
            if counts[g] > self.thresholds[g]:
                generation = g
            else:
                break
        if generation is not None:
            gc.collect(generation)
            self.collections[generation] += 1
        return generation

    def settle(self) -> None:
        """Leave everything alive so far out of later collections: the modules, forms and
        screens built by unlock live as long as the app, and each full collection would
        otherwise walk them all again (tens of milliseconds on the GUI thread). Freezing is
        a constant-time move; not collecting first keeps it off the unlock's time, at the
        price of the little garbage of start-up staying frozen with the rest."""
        gc.freeze()

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()


def install(app: QObject) -> GuiThreadCollector:
    """Once per application; calling it again keeps the one collector (and automatic
    collection off)."""
    existing = app.findChild(GuiThreadCollector)
    if existing is None:
        return GuiThreadCollector(app)
    gc.disable()
    existing.timer.start()
    return existing
