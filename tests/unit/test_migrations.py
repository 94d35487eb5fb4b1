"""Schema migrations are named, atomic and recorded; a store made by schema version 1 upgrades."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storage import Store, schema
from storage.errors import NewerStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store_v1"
PASSPHRASE = "fixture passphrase v1"


@pytest.fixture
def v1_profile(tmp_path) -> Path:
    target = tmp_path / "v1"
    shutil.copytree(FIXTURE, target)
    return target


def test_fixture_is_really_version_1(v1_profile):
    conn = sqlite3.connect(v1_profile / "store.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "index_fields" not in tables and "records" in tables
    conn.close()


def test_version_1_store_upgrades_and_keeps_everything(v1_profile):
    store = Store.open(v1_profile)
    store.unlock(PASSPHRASE)
    conn = store._conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == 4
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == ["0001_initial", "0002_declared_blind_indexes", "0003_streaming_scans", "0004_sync_state"]
    records = list(store.list_records("household"))
    assert len(records) == 2
    oksana = next(r for r in records if r.fields.get("id_number"))
    assert oksana.fields == {"head_name": "Синтетична Оксана", "phone": "+380 67 000 00 01", "id_number": "КН 000001", "members": 4}
    assert oksana.form_id == "household_needs" and oksana.form_version == "1"
    # Blind-index tokens written by version 1 still answer under version 2.
    assert [r.id for r in store.find_records("household", "phone", "0670000001")] == [oksana.id]
    assert [r.id for r in store.find_records("household", "id_number", "kh000001")] == [oksana.id]
    assert store.verify().ok
    # And the upgraded store keeps working: new writes continue the outbox sequence.
    store.save_record("household", {"head_name": "After Upgrade", "phone": "0670000003"})
    seqs = [c.seq for c in store.pending_changes()]
    assert seqs == list(range(1, len(seqs) + 1))
    store.close()


def test_upgrade_happens_once(v1_profile):
    Store.open(v1_profile).close()
    store = Store.open(v1_profile)
    count = store._conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert count == schema.SCHEMA_VERSION
    store.close()


def test_a_failing_migration_changes_nothing(v1_profile, monkeypatch):
    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration failed halfway")

    monkeypatch.setattr(schema.migrations._migrations[1], "fn", broken)
    with pytest.raises(RuntimeError):
        Store.open(v1_profile)
    conn = sqlite3.connect(v1_profile / "store.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in tables and "index_fields" not in tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_a_store_from_a_newer_fieldbook_is_refused(store, tmp_path):
    store._conn.execute("PRAGMA user_version = 99")
    store.close()
    with pytest.raises(NewerStore, match="newer Fieldbook"):
        Store.open(tmp_path / "profile")
