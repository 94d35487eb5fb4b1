"""Exports with progress in the console: started in the background, watched, downloaded once, audited."""
from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl

from console_helpers import Browser, add_device, add_user, submit

HH = "household_needs"


def _wait_done(b: Browser, path: str) -> str:
    for _ in range(300):
        status, _, page = b.get(path)
        assert status == 200
        if 'data-state="running"' not in page:
            return page
        assert '<meta http-equiv="refresh" content="2">' in page  # the page polls by itself while it runs
        time.sleep(0.1)
    raise AssertionError("the export never finished")


def test_an_export_runs_in_the_background_and_is_downloaded_once(live):
    hub = live.hub
    # a device of its own: the helpers number each device's changes per test process, and other
    # tests push a change with a fixed sequence number for "dev-n"
    add_device(hub, "dev-bulk", "north")
    add_device(hub, "dev-s", "south")
    submit(hub, "dev-bulk", "north", [{"consent": "yes", "hh_size": i, "members": [{"member_age": 30}]} for i in range(2500)])
    submit(hub, "dev-s", "south", [{"consent": "yes", "hh_size": 3}])
    add_user(hub, "lead1", "lead", ["north"])
    add_user(hub, "other", "lead", ["north"])
    b = Browser(live.url)
    b.login("lead1")
    b.get(f"/console/data/{HH}")
    status, url, page = b.post(f"/console/data/{HH}/export", {"format": "xlsx", "lang": "", "csrf": b.csrf()})
    assert status == 200 and "/console/exports/" in url
    job = url.rsplit("/", 1)[1]
    page = _wait_done(b, f"/console/exports/{job}")
    assert 'data-state="done"' in page and "2500 / 2500" in page and "100%" in page
    # another user cannot see or take it
    o = Browser(live.url)
    o.login("other")
    assert o.request("GET", f"/console/exports/{job}/file")[0] == 404
    status, _, content, headers = b.request("GET", f"/console/exports/{job}/file")
    assert status == 200 and headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(wb[HH].iter_rows(values_only=True))
    id_col = rows[0].index("_id")
    assert wb.sheetnames == [HH, "members"] and len({r[id_col] for r in rows[1:] if len(r) > id_col and r[id_col] and len(r[id_col]) == 36}) == 2500
    wb.close()
    assert b.request("GET", f"/console/exports/{job}/file")[0] == 404  # once
    time.sleep(0.3)
    assert not (hub.settings.data_dir / "exports-in-progress" / job).exists()
    events = [e for e, a in hub.db.execute("SELECT event, actor FROM events WHERE actor = 'lead1' ORDER BY id")]
    assert [e for e in events if e.startswith("export")] == ["export_started", "export", "export_download"]

    # csv with a repeat is one zip; a bad request changes nothing
    b.get(f"/console/data/{HH}")
    status, url, _ = b.post(f"/console/data/{HH}/export", {"format": "csv", "csrf": b.csrf()})
    _wait_done(b, url[len(live.url):])
    status, _, content, _ = b.request("GET", url[len(live.url):] + "/file")
    assert sorted(zipfile.ZipFile(io.BytesIO(content)).namelist()) == [f"{HH}-members.csv", f"{HH}.csv"]
    jobs_before = hub.db.execute("SELECT count(*) FROM export_jobs")[0][0]
    for data, status_ in (({"format": "xlsx"}, 403), ({"format": "pdf", "csrf": b.csrf()}, 400),
                          ({"format": "xlsx", "team": "south", "csrf": b.csrf()}, 403),
                          ({"format": "xlsx", "lang": "fr", "csrf": b.csrf()}, 400)):
        assert b.request("POST", f"/console/data/{HH}/export", data)[0] == status_, data
    assert hub.db.execute("SELECT count(*) FROM export_jobs")[0][0] == jobs_before
    assert b.request("GET", "/console/exports/nosuchjob")[0] == 404
    assert re.fullmatch(r"[a-z0-9]{20}", job)


def test_an_export_whose_server_stopped_says_so(live):
    hub = live.hub
    add_user(hub, "lead1", "lead", ["north"])
    b = Browser(live.url)
    b.login("lead1")
    # a job left 'running' by a server process that stopped: its heartbeat is old
    old = int(time.time() * 1000) - 3600_000
    hub.db.execute("INSERT INTO export_jobs (job_id, user_name, form_id, fmt, detail, state, done, total, started_at, heartbeat) "
                   "VALUES ('abcdefghij0123456789', 'lead1', ?, 'xlsx', 'teams north', 'running', 10, 100, ?, ?)", (HH, old, old))
    status, _, page = b.get("/console/exports/abcdefghij0123456789")
    assert status == 200 and 'data-state="failed"' in page and "start it again" in page and "http-equiv" not in page
    assert hub.db.execute("SELECT state FROM export_jobs")[0][0] == "failed"


def test_the_registration_form_is_not_offered_for_export_and_says_where_its_households_are(live):
    """It stores households, never submissions: the data list offered it and its export was empty."""
    add_user(live.hub, "reglead", "lead", ["north"])
    b = Browser(live.url)
    b.login("reglead")
    status, _, page = b.get("/console/data")
    assert status == 200 and HH in page and "household_registration" not in page
    status, _, page = b.get("/console/data/household_registration")
    assert status == 404 and "This form registers households" in page and "Review page" in page
    b.get(f"/console/data/{HH}")
    status, _, page = b.post("/console/data/household_registration/export",
                             {"format": "csv", "lang": "", "csrf": b.csrf()})
    assert status == 404 and "This form registers households" in page
    status, _, page = b.get("/console/data/household_registration/export?format=csv")
    assert status == 404
