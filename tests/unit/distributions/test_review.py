"""Duplicate review: decisions as records, remembered, linked, synced and disputed."""
from __future__ import annotations

import datetime as dt

import pytest

from distributions import registry, review
from distributions.errors import ReviewError
from distributions.normalise import make_rnokpp
from rules import domain

TAX = make_rnokpp(dt.date(1975, 3, 14), 3, female=False)
HOUSEHOLDS = [
    # One man written in two scripts (a pair), and his twin brother (never a pair).
    {"external_ref": "N-1", "head_name": "Шевченко Олександр Петрович", "dob": "1975-03-14",
     "phone": "+380671234567", "tax_number": TAX, "settlement": "Буча"},
    {"external_ref": "S-7", "head_name": "Aleksandr Shevchenko", "dob": "1975-03-14",
     "phone": "+380671234567", "tax_number": TAX, "settlement": "Bucha"},
    {"external_ref": "N-3", "head_name": "Шевченко Андрій Петрович", "dob": "1975-03-14",
     "phone": "+380671234567", "settlement": "Буча"},
    # A second pair: a day/month swap and an old transliteration.
    {"external_ref": "E-1", "head_name": "Бондаренко Сергій", "dob": "1980-05-06", "phone": "+380501112233"},
    {"external_ref": "E-2", "head_name": "Bondarenko Sergii", "dob": "1980-06-05", "phone": "+380501112233"},
]


def register(store, households=HOUSEHOLDS):
    registry.ensure_indexes(store)
    return [store.save_record("household", {**h, "import_key": "ref:" + h["external_ref"]}) for h in households]


def refs(queue):
    return [(p.ref_a, p.ref_b) for p in queue]


def test_the_queue_holds_the_candidate_pairs_with_their_reasons_older_first(store):
    ids = register(store)
    queue = review.review_queue(store)
    assert refs(queue) == [("N-1", "S-7"), ("E-1", "E-2")]
    top = queue[0]
    assert (top.a, top.b) == (ids[0], ids[1]) and top.a < top.b
    assert "same tax number" in top.reasons and "across scripts" in top.reasons
    assert top.household_a["head_name"].startswith("Шевченко") and top.verdict is None and not top.disputed


def test_same_links_the_newer_to_the_older_keeps_both_and_is_not_proposed_again(store):
    ids = register(store)
    decision = review.decide(store, ids[1], ids[0], "same", "one tax number, one man", score=21.0, reasons="same tax number")
    a, b = store.get_record(ids[0]), store.get_record(ids[1])
    assert b.fields[domain.LINK_FIELD] == ids[0] and domain.LINK_FIELD not in a.fields
    assert b.fields[review.pair_field(ids[0])] == {"verdict": "same", "decision": decision}
    assert store.count_records("household") == len(HOUSEHOLDS)  # nothing deleted
    record = store.get_record(decision)
    assert record.kind == "dedup_decision"
    assert record.fields["households"] == [ids[0], ids[1]] and record.fields["refs"] == ["N-1", "S-7"]
    assert (record.fields["verdict"], record.fields["reason"], record.fields["kept"]) == ("same", "one tax number, one man", ids[0])
    assert record.fields["by"] == "Enumerator One" and record.fields["score"] == 21.0
    assert refs(review.review_queue(store)) == [("E-1", "E-2")]
    assert [e.action for e in store.audit_entries()][-1] == "dedup_decision"
    assert store.verify().ok


def test_same_can_keep_the_newer_registration(store):
    ids = register(store)
    review.decide(store, ids[0], ids[1], "same", "the newer one has the right address", keep=ids[1])
    assert store.get_record(ids[0]).fields[domain.LINK_FIELD] == ids[1]
    assert store.get_record(ids[1]).fields.get(domain.LINK_FIELD) is None
    # The verdict lives on the newer household whichever survives: one field per pair.
    assert store.get_record(ids[1]).fields[review.pair_field(ids[0])]["verdict"] == "same"


def test_different_is_remembered_and_unsure_comes_back_last(store):
    ids = register(store)
    review.decide(store, ids[0], ids[1], "different", "two men, checked by phone")
    assert store.get_record(ids[1]).fields[domain.LINK_FIELD] is None  # written: see the dispute test
    review.decide(store, ids[3], ids[4], "unsure")  # no reason needed to defer
    queue = review.review_queue(store)
    assert refs(queue) == [("E-1", "E-2")] and queue[0].verdict == "unsure"
    assert refs(review.review_queue(store, include_unsure=False)) == []
    assert review.decided_pairs(store) == {(ids[0], ids[1]): "different", (ids[3], ids[4]): "unsure"}


def test_changing_same_to_different_takes_the_link_away(store):
    ids = register(store)
    review.decide(store, ids[0], ids[1], "same", "looked alike")
    review.decide(store, ids[0], ids[1], "different", "the tax office says two people")
    b = store.get_record(ids[1]).fields
    assert b[domain.LINK_FIELD] is None and b[review.pair_field(ids[0])]["verdict"] == "different"
    assert [d["verdict"] for d in review.decisions(store, ids[1])] == ["same", "different"]


@pytest.mark.parametrize("args, message", [
    (("X", "same", "why"), "no household"),
    (("SELF", "same", "why"), "two different households"),
    (("B", "merge", "why"), "one of: same, different, unsure"),
    (("B", "same", "   "), "Give a reason"),
    (("B", "different", ""), "Give a reason"),
    (("B", "same", "x" * 501), "at most 500"),
])
def test_bad_decisions_are_refused_and_change_nothing(store, args, message):
    ids = register(store)
    other, verdict, reason = args
    second = {"X": "0190f0c2-3b4a-7c1d-9e2f-0123456789ab", "SELF": ids[0], "B": ids[1]}[other]
    before = (store.count_records(), store.pending_count(), len(store.audit_entries()))
    with pytest.raises(ReviewError, match=message):
        review.decide(store, ids[0], second, verdict, reason)
    assert (store.count_records(), store.pending_count(), len(store.audit_entries())) == before


def test_a_record_that_is_not_a_household_and_a_keep_outside_the_pair_are_refused(store):
    ids = register(store)
    other = store.save_record("submission", {"q": 1})
    with pytest.raises(ReviewError, match="not a registered household"):
        review.decide(store, ids[0], other, "same", "why")
    with pytest.raises(ReviewError, match="one of the pair"):
        review.decide(store, ids[0], ids[1], "same", "why", keep=ids[2])


def test_a_link_that_would_go_round_in_a_circle_is_refused(store):
    ids = register(store)
    review.decide(store, ids[0], ids[1], "same", "one man")  # S-7 -> N-1
    review.decide(store, ids[1], ids[2], "same", "checked", keep=ids[1])  # N-3 -> S-7
    with pytest.raises(ReviewError, match="already linked"):
        review.decide(store, ids[0], ids[2], "same", "loop", keep=ids[2])  # N-1 -> N-3 would loop
    assert domain.LINK_FIELD not in store.get_record(ids[0]).fields


def test_household_by_ref_reads_external_refs_and_record_ids(store):
    ids = register(store)
    assert review.household_by_ref(store, "S-7") == ids[1]
    assert review.household_by_ref(store, ids[2]) == ids[2]
    with pytest.raises(ReviewError):
        review.household_by_ref(store, "nope")


def test_a_decision_goes_round_through_sync_and_is_not_proposed_on_the_other_laptop(laptops, hub):
    a, b = laptops("a"), laptops("b")
    ids = register(a.store)
    registry.ensure_indexes(b.store)
    a.sync_now(); b.sync_now()
    assert refs(review.review_queue(b.store)) == [("N-1", "S-7"), ("E-1", "E-2")]
    decision = review.decide(b.store, ids[0], ids[1], "same", "one man")
    b.sync_now(); a.sync_now()
    assert a.store.get_record(decision).fields["verdict"] == "same"
    assert a.store.get_record(ids[1]).fields[domain.LINK_FIELD] == ids[0]
    assert refs(review.review_queue(a.store)) == [("E-1", "E-2")]
    assert hub.records()[decision]["kind"] == "dedup_decision"


def test_two_leads_deciding_differently_is_a_conflict_and_the_pair_comes_back_disputed(laptops, hub):
    a, b = laptops("a"), laptops("b")
    ids = register(a.store)
    a.sync_now(); b.sync_now()
    review.decide(a.store, ids[0], ids[1], "same", "same man, I know him")
    review.decide(b.store, ids[0], ids[1], "different", "brothers, I met both")
    a.sync_now(); b.sync_now(); a.sync_now()
    field = review.pair_field(ids[0])
    # One verdict wins the same way on both laptops and at the hub; the other is kept.
    verdicts = {r.store.get_record(ids[1]).fields[field]["verdict"] for r in (a, b)}
    assert len(verdicts) == 1 and hub.records()[ids[1]]["fields"][field]["verdict"] in verdicts
    for replica in (a, b):
        # Both fields of the two decisions are kept the normal way: the verdict and the link.
        assert sorted(c.field for c in replica.store.conflicts()) == sorted([field, domain.LINK_FIELD])
        [pair] = [p for p in review.review_queue(replica.store) if p.disputed]
        assert (pair.a, pair.b, {pair.verdict}) == (ids[0], ids[1], verdicts)
    # The verdict and the link come from the same decision on every replica.
    for replica in (a, b):
        fields = replica.store.get_record(ids[1]).fields
        assert fields.get(domain.LINK_FIELD) == (ids[0] if fields[field]["verdict"] == "same" else None)
    assert len(review.decisions(a.store)) == 2  # both decisions are kept, each with its reason
    # A lead decides it again: the dispute closes, on every replica after sync.
    review.decide(a.store, ids[0], ids[1], "different", "phoned both: brothers")
    a.sync_now(); b.sync_now()
    for replica in (a, b):
        assert replica.store.conflicts() == []
        assert replica.store.get_record(ids[1]).fields[field]["verdict"] == "different"
        assert replica.store.get_record(ids[1]).fields.get(domain.LINK_FIELD) is None
        assert ("N-1", "S-7") not in refs(review.review_queue(replica.store))


def test_cli_review_lists_decides_remembers_and_keeps_the_profile_ciphertext(tmp_path, cli):
    import csv as _csv

    from tests.conftest import PASSPHRASE
    from tests.unit.distributions.test_registry import hand_scan

    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    profile = tmp_path / "profile"
    assert cli("profile", "init", "--profile", str(profile), "--user", "Lead", env=env).returncode == 0
    listing = tmp_path / "list.csv"
    with open(listing, "w", encoding="utf-8", newline="") as f:
        w = _csv.writer(f)
        w.writerow(["reg_id", "head_name", "dob", "phone", "doc_type", "doc_number", "settlement"])
        for h in HOUSEHOLDS:
            w.writerow([h["external_ref"], h["head_name"], h["dob"], h["phone"], "rnokpp" if h.get("tax_number") else "",
                        h.get("tax_number", ""), h.get("settlement", "")])
    assert cli("registry", "import", "--profile", str(profile), str(listing), env=env).returncode == 0
    shown = cli("registry", "review", "--profile", str(profile), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "[1] N-1  |  S-7" in shown.stdout and "[2] E-1  |  E-2" in shown.stdout
    assert "Шевченко Олександр Петрович" in shown.stdout and "Aleksandr Shevchenko" in shown.stdout
    assert "why: same tax number" in shown.stdout and "2 pair(s) to review" in shown.stdout
    no_reason = cli("registry", "review", "--profile", str(profile), "--pair", "N-1", "S-7", "--decision", "same", env=env)
    assert no_reason.returncode == 1 and no_reason.stderr.startswith("error: Give a reason") and no_reason.stderr.count("\n") == 1
    done = cli("registry", "review", "--profile", str(profile), "--pair", "S-7", "N-1", "--decision", "same",
               "--reason", "one tax number", env=env)
    assert done.returncode == 0, done.stderr
    decision_id = done.stdout.strip()
    # Interactive: "x" is asked again, "d" needs a reason, and the end of input quits.
    inter = cli("registry", "review", "--profile", str(profile), "--interactive", env=env, input="x\nd\nneighbours\n")
    assert inter.returncode == 0, inter.stderr
    assert "1 decision(s) saved" in inter.stdout and "[1] E-1  |  E-2" in inter.stdout
    history = cli("registry", "review", "--profile", str(profile), "--history", env=env)
    import json as _json

    lines = [_json.loads(line) for line in history.stdout.splitlines()]
    assert [(d["refs"], d["verdict"], d["reason"], d["by"]) for d in lines] == [
        (["N-1", "S-7"], "same", "one tax number", "Lead"), (["E-1", "E-2"], "different", "neighbours", "Lead")]
    assert lines[0]["id"] == decision_id and lines[0]["score"] >= 8
    assert "0 pair(s) to review" in cli("registry", "review", "--profile", str(profile), env=env).stdout
    pairs = cli("registry", "duplicates", "--profile", str(profile), env=env)
    assert pairs.stdout.strip() == "ref_a,ref_b,score,reasons"  # decided pairs are not proposed again
    assert hand_scan(profile, ["Шевченко", "Shevchenko", "one tax number", "neighbours"]) == []
