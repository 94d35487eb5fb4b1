"""A pulled page's records new here are audited with one entry per laptop and slice, their
ids packed (storage/audit.py ``pack_pulled``), not one entry each; each record's history
still says which laptop made it and, when the change named one, who (issue 19)."""
from __future__ import annotations

from storage.audit import unpack_ids
from sync.merge import merge_change

DEVICES = ("0f0e0d0c0b0a0908", "0a0b0c0d0e0f1011")
AUTHOR = "Zyxwvut Canaryname"  # synthetic


def _rid(i: int) -> str:
    return f"0190f0c2-3b4a-7c1d-9e2f-{i:012x}"


def _page(n: int) -> list[dict]:
    out = []
    for i in range(n):
        dev = DEVICES[i % 2]
        c = {"device_id": dev, "seq": i // 2 + 1, "record_id": _rid(i), "kind": "household", "form_id": None,
             "form_version": None, "hlc": f"{0x18f00000000 + i:016x}", "deleted": False,
             "fields": {"members": i, "phone": f"+38050{i:07d}"}, "bases": {}}
        if i % 3 == 0:
            c["author"] = AUTHOR
        out.append(c)
    return out


def test_a_pulled_page_of_new_records_writes_a_few_audit_entries_and_keeps_each_history(make_store):
    store = make_store()
    before = store._conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    n = 1000  # three slices of 400
    store.apply_changes(_page(n), merge=merge_change)
    rows = store._conn.execute("SELECT user_id, records FROM audit WHERE seq > ? AND action = 'sync_edit'",
                               (before,)).fetchall()
    assert len(rows) <= 3 * len(DEVICES), len(rows)
    packed = [unpack_ids(r) for _u, r in rows]
    assert all(first is None for first, _ in packed)  # vouches for no outbox change of ours
    assert sum(len(ids) for _, ids in packed) == n
    for i in (0, 1, 2, 3, 401, 999):
        [entry] = [e for e in store.audit_entries(_rid(i)) if e.action == "sync_edit"]
        assert entry.origin == DEVICES[i % 2] and entry.user_name is None and entry.record_id == _rid(i)
        if i % 3 == 0:
            assert entry.detail == {"author": AUTHOR, "hlc": f"{0x18f00000000 + i:016x}"}
        else:
            assert entry.detail is None
    listed = [e.record_id for e in store.audit_entries() if e.action == "sync_edit"]
    assert sorted(listed) == sorted(_rid(i) for i in range(n))
    assert store.verify().ok


def test_a_tampered_packed_entry_is_caught_by_verify(make_store):
    store = make_store()
    store.apply_changes(_page(10), merge=merge_change)
    assert store.verify().ok
    seq, packed = store._conn.execute("SELECT seq, records FROM audit WHERE records IS NOT NULL").fetchone()
    store._conn.execute("UPDATE audit SET records = ? WHERE seq = ?", (packed[:-16], seq))  # one record dropped
    assert not store.verify().ok
