"""Changes made at the hub, over a real server on SQLite and PostgreSQL, with real laptop stores:
a conflict two laptops made is resolved once at the hub (command line or console) and closes on
both laptops at their next sync; an edit made in the console reaches the laptops."""
from __future__ import annotations

import json

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
