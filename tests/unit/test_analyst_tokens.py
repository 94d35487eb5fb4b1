"""The analyst API without HTTP: ``server token`` commands, tokens at rest, the $filter grammar,
and the feed's rows for a form with repeats."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from sync.server.api import odata, tokens
from sync.server.api.feed import Feed, Window, count, id_bound, records


def _server(cli, tmp_path) -> Path:
    data = tmp_path / "hub"
    assert cli("server", "init", "--data", str(data)).returncode == 0
    return data


def test_token_commands(cli, tmp_path):
    data = str(_server(cli, tmp_path))
    r = cli("server", "token", "add", "--data", data, "--name", "PowerBI north", "--team", "north",
            "--form", "household_needs", "--days", "30")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["teams"] == ["north"] and made["forms"] == ["household_needs"] and made["token"].startswith("fbt_")
    assert made["token"][4:12] == made["token_id"]
    r = cli("server", "token", "add", "--data", data, "--name", "scripts")
    every = json.loads(r.stdout)
    assert every["teams"] == ["*"] and every["forms"] == ["*"]
    for args, needle in ((["--name", "x", "--days", "0"], "from 1 to 366 days"),
                         (["--name", "x", "--days", "400"], "from 1 to 366 days"),
                         (["--name", "x", "--team", "no/slash"], "is not a team name"),
                         (["--name", "x", "--team", "*", "--team", "north"], "not both"),
                         (["--name", "bad/name"], "A token's name")):
        r = cli("server", "token", "add", "--data", data, *args)
        assert r.returncode == 1 and needle in r.stderr and r.stderr.count("\n") == 1, r.stderr
    listed = [json.loads(line) for line in cli("server", "token", "list", "--data", data).stdout.splitlines()]
    assert {t["token_id"]: t["state"] for t in listed} == {made["token_id"]: "active", every["token_id"]: "active"}
    assert "token" not in listed[0] and made["token"] not in cli("server", "token", "list", "--data", data).stdout
    assert cli("server", "token", "revoke", "--data", data, made["token_id"]).returncode == 0
    r = cli("server", "token", "revoke", "--data", data, "deadbeef")
    assert r.returncode == 1 and "no such token" in r.stderr
    listed = {json.loads(line)["token_id"]: json.loads(line)["state"]
              for line in cli("server", "token", "list", "--data", data).stdout.splitlines()}
    assert listed[made["token_id"]] == "revoked"
    # the database holds hashes only, and the audit log the ids
    db = b"".join(p.read_bytes() for p in Path(data).glob("server.db*"))
    assert made["token"].encode() not in db and every["token"].encode() not in db
    con = sqlite3.connect(Path(data) / "server.db")
    events = con.execute("SELECT event, detail FROM events WHERE event LIKE 'api_token%' ORDER BY id").fetchall()
    con.close()
    assert [e for e, _ in events] == ["api_token_added", "api_token_added", "api_token_revoked"]
    assert events[2][1] == made["token_id"]


def test_authenticate_takes_only_live_well_formed_tokens(hub):
    token, t = tokens.add_token(hub.db, name="bi", teams=["north"], forms=["*"], days=1, created_by="test")
    assert tokens.authenticate(hub.db, token).token_id == t.token_id
    assert tokens.authenticate(hub.db, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    for bad in (None, "", "fbt_", token + "x", "Bearer " + token, token.upper()):
        assert tokens.authenticate(hub.db, bad) is None
    assert t.scope() == ("north",) and t.may_read("anything")
    hub.db.execute("UPDATE api_tokens SET expires_at = ? WHERE token_id = ?", (int(time.time() * 1000) - 1, t.token_id))
    assert tokens.authenticate(hub.db, token) is None


def _ms(text: str) -> int:
    import datetime as dt

    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.mark.parametrize("text, expected", [
    ("__submissionDate ge 2026-11-01T00:00:00Z", (_ms("2026-11-01T00:00:00Z"), None)),
    ("__submissionDate gt 2026-11-01T00:00:00Z", (_ms("2026-11-01T00:00:00Z") + 1, None)),
    ("(__system/submissionDate lt 2026-11-02T00:00:00.000Z)", (None, _ms("2026-11-02T00:00:00Z"))),
    ("__submissionDate le 2026-11-02T00:00:00+02:00", (None, _ms("2026-11-01T22:00:00Z") + 1)),
    ("(__submissionDate ge 2026-11-01) and (__submissionDate lt 2026-11-03)", (_ms("2026-11-01T00:00:00Z"), _ms("2026-11-03T00:00:00Z"))),
    ("__submissionDate ge 2026-11-01T00:00:00Z and __submissionDate ge 2026-11-05T00:00:00Z", (_ms("2026-11-05T00:00:00Z"), None)),
    ("__submissionDate eq 2026-11-01T00:00:00.001Z", (_ms("2026-11-01T00:00:00Z") + 1, _ms("2026-11-01T00:00:00Z") + 2)),
    ("__submissionDate gt 2026-11-01T00:00:00.0005Z", (_ms("2026-11-01T00:00:00Z") + 1, None)),
])
def test_the_filter_grammar(text, expected):
    assert odata.parse_filter(text) == expected


@pytest.mark.parametrize("text, status", [
    ("consent eq 'yes'", 501), ("__submissionDate ne 2026-11-01T00:00:00Z", 501),
    ("__submissionDate ge 2026-11-01T00:00:00Z or __submissionDate lt 2026-01-01T00:00:00Z", 501),
    ("__submissionDate ge 14.03.1975", 400), ("((__submissionDate ge 2026-11-01)", 501),
])
def test_the_filter_refuses_what_it_cannot_do(text, status):
    with pytest.raises(odata.ODataError) as caught:
        odata.parse_filter(text)
    assert caught.value.status == status and "1975" not in str(caught.value)


def test_id_bounds_order_like_the_ids():
    from console_helpers import uuid7_at

    at = _ms("2026-11-01T12:00:00Z")
    assert id_bound(at) <= uuid7_at(at, 0) < id_bound(at + 1) < uuid7_at(at + 1, 0)


def test_rows_of_nested_repeats_and_of_values_of_another_type(hub):
    from console_helpers import add_device, submit
    from sync.server.console.exports import hub_form

    add_device(hub, "dev-n", "north")
    rid = submit(hub, "dev-n", "north", [{"hh_size": "four", "members": [{"member_age": 30.0}, "not an entry", {"member_age": "x"}]}])[0]
    feed = Feed(hub_form(hub, "household_needs"))
    record = next(records(hub, "household_needs", Window()))
    main = feed.rows(feed.sets["Submissions"], record)[0]
    assert main["__id"] == rid and main["assessment_household_hh_size"] is None  # not a number: null, not a wrong type
    members = feed.rows(feed.sets["Submissions.members"], record)
    assert [(m["__id"], m["__parent_id"], m["assessment_household_members_member_age"]) for m in members] == [
        (f"{rid}-members-1", rid, 30), (f"{rid}-members-2", rid, None)]
    assert count(hub, "household_needs", Window(("south",))) == 0 and count(hub, "household_needs", Window()) == 1
