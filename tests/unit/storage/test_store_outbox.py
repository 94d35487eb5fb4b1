"""The outbox room (storage/outbox.py): this laptop's changes, their sequence and their sealed bodies.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import pytest

from storage import Store
from tests.conftest import PASSPHRASE
from tests.unit.storage.store_helpers import HOUSEHOLD, raw


def test_outbox_sequence_is_unique_and_survives_reopen(store, tmp_path):
    store.save_records("household", [{"n": i} for i in range(3)])
    store.close()
    again = Store.open(tmp_path / "profile")
    again.unlock(PASSPHRASE)
    again.save_record("household", {"n": 3})
    seqs = [c.seq for c in again.pending_changes()]
    assert seqs == [1, 2, 3, 4]
    again.close()


def test_a_new_record_has_one_sealed_body_and_its_change_reads_it(store):
    ids = store.save_records("household", [HOUSEHOLD, {**HOUSEHOLD, "members": 2}])
    assert raw(store, "SELECT count(*) FROM changes WHERE body IS NULL") == [(2,)]
    assert [c.fields for c in store.pending_changes()] == [HOUSEHOLD, {**HOUSEHOLD, "members": 2}]
    # The first rewrite of a record gives its creation change its own copy, as created.
    store.edit_record(ids[0], {"members": 9})
    store.delete_record(ids[1])
    assert raw(store, "SELECT seq FROM changes WHERE body IS NULL") == []
    assert raw(store, "SELECT count(*) FROM records WHERE outbox_seq IS NOT NULL") == [(0,)]
    assert [(c.record_id, c.fields, c.deleted) for c in store.pending_changes()] == [
        (ids[0], HOUSEHOLD, False),
        (ids[1], {**HOUSEHOLD, "members": 2}, False),
        (ids[0], {"members": 9}, False),
        (ids[1], {}, True),
    ]
    assert store.verify().ok


def test_a_rolled_back_edit_leaves_the_creation_change_bodyless(store):
    rid = store.save_record("household", HOUSEHOLD)
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.edit_record(rid, {"members": 9})
            raise RuntimeError("crash in the middle")
    assert raw(store, "SELECT count(*) FROM changes WHERE body IS NULL") == [(1,)]
    assert [c.fields for c in store.pending_changes()] == [HOUSEHOLD]
    assert store.verify().ok

