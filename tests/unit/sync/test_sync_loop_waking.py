"""The loop's back-off holds against saves, and a returning network is noticed in seconds
(docs/sync.md, "The background loop")."""
from __future__ import annotations

import threading
import time


class Counting:
    """Counts the requests that reach the transport (probes and syncs)."""

    def __init__(self, inner) -> None:
        self.inner, self.requests = inner, 0

    def __call__(self, url):
        return self

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def health(self):
        self.requests += 1
        return self.inner.health()

    def sync(self, bundle):
        self.requests += 1
        return self.inner.sync(bundle)


def _wait_for(states, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if states and pred(states[-1]):
            return True
        time.sleep(0.01)
    return False


def test_saves_do_not_cut_the_back_off_short(laptops):
    from sync.client import SyncLoop

    a = laptops("a")
    counting = Counting(laptops.transport)
    a._transport_for = counting
    laptops.transport.down = True
    states = []
    loop = SyncLoop(a, states.append, min_backoff=0.5, max_backoff=0.5, watch_interval=0)
    loop.start()
    try:
        assert _wait_for(states, lambda s: s.state == "offline", 5)
        saves = 0
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            a.store.save_record("household", {"members": saves})
            loop.wake()  # what the app does after every save
            saves += 1
            time.sleep(0.05)
        # Back-off is uniform in [0.25, 0.5] s: at most about 8 tries in 2 s, whatever the saves.
        assert saves >= 20 and counting.requests <= 12, (saves, counting.requests)
        before = counting.requests
        loop.wake(now=True)  # the person pressed "Sync now": that does cut it short
        end = time.monotonic() + 0.2
        while counting.requests == before and time.monotonic() < end:
            time.sleep(0.005)
        assert counting.requests > before
    finally:
        assert loop.stop(timeout=5)


def test_a_returning_network_is_noticed_without_waiting_out_the_back_off(laptops, hub):
    from sync.client import SyncLoop

    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    laptops.transport.down = True
    states = []
    loop = SyncLoop(a, states.append, min_backoff=120, max_backoff=120, watch_interval=0.05)
    loop.start()
    try:
        assert _wait_for(states, lambda s: s.state == "offline", 5)
        assert states[-1].next_try_s >= 60
        laptops.transport.down = False
        assert _wait_for(states, lambda s: s.state == "up_to_date", 5), states[-1]
        assert a.store.pending_count() == 0 and len(hub.records()) == 1
    finally:
        assert loop.stop(timeout=5)


def test_a_link_that_connects_but_fails_keeps_its_back_off(laptops):
    """The watch wakes the loop only when the server comes back within reach, not while
    it stays reachable and the sync still fails (a link that cuts every request)."""
    from sync.client import SyncLoop
    from sync.errors import ServerUnreachable

    a = laptops("a")
    counting = Counting(laptops.transport)
    a._transport_for = counting

    def cut(_bundle):
        counting.requests += 1
        raise ServerUnreachable("cut", midway="send")

    counting.sync = cut
    counting.health = lambda: {"status": "ok"}
    a.store.save_record("household", {"members": 1})
    states = []
    loop = SyncLoop(a, states.append, min_backoff=120, max_backoff=120, watch_interval=0.02)
    loop.start()
    try:
        assert _wait_for(states, lambda s: s.state == "offline", 5)
        first = counting.requests
        time.sleep(0.5)
        assert counting.requests == first
    finally:
        assert loop.stop(timeout=5)


def test_stop_ends_the_loop_even_when_a_sync_is_slow(laptops):
    from sync.client import SyncLoop

    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    entered, release = threading.Event(), threading.Event()
    inner = laptops.transport.sync

    class Slow(Counting):
        def sync(self, bundle):
            entered.set()
            release.wait(30)  # a request crawling over a slow link
            return inner(bundle)

        def abort(self):
            release.set()  # what HttpTransport.abort does: the request in flight ends now

    slow = Slow(laptops.transport)
    a._transport_for = slow
    states = []
    loop = SyncLoop(a, states.append)
    loop.start()
    assert entered.wait(5)
    t = time.monotonic()
    assert loop.stop(timeout=5) is True
    assert time.monotonic() - t < 2
    n = len(states)
    time.sleep(0.1)
    assert len(states) == n

