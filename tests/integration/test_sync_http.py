"""Laptops syncing through a real server over HTTP on loopback, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import urllib.request

import pytest

from storage import Store
from storage.errors import StorageError
from sync.client import SyncClient, SyncLoop
from sync.errors import DeviceRevoked, EnrollmentRefused, ServerUnreachable


@pytest.fixture
def enrolled(make_store, live):
    def make(name: str, team: str = "north") -> SyncClient:
        client = SyncClient(make_store(name))
        client.enroll(live.url, live.hub.new_enroll_code(team))
        return client
    return make


def state(client):
    return {r.id: (r.deleted, r.fields) for r in client.store.list_records(include_deleted=True)}


def test_two_laptops_edit_offline_and_converge(enrolled, live):
    a, b = enrolled("a"), enrolled("b")
    rid = a.store.save_record("household", {"head_name": "Оксана Синтетична", "members": 4, "phone": "0670001122"})
    a.sync_now(); b.sync_now()
    # offline: different fields on each laptop, and the same field on both
    a.store.edit_record(rid, {"members": 5, "status": "visited"})
    b.store.edit_record(rid, {"phone": "0670003344", "status": "absent"})
    a.sync_now(); b.sync_now(); a.sync_now()
    server = live.hub.records()[rid]
    assert state(a) == state(b) == {rid: (False, server["fields"])}
    assert server["fields"]["members"] == 5 and server["fields"]["phone"] == "0670003344"
    winner = server["fields"]["status"]
    loser = ({"visited", "absent"} - {winner}).pop()
    assert [c["value"] for c in live.hub.conflicts()] == [loser]
    assert [c.value for c in a.store.conflicts()] == [loser]
    assert [c.value for c in b.store.conflicts()] == [loser]


def test_many_changes_go_in_batches(enrolled, live):
    a, b = enrolled("a"), enrolled("b")
    a.batch = 100
    b.pull_limit = 150
    a.store.save_records("household", [{"members": i, "head_name": f"Синтетична {i}"} for i in range(1234)])
    r = a.sync_now()
    assert r.pushed == 1234 and a.store.pending_count() == 0
    r = b.sync_now()
    assert r.pulled == 1234 and b.store.count_records("household") == 1234


def test_enrollment_refusals_over_http(make_store, live):
    code = live.hub.new_enroll_code("north")
    SyncClient(make_store("one")).enroll(live.url, code)
    two = SyncClient(make_store("two"))
    with pytest.raises(EnrollmentRefused, match="already used"):
        two.enroll(live.url, code)
    with pytest.raises(EnrollmentRefused, match="expired"):
        two.enroll(live.url, live.hub.new_enroll_code("north", ttl_s=-1))
    assert two.store.sync_settings() is None


def test_other_team_sees_nothing(enrolled, live):
    a, x = enrolled("a", "north"), enrolled("x", "south")
    a.store.save_record("household", {"members": 1})
    a.sync_now()
    assert x.sync_now().pulled == 0 and state(x) == {}


def test_revoked_laptop_is_refused_and_erases_itself(enrolled, live):
    a = enrolled("a")
    a.store.save_record("household", {"members": 1})
    live.hub.revoke(a.store.device_id, wipe=True)
    directory = a.store.directory
    with pytest.raises(DeviceRevoked, match="erased"):
        a.sync_now()
    with pytest.raises(StorageError):
        Store.open(directory)


def test_openapi_is_served(live):
    with urllib.request.urlopen(live.url + "/openapi.json", timeout=5) as resp:
        spec = json.load(resp)
    assert {"/v1/health", "/v1/enroll", "/v1/sync", "/v1/forward"} <= set(spec["paths"])


def test_garbage_and_oversized_posts_are_refused_cleanly(live):
    req = urllib.request.Request(live.url + "/v1/sync", data=b"not a bundle at all", method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 400 and "not a Fieldbook sync bundle" in json.load(info.value)["message"]
    # Oversized: refused from the declared length, before the body is read.
    import http.client

    host, port = live.url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/sync")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(live.hub.settings.max_bundle_bytes + 1))
    conn.endheaders()
    conn.send(b"x" * 1024)
    resp = conn.getresponse()
    assert resp.status == 413 and "limit" in json.load(resp)["message"]
    conn.close()


def test_sync_loop_reports_states_and_recovers_when_the_server_returns(enrolled, live, make_store):
    a = enrolled("a")
    url = live.url
    states = []
    loop = SyncLoop(a, states.append, interval=0.2, min_backoff=0.05, max_backoff=0.2)
    a.store.save_record("household", {"members": 1})
    assert loop.run_once() == 0.2 and states[-1].state == "up_to_date" and states[-1].pending == 0
    # The server vanishes: an ordinary "offline", with a growing, bounded wait.
    settings = a.store.sync_settings()
    a.store.save_sync_settings(dict(settings, server_url="http://127.0.0.1:9"))
    a.store.save_record("household", {"members": 2})
    waits = [loop.run_once() for _ in range(6)]
    assert states[-1].state == "offline" and states[-1].pending == 1
    assert all(0 < w <= 0.2 for w in waits)
    a.store.save_sync_settings(dict(settings, server_url=url))
    loop.run_once()
    assert states[-1].state == "up_to_date" and states[-1].pending == 0 and loop.failures == 0


def test_server_vanishing_mid_sync_is_ordinary_and_the_next_sync_resumes(make_store, tmp_path, db_url):
    from sync_helpers import LiveServer, make_hub

    hub = make_hub(tmp_path / "hub2", db_url)
    server = LiveServer(hub).__enter__()
    a = SyncClient(make_store("a"), batch=20)
    a.enroll(server.url, hub.new_enroll_code("north"))
    n = 4000
    a.store.save_records("household", [{"members": i} for i in range(n)])
    seen = []

    def stop_after_some(stage, done, total):
        seen.append(done)
        if done >= 200 and not server.server.should_exit:
            server.server.should_exit = True  # the hub's process goes away mid-sync

    with pytest.raises(ServerUnreachable):
        a.sync_now(progress=stop_after_some)
    server.thread.join(10)
    held = hub.db.execute("SELECT count(*) FROM changes")[0][0]
    assert 0 < held < n and a.store.pending_count() == n - held
    with LiveServer(hub) as again:  # back, on another port
        a.store.save_sync_settings(dict(a.store.sync_settings(), server_url=again.url))
        a.sync_now()
    assert hub.db.execute("SELECT count(*) FROM changes")[0][0] == n and a.store.pending_count() == 0
    hub.close()
