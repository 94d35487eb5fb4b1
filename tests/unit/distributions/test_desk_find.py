"""The desk's one line (card, phone, document or name), its verdict, counts and refusals."""
from __future__ import annotations

import pytest

from distributions import desk as D
from distributions import receipts
from distributions.cards import new_card_code
from distributions.desk_errors import HouseholdNotFound
from distributions.errors import InvalidCardCode

from test_desk import HOUSEHOLDS, ROUND, publish_to

EXTRA = [
    {"external_ref": "H-4", "head_name": "Шевченко Сергій Петрович", "phone": "+380501234567", "hh_size": 4,
     "doc_number": "123456789", "dob": "1975-03-14", "settlement": "Вільхівка"},
    {"external_ref": "H-5", "head_name": "Шевченко Олена Петрівна", "hh_size": 2, "dob": "1980-01-02"},
    {"external_ref": "H-6", "head_name": "Коваленко Сергій", "hh_size": 2},
]


@pytest.fixture
def desk(store):
    receipts.ensure_indexes(store)
    ids = [store.save_record("household", {**h, "card_code": new_card_code()}) for h in HOUSEHOLDS + EXTRA]
    rnd = publish_to(store, ROUND)
    return store, rnd, [store.get_record(i) for i in ids]


def test_a_line_finds_by_card_phone_document(desk):
    store, _, hh = desk
    code = hh[3].fields["card_code"]
    assert D.find(store, code).households[0].id == hh[3].id
    assert D.find(store, code.replace("-", "").lower()).how == "card"  # as a desk types it
    assert D.find(store, "050 123 45 67").households[0].id == hh[3].id
    assert D.find(store, "123456789").how == "doc"


def test_a_mistyped_card_and_an_unknown_one_are_told_apart(desk):
    store, _, hh = desk
    from distributions.cards import check_symbol

    good = check_symbol("ABCDEFGH")
    wrong = "ABCD-EFGH" + ("0" if good != "0" else "1")
    with pytest.raises(InvalidCardCode, match="check character"):
        D.find(store, wrong)
    unknown = new_card_code()
    with pytest.raises(HouseholdNotFound):
        D.find(store, unknown)


@pytest.mark.parametrize("query, refs", [
    ("Шевченко Сергій", ["H-4"]),
    ("Shevchenko Serhii", ["H-4"]),          # the official transliteration
    ("Sergey Shevchenko", ["H-4"]),          # the Russian form, other order
    ("Шевченко", ["H-4", "H-5"]),            # a surname alone: the whole family
    ("Шевчнко Олена", ["H-5"]),              # a dropped letter
    ("Шевченко С.", ["H-4"]),                # an initial
    ("Коваленко Олена", []),                 # a namesake with another first name is not shown
])
def test_a_name_in_any_script_finds_the_household(desk, query, refs):
    store, _, _ = desk
    if not refs:
        with pytest.raises(HouseholdNotFound):
            D.find(store, query)
        return
    found = D.find(store, query)
    assert found.how == "name"
    assert [m.ref for m in found.matches][:len(refs)] == refs
    assert {m.ref for m in found.matches} == set(refs)


def test_the_name_index_follows_new_and_edited_households(desk):
    store, _, hh = desk
    assert {m.ref for m in D.NameIndex.of(store).search("Бондаренко")} == set()
    store.save_record("household", {"external_ref": "H-9", "head_name": "Бондаренко Ірина", "hh_size": 2})
    assert [m.ref for m in D.NameIndex.of(store).search("Бондаренко")] == ["H-9"]
    store.edit_record(hh[5].id, {"head_name": "Бондаренко Сергій"})
    assert [m.ref for m in D.NameIndex.of(store).search("Бондаренко Сергій")] == ["H-6"]
    assert D.NameIndex.of(store).search("Коваленко") == []


def test_the_verdict_matches_what_saving_would_refuse(desk):
    store, rnd, (h1, h2, h3, *_) = desk
    assert D.verdict(receipts.look_up(store, rnd, h1, team=None)) == D.SERVE
    assert D.verdict(receipts.look_up(store, rnd, h3, team=None)) == D.NOT_ELIGIBLE
    receipts.record_receipt(store, rnd, h1, team=None)
    assert D.verdict(receipts.look_up(store, rnd, h1, team=None)) == D.ALREADY


def test_summary_counts_served_voided_refused_and_this_desks_recent(desk):
    store, rnd, (h1, h2, *_) = desk
    first, _ = receipts.record_receipt(store, rnd, h1, team=None)
    receipts.record_receipt(store, rnd, h2, team=None, proxy_name="Синтетичний Проксі", proxy_doc="КК123456")
    receipts.void_receipt(store, first, reason="a test")
    D.log_refusal(store, rnd.round_id, D.ALREADY)
    s = D.summary(store, rnd)
    assert (s.served, s.served_here, s.proxies, s.voided, s.refusals) == (1, 1, 1, 1, 1)
    assert [r.ref for r in s.recent] == ["H-2", "H-1"] and s.recent[1].voided
    assert any(e.action == f"desk_refused|{rnd.round_id}|AlreadyReceived" for e in store.audit_entries())


def test_refusals_are_tallied_per_desk_and_summed_over_desks_in_the_report(desk):
    from distributions import report

    store, rnd, _ = desk
    for kind in (D.ALREADY, D.NOT_ELIGIBLE, "InvalidCardCode", D.ALREADY):
        D.log_refusal(store, rnd.round_id, kind)
    [tally] = list(store.list_records(D.TALLY))
    assert tally.fields == {"round": rnd.round_id, "desk": store.device_id,
                            "refusals": {"AlreadyReceived": 2, "NotEntitled": 1, "InvalidCardCode": 1}}
    other = {"round": rnd.round_id, "desk": "another-desk", "refusals": {"AlreadyReceived": 3, "bad": "x", "neg": -4}}
    records = [(tally.id, D.TALLY, tally.fields, False), ("t2", D.TALLY, other, False),
               ("t3", D.TALLY, {**other, "round": "OTHER"}, False), ("t4", D.TALLY, other, True)]
    assert report.tally_refusals((k, f, d) for _, k, f, d in records) == {rnd.round_id: 7, "OTHER": 3}
    rows = report.build(rnd, records)
    assert [r["quantity"] for r in rows if r["section"] == "refusals"] == [7]
    assert D.refusal_count(store, rnd.round_id) == 4


def test_a_known_first_name_typed_whole_lists_its_own_households_first(desk):
    store, _, _ = desk
    store.save_record("household", {"external_ref": "H-8", "head_name": "Шевченко Сергей", "hh_size": 2})
    # Russian form of the same name: one canonical first name, so both are that name's households.
    assert {m.ref for m in D.NameIndex.of(store).search("Шевченко Сергій")} == {"H-4", "H-8"}
    store.save_record("household", {"external_ref": "H-10", "head_name": "Шевченко Олена", "hh_size": 2})
    assert "H-10" not in {m.ref for m in D.NameIndex.of(store, refresh=False).search("Шевченко Олена")}
    assert "H-10" in {m.ref for m in D.NameIndex.of(store).search("Шевченко Олена")}
