"""Stuck-sync recovery through a real server on loopback: a clock that was once far ahead,
and a change the server refuses for good (set aside, listed and exported from the CLI)."""
from __future__ import annotations

import json
import stat
import time
import types

import pytest

import storage.values as store_module
from rules import limits
from sync.client import SyncClient
from tests.conftest import PASSPHRASE

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
YEAR_MS = 365 * 24 * 3600 * 1000


@pytest.fixture
def enrolled(make_store, live):
    def make(name: str, team: str = "north") -> SyncClient:
        client = SyncClient(make_store(name))
        client.enroll(live.url, live.hub.new_enroll_code(team))
        return client
    return make


def test_a_laptop_stranded_by_a_clock_once_a_year_ahead_recovers_over_http(enrolled, live, cli):
    a, b = enrolled("a"), enrolled("b")
    a.store.clock._now_ms = lambda: time.time_ns() // 1_000_000 + YEAR_MS
    ids = [a.store.save_record("household", {"members": n}) for n in range(3)]
    r = a.sync_now()
    assert (r.pushed, r.warning_code) == (0, "clock_ahead") and a.store.pending_count() == 3
    status = json.loads(cli("sync", "status", "--profile", str(a.store.directory), env=ENV).stdout)
    assert status["clock"] == "ahead" and "ahead of the server" in status["clock_note"]
    a.store.clock._now_ms = lambda: time.time_ns() // 1_000_000  # the date is fixed
    status = json.loads(cli("sync", "status", "--profile", str(a.store.directory), env=ENV).stdout)
    assert status["clock"] == "ahead"  # what the last sync found: not yet checked against the server
    done = cli("sync", "now", "--profile", str(a.store.directory), env=ENV)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["pushed"], out["restamped"], out["clock"]) == (3, 3, "ok")
    assert "re-stamped" in done.stderr
    status = json.loads(cli("sync", "status", "--profile", str(a.store.directory), env=ENV).stdout)
    assert (status["pending"], status["clock"]) == (0, "restamped") and "values are unchanged" in status["clock_note"]
    b.sync_now()
    assert {r.id for r in b.store.list_records()} == set(ids)


def test_a_set_aside_change_is_shown_listed_and_exported_for_support(enrolled, live, cli, tmp_path, monkeypatch):
    a = enrolled("a")
    lax = types.SimpleNamespace(**{k: getattr(limits, k) for k in dir(limits) if not k.startswith("__")})
    lax.too_many_fields = lambda n: None  # a record saved by an older Fieldbook, without the store's check
    monkeypatch.setattr(store_module, "limits", lax)
    big = a.store.save_record("household", {**{f"q{i}": i for i in range(limits.MAX_FIELDS + 1)}, "head_name": "Канарка Синтетична"})
    rest = a.store.save_record("household", {"members": 2})
    r = a.sync_now()
    assert r.pushed == 2 and rest in live.hub.records() and big not in live.hub.records()
    profile = str(a.store.directory)
    status = json.loads(cli("sync", "status", "--profile", profile, env=ENV).stdout)
    assert status["set_aside"] == 1 and status["pending"] == 0 and "set aside" in status["set_aside_note"]
    listed = cli("sync", "set-aside", "--profile", profile, env=ENV)
    assert listed.returncode == 0 and "Канарка" not in listed.stdout + listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["record_id"] == big and row["fields"] == limits.MAX_FIELDS + 2 and "2,000 fields" in row["reason"]
    out = tmp_path / "support.json"
    done = cli("sync", "set-aside", "--profile", profile, "--export", str(out), env=ENV)
    assert done.returncode == 0, done.stderr
    assert "Канарка" not in done.stdout + done.stderr and "personal data" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text())
    assert doc["format"] == "fieldbook-set-aside" and doc["changes"][0]["fields"]["head_name"] == "Канарка Синтетична"
    again = cli("sync", "set-aside", "--profile", profile, "--export", str(out), env=ENV)
    assert again.returncode != 0 and "already exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_a_resolution_made_from_the_cli_closes_the_conflict_at_the_hub_and_on_every_laptop(enrolled, live, cli):
    a, b = enrolled("a"), enrolled("b")
    rid = a.store.save_record("household", {"members": 4})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    [conflict] = a.store.conflicts()
    assert len(live.hub.conflicts()) == 1 and len(b.store.conflicts()) == 1
    a.store.close()  # the person works from the command line now
    profile = str(a.store.directory)
    done = cli("sync", "resolve", "--profile", profile, str(conflict.id), "--restore", env=ENV)
    assert done.returncode == 0, done.stderr
    assert cli("sync", "now", "--profile", profile, env=ENV).returncode == 0
    b.sync_now()
    assert live.hub.conflicts() == [] and [c["resolution"] for c in live.hub.conflicts(include_resolved=True)] == ["restored"]
    assert b.store.conflicts() == [] and b.store.get_record(rid).fields == {"members": conflict.value}
    late = enrolled("late")
    late.sync_now()
    assert late.store.conflicts() == [] and late.store.get_record(rid).fields == {"members": conflict.value}
