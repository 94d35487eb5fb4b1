"""The blind-index room (storage/index.py): exact search over sealed fields.

Moved from tests/unit/test_store.py when the store became rooms (issue 14)."""
from __future__ import annotations

import pytest

from storage.errors import (
    NoBlindIndex,
)
from tests.unit.storage.store_helpers import HOUSEHOLD, raw


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

