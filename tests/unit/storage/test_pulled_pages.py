"""A pulled page is applied in bulk (issue 19): slices of records read at once, new records
written in one statement, a page's audit links made in one pass. Applied page by page it
must leave exactly the store that one change at a time leaves: the same values, clocks,
tombstones, conflicts, blind-index entries and per-origin sequence marks, on random
streams with concurrent edits, deletes, kind mismatches and re-deliveries."""
from __future__ import annotations

import random

import pytest

from storage import replica
from storage.ids import uuid7
from sync.merge import merge_change

from tests.unit.storage.store_helpers import raw

DEVICES = ["laptop-north-1", "laptop-north-2", "laptop-south-3"]
FIELDS = ["members", "phone", "id_number", "head_name"]


def stream(seed: int, n: int = 160) -> list[dict]:
    """``n`` changes of a few records by three laptops, each laptop's in sequence. Stamps
    run mostly forward with jumps back (concurrent writes), bases name stamps already
    made or none (seen or not), about one in twenty is a delete."""
    rnd = random.Random(seed)
    records = [uuid7() for _ in range(10)]
    seqs = dict.fromkeys(DEVICES, 0)
    stamps: list[str] = []
    clock = 0x0190_0000_0000_0000
    out = []
    for _ in range(n):
        dev = rnd.choice(DEVICES)
        seqs[dev] += 1
        clock += rnd.randint(1, 5)
        h = clock - rnd.choice([0, 0, 0, 3, 40])
        names = rnd.sample(FIELDS, rnd.randint(1, 3))
        deleted = rnd.random() < 0.05
        bases = {f: rnd.choice(stamps) for f in FIELDS if stamps and rnd.random() < 0.4}
        change = {"device_id": dev, "seq": seqs[dev], "record_id": rnd.choice(records),
                  "kind": "household" if rnd.random() < 0.97 else "member", "form_id": None, "form_version": None,
                  "hlc": f"{h:016x}", "deleted": deleted, "bases": bases,
                  "fields": {} if deleted else {f: _value(rnd, f) for f in names}}
        if rnd.random() < 0.3:
            change["author"] = rnd.choice(["Оксана Синтетична", "Тарас Вигаданий"])
        stamps.append(f"{h:016x}@{dev}")
        out.append(change)
    return out


def _value(rnd: random.Random, name: str) -> object:
    if name == "members":
        return rnd.randint(1, 9)
    if name == "phone":
        return f"+38067{rnd.randint(0, 99):07d}"
    if name == "id_number":
        return f"КН {rnd.randint(0, 50):06d}"
    return rnd.choice(["Оксана Синтетична", "Марія Приклад", ["a", ["b"]]])


def pages(rnd: random.Random, changes: list[dict]) -> list[list[dict]]:
    """The stream cut into pages of random size, some re-delivered whole or in part."""
    out, i = [], 0
    while i < len(changes):
        size = rnd.randint(1, 40)
        out.append(changes[i:i + size])
        if rnd.random() < 0.25:  # a reply that came again (a retry after a cut)
            back = rnd.randint(0, i)
            out.append(changes[back:i + size])
        i += size
    return out


def snapshot(store) -> dict:
    records = {r.id: (r.kind, r.deleted, r.fields, r.clocks, r.form_id)
               for r in store.list_records(include_deleted=True)}
    conflicts = sorted((c.record_id, c.field, c.stamp, c.winner, repr(c.value), c.resolution, c.author)
                       for c in store.conflicts(include_resolved=True))
    peers = sorted(raw(store, "SELECT device_id, seq FROM peers"))
    rows = sorted(raw(store, "SELECT id, kind, deleted, clocks, updated FROM records"))
    return {"records": records, "conflicts": conflicts, "index": _index(store), "peers": peers, "rows": rows}


def _index(store) -> dict:
    """Which of each record's values the blind index holds, by field name (each profile has
    its own index key, so the tokens themselves differ from store to store)."""
    held: dict[str, set] = {}
    for token, rid in raw(store, "SELECT b.token, r.id FROM blind_index b JOIN records r ON r.ref = b.ref"):
        held.setdefault(rid, set()).add(token)
    out = {}
    for r in store.list_records(include_deleted=True):
        tokens = held.pop(r.id, set())
        named = {store._index.token(r.kind, name, norm, r.fields[name]): name
                 for name, norm in store._index.indexed(r.kind).items() if r.fields.get(name) not in (None, "")}
        assert tokens <= set(named), "a token for no current value"
        out[r.id] = sorted(named[t] for t in tokens)
    assert not held, "tokens of records that are not there"
    return out


@pytest.mark.parametrize("seed", range(12))
def test_pages_leave_the_store_that_one_change_at_a_time_leaves(make_store, monkeypatch, seed):
    monkeypatch.setattr(replica, "_PREFETCH", 7)  # slices end inside pages, and inside one record's changes
    changes = stream(seed)
    one, paged = make_store("one"), make_store("paged")
    totals_one = [0, 0]
    for c in changes:
        r = one.apply_changes([dict(c)], merge=merge_change)
        totals_one[0] += r.new
        totals_one[1] += r.conflicts
    again = one.apply_changes([dict(c) for c in changes], merge=merge_change)
    assert (again.new, again.duplicates) == (0, len(changes))
    totals_paged = [0, 0]
    for page in pages(random.Random(seed), changes):
        r = paged.apply_changes([dict(c) for c in page], merge=merge_change)
        totals_paged[0] += r.new
        totals_paged[1] += r.conflicts
    assert totals_paged == totals_one
    expected = snapshot(one)
    # The stream did exercise them: conflicts, tombstones, indexed values.
    assert expected["conflicts"] and any(d for _k, d, *_ in expected["records"].values())
    assert any(expected["index"].values())
    assert snapshot(paged) == expected
    assert paged.verify().ok


def test_a_pulled_page_commits_without_waiting_for_the_disk_and_then_waits_again(make_store):
    store = make_store()
    seen = []

    def merge(record, change):
        seen.append(raw(store, "PRAGMA synchronous")[0][0])
        return merge_change(record, change)

    rid = uuid7()
    first = {"device_id": DEVICES[0], "seq": 1, "record_id": rid, "kind": "household", "hlc": "0190000000000001",
             "fields": {"members": 1}}
    second = {**first, "seq": 2, "hlc": "0190000000000002", "fields": {"members": 2}}
    store.apply_changes([first, second], merge=merge)
    assert seen == [1]  # NORMAL inside (the first change of a new record is taken whole)
    assert raw(store, "PRAGMA synchronous")[0][0] == 2  # FULL again for everything else
    store.save_record("household", {"members": 3})
    assert raw(store, "PRAGMA synchronous")[0][0] == 2


def _receipt(seq: int, household: str) -> dict:
    return {"device_id": DEVICES[0], "seq": seq, "record_id": uuid7(), "kind": "receipt",
            "hlc": f"{0x0190_0000_0000_0000 + seq:016x}", "fields": {"round": "r1", "household": household}}


def test_a_pull_checks_the_domain_once_at_its_end_even_if_the_last_page_watches_nothing(make_store):
    store = make_store()
    checks = []
    real = store._replica.check_domain
    store._replica.check_domain = lambda: checks.append(1) or real()
    household = uuid7()
    # Two receipts for one household in one round, on pages with more to come: not checked yet.
    store.apply_changes([_receipt(1, household)], merge=merge_change, cursor=1, domain_check=False)
    store.apply_changes([_receipt(2, household)], merge=merge_change, cursor=2, domain_check=False)
    assert checks == [] and store.domain_reviews() == []
    # The last page brings a member only (a kind the check does not watch): the owed check runs.
    member = {"device_id": DEVICES[1], "seq": 1, "record_id": uuid7(), "kind": "member", "hlc": "0190000000000009",
              "fields": {"members": 1}}
    store.apply_changes([member], merge=merge_change, cursor=3)
    assert checks == [1]
    assert [r["household"] for r in store.domain_reviews()] == [household]
    store.apply_changes([], merge=merge_change, cursor=3)  # nothing owed any more
    assert checks == [1]


def test_a_page_that_checks_the_domain_still_checks_it_at_once(make_store):
    store = make_store()
    household = uuid7()
    store.apply_changes([_receipt(1, household), _receipt(2, household)], merge=merge_change, cursor=2)
    assert [r["household"] for r in store.domain_reviews()] == [household]
