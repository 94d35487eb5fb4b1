"""The analyst API's refusal throttle (sync/server/api/throttle.py), on a clock the test moves."""
from __future__ import annotations

from sync.server.api.throttle import RefusalThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_free_refusals_then_doubling_waits_capped():
    clock = Clock()
    t = RefusalThrottle(free=3, max_wait_s=10, clock=clock)
    starts = [t.refused("10.0.0.7") for _ in range(3)]
    assert starts == [False, False, False] and t.wait_s("10.0.0.7") == 0
    assert t.refused("10.0.0.7") is True  # the 4th starts the wait: audited once
    assert t.wait_s("10.0.0.7") == 2
    waits = []
    for _ in range(4):
        clock.now += t.wait_s("10.0.0.7")
        assert t.wait_s("10.0.0.7") == 0
        assert t.refused("10.0.0.7") is False
        waits.append(t.wait_s("10.0.0.7"))
    assert waits == [4, 8, 10, 10]
    assert t.wait_s("10.0.0.8") == 0  # another address is not touched


def test_a_working_token_or_a_quiet_quarter_hour_forgets_the_address():
    clock = Clock()
    t = RefusalThrottle(free=1, forget_s=900, clock=clock)
    t.refused("a"), t.refused("a")
    assert t.wait_s("a") == 2
    t.succeeded("a")
    assert t.wait_s("a") == 0
    t.refused("b"), t.refused("b")
    clock.now += 901
    assert t.wait_s("b") == 0
    assert t.refused("b") is False  # counting starts afresh


def test_memory_stays_bounded_under_many_addresses():
    t = RefusalThrottle(free=0, max_sources=100, clock=Clock())
    for i in range(5000):
        t.refused(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(t._sources) == 100
    assert t.wait_s("10.0.19.135") > 0  # the newest are the ones kept
    assert t.wait_s("10.0.0.0") == 0
