"""The audit room (storage/audit.py): the hash-chained log and the history it gives.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

from tests.unit.storage.store_helpers import HOUSEHOLD, raw


def test_one_audit_entry_covers_a_batch_and_still_names_each_record(store):
    before = len(raw(store, "SELECT seq FROM audit"))
    ids = store.save_records("household", [{"n": i} for i in range(5)])
    assert len(raw(store, "SELECT seq FROM audit")) == before + 1
    for rid in ids:
        assert [(e.action, e.record_id, e.user_name) for e in store.audit_entries(rid)] == [("add", rid, "Enumerator One")]
    assert [e.record_id for e in store.audit_entries() if e.action == "add"] == ids
    assert store.verify().ok


def test_audit_history_names_who_did_what(store):
    rid = store.save_record("household", HOUSEHOLD)
    store.edit_record(rid, {"members": 1})
    store.delete_record(rid)
    history = store.audit_entries(rid)
    assert [(e.action, e.user_name) for e in history] == [
        ("add", "Enumerator One"),
        ("edit", "Enumerator One"),
        ("delete", "Enumerator One"),
    ]

