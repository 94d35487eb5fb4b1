"""A conflict's resolution is a change: it syncs, and closes the conflict on every replica
(issue: 'sync resolve --restore' closed it only on the laptop that resolved it)."""
from __future__ import annotations

import pytest


def _conflict(laptops):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    return a, b, rid


def _open(client):
    return [(c.field, c.value) for c in client.store.conflicts()]


@pytest.mark.parametrize("restore", [True, False])
def test_a_resolution_closes_the_conflict_everywhere_and_on_a_laptop_enrolled_later(laptops, hub, restore):
    a, b, rid = _conflict(laptops)
    [conflict] = a.store.conflicts()
    loser, winner = conflict.value, a.store.get_record(rid).fields["members"]
    assert _open(b) == [("members", loser)] and len(hub.conflicts()) == 1
    a.store.resolve_conflict(conflict.id, restore=restore)
    assert a.store.pending_count() == 1  # the resolution is a change, waiting to go
    assert a.sync_now().pushed == 1
    b.sync_now()
    current = loser if restore else winner
    for replica in (a, b):
        assert replica.store.get_record(rid).fields == {"members": current}
        assert _open(replica) == []
        [closed] = replica.store.conflicts(include_resolved=True)
        assert closed.resolution == ("restored" if restore else "kept")
    assert hub.conflicts() == [] and hub.conflicts(include_resolved=True)[0]["resolution"] == closed.resolution
    assert hub.records()[rid]["fields"] == {"members": current}
    # A laptop enrolled later sees the conflict arise and close, in order: nothing open,
    # and the current value is never listed as lost.
    c = laptops("c")
    c.sync_now()
    assert c.store.get_record(rid).fields == {"members": current}
    assert _open(c) == []
    assert [x.resolution for x in c.store.conflicts(include_resolved=True)] == [closed.resolution]
    assert all(r.store.verify().ok for r in (a, b, c))


def test_restoring_a_value_someone_already_put_back_still_closes_it_everywhere(laptops, hub):
    a, b, rid = _conflict(laptops)
    [conflict] = a.store.conflicts()
    b.store.edit_record(rid, {"members": conflict.value})  # put back by hand on the other laptop
    b.sync_now(); a.sync_now()
    a.store.resolve_conflict(conflict.id, restore=True)
    a.sync_now(); b.sync_now()
    assert _open(a) == _open(b) == [] and hub.conflicts() == []


def test_a_version_7_profile_upgrades_and_its_open_conflict_resolves_everywhere(tmp_path, laptops, hub):
    import json
    import shutil
    import sqlite3
    from pathlib import Path

    from storage import Store, schema
    from sync.client import SyncClient

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "stores" / "v7"
    conn = sqlite3.connect(fixture / "store.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    assert "resolves" not in [r[1] for r in conn.execute("PRAGMA table_info(changes)")]
    conn.close()
    ids = json.loads((fixture / "README.txt").read_text().splitlines()[1])
    shutil.copytree(fixture, tmp_path / "v7")
    store = Store.open(tmp_path / "v7")
    store.unlock("fixture passphrase v7")
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert [c.seq for c in store.pending_changes()] == [2, 3]
    assert all("resolves" not in c.to_json() for c in store.pending_changes())
    [conflict] = store.conflicts()
    assert (conflict.record_id, conflict.value) == (ids["record"], 3)
    old = SyncClient(store, transport=laptops.transport)
    old.enroll("http://hub.test", hub.new_enroll_code("team-a"))
    store.resolve_conflict(conflict.id, restore=False)
    assert [c.to_json().get("resolves") for c in store.pending_changes()][-1] == [
        {"field": "members", "stamp": conflict.stamp, "resolution": "kept"}]
    assert old.sync_now().pushed == 3 and store.verify().ok
    store.close()
