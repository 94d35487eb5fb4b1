"""The desk's stock and counts follow each receipt without reading every receipt again."""
from __future__ import annotations

import pytest

from distributions import desk as D
from distributions import receipts, stock
from distributions.desk_errors import AlreadyReceived
from sync.merge import merge_change

from test_desk import HOUSEHOLDS, ROUND, publish_to


@pytest.fixture
def desk(make_store):
    store = make_store("desk")
    receipts.ensure_indexes(store)
    ids = [store.save_record("household", h) for h in HOUSEHOLDS]
    rnd = publish_to(store, ROUND)
    stock.move(store, rnd, type_="receive", item="FOOD", qty=20)
    return store, rnd, [store.get_record(i) for i in ids]


class Reads:
    """Which kinds a call lists, or reads every stamp of."""

    def __init__(self, store, monkeypatch) -> None:
        self.kinds: list[str] = []
        for name in ("list_records", "record_stamps"):
            real = getattr(store, name)

            def spy(kind=None, *a, _real=real, **k):
                self.kinds.append(kind)
                return _real(kind, *a, **k)

            monkeypatch.setattr(store, name, spy)


def test_a_save_and_the_counts_after_it_read_no_other_receipt(desk, monkeypatch):
    store, rnd, (h1, h2, _) = desk
    D.summary(store, rnd)  # the first count reads every receipt once
    reads = Reads(store, monkeypatch)
    receipts.record_receipt(store, rnd, h1, team=None)
    balances = stock.store_balances(store, rnd)
    s = D.summary(store, rnd)
    assert "receipt" not in reads.kinds
    assert balances["FOOD"].distributed == 2 and balances["FOOD"].balance == 18
    assert (s.served, s.served_here, len(s.recent)) == (1, 1, 1)


def test_counts_follow_receipts_and_voids_from_another_laptop(desk, make_store):
    store, rnd, (h1, h2, _) = desk
    receipts.record_receipt(store, rnd, h1, team=None)
    assert stock.store_balances(store, rnd)["FOOD"].balance == 18
    # Another desk serves H-2 and voids its own receipt of it later; both arrive in a pull.
    other = make_store("other")
    receipts.ensure_indexes(other)
    other.apply_changes([c.to_json() for c in store.pending_changes()], merge=merge_change)
    other_rnd = publish_to(other, ROUND)
    rid, _ = receipts.record_receipt(other, other_rnd, other.get_record(h2.id), team=None)
    store.apply_changes([c.to_json() for c in other.pending_changes()], merge=merge_change)
    s = D.summary(store, rnd)
    assert (s.served, s.served_here, s.balances["FOOD"].distributed) == (2, 1, 3)
    sent = other.last_seq()
    receipts.void_receipt(other, rid, reason="served by mistake")
    store.apply_changes([c.to_json() for c in other.pending_changes(after_seq=sent)], merge=merge_change)
    s = D.summary(store, rnd)
    assert (s.served, s.voided, s.balances["FOOD"].distributed) == (1, 1, 2)


def test_a_refused_receipt_leaves_the_counts_as_they_were(desk):
    store, rnd, (h1, _, _) = desk
    receipts.record_receipt(store, rnd, h1, team=None)
    assert stock.store_balances(store, rnd)["FOOD"].distributed == 2
    with pytest.raises(AlreadyReceived):
        receipts.record_receipt(store, rnd, h1, team=None)
    try:  # a save whose transaction is rolled back after the counts saw it
        with store.atomic():
            store.save_record("receipt", {"round": rnd.round_id, "household": "x", "items": {"FOOD": 5}})
            assert stock.store_balances(store, rnd)["FOOD"].distributed == 7
            raise RuntimeError("cancelled")
    except RuntimeError:
        pass
    assert stock.store_balances(store, rnd)["FOOD"].distributed == 2
    assert D.summary(store, rnd).served == 1
