"""The hub console without HTTP: its words in Ukrainian, passwords, the ``server user`` and
``server export`` commands, the index over an upgraded database, exports' contents."""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time
from pathlib import Path

import openpyxl
import pytest

from console_helpers import add_device, edit, submit, uuid7_at
from sync.server.console import auth
from sync.server.console.data import Filter, Index
from sync.server.console.i18n import UK

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "sync" / "server" / "console"
HH = "household_needs"
_SHOWN = re.compile(r"""(?:\b_|ctx\._)\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")


def shown_strings() -> set[str]:
    found = set()
    for path in [*CONSOLE.glob("templates/*.html"), *CONSOLE.rglob("*.py")]:
        found |= {m.group(2) for m in _SHOWN.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_every_word_the_console_shows_has_its_ukrainian():
    strings = shown_strings()
    assert {"Sign in", "Overview", "There is no such record."} <= strings  # the scanner sees them
    assert sorted(s for s in strings if s not in UK) == []
    # messages raised in auth.py reach the sign-in page through _(str(exc))
    for message in ("Wrong user name or password.", "This account is disabled. Ask the hub's administrator."):
        assert message in UK
    from sync.server.console.routes.data import REVIEW_LABELS  # shown through _(review_labels[state])

    assert [label for label in REVIEW_LABELS.values() if label not in UK] == []
    from sync.server.console.routes.duplicates import MASKED, SHOWN  # shown through ctx._(label)

    assert [label for _, label in SHOWN + MASKED if label not in UK] == []
    assert [v for v in ("same", "different", "unsure") if v not in UK] == []  # _(p.verdict), _(decided)


def test_the_scanner_notices_a_missing_translation(tmp_path):
    sample = '{{ _("A brand new label") }} and ctx._("Another one")'
    assert {m.group(2) for m in _SHOWN.finditer(sample)} == {"A brand new label", "Another one"}


def test_passwords_are_argon2id_hashes():
    stored = auth.hash_password("a synthetic password")
    assert stored.startswith("argon2id$m=19456,t=2,p=1$") and "synthetic" not in stored
    assert auth.verify_password("a synthetic password", stored)
    assert not auth.verify_password("a synthetic passwore", stored)
    assert not auth.verify_password("x", "garbage")
    assert auth.hash_password("a synthetic password") != stored  # salted


def _server(cli, tmp_path) -> Path:
    data = tmp_path / "hub"
    assert cli("server", "init", "--data", str(data)).returncode == 0
    return data


def test_user_commands(cli, tmp_path):
    data = str(_server(cli, tmp_path))
    env = {"FIELDBOOK_NEW_PASSWORD": "synthetic password 1"}
    r = cli("server", "user", "add", "--data", data, "--name", "olena", "--role", "admin", env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == {"name": "olena", "role": "admin", "teams": ["*"]}
    r = cli("server", "user", "add", "--data", data, "--name", "taras", "--role", "viewer", "--team", "north", "--team", "east", env=env)
    assert r.returncode == 0
    for args, needle in (
        (["--name", "olena", "--role", "admin"], "already a web user olena"),
        (["--name", "x", "--role", "viewer"], "give at least one --team"),
        (["--name", "x", "--role", "admin", "--team", "north"], "An admin sees every team"),
        (["--name", "bad name!", "--role", "admin"], "A user name is"),
        (["--name", "x", "--role", "lead", "--team", "no/slash"], "A team name is"),
    ):
        r = cli("server", "user", "add", "--data", data, *args, env=env)
        assert r.returncode == 1 and needle in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = cli("server", "user", "add", "--data", data, "--name", "y", "--role", "admin", env={"FIELDBOOK_NEW_PASSWORD": "short"})
    assert r.returncode == 1 and "at least 12 characters" in r.stderr
    r = cli("server", "user", "add", "--data", data, "--name", "y", "--role", "admin")
    assert r.returncode == 1 and "FIELDBOOK_NEW_PASSWORD" in r.stderr
    users = [json.loads(line) for line in cli("server", "user", "list", "--data", data).stdout.splitlines()]
    assert [(u["name"], u["role"], u["teams"], u["disabled"]) for u in users] == [
        ("olena", "admin", ["*"], False), ("taras", "viewer", ["east", "north"], False)]
    assert cli("server", "user", "disable", "--data", data, "taras").returncode == 0
    assert json.loads(cli("server", "user", "list", "--data", data).stdout.splitlines()[1])["disabled"] is True
    r = cli("server", "user", "passwd", "--data", data, "nobody", env=env)
    assert r.returncode == 1 and "no web user nobody" in r.stderr
    r = cli("server", "user", "passwd", "--data", data, "olena", env={"FIELDBOOK_NEW_PASSWORD": "another synthetic one"})
    assert r.returncode == 0
    # the database holds hashes only
    db = (Path(data) / "server.db").read_bytes() + b"".join(p.read_bytes() for p in Path(data).glob("server.db-*"))
    assert b"synthetic password 1" not in db and b"another synthetic one" not in db
    con = sqlite3.connect(Path(data) / "server.db")
    events = con.execute("SELECT event, actor, detail FROM events WHERE actor IS NOT NULL ORDER BY id").fetchall()
    con.close()
    assert [e[0] for e in events] == ["web_user_added", "web_user_added", "web_user_disabled", "web_user_password_set"]
    r = cli("server", "user", "list", "--data", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "There is no server" in r.stderr


def _seed(data: Path) -> dict:
    from sync_helpers import make_hub

    hub = make_hub(data)
    try:
        add_device(hub, "dev-n", "north")
        add_device(hub, "dev-s", "south")
        old = int(time.mktime((2026, 1, 10, 12, 0, 0, 0, 0, 0))) * 1000
        ids = {
            "north_old": submit(hub, "dev-n", "north", [{"consent": "yes", "settlement": "Oldtown", "priority_needs": "food water",
                                                       "members": [{"member_age": 40, "member_sex": "male"}]}], at_ms=old),
            "north": submit(hub, "dev-n", "north", [{"consent": "yes", "settlement": f"Newtown {i}", "hh_size": i} for i in range(3)]),
            "south": submit(hub, "dev-s", "south", [{"consent": "no", "settlement": "Southtown"}]),
            "household": submit(hub, "dev-n", "north", [{"settlement": "Not a submission"}], kind="household"),
        }
        gone = submit(hub, "dev-n", "north", [{"consent": "yes", "settlement": "Deleted one"}])[0]
        hub.push("dev-n", "north", [{"device_id": "dev-n", "seq": 999, "record_id": gone, "kind": "submission", "form_id": HH,
                                     "form_version": "2026.11.1", "hlc": f"{(int(time.time() * 1000) + 9000) << 16:016x}",
                                     "deleted": True, "bases": {}, "fields": {}}])
    finally:
        hub.close()
    return ids


def test_server_export_command(cli, tmp_path):
    data = _server(cli, tmp_path)
    _seed(data)
    out = tmp_path / "out"
    out.mkdir()
    r = cli("server", "export", "--data", str(data), "--form", HH, "--format", "csv", "--out", str(out / "hh.csv"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 5  # finished submissions only: no other kind, nothing deleted
    assert r.stderr.splitlines() == ["export: 5 of 5 submissions (100%)"]  # progress on stderr, stdout stays JSON
    rows = list(csv.DictReader(io.StringIO((out / "hh.csv").read_text(encoding="utf-8"))))
    places = sorted(r["assessment/location_group/settlement"] for r in rows if r["_id"])
    assert places == ["Newtown 0", "Newtown 1", "Newtown 2", "Oldtown", "Southtown"]
    members = list(csv.reader(io.StringIO((out / "hh-members.csv").read_text(encoding="utf-8"))))
    assert len([m for m in members if m and m[0] == "40"]) == 1
    r = cli("server", "export", "--data", str(data), "--form", HH, "--out", str(out / "n.xlsx"), "--team", "north",
            "--lang", "uk", "--since", "2026-02-01")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out / "n.xlsx", read_only=True)
    sheet = list(wb[HH].iter_rows(values_only=True))
    wb.close()
    body = [row for row in sheet[1:] if row[-3] and not str(row[0] or "").startswith("#")]
    assert len(body) == 3 and all("Newtown" in str(row) for row in body) and "Так" in str(body)
    for args, needle in (
        (["--form", "no_such_form", "--out", str(out / "x.csv")], "no form 'no_such_form'"),
        (["--form", HH, "--out", str(data / "x.csv")], "outside the server's data folder"),
        (["--form", HH, "--out", str(out / "x.xlsx"), "--format", "csv"], "says xlsx"),
        (["--form", HH, "--out", str(out / "x.csv"), "--since", "10.01.2026"], "--since is a date"),
        (["--form", HH, "--out", str(out / "x.csv"), "--lang", "fr"], "fr"),
        (["--form", HH, "--out", str(tmp_path / "no" / "x.csv")], "does not exist"),
    ):
        r = cli("server", "export", "--data", str(data), *args)
        assert r.returncode == 1 and needle in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
        assert not (out / "x.csv").exists() and not (out / "x.xlsx").exists()
    con = sqlite3.connect(data / "server.db")
    details = [d for (d,) in con.execute("SELECT detail FROM events WHERE event = 'export' ORDER BY id")]
    con.close()
    assert details == [f"{HH} csv: 5 record(s)", f"{HH} xlsx: 3 record(s), team north, since 2026-02-01"]


def test_an_older_server_database_upgrades_and_its_data_is_indexed(tmp_path):
    """A hub made before the console (schema 0002) gains the console's tables, and the
    submissions it already holds appear in the index."""
    from sync.server import db as dbmod
    from sync_helpers import make_hub

    every = dbmod.MIGRATIONS
    # A hub from before the console. It is written to by today's code, so it keeps the
    # columns and tables that code writes on every push and start (the change's author, 0009;
    # the served head and the server's identity, 0010).
    dbmod.MIGRATIONS = [m for m in every if m[0] < "0008_console" or m[0] in ("0009_change_authors", "0010_served_changes")]
    try:
        hub = make_hub(tmp_path / "hub")
        add_device(hub, "dev-n", "north")
        ids = submit(hub, "dev-n", "north", [{"consent": "yes", "settlement": f"Oldhub {i}"} for i in range(3)])
        assert "web_users" not in {r[0] for r in hub.db.execute("SELECT name FROM sqlite_master")}
        hub.close()
    finally:
        dbmod.MIGRATIONS = every
    hub = make_hub(tmp_path / "hub")
    try:
        names = {r[0] for r in hub.db.execute("SELECT name FROM schema_migrations")}
        assert "0008_console" in names
        index = Index(hub)
        assert index.catch_up() == 3
        rows, more = index.page(HH, scope=None, flt=Filter())
        assert [r["record_id"] for r in rows] == ids[::-1] and more is None
        flt = Filter(field="settlement", token=index.token(HH, "settlement", "OLDHUB 1"))
        assert [r["record_id"] for r in index.page(HH, scope=None, flt=flt)[0]] == [ids[1]]
        assert index.page(HH, scope=("south",), flt=Filter())[0] == []
    finally:
        hub.close()


def test_uuid7_time_is_read_back():
    from sync.server.console.data import id_time_ms

    assert id_time_ms(uuid7_at(1_780_000_000_123, 5)) == 1_780_000_000_123
    assert id_time_ms("not-a-uuid") is None


def test_a_caught_up_index_takes_no_write_lock(tmp_path, monkeypatch):
    """Page views check for new changes without the one-writer lock, so they never queue behind a sync."""
    from sync_helpers import make_hub

    hub = make_hub(tmp_path / "hub")
    try:
        add_device(hub, "dev-n", "north")
        submit(hub, "dev-n", "north", [{"consent": "yes"}])
        index = Index(hub)
        assert index.catch_up() == 1

        def no_writes(*a, **k):
            raise AssertionError("a write transaction was opened")

        monkeypatch.setattr(hub.db, "transaction", no_writes)
        assert index.catch_up() == 0
    finally:
        hub.close()


def test_pages_load_nothing_from_elsewhere_and_run_no_script():
    """Hubs are often offline: no CDN, no web font, no script, in any template or the style sheet."""
    for path in [*CONSOLE.glob("templates/*.html"), *CONSOLE.glob("static/*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|<script""", text, re.I), path.name


def _delete(hub, device_id, team, rid, form_id=HH):
    from console_helpers import _seqs

    seq = _seqs[device_id] = _seqs.get(device_id, 0) + 1
    hub.push(device_id, team, [{"device_id": device_id, "seq": seq, "record_id": rid, "kind": "submission",
                                "form_id": form_id, "form_version": "2026.11.1",
                                "hlc": f"{((int(time.time() * 1000) + 120_000) << 16) + seq:016x}",
                                "deleted": True, "bases": {}, "fields": {}}])


def _counted(hub, scope):
    where = "" if scope is None else f" AND team IN ({','.join('?' * len(scope))})"
    return sorted(hub.db.execute(f"SELECT form_id, count(*) FROM console_rows WHERE deleted = 0{where} "
                                 f"GROUP BY form_id", list(scope or ())))


def test_the_kept_counts_agree_with_counting_the_rows(tmp_path):
    """The Overview reads counts the index keeps; after any mix of new, edited and deleted
    submissions, indexed in batches of any size, they equal a count of the rows."""
    import random

    from sync_helpers import make_hub

    rng = random.Random(7)
    hub = make_hub(tmp_path / "hub")
    try:
        add_device(hub, "dev-n", "north")
        add_device(hub, "dev-s", "south")
        index = Index(hub)
        live: list[tuple[str, str, str, str]] = []
        for _ in range(60):
            device, team = rng.choice([("dev-n", "north"), ("dev-s", "south")])
            form = rng.choice([HH, "site_assessment"])
            move = rng.random()
            if move < 0.55 or not live:
                for rid in submit(hub, device, team, [{"consent": "yes"}] * rng.randint(1, 4), form_id=form):
                    live.append((rid, device, team, form))
            elif move < 0.8:
                rid, device, team, form = live.pop(rng.randrange(len(live)))
                _delete(hub, device, team, rid, form)
            else:
                rid, device, team, form = rng.choice(live)
                edit(hub, device, team, rid, {"consent": "no"}, form_id=form)
            if rng.random() < 0.4:
                index.catch_up()
                for scope in (None, ("north",), ("south",), ("north", "south")):
                    assert sorted(index.form_counts(scope)) == _counted(hub, scope), scope
        index.catch_up()
        assert sorted(index.form_counts(None)) == _counted(hub, None)
        assert sum(n for _, n in index.form_counts(None)) == len(live)
    finally:
        hub.close()


def test_an_index_built_before_the_kept_counts_gets_them_on_upgrade(tmp_path):
    """Migration 0020 counts the rows an older index already holds; the index keeps them from there."""
    from sync_helpers import make_hub

    hub = make_hub(tmp_path / "hub")
    try:
        add_device(hub, "dev-n", "north")
        add_device(hub, "dev-s", "south")
        ids = submit(hub, "dev-n", "north", [{"consent": "yes"}] * 4)
        submit(hub, "dev-s", "south", [{"consent": "yes"}] * 2, form_id="site_assessment")
        Index(hub).catch_up()
        # back to a hub of before 0020: its index rows, no counts
        with hub.db.transaction():
            hub.db.execute("DROP TABLE console_counts")
            hub.db.execute("DELETE FROM schema_migrations WHERE name = '0020_console_counts'")
    finally:
        hub.close()
    hub = make_hub(tmp_path / "hub")
    try:
        index = Index(hub)
        assert sorted(index.form_counts(None)) == [(HH, 4), ("site_assessment", 2)]
        _delete(hub, "dev-n", "north", ids[0])
        index.catch_up()
        assert sorted(index.form_counts(None)) == [(HH, 3), ("site_assessment", 2)] == _counted(hub, None)
        assert index.form_counts(("south",)) == [("site_assessment", 2)]
    finally:
        hub.close()


def test_server_export_and_the_console_lists_leave_the_registration_form_out(cli, tmp_path):
    """The registration form stores households at the hub, never submissions: it was listed as
    exportable and its export was empty. It is left out of the lists, and refused by name."""
    from sync.server.console.exports import ExportRequest, export_submissions, known_form_ids
    from sync_helpers import make_hub

    from forms.errors import ExportError

    data = _server(cli, tmp_path)
    hub = make_hub(data)
    try:
        ids = known_form_ids(hub)
        assert HH in ids and "household_registration" not in ids
        with pytest.raises(ExportError, match="server duplicates"):
            export_submissions(hub, ExportRequest("household_registration", "csv"), tmp_path / "api.csv", actor="t")
    finally:
        hub.close()
    out = tmp_path / "out"
    out.mkdir()
    r = cli("server", "export", "--data", str(data), "--form", "household_registration", "--out", str(out / "r.csv"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("error: The form household_registration registers households") and "server duplicates" in r.stderr
    assert list(out.iterdir()) == [] and not (tmp_path / "api.csv").exists()
