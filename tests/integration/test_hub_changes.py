"""Changes made at the hub, over a real server on SQLite and PostgreSQL, with real laptop stores:
a conflict two laptops made is resolved once at the hub (command line or console) and closes on
both laptops at their next sync; an edit made in the console reaches the laptops."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from console_helpers import Browser, add_user
from sync.client import SyncClient

HH = "household_needs"


@pytest.fixture
def enrolled(make_store, live):
    def make(name: str, team: str = "north") -> SyncClient:
        client = SyncClient(make_store(name))
        client.enroll(live.url, live.hub.new_enroll_code(team))
        return client
    return make


def _two_laptops_disagree(enrolled):
    a, b = enrolled("a"), enrolled("b")
    rid = a.store.save_record("submission", {"consent": "yes", "settlement": "Synthivka", "hh_size": 4},
                              form_id=HH, form_version="2026.11.1")
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"hh_size": 5})
    b.store.edit_record(rid, {"hh_size": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    assert len(a.store.conflicts()) == len(b.store.conflicts()) == 1
    return a, b, rid


def _server_args(live):
    args = ["--data", str(live.hub.settings.data_dir)]
    if live.hub.settings.db_url:
        args += ["--db", live.hub.settings.db_url]
    return args


@pytest.mark.parametrize("how", ["--restore", "--keep"])
def test_a_conflict_resolved_with_server_resolve_closes_on_both_laptops(enrolled, live, cli, how):
    a, b, rid = _two_laptops_disagree(enrolled)
    [c] = live.hub.conflicts()
    winner = live.hub.records()[rid]["fields"]["hh_size"]
    out = cli("server", "resolve", *_server_args(live), str(c["id"]), how)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[0])["conflict"] == c["id"] and "next sync" in out.stderr
    assert live.hub.conflicts() == []
    a.sync_now(); b.sync_now()
    want = c["value"] if how == "--restore" else winner
    for laptop in (a, b):
        assert laptop.store.conflicts() == []
        [closed] = laptop.store.conflicts(include_resolved=True)
        assert closed.resolution == ("restored" if how == "--restore" else "kept")
        assert laptop.store.get_record(rid).fields["hh_size"] == want
        assert laptop.store.verify().ok
    again = cli("server", "resolve", *_server_args(live), str(c["id"]), "--keep")
    assert again.returncode != 0 and "already resolved" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_a_bad_conflict_id_is_refused_in_one_line(live, cli):
    out = cli("server", "resolve", *_server_args(live), "4242", "--keep")
    assert out.returncode != 0 and "no conflict 4242" in out.stderr and "Traceback" not in out.stderr


# --- the console: data cleaning and the Review page ------------------------------------------
def test_an_edit_in_the_console_is_checked_audited_and_reaches_the_laptops(enrolled, live):
    a, b = enrolled("a"), enrolled("b")
    rid = a.store.save_record("submission", {"consent": "yes", "settlement": "Synthivka", "hh_size": 4,
                                             "priority_needs": "food"}, form_id=HH, form_version="2026.11.1")
    a.sync_now(); b.sync_now()
    add_user(live.hub, "lead-north", "lead", ["north"])
    add_user(live.hub, "viewer-north", "viewer", ["north"])
    lead = Browser(live.url)
    lead.login("lead-north")
    page = lead.get(f"/console/records/{rid}")[2]
    assert 'id="edit-form"' in page
    form = {"csrf": lead.csrf(page), "present.settlement": "1", "a.settlement": "Vyhadanivka", "present.hh_size": "1",
            "a.hh_size": "40"}
    # a value the form's constraint refuses: nothing is saved, the reason is shown
    status, _, refused = lead.post(f"/console/records/{rid}/edit", form)
    assert status == 400 and "Nothing was saved." in refused
    assert live.hub.records()[rid]["fields"]["settlement"] == "Synthivka"
    # without the CSRF token: refused
    assert lead.post(f"/console/records/{rid}/edit", {**form, "csrf": "", "a.hh_size": "5"})[0] == 403
    status, url, shown = lead.post(f"/console/records/{rid}/edit", {**form, "a.hh_size": "5"})
    assert status == 200 and url.endswith("done=edited") and "Saved." in shown
    assert live.hub.records()[rid]["fields"] == {"consent": "yes", "settlement": "Vyhadanivka", "hh_size": 5,
                                                "priority_needs": "food"}
    history = shown[shown.index('id="history"'):]
    assert "at the hub" in history and "lead-north" in history
    assert [(ev, actor) for ev, actor in live.hub.db.execute("SELECT event, actor FROM events WHERE event = 'hub_edit'")] == [
        ("hub_edit", "lead-north")]
    a.sync_now(); b.sync_now()
    for laptop in (a, b):
        assert laptop.store.get_record(rid).fields["settlement"] == "Vyhadanivka"
        assert laptop.store.get_record(rid).fields["hh_size"] == 5
    # a viewer may not edit
    viewer = Browser(live.url)
    viewer.login("viewer-north")
    page = viewer.get(f"/console/records/{rid}")[2]
    assert 'id="edit-form"' not in page
    assert viewer.post(f"/console/records/{rid}/edit", {**form, "csrf": viewer.csrf(page), "a.hh_size": "6"})[0] == 403


def test_the_review_page_resolves_in_bulk_and_both_laptops_close_the_conflicts(enrolled, live):
    a, b = enrolled("a"), enrolled("b")
    ids = [a.store.save_record("submission", {"consent": "yes", "settlement": f"Synthville {i}", "hh_size": 4},
                               form_id=HH, form_version="2026.11.1") for i in range(3)]
    a.sync_now(); b.sync_now()
    for rid in ids:
        a.store.edit_record(rid, {"hh_size": 5})
        b.store.edit_record(rid, {"hh_size": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    assert len(a.store.conflicts()) == len(b.store.conflicts()) == 3
    add_user(live.hub, "lead-north", "lead", ["north"])
    add_user(live.hub, "lead-south", "lead", ["south"])
    lead = Browser(live.url)
    lead.login("lead-north")
    page = lead.get("/console/review")[2]
    assert 'id="open-count">3<' in page and "How many people live in the household" in page  # the label, not the name
    assert a.store.device_id in page and b.store.device_id in page  # who made each value
    overview = lead.get("/console/")[2]
    card = overview[overview.index("Open conflicts: 3"):]
    card = card[:card.index("</section>")]
    # the question's label and the form's title, not the field's name and the form's id
    assert "How many people live in the household" in card and "Household needs assessment" in card
    assert ">hh_size<" not in card and f">{HH}<" not in card
    conflicts = live.hub.conflicts()
    first, rest = conflicts[0], conflicts[1:]
    # one, with its own button: restore the lost value
    status, url, page = lead.post("/console/review/resolve", {"csrf": lead.csrf(page), "one": f"{first['id']}:restore"})
    assert status == 200 and "1 conflict(s) closed" in page and 'id="open-count">2<' in page
    # a lead of another team may not decide for this one
    other = Browser(live.url)
    other.login("lead-south")
    other_page = other.get("/console/review")[2]
    assert "No open conflicts." in other_page
    assert other.post("/console/review/resolve", {"csrf": other.csrf(other_page), "action": "keep",
                                                  "conflict": str(rest[0]["id"])})[0] == 403
    # the rest in bulk: keep the current values
    body = [("csrf", lead.csrf(page)), ("action", "keep")] + [("conflict", str(c["id"])) for c in rest]
    status, _, content, _ = lead.request("POST", "/console/review/resolve", raw=urllib.parse.urlencode(body).encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and "No open conflicts." in content.decode()
    assert live.hub.conflicts() == []
    assert "Open conflicts: 0" in lead.get("/console/")[2]  # closed ones are not counted as open
    a.sync_now(); b.sync_now()
    for laptop in (a, b):
        assert laptop.store.conflicts() == []
        assert sorted(c.resolution for c in laptop.store.conflicts(include_resolved=True)) == ["kept", "kept", "restored"]
        assert laptop.store.get_record(first["record_id"]).fields["hh_size"] == first["value"]
    assert a.store.get_record(rest[0]["record_id"]).fields == b.store.get_record(rest[0]["record_id"]).fields
    assert [actor for ev, actor in live.hub.db.execute("SELECT event, actor FROM events ORDER BY id")
            if ev.startswith("conflict_")] == ["lead-north"] * 3
