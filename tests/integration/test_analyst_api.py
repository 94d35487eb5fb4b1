"""The analyst API on a live server (SQLite and PostgreSQL): tokens, the OData feed read by an
OData client library the way a spreadsheet's connector reads it, and the CSV/JSON endpoints."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import time

import pytest
import requests
from odata import ODataService

from console_helpers import Browser, add_device, add_user, submit
from sync.server.api import tokens

HH = "household_needs"
DAY = 86_400_000


def _seed(hub):
    add_device(hub, "dev-n", "north")
    add_device(hub, "dev-s", "south")
    base = int(time.time() * 1000) - 10 * DAY
    north = []
    for day in range(7):  # one submission a day, each with day+1 household members... up to 3
        members = [{"member_age": 20 + day + m, "member_sex": "female" if m % 2 else "male"} for m in range(day % 3 + 1)]
        north += submit(hub, "dev-n", "north", [{"consent": "yes", "hh_size": day + 1, "settlement": f"N{day}",
                                                 "priority_needs": "food water", "members": members}],
                        at_ms=base + day * DAY)
    south = submit(hub, "dev-s", "south", [{"consent": "yes", "hh_size": 9, "settlement": "S0"}], at_ms=base)
    submit(hub, "dev-n", "north", [{"consent": "no"}], kind="draft", at_ms=base)  # never in a feed
    return base, north, south


def _token(hub, teams=("north",), forms=(HH,), days=1.0):
    token, _ = tokens.add_token(hub.db, name="bi", teams=list(teams), forms=list(forms), days=days, created_by="test")
    return token


def _service(live, token, page: int | None = None):
    headers = {"Prefer": f"odata.maxpagesize={page}"} if page else {}
    return ODataService(f"{live.url}/api/v1/forms/{HH}.svc/", reflect_entities=True, quiet_progress=True,
                        auth=requests.auth.HTTPBasicAuth("analyst", token), extra_headers=headers)


@pytest.fixture(autouse=True)
def _no_prefer_leak():
    # the client library keeps its default headers on the class: put them back after each test
    from odata.connection import ODataConnection

    saved = dict(ODataConnection.base_headers)
    yield
    ODataConnection.base_headers.clear()
    ODataConnection.base_headers.update(saved)


def test_an_odata_client_reads_the_feed_as_a_spreadsheet_would(live):
    hub = live.hub
    base, north, south = _seed(hub)
    token = _token(hub)
    service = _service(live, token, page=3)  # pages of 3: the client must follow @odata.nextLink
    assert set(service.entities) == {"Submissions", "Submissions.members"}
    Submissions = service.entities["Submissions"]
    rows = service.query(Submissions).all()
    assert [r.__id for r in rows] == north  # the north team's only, in submission order, across 3 pages
    assert [r.assessment_household_hh_size for r in rows] == list(range(1, 8))
    assert rows[0].assessment_needs_group_priority_needs_food == 1 and rows[0].assessment_needs_group_priority_needs_heating == 0
    assert {r.__team for r in rows} == {"north"}
    assert rows[2].__submissionDate == dt.datetime.fromtimestamp((base + 2 * DAY) / 1000, dt.timezone.utc).replace(
        microsecond=((base + 2 * DAY) % 1000) * 1000)

    # $top and $skip (the client pages by itself then)
    page = service.query(Submissions).offset(2).limit(3).all()
    assert [r.__id for r in page] == north[2:5]
    # $filter on the submission time
    since = dt.datetime.fromtimestamp((base + 4 * DAY) / 1000, dt.timezone.utc)
    later = service.query(Submissions).filter(Submissions.__submissionDate >= since).all()
    assert [r.__id for r in later] == north[4:]
    between = service.query(Submissions).filter(Submissions.__submissionDate > since).filter(
        Submissions.__submissionDate < since + dt.timedelta(days=2)).all()
    assert [r.__id for r in between] == north[5:6]
    # $count
    assert service.query(Submissions).count() == 7
    assert service.query(Submissions).filter(Submissions.__submissionDate >= since).count() == 3

    # the repeat's entity set, paged inside records (pages of 3 rows over 1+2+3+1+2+3+1 members)
    Members = service.entities["Submissions.members"]
    members = service.query(Members).all()
    assert len(members) == 13
    assert [m.__Submissions_id for m in members[:3]] == [north[0], north[1], north[1]]
    assert members[1].__id == f"{north[1]}-members-1" and members[2].__id == f"{north[1]}-members-2"
    assert [m.assessment_household_members_member_age for m in members[3:6]] == [22, 23, 24]
    assert service.query(Members).count() == 13


def test_the_feed_pages_as_the_protocol_says(live):
    hub = live.hub
    base, north, south = _seed(hub)
    token = _token(hub, teams=("*",))
    url = f"{live.url}/api/v1/forms/{HH}.svc"
    auth = {"Authorization": f"Bearer {token}"}
    doc = requests.get(url, headers=auth, timeout=30)
    assert doc.status_code == 200 and doc.headers["OData-Version"] == "4.0"
    assert [s["url"] for s in doc.json()["value"]] == ["Submissions", "Submissions.members"]
    assert requests.get(url + "/", headers=auth, timeout=30, allow_redirects=False).json() == doc.json()
    meta = requests.get(url + "/$metadata", headers=auth, timeout=30)
    assert meta.headers["content-type"].startswith("application/xml") and "<EntitySet Name=\"Submissions.members\"" in meta.text

    first = requests.get(url + "/Submissions", params={"$count": "true", "$select": "__id,__team"},
                         headers={**auth, "Prefer": "odata.maxpagesize=5"}, timeout=30)
    body = first.json()
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=5"
    assert body["@odata.count"] == 8 and len(body["value"]) == 5 and set(body["value"][0]) == {"__id", "__team"}
    second = requests.get(body["@odata.nextLink"], headers={**auth, "Prefer": "odata.maxpagesize=5"}, timeout=30).json()
    assert len(second["value"]) == 3 and "@odata.nextLink" not in second
    assert [r["__id"] for r in body["value"] + second["value"]] == sorted(north + south)
    # $top over several pages: the next link carries what is left of it
    top = requests.get(url + "/Submissions", params={"$top": "4"}, headers={**auth, "Prefer": "odata.maxpagesize=3"},
                       timeout=30).json()
    assert len(top["value"]) == 3 and "%24top=1" in top["@odata.nextLink"]
    rest = requests.get(top["@odata.nextLink"], headers={**auth, "Prefer": "odata.maxpagesize=3"}, timeout=30).json()
    assert len(rest["value"]) == 1 and "@odata.nextLink" not in rest
    assert requests.get(url + "/Submissions/$count", headers=auth, timeout=30).text == "8"

    for params, status in (({"$filter": "consent eq 'yes'"}, 501), ({"$filter": "__submissionDate ge yesterday"}, 400),
                           ({"$top": "-1"}, 400), ({"$skiptoken": "bm90IG91cnM"}, 400), ({"$expand": "members"}, 501),
                           ({"$orderby": "__id desc"}, 501), ({"$select": "nope"}, 400), ({"$apply": "x"}, 501)):
        r = requests.get(url + "/Submissions", params=params, headers=auth, timeout=30)
        assert r.status_code == status, params
        assert set(r.json()["error"]) == {"code", "message"}
    assert requests.get(url + "/Nope", headers=auth, timeout=30).status_code == 404


def test_tokens_open_the_api_and_nothing_else(live):
    hub = live.hub
    base, north, south = _seed(hub)
    token = _token(hub)
    url = f"{live.url}/api/v1/forms/{HH}.svc/Submissions"
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200
    basic = base64.b64encode(f"anyone:{token}".encode()).decode()
    assert requests.get(url, headers={"Authorization": f"Basic {basic}"}, timeout=30).status_code == 200

    refused = requests.get(url, timeout=30)
    assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
    # a console session is not a token, and a token is not a session
    add_user(hub, "admin1", "admin")
    b = Browser(live.url)
    b.login("admin1")
    session = b.cookie("fieldbook_session")
    assert session
    assert requests.get(url, headers={"Authorization": f"Bearer {session}"}, timeout=30).status_code == 401
    assert requests.get(url, cookies={"fieldbook_session": session}, timeout=30).status_code == 401
    console = requests.get(f"{live.url}/console/data/{HH}", cookies={"fieldbook_session": token}, allow_redirects=False,
                           timeout=30)
    assert console.status_code == 303 and "/console/login" in console.headers["location"]
    # a device's keys are not a token
    sign_key = hub.db.execute("SELECT sign_key FROM devices WHERE device_id = 'dev-n'")[0][0]
    assert requests.get(url, headers={"Authorization": f"Bearer {sign_key}"}, timeout=30).status_code == 401
    # scope: another form, another team
    assert requests.get(f"{live.url}/api/v1/forms/pdm.svc/Submissions", headers={"Authorization": f"Bearer {token}"},
                        timeout=30).status_code == 403
    r = requests.get(f"{live.url}/api/v1/forms/{HH}/submissions.json", params={"team": "south"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 403
    # revoked and expired tokens open nothing
    tid = token[4:12]
    tokens.revoke_token(hub.db, tid)
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 401
    short = _token(hub)
    hub.db.execute("UPDATE api_tokens SET expires_at = 1 WHERE token_id = ?", (short[4:12],))
    assert requests.get(url, headers={"Authorization": f"Bearer {short}"}, timeout=30).status_code == 401
    assert {t["token_id"]: t["state"] for t in tokens.list_tokens(hub.db)} == {tid: "revoked", short[4:12]: "expired"}

    # every use is audited by the token's id, never its secret
    events = hub.db.execute("SELECT event, actor, detail FROM events WHERE event IN ('api_read', 'api_refused') ORDER BY id")
    assert ("api_read", f"token {tid} (bi)", f"{HH} Submissions: 7 row(s)") in events
    assert any(e == "api_refused" and a == f"token {tid}" for e, a, _ in events)
    assert token not in json.dumps(events) and hub.db.execute("SELECT count(*) FROM api_tokens WHERE token_hash = ?",
                                                              (token,))[0][0] == 0


def test_csv_and_json_for_scripts(live):
    hub = live.hub
    base, north, south = _seed(hub)
    token = _token(hub)
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.get(f"{live.url}/api/v1/forms/{HH}/submissions.csv", headers=auth, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["_id", "_submissionDate", "_team", "_formVersion"]
    assert "assessment/household/hh_size" in rows[0] and [row[0] for row in rows[1:]] == north
    members = requests.get(f"{live.url}/api/v1/forms/{HH}/submissions.csv", params={"table": "members"}, headers=auth,
                           timeout=30)
    assert len(list(csv.reader(io.StringIO(members.content.decode("utf-8-sig"))))) == 14
    since = dt.datetime.fromtimestamp((base + 5 * DAY) / 1000, dt.timezone.utc).date().isoformat()
    data = requests.get(f"{live.url}/api/v1/forms/{HH}/submissions.json", params={"since": since}, headers=auth,
                        timeout=30).json()
    assert [s["id"] for s in data["submissions"]] == [rid for rid in north if rid >= north[4]][-len(data["submissions"]):]
    assert data["submissions"][-1]["fields"]["settlement"] == "N6" and data["submissions"][-1]["team"] == "north"
    forms = requests.get(f"{live.url}/api/v1/forms", headers=auth, timeout=30).json()["value"]
    assert [f["form_id"] for f in forms] == [HH]
    assert requests.get(f"{live.url}/api/v1/forms/{HH}/submissions.csv", params={"since": "14.03.1975"}, headers=auth,
                        timeout=30).status_code == 400


def test_the_console_tokens_page_is_for_admins(live):
    hub = live.hub
    _seed(hub)
    add_user(hub, "admin1", "admin")
    add_user(hub, "lead1", "lead", ["north"])
    b = Browser(live.url)
    b.login("admin1")
    status, _, page = b.get("/console/tokens")
    assert status == 200 and 'id="tokens"' in page and 'href="/console/tokens"' in page
    status, _, page = b.post("/console/tokens", {"name": "PowerBI north", "teams": "north", "forms": HH, "days": "30",
                                                "csrf": b.csrf()})
    token = __import__("re").search(r'id="token-value">([^<]+)<', page).group(1)
    assert status == 200 and token.startswith("fbt_")
    r = requests.get(f"{live.url}/api/v1/forms/{HH}.svc/Submissions", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200 and {row["__team"] for row in r.json()["value"]} == {"north"}
    status, _, page = b.get("/console/tokens")
    assert token not in page and token[4:12] in page  # the list names the id, never the token
    for data, needle in (({"name": "x", "days": "0"}, "from 1 to 366 days"), ({"name": "x", "teams": "no/slash", "days": "1"}, "A team name"),
                         ({"name": "", "days": "1"}, "Give the token a name")):
        status, _, page = b.post("/console/tokens", {**data, "csrf": b.csrf()})
        assert needle in page
    status, _, _ = b.post(f"/console/tokens/{token[4:12]}/revoke", {"csrf": ""})
    assert status == 403  # no CSRF: nothing changed
    assert tokens.authenticate(hub.db, token) is not None
    b.get("/console/tokens")
    status, url, page = b.post(f"/console/tokens/{token[4:12]}/revoke", {"csrf": b.csrf()})
    assert status == 200 and "Token revoked" in page and tokens.authenticate(hub.db, token) is None
    assert ("api_token_added", "admin1") in hub.db.execute("SELECT event, actor FROM events")
    lead = Browser(live.url)
    lead.login("lead1")
    assert lead.get("/console/tokens")[0] == 403 and 'href="/console/tokens"' not in lead.get("/console/")[2]
    assert lead.post("/console/tokens", {"name": "x", "days": "1", "csrf": lead.csrf()})[0] == 403


def test_counting_a_repeat_over_many_submissions_is_refused(live, monkeypatch):
    import sync.server.api as api

    hub = live.hub
    _seed(hub)
    token = _token(hub)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{live.url}/api/v1/forms/{HH}.svc/Submissions.members"
    assert requests.get(url + "/$count", headers=auth, timeout=30).text == "13"
    monkeypatch.setattr(api, "MAX_REPEAT_COUNT", 5)
    r = requests.get(url, params={"$count": "true"}, headers=auth, timeout=30)
    assert r.status_code == 501 and "filter on __submissionDate" in r.json()["error"]["message"]
    assert requests.get(f"{live.url}/api/v1/forms/{HH}.svc/Submissions", params={"$count": "true"}, headers=auth,
                        timeout=30).json()["@odata.count"] == 7  # submissions are counted from their keys


def test_a_flood_of_bad_tokens_waits_unchecked_and_unaudited(live):
    hub = live.hub
    _seed(hub)
    good = _token(hub)
    url = f"{live.url}/api/v1/forms/{HH}.svc/Submissions"
    bad = {"Authorization": "Bearer fbt_0000000000000000000000000000000000000000000"}
    def counts():
        return dict(hub.db.execute("SELECT event, count(*) FROM events WHERE event IN ('api_refused', 'api_throttled') "
                                   "GROUP BY event"))

    assert counts() == {}
    first = [requests.get(url, headers=bad, timeout=30).status_code for _ in range(6)]
    assert first == [401] * 6  # five free, the sixth still checked, and it starts the wait
    flood = [requests.get(url, headers=bad, timeout=30) for _ in range(40)]
    assert {r.status_code for r in flood} == {429}
    assert {r.headers["Retry-After"] for r in flood} <= {"1", "2"}
    assert set(flood[0].json()["error"]) == {"code", "message"} and "wait" in flood[0].json()["error"]["message"]
    # even a good token waits out the pause: nothing from the address is checked meanwhile
    assert requests.get(url, headers={"Authorization": f"Bearer {good}"}, timeout=30).status_code == 429
    assert counts() == {"api_refused": 6, "api_throttled": 1}
    # after the wait, the good token works and the address starts afresh
    time.sleep(2.1)
    assert requests.get(url, headers={"Authorization": f"Bearer {good}"}, timeout=30).status_code == 200
    assert requests.get(url, headers=bad, timeout=30).status_code == 401
