"""Sensitive answers in the hub console, over a real server (SQLite and PostgreSQL): masked for
everyone, revealed on request (POST with CSRF) by an admin or a lead of the team and audited,
never shown to a viewer, never matched by a viewer's filter, left out of viewers' exports."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest

from console_helpers import PROTECTION, Browser, add_device, add_user, publish_sensitive_form, submit

CONCERN = "Synthetic concern kv7q"
PHONE = "+380 67 000 12 34"


@pytest.fixture
def seeded(live, tmp_path):
    hub = live.hub
    publish_sensitive_form(hub, tmp_path)
    add_device(hub, "dev-north-1", "north")
    add_device(hub, "dev-south-1", "south")
    north = submit(hub, "dev-north-1", "north", [
        {"consent": "yes", "settlement": "Synthivka", "hh_size": 3, "needs": "food water", "concern": CONCERN, "phone": PHONE}],
        form_id=PROTECTION)
    south = submit(hub, "dev-south-1", "south", [
        {"consent": "yes", "settlement": "Southtown", "hh_size": 2, "concern": "Other synthetic concern"}], form_id=PROTECTION)
    add_user(hub, "admin1", "admin")
    add_user(hub, "lead-north", "lead", ["north"])
    add_user(hub, "lead-south", "lead", ["south"])
    add_user(hub, "viewer-north", "viewer", ["north"])
    return {"north": north[0], "south": south[0]}


def events(hub, event):
    return [(actor, detail) for ev, actor, detail in hub.db.execute("SELECT event, actor, detail FROM events ORDER BY id") if ev == event]


def test_sensitive_answers_are_masked_for_everyone_until_revealed(live, seeded):
    rid = seeded["north"]
    for name in ("viewer-north", "lead-north", "admin1"):
        b = Browser(live.url)
        b.login(name)
        table = b.get(f"/console/data/{PROTECTION}")[2]
        assert "Synthivka" in table and CONCERN not in table and "••••••" in table
        page = b.get(f"/console/records/{rid}")[2]
        assert "Synthivka" in page and CONCERN not in page and PHONE not in page
        assert ('id="reveal"' in page) == (name != "viewer-north")


def test_a_lead_of_the_team_reveals_on_request_and_each_reveal_is_audited(live, seeded):
    rid = seeded["north"]
    b = Browser(live.url)
    b.login("lead-north")
    page = b.get(f"/console/records/{rid}")[2]
    status, url, shown = b.post(f"/console/records/{rid}/reveal", {"csrf": b.csrf(page)})
    assert status == 200 and CONCERN in shown and PHONE in shown and url.endswith(f"/records/{rid}/reveal")
    assert events(live.hub, "sensitive_revealed") == [("lead-north", f"{rid}: concern, phone")]
    b.post(f"/console/records/{rid}/reveal", {"csrf": b.csrf(page)})
    assert len(events(live.hub, "sensitive_revealed")) == 2  # every reveal, not the first only
    # the revealed page is not kept: the next view is masked again
    assert CONCERN not in b.get(f"/console/records/{rid}")[2]
    # no CSRF token: refused, nothing shown, nothing audited as a reveal
    status, _, refused = b.post(f"/console/records/{rid}/reveal", {})
    assert status == 403 and CONCERN not in refused and len(events(live.hub, "sensitive_revealed")) == 2


def test_who_may_not_reveal_is_refused(live, seeded):
    viewer = Browser(live.url)
    viewer.login("viewer-north")
    page = viewer.get(f"/console/records/{seeded['north']}")[2]
    status, _, refused = viewer.post(f"/console/records/{seeded['north']}/reveal", {"csrf": viewer.csrf(page)})
    assert status == 403 and CONCERN not in refused
    lead = Browser(live.url)
    lead.login("lead-south")  # a lead, but of another team
    page = lead.get(f"/console/data/{PROTECTION}")[2]
    status, _, refused = lead.post(f"/console/records/{seeded['north']}/reveal", {"csrf": lead.csrf(page)})
    assert status == 403 and CONCERN not in refused
    assert events(live.hub, "sensitive_revealed") == []


def test_a_viewer_cannot_filter_on_a_sensitive_answer(live, seeded):
    viewer = Browser(live.url)
    viewer.login("viewer-north")
    page = viewer.get(f"/console/data/{PROTECTION}")[2]
    filter_form = page[page.index('id="answer-filter"'):page.index("</form>", page.index('id="answer-filter"'))]
    assert 'value="settlement"' in filter_form and 'value="concern"' not in filter_form
    status, _, refused = viewer.post(f"/console/data/{PROTECTION}/filter", {"csrf": viewer.csrf(page), "field": "concern",
                                                                           "value": CONCERN})
    assert status == 403
    # nor by reusing the URL of a lead's filter
    lead = Browser(live.url)
    lead.login("lead-north")
    page = lead.get(f"/console/data/{PROTECTION}")[2]
    status, url, found = lead.post(f"/console/data/{PROTECTION}/filter", {"csrf": lead.csrf(page), "field": "concern",
                                                                         "value": CONCERN.upper()})
    assert status == 200 and len(re.findall("record-link", found)) == 1
    assert viewer.get(url.replace(live.url, ""))[0] == 403


def _sheet(content: bytes) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [tuple(r) for r in wb[PROTECTION].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_exports_for_viewers_leave_sensitive_answers_out(live, seeded):
    viewer = Browser(live.url)
    viewer.login("viewer-north")
    page = viewer.get(f"/console/data/{PROTECTION}")[2]
    assert 'id="x-sensitive"' not in page and "Sensitive answers are left out." in page
    status, _, content, _ = viewer.request("GET", f"/console/data/{PROTECTION}/export?format=xlsx")
    rows = _sheet(content)
    assert status == 200 and "settlement" in rows[0] and not any("concern" in h or "phone" in h for h in rows[0])
    assert CONCERN not in str(rows) and PHONE not in str(rows)
    status, _, _, _ = viewer.request("GET", f"/console/data/{PROTECTION}/export?format=xlsx&sensitive_answers=1")
    assert status == 403
    # an admin's export leaves them out too, unless asked for; either way audited as such
    admin = Browser(live.url)
    admin.login("admin1")
    assert "concern" not in _sheet(admin.request("GET", f"/console/data/{PROTECTION}/export?format=xlsx")[2])[0]
    rows = _sheet(admin.request("GET", f"/console/data/{PROTECTION}/export?format=xlsx&sensitive_answers=1")[2])
    assert "concern" in rows[0] and "contact/phone" in rows[0] and CONCERN in str(rows) and PHONE in str(rows)
    details = [d for a, d in events(live.hub, "export")]
    assert details[-3].endswith("sensitive answers left out") and details[-2].endswith("sensitive answers left out")
    assert details[-1].endswith("with sensitive answers")


def test_server_export_leaves_sensitive_answers_out_unless_asked(live, seeded, cli, tmp_path):
    args = ["--data", str(live.hub.settings.data_dir)] + (["--db", live.hub.settings.db_url] if live.hub.settings.db_url else [])
    out = tmp_path / "plain.xlsx"
    run = cli("server", "export", *args, "--form", PROTECTION, "--format", "xlsx", "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = _sheet(out.read_bytes())
    assert "concern" not in rows[0] and CONCERN not in str(rows) and len(rows) == 3
    full = tmp_path / "full.xlsx"
    run = cli("server", "export", *args, "--form", PROTECTION, "--format", "xlsx", "--out", str(full), "--with-sensitive")
    assert run.returncode == 0 and CONCERN in str(_sheet(full.read_bytes()))
