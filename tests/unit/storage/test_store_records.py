"""The records room (storage/records.py): save, read, edit, delete and list records.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import pytest

from storage.errors import (
    InvalidQuery,
    Locked,
)
from tests.unit.storage.store_helpers import HOUSEHOLD


def test_save_get_roundtrip_keeps_types(store):
    fields = {**HOUSEHOLD, "ratio": 0.25, "flags": ["a", "b"], "nested": {"x": None}, "ok": True}
    rid = store.save_record("household", fields, form_id="hh_needs", form_version="2026-11")
    record = store.get_record(rid)
    assert record.fields == fields
    assert (record.kind, record.form_id, record.form_version, record.deleted) == ("household", "hh_needs", "2026-11", False)
    assert set(record.clocks) == set(fields)
    assert all(stamp.endswith("@" + store.device_id) for stamp in record.clocks.values())


def test_floats_beside_nulls_and_null_texts_are_stored(store):
    fields = {"lat": 49.99, "lon": -0.0, "big": 1e308, "gone": None, "note": "null", "tiny": 5e-324}
    ids = store.save_records("household", [fields, {"lat": 1.5}])
    assert store.get_record(ids[0]).fields == fields and store.get_record(ids[1]).fields == {"lat": 1.5}


def test_ids_are_time_ordered_uuid7(store):
    ids = store.save_records("household", [{"n": i} for i in range(50)])
    ids += store.save_records("household", [{"n": i} for i in range(50)])
    ids.append(store.save_record("household", {"n": 0}))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)  # version 7, RFC 9562 variant
    stamps = [r.clocks["n"] for r in store.list_records()]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # one HLC tick per record


def test_list_records_by_form_and_newest_first_with_a_limit(store):
    ids = store.save_records("household", [{"n": i} for i in range(20)])
    store.save_record("visit", {"n": 99})  # another kind is not counted
    store.delete_record(ids[-1])
    newest = list(store.list_records("household", newest_first=True, limit=3))
    assert [r.id for r in newest] == ids[-2:-5:-1]
    assert [r.fields["n"] for r in newest] == [18, 17, 16]
    assert [r.id for r in store.list_records("household", newest_first=True, limit=1, include_deleted=True)] == [ids[-1]]
    assert [r.id for r in store.list_records("household", newest_first=True)] == ids[-2::-1]
    assert list(store.list_records("household", limit=0)) == []
    assert [r.id for r in store.list_records("household", limit=2)] == ids[:2]
    other_form = store.save_record("household", {"n": 50}, form_id="other")
    assert [r.id for r in store.list_records("household", form_id="other")] == [other_form]
    assert [r.id for r in store.list_records(form_id="other", include_deleted=True)] == [other_form]
    assert list(store.list_records("visit", form_id="other")) == []
    for bad in (-1, 2.5, "3"):
        with pytest.raises(InvalidQuery, match="limit"):
            list(store.list_records("household", limit=bad))


def test_edit_changes_only_given_fields_and_stamps_only_them(store):
    rid = store.save_record("household", HOUSEHOLD)
    before = store.get_record(rid)
    after = store.edit_record(rid, {"members": 5, "head_name": HOUSEHOLD["head_name"]})
    assert after.fields == {**HOUSEHOLD, "members": 5}
    assert after.clocks["members"] > before.clocks["members"]
    assert after.clocks["head_name"] == before.clocks["head_name"]  # same value: not a change
    changes = store.pending_changes()
    assert [c.fields for c in changes] == [HOUSEHOLD, {"members": 5}]
    assert [c.seq for c in changes] == [1, 2]


def test_delete_leaves_a_tombstone_without_values(store):
    rid = store.save_record("household", HOUSEHOLD)
    store.delete_record(rid)
    tomb = store.get_record(rid)
    assert tomb.deleted and tomb.fields == {}
    assert "_deleted" in tomb.clocks
    assert [r.id for r in store.list_records("household")] == []
    assert [r.id for r in store.list_records("household", include_deleted=True)] == [rid]
    assert store.find_records("household", "phone", HOUSEHOLD["phone"]) == []
    last = store.pending_changes()[-1]
    assert last.deleted and last.fields == {} and last.record_id == rid
    store.delete_record(rid)  # deleting twice is harmless
    assert len(store.pending_changes()) == 2


def test_locked_store_refuses_record_access(store):
    store.save_record("household", {"n": 1})
    store.lock()
    with pytest.raises(Locked):
        list(store.list_records())
    with pytest.raises(Locked):
        store.save_record("household", {"n": 2})

