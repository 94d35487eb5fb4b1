"""Several server processes on one database (issue 19, items 2 and 7), on SQLite and PostgreSQL:
real ``server run`` processes sharing one data folder (one key file) and one database. A laptop
enrolls at one and syncs at the other; a process killed with SIGKILL mid-push loses nothing, and
the other takes the rest; ``--workers N`` serves; a process with another key file does not start."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync.client import SyncClient
from sync.errors import ServerUnreachable
from sync.server.embedded import wait_until_responds
from sync_helpers import make_hub

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """``python main.py server run`` in a process of its own, on a free port."""

    def __init__(self, data: Path, db_url: str | None, *extra: str) -> None:
        args = [sys.executable, str(ROOT / "main.py"), "server", "run", "--data", str(data), "--port", "0", *extra]
        if db_url:
            args += ["--db", db_url]
        self.proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        banner = self.proc.stdout.readline()  # "Fieldbook server ... on http://127.0.0.1:PORT (data in ...)"
        if not banner:
            raise AssertionError(f"the server did not start: {self.proc.stderr.read()}")
        self.url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        wait_until_responds(self.url + "/v1/health", timeout=60)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the whole process group: workers too
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def two_servers(tmp_path, db_url, cli):
    data = tmp_path / "hub"
    init = ["server", "init", "--data", str(data)] + (["--db", db_url] if db_url else [])
    assert cli(*init).returncode == 0
    servers = []
    try:
        servers += [ServerProcess(data, db_url), ServerProcess(data, db_url)]
        hub = make_hub(data, db_url)  # the hub's own commands, on the same folder and database
        yield hub, servers
        hub.close()
    finally:
        for s in servers:
            s.stop()


def use(client: SyncClient, url: str) -> None:
    client.store.save_sync_settings(dict(client.store.sync_settings(), server_url=url))


def state(client: SyncClient) -> dict:
    return {r.id: (r.deleted, r.fields) for r in client.store.list_records(include_deleted=True)}


def test_a_laptop_enrolled_at_one_process_syncs_at_the_other(two_servers, make_store):
    hub, (one, two) = two_servers
    a, b = SyncClient(make_store("a")), SyncClient(make_store("b"))
    a.enroll(one.url, hub.new_enroll_code("north"))
    b.enroll(two.url, hub.new_enroll_code("north"))  # a code made by the hub's command, used at the second
    ids = a.store.save_records("household", [{"members": i} for i in range(50)])
    use(a, two.url)
    assert a.sync_now().pushed == 50
    use(b, one.url)
    assert b.sync_now().pulled == 50
    b.store.edit_record(ids[0], {"members": 99})
    assert b.sync_now().pushed == 1
    use(a, one.url)
    a.sync_now()
    server = {rid: (r["deleted"], r["fields"]) for rid, r in hub.records().items()}
    assert state(a) == state(b) == server and server[ids[0]] == (False, {"members": 99})


def test_a_process_killed_mid_push_loses_nothing_and_the_other_takes_the_rest(two_servers, make_store):
    hub, (one, two) = two_servers
    a = SyncClient(make_store("a"), batch=50)
    a.enroll(one.url, hub.new_enroll_code("north"))
    n = 3000
    a.store.save_records("household", [{"members": i, "note": "synthetic"} for i in range(n)])
    killed = threading.Event()

    def kill_after_some(stage, done, total):
        if stage == "push" and done >= 300 and not killed.is_set():
            killed.set()
            one.kill()

    with pytest.raises(ServerUnreachable):
        a.sync_now(progress=kill_after_some)
    assert killed.is_set()
    held = hub.db.execute("SELECT count(*) FROM changes")[0][0]
    assert 0 < held < n and a.store.pending_count() >= n - held
    use(a, two.url)
    a.sync_now()
    assert hub.db.execute("SELECT count(*) FROM changes")[0][0] == n  # each change once: none lost, none twice
    assert hub.db.execute("SELECT count(DISTINCT record_id) FROM records")[0][0] == n
    assert a.store.pending_count() == 0


def test_server_run_with_workers_serves_laptops(tmp_path, db_url, cli, make_store):
    data = tmp_path / "hub"
    assert cli("server", "init", "--data", str(data), *(["--db", db_url] if db_url else [])).returncode == 0
    server = ServerProcess(data, db_url, "--workers", "2")
    hub = make_hub(data, db_url)
    try:
        a, b = SyncClient(make_store("a")), SyncClient(make_store("b"))
        a.enroll(server.url, hub.new_enroll_code("north"))
        b.enroll(server.url, hub.new_enroll_code("north"))
        a.store.save_records("household", [{"members": i} for i in range(20)])
        for _ in range(3):  # several requests: the workers share them
            a.sync_now()
            b.sync_now()
        assert state(a) == state(b) and len(state(b)) == 20
    finally:
        hub.close()
        server.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_process_with_another_key_file_does_not_start(tmp_path, db_url, cli):
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    assert cli("server", "init", "--data", str(tmp_path / "first"), "--db", db).returncode == 0
    first = make_hub(tmp_path / "first", db)
    first.close()
    assert cli("server", "init", "--data", str(tmp_path / "second")).returncode == 0  # keys of its own
    r = cli("server", "run", "--data", str(tmp_path / "second"), "--db", db, "--port", "0")
    assert r.returncode == 1 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith("error: This database belongs to " + first.server_id) and "server-keys.json" in line
