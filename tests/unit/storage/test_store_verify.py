"""The verify room (storage/verify.py): decrypt everything and walk the audit chain.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import pytest

from storage import Store
from storage.errors import (
    DamagedRecord,
)
from tests.conftest import PASSPHRASE
from tests.unit.storage.store_helpers import HOUSEHOLD, raw


def _flip(path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at >= 0, "ciphertext not found in the file"
    data[at + len(needle) // 2] ^= 0x40
    path.write_bytes(bytes(data))


def test_verify_reports_a_flipped_byte_with_its_record_and_others_stay_readable(store, tmp_path):
    ids = store.save_records("household", [{**HOUSEHOLD, "n": i} for i in range(5)])
    victim = ids[2]
    body = raw(store, "SELECT body FROM records WHERE id = ?", victim)[0][0]
    store.close()
    _flip(tmp_path / "profile" / "store.db", body[14:40])
    s = Store.open(tmp_path / "profile")
    s.unlock(PASSPHRASE)
    report = s.verify()
    assert not report.ok and report.damaged_records == [victim]
    with pytest.raises(DamagedRecord, match=victim):
        s.get_record(victim)
    for rid in ids:
        if rid != victim:
            assert s.get_record(rid).fields["n"] == ids.index(rid)
    s.close()


def test_swapping_ciphertexts_between_records_is_detected(store):
    a = store.save_record("household", {"head_name": "Synthetic A"})
    b = store.save_record("household", {"head_name": "Synthetic B"})
    body_a = raw(store, "SELECT body FROM records WHERE id = ?", a)[0][0]
    store._conn.execute("UPDATE records SET body = ? WHERE id = ?", (body_a, b))
    report = store.verify()
    assert report.damaged_records == [b]


def test_verify_reports_a_tampered_audit_entry(store):
    store.save_records("household", [{"n": i} for i in range(4)])
    rid = store.save_record("household", {"n": 4})
    store.save_records("household", [{"n": i} for i in range(5, 7)])
    store._conn.execute("UPDATE audit SET action = 'edit' WHERE record_id = ?", (rid,))
    report = store.verify()
    assert not report.ok and report.audit_broken_record == rid


def _batch_entry(store) -> tuple[int, bytes]:
    return raw(store, "SELECT seq, records FROM audit WHERE records IS NOT NULL AND record_id IS NULL ORDER BY seq")[0]


@pytest.mark.parametrize("damage", ["swap two ids", "drop an id", "shift the first sequence", "no ids at all", "ids of another batch"])
def test_verify_reports_a_tampered_batch_entry(store, damage):
    store.save_records("household", [{"n": i} for i in range(4)])
    store.save_records("household", [{"n": i} for i in range(4, 6)])
    seq, packed = _batch_entry(store)
    other = raw(store, "SELECT records FROM audit WHERE records IS NOT NULL ORDER BY seq DESC")[0][0]
    head, ids = packed[:9], [packed[i : i + 16] for i in range(9, len(packed), 16)]
    forged = {
        "swap two ids": head + ids[1] + ids[0] + b"".join(ids[2:]),
        "drop an id": head + b"".join(ids[:-1]),
        "shift the first sequence": head[:1] + (int.from_bytes(head[1:], "big") + 1).to_bytes(8, "big") + b"".join(ids),
        "no ids at all": None,
        "ids of another batch": other,
    }[damage]
    store._conn.execute("UPDATE audit SET records = ? WHERE seq = ?", (forged, seq))
    report = store.verify()
    assert not report.ok and report.audit_broken_at == seq


@pytest.mark.parametrize(
    "damage", ["swap record ids", "point the row elsewhere", "rewrite the record behind its back", "swap ids and clocks"]
)
def test_verify_and_the_outbox_catch_a_bodyless_change_moved_to_another_record(store, damage):
    a, b = store.save_records("household", [{"n": 1}, {"n": 2}])
    c = store._conn
    if damage == "swap record ids":
        c.execute("UPDATE changes SET record_id = CASE record_id WHEN ? THEN ? ELSE ? END", (a, b, a))
        c.execute("UPDATE records SET outbox_seq = 3 - outbox_seq")
    elif damage == "point the row elsewhere":
        c.execute("UPDATE records SET outbox_seq = 2 WHERE id = ?", (a,))
    elif damage == "rewrite the record behind its back":
        # A writer that skipped _keep_creation and _write_record: the creation
        # change would silently carry the new values.
        body = store._sealer.seal("record", a, b'{"n": 99}')
        c.execute("UPDATE records SET body = ?, updated = ? WHERE id = ?", (body, "f" * 16 + "@" + store.device_id, a))
    else:
        # Consistent on every plaintext column: only the audit chain can tell.
        c.execute("UPDATE changes SET hlc = CASE record_id WHEN ? THEN (SELECT hlc FROM changes WHERE record_id = ?) ELSE (SELECT hlc FROM changes WHERE record_id = ?) END", (a, b, a))
        c.execute("UPDATE changes SET record_id = CASE record_id WHEN ? THEN ? ELSE ? END", (a, b, a))
        c.execute("UPDATE records SET outbox_seq = 3 - outbox_seq")
    report = store.verify()
    assert not report.ok and report.damaged_changes
    if damage != "swap ids and clocks":
        with pytest.raises(DamagedRecord):
            store.pending_changes()


def test_verify_notices_removed_audit_entries(store):
    store.save_records("household", [{"n": i} for i in range(4)])
    store._conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    report = store.verify()
    assert not report.ok and not report.audit_head_ok


@pytest.mark.parametrize(
    "which", ["creation without a body of its own", "creation sealed at its first edit", "edit"]
)
def test_verify_reports_a_damaged_change(store, which):
    rid = store.save_record("household", {"n": 1})  # change 1
    store.save_record("household", {"n": 2})  # change 2: stays bodyless
    store.edit_record(rid, {"n": 3})  # change 3; change 1 gets its own sealed body
    seq = {"creation without a body of its own": 2, "creation sealed at its first edit": 1, "edit": 3}[which]
    assert (raw(store, "SELECT body FROM changes WHERE seq = ?", seq)[0][0] is None) == (seq == 2)
    victim = raw(store, "SELECT record_id FROM changes WHERE seq = ?", seq)[0][0]
    other = victim[:-1] + ("1" if victim[-1] == "0" else "0")  # a different id, always
    store._conn.execute("UPDATE changes SET record_id = ? WHERE seq = ?", (other, seq))
    assert store.verify().damaged_changes == [f"{store.device_id}:{seq} (record {other})"]

