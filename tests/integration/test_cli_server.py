"""``server init`` on PostgreSQL: a database that already holds a server is never given new keys."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_server_init_refuses_new_keys_for_a_database_in_use(db_url, tmp_path, cli):
    first = tmp_path / "first"
    r = cli("server", "init", "--data", str(first), "--db", db_url)
    assert r.returncode == 0, r.stderr
    r = cli("server", "enroll-code", "--data", str(first), "--db", db_url, "--team", "north")
    assert r.returncode == 0, r.stderr
    from sync.client import SyncClient
    from sync_helpers import LiveServer, make_hub

    hub = make_hub(first, db_url)
    try:
        with LiveServer(hub) as server:
            from storage import Store, crypto

            store, _ = Store.create(tmp_path / "p", user="E", passphrase="synthetic passphrase 1", kdf=crypto.fast_kdf_for_tests())
            SyncClient(store).enroll(server.url, r.stdout.strip())
            store.close()
    finally:
        hub.close()
    lost = tmp_path / "lost-keys"
    r = cli("server", "init", "--data", str(lost), "--db", db_url)
    assert r.returncode == 1
    [line] = r.stderr.splitlines()
    assert "already holds a server's data (1 device(s)" in line and "restore its server-keys.json" in line
    assert not (lost / "server-keys.json").exists()
