"""Post-distribution monitoring: a reproducible sample of a round's served households."""
from __future__ import annotations

import json

import pytest

from distributions import pdm, receipts
from distributions.cards import new_card_code
from distributions.desk_errors import DistributionError
from tests.conftest import PASSPHRASE

from test_desk import ROUND, publish_to


@pytest.fixture
def served(store):
    receipts.ensure_indexes(store)
    rnd = publish_to(store, ROUND)
    ids = []
    for i in range(30):
        fields = {"external_ref": f"P-{i:02d}", "head_name": "Синтетичний Моніторинг", "hh_size": 3}
        if i % 2 == 0:
            fields["card_code"] = new_card_code()
        ids.append(store.save_record("household", fields))
    rids = [receipts.record_receipt(store, rnd, store.get_record(h), team=None)[0] for h in ids]
    return store, rnd, ids, rids


def test_the_same_round_and_seed_draw_the_same_sample_and_another_seed_another(served):
    store, rnd, ids, _ = served
    first, population = pdm.sample(store, rnd.round_id, percent=10, seed="2026-12")
    again, _ = pdm.sample(store, rnd.round_id, percent=10, seed="2026-12")
    other, _ = pdm.sample(store, rnd.round_id, percent=10, seed="second visit")
    assert population == 30 and len(first) == 3 and first == again and first != other
    assert {s.household for s in first} <= set(ids)
    assert len(pdm.sample(store, rnd.round_id, percent=1, seed="x")[0]) == 1  # at least one
    assert len(pdm.sample(store, rnd.round_id, percent=100, seed="x")[0]) == 30
    for s in first:  # the card code, else the reference: never a name
        f = store.get_record(s.household).fields
        assert s.card == f.get("card_code", f["external_ref"])


def test_voided_receipts_are_left_out_and_other_rounds_change_nothing(served):
    store, rnd, ids, rids = served
    whole, _ = pdm.sample(store, rnd.round_id, percent=100)
    receipts.void_receipt(store, rids[0], reason="served by mistake")
    left, population = pdm.sample(store, rnd.round_id, percent=100)
    assert population == 29 and ids[0] not in {s.household for s in left}
    before, _ = pdm.sample(store, rnd.round_id, percent=10, seed="s")
    store.save_record("receipt", {"round": "OTHER", "household": ids[1], "items": {"FOOD": 1}})
    assert pdm.sample(store, rnd.round_id, percent=10, seed="s")[0] == before


def test_drafts_of_the_pdm_form_are_made_once_and_stay_on_the_laptop(served):
    store, rnd, _, _ = served
    picked, _ = pdm.sample(store, rnd.round_id, percent=20, seed="d")
    pending = store.pending_count()
    assert pdm.make_drafts(store, picked) == (6, 0)
    drafts = list(store.list_records("draft", form_id=pdm.PDM_FORM))
    assert sorted(d.fields[pdm.CARD_FIELD] for d in drafts) == sorted(s.card for s in picked)
    assert store.pending_count() == pending  # drafts are a local kind: not synced
    assert pdm.make_drafts(store, picked) == (0, 6)


@pytest.mark.parametrize("percent", [0, -5, 101, float("nan")])
def test_a_bad_percent_is_refused(served, percent):
    store, rnd, _, _ = served
    with pytest.raises(DistributionError, match="--percent"):
        pdm.sample(store, rnd.round_id, percent=percent)


def test_a_round_with_no_receipt_here_is_refused(store):
    with pytest.raises(DistributionError, match="No household has a live receipt of round NOPE"):
        pdm.sample(store, "NOPE", percent=10)


def test_round_sample_command(make_store, tmp_path, cli):
    store = make_store("p")
    receipts.ensure_indexes(store)
    rnd = publish_to(store, ROUND)
    for i in range(12):
        h = store.save_record("household", {"external_ref": f"Q-{i}", "hh_size": 2, "card_code": new_card_code()})
        receipts.record_receipt(store, rnd, store.get_record(h), team=None)
    store.close()
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    args = ["round", "sample", "--profile", str(tmp_path / "p"), "--round", rnd.round_id, "--percent", "25", "--seed", "a"]
    r = cli(*args, "--drafts", env=env)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 3 and "3 of 12 served household(s) sampled" in r.stderr and "3 PDM draft(s) made" in r.stderr
    r2 = cli(*args, "--drafts", env=env)
    assert [json.loads(x) for x in r2.stdout.splitlines()] == lines and "0 PDM draft(s) made, 3 already there" in r2.stderr
    r = cli(*args[:-4], "--percent", "0", env=env)
    assert r.returncode == 1 and r.stderr.startswith("error: ") and "--percent" in r.stderr


def test_round_sample_writes_the_list_file_the_desk_writes(make_store, tmp_path, cli):
    """``round sample --out``: the Desk dialog's CSV (references, card numbers, receipt ids; no
    name), owner-only, outside the profile, audited; a bad destination changes nothing."""
    import csv
    import os

    from storage import Store

    store = make_store("p")
    receipts.ensure_indexes(store)
    rnd = publish_to(store, ROUND)
    for i in range(8):
        h = store.save_record("household", {"external_ref": f"L-{i}", "head_name": "Синтетична Вибірка",
                                            "hh_size": 2, "card_code": new_card_code()})
        receipts.record_receipt(store, rnd, store.get_record(h), team=None)
    store.close()
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    profile = tmp_path / "p"
    base = ["round", "sample", "--profile", str(profile), "--round", rnd.round_id, "--percent", "50", "--seed", "s"]
    out = tmp_path / "sample.csv"
    r = cli(*base, "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    printed = [json.loads(x) for x in r.stdout.splitlines()]
    assert f"list written to {out}" in r.stderr
    assert os.stat(out).st_mode & 0o777 == 0o600
    text = out.read_text(encoding="utf-8")
    assert "Синтетична" not in text
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == list(pdm.LIST_COLUMNS)
    assert rows[1:] == [[p["ref"], p["card"], p["receipt"]] for p in printed] and len(rows) == 5
    # Refused before anything is drawn or logged: inside the profile, a missing folder, not .csv.
    for bad, says in ((profile / "in.csv", "outside the profile folder"), (tmp_path / "nope" / "s.csv", "does not exist"),
                      (tmp_path / "s.xlsx", "ending in .csv")):
        r = cli(*base, "--out", str(bad), env=env)
        assert r.returncode == 1 and r.stderr.startswith("error: ") and says in r.stderr, r.stderr
        assert not bad.exists()
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    actions = [e.action for e in store.audit_entries()]
    store.close()
    assert actions.count(f"pdm_sample_list|{rnd.round_id}|4") == 1
    assert actions.count(f"pdm_sample|{rnd.round_id}|4") == 1
