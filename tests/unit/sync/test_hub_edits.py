"""Changes made at the hub (sync/server/hub_edits.py): an edit and a resolution are changes
like a laptop's; they enter the change log and reach every laptop of the team."""
from __future__ import annotations

import time

import pytest

from sync.server import hub_edits


def _conflict(laptops):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4, "village": "Synthivka"})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    return a, b, rid


def test_an_edit_at_the_hub_is_logged_audited_and_reaches_the_laptops(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4, "village": "Synthivka"})
    a.sync_now(); b.sync_now()
    done = hub_edits.edit_record(hub, rid, {"village": "Vyhadanivka", "members": 4}, actor="lead1")
    assert done.fields == ["village"]  # an unchanged answer is left out
    assert hub.records()[rid]["fields"] == {"members": 4, "village": "Vyhadanivka"}
    [(dev, seq)] = hub.db.execute("SELECT device_id, seq FROM changes WHERE device_id = ?", (hub.server_id,))
    assert seq == done.seq == 1
    assert hub_edits.authors(hub) == {1: "lead1"}
    assert ("hub_edit", "lead1") in [(e, a_) for e, a_ in hub.db.execute("SELECT event, actor FROM events")]
    a.sync_now(); b.sync_now()
    for laptop in (a, b):
        assert laptop.store.get_record(rid).fields == {"members": 4, "village": "Vyhadanivka"}
        assert laptop.store.conflicts() == []
    # a second edit continues the hub's sequence; an edit to nothing new writes nothing
    assert hub_edits.edit_record(hub, rid, {"members": 5}, actor="lead1").seq == 2
    assert hub_edits.edit_record(hub, rid, {"members": 5}, actor="lead1").seq == 0
    a.sync_now()
    assert a.store.get_record(rid).fields["members"] == 5


def test_an_edit_at_the_hub_wins_over_a_laptop_clock_ahead_and_concurrent_laptop_edits_are_kept(laptops, hub):
    a = laptops("a")
    rid = a.store.save_record("household", {"members": 4})
    a.sync_now()
    # a stamp an hour ahead of the hub's wall clock (within the bound the hub accepts)
    hub.db.execute("UPDATE records SET clocks = ? WHERE record_id = ?",
                   ('{"members": "%016x@a-dev"}' % ((int(time.time() * 1000) + 3_600_000) << 16), rid))
    hub_edits.edit_record(hub, rid, {"members": 7}, actor="lead1")
    assert hub.records()[rid]["fields"]["members"] == 7
    a.store.edit_record(rid, {"members": 9})  # offline, at the same time as the hub's edit
    a.sync_now()
    values = sorted(str(c["value"]) for c in hub.conflicts())
    assert len(values) == 1 and values[0] in ("7", "9")


@pytest.mark.parametrize("restore", [True, False])
def test_a_conflict_resolved_at_the_hub_closes_on_every_laptop(laptops, hub, restore):
    a, b, rid = _conflict(laptops)
    [c] = hub.conflicts()
    winner = hub.records()[rid]["fields"]["members"]
    assert [x.value for x in a.store.conflicts()] == [x.value for x in b.store.conflicts()] == [c["value"]]
    [done] = hub_edits.resolve_conflicts(hub, [c["id"]], restore=restore, actor="lead1")
    assert done.resolved == [c["id"]] and hub.conflicts() == []
    assert hub.conflicts(include_resolved=True)[0]["resolution"] == ("restored" if restore else "kept")
    a.sync_now(); b.sync_now()
    want = c["value"] if restore else winner
    for laptop in (a, b):
        assert laptop.store.conflicts() == []
        assert laptop.store.conflicts(include_resolved=True)[0].resolution == ("restored" if restore else "kept")
        assert laptop.store.get_record(rid).fields["members"] == want
    with pytest.raises(hub_edits.HubEditRefused, match="already resolved"):
        hub_edits.resolve_conflicts(hub, [c["id"]], restore=False, actor="lead1")


def test_bad_requests_change_nothing(laptops, hub):
    a, b, rid = _conflict(laptops)
    [c] = hub.conflicts()
    before = hub.db.execute("SELECT count(*) FROM changes")[0][0]
    with pytest.raises(hub_edits.UnknownConflict):
        hub_edits.resolve_conflicts(hub, [c["id"], 999], restore=False, actor="x")  # all or nothing
    with pytest.raises(hub_edits.HubEditRefused, match="no record"):
        hub_edits.edit_record(hub, "0190d5a8-0000-7000-8000-000000000000", {"members": 1}, actor="x")
    with pytest.raises(hub_edits.HubEditRefused):
        hub_edits.edit_record(hub, rid, {}, actor="x")
    assert hub.db.execute("SELECT count(*) FROM changes")[0][0] == before and len(hub.conflicts()) == 1
