"""``card print``: A4 sheets of cards with QR codes, for the households that have no card yet."""
from __future__ import annotations

import json
import os
import re
import stat

from distributions import cards, receipts, rounds
from storage import Store
from tests.conftest import PASSPHRASE, run_cli

ROUND = {
    "round_id": "R-CARDS", "name": {"en": "Winter kits", "uk": "Зимові набори"},
    "start": "2020-01-01", "end": "2099-12-31", "eligibility": "${hh_size} >= 2",
    "items": [{"code": "FOOD", "label": "Food kit", "unit": "kit", "entitlement": "1"}],
    "teams": {"north": ["C-01", "C-02", "C-03", "C-04", "C-05", "C-06", "C-07", "C-08", "C-09", "C-10", "C-11", "C-12"]},
}
CANARY = "Картковий-Канарок"


def make_profile(make_store):
    from sync.protocol import PublishedForm

    store = make_store("p")
    receipts.ensure_indexes(store)
    for i in range(1, 14):  # C-13 is another team's
        store.save_record("household", {"external_ref": f"C-{i:02d}", "head_name": CANARY, "hh_size": 1 if i == 12 else 3,
                                        **({"card_code": cards.new_card_code()} if i == 1 else {})})
    rnd = rounds.parse_round(json.dumps(ROUND).encode())
    p = PublishedForm.make(rnd.published_id, rnd.version, rnd.title(), b"", {rounds.FILE: rnd.source})
    store.receive_forms(1, {p.form_id: p.digest}, [{"form_id": p.form_id, "version": p.version, "digest": p.digest,
                                                     "title": p.title, "xlsx": p.xlsx, "media": p.media}])
    store.close()


def test_cards_for_households_without_one_then_a_lost_card_reprinted(make_store, tmp_path):
    make_profile(make_store)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE, "TMPDIR": str(tmp), "QT_QPA_PLATFORM": "offscreen"}
    base = ["card", "print", "--profile", str(tmp_path / "p"), "--round", "R-CARDS", "--team", "north"]
    r = run_cli(*base, "--out", str(out / "cards.pdf"), "--show", "external_ref,head_name", env=env)
    assert r.returncode == 0, r.stderr
    # C-02..C-11: ten on the list, eligible, with no card (C-01 has one, C-12 is not eligible, C-13 not on the list).
    assert r.stdout.startswith("10 card(s) on 1 sheet(s)") and "10 new card code(s)" in r.stdout
    pdf = (out / "cards.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    assert stat.S_IMODE(os.stat(out / "cards.pdf").st_mode) == 0o600
    assert os.listdir(out) == ["cards.pdf"] and os.listdir(tmp) == []  # nothing left beside it, nothing in temp
    store = Store.open(tmp_path / "p")
    store.unlock(PASSPHRASE)
    coded = {r.fields["external_ref"]: r.fields.get("card_code") for r in store.list_records("household")}
    assert all(coded[f"C-{i:02d}"] for i in range(1, 12)) and not coded["C-12"] and not coded["C-13"]
    for code in coded.values():
        if code:
            assert cards.read_card_code(code) == code
    assert any(e.action == "card_print|R-CARDS|10" for e in store.audit_entries())
    store.close()

    r = run_cli(*base, "--out", str(out / "again.pdf"), env=env)
    assert r.returncode == 0 and "nothing to print" in r.stderr and not (out / "again.pdf").exists()
    r = run_cli(*base, "--out", str(out / "lost.pdf"), "--household", "C-03", env=env)
    assert r.returncode == 0 and r.stdout.startswith("1 card(s)") and "0 new card code(s)" in r.stdout, r.stderr
    r = run_cli(*base, "--out", str(out / "all.pdf"), "--reprint", env=env)
    assert r.stdout.startswith("11 card(s) on 2 sheet(s)")
    assert len(re.findall(rb"/Type\s*/Page\b", (out / "all.pdf").read_bytes())) == 2


def test_bad_card_print_inputs_are_refused_in_one_line(make_store, tmp_path):
    make_profile(make_store)
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE, "QT_QPA_PLATFORM": "offscreen"}
    p = str(tmp_path / "p")
    base = ["card", "print", "--profile", p, "--team", "north"]
    for args, match in ((["--round", "R-CARDS", "--out", str(tmp_path / "c.png")], "ending in .pdf"),
                        (["--round", "R-CARDS", "--out", str(tmp_path / "p" / "c.pdf")], "outside the profile"),
                        (["--round", "R-CARDS", "--out", str(tmp_path / "nope" / "c.pdf")], "does not exist"),
                        (["--round", "R-CARDS", "--out", str(tmp_path / "c.pdf"), "--show", "phone"], "--show takes"),
                        (["--round", "NOPE", "--out", str(tmp_path / "c.pdf")], "Round NOPE is not open"),
                        (["--round", "R-CARDS", "--out", str(tmp_path / "c.pdf"), "--household", "C-13"],
                         "not served by this team")):
        r = run_cli(*base, *args, env=env)
        assert r.returncode == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1 and match in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.pdf"))
    store = Store.open(tmp_path / "p")
    store.unlock(PASSPHRASE)
    assert sum(1 for r in store.list_records("household") if r.fields.get("card_code")) == 1  # nothing half-saved
    store.close()


def test_the_qr_code_holds_the_card_code_only():
    import segno

    code = cards.new_card_code()
    modules = cards.qr_modules(code)
    assert modules == [[bool(v) for v in row] for row in segno.make(code, error="m", micro=False).matrix]
    assert len(modules) == 21  # version 1: small modules stay large on a 38 mm square
