"""The desk's commands as a user runs them: one line on stderr per refusal, nothing saved;
USB import and the hub's push run the domain check; the canary scan covers receipts."""
from __future__ import annotations

import json
import os
import stat

from distributions import receipts, rounds
from storage import Store
from sync.client import SyncClient
from tests.conftest import PASSPHRASE
from tests.unit.distributions.test_desk import HOUSEHOLDS, ROUND, publish_to
from tests.unit.test_privacy import scan

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
PROXY = "Проксієнко-Канарка"
PROXY_DOC = "КК987654"


def setup_profile(store):
    from distributions.cards import new_card_code

    receipts.ensure_indexes(store)
    ids = [store.save_record("household", {**h, "card_code": new_card_code()}) for h in HOUSEHOLDS]
    publish_to(store, ROUND)
    cards = [store.get_record(i).fields["card_code"] for i in ids]
    store.close()
    return ids, cards


def test_the_desk_commands_refuse_bad_inputs_in_one_line_and_save_nothing(make_store, tmp_path, cli):
    ids, cards = setup_profile(make_store("p"))
    p = str(tmp_path / "p")
    base = ["distribute", "--profile", p, "--round", "R-2026-12", "--team", "north"]

    def refused(*args, match):
        r = cli(*base, *args, env=ENV)
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and match in r.stderr, r.stderr
        return r

    bad = cards[0][:-1] + ("0" if cards[0][-1] != "0" else "1")
    refused("--card", bad, match="check character does not match")
    refused("--card", "0000-00000", match="No registered household has this card")
    refused("--card", cards[2], match="not eligible")
    refused("--card", cards[0], "--item", "FOOD=3", match="above household H-1's entitlement of 2 kit")
    refused("--card", cards[0], "--item", "FOOD=1", match="give a --reason")
    r = cli("stock", "damaged", "--profile", p, "--round", "R-2026-12", "--item", "FOOD", "--qty", "1", env=ENV)
    assert r.returncode == 1 and "negative stock is refused" in r.stderr
    r = cli("distribute", "--profile", p, "--round", "NOPE", "--card", cards[0], env=ENV)
    assert r.returncode == 1 and "Round NOPE is not open on this laptop" in r.stderr
    store = Store.open(tmp_path / "p")
    store.unlock(PASSPHRASE)
    assert store.count_records("receipt") == 0 and store.count_records("stock_movement") == 0
    assert sum(e.action.startswith("desk_refused|R-2026-12|") for e in store.audit_entries()) == 5
    store.close()

    r = cli("stock", "receive", "--profile", p, "--round", "R-2026-12", "--item", "FOOD", "--qty", "20", "--waybill", "WB-1", env=ENV)
    assert r.returncode == 0 and json.loads(r.stdout)["balance"] == 20, r.stderr
    r = cli(*base, "--card", cards[0], "--proxy-name", PROXY, "--proxy-doc", PROXY_DOC, env=ENV)
    assert r.returncode == 0, r.stderr
    shown, rid = r.stdout.splitlines()
    assert json.loads(shown)["entitlement"] == {"FOOD": 2, "HYG": 1}
    r = refused("--card", cards[0], match="already received on")
    assert "collected by a proxy" in r.stderr and rid in r.stderr and PROXY not in r.stderr
    first = json.loads(r.stdout)["already"]  # the desk's screen shows who collected, by name
    assert first["receipt"] == rid and first["collector"] == "proxy" and first["proxy_name"] == PROXY
    r = cli("distribute", "void", "--profile", p, "--receipt", rid, "--reason", "test void", env=ENV)
    assert r.returncode == 0 and "voided" in r.stdout, r.stderr
    out = tmp_path / "out" / "report.xlsx"
    out.parent.mkdir()
    r = cli("round", "report", "--profile", p, "--round", "R-2026-12", "--out", str(out), "--lang", "uk", env=ENV)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    import openpyxl

    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]][:3] == ["розділ", "область", "район"]
    assert [c.value for c in sheet[2]][:2] == ["#meta+section", "#adm1+name"]
    r = cli("round", "report", "--profile", p, "--round", "R-2026-12", "--out", str(tmp_path / "p" / "r.csv"), env=ENV)
    assert r.returncode == 1 and "outside the profile" in r.stderr
    store = Store.open(tmp_path / "p")
    store.unlock(PASSPHRASE)
    assert any(e.action == "round_report|R-2026-12|xlsx" for e in store.audit_entries())
    store.close()
    # The canary scan: the proxy's name and document never reach the disk in plaintext.
    assert [h for h in scan(tmp_path / "p") if "Канар" in h or "Проксі" in h] == []
    for path in (tmp_path / "p").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PROXY.encode() not in data and PROXY_DOC.encode() not in data, path
    assert PROXY not in out.read_bytes().decode("latin-1")


def test_a_usb_import_and_the_hubs_push_run_the_domain_check(make_store, hub, tmp_path):
    from sync_helpers import HubTransport

    a = SyncClient(make_store("a"), transport=HubTransport(hub))
    b = SyncClient(make_store("b"), transport=HubTransport(hub))
    a.enroll("http://hub", hub.new_enroll_code("north"))
    b.enroll("http://hub", hub.new_enroll_code("north"))
    receipts.ensure_indexes(a.store)
    hid = a.store.save_record("household", {**HOUSEHOLDS[0], "card_code": "X"})
    a.sync_now()
    b.sync_now()
    for laptop in (a, b):
        receipts.ensure_indexes(laptop.store)
        publish_to(laptop.store, ROUND)
    ra, _ = receipts.record_receipt(a.store, rounds.held_round(a.store, "R-2026-12"), a.store.get_record(hid), team="north")
    rb, _ = receipts.record_receipt(b.store, rounds.held_round(b.store, "R-2026-12"), b.store.get_record(hid), team="north")
    # B's bundle goes to the hub by USB; A imports the hub's return bundle by USB.
    b.export_bundle(tmp_path / "b.fbb")
    hub.receive((tmp_path / "b.fbb").read_bytes())
    assert hub.domain_reviews() == [] and rb in hub.records()  # one receipt: not a double yet
    a.sync_now()
    [item] = hub.domain_reviews()
    assert sorted(item["receipts"]) == sorted([ra, rb])
    out = tmp_path / "reply.fbb"
    out.write_bytes(hub.reply_bundle(b.store.device_id)[0])
    b.import_bundle(out)
    assert [i["key"] for i in b.store.domain_reviews()] == [item["key"]]


def test_the_self_test_step_plays_a_small_distribution_day():
    from distributions import desk_cli

    lines = []
    desk_cli.self_test(lines.append)
    assert len(lines) == 1 and "a double found and voided" in lines[0] and "no name on disk" in lines[0]
