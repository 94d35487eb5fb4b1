"""The ``sync`` commands a headless laptop runs, against a real server on loopback."""
from __future__ import annotations

import json

import pytest

from sync.client import SyncClient
from tests.conftest import PASSPHRASE

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}


def test_sync_now_says_a_carried_bundle_of_a_revoked_laptop_was_refused(make_store, tmp_path, cli, live_sqlite):
    server, hub = live_sqlite
    a = SyncClient(make_store("a"))
    a.enroll(server.url, hub.new_enroll_code("north"))
    carrier = SyncClient(make_store("carrier"))
    carrier.enroll(server.url, hub.new_enroll_code("north"))
    a.store.save_record("household", {"members": 7})
    a.export_bundle(tmp_path / "a.fbb")
    carrier.import_bundle(tmp_path / "a.fbb")
    carrier.store.close()
    hub.revoke(a.store.device_id)
    r = cli("sync", "now", "--profile", str(tmp_path / "carrier"), env=ENV)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["forwarded"] == 0 and out["forward_refused"] == 1
    [line] = [x for x in r.stderr.splitlines() if x.startswith("warning:")]
    assert f"refused the bundle carried for device {a.store.device_id}" in line and "revoked" in line


def _start_run(profile, *extra):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), **ENV}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sync", "run", "--profile", str(profile), *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _next_line(proc, timeout=30.0) -> dict:
    import selectors
    import time

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            return json.loads(line)
    raise AssertionError("sync run printed nothing in time")


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_sync_run_keeps_a_profile_syncing_and_stops_cleanly(make_store, tmp_path, live_sqlite, sig):
    import signal

    server, hub = live_sqlite
    laptop = SyncClient(make_store("p"))
    laptop.enroll(server.url, hub.new_enroll_code("north"))
    rid = laptop.store.save_record("household", {"head_name": "Synthetic Canary-Run-7731", "members": 2})
    laptop.store.close()
    proc = _start_run(tmp_path / "p", "--interval", "1")
    try:
        first = _next_line(proc)
        assert first["state"] == "up_to_date" and first["pending"] == 0, first
        assert hub.records()[rid]["fields"]["members"] == 2
        # Another process writes to the profile meanwhile: the next round takes it up.
        other = make_store_reopen(tmp_path / "p")
        rid2 = other.save_record("household", {"members": 5})
        other.close()
        for _ in range(10):
            line = _next_line(proc)
            if rid2 in hub.records():
                break
        assert rid2 in hub.records() and line["state"] == "up_to_date"
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"stopped ({sig})" in err and "Traceback" not in err
    assert "Canary-Run-7731" not in out + err


def make_store_reopen(path):
    from storage import Store

    store = Store.open(path)
    store.unlock(PASSPHRASE)
    return store


def test_sync_run_says_offline_when_the_server_is_gone_and_refuses_a_profile_not_enrolled(make_store, tmp_path, cli):
    from sync_helpers import LiveServer, make_hub

    hub = make_hub(tmp_path / "hub")
    with LiveServer(hub) as server:
        laptop = SyncClient(make_store("p"))
        laptop.enroll(server.url, hub.new_enroll_code("north"))
        laptop.store.close()
    hub.close()
    proc = _start_run(tmp_path / "p")
    try:
        line = _next_line(proc)
        assert line["state"] == "offline" and line["reason"] == "server_unreachable" and line["next_try_s"] > 0, line
        proc.terminate()
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    make_store("lonely").close()
    r = cli("sync", "run", "--profile", str(tmp_path / "lonely"), env=ENV)
    assert r.returncode == 1 and "not enrolled" in r.stderr and r.stdout == ""
