"""The double-distribution check at the hub, reading only the households a push touched.

The hub's full check (``Hub.check_domain``) decrypts every receipt it holds, every time a
push brings a receipt or a household: a quarter to half a second with 10,000 receipts,
paid by every desk's every push on a busy day. Here each receipt's and household's ids
are kept in plain columns (``domain_keys``, migration 0014): a receipt's round, its
household and whether it is live; a household's ``duplicate_of`` link. They are record
and round ids, nothing a person typed: the same kind of plaintext the hub already keeps
(record ids, kinds, deleted flags). After a push only the (round, household) groups of
the households it touched are checked again, with the duplicate links followed both
before and after the push; only the receipts of a group that holds two or more live ones
are decrypted (their time orders the review item's receipts, as everywhere else). The
review items raised and closed are the same as the full check's: the shared rule
(``rules.domain.double_distributions``) decides on the same receipts, and a test compares
the two after random pushes.

The columns are kept by ``after_push`` from the merged records of the push (the only way
records change at the hub). A hub whose database predates them builds them once at its
first push that needs them (every receipt and household decrypted once), then checks every
group from them, decrypting only the receipts of groups that hold two or more live ones. A
hub that held no receipt or household when it migrated has nothing to build (migration
0017 marks it built), so its first push is checked like any other.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

import orjson

from rules import domain

log = logging.getLogger("fieldbook.server")

_loads = orjson.loads
CHUNK = 500


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _marks(ids: list) -> str:
    return ",".join("?" * len(ids))


def built(db) -> bool:
    return bool(db.execute("SELECT 1 FROM domain_keys_state WHERE name = 'built'"))


def _rows(db, sealer, record_ids: list[str]) -> list[tuple]:
    rows = []
    for ids in _chunks(sorted(set(record_ids))):
        for rid, kind, deleted, body in db.execute(
                f"SELECT record_id, kind, deleted, body FROM records WHERE record_id IN ({_marks(ids)})", ids):
            if kind not in domain.WATCHED_KINDS:
                continue
            f = _loads(sealer.open(f"record|{rid}", body))
            if kind == domain.RECEIPT:
                r, h = f.get("round"), f.get("household")
                rows.append((rid, kind, r if isinstance(r, str) else None, h if isinstance(h, str) else None, None,
                             int(domain.is_live(f, bool(deleted)))))
            else:
                link = f.get(domain.LINK_FIELD)
                rows.append((rid, kind, None, None, link if isinstance(link, str) and not deleted else None,
                             int(not deleted)))
    return rows


def _store(db, rows: list[tuple]) -> None:
    db.executemany("INSERT INTO domain_keys (record_id, kind, round, household, link, live) VALUES (?,?,?,?,?,?) "
                   "ON CONFLICT (record_id) DO UPDATE SET round = excluded.round, household = excluded.household, "
                   "link = excluded.link, live = excluded.live", rows)


def build(db, sealer) -> None:
    """Fill the columns from every receipt and household held (once, after the migration)."""
    ids = [rid for (rid,) in db.execute(
        f"SELECT record_id FROM records WHERE kind IN ({_marks(sorted(domain.WATCHED_KINDS))})",
        sorted(domain.WATCHED_KINDS))]
    db.execute("DELETE FROM domain_keys")
    for chunk in _chunks(ids):
        _store(db, _rows(db, sealer, chunk))
    db.execute("INSERT INTO domain_keys_state (name, value) VALUES ('built', '1') ON CONFLICT (name) DO NOTHING")


def _links(db) -> dict[str, str]:
    return {h: t for h, t in db.execute("SELECT record_id, link FROM domain_keys WHERE link IS NOT NULL")}


def after_push(hub, now: int, record_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Bring the columns up to date for the receipts and households a push merged, then check
    the groups they touch. In the push's transaction. Returns (raised keys, closed keys)."""
    db, sealer = hub.db, hub._sealer
    if not built(db):
        build(db, sealer)
        return _check_all(hub, now)  # the first time: every group, from the columns just filled
    ids = sorted(set(record_ids))
    if not ids:
        return [], []
    before_links = _links(db)
    old = {rid: (h, link) for ids_ in _chunks(ids) for rid, h, link in
           db.execute(f"SELECT record_id, household, link FROM domain_keys WHERE record_id IN ({_marks(ids_)})", ids_)}
    rows = _rows(db, sealer, ids)
    _store(db, rows)
    links = _links(db)
    touched: set[str] = set()
    for rid, kind, _round, household, link, _live in rows:
        touched.update(x for x in (household, link, *old.get(rid, (None, None))) if x)
        if kind == domain.HOUSEHOLD:
            touched.add(rid)
    survivors = {domain.survivor(h, links) for h in touched} | {domain.survivor(h, before_links) for h in touched}
    return _check_groups(hub, now, survivors, links)


def _check_all(hub, now: int) -> tuple[list[str], list[str]]:
    """Every group, as the full check, but read from the columns: only the receipts of a group
    with two or more live ones are decrypted (the columns were just filled by decrypting every
    receipt and household once; the full check would decrypt every receipt a second time)."""
    db = hub.db
    links = _links(db)
    households = {h for (h,) in db.execute("SELECT DISTINCT household FROM domain_keys WHERE kind = ? "
                                           "AND household IS NOT NULL", [domain.RECEIPT])}
    households |= {k.split("|")[-1] for (k,) in db.execute("SELECT review_key FROM domain_reviews "
                                                           "WHERE closed_at IS NULL")}
    return _check_groups(hub, now, {domain.survivor(h, links) for h in households}, links)


def _check_groups(hub, now: int, survivors: set[str], links: dict[str, str]) -> tuple[list[str], list[str]]:
    db, sealer = hub.db, hub._sealer
    members = set(survivors) | {h for h in links if domain.survivor(h, links) in survivors}
    live = _live_receipts(db, members, links)
    doubles = sorted(rid for found in live.values() if len(found) > 1 for rid in found)
    receipts, teams = _read_receipts(db, sealer, doubles)
    items = domain.double_distributions(receipts, links)
    open_keys = [k for (k,) in db.execute("SELECT review_key FROM domain_reviews WHERE closed_at IS NULL")]
    before = [k for k in open_keys if k.split("|")[-1] in survivors]
    raised, closed = domain.diff(before, [i.key for i in items])
    save_reviews(db, now, items, raised, closed, teams)
    for key in raised:
        hub._event("review_raised", None, key)
    for key in closed:
        hub._event("review_closed", None, key)
    if raised or closed:
        log.info("domain check: %d review item(s) raised, %d closed", len(raised), len(closed))
    return raised, closed


def _live_receipts(db, members: set[str], links: dict[str, str]) -> dict[tuple[str, str], list[str]]:
    """The live receipts of these households, by (round, surviving household)."""
    live: dict[tuple[str, str], list[str]] = {}
    for hs in _chunks(sorted(members)):
        for rid, round_id, household in db.execute(
                f"SELECT record_id, round, household FROM domain_keys WHERE kind = ? AND live = 1 AND round IS NOT NULL "
                f"AND household IN ({_marks(hs)})", [domain.RECEIPT, *hs]):
            live.setdefault((round_id, domain.survivor(household, links)), []).append(rid)
    return live


def _read_receipts(db, sealer, ids: list[str]) -> tuple[list, dict[str, str]]:
    """These receipts opened, as (id, body, deleted); and each one's team."""
    receipts, teams = [], {}
    for chunk in _chunks(ids):
        for rid, team, deleted, body in db.execute(
                f"SELECT record_id, team, deleted, body FROM records WHERE record_id IN ({_marks(chunk)})", chunk):
            receipts.append((rid, _loads(sealer.open(f"record|{rid}", body)), bool(deleted)))
            teams[rid] = team
    return receipts, teams


def save_reviews(db, now: int, items, raised: list[str], closed: list[str], teams: dict[str, str]) -> None:
    """Write the review items found: the raised ones (re)opened, the others updated, the closed ones closed.
    The full check (domain_checks.py) and the check from the plain columns both write through here."""
    for item in items:
        if item.key in raised:
            db.execute("INSERT INTO domain_reviews (review_key, teams, body, found_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (review_key) DO UPDATE SET teams = excluded.teams, body = excluded.body, "
                       "found_at = excluded.found_at, closed_at = NULL",
                       (item.key, ",".join(sorted({teams[r] for r in item.receipts})), json.dumps(item.to_json()), now))
        else:
            db.execute("UPDATE domain_reviews SET body = ? WHERE review_key = ?", (json.dumps(item.to_json()), item.key))
    for key in closed:
        db.execute("UPDATE domain_reviews SET closed_at = ? WHERE review_key = ?", (now, key))
