"""Merge in the store: per-field last writer wins, conflicts kept, idempotent apply.

These pass changes between stores by hand (no server): the server runs the same
rules, and tests/integration/ checks the whole path.
"""
from __future__ import annotations

import pytest

from storage.errors import InvalidRecord
from sync.merge import merge_change


def ship(src, dst, **kw):
    """Everything src has not yet had acknowledged, applied to dst."""
    return dst.apply_changes([c.to_json() for c in src.pending_changes()], merge=merge_change, **kw)


def state(store):
    return {r.id: (r.deleted, r.fields) for r in store.list_records(include_deleted=True)}


def test_new_record_arrives_with_fields_clocks_and_form(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"head_name": "Тарас Вигаданий", "members": 4}, form_id="hh", form_version="3")
    result = ship(a, b)
    assert (result.new, result.duplicates, result.conflicts) == (1, 0, 0)
    got = b.get_record(rid)
    assert got.fields == {"head_name": "Тарас Вигаданий", "members": 4}
    assert (got.form_id, got.form_version) == ("hh", "3")
    assert got.clocks == a.get_record(rid).clocks
    assert b.pending_count() == 0  # applied changes are not re-sent


def test_apply_is_idempotent(make_store):
    a, b = make_store("a"), make_store("b")
    a.save_record("household", {"members": 1})
    ship(a, b)
    again = ship(a, b)
    assert (again.new, again.duplicates) == (0, 1)
    assert len(list(b.list_records())) == 1


def test_different_fields_both_survive(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4, "phone": "0670001122"})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.edit_record(rid, {"members": 5})
    b.edit_record(rid, {"phone": "0670003344"})
    ship(a, b)
    ship(b, a)
    assert state(a) == state(b)
    assert a.get_record(rid).fields == {"members": 5, "phone": "0670003344"}
    assert a.conflicts() == [] and b.conflicts() == []


def test_same_field_one_winner_everywhere_and_loser_kept(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.edit_record(rid, {"members": 5})
    b.edit_record(rid, {"members": 6})
    ship(a, b)
    ship(b, a)
    assert state(a) == state(b)
    winner = a.get_record(rid).fields["members"]
    loser = {5, 6} - {winner}
    for s in (a, b):
        assert [c.value for c in s.conflicts()] == list(loser)
    # The winner is the larger stamp, whichever order things arrived in.
    sa, sb = a.get_record(rid).clocks["members"], b.get_record(rid).clocks["members"]
    assert sa == sb


def test_sequential_edit_is_not_a_conflict(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4})
    ship(a, b)
    b.edit_record(rid, {"members": 7})  # b saw 4, then changed it: a causal overwrite
    ship(b, a)
    assert a.get_record(rid).fields["members"] == 7
    assert a.conflicts() == []


def test_delete_wins_and_unseen_edit_is_kept(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4, "phone": "0670001122"})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.delete_record(rid)
    b.edit_record(rid, {"members": 9})
    ship(b, a)  # the edit reaches a tombstone
    ship(a, b)  # the delete reaches the edited record
    assert state(a) == state(b) == {rid: (True, {})}
    assert [c.value for c in a.conflicts()] == [9]
    assert [c.value for c in b.conflicts()] == [9]
    assert b.find_records("household", "phone", "0670001122") == []


def test_restore_a_conflict_writes_it_back(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.edit_record(rid, {"members": 5})
    b.edit_record(rid, {"members": 6})
    ship(b, a)
    [conflict] = a.conflicts()
    a.resolve_conflict(conflict.id, restore=True)
    assert a.get_record(rid).fields["members"] == conflict.value
    assert a.conflicts() == []
    assert [c.resolution for c in a.conflicts(include_resolved=True)] == ["restored"]
    with pytest.raises(InvalidRecord):
        a.resolve_conflict(conflict.id, restore=False)


def test_cursor_ack_and_bundle_id_commit_with_the_changes(make_store):
    a, b = make_store("a"), make_store("b")
    a.save_record("household", {"members": 1})
    b.save_record("household", {"members": 2})
    ship(a, b, cursor=17, acked=1, bundle=("b" * 32, "server"))
    assert b.pull_cursor() == 17
    assert b.pending_count() == 0
    assert b.bundle_seen("b" * 32) is not None


def test_a_failed_apply_changes_nothing(make_store):
    a, b = make_store("a"), make_store("b")
    a.save_record("household", {"members": 1})
    good = [c.to_json() for c in a.pending_changes()]
    bad = dict(good[0], seq=2, record_id="not-an-id")
    before = state(b)
    with pytest.raises(InvalidRecord):
        b.apply_changes(good + [bad], merge=merge_change, cursor=5)
    assert state(b) == before and b.pull_cursor() == 0 and b.peer_seqs() == {}


def test_blind_index_follows_remote_edits(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"phone": "067 000 11 22"})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.edit_record(rid, {"phone": "067 000 99 88"})
    ship(a, b)
    assert [r.id for r in b.find_records("household", "phone", "+380670009988")] == [rid]
    assert b.find_records("household", "phone", "+380670001122") == []


def test_a_tombstone_keeps_its_delete_stamp_whatever_its_clocks(make_store):
    # One field: the field's stamp and the delete's stamp are equally common, and the
    # compact clock encoding must not fold the delete stamp into a base that a
    # tombstone (no fields) cannot expand.
    a = make_store("a")
    rid = a.save_record("household", {"members": 1})
    a.delete_record(rid)
    rec = next(a.list_records(include_deleted=True))
    assert "_deleted" in rec.clocks and rec.clocks["members"] != rec.clocks["_deleted"]


def test_history_credits_a_synced_change_to_the_laptop_it_came_from_not_the_user_here(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4, "phone": "0670001122"})
    ship(a, b)
    a.acknowledge(a.last_seq())
    a.edit_record(rid, {"members": 5})
    b.edit_record(rid, {"phone": "0670003344"})
    ship(a, b)
    history = b.audit_entries(rid)
    assert [e.action for e in history] == ["sync_edit", "edit", "sync_edit"]
    created, edited_here, edited_there = history
    # Nobody on laptop b made the record or a's edit: no user of b is named for them.
    assert (created.user_name, created.origin) == (None, a.device_id)
    assert (edited_there.user_name, edited_there.origin) == (None, a.device_id)
    assert (edited_here.user_name, edited_here.origin) == (b.user_name, None)
    assert edited_here.detail == {"fields": ["phone"]}
    change = edited_there.detail["changes"]
    assert [(c["device"], c["fields"], c["deleted"]) for c in change] == [(a.device_id, ["members"], False)]
    assert change[0]["hlc"] == a.get_record(rid).clocks["members"].split("@")[0]  # when it was made on a
    assert b.verify().ok  # the author is part of the chain


def test_kept_and_restored_conflicts_name_the_field_in_the_history(make_store):
    a, b = make_store("a"), make_store("b")
    rid = a.save_record("household", {"members": 4})
    ship(a, b)
    a.acknowledge(a.last_seq())
    b.edit_record(rid, {"members": 6})
    a.edit_record(rid, {"members": 5})
    ship(b, a)
    [conflict] = a.conflicts() or b.conflicts()
    holder = a if a.conflicts() else b
    holder.resolve_conflict(conflict.id, restore=False)
    kept = [e for e in holder.audit_entries(rid) if e.action == "conflict_kept"]
    assert [e.detail for e in kept] == [{"field": "members"}]


def test_list_state_comes_from_plaintext_stamps_outbox_and_conflict_count(make_store):
    a, b = make_store("a"), make_store("b")
    one = a.save_record("household", {"members": 4}, form_id="hh")
    two = a.save_record("household", {"members": 2}, form_id="hh")
    other = a.save_record("household", {"members": 1}, form_id="other")
    a.save_record("draft", {"members": 9}, form_id="hh")
    assert set(a.waiting_record_ids(form_id="hh")) == {one, two}  # drafts never wait to sync
    ship(a, b)
    a.acknowledge(a.last_seq())
    assert set(a.waiting_record_ids()) == set()
    before = dict(a.record_stamps("household", form_id="hh"))
    assert set(before) == {one, two} and other not in before
    edited = a.edit_record(two, {"members": 3})
    after = dict(a.record_stamps("household", form_id="hh"))
    assert after[one] == before[one] and after[two] == edited.clocks["members"] > before[two]
    assert set(a.waiting_record_ids(form_id="hh")) == {two}
    # A concurrent edit of the same field on b: each side keeps the value that lost, for review.
    b.edit_record(two, {"members": 5})
    ship(a, b)
    ship(b, a)
    assert (a.open_conflict_count(), b.open_conflict_count()) == (1, 1)
    a.resolve_conflict(a.conflicts()[0].id, restore=False)
    assert (a.open_conflict_count(), b.open_conflict_count()) == (0, 1)
