"""The ``sync`` commands a headless laptop runs, against a real server on loopback."""
from __future__ import annotations

import json

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
