"""The hub's double-distribution check after a push reads only the households it touched,
and finds exactly what the full check finds."""
from __future__ import annotations

import random

import pytest

from rules import domain
from sync.server.hub import domain_keys


def _receipt(store, round_id, household, at):
    return store.save_record("receipt", {"round": round_id, "household": household, "items": {"FOOD": 1},
                                         "collector": "head", "desk": store.device_id, "at": at})


def _full_check_agrees(hub):
    """The full check (every receipt decrypted) raises and closes nothing more, and leaves
    every open item as the incremental check wrote it."""
    before = hub.domain_reviews(include_closed=True)
    assert hub.check_domain() == ([], [])
    assert hub.domain_reviews(include_closed=True) == before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_pushes_raise_and_close_what_the_full_check_would(laptops, hub, seed):
    rng = random.Random(seed)
    a, b, c = laptops("a", "north"), laptops("b", "north"), laptops("c", "south")
    households = [a.store.save_record("household", {"external_ref": f"K-{i}", "hh_size": 2}) for i in range(8)]
    a.sync_now()
    b.sync_now()
    c.sync_now()  # another team: it does not get north's households, but may name one (a hub sees all teams)
    mine = {id(x): [] for x in (a, b, c)}
    for step in range(40):
        laptop = rng.choice([a, b, c])
        action = rng.random()
        if action < 0.55:
            mine[id(laptop)].append(_receipt(laptop.store, rng.choice(["R1", "R2"]), rng.choice(households),
                                             f"2026-12-0{rng.randint(1, 9)}T10:{step:02d}:00+00:00"))
        elif action < 0.75 and mine[id(laptop)]:
            rid = rng.choice(mine[id(laptop)])
            laptop.store.edit_record(rid, {"voided": not laptop.store.get_record(rid).fields.get("voided")})
        elif laptop is not c:
            h, target = rng.sample(households, 2)
            laptop.store.edit_record(h, {domain.LINK_FIELD: target if rng.random() < 0.7 else None})
        laptop.sync_now()
        _full_check_agrees(hub)
    assert hub.domain_reviews(include_closed=True)  # the scenario did raise items


def test_a_push_decrypts_only_the_receipts_of_the_groups_it_touches(laptops, hub, monkeypatch):
    a = laptops("a", "north")
    households = [a.store.save_record("household", {"external_ref": f"K-{i}"}) for i in range(200)]
    for h in households:
        _receipt(a.store, "R1", h, "2026-12-01T10:00:00+00:00")
    a.sync_now()
    opened = []
    real = hub._sealer.open
    monkeypatch.setattr(hub._sealer, "open", lambda purpose, body: (opened.append(purpose), real(purpose, body))[1])
    second = _receipt(a.store, "R1", households[7], "2026-12-02T10:00:00+00:00")  # a double distribution
    a.sync_now()
    records = sorted(p for p in opened if p.startswith("record|"))
    # The new receipt once to index it, then the two receipts of the household's group.
    assert len(records) <= 4, records
    assert [i["household"] for i in hub.domain_reviews()] == [households[7]]
    assert second in hub.domain_reviews()[0]["receipts"]
    monkeypatch.undo()
    _full_check_agrees(hub)


def test_a_hub_from_before_the_columns_builds_them_at_its_first_push(laptops, hub):
    a = laptops("a", "north")
    h = a.store.save_record("household", {"external_ref": "K-1"})
    _receipt(a.store, "R1", h, "2026-12-01T10:00:00+00:00")
    a.sync_now()
    with hub.db.transaction():  # as a database migrated to 0014 before any of this
        hub.db.execute("DELETE FROM domain_keys")
        hub.db.execute("DELETE FROM domain_keys_state")
    _receipt(a.store, "R1", h, "2026-12-01T11:00:00+00:00")
    a.sync_now()
    assert domain_keys.built(hub.db)
    assert hub.db.execute("SELECT count(*) FROM domain_keys")[0][0] == 3
    assert [i["household"] for i in hub.domain_reviews()] == [h]
    _full_check_agrees(hub)


def _record_opens(hub, monkeypatch) -> list[str]:
    opened: list[str] = []
    real = hub._sealer.open
    monkeypatch.setattr(hub._sealer, "open", lambda purpose, body: (opened.append(purpose), real(purpose, body))[1])
    return opened


def test_a_new_hubs_first_push_decrypts_each_record_once(laptops, hub, monkeypatch):
    assert domain_keys.built(hub.db)  # nothing held when it migrated: nothing to build
    a = laptops("a", "north")
    households = [a.store.save_record("household", {"external_ref": f"K-{i}"}) for i in range(30)]
    for h in households:
        _receipt(a.store, "R1", h, "2026-12-01T10:00:00+00:00")
    _receipt(a.store, "R1", households[3], "2026-12-01T11:00:00+00:00")  # one double distribution
    opened = _record_opens(hub, monkeypatch)
    a.sync_now()
    records = [p for p in opened if p.startswith("record|")]
    # Each household and receipt once to fill its columns, then the two receipts of the double.
    assert len(records) <= 30 + 31 + 2, len(records)
    assert [i["household"] for i in hub.domain_reviews()] == [households[3]]
    monkeypatch.undo()
    _full_check_agrees(hub)


def test_building_the_columns_does_not_decrypt_every_receipt_twice(laptops, hub, monkeypatch):
    a = laptops("a", "north")
    households = [a.store.save_record("household", {"external_ref": f"K-{i}"}) for i in range(20)]
    for h in households:
        _receipt(a.store, "R1", h, "2026-12-01T10:00:00+00:00")
    a.sync_now()
    with hub.db.transaction():  # as a database migrated to 0014 with records already held
        hub.db.execute("DELETE FROM domain_keys")
        hub.db.execute("DELETE FROM domain_keys_state")
    _receipt(a.store, "R1", households[5], "2026-12-01T11:00:00+00:00")
    opened = _record_opens(hub, monkeypatch)
    a.sync_now()
    records = [p for p in opened if p.startswith("record|")]
    assert len(records) <= 20 + 21 + 1 + 2, len(records)  # every record once (the new receipt twice), the double
    assert domain_keys.built(hub.db)
    assert [i["household"] for i in hub.domain_reviews()] == [households[5]]
    monkeypatch.undo()
    _full_check_agrees(hub)
