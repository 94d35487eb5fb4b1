"""The worker's progress throttle: the GUI thread gets at most ~20 updates a second, and never misses a stage's
start or end."""
from __future__ import annotations

import time

import pytest

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


def test_an_urgent_store_call_runs_before_the_calls_queued_ahead_of_it(qtbot):
    """The Desk's look-up goes ahead of an outbox count or a list reload queued before it."""
    import threading

    from gui.workers import Tasks

    tasks = Tasks()
    gate, order = threading.Event(), []
    tasks.store(lambda: gate.wait(5))                            # the store worker is busy
    tasks.store(lambda: order.append("count"))                   # queued first
    tasks.store(lambda: order.append("reload"))
    tasks.store(lambda: order.append("look-up"), urgent=True)   # queued last, a person waits on it
    gate.set()
    qtbot.waitUntil(lambda: len(order) == 3, timeout=5000)
    tasks.wait()
    assert order == ["look-up", "count", "reload"]
    assert tasks.store_lock.urgent_waiting() == 0


def test_a_sync_thread_gives_way_to_a_look_up_queued_while_it_held_the_store_lock(qtbot):
    """A sync takes the store lock once per step (a page pushed or pulled); Python's lock lets the
    thread that just let go win again, so a look-up queued meanwhile could wait behind every step.
    With urgent work queued, the sync's next step waits until that work has the lock."""
    import threading
    import time as _time

    from gui.workers import Tasks

    tasks = Tasks()
    lock, order = tasks.store_lock, []
    first_step = threading.Event()

    def sync() -> None:  # five steps, back to back, as a paged push
        for i in range(5):
            with lock:
                order.append(f"step {i}")
                first_step.set()
                _time.sleep(0.1)

    t = threading.Thread(target=sync)
    t.start()
    assert first_step.wait(5)
    tasks.store(lambda: order.append("look-up"), urgent=True)
    t.join(10)
    qtbot.waitUntil(lambda: "look-up" in order, timeout=5000)
    tasks.wait()
    assert order.index("look-up") == 1, order  # right after the step that held the lock, not after all five


def test_the_store_lock_is_reentrant_and_never_waits_for_itself():
    from gui.workers import StoreLock

    lock = StoreLock(max_yield=5.0)
    lock.urgent_queued()  # urgent work queued: a re-entry by the holder must not give way to it
    with lock:
        t0 = time.perf_counter()
        with lock:
            pass
        assert time.perf_counter() - t0 < 1.0
    assert lock.acquire(give_way=False)
    lock.release()
    lock.urgent_dropped()
    with pytest.raises(RuntimeError):
        lock.release()
