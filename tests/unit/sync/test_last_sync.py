"""The time of the last complete sync is kept in the store, so a restart offline still knows it."""
from __future__ import annotations

import time

from sync.client import SyncLoop


def test_a_complete_sync_is_recorded_in_the_store_and_a_new_loop_reports_it(laptops):
    a = laptops("a")
    assert a.last_sync() is None
    before = time.time()
    a.sync_now()
    recorded = a.last_sync()
    assert recorded is not None and before <= recorded <= time.time()

    # A failed sync does not move it.
    laptops.transport.down = True
    states = []
    loop = SyncLoop(a, states.append, min_backoff=0.01, max_backoff=0.02)
    loop._wake.wait = lambda _t: loop._stop.set()  # one turn of the loop, then stop
    loop._run()
    assert states[-1].state == "offline" and states[-1].last_sync == recorded
    assert a.last_sync() == recorded
