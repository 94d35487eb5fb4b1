"""Duplicate decisions made at the hub (sync/server/hub_decisions.py): written as a laptop
writes them, as hub changes, reaching the laptops of both teams of a cross-team pair."""
from __future__ import annotations

import pytest

from distributions import receipts, review
from rules import domain
from sync.server import hub_decisions
from tests.unit.distributions.test_review import HOUSEHOLDS, register


def _pair(laptops, team_a="team-a", team_b="team-a"):
    """N-1 registered by ``team_a``'s laptop, then S-7 (the same man) by ``team_b``'s; both synced."""
    first = laptops("first", team_a)
    second = first if team_b == team_a else laptops("second", team_b)
    [a] = register(first.store, HOUSEHOLDS[:1])
    [b] = register(second.store, HOUSEHOLDS[1:2])
    first.sync_now(); second.sync_now()
    return first, second, a, b


def _changes(hub) -> int:
    return hub.db.execute("SELECT count(*) FROM changes")[0][0]


def test_a_decision_at_the_hub_is_written_as_a_laptop_writes_it_and_reaches_the_team(laptops, hub):
    first, _, a, b = _pair(laptops)
    other = laptops("other")
    other.sync_now()
    done = hub_decisions.decide(hub, b, a, "same", "  one tax   number ", actor="lead1", score=21.0, reasons="same tax number")
    assert (done.a, done.b, done.kept) == (a, b, a) and list(done.decisions) == ["team-a"]
    # At the hub: the verdict and link on the newer household, the decision record, who, audited.
    held = hub.records()
    assert held[b]["fields"][domain.LINK_FIELD] == a
    decision_id = done.decisions["team-a"]
    assert held[b]["fields"][review.pair_field(a)] == {"verdict": "same", "decision": decision_id}
    assert held[decision_id]["kind"] == "dedup_decision" and held[decision_id]["team"] == "team-a"
    assert hub_decisions.verdict(hub, a, b) == "same"
    assert set(hub.db.execute("SELECT actor FROM hub_changes")) == {("lead1",)}
    events = [e for e, _ in hub.db.execute("SELECT event, actor FROM events WHERE actor = 'lead1'")]
    assert "hub_dedup_decision" in events
    detail = hub.db.execute("SELECT detail FROM events WHERE event = 'hub_dedup_decision'")[0][0]
    assert "Shevchenko" not in detail and "tax" not in detail  # ids and the verdict only
    # On every laptop of the team: what review.decide would have written there.
    first.sync_now(); other.sync_now()
    for laptop in (first, other):
        store = laptop.store
        assert store.get_record(b).fields[domain.LINK_FIELD] == a
        record = store.get_record(decision_id)
        assert record.kind == "dedup_decision"
        assert record.fields["households"] == [a, b] and record.fields["refs"] == ["N-1", "S-7"]
        assert (record.fields["verdict"], record.fields["reason"], record.fields["kept"], record.fields["by"]) == (
            "same", "one tax number", a, "lead1")
        assert review.decided_pairs(store) == {(a, b): "same"}
        assert review.review_queue(store) == []  # the pair is not proposed again
        assert [d["id"] for d in review.decisions(store, a)] == [decision_id]


def test_the_hub_decision_has_the_shape_of_a_laptop_decision(laptops, hub, store):
    first, _, a, b = _pair(laptops)
    done = hub_decisions.decide(hub, a, b, "different", "two people", actor="lead1")
    first.sync_now()
    at_hub = first.store.get_record(done.decisions["team-a"])
    x, y = register(store, HOUSEHOLDS[:2])
    on_laptop = store.get_record(review.decide(store, x, y, "different", "two people"))
    assert set(at_hub.fields) == set(on_laptop.fields)
    assert set(first.store.get_record(b).fields) - set(HOUSEHOLDS[1]) == {"import_key", review.pair_field(a),
                                                                           domain.LINK_FIELD}
    assert set(store.get_record(y).fields) - set(HOUSEHOLDS[1]) == {"import_key", review.pair_field(x), domain.LINK_FIELD}


@pytest.mark.parametrize("keep", ["older", "newer"])
def test_a_cross_team_pair_reaches_both_teams_laptops_with_their_own_household(laptops, hub, keep):
    north, south, a, b = _pair(laptops, "north", "south")
    kept = a if keep == "older" else b
    done = hub_decisions.decide(hub, a, b, "same", "one man, two teams", actor="admin", keep=kept)
    assert set(done.decisions) == {"north", "south"}
    north.sync_now(); south.sync_now()
    gone, gone_laptop = (b, south) if keep == "older" else (a, north)
    # Each team holds its own household only, and its own copy of the decision.
    assert [r.id for r in north.store.list_records("household")] == [a]
    assert [r.id for r in south.store.list_records("household")] == [b]
    for team, laptop in (("north", north), ("south", south)):
        [record] = laptop.store.list_records("dedup_decision")
        assert record.id == done.decisions[team]
        assert record.fields["households"] == [a, b] and record.fields["kept"] == kept
    # The verdict travels with the newer household (south's).
    assert review.verdict_of(south.store.get_record(b).fields, a) == "same"
    # The household that goes points to the survivor, which its laptop does not hold.
    linked = gone_laptop.store.get_record(gone)
    assert linked.fields[domain.LINK_FIELD] == kept
    assert receipts.survivor_id(gone_laptop.store, linked) == kept
    for laptop in (north, south):
        assert review.review_queue(laptop.store) == []
        laptop.sync_now()  # nothing more to fetch, nothing refused
        assert laptop.store.conflicts() == []


def test_bad_decisions_change_nothing(laptops, hub):
    first, _, a, b = _pair(laptops)
    before = _changes(hub)
    cases = [
        ((a, b, "maybe", "x"), {}, "one of"),
        ((a, b, "same", "  "), {}, "reason"),
        ((a, a, "same", "x"), {}, "two different"),
        ((a, b, "same", "x"), {"keep": "0190aaaa-0000-7000-8000-000000000000"}, "must be one of the pair"),
        ((a, "0190aaaa-0000-7000-8000-000000000000", "same", "x"), {}, "no household"),
        ((a, b, "same", "x" * 501), {}, "at most"),
    ]
    for args, kw, message in cases:
        with pytest.raises(hub_decisions.DecisionRefused, match=message):
            hub_decisions.decide(hub, *args, actor="lead1", **kw)
    # A link that would loop: b kept first, then a kept is refused.
    hub_decisions.decide(hub, a, b, "same", "x", actor="lead1", keep=b)
    middle = _changes(hub)
    assert middle > before
    with pytest.raises(hub_decisions.DecisionRefused, match="nothing was changed"):
        hub_decisions.decide(hub, a, b, "unsure", "x", actor="lead1", keep="nope")
    assert _changes(hub) == middle
    with pytest.raises(hub_decisions.DecisionRefused, match="not a registered household"):
        hub_decisions.decide(hub, a, hub_decisions.decide(hub, a, b, "unsure", "", actor="l").decisions["team-a"],
                             "same", "x", actor="lead1")


def test_a_loop_is_refused(laptops, hub):
    first, _, a, b = _pair(laptops)
    c = register(first.store, HOUSEHOLDS[3:4])[0]
    first.sync_now()
    hub_decisions.decide(hub, a, b, "same", "x", actor="lead1")          # b -> a
    hub_decisions.decide(hub, a, c, "same", "x", actor="lead1", keep=c)  # a -> c
    before = _changes(hub)
    with pytest.raises(hub_decisions.DecisionRefused, match="other way round"):
        hub_decisions.decide(hub, b, c, "same", "x", actor="lead1", keep=b)  # c -> b would close the circle
    assert _changes(hub) == before


def test_deciding_a_disputed_pair_at_the_hub_settles_it_everywhere(laptops, hub):
    one, _, a, b = _pair(laptops)
    two = laptops("two")
    two.sync_now()
    review.decide(one.store, a, b, "same", "one man")
    review.decide(two.store, a, b, "different", "two men")
    one.sync_now(); two.sync_now(); one.sync_now()
    assert any(c["field"] == review.pair_field(a) for c in hub.conflicts())
    assert review.review_queue(one.store)[0].disputed
    hub_decisions.decide(hub, a, b, "different", "checked the documents", actor="lead1")
    assert not [c for c in hub.conflicts() if c["record_id"] == b]
    one.sync_now(); two.sync_now()
    for laptop in (one, two):
        assert [c for c in laptop.store.conflicts() if c.record_id == b] == []
        assert review.verdict_of(laptop.store.get_record(b).fields, a) == "different"
        assert domain.LINK_FIELD not in laptop.store.get_record(b).fields or \
            laptop.store.get_record(b).fields[domain.LINK_FIELD] is None
        assert review.review_queue(laptop.store) == []


def test_household_by_ref(laptops, hub):
    _, _, a, b = _pair(laptops, "north", "south")
    assert hub_decisions.household_by_ref(hub, "S-7") == b
    assert hub_decisions.household_by_ref(hub, a) == a
    with pytest.raises(hub_decisions.DecisionRefused, match="no household"):
        hub_decisions.household_by_ref(hub, "X-9")


def test_a_laptop_decides_on_after_a_link_to_another_teams_household(laptops, hub):
    north, south, a, b = _pair(laptops, "north", "south")
    hub_decisions.decide(hub, a, b, "same", "one man, two teams", actor="admin")  # S-7 -> N-1, north's
    south.sync_now()
    [c] = register(south.store, HOUSEHOLDS[3:4])
    # S-7 kept over a third household: its chain leads to a household south does not hold.
    decision = review.decide(south.store, b, c, "same", "the same family again", keep=b)
    assert south.store.get_record(c).fields[domain.LINK_FIELD] == b
    assert south.store.get_record(decision).fields["kept"] == b


def test_a_cross_team_same_makes_the_hub_see_one_household_served_twice(laptops, hub):
    north, south, a, b = _pair(laptops, "north", "south")
    round_id = "0190aaaa-0000-7000-8000-0000000000aa"
    north.store.save_record("receipt", {"round": round_id, "household": a, "at": "2026-11-20T10:00:00+00:00"})
    south.store.save_record("receipt", {"round": round_id, "household": b, "at": "2026-11-21T10:00:00+00:00"})
    north.sync_now(); south.sync_now()
    assert hub.domain_reviews() == []  # two households, as far as anyone knows
    hub_decisions.decide(hub, a, b, "same", "one family served by two teams", actor="admin")
    [item] = hub.domain_reviews()
    assert item["household"] == a and sorted(item["teams"]) == ["north", "south"]
