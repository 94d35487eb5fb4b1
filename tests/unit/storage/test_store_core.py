"""The store's core (storage/core.py): the clock, the PRAGMAs, the one transaction helper, typed errors.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import sqlite3

import pytest

from storage import Store
from tests.conftest import PASSPHRASE


def test_clock_never_goes_back_across_reopen(store, tmp_path):
    rid = store.save_record("household", {"n": 1})
    last = store.get_record(rid).clocks["n"]
    store.close()
    again = Store.open(tmp_path / "profile")
    again.clock._now_ms = lambda: 0  # wall clock reset to 1970
    again.unlock(PASSPHRASE)
    assert again.edit_record(rid, {"n": 2}).clocks["n"] > last
    again.close()


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


def test_not_sqlite_errors_leak(store):
    store._conn.execute("PRAGMA query_only = ON")
    with pytest.raises(Exception) as info:
        store.save_record("household", {"n": 1})
    assert not isinstance(info.value, sqlite3.Error)

