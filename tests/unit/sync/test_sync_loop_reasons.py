"""The sync loop says why it is in each state with a stable reason code (and the typed
error behind it), so the app can word it in the person's language."""
from __future__ import annotations

from storage.errors import DiskFull
from sync.client import REASON_CODES, SyncLoop
from sync.errors import DeviceRevoked, ServerUnreachable


def _loop(client):
    states = []
    return SyncLoop(client, states.append, min_backoff=0.01, max_backoff=0.02), states


def test_every_state_the_loop_reports_carries_a_known_reason(laptops, hub, monkeypatch):
    a = laptops("a")
    loop, states = _loop(a)
    loop.run_once()
    assert (states[-1].state, states[-1].reason, states[-1].error) == ("up_to_date", "", None)

    laptops.transport.down = True
    loop.run_once()
    assert (states[-1].state, states[-1].reason) == ("offline", "server_unreachable")
    assert isinstance(states[-1].error, ServerUnreachable) and states[-1].error.__traceback__ is None
    loop.run_once()  # after a failure it probes first
    assert (states[-1].state, states[-1].reason, states[-1].error) == ("offline", "server_silent", None)
    laptops.transport.down = False

    def full(*_a, **_k):
        raise DiskFull("The disk is full.")

    monkeypatch.setattr(a.store, "apply_changes", full)
    loop.failures = 0
    loop.run_once()
    assert (states[-1].state, states[-1].reason) == ("error", "store_error") and isinstance(states[-1].error, DiskFull)
    monkeypatch.undo()

    a.store.save_record("household", {"members": 1})
    real = a.store.clock._now_ms
    a.store.clock._now_ms = lambda: real() + 48 * 3600 * 1000  # two days ahead: the hub holds the change back
    a.store.save_record("household", {"members": 2})
    loop.failures = 0
    loop.run_once()
    assert (states[-1].state, states[-1].reason) == ("up_to_date", "clock_ahead") and "ahead" in states[-1].detail

    hub.revoke(a.store.device_id)
    loop.run_once()
    assert (states[-1].state, states[-1].reason) == ("error", "device_revoked")
    assert isinstance(states[-1].error, DeviceRevoked) and states[-1].error.erased is False
    assert {s.reason for s in states} <= set(REASON_CODES) | {""}


def test_an_unexpected_failure_is_reported_by_code_and_type_only(laptops, monkeypatch):
    a = laptops("a")
    loop, states = _loop(a)

    def boom(*_a, **_k):
        raise ValueError("Канаркова Щебетуна")

    monkeypatch.setattr(a, "sync_now", boom)
    monkeypatch.setattr(loop._wake, "wait", lambda _t: loop._stop.set())
    loop._run()
    assert (states[-1].state, states[-1].reason) == ("error", "unexpected")
    assert "ValueError" in states[-1].detail and "Канаркова" not in states[-1].detail
