"""Rounds, the desk, stock, the domain check and the report on real stores (no network)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import stat

import pytest

from distributions import receipts, report, rounds, stock
from distributions.desk_errors import AlreadyReceived, DistributionError, HouseholdNotFound, NotEntitled, RoundError, StockError
from distributions.errors import InvalidCardCode
from rules import domain

ROUND = {
    "round_id": "R-2026-12", "name": {"en": "Winter kits", "uk": "Зимові набори"},
    "start": "2026-12-01", "end": "2026-12-05",
    "eligibility": "${hh_size} >= 2",
    "items": [
        {"code": "FOOD", "label": {"en": "Food kit", "uk": "Продуктовий набір"}, "unit": "kit",
         "entitlement": "if(${hh_size} > 4, 2, 1)", "low_stock": 1},
        {"code": "HYG", "label": {"en": "Hygiene kit", "uk": "Гігієнічний набір"}, "unit": "kit",
         "entitlement": "if(count(${members}[disabled='yes']) > 0, 1, 0)"},
    ],
}
HOUSEHOLDS = [
    {"external_ref": "H-1", "head_name": "Канаренко Олена", "phone": "+380671110001", "hh_size": 5,
     "oblast": "Київська", "raion": "Бучанський", "hromada": "Бучанська",
     "members": [{"disabled": "yes"}, {"disabled": "no"}]},
    {"external_ref": "H-2", "head_name": "Канаренко Петро", "phone": "+380671110002", "hh_size": 3,
     "oblast": "Київська", "raion": "Бучанський", "hromada": "Ірпінська", "members": [{"disabled": "no"}]},
    {"external_ref": "H-3", "head_name": "Канаренко Ірина", "phone": "+380671110003", "hh_size": 1,
     "oblast": "Харківська", "raion": "Харківський", "hromada": "Харківська"},
]


def publish_to(store, data: dict) -> rounds.Round:
    """What a sync brings: the round as a published item (see test_workflow5 for the real path)."""
    from sync.protocol import PublishedForm

    rnd = rounds.parse_round(json.dumps(data).encode())
    p = PublishedForm.make(rnd.published_id, rnd.version, rnd.title(), b"", {rounds.FILE: rnd.source})
    seq = store._meta_int("forms_catalogue_seq", 0) + 1
    store.receive_forms(seq, {p.form_id: p.digest}, [{"form_id": p.form_id, "version": p.version, "digest": p.digest,
                                                      "title": p.title, "xlsx": p.xlsx, "media": p.media}])
    return rnd


@pytest.fixture
def desk(store):
    receipts.ensure_indexes(store)
    from distributions.cards import new_card_code

    ids = [store.save_record("household", {**h, "card_code": new_card_code()}) for h in HOUSEHOLDS]
    rnd = publish_to(store, ROUND)
    return store, rnd, [store.get_record(i) for i in ids]


def test_rules_and_entitlements_evaluate_over_household_fields(desk):
    store, rnd, (h1, h2, h3) = desk
    assert rounds.entitlement(rnd, h1.fields) == {"FOOD": 2, "HYG": 1}
    assert rounds.entitlement(rnd, h2.fields) == {"FOOD": 1, "HYG": 0}
    assert rounds.eligible(rnd, h1.fields) and not rounds.eligible(rnd, h3.fields)
    assert rounds.held_round(store, "R-2026-12").items[1].name("uk") == "Гігієнічний набір"


@pytest.mark.parametrize("change, place", [
    (lambda d: d["items"][1].update(entitlement="if(${hh_size} >"), "items[2].entitlement: unexpected end"),
    (lambda d: d.update(eligibility="${hh_size} >= )"), "eligibility:"),
    (lambda d: d["items"][0].update(code="FOOD KIT"), "items[1].code"),
    (lambda d: d["items"].append(dict(d["items"][0])), "items[3].code: FOOD is listed twice"),
    (lambda d: d.update(end="2026-11-01"), "end:"),
    (lambda d: d.update(teams={"a": "H-1"}), "teams.a"),
])
def test_a_malformed_round_is_refused_with_its_place_named(change, place):
    data = json.loads(json.dumps(ROUND))
    change(data)
    with pytest.raises(RoundError, match=place.replace("[", r"\[").replace("]", r"\]").replace("$", r"\$")):
        rounds.parse_round(json.dumps(data).encode())


def test_a_receipt_defaults_to_the_entitlement_and_a_second_is_refused_showing_the_first(desk):
    store, rnd, (h1, h2, _) = desk
    found = receipts.find_household(store, card=h1.fields["card_code"].replace("-", "").lower())
    assert found.id == h1.id
    rid, _ = receipts.record_receipt(store, rnd, found, team="north")
    saved = store.get_record(rid).fields
    assert saved["items"] == {"FOOD": 2, "HYG": 1} and saved["collector"] == "head" and saved["desk"] == store.device_id
    before = store.count_records("receipt")
    with pytest.raises(AlreadyReceived, match=f"at desk {store.device_id}.*collected by the head.*{rid}"):
        receipts.record_receipt(store, rnd, receipts.find_household(store, phone="067 111 0001"), team="north")
    assert store.count_records("receipt") == before


def test_bad_inputs_each_say_why_and_save_nothing(desk):
    store, rnd, (h1, h2, h3) = desk
    code = h1.fields["card_code"]
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidCardCode, match="check character"):
        receipts.find_household(store, card=wrong_check)
    with pytest.raises(HouseholdNotFound, match="No registered household has this card"):
        from distributions.cards import new_card_code
        receipts.find_household(store, card=new_card_code())
    with pytest.raises(NotEntitled, match="not eligible"):
        receipts.record_receipt(store, rnd, h3, team=None)
    with pytest.raises(NotEntitled, match="above household H-1's entitlement of 2 kit"):
        receipts.record_receipt(store, rnd, h1, team=None, items={"FOOD": 3})
    with pytest.raises(DistributionError, match="give a --reason"):
        receipts.record_receipt(store, rnd, h1, team=None, items={"FOOD": 1})
    with pytest.raises(DistributionError, match="proxy needs both"):
        receipts.record_receipt(store, rnd, h1, team=None, proxy_name="Synthetic Proxy")
    listed = publish_to(store, {**ROUND, "teams": {"north": ["H-2"]}})
    with pytest.raises(NotEntitled, match="not on team north's list"):
        receipts.record_receipt(store, listed, h1, team="north")
    with pytest.raises(NotEntitled, match="not on team south's list"):
        receipts.record_receipt(store, listed, h2, team="south")
    assert store.count_records("receipt") == 0
    # Withdrawn: the catalogue no longer lists it.
    store.receive_forms(store._meta_int("forms_catalogue_seq", 0) + 1, {}, [])
    with pytest.raises(RoundError, match="not open on this laptop"):
        rounds.held_round(store, "R-2026-12")


def test_a_smaller_quantity_with_a_reason_and_a_proxy(desk):
    store, rnd, (h1, _, _) = desk
    rid, _ = receipts.record_receipt(store, rnd, h1, team=None, items={"FOOD": 1}, reason="short delivery",
                                     proxy_name="Synthetic Proxy", proxy_doc="ЕН000001")
    f = store.get_record(rid).fields
    assert f["items"] == {"FOOD": 1, "HYG": 1} and f["collector"] == "proxy" and f["reason"] == "short delivery"


def test_stock_balance_variance_negative_refused_and_the_desk_warns(desk):
    store, rnd, (h1, h2, _) = desk
    stock.move(store, rnd, type_="receive", item="FOOD", qty=4, waybill="WB-1")
    with pytest.raises(StockError, match="negative stock is refused"):
        stock.move(store, rnd, type_="damaged", item="FOOD", qty=5)
    with pytest.raises(StockError, match="would be -1"):
        stock.move(store, rnd, type_="transfer", item="FOOD", qty=-5)
    stock.move(store, rnd, type_="damaged", item="FOOD", qty=1)
    in_round = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)
    _, warnings = receipts.record_receipt(store, rnd, h1, team=None, now=in_round)  # 3 - 2 = 1 left: at the mark
    assert warnings == ["stock of FOOD is running low: 1 kit left after this receipt"]
    with pytest.raises(StockError, match="Only 1 kit of FOOD left"):
        stock.check_desk(store, rnd, {"FOOD": 2})
    stock.move(store, rnd, type_="transfer", item="FOOD", qty=2)
    _, b = stock.move(store, rnd, type_="count", item="FOOD", qty=3)
    assert (b.received, b.distributed, b.damaged, b.transfers, b.balance, b.count, b.variance) == (4, 2, 1, 2, 3, 3, 0)


def test_the_domain_check_counts_linked_duplicates_as_one_and_a_void_closes_it():
    a = {"round": "R", "household": "h1", "at": "2026-12-01T10:00:00+00:00"}
    b = {"round": "R", "household": "h2", "at": "2026-12-01T09:00:00+00:00"}
    c = {"round": "R", "household": "h3", "at": "2026-12-01T09:00:00+00:00"}
    items = domain.double_distributions([("r1", a, False), ("r2", b, False), ("r3", c, False)], {"h2": "h1"})
    assert [(i.household, i.receipts) for i in items] == [("h1", ("r2", "r1"))]
    # Any order of arrival gives the same set; a void or a deletion closes it.
    assert domain.double_distributions([("r3", c, False), ("r2", b, False), ("r1", a, False)], {"h2": "h1"}) == items
    assert domain.double_distributions([("r1", {**a, "voided": True}, False), ("r2", b, False)], {"h2": "h1"}) == []
    assert domain.double_distributions([("r1", a, True), ("r2", b, False)], {"h2": "h1"}) == []
    assert domain.survivor("x", {"x": "y", "y": "x"}) == "x"


def test_the_report_counts_by_area_with_an_hxl_row_owner_only_and_audited(desk, tmp_path):
    store, rnd, (h1, h2, _) = desk
    stock.move(store, rnd, type_="receive", item="FOOD", qty=10)
    r1, _ = receipts.record_receipt(store, rnd, h1, team=None)
    receipts.record_receipt(store, rnd, h2, team=None, proxy_name="Synthetic Proxy", proxy_doc="ЕН000002")
    receipts.void_receipt(store, r1, reason="test")
    stock.move(store, rnd, type_="count", item="FOOD", qty=9)
    records = [(r.id, r.kind, r.fields, r.deleted) for k in ("household", "receipt", stock.KIND) for r in store.list_records(k)]
    rows = report.build(rnd, records, refusals=2)
    t = report.totals(rows)
    assert t["households"] == 1 and t["items"] == {"Food kit": 1} and t["proxies"] == 1 and t["voids"] == 1
    assert t["stock"]["Food kit"] == {"balance": 9, "variance": 0}
    out = tmp_path / "report.csv"
    report.write(rows, out, "csv")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    table = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert table[1][:7] == ["#meta+section", "#adm1+name", "#adm2+name", "#adm3+name", "#item+name", "#item+unit",
                            "#reached+households"]
    assert ["served", "Київська", "Бучанський", "Ірпінська"] == table[2][:4]
    assert b"\xd0\x9a\xd0\xb0\xd0\xbd\xd0\xb0\xd1\x80" not in out.read_bytes()  # "Канар": no names in the report
    uk = report.build(rnd, records, refusals=2, lang="uk")
    assert any(r.get("item") == "Продуктовий набір" for r in uk) and uk[0]["section"] == "охоплено"


def _workbook(path, items_rows):
    import openpyxl

    book = openpyxl.Workbook()
    meta = book.active
    meta.title = "round"
    for row in (("round_id", "R-X"), ("name_en", "Winter"), ("name_uk", "Зима"), ("start", dt.date(2026, 12, 1)),
                ("end", "2026-12-05"), ("eligibility", "${hh_size} >= 2")):
        meta.append(row)
    items = book.create_sheet("items")
    items.append(("code", "label_en", "label_uk", "unit", "entitlement", "low_stock"))
    for row in items_rows:
        items.append(row)
    teams = book.create_sheet("teams")
    teams.append(("team", "reg_id"))
    teams.append(("north", "H-1"))
    book.save(path)


def test_a_round_from_a_workbook_and_its_problems_named_by_sheet_row_and_column(tmp_path):
    good = tmp_path / "round.xlsx"
    _workbook(good, [("FOOD", "Food kit", "Продуктовий набір", "kit", "if(${hh_size} > 4, 2, 1)", 5),
                     ("HYG", "Hygiene kit", "Гігієнічний набір", "kit", 1, None)])
    rnd = rounds.load_round_file(good)
    assert (rnd.round_id, rnd.start, rnd.title("uk"), [i.code for i in rnd.items]) == ("R-X", "2026-12-01", "Зима", ["FOOD", "HYG"])
    assert rnd.on_list("north", "H-1") and not rnd.on_list("north", "H-2")
    assert rounds.parse_round(rnd.source) == rnd  # what is published is the JSON form
    bad = tmp_path / "bad.xlsx"
    _workbook(bad, [("FOOD", "Food kit", "Продуктовий набір", "kit", "1", None),
                    ("HYG", "Hygiene kit", "Гігієнічний набір", "kit", "count(${members}[disabled='yes'", None)])
    with pytest.raises(RoundError, match=r"^sheet items, row 3, column entitlement: missing"):
        rounds.load_round_file(bad)


def test_a_household_linked_as_a_duplicate_is_refused_after_its_survivor_was_served(desk):
    store, rnd, (h1, h2, _) = desk
    store.edit_record(h2.id, {"duplicate_of": h1.id})
    rid, _ = receipts.record_receipt(store, rnd, h1, team=None)
    with pytest.raises(AlreadyReceived, match=rid):
        receipts.record_receipt(store, rnd, store.get_record(h2.id), team=None)


def test_a_receipt_outside_the_rounds_dates_is_saved_with_a_warning(desk):
    store, rnd, (h1, _, _) = desk
    late = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.timezone.utc)
    rid, warnings = receipts.record_receipt(store, rnd, h1, team=None, now=late)
    assert warnings == ["today (2027-01-10) is outside round R-2026-12's dates (2026-12-01 to 2026-12-05); "
                        "check the laptop's date"]
    assert store.get_record(rid).fields["at"] == "2027-01-10T09:00:00+00:00"
