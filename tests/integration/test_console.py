"""The hub console over a real server on 127.0.0.1, on SQLite and PostgreSQL: web accounts,
sessions, CSRF, team scope, the data table, a record's history, exports, USB, the audit log."""
from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile

import openpyxl
import pytest

from console_helpers import PASSWORD, Browser, add_device, add_user, edit, submit
from sync.server.console import auth

HH = "household_needs"


def console_of(live):
    return live.server.config.app.state.console


def set_console(live, **changes):
    c = console_of(live)
    c.settings = dataclasses.replace(c.settings, **changes)


def events(hub, event=None):
    rows = hub.db.execute("SELECT event, actor, device_id, detail FROM events ORDER BY id")
    return [r for r in rows if event is None or r[0] == event]


@pytest.fixture
def seeded(live):
    """Two teams, a device each, north's submissions, a south one, an admin, a north viewer and a north lead."""
    hub = live.hub
    add_device(hub, "dev-north-1", "north")
    add_device(hub, "dev-south-1", "south")
    north = submit(hub, "dev-north-1", "north", [
        {"consent": "yes", "settlement": f"Synthville {i}", "hh_size": 1 + i % 7, "oblast": "UA63",
         "priority_needs": "food water" if i % 2 else "heating", "members": [{"member_age": 30 + i % 50, "member_sex": "female"}]}
        for i in range(120)])
    south = submit(hub, "dev-south-1", "south", [{"consent": "no", "settlement": "Southtown", "hh_size": 2}],
                   at_ms=int(time.time() * 1000) + 2000)  # the newest
    add_user(hub, "admin1", "admin")
    add_user(hub, "viewer-north", "viewer", ["north"])
    add_user(hub, "lead-north", "lead", ["north"])
    return {"north": north, "south": south}


# --- accounts, sessions, refusals ---------------------------------------------------------
def test_sign_in_sets_a_strict_http_only_cookie_and_stores_only_its_hash(live, seeded):
    b = Browser(live.url)
    status, url, page = b.get("/console/")
    assert url.endswith("/console/login?next=%2Fconsole%2F") and 'name="password"' in page  # no session: the sign-in page
    status, _, page = b.get("/console/login")
    login_csrf = b.csrf(page)
    status, url, page = b.post("/console/login", {"name": "admin1", "password": PASSWORD, "csrf": login_csrf, "next": "/console/"})
    assert status == 200 and url.endswith("/console/") and 'id="who">admin1<' in page
    token = b.cookie("fieldbook_session")
    assert token
    stored = [r[0] for r in live.hub.db.execute("SELECT token_hash FROM web_sessions")]
    assert token not in stored and len(stored) == 1 and all(len(s) == 64 for s in stored)
    assert ("web_login", "admin1", None, None) in events(live.hub)


def test_session_cookie_flags(live, seeded):
    import http.client
    from urllib.parse import urlencode, urlparse

    u = urlparse(live.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", "/console/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    login_cookie = resp.getheader("set-cookie")
    assert "HttpOnly" in login_cookie and "SameSite=strict" in login_cookie.replace("Strict", "strict")
    value = login_cookie.split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    conn.request("POST", "/console/login", urlencode({"name": "admin1", "password": PASSWORD, "csrf": csrf}),
                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": value})
    resp = conn.getresponse()
    resp.read()
    session = [v for k, v in resp.getheaders() if k.lower() == "set-cookie" and v.startswith("fieldbook_session=")][0]
    assert resp.status == 303
    flags = {p.strip().lower() for p in session.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= flags
    assert not any(f.startswith(("max-age", "expires")) for f in flags)  # a browser-session cookie; the server ends it when idle
    conn.close()


def test_wrong_password_is_slowed_then_locked_out_and_passwd_lifts_it(live, seeded, cli):
    set_console(live, failure_delay_s=0.4, max_failures=3)
    b = Browser(live.url)
    for _ in range(2):
        b.get("/console/login")
        start = time.monotonic()
        status, _, page = b.post("/console/login", {"name": "viewer-north", "password": "not the password", "csrf": b.csrf()})
        assert status == 401 and "Wrong user name or password." in page and time.monotonic() - start >= 0.4
    # an unknown name: the same answer, the same delay
    b.get("/console/login")
    start = time.monotonic()
    status, _, page = b.post("/console/login", {"name": "nobody-here", "password": "whatever", "csrf": b.csrf()})
    assert status == 401 and "Wrong user name or password." in page and time.monotonic() - start >= 0.4
    b.get("/console/login")
    b.post("/console/login", {"name": "viewer-north", "password": "still not it", "csrf": b.csrf()})  # the third in a row
    status, _, page = b.login("viewer-north")  # the right password, but locked
    assert status == 401 and "locked" in page and b.cookie("fieldbook_session") is None
    assert [r[3] for r in events(live.hub, "web_login_refused")][-1] == "locked for user viewer-north"
    assert ("web_login_refused", None, None, "password for an unknown name") in events(live.hub)
    locked = live.hub.db.execute("SELECT locked_until FROM web_users WHERE name = 'viewer-north'")[0][0]
    assert locked > time.time() * 1000
    r = cli("server", "user", "passwd", "--data", str(live.hub.settings.data_dir), *(["--db", live.hub.settings.db_url] if live.hub.settings.db_url else []),
            "viewer-north", env={"FIELDBOOK_NEW_PASSWORD": "a new synthetic password"})
    assert r.returncode == 0, r.stderr
    status, url, page = b.login("viewer-north", "a new synthetic password")
    assert status == 200 and 'id="who">viewer-north<' in page


def test_disabled_user_cannot_sign_in_and_its_sessions_end(live, seeded):
    b = Browser(live.url)
    b.login("lead-north")
    assert b.get("/console/devices")[0] == 200
    auth.disable_user(live.hub.db, "lead-north")
    status, url, page = b.get("/console/devices")
    assert "/console/login" in url and 'name="password"' in page  # the open session ended
    status, _, page = Browser(live.url).login("lead-north")
    assert status == 401 and "This account is disabled" in page


def test_idle_session_expires(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    assert b.get("/console/data")[0] == 200
    live.hub.db.execute("UPDATE web_sessions SET last_seen = last_seen - ?", (31 * 60 * 1000,))
    status, url, page = b.get("/console/data")
    assert "/console/login?next=%2Fconsole%2Fdata&ended=1" in url and "Your session has ended" in page
    assert live.hub.db.execute("SELECT count(*) FROM web_sessions")[0][0] == 0


def test_a_form_without_its_csrf_token_changes_nothing(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    codes = live.hub.db.execute("SELECT count(*) FROM enroll_codes")[0][0]
    for sent in ({"team": "north", "hours": "2"}, {"team": "north", "hours": "2", "csrf": "0" * 64}):
        status, _, page = b.post("/console/devices/enroll-code", sent)
        assert status == 403 and "nothing was changed" in page
    status, _, page = b.post("/console/devices/dev-north-1/revoke", {"wipe": "1"})
    assert status == 403
    assert live.hub.db.execute("SELECT count(*) FROM enroll_codes")[0][0] == codes
    assert not live.hub.devices()[0]["revoked"]
    status, _, _ = b.post("/console/logout", {})
    assert status == 403 and b.get("/console/")[0] == 200  # still signed in
    # the sign-in form too: without the cookie's twin, no session
    b2 = Browser(live.url)
    status, _, page = b2.post("/console/login", {"name": "admin1", "password": PASSWORD, "csrf": "guess"})
    assert status == 403 and b2.cookie("fieldbook_session") is None
    assert len(events(live.hub, "csrf_refused")) == 4


def test_a_viewer_sees_only_their_teams(live, seeded):
    b = Browser(live.url)
    b.login("viewer-north")
    south = seeded["south"][0]
    status, _, page = b.get(f"/console/records/{south}")
    assert status == 403 and "team you do not work with" in page and "Southtown" not in page
    assert b.get(f"/console/records/{seeded['north'][0]}")[0] == 200
    status, _, content, _ = b.request("GET", f"/console/data/{HH}/export?format=csv&team=south")
    assert status == 403 and b"Southtown" not in content
    status, _, content, _ = b.request("GET", f"/console/data/{HH}/export?format=csv")
    main = zipfile.ZipFile(io.BytesIO(content)).read(f"{HH}.csv")
    assert status == 200 and b"Synthville" in main and b"Southtown" not in main
    status, _, page = b.get(f"/console/data/{HH}?team=south")
    assert status == 403
    page = b.get("/console/devices")[2]
    assert "dev-north-1" in page and "dev-south-1" not in page and "make-code" not in page  # a viewer makes no codes
    status, _, page = b.post("/console/devices/enroll-code", {"team": "north", "hours": "1", "csrf": b.csrf()})
    assert status == 403
    assert any(r[0] == "refused" and r[1] == "viewer-north" for r in events(live.hub))
    # a lead of north may make a code for north, not for south
    lead = Browser(live.url)
    lead.login("lead-north")
    lead.get("/console/devices")
    assert lead.post("/console/devices/enroll-code", {"team": "south", "hours": "1", "csrf": lead.csrf()})[0] == 403
    lead.get("/console/devices")
    status, _, page = lead.post("/console/devices/enroll-code", {"team": "north", "hours": "1", "csrf": lead.csrf()})
    assert status == 200 and re.search(r'id="enroll-code">[A-Z0-9-]+<', page) and "<svg" in page


def test_device_keys_open_no_page_and_web_accounts_do_not_sync(live, seeded):
    # A device id is not an account, and the console takes no device credentials: only its cookie.
    b = Browser(live.url)
    status, _, page = b.login("dev-north-1")
    assert status == 401
    b.login("admin1")
    status, _, content, _ = b.request("POST", "/v1/sync", raw=b"not a bundle", headers={"Content-Type": "application/octet-stream"})
    assert status == 400  # a signed-in web session is no sync credential: the bundle is refused as any would be


# --- pages -----------------------------------------------------------------------------------------
def test_data_table_pages_by_keyset_without_gaps_or_repeats(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    seen, path = [], f"/console/data/{HH}?team=north"
    while path:
        status, _, page = b.get(path)
        assert status == 200
        seen += re.findall(r'/console/records/([0-9a-f-]{36})"', page)
        m = re.search(r'href="([^"]+)" id="next-page"', page)
        path = m.group(1).replace("&amp;", "&") if m else None
    assert len(seen) == 120 and set(seen) == set(seeded["north"])
    assert seen == sorted(seen, reverse=True)  # newest first


def test_data_filters_on_team_device_date_and_an_answer(live, seeded):
    hub = live.hub
    b = Browser(live.url)
    b.login("admin1")
    page = b.get(f"/console/data/{HH}")[2]
    assert "Synthville" in page and "Southtown" in page
    assert "Southtown" not in b.get(f"/console/data/{HH}?team=north")[2]
    page = b.get(f"/console/data/{HH}?device=dev-south-1")[2]
    assert page.count("record-link") == 1 and "Southtown" in page
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert b.get(f"/console/data/{HH}?date_from={today}&date_to={today}")[2].count("record-link") == 50
    assert b.get(f"/console/data/{HH}?date_to=2001-01-01")[2].count("record-link") == 0
    assert b.get(f"/console/data/{HH}?date_from=not-a-date")[0] == 400
    b.get(f"/console/data/{HH}")
    status, url, page = b.post(f"/console/data/{HH}/filter", {"field": "settlement", "value": "  synthVILLE 7 ", "csrf": b.csrf()})
    assert status == 200 and page.count("record-link") == 1 and "Synthville 7<" in page
    assert "ynthville" not in url.lower() and "match=" in url  # the value travels as its token only
    status, url, page = b.post(f"/console/data/{HH}/filter", {"field": "priority_needs", "value": "water", "csrf": b.csrf(), "team": "north"})
    assert page.count("record-link") == 50 and "team=north" in url  # one choice of a select_multiple
    # labels in the chosen language
    b.get("/console/lang/uk?next=/console/data/" + HH)
    page = b.get(f"/console/data/{HH}?device=dev-south-1")[2]
    assert "Згода" in page or "Так" in page or "Ні" in page
    assert "Пристрій" in page  # the console's own words in Ukrainian too
    # a change made after the index caught up shows at the next view
    edit(hub, "dev-south-1", "south", seeded["south"][0], {"settlement": "Newtown"})
    assert "Newtown" in b.get(f"/console/data/{HH}?device=dev-south-1")[2]
    status, _, page = b.post(f"/console/data/{HH}/filter", {"field": "settlement", "value": "southtown", "csrf": b.csrf()})
    assert page.count("record-link") == 0  # its old value no longer matches


def test_record_view_shows_answers_and_history(live, seeded):
    hub = live.hub
    rid = seeded["north"][3]
    edit(hub, "dev-north-1", "north", rid, {"hh_size": 9})
    b = Browser(live.url)
    b.login("viewer-north")
    status, _, page = b.get(f"/console/records/{rid}")
    assert status == 200 and "Synthville 3" in page and ">9<" in page
    history = page[page.index('id="history"'):]
    assert history.count("dev-north-1 #") == 2
    assert b.get("/console/records/no-such-record")[0] == 404
    assert ("web_record_view", "viewer-north", None, rid) in events(hub)


def test_overview_shows_devices_counts_and_usb_imports(live, seeded):
    b = Browser(live.url)
    b.login("viewer-north")
    page = b.get("/console/")[2]
    assert "dev-north-1" in page and "dev-south-1" not in page
    # forms by their title, in the console's language, not by their id
    assert re.search(rf'href="/console/data/{HH}" title="{HH}">Household needs assessment</a></td><td class="num">120<', page)
    uk = b.get("/console/lang/uk?next=/console/")[2]
    assert uk.count("Огляд") >= 1
    assert re.search(rf'title="{HH}">Оцінювання потреб домогосподарства</a></td><td class="num">120<', uk)


def test_revoke_with_wipe_from_the_console(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    b.get("/console/devices")
    status, url, page = b.post("/console/devices/dev-south-1/revoke", {"wipe": "1", "csrf": b.csrf()})
    assert status == 200 and 'id="confirm-revoke"' in page and "cannot be undone" in page
    assert not {d["device_id"]: d for d in live.hub.devices()}["dev-south-1"]["revoked"]  # not before it is confirmed
    status, url, page = b.post("/console/devices/dev-south-1/revoke", {"wipe": "1", "confirm": "1", "csrf": b.csrf()})
    assert status == 200 and "erase its data" in page
    dev = {d["device_id"]: d for d in live.hub.devices()}["dev-south-1"]
    assert dev["revoked"] and dev["wipe"]
    assert ("web_revoke", "admin1", "dev-south-1", "wipe") in events(live.hub)


def test_console_export_is_the_laptop_layout_and_audited(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    status, _, content, headers = b.request("GET", f"/console/data/{HH}/export?format=xlsx&lang=uk")
    assert status == 200 and headers["content-disposition"].endswith(f'{HH}.xlsx"')
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == [HH, "members"]
    rows = list(wb[HH].iter_rows(values_only=True))
    assert len(rows) - 1 - (1 if rows[1][0] and str(rows[1][0]).startswith("#") else 0) == 121
    status, _, content, headers = b.request("GET", f"/console/data/{HH}/export?format=csv&team=north")
    assert status == 200 and headers["content-type"] == "application/zip"  # the form and its repeat: two files
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert names == [f"{HH}.csv", f"{HH}-members.csv"]
    assert [r[3] for r in events(live.hub, "export")] == [f"{HH} xlsx: 121 record(s)", f"{HH} csv: 120 record(s), team north"]
    spool = live.hub.settings.data_dir / "exports-in-progress"
    for _ in range(100):  # removed just after the response is sent
        if not any(spool.iterdir()):
            break
        time.sleep(0.05)
    assert not any(spool.iterdir())  # the plaintext copy is gone


def test_usb_upload_and_return_bundle(live, make_store, tmp_path):
    from sync.client import SyncClient

    hub = live.hub
    add_user(hub, "admin1", "admin")
    laptop = SyncClient(make_store("a"))
    laptop.enroll(live.url, hub.new_enroll_code("north"))
    laptop.store.save_record("submission", {"consent": "yes", "settlement": "Bundleton"}, form_id=HH, form_version="2026.11.1")
    laptop.export_bundle(tmp_path / "a.fbb")
    b = Browser(live.url)
    b.login("admin1")
    b.get("/console/usb")
    data = (tmp_path / "a.fbb").read_bytes()
    boundary = "fieldbookboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{b.csrf()}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"a.fbb\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _, content, _ = b.request("POST", "/console/usb/import", raw=body, headers=headers)
    assert status == 200 and "1 new changes" in content.decode()
    status, _, content, _ = b.request("POST", "/console/usb/import", raw=body, headers=headers)
    assert status == 200 and "imported before" in content.decode()
    assert "Bundleton" in b.get(f"/console/data/{HH}")[2]
    page = b.get("/console/")[2]
    assert laptop.store.device_id in page[page.index("Latest USB imports"):]
    bad = body.replace(data, data[: len(data) // 2])
    status, _, content, _ = b.request("POST", "/console/usb/import", raw=bad, headers=headers)
    assert status == 400 and "nothing was changed" in content.decode()
    b.get("/console/usb")
    status, _, content, headers = b.request("POST", "/console/usb/return", {"device": laptop.store.device_id, "csrf": b.csrf()})
    assert status == 200 and headers["content-type"] == "application/octet-stream"
    (tmp_path / "back.fbb").write_bytes(content)
    result = laptop.import_bundle(tmp_path / "back.fbb")
    assert result is not None
    assert [r[0] for r in events(hub) if r[0].startswith("usb_")] == ["usb_import", "usb_import", "usb_import_refused", "usb_return_bundle"]


def test_paging_keeps_the_date_filter(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    page = b.get(f"/console/data/{HH}?team=north&date_from={today}&date_to={today}")[2]
    nxt = re.search(r'href="([^"]+)" id="next-page"', page).group(1).replace("&amp;", "&")
    assert f"date_from={today}" in nxt and f"date_to={today}" in nxt and "team=north" in nxt
    assert b.get(nxt)[2].count("record-link") == 50


def test_review_state_one_at_a_time_and_in_bulk(live, seeded):
    hub = live.hub
    rid = seeded["north"][5]
    lead = Browser(live.url)
    lead.login("lead-north")
    page = lead.get(f"/console/records/{rid}")[2]
    assert 'id="review-state">Received<' in page
    status, _, page = lead.post(f"/console/records/{rid}/review", {"state": "has_issues", "csrf": lead.csrf()})
    assert status == 200 and 'id="review-state">Has issues<' in page
    assert lead.post(f"/console/records/{rid}/review", {"state": "bogus", "csrf": lead.csrf()})[0] == 400
    assert lead.post(f"/console/records/{seeded['south'][0]}/review", {"state": "approved", "csrf": lead.csrf()})[0] == 403
    page = lead.get(f"/console/data/{HH}?review=has_issues")[2]
    assert re.findall(r'/console/records/([0-9a-f-]{36})"', page) == [rid]
    # bulk: every north submission whose household has 3 people (the answer filter), whatever page it is on
    lead.get(f"/console/data/{HH}")
    status, url, page = lead.post(f"/console/data/{HH}/filter", {"field": "hh_size", "value": "3", "csrf": lead.csrf()})
    expected = {i for i in range(120) if 1 + i % 7 == 3}
    status, url, page = lead.post(f"/console/data/{HH}/review", {**dict(re.findall(r'name="(field|match)" value="([^"]+)"', page)),
                                                                "state": "approved", "csrf": lead.csrf()})
    assert status == 200 and f"{len(expected)} submission(s) set to Approved." in page
    approved = {r[0] for r in hub.db.execute("SELECT record_id FROM console_rows WHERE review = 'approved'")}
    assert approved == {seeded["north"][i] for i in expected}
    assert ("review_bulk", "lead-north", None, f"{HH}: {len(expected)} submission(s) set to approved (filter: field)") in events(hub)
    assert ("review_set", "lead-north", None, f"{rid} has_issues") in events(hub)
    # a viewer reads review states but sets none
    viewer = Browser(live.url)
    viewer.login("viewer-north")
    page = viewer.get(f"/console/records/{rid}")[2]
    assert "review-form" not in page
    assert viewer.post(f"/console/records/{rid}/review", {"state": "approved", "csrf": viewer.csrf()})[0] == 403
    viewer.get(f"/console/data/{HH}")
    assert viewer.post(f"/console/data/{HH}/review", {"state": "rejected", "csrf": viewer.csrf()})[0] == 403
    assert hub.db.execute("SELECT count(*) FROM console_rows WHERE review = 'rejected'")[0][0] == 0


def _multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, dict]:
    boundary = "fieldbookformboundary"
    body = b""
    for k, v in fields.items():
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    for name, filename, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_forms_page_publishes_lists_problems_and_withdraws(live, seeded, tmp_path):
    from tests.unit.forms.xlsform import write_xlsform

    head = ["type", "name", "label::English (en)", "label::Українська (uk)"]
    settings = [["form_id", "version", "form_title", "default_language"], ["winter_nfi", "2026.12.1", "Winter NFI", "English (en)"]]
    good = write_xlsform(tmp_path / "good.xlsx", [head, ["integer", "stoves", "Stoves?", "Печі?"]], None, settings).read_bytes()
    bad = write_xlsform(tmp_path / "bad.xlsx", [head, ["integer", "stoves", "Stoves?", "Печі?"], ["no_such_type", "x", "X", "X"],
                                                 ["integer", "stoves", "Again", "Знову"]], None, settings).read_bytes()
    b = Browser(live.url)
    b.login("admin1")
    b.get("/console/forms")
    body, headers = _multipart({"csrf": b.csrf(), "team": "north"}, [("workbook", "bad.xlsx", bad)])
    status, _, content, _ = b.request("POST", "/console/forms/publish", raw=body, headers=headers)
    page = content.decode()
    assert status == 400 and 'id="form-issues"' in page
    issues = page[page.index('id="form-issues"'):page.index("</table>", page.index('id="form-issues"'))]
    assert "<td>survey</td><td>3</td><td>type</td>" in issues and "<td>survey</td><td>4</td><td>name</td>" in issues
    assert live.hub.published_forms() == []
    body, headers = _multipart({"csrf": b.csrf(), "team": "north"}, [("workbook", "good.xlsx", good)])
    status, _, content, _ = b.request("POST", "/console/forms/publish", raw=body, headers=headers)
    assert status == 200 and "Published" in content.decode()
    assert [(f["form_id"], f["team"]) for f in live.hub.published_forms()] == [("winter_nfi", "north")]
    assert "winter_nfi" in b.get("/console/data")[2]  # its data table exists at once
    page = b.get("/console/forms")[2]
    status, _, page = b.post("/console/forms/winter_nfi/withdraw", {"team": "north", "csrf": b.csrf(page)})
    assert status == 200 and "Withdrawn" in page and live.hub.published_forms() == []
    assert [r[0] for r in events(live.hub) if r[0].startswith("form_") and r[1] == "admin1"] == [
        "form_refused", "form_published", "form_withdrawn"]
    # a lead may not publish
    lead = Browser(live.url)
    lead.login("lead-north")
    lead.get("/console/forms")
    body, headers = _multipart({"csrf": lead.csrf()}, [("workbook", "good.xlsx", good)])
    assert lead.request("POST", "/console/forms/publish", raw=body, headers=headers)[0] == 403


def test_pages_forbid_scripts_and_outside_content(live, seeded):
    b = Browser(live.url)
    b.login("admin1")
    status, _, _, headers = b.request("GET", f"/console/data/{HH}")
    csp = headers["content-security-policy"]
    assert status == 200 and "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
