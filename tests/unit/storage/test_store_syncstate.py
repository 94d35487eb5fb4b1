"""The sync-state room (storage/syncstate.py): enrollment, sealed device keys, cursors,
bundles to forward and the forms the hub published, kept across a reopen."""
from __future__ import annotations

import pytest

from storage import Store
from storage.errors import DamagedRecord, Locked
from tests.conftest import PASSPHRASE


def _reopen(store: Store) -> Store:
    store.close()
    again = Store.open(store.directory)
    again.unlock(PASSPHRASE)
    return again


def test_settings_secret_and_sync_time_survive_a_reopen_and_the_secret_is_sealed(store):
    assert store.sync_settings() is None and store.device_secret() is None and store.last_sync_time() is None
    store.save_sync_settings({"server": "http://hub.test", "team": "north"})
    store.set_device_secret(b"synthetic-secret-bytes-0123456789")
    store.record_sync_time(1_700_000_000.5)
    store = _reopen(store)
    assert store.sync_settings() == {"server": "http://hub.test", "team": "north"}
    assert store.device_secret() == b"synthetic-secret-bytes-0123456789"
    assert store.last_sync_time() == 1_700_000_000.5
    assert b"synthetic-secret" not in (store.directory / "store.db").read_bytes()
    store._conn.execute("UPDATE meta SET value = '00' || substr(value, 3) WHERE key = 'device_secret'")
    with pytest.raises(DamagedRecord):
        store.device_secret()
    store.save_sync_settings(None)
    assert store.sync_settings() is None
    store.lock()
    with pytest.raises(Locked):
        store.set_device_secret(b"x")
    store.close()


def test_a_bundle_to_forward_is_kept_once_then_let_go(store):
    assert store.queue_forward("bundle-1", "dev-a", b"sealed bytes") is True
    assert store.queue_forward("bundle-1", "dev-a", b"sealed bytes") is False  # once
    assert store.forward_queue() == [("bundle-1", "dev-a", b"sealed bytes")]
    store.forwarded("bundle-1")
    assert store.forward_queue() == [] and store.bundle_seen("bundle-1") is None


def test_a_form_catalogue_older_than_the_one_held_is_ignored(store):
    form = {"form_id": "f1", "version": "1", "digest": "a" * 64, "title": "Synthetic form", "xlsx": b"PK..",
            "media": {"list.csv": b"name\nx\n"}}
    assert store.receive_forms(2, {"f1": "a" * 64}, [form]) is True
    assert store.published_forms() == {"f1": "a" * 64}
    [files] = store.published_form_files()
    assert files["xlsx"] == b"PK.." and files["media"] == {"list.csv": b"name\nx\n"}
    assert store.receive_forms(1, {}, []) is False  # an older return bundle, imported late
    assert store.published_forms() == {"f1": "a" * 64}
    assert store.receive_forms(3, {}, []) is True  # withdrawn
    assert store.published_forms() == {}


def test_a_clock_check_is_written_only_when_its_state_changes(store):
    store.note_clock_check("ok", 0)
    first = store.clock_status()["check"]
    store.note_clock_check("ok", 5)
    assert store.clock_status()["check"] == first
    store.note_clock_check("ahead", 90_000_000)
    assert store.clock_status()["check"]["state"] == "ahead"
