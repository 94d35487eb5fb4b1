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


def test_give_way_sleeps_briefly_once_per_interval_of_work_and_keeps_every_item():
    from gui.workers import give_way

    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    got = []
    for item in give_way(range(100), every=5 / 1024, pause=1 / 4096, clock=lambda: now[0], sleep=sleep):
        got.append(item)
        now[0] += 1 / 1024  # each item takes about 1 ms of work (exact in binary)
    assert got == list(range(100))
    assert sleeps == [1 / 4096] * 20  # one pause per 5 ms of work, none more


def test_give_way_never_sleeps_in_a_quick_loop():
    from gui.workers import give_way

    sleeps = []
    assert list(give_way(iter("abc"), clock=lambda: 0.0, sleep=sleeps.append)) == ["a", "b", "c"]
    assert sleeps == []
