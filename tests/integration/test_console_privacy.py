"""Canary scan of the hub console and the analyst API: after signing in, browsing, filtering on a
personal answer, refusals, bad requests, exports (direct and in the background), reading the
OData feed, CSV and JSON with a token (refused ones too), an edit at the hub, a refused edit
and a conflict resolved at the hub, no personal value is in the server's data folder
(database, WAL, log file), its access log, its events or its error pages."""
from __future__ import annotations

import base64
import logging
import time

import requests

from console_helpers import Browser, add_device, add_user, edit, submit
from sync.server.cli import _attach_log
from tests.unit.test_privacy import CANARIES, _needles, scan

HH = "household_needs"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_console_writes_no_personal_value(live, tmp_path):
    hub = live.hub
    data_dir = hub.settings.data_dir
    _attach_log(data_dir)
    access = Collect()
    for name in ("uvicorn.access", "uvicorn.error", "fieldbook"):
        logger = logging.getLogger(name)
        logger.addHandler(access)
        logger.setLevel(logging.DEBUG)
    live.server.config.access_log = True
    add_device(hub, "dev-1", "north")
    add_device(hub, "dev-2", "south")
    rid = submit(hub, "dev-1", "north", [{"consent": "yes", "settlement": CANARIES[1], "phone": CANARIES[2],
                                          "comments": CANARIES[0]}])[0]
    south = submit(hub, "dev-2", "south", [{"consent": "yes", "settlement": CANARIES[3], "comments": CANARIES[4]}])[0]
    add_user(hub, "admin1", "admin")
    add_user(hub, "viewer1", "viewer", ["north"])

    pages: list[bytes] = []
    b = Browser(live.url)
    b.login("admin1")
    for path in ("/console/", "/console/data", f"/console/data/{HH}", f"/console/records/{rid}"):
        status, _, page = b.get(path)
        assert status == 200
    assert CANARIES[1] in b.last  # the record's page does show it, to a user who may see it
    b.get(f"/console/data/{HH}")
    status, url, page = b.post(f"/console/data/{HH}/filter", {"field": "phone", "value": CANARIES[2], "csrf": b.csrf()})
    assert status == 200 and page.count("record-link") == 1
    status, _, content, _ = b.request("GET", f"/console/data/{HH}/export?format=xlsx")
    assert status == 200
    # an edit at the hub with a personal value, one the form refuses, a conflict decided at the hub
    page = b.get(f"/console/records/{rid}")[2]
    status, url, page = b.post(f"/console/records/{rid}/edit", {"csrf": b.csrf(page), "present.settlement": "1",
                                                               "a.settlement": CANARIES[3]})
    assert status == 200 and url.endswith("done=edited")
    status, _, page = b.post(f"/console/records/{rid}/edit", {"csrf": b.csrf(page), "present.hh_size": "1",
                                                             "a.hh_size": CANARIES[2]})
    assert status == 400 and "Nothing was saved." in page
    edit(hub, "dev-1", "north", rid, {"settlement": CANARIES[1]})  # loses to the hub's edit: a conflict
    page = b.get("/console/review")[2]
    [conflict] = hub.conflicts()
    status, _, page = b.post("/console/review/resolve", {"csrf": b.csrf(page), "one": f"{conflict['id']}:restore"})
    assert status == 200 and hub.conflicts() == []
    # refusals and bad requests: their pages must not repeat what was posted (a URL the console
    # never makes with a value in it stays out: what a client puts in a URL is its own doing)
    for method, path, data in (
        ("POST", f"/console/data/{HH}/filter", {"field": "phone", "value": CANARIES[0]}),              # no CSRF
        ("POST", f"/console/data/{HH}/filter", {"field": CANARIES[0], "value": CANARIES[2], "csrf": b.csrf()}),  # no such question
        ("GET", f"/console/data/{HH}?date_from=14.03.1975", None),
        ("GET", f"/console/data/{HH}?after=not-a-key", None),
        ("GET", "/console/records/no-such-record", None),
        ("GET", "/console/data/no_such_form", None),
        ("POST", "/console/devices/enroll-code", {"team": CANARIES[0], "hours": "1", "csrf": b.csrf()}),
    ):
        status, _, content, _ = b.request(method, path, data)
        assert status in (400, 403, 404), (path, status)
        pages.append(content)
    v = Browser(live.url)
    v.login("viewer1")
    for path in (f"/console/records/{south}", f"/console/data/{HH}/export?format=csv&team=south"):
        status, _, content, _ = v.request("GET", path)
        assert status == 403
        pages.append(content)
    status, _, page = Browser(live.url).login(CANARIES[0], CANARIES[2])  # a name and a password that are personal values
    assert status == 401
    pages.append(page.encode())

    # an export in the background: started, watched, downloaded
    b.get(f"/console/data/{HH}")
    status, job_url, page = b.post(f"/console/data/{HH}/export", {"format": "csv", "csrf": b.csrf()})
    assert status == 200 and "/console/exports/" in job_url
    for _ in range(100):
        status, _, page = b.get(job_url[len(live.url):])
        if 'data-state="done"' in page:
            break
        time.sleep(0.1)
    status, _, content, _ = b.request("GET", job_url[len(live.url):] + "/file")
    assert status == 200 and content[:2] == b"PK"  # csv with a repeat: a zip of the two files
    # the analyst API: the feed, CSV, JSON, and refusals whose credentials and queries hold personal values
    b.get("/console/tokens")
    status, _, page = b.post("/console/tokens", {"name": "bi", "teams": "north", "forms": HH, "days": "1", "csrf": b.csrf()})
    token = page.split('id="token-value">', 1)[1].split("<", 1)[0]
    api = f"{live.url}/api/v1/forms/{HH}"
    auth = {"Authorization": f"Bearer {token}"}
    got = requests.get(api + ".svc/Submissions", headers=auth, timeout=30)
    # the feed serves the record's personal values as they stand after the hub's edits
    assert got.status_code == 200 and hub.records()[rid]["fields"]["settlement"] in got.text
    for path in (".svc", ".svc/$metadata", ".svc/Submissions.members", ".svc/Submissions/$count", "/submissions.csv",
                 "/submissions.json"):
        assert requests.get(api + path, headers=auth, timeout=30).status_code == 200, path
    basic = base64.b64encode(f"{CANARIES[0]}:{CANARIES[2]}".encode()).decode()
    for headers, params, path in (
        ({"Authorization": f"Basic {basic}"}, None, ".svc/Submissions"),              # a personal value as credentials
        ({"Authorization": f"Bearer {CANARIES[4]}"}, None, ".svc/Submissions"),
        (auth, {"$filter": f"assessment_followup_phone eq '{CANARIES[2]}'"}, ".svc/Submissions"),
        (auth, {"$select": CANARIES[0]}, ".svc/Submissions"),
        (auth, {"$skiptoken": "x" * 20}, ".svc/Submissions"),
        (auth, {"since": CANARIES[3]}, "/submissions.csv"),
        (auth, {"team": "south"}, "/submissions.json"),
        ({}, None, f".svc/{CANARIES[0]}"),                                           # a value in the path, no token
        (auth, None, f".svc/{CANARIES[0]}"),
    ):
        r = requests.get(api + path, headers=headers, params=params, timeout=30)
        assert r.status_code in (400, 401, 403, 404, 501), (path, r.status_code)
        pages.append(r.content)

    time.sleep(0.3)  # the export's spool folder is emptied just after the response
    logger = logging.getLogger("fieldbook")
    for h in list(logger.handlers):
        h.flush()
        if str(getattr(h, "baseFilename", "")).startswith(str(data_dir)):
            h.close()
            logger.removeHandler(h)
    for name in ("uvicorn.access", "uvicorn.error", "fieldbook"):
        logging.getLogger(name).removeHandler(access)
    assert (data_dir / "logs" / "server.log").exists()
    assert any("GET /console/data/household_needs?field=phone&match=" in line for line in access.lines)  # it did log
    assert any("/api/v1/forms/household_needs.svc/Submissions" in line for line in access.lines)
    needles = _needles()
    # The access log does hold what a client itself put in a URL (the requests above that carry
    # a value on purpose); everything else in it, and every answer, must hold none.
    client_urls = ("%24filter=assessment_followup_phone", "%24select=", "?since=", ".svc/Zqxcanary")
    logged = [line for line in access.lines if not any(u in line for u in client_urls)]
    assert len(logged) < len(access.lines)
    hits = [n[:12] for n in needles for blob in [*pages, "\n".join(logged).encode()] if n in blob]
    assert hits == []
    events = "\n".join(str(r) for r in hub.db.execute("SELECT * FROM events")).encode()
    assert [n for n in needles if n in events] == []
    assert scan(data_dir) == []
    # control: the scan does see a canary when one is there
    (tmp_path / "control.txt").write_text(CANARIES[1])
    assert scan(tmp_path)
