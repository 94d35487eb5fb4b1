"""A laptop whose date was once far ahead, or is far behind (issue: a clock that was once
ahead stranded the laptop for as long as it had been ahead)."""
from __future__ import annotations

import time

from storage import hlc

YEAR_MS = 365 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000


def _wall(client, offset_ms: int) -> None:
    """Set this laptop's wall clock ``offset_ms`` away from the real one (0: put it right)."""
    client.store.clock._now_ms = lambda: time.time_ns() // 1_000_000 + offset_ms


def test_a_clock_once_a_year_ahead_recovers_at_the_first_sync_after_the_date_is_fixed(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 1})
    a.sync_now(); b.sync_now()
    _wall(a, YEAR_MS)
    a.store.edit_record(rid, {"members": 2})
    new = a.store.save_record("household", {"members": 7, "head_name": "Синтетична Особа"})
    r = a.sync_now()
    assert (r.pushed, r.clock, r.warning_code) == (0, "ahead", "clock_ahead") and "ahead" in r.warning
    assert a.store.pending_count() == 2
    # The server did not take the refused clock: what it hands the other laptop is today's.
    b.sync_now()
    assert hlc.wall_ms(hlc.encode(b.store.clock.last)) < time.time() * 1000 + DAY_MS
    assert hub._hlc >> 16 < time.time() * 1000 + DAY_MS

    _wall(a, 0)  # the person fixes the date
    before = a.store.clock_status()["stored_ahead_ms"]
    assert before > YEAR_MS - DAY_MS
    r = a.sync_now()
    assert (r.pushed, r.restamped, r.clock, r.warning_code) == (2, 2, "ok", "clock_restamped")
    assert "re-stamped" in r.warning and "unchanged" in r.warning and "days ahead" in r.warning
    assert a.store.pending_count() == 0
    assert a.store.clock_status()["stored_ahead_ms"] < DAY_MS
    # Values unchanged, everywhere; the other laptop's later edit now wins as it should.
    b.sync_now()
    assert b.store.get_record(rid).fields == {"members": 2} and b.store.get_record(new).fields["members"] == 7
    b.store.edit_record(rid, {"members": 3})
    b.sync_now(); a.sync_now()
    assert a.store.get_record(rid).fields == hub.records()[rid]["fields"] == {"members": 3}
    # A later edit on the recovered laptop is stamped today, and goes at once.
    a.store.edit_record(new, {"members": 8})
    r = a.sync_now()
    assert (r.pushed, r.warning_code) == (1, "")
    # The history is kept: the store verifies, and the audit chain says what happened.
    assert a.store.verify().ok
    assert any(e.action == "clock_restamped" for e in a.store.audit_entries())
    assert a.store.clock_status()["restamp"]["changes"] == 2


def test_restamped_changes_keep_their_order_and_their_bases(laptops, hub):
    a, b = laptops("a"), laptops("b")
    _wall(a, YEAR_MS)
    rid = a.store.save_record("household", {"members": 1})
    a.store.edit_record(rid, {"members": 2})
    a.store.edit_record(rid, {"members": 3})
    a.sync_now()
    _wall(a, 0)
    a.sync_now(); b.sync_now()
    assert b.store.get_record(rid).fields == {"members": 3} and b.store.conflicts() == [] and hub.conflicts() == []
    assert a.store.get_record(rid).clocks == b.store.get_record(rid).clocks == hub.records()[rid]["clocks"]


def test_the_server_never_takes_a_clock_from_a_change_it_refused(hub, laptops):
    a, b = laptops("a"), laptops("b")
    _wall(a, YEAR_MS)
    a.store.save_record("household", {"members": 1})
    a.sync_now()
    _, reply = hub.reply_bundle(b.store.device_id)
    assert hlc.wall_ms(reply.hlc) < time.time() * 1000 + DAY_MS


def test_a_clock_far_behind_is_said_as_loudly_as_one_ahead(laptops, hub):
    a, b = laptops("a"), laptops("b")
    _wall(a, -YEAR_MS)
    a.store.save_record("household", {"members": 1})
    r = a.sync_now()
    assert r.pushed == 1  # accepted: the clock's receive rule keeps its stamps after the server's
    assert (r.clock, r.warning_code) == ("behind", "clock_behind")
    assert "behind" in r.warning and "days" in r.warning and "lose to older" in r.warning
    assert a.store.clock_status()["check"]["state"] == "behind"
    assert any(e["event"] == "clock_behind" for e in _events(hub))
    # An edit made after syncing does not lose to an older one from a laptop with the right date.
    rid = b.store.save_record("household", {"members": 5})
    b.sync_now(); a.sync_now()
    a.store.edit_record(rid, {"members": 6})
    a.sync_now(); b.sync_now()
    assert a.store.get_record(rid).fields == b.store.get_record(rid).fields == {"members": 6}
    assert a.store.conflicts() == [] and hub.conflicts() == []
    _wall(a, 0)
    assert a.sync_now().clock == "ok" and a.store.clock_status()["check"]["state"] == "ok"


def test_the_server_says_a_clock_is_behind_to_an_older_laptop_too(hub, laptops):
    # A laptop that does not measure the server's clock itself still hears it from the server.
    import sync.client as client_mod

    a = laptops("a")
    _wall(a, -YEAR_MS)
    bundle, _ = a._request_bundle(a.identity(), a.settings(), [], 0, 10, a.store.clock.last)
    data = hub.sync(bundle)
    _, reply = a._open_reply(a.identity(), a.settings(), data)
    assert reply.warning and "behind" in reply.warning
    assert client_mod  # the module's own check is covered above


def _events(hub):
    return [{"event": e} for (e,) in hub.db.execute("SELECT event FROM events")]
