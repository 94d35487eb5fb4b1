"""A pull fetches the next page while it applies the one before (docs/sync.md, "Fetching
ahead"): pages still apply one after the other, each after the one before committed; a
failure of the page fetched ahead, an error while applying and a stop leave the store
where the last committed page left it, and no thread behind."""
from __future__ import annotations

import threading

import pytest

from storage.errors import StoreBusy
from sync import protocol
from sync.client import SyncClient
from sync.errors import ServerUnreachable
from sync.protocol import ProtocolError

PAGE = 10
RECORDS = 45


class WatchingTransport:
    """The hub's transport, noting for each request whether the laptop was applying a page
    at that moment. A request on another thread waits (up to a second) for an apply to
    begin, and the apply of a page that more pages follow waits as long for a request to
    begin: an overlap, when the client makes one, is seen every time."""

    def __init__(self, inner, state: dict) -> None:
        self.inner, self.state = inner, state
        self.applying, self.requested = threading.Event(), threading.Event()
        self.calls: list[tuple[bool, bool]] = []  # (on another thread, during an apply)
        self.fail_on: set[int] = set()
        self.aborted = 0

    def __call__(self, url):
        return self

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def abort(self) -> None:
        self.aborted += 1

    def sync(self, bundle: bytes) -> bytes:
        other = threading.current_thread() is not threading.main_thread()
        if other:
            self.applying.wait(1)
        self.calls.append((other, self.state["in_apply"]))
        if other:
            self.requested.set()
        data = self.inner.sync(bundle)
        if len(self.calls) in self.fail_on:
            raise ServerUnreachable("The reply was cut short (test).", midway="receive")
        return data


@pytest.fixture
def pair(laptops):
    a = laptops("a")
    a.store.save_records("household", ({"n": i} for i in range(RECORDS)))
    a.sync_now()
    b = laptops("b")
    state = {"in_apply": False, "cursors": [], "fail_at": None, "on_apply": None}
    watching = WatchingTransport(laptops.transport, state)
    store = b.store
    real_apply = store.apply_changes

    def apply_changes(changes, **kw):
        state["cursors"].append(kw.get("cursor"))
        state["in_apply"] = True
        watching.applying.set()
        try:
            if kw.get("domain_check") is False:  # more pages follow this one
                watching.requested.wait(1)
            watching.requested.clear()
            if state["on_apply"] is not None:
                state["on_apply"](len(state["cursors"]))
            if state["fail_at"] == len(state["cursors"]):
                raise StoreBusy("The store is busy (test).")
            return real_apply(changes, **kw)
        finally:
            state["in_apply"] = False
            watching.applying.clear()

    store.apply_changes = apply_changes
    client = SyncClient(store, transport=watching, pull_limit=PAGE)
    return a, client, watching, state


def _ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sync-ahead")]


def _ids(client) -> set[str]:
    return {r.id for r in client.store.list_records("household")}


def test_the_next_page_is_fetched_while_the_one_before_is_applied(pair):
    a, b, watching, state = pair
    result = b.sync_now()
    assert result.pulled == RECORDS and _ids(b) == _ids(a)
    overlapped = [c for c in watching.calls if c == (True, True)]
    assert len(overlapped) >= RECORDS // PAGE - 1, watching.calls
    # Each page applied after the one before, in the server's order.
    cursors = [c for c in state["cursors"] if c is not None]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert not _ahead_threads()


def test_the_server_does_not_record_a_cursor_asked_for_ahead(pair, hub):
    a, b, watching, state = pair
    b.sync_now()
    b.sync_now()  # nothing left to pull: an ordinary request reports the cursor held
    held = b.store.pull_cursor()

    def recorded() -> int:
        return hub.db.execute("SELECT cursor FROM devices WHERE device_id = ?", (b.store.device_id,))[0][0]

    assert recorded() == held
    bundle, _ = b._request_bundle(b.identity(), b.settings(), [], held + 1000, PAGE, b.store.clock.last, ahead=True)
    hub.sync(bundle)
    assert recorded() == held
    bundle, _ = b._request_bundle(b.identity(), b.settings(), [], held, PAGE, b.store.clock.last)
    hub.sync(bundle)
    assert recorded() == held


def test_a_request_ahead_carries_no_changes():
    change = {"device_id": "0f0e0d0c0b0a0908", "seq": 1, "record_id": "0190a0b0-0000-7000-8000-000000000001",
              "kind": "household", "form_id": None, "form_version": None, "hlc": "0" * 15 + "1", "fields": {"n": 1},
              "deleted": False}
    req = protocol.SyncRequest("0f0e0d0c0b0a0908", [], cursor=3, ahead=True)
    assert protocol.SyncRequest.decode(req.encode()).ahead
    assert not protocol.SyncRequest.decode(protocol.SyncRequest("0f0e0d0c0b0a0908", [], cursor=3).encode()).ahead
    bad = protocol.SyncRequest("0f0e0d0c0b0a0908", [change], cursor=3, ahead=True)
    with pytest.raises(ProtocolError):
        protocol.SyncRequest.decode(bad.encode())


def test_a_page_fetched_ahead_that_is_cut_is_asked_for_again_from_the_page_committed(pair):
    a, b, watching, state = pair
    watching.fail_on = {3}  # the third request: one made ahead, while the second page applies
    result = b.sync_now()
    assert watching.calls[2][0], watching.calls  # it was one made ahead
    assert result.pulled == RECORDS and _ids(b) == _ids(a)
    assert not _ahead_threads()


def test_an_error_while_applying_cuts_the_page_in_flight_and_leaves_the_page_committed(pair):
    a, b, watching, state = pair
    state["fail_at"] = 2
    with pytest.raises(StoreBusy):
        b.sync_now()
    assert not _ahead_threads() and watching.aborted == 1
    assert len(_ids(b)) == PAGE and b.store.pull_cursor() == state["cursors"][0]
    state["fail_at"] = None
    assert b.sync_now().pulled == RECORDS - PAGE and _ids(b) == _ids(a)


def test_a_stop_while_a_page_is_fetched_ahead_leaves_the_pages_committed(pair):
    a, b, watching, state = pair
    cancel = threading.Event()

    def stop_during_second(n: int) -> None:
        if n == 2:
            cancel.set()  # as SyncLoop.stop does, with abort() cutting the request in flight

    state["on_apply"] = stop_during_second
    with pytest.raises(ServerUnreachable, match="stopped"):
        b.sync_now(cancel=cancel)
    assert not _ahead_threads()
    assert len(_ids(b)) == 2 * PAGE and b.store.pull_cursor() == state["cursors"][1]
    assert b.sync_now().pulled == RECORDS - 2 * PAGE and _ids(b) == _ids(a)
