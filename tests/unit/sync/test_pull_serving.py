"""Serving pulls (issue 19, items 1 and 3): each change is served from its stored head and its
opened values, without parsing or encoding it again; the JSON a laptop receives is the same as
before, for changes stored before migration 0010 as well; a push that finds conflicts counts
only the rows it added."""
from __future__ import annotations

import orjson

from sync import protocol


def served(hub, device_id: str) -> list[dict]:
    dev = hub._device(device_id)
    changes, _, _ = hub.pull(device_id, dev[0], 0, 10_000)
    return orjson.loads(orjson.dumps(changes))


def expected(hub, device_id: str) -> list[dict]:
    """What a reply carried before 0010: every column of the log, and the opened values."""
    out = []
    team = hub._device(device_id)[0]
    for dev, seq, rid, kind, fid, fver, h, deleted, bases, body, resolves, author in hub.db.execute(
            "SELECT device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, bases, body, resolves, author "
            "FROM changes WHERE team = ? AND device_id <> ? ORDER BY server_seq", (team, device_id)):
        change = {"device_id": dev, "seq": seq, "record_id": rid, "kind": kind, "form_id": fid, "form_version": fver,
                  "hlc": h, "deleted": bool(deleted), "bases": orjson.loads(bases) if bases else {},
                  "fields": orjson.loads(hub.unseal(f"change|{dev}|{seq}", body))}
        if resolves:
            change["resolves"] = orjson.loads(resolves)
        if author is not None:  # sealed apart from the head (it is a person's name)
            change["author"] = hub.unseal(f"author|{dev}|{seq}", author).decode()
        out.append(change)
    return out


def a_history(laptops):
    """New records, edits, a delete, a conflict and its resolution: every shape of change."""
    a, b, c = laptops("a"), laptops("b"), laptops("c")
    rid = a.store.save_record("household", {"head_name": "Оксана Синтетична", "members": 4, "note": "\"quoted\" \\ ✓"},
                              form_id="hh", form_version="2")
    gone = a.store.save_record("household", {"members": 1})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    b.store.delete_record(gone)
    a.sync_now(); b.sync_now(); a.sync_now()
    conflict = a.store.conflicts()[0]
    a.store.resolve_conflict(conflict.id, restore=True)
    a.sync_now()
    return a, b, c


def test_a_pull_serves_every_change_as_before_and_checks_on_the_laptop(laptops, hub):
    _, _, c = a_history(laptops)
    got = served(hub, c.store.device_id)
    assert got == expected(hub, c.store.device_id)
    assert any(ch["deleted"] for ch in got) and any(ch.get("resolves") for ch in got) and any(ch["bases"] for ch in got)
    assert all(ch.get("author") for ch in got)
    for change in got:
        protocol.check_change(change, "test")
    r = c.sync_now()
    assert r.pulled == len(got)


def test_changes_stored_before_0010_are_served_the_same(laptops, hub):
    _, _, c = a_history(laptops)
    new = served(hub, c.store.device_id)
    hub.db.execute("UPDATE changes SET head = NULL")  # as a database migrated from 0009 holds them
    assert served(hub, c.store.device_id) == new == expected(hub, c.store.device_id)


def test_the_reply_a_laptop_decodes_carries_the_served_changes(laptops, hub):
    _, _, c = a_history(laptops)
    _, reply = hub.reply_bundle(c.store.device_id)
    decoded = protocol.SyncReply.decode(reply.encode())
    assert decoded.changes == expected(hub, c.store.device_id)


def test_a_push_that_finds_conflicts_does_not_count_the_whole_table(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    a.sync_now()
    statements: list[str] = []
    hub.db._conn().set_trace_callback(statements.append)
    try:
        r = b.sync_now()
    finally:
        hub.db._conn().set_trace_callback(None)
    assert len(hub.conflicts()) == 1 and r.conflicts >= 0
    assert not [s for s in statements if "count(*) FROM conflicts" in s]


def test_a_push_counts_the_conflicts_it_added(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4, "phone": "0670001122"})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5, "phone": "0670003344"})
    b.store.edit_record(rid, {"members": 6, "phone": "0670005566"})
    a.sync_now()
    before = len(hub.conflicts())
    dev = b.store.device_id
    changes = [ch.to_json() for ch in b.store.pending_changes()]
    result = hub.push(dev, hub._device(dev)[0], changes)
    assert result.conflicts == len(hub.conflicts()) - before == 2
    again = hub.push(dev, hub._device(dev)[0], changes)  # the same changes again: duplicates, no new conflict
    assert again.conflicts == 0 and again.duplicates == len(changes)


def test_server_conflicts_for_a_team_reads_a_team_index(hub):
    for sql in ("SELECT id FROM conflicts WHERE team = ? AND resolution IS NULL ORDER BY id",
                "SELECT id FROM conflicts WHERE team = ? ORDER BY id"):
        plan = hub.db.execute("EXPLAIN QUERY PLAN " + sql, ("north",))
        assert any("conflicts_team" in str(row) or "conflicts_open" in str(row) for row in plan), plan


def test_the_domain_check_reads_receipts_by_kind_from_an_index(hub):
    plan = hub.db.execute("EXPLAIN QUERY PLAN SELECT record_id, team, deleted, body FROM records WHERE kind = ? "
                          "ORDER BY record_id", ("receipt",))
    assert any("records_kind" in str(row) for row in plan), plan


def _heads(hub) -> dict:
    return dict(hub.db.execute("SELECT server_seq, head FROM changes"))


def test_the_heads_of_changes_stored_before_0010_are_filled_in_at_start(laptops, hub, caplog):
    from sync_helpers import make_hub

    _, _, c = a_history(laptops)
    served_then, heads = served(hub, c.store.device_id), _heads(hub)
    hub.db.execute("UPDATE changes SET head = NULL")  # as a database migrated from 0009 holds them
    with caplog.at_level("INFO", logger="fieldbook.server"):
        again = make_hub(hub.settings.data_dir)  # a start: the hub fills them in
    try:
        assert _heads(again) == heads and len(heads) >= 6
        assert served(again, c.store.device_id) == served_then == expected(again, c.store.device_id)
        assert any(f"filling in {len(heads)} change(s)" in m for m in caplog.messages)
        assert any(f"{len(heads)} of {len(heads)} filled in" in m for m in caplog.messages)
        assert again.changes.backfill_heads() == 0  # done once: the next start has nothing to do
    finally:
        again.close()


def test_a_backfill_stopped_midway_keeps_its_batches_and_goes_on(laptops, hub, monkeypatch):
    from sync.server.hub import changelog

    a_history(laptops)
    heads = _heads(hub)
    hub.db.execute("UPDATE changes SET head = NULL")
    made = []

    def stops_at_the_third(row):
        if len(made) == 2 * 2:  # two batches of two, then a kill
            raise KeyboardInterrupt
        made.append(row)
        return real(row)

    real = changelog._head_of
    monkeypatch.setattr(changelog, "_head_of", stops_at_the_third)
    try:
        hub.changes.backfill_heads(batch=2)
    except KeyboardInterrupt:
        pass
    assert sum(h is not None for h in _heads(hub).values()) == 4  # the two committed batches
    monkeypatch.setattr(changelog, "_head_of", real)
    assert hub.changes.backfill_heads(batch=2) == len(heads) - 4
    assert _heads(hub) == heads


def test_a_pull_of_several_pages_runs_the_domain_check_once(laptops):
    a, c = laptops("a"), laptops("c")
    household = a.store.save_record("household", {"members": 2})
    for _ in range(3):
        a.store.save_record("receipt", {"round": "r1", "household": household})
    a.sync_now()
    c.pull_limit = 1  # a page per change
    checks = []
    real = c.store._replica.check_domain
    c.store._replica.check_domain = lambda: checks.append(1) or real()
    assert c.sync_now().pulled == 4
    assert checks == [1]
    assert [r["household"] for r in c.store.domain_reviews()] == [household]
