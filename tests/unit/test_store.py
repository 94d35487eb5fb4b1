"""The store's API: records, tombstones, the outbox, blind indexes, users and keys, verify, wipe."""
from __future__ import annotations

import sqlite3

import pytest

from storage import Store, crypto
from storage.errors import (
    DamagedRecord,
    Locked,
    NoBlindIndex,
    ProfileExists,
    ProfileWiped,
    UnknownUser,
    UserExists,
    InvalidQuery,
    WrongPassphrase,
    WrongRecoveryKey,
)
from tests.conftest import PASSPHRASE

HOUSEHOLD = {"head_name": "Тарас Вигаданий", "phone": "+380 67 000 11 22", "id_number": "КН 000111", "members": 4}


def raw(store: Store, sql: str, *args):
    return store._conn.execute(sql, args).fetchall()


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


def test_outbox_sequence_is_unique_and_survives_reopen(store, tmp_path):
    store.save_records("household", [{"n": i} for i in range(3)])
    store.close()
    again = Store.open(tmp_path / "profile")
    again.unlock(PASSPHRASE)
    again.save_record("household", {"n": 3})
    seqs = [c.seq for c in again.pending_changes()]
    assert seqs == [1, 2, 3, 4]
    again.close()


def test_clock_never_goes_back_across_reopen(store, tmp_path):
    rid = store.save_record("household", {"n": 1})
    last = store.get_record(rid).clocks["n"]
    store.close()
    again = Store.open(tmp_path / "profile")
    again.clock._now_ms = lambda: 0  # wall clock reset to 1970
    again.unlock(PASSPHRASE)
    assert again.edit_record(rid, {"n": 2}).clocks["n"] > last
    again.close()


def test_blind_index_finds_formatted_variants_and_follows_edits(store):
    rid = store.save_record("household", HOUSEHOLD)
    other = store.save_record("household", {**HOUSEHOLD, "phone": "+380 50 999 88 77", "id_number": "XX 1"})
    assert [r.id for r in store.find_records("household", "phone", "067 000 11 22")] == [rid]
    assert [r.id for r in store.find_records("household", "id_number", "kh000111")] == [rid]
    store.edit_record(rid, {"phone": "050 111 22 33"})
    assert store.find_records("household", "phone", "067 000 11 22") == []
    assert [r.id for r in store.find_records("household", "phone", "+380501112233")] == [rid]
    assert [r.id for r in store.find_records("household", "phone", "0509998877")] == [other]
    assert store.find_records("beneficiary", "phone", "0509998877") == []  # scoped to kind


def test_declared_index_backfills_existing_records(store):
    rid = store.save_record("household", {"card": "  Card-77 "})
    with pytest.raises(NoBlindIndex, match="card"):
        store.find_records("household", "card", "card-77")
    assert store.declare_index("household", "card", "text") == 1
    assert [r.id for r in store.find_records("household", "card", "CARD-77")] == [rid]
    new = store.save_record("household", {"card": "card-78"})
    assert [r.id for r in store.find_records("household", "card", "Card-78")] == [new]


def test_blind_index_stores_only_tokens(store):
    store.save_record("household", HOUSEHOLD)
    tokens = [t for (t,) in raw(store, "SELECT token FROM blind_index")]
    assert len(tokens) == 2 and all(len(t) == 16 for t in tokens)


def test_locked_store_refuses_record_access(store):
    store.save_record("household", {"n": 1})
    store.lock()
    with pytest.raises(Locked):
        list(store.list_records())
    with pytest.raises(Locked):
        store.save_record("household", {"n": 2})


def test_several_users_share_one_profile(store, tmp_path):
    store.add_user("Enumerator Two", "second synthetic passphrase", kdf=crypto.fast_kdf_for_tests())
    rid = store.save_record("household", HOUSEHOLD)
    store.close()
    s = Store.open(tmp_path / "profile")
    assert s.users() == ["Enumerator One", "Enumerator Two"]
    s.unlock("second synthetic passphrase")
    assert s.user_name == "Enumerator Two"
    assert s.get_record(rid).fields == HOUSEHOLD
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE, user="Enumerator Two")
    with pytest.raises(UnknownUser):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE, user="Nobody")
    with pytest.raises(UserExists):
        s.add_user("Enumerator Two", "another passphrase")
    s.close()


def test_changing_a_passphrase_rewraps_and_never_reencrypts(store, tmp_path):
    store.save_records("household", [HOUSEHOLD] * 3)
    bodies = raw(store, "SELECT id, body FROM records ORDER BY id")
    store.change_passphrase("Enumerator One", "a brand new passphrase", kdf=crypto.fast_kdf_for_tests())
    assert raw(store, "SELECT id, body FROM records ORDER BY id") == bodies
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "profile").unlock(PASSPHRASE)
    s = Store.open(tmp_path / "profile")
    s.unlock("a brand new passphrase")
    assert len(list(s.list_records())) == 3
    s.close()


def test_recovery_key_opens_and_resets_a_forgotten_passphrase(store, tmp_path):
    rid = store.save_record("household", HOUSEHOLD)
    recovery = store.recovery_key
    store.close()
    s = Store.open(tmp_path / "profile")
    s.unlock_with_recovery_key(recovery)
    s.change_passphrase("Enumerator One", "remembered this time", kdf=crypto.fast_kdf_for_tests())
    s.close()
    s = Store.open(tmp_path / "profile")
    s.unlock("remembered this time")
    assert s.get_record(rid).fields == HOUSEHOLD
    s.close()


def test_a_recovery_key_of_another_profile_is_refused(make_store, tmp_path):
    make_store("a")
    b = make_store("b")
    with pytest.raises(WrongRecoveryKey):
        Store.open(tmp_path / "a").unlock_with_recovery_key(b.recovery_key)


def test_new_recovery_key_retires_the_old_one(store, tmp_path):
    old = store.recovery_key
    new = store.new_recovery_key()
    with pytest.raises(WrongRecoveryKey):
        Store.open(tmp_path / "profile").unlock_with_recovery_key(old)
    Store.open(tmp_path / "profile").unlock_with_recovery_key(new)


def test_create_refuses_an_existing_profile(store, tmp_path):
    with pytest.raises(ProfileExists):
        Store.create(tmp_path / "profile", user="x", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())


def test_wipe_crypto_erases(store, tmp_path):
    store.save_record("household", HOUSEHOLD)
    recovery = store.recovery_key
    keyring_bytes = (tmp_path / "profile" / "keyring.json").read_bytes()
    store.wipe()
    assert not (tmp_path / "profile" / "keyring.json").exists()
    with pytest.raises(ProfileWiped):
        Store.open(tmp_path / "profile")
    # Even an attacker who kept nothing but the database and knows the passphrase
    # and recovery key cannot get the data key back: it lived only in the keyring.
    assert keyring_bytes not in (tmp_path / "profile" / "store.db").read_bytes()
    del recovery


# --- verify and tampering ----------------------------------------------------------------
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


def test_one_audit_entry_covers_a_batch_and_still_names_each_record(store):
    before = len(raw(store, "SELECT seq FROM audit"))
    ids = store.save_records("household", [{"n": i} for i in range(5)])
    assert len(raw(store, "SELECT seq FROM audit")) == before + 1
    for rid in ids:
        assert [(e.action, e.record_id, e.user_name) for e in store.audit_entries(rid)] == [("add", rid, "Enumerator One")]
    assert [e.record_id for e in store.audit_entries() if e.action == "add"] == ids
    assert store.verify().ok


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


def test_pragmas_favour_durability(store):
    c = store._conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert c.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY


def test_nested_atomic_rolls_back_only_the_inner_part(store):
    with store.atomic():
        store.save_record("household", {"n": 1})
        with pytest.raises(RuntimeError):
            with store.atomic():
                store.save_record("household", {"n": 2})
                raise RuntimeError("inner failure")
    assert [r.fields["n"] for r in store.list_records()] == [1]
    assert store.verify().ok


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.save_record("household", {"n": 1})
            raise RuntimeError("crash in the middle")
    assert store.count_records() == 0 and store.pending_count() == 0
    store.save_record("household", {"n": 2})
    assert [c.seq for c in store.pending_changes()] == [1]
    assert store.verify().ok


def test_files_are_private_to_the_owner(store, tmp_path):
    store.save_record("household", {"n": 1})
    for name in ("keyring.json", "store.db"):
        assert (tmp_path / "profile" / name).stat().st_mode & 0o077 == 0


def test_not_sqlite_errors_leak(store):
    store._conn.execute("PRAGMA query_only = ON")
    with pytest.raises(Exception) as info:
        store.save_record("household", {"n": 1})
    assert not isinstance(info.value, sqlite3.Error)


def test_check_passphrase_changes_nothing(store):
    from storage.errors import WrongPassphrase
    from tests.conftest import PASSPHRASE

    store.check_passphrase(store.user_name, PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="not changed"):
        store.check_passphrase(store.user_name, "another synthetic passphrase")
    assert store.unlocked
