"""Workflow 5, distribution day, end to end: a real server on loopback (SQLite and
PostgreSQL), real encrypted stores, the hub's commands run as a user runs them."""
from __future__ import annotations

import csv
import json

import pytest

from console_helpers import Browser, add_user
from distributions import receipts, registry, rounds, stock
from distributions.desk_errors import AlreadyReceived, RoundError
from sync.client import SyncClient
from tests.conftest import PASSPHRASE

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
CANARY = "Канаренко-Видача"
ROUND = {
    "round_id": "R-W5", "name": {"en": "Winter kits", "uk": "Зимові набори"},
    "start": "2026-12-01", "end": "2026-12-05", "eligibility": "${hh_size} >= 1",
    "items": [{"code": "FOOD", "label": {"en": "Food kit", "uk": "Продуктовий набір"}, "unit": "kit",
               "entitlement": "if(${hh_size} > 4, 2, 1)", "low_stock": 0}],
}
LIST = [
    "reg_id,team,head_name,dob,phone,oblast,raion,hromada,settlement,hh_size",
    f"W-1,north,{CANARY} Олена,1980-01-02,0671230001,Київська,Бучанський,Бучанська,Буча,5",
    f"W-2,north,{CANARY} Петро,1975-03-04,0671230002,Київська,Бучанський,Ірпінська,Ірпінь,2",
]


def hub_args(live) -> list[str]:
    args = ["--data", str(live.hub.settings.data_dir)]
    if live.hub.settings.db_url:
        args += ["--db", live.hub.settings.db_url]
    return args


def keys(items) -> list[str]:
    return [i["key"] for i in items]


def test_distribution_day_offline_on_two_laptops(make_store, live, cli, tmp_path):
    # The hub publishes the round, first a broken one: refused with its place named.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**ROUND, "eligibility": "${hh_size} >="}), encoding="utf-8")
    r = cli("round", "publish", *hub_args(live), str(bad), "--team", "north")
    assert r.returncode == 1 and r.stderr.startswith("error: eligibility: unexpected end of expression"), r.stderr
    good = tmp_path / "round.json"
    good.write_text(json.dumps(ROUND, ensure_ascii=False), encoding="utf-8")
    r = cli("round", "publish", *hub_args(live), str(good), "--team", "north")
    assert r.returncode == 0, r.stderr
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({**ROUND, "end": "2026-12-06"}), encoding="utf-8")
    r = cli("round", "publish", *hub_args(live), str(changed), "--team", "north")
    assert r.returncode == 1 and "Version 1 of round R-W5 was already published with other content" in r.stderr, r.stderr

    # Two laptops of one team: A registers the households; both sync and get the round.
    a, b = SyncClient(make_store("a")), SyncClient(make_store("b"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    b.enroll(live.url, live.hub.new_enroll_code("north"))
    (tmp_path / "list.csv").write_text("\n".join(LIST) + "\n", encoding="utf-8")
    assert registry.import_list(a.store, tmp_path / "list.csv").added == 2
    a.sync_now()
    b.sync_now()
    for laptop in (a, b):
        receipts.ensure_indexes(laptop.store)
        assert rounds.held_round(laptop.store, "R-W5").items[0].code == "FOOD"
    rnd_a, rnd_b = rounds.held_round(a.store, "R-W5"), rounds.held_round(b.store, "R-W5")
    w1 = receipts.find_household(a.store, phone="067 123 00 01")
    card = w1.fields["card_code"]
    stock.move(a.store, rnd_a, type_="receive", item="FOOD", qty=10, waybill="WB-77")

    # Offline: both laptops serve W-1; A's second attempt is refused and names the first.
    first_a, _ = receipts.record_receipt(a.store, rnd_a, receipts.find_household(a.store, card=card), team="north")
    with pytest.raises(AlreadyReceived, match=f"at desk {a.store.device_id}.*{first_a}"):
        receipts.record_receipt(a.store, rnd_a, receipts.find_household(a.store, card=card), team="north")
    from distributions import desk

    desk.log_refusal(a.store, "R-W5", "AlreadyReceived")  # as the desk (screen or distribute) counts it
    desk.log_refusal(a.store, "R-W5", "InvalidCardCode")
    desk.log_refusal(b.store, "R-W5", "HouseholdNotFound")
    first_b, _ = receipts.record_receipt(b.store, rnd_b, receipts.find_household(b.store, card=card), team="north",
                                         proxy_name="Synthetic Proxy", proxy_doc="ЕН000123")
    w2 = receipts.find_household(b.store, phone="+380671230002")
    receipts.record_receipt(b.store, rnd_b, w2, team="north")
    assert a.store.domain_reviews() == b.store.domain_reviews() == []

    # After sync the double distribution is flagged on both laptops and at the hub, the same item.
    a.sync_now()
    assert live.hub.domain_reviews() == []
    b.sync_now()
    a.sync_now()
    expected = [f"double_distribution|R-W5|{w1.id}"]
    assert keys(a.store.domain_reviews()) == keys(b.store.domain_reviews()) == keys(live.hub.domain_reviews()) == expected
    assert a.store.domain_reviews()[0]["receipts"] == live.hub.domain_reviews()[0]["receipts"]
    assert sorted(a.store.domain_reviews()[0]["receipts"]) == sorted([first_a, first_b])
    r = cli("distribute", "reviews", "--data", *hub_args(live)[1:], env=ENV)
    assert r.returncode == 0 and json.loads(r.stdout)["key"] == expected[0], r.stderr
    # The hub console's Review page lists it for the team's lead (ids only), not for another team's.
    add_user(live.hub, "lead-north", "lead", ["north"])
    add_user(live.hub, "lead-south", "lead", ["south"])
    lead, other = Browser(live.url), Browser(live.url)
    lead.login("lead-north")
    other.login("lead-south")
    page = lead.get("/console/review")[2]
    assert 'id="double-count">1<' in page and "R-W5" in page and w1.id in page
    assert first_a[:13] in page and first_b[:13] in page and CANARY not in page
    assert 'id="double-count">0<' in other.get("/console/review")[2]

    # A supervisor on B voids B's receipt: the void syncs, and the item closes everywhere.
    receipts.void_receipt(b.store, first_b, reason="served twice; A's desk served first")
    assert b.store.domain_reviews() == []
    b.sync_now()
    a.sync_now()
    assert a.store.domain_reviews() == [] and live.hub.domain_reviews() == []
    assert "No open double distributions." in lead.get("/console/review")[2]
    [closed] = live.hub.domain_reviews(include_closed=True)
    assert closed["key"] == expected[0] and closed["closed_at"]
    voided = a.store.get_record(first_b)
    assert voided.fields["voided"] is True and not voided.deleted
    assert any(e.action == "edit" for e in b.store.audit_entries(first_b))

    # Stock reconciles: 10 received, 2 (W-1 at A) + 1 (W-2 at B) handed over, 7 counted.
    _, bal = stock.move(a.store, rnd_a, type_="count", item="FOOD", qty=7)
    assert (bal.received, bal.distributed, bal.balance, bal.variance) == (10, 3, 7, 0)
    a.sync_now()

    # The hub's report: every team's figures, with an HXL row, owner-only; no names.
    out = tmp_path / "report.csv"
    r = cli("round", "report", *hub_args(live), "--round", "R-W5", "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0]["oblast"] == "#adm1+name" and rows[0]["households"] == "#reached+households"
    by = {}
    for row in rows[1:]:
        by.setdefault(row["section"], []).append(row)
    assert sorted((x["hromada"], x["households"]) for x in by["served"]) == sorted([("Бучанська", "1"), ("Ірпінська", "1")])
    assert sum(int(x["quantity"]) for x in by["served_item"]) == 3
    assert by["voids"][0]["quantity"] == "1" and by["review"][0]["quantity"] == "0"
    assert by["refusals"][0]["quantity"] == "3"  # both desks' tallies reached the hub
    assert "proxies" not in by  # the proxy's receipt was the one voided
    [food] = by["stock"]
    assert (food["received"], food["distributed"], food["balance"], food["count"], food["variance"]) == ("10", "3", "7", "7", "0")
    assert CANARY not in out.read_text(encoding="utf-8")

    # The round is withdrawn in the middle of the day: the desk refuses it after the next sync.
    r = cli("round", "withdraw", *hub_args(live), "R-W5", "--team", "north")
    assert r.returncode == 0, r.stderr
    b.sync_now()
    with pytest.raises(RoundError, match="not open on this laptop"):
        rounds.held_round(b.store, "R-W5")
    # A withdrawn round is still reported, at the hub and on a laptop.
    r = cli("round", "report", *hub_args(live), "--round", "R-W5", "--out", str(tmp_path / "after.csv"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "after.csv").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    b.store.close()
    r = cli("round", "report", "--profile", str(tmp_path / "b"), "--round", "R-W5", "--out", str(tmp_path / "b.csv"), env=ENV)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "b.csv").read_text(encoding="utf-8").splitlines()))
    assert [(x["item"], x["balance"], x["variance"]) for x in rows if x["section"] == "stock"] == [("FOOD", "7", "0")]
    assert [x["quantity"] for x in rows if x["section"] == "refusals"] == ["3"]  # A's tally came to B by sync

    # Nothing personal in plaintext in the profiles, the hub's folder or their logs.
    for folder in (tmp_path / "a", tmp_path / "b", live.hub.settings.data_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                assert CANARY.encode() not in path.read_bytes(), path
