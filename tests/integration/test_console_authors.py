"""The console names the person behind a laptop's change (the change's sealed author, sync.md
"Changes"), next to the laptop, in a record's history and in conflict review: to the team's
leads and administrators; a viewer sees the laptop only (SQLite and PostgreSQL)."""
from __future__ import annotations

import html

from console_helpers import Browser, add_user
from sync.client import SyncClient

HH = "household_needs"


def test_leads_see_who_made_each_change_viewers_see_the_laptop(make_store, live):
    def laptop(name, user):
        client = SyncClient(make_store(name, user=user))
        client.enroll(live.url, live.hub.new_enroll_code("north"))
        return client

    a, b = laptop("a", "Olha Synthetic"), laptop("b", "Petro Synthetic")
    rid = a.store.save_record("submission", {"consent": "yes", "settlement": "Synthivka", "hh_size": 4},
                              form_id=HH, form_version="2026.11.1")
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"hh_size": 5})
    b.store.edit_record(rid, {"hh_size": 6})
    a.sync_now(); b.sync_now()
    add_user(live.hub, "lead-north", "lead", ["north"])
    add_user(live.hub, "viewer-north", "viewer", ["north"])
    lead, viewer = Browser(live.url), Browser(live.url)
    lead.login("lead-north")
    viewer.login("viewer-north")

    page = html.unescape(lead.get("/console/review")[2])
    assert "Olha Synthetic" in page and "Petro Synthetic" in page  # both values' people
    assert a.store.device_id in page and b.store.device_id in page  # next to their laptops
    history = html.unescape(lead.get(f"/console/records/{rid}")[2])
    history = history[history.index('id="history"'):]
    assert history.count("Olha Synthetic") == 2 and history.count("Petro Synthetic") == 1

    for path in ("/console/review", f"/console/records/{rid}"):
        page = viewer.get(path)[2]
        assert "Synthetic" not in html.unescape(page) and a.store.device_id in page
