"""Three store bugs found by review (issue 14, item 5), each with the test that caught it."""
from __future__ import annotations

import pytest

from storage import Store
from storage.audit import AuditLog
from storage.errors import DiskFull, InvalidQuery, LastUser, Locked, UnknownUser
from storage.keyring import Keyring
from sync.merge import merge_change

PASSPHRASE = "synthetic passphrase 1"


def _change(rid: str, kind: str, seq: int, hlc: str) -> dict:
    return {"device_id": "0f0e0d0c0b0a0908", "seq": seq, "record_id": rid, "kind": kind, "form_id": None,
            "form_version": None, "hlc": hlc, "deleted": False, "fields": {"members": 9}, "bases": {}}


# --- ApplyResult.new counted a change refused for naming another kind ----------------------
def test_a_change_naming_another_kind_is_not_counted_as_new(store):
    rid = store.save_record("household", {"members": 1})
    later = f"{store.clock.last + 1:016x}"
    result = store.apply_changes([_change(rid, "submission", 1, later)], merge=merge_change)
    assert result.new == 0 and result.ignored == 1 and result.records == 0
    assert store.get_record(rid).fields == {"members": 1}
    assert store.peer_seqs() == {"0f0e0d0c0b0a0908": 1}  # seen: the origin's sequence stays in step
    # A good change after it is new, and only it.
    result = store.apply_changes([_change(rid, "household", 2, f"{store.clock.last + 1:016x}")], merge=merge_change)
    assert result.new == 1 and result.ignored == 0


def test_a_refused_change_does_not_move_the_clock(store):
    rid = store.save_record("household", {"members": 1})
    before = store.clock.last
    ahead = f"{before + (3_600_000 << 16):016x}"  # an hour ahead: within the bound, so it would be taken
    store.apply_changes([_change(rid, "submission", 1, ahead)], merge=merge_change)
    assert store.clock.last < int(ahead, 16)


# --- list_records raised late, and as a plain ValueError --------------------------------------
@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_a_bad_limit_is_refused_at_the_call_with_a_typed_error(store, bad):
    with pytest.raises(InvalidQuery, match="limit"):
        store.list_records("household", limit=bad)  # no next(): refused when called


def test_listing_a_locked_store_is_refused_at_the_call(store):
    store.lock()
    with pytest.raises(Locked):
        store.list_records("household")


# --- remove_user: wrong error type, keyring saved outside the audited transaction ------------
def test_remove_user_removes_the_slot_and_audits_it(store):
    store.add_user("Second Person", "another synthetic passphrase")
    store.remove_user("Second Person")
    assert store.users() == ["Enumerator One"]
    assert Keyring.load(store.directory).users[0].name == "Enumerator One"
    assert [e.action for e in store.audit_entries()][-1] == "user_removed"
    assert store.verify().ok
    again = Store.open(store.directory)
    with pytest.raises(Exception):
        again.unlock("another synthetic passphrase")
    again.close()


def test_the_last_user_cannot_be_removed_and_an_unknown_one_is_named(store):
    with pytest.raises(LastUser):
        store.remove_user("Enumerator One")
    with pytest.raises(UnknownUser):
        store.remove_user("Nobody Here")
    assert store.users() == ["Enumerator One"]


@pytest.mark.parametrize("action", ["remove_user", "add_user", "change_passphrase", "new_recovery_key"])
def test_a_keyring_change_whose_audit_fails_changes_nothing(store, monkeypatch, action):
    store.add_user("Second Person", "another synthetic passphrase")
    before_disk = (store.directory / "keyring.json").read_bytes()
    before_users = store.users()
    entries = len(store.audit_entries())

    def full(*_a, **_k):
        raise DiskFull("The disk is full (synthetic).")

    monkeypatch.setattr(AuditLog, "add", full)  # the audit entry cannot be written
    call = {"remove_user": lambda: store.remove_user("Second Person"),
            "add_user": lambda: store.add_user("Third Person", "a third synthetic passphrase"),
            "change_passphrase": lambda: store.change_passphrase("Second Person", "a new synthetic passphrase"),
            "new_recovery_key": store.new_recovery_key}[action]
    with pytest.raises(DiskFull):
        call()
    monkeypatch.undo()
    after_disk = (store.directory / "keyring.json").read_bytes()
    assert after_disk == before_disk and store.users() == before_users
    assert len(store.audit_entries()) == entries
