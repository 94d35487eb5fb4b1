"""The worker's progress throttle: the GUI thread gets at most ~20 updates a second, and never misses a stage's
start or end."""
from __future__ import annotations

from gui.workers import PROGRESS_INTERVAL, Throttle


def test_throttle_thins_updates_but_keeps_every_stage_start_and_end():
    now = [0.0]
    got = []
    report = Throttle(lambda *a: got.append(a), clock=lambda: now[0])
    report("sealing", 0, 0)
    for done in range(1, 1001):  # a thousand updates in one second
        now[0] += 0.001
        report("sealing", done, 1000)
    report("writing", 0, 0)
    report("writing", 10, 10)
    stamps = [a for a in got if a[0] == "sealing"]
    assert stamps[0] == ("sealing", 0, 0) and stamps[-1] == ("sealing", 1000, 1000)
    assert len(stamps) <= 2 + 1 / PROGRESS_INTERVAL + 1
    assert len(stamps) >= 1 / PROGRESS_INTERVAL - 1  # thinned, not silenced
    dones = [d for _, d, _ in stamps]
    assert dones == sorted(dones)
    assert got[-2:] == [("writing", 0, 0), ("writing", 10, 10)]
