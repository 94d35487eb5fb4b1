"""Schema migrations are named, atomic and recorded; stores made by schema versions 1 and 3 upgrade."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storage import Store, schema
from storage.errors import NewerStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stores" / "v1"
PASSPHRASE = "fixture passphrase v1"
FIXTURE_V3 = FIXTURE.with_name("v3")
PASSPHRASE_V3 = "fixture passphrase v3"
ALL_MIGRATIONS = [
    "0001_initial", "0002_declared_blind_indexes", "0003_streaming_scans", "0004_lean_rows", "0005_sync_state", "0006_published_forms",
    "0007_local_drafts", "0008_conflict_resolutions", "0009_change_authors", "0010_draft_files",
]


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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == len(ALL_MIGRATIONS)
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == ALL_MIGRATIONS
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


# --- schema version 3 -> 4: tables rebuilt with integer record handles ---------------
@pytest.fixture
def v3_profile(tmp_path) -> Path:
    target = tmp_path / "v3"
    shutil.copytree(FIXTURE_V3, target)
    return target


def _v3_ids() -> list[str]:
    # README.txt: "Records: EDITED (edited), DELETED (deleted), PLAIN, SINGLE (saved alone; ...)."
    text = (FIXTURE_V3 / "README.txt").read_text().split("Records: ", 1)[1]
    return [part.strip().split(" ")[0] for part in text.split(",")][:4]


def test_fixture_is_really_version_3(v3_profile):
    conn = sqlite3.connect(v3_profile / "store.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    columns = {r[1] for r in conn.execute("PRAGMA table_info(records)")}
    assert "ref" not in columns and "clocks" in columns
    assert conn.execute("SELECT count(*) FROM changes WHERE body IS NULL").fetchone()[0] == 0
    conn.close()


def test_version_3_store_upgrades_and_keeps_everything(v3_profile):
    edited, deleted, plain, single = _v3_ids()
    before = sqlite3.connect(v3_profile / "store.db")
    old_clocks = dict(before.execute("SELECT id, clocks FROM records"))
    old_bodies = dict(before.execute("SELECT id, body FROM records"))
    old_changes = before.execute("SELECT device_id, seq, record_id, hlc, body FROM changes ORDER BY seq").fetchall()
    old_audit = before.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    before.close()

    store = Store.open(v3_profile)
    store.unlock(PASSPHRASE_V3)
    conn = store._conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == len(ALL_MIGRATIONS)
    assert [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")] == ALL_MIGRATIONS
    # Bodies move unchanged (their associated data is the record id, not the row).
    assert dict(conn.execute("SELECT id, body FROM records")) == old_bodies
    # Refs follow id order; clocks that were one base stamp become NULL, the others stay.
    rows = conn.execute("SELECT ref, id, clocks, updated FROM records ORDER BY ref").fetchall()
    assert [r[1] for r in rows] == sorted(old_bodies)
    for _ref, rid, clocks, updated in rows:
        if old_clocks[rid] == '{"":"%s"}' % updated:
            assert clocks is None
        else:
            assert clocks == old_clocks[rid]
    assert conn.execute("SELECT device_id, seq, record_id, hlc, body FROM changes ORDER BY seq").fetchall() == old_changes
    assert [r[:7] for r in conn.execute("SELECT * FROM audit WHERE seq <= ? ORDER BY seq", (len(old_audit),))] == old_audit

    # Every record reads back the same: fields, clocks, tombstone.
    records = {r.id: r for r in store.list_records("household", include_deleted=True)}
    assert set(records) == {edited, deleted, plain, single}
    assert records[edited].fields["members"] == 4 and records[edited].fields["note"] == "edited"
    assert records[edited].clocks["members"] > records[edited].clocks["head_name"]
    assert records[deleted].deleted and records[deleted].fields == {} and "_deleted" in records[deleted].clocks
    assert set(records[plain].clocks) == set(records[plain].fields)
    assert records[plain].form_id == "household_needs" and records[plain].form_version == "3"
    # Blind-index tokens now point at integer handles, and still answer; the tombstone's are gone.
    assert [r.id for r in store.find_records("household", "phone", "0670000031")] == [edited]
    assert [r.id for r in store.find_records("household", "id_number", "123-456-789")] == [plain]
    assert [r.id for r in store.find_records("household", "card", "card-0034")] == [single]
    assert store.find_records("household", "phone", "0500000032") == []
    # The outbox from version 3 (every change with its own body) reads as before.
    changes = store.pending_changes()
    assert [c.seq for c in changes] == list(range(1, len(old_changes) + 1))
    assert changes[0].record_id == edited and changes[0].fields["members"] == 3
    report = store.verify()
    assert report.ok, report
    # The audit history of a version-3 record is intact.
    assert [e.action for e in store.audit_entries(edited)] == ["add", "edit"]

    # And it keeps working in the version-4 way.
    new = store.save_records("household", [{"head_name": "After Upgrade", "phone": "0670000035"}] * 2)
    assert conn.execute("SELECT count(*) FROM changes WHERE body IS NULL").fetchone()[0] == 2
    assert [r.id for r in store.find_records("household", "phone", "0670000035")] == new
    store.edit_record(new[0], {"members": 2})
    assert [c.seq for c in store.pending_changes()] == list(range(1, len(old_changes) + 4))
    assert store.verify().ok
    store.close()
