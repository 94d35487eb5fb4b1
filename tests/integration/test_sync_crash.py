"""SIGKILL during push and during pull, many times: nothing lost, nothing duplicated."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pathlib import Path

from sync.client import SyncClient

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "synthetic passphrase 1"  # the make_store fixture's

WORKER = """
import sys
sys.path.insert(0, {root!r})
from storage import Store
from sync.client import SyncClient
store = Store.open(sys.argv[1]); store.unlock({passphrase!r})
client = SyncClient(store, batch=int(sys.argv[2]), pull_limit=int(sys.argv[2]))
print("started", flush=True)
client.sync_now(progress=lambda stage, done, total: print(stage, flush=True))
print("done", flush=True)
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def db_url():
    """SQLite only: the kill loop exercises the laptop's transactions, which do not depend on the server's database."""
    return None


def _kill_loop(directory, size: int, rng: random.Random, kills: int) -> int:
    """Start the worker again and again, killing it after a random number of rounds plus a
    random fraction of one (so kills land between and inside transactions); return how
    many kills landed before the worker finished."""
    code = WORKER.format(root=str(ROOT), passphrase=PASSPHRASE)
    landed = 0
    for _ in range(kills):
        with subprocess.Popen([sys.executable, "-c", code, str(directory), str(size)], stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout.readline().strip() == "started"
            for _ in range(rng.randint(1, 15)):
                if proc.stdout.readline().strip() in ("done", ""):
                    break
            time.sleep(rng.uniform(0.0, 0.03))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                landed += 1
            proc.wait(30)
    return landed


@pytest.fixture
def pair(make_store, live):
    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    b = SyncClient(make_store("b"))
    b.enroll(live.url, live.hub.new_enroll_code("north"))
    return a, b


def test_kill_during_push_and_pull_loses_and_duplicates_nothing(pair, live):
    a, b = pair
    n = 6000
    ids = a.store.save_records("household", [{"members": i % 9, "head_name": f"Синтетична {i}"} for i in range(n)])
    a_dir, b_dir = a.store.directory, b.store.directory
    a.store.close()
    b.store.close()
    rng = random.Random(20261122)
    landed = _kill_loop(a_dir, 20, rng, 12)
    assert landed >= 4, "the kills should land mid-push"
    from storage import Store

    a2 = SyncClient(Store.open(a_dir))
    a2.store.unlock(PASSPHRASE)
    a2.sync_now()
    assert a2.store.pending_count() == 0
    assert live.hub.db.execute("SELECT count(*) FROM changes")[0][0] == n  # each change stored once
    assert set(live.hub.records()) == set(ids)
    a2.store.close()

    landed = _kill_loop(b_dir, 20, rng, 12)
    assert landed >= 4, "the kills should land mid-pull"
    b2 = SyncClient(Store.open(b_dir))
    b2.store.unlock(PASSPHRASE)
    b2.sync_now()
    got = {r.id: r.fields for r in b2.store.list_records("household")}
    server = {rid: r["fields"] for rid, r in live.hub.records().items()}
    assert got == server and len(got) == n
    assert b2.store.verify().ok
    b2.store.close()


def test_kill_during_a_pull_that_merges_into_edited_records_loses_and_duplicates_nothing(pair, live):
    """Pages that are not just new records: edits that conflict with the laptop's own and
    deletes of records it edited, applied in bulk, with kills inside and between pages."""
    a, b = pair
    n = 1500
    ids = a.store.save_records("household", [{"members": i % 9, "head_name": f"Синтетична {i}"} for i in range(n)])
    a.sync_now()
    b.sync_now()
    edited, gone = ids[:300], ids[300:340]
    for rid in edited + gone:
        b.store.edit_record(rid, {"members": 20})
    for rid in edited:
        a.store.edit_record(rid, {"members": 30, "head_name": "Оксана Синтетична"})
    for rid in gone:
        a.store.delete_record(rid)
    a.sync_now()
    b_dir = b.store.directory
    a.store.close()
    b.store.close()
    landed = _kill_loop(b_dir, 20, random.Random(20261128), 12)
    assert landed >= 4, "the kills should land mid-sync"
    from storage import Store

    b2 = SyncClient(Store.open(b_dir))
    b2.store.unlock(PASSPHRASE)
    b2.sync_now()
    assert b2.store.pending_count() == 0
    server = {rid: r for rid, r in live.hub.records().items()}
    got = {r.id: r for r in b2.store.list_records("household", include_deleted=True)}
    assert {rid: r.fields for rid, r in got.items() if not r.deleted} == {
        rid: r["fields"] for rid, r in server.items() if not r["deleted"]}
    assert all(got[rid].deleted for rid in gone)
    conflicts = b2.store.conflicts(include_resolved=True)
    keys = [(c.record_id, c.field, c.stamp) for c in conflicts]
    assert len(keys) == len(set(keys))  # none recorded twice
    assert {c.record_id for c in conflicts if c.field == "members"} >= set(edited)  # each concurrent edit kept
    assert b2.store.verify().ok
    b2.store.close()
