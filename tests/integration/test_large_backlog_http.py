"""A backlog larger than the 64 MiB bundle limit leaves the laptop by HTTP and by USB
(bench/sync_links.py runs the full 200 MiB)."""
from __future__ import annotations

import base64
import os

import pytest

from sync.bundle import MAX_BUNDLE_BYTES
from sync.client import SyncClient
from sync_helpers import LiveServer, make_hub

MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path):
    hub = make_hub(tmp_path / "hub")
    with LiveServer(hub) as live:
        yield live
    hub.close()


def _backlog(store, mib):
    # Random base64 compresses to about 0.76 of its size: 96 MiB of it is a 73 MiB bundle.
    return store.save_records("household", ({"note": base64.b64encode(os.urandom(MIB * 3 // 4)).decode(), "n": i}
                                            for i in range(mib)))


@pytest.mark.slow
def test_a_96_mib_backlog_leaves_by_http_and_comes_down_to_another_laptop(make_store, server):
    a, b = (SyncClient(make_store(n)) for n in "ab")
    for c in (a, b):
        c.enroll(server.url, server.hub.new_enroll_code("north"))
    ids = _backlog(a.store, 96)
    r = a.sync_now()
    assert r.pushed == 96 and a.store.pending_count() == 0
    assert set(ids) <= set(server.hub.records())
    assert b.sync_now().pulled == 96 and b.store.count_records("household") == 96


@pytest.mark.slow
def test_a_96_mib_backlog_leaves_by_usb_in_parts(make_store, server, tmp_path):
    a = SyncClient(make_store("a"))
    a.enroll(server.url, server.hub.new_enroll_code("north"))
    ids = _backlog(a.store, 96)
    usb = tmp_path / "usb"
    usb.mkdir()
    parts = a.export_parts(usb / "a.fbb")
    assert len(parts) >= 2 and sum(n for _, n in parts) == 96
    assert all(p.stat().st_size < MAX_BUNDLE_BYTES for p, _ in parts)
    for path, _ in reversed(parts):  # the second part first: it waits for the first
        server.hub.receive(path.read_bytes())
    assert set(ids) <= set(server.hub.records())


def test_parts_in_reverse_order_on_each_database(make_store, live, tmp_path):
    """The hub keeps an early part in its database (SQLite and PostgreSQL alike)."""
    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    ids = a.store.save_records("household", ({"note": "x" * 2000, "n": i} for i in range(9)))
    parts = a.export_parts(tmp_path / "a.fbb", part_bytes=7000)
    assert len(parts) == 3
    waiting = [live.hub.receive(p.read_bytes())[0].waiting for p, _ in reversed(parts)]
    assert waiting == [True, True, False]
    assert set(ids) <= set(live.hub.records())
    assert live.hub.db.execute("SELECT count(*) FROM parked_bundles")[0][0] == 0
