"""Store.changed_since: the ids written since a mark, whatever wrote them, or None to read all."""
from __future__ import annotations

from storage import Store
from sync.merge import merge_change

PASSPHRASE = "synthetic passphrase 1"  # the conftest's, to open the same profile a second time


def test_the_first_look_reads_all_then_only_what_was_written(store):
    a = store.save_record("receipt", {"round": "R", "items": {"F": 1}})
    mark, ids = store.changed_since("receipt", None)
    assert ids is None
    mark, ids = store.changed_since("receipt", mark)
    assert ids == set()
    b = store.save_record("receipt", {"round": "R", "items": {"F": 2}})
    store.save_record("household", {"head_name": "Synthetic"})  # another kind: not noted
    store.edit_record(a, {"voided": True})
    mark, ids = store.changed_since("receipt", mark)
    assert ids == {a, b}
    store.delete_record(b)
    mark, ids = store.changed_since("receipt", mark)
    assert ids == {b}
    assert store.changed_since("receipt", mark)[1] == set()


def test_changes_applied_from_another_laptop_are_noted(make_store):
    here, there = make_store("here"), make_store("there")
    mark, _ = here.changed_since("receipt", None)
    rid = there.save_record("receipt", {"round": "R", "items": {"F": 1}})
    here.apply_changes([c.to_json() for c in there.pending_changes()], merge=merge_change)
    assert here.changed_since("receipt", mark)[1] == {rid}


def test_a_rolled_back_write_after_the_mark_makes_the_caller_read_all(store):
    mark, _ = store.changed_since("receipt", None)
    try:
        with store.atomic():
            store.save_record("receipt", {"round": "R", "items": {"F": 1}})
            inside, ids = store.changed_since("receipt", mark)  # a caller counts it inside the transaction
            assert len(ids) == 1
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    # The same row number is noted again for another receipt: the caller must not trust its count.
    store.save_record("receipt", {"round": "R", "items": {"F": 3}})
    assert store.changed_since("receipt", inside)[1] is None


def test_a_write_by_another_process_makes_the_caller_read_all(store):
    mark, _ = store.changed_since("receipt", None)
    other = Store.open(store.directory)
    try:
        other.unlock(PASSPHRASE)
        other.save_record("receipt", {"round": "R", "items": {"F": 1}})
    finally:
        other.close()
    assert store.changed_since("receipt", mark)[1] is None


def test_a_mark_of_another_store_is_not_trusted(make_store):
    a, b = make_store("a"), make_store("b")
    mark, _ = a.changed_since("receipt", None)
    assert b.changed_since("receipt", mark)[1] is None


def test_watching_first_asked_in_a_rolled_back_transaction_starts_again(store):
    try:
        with store.atomic():
            store.changed_since("receipt", None)  # the triggers are made in this transaction
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    mark, ids = store.changed_since("receipt", None)
    assert ids is None
    rid = store.save_record("receipt", {"round": "R", "items": {"F": 1}})
    assert store.changed_since("receipt", mark)[1] == {rid}
