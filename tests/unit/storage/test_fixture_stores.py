"""A store from every schema version opens, upgrades to this one, and keeps its data
(tests/fixtures/stores/vN, made by tests/fixtures/make_stores.py and make_store_vN.py)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import Store, schema
from storage.errors import WrongPassphrase

STORES = Path(__file__).resolve().parents[2] / "fixtures" / "stores"
VERSIONS = sorted(int(p.name[1:]) for p in STORES.iterdir() if p.name.startswith("v"))


def _facts(version: int) -> dict | None:
    """The facts a store made by make_stores.py carries (older fixtures have their own tests)."""
    lines = (STORES / f"v{version}" / "README.txt").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[1]) if len(lines) > 1 and lines[1].startswith("{") and '"records"' in lines[1] else None


def _open(tmp_path: Path, version: int) -> Store:
    profile = tmp_path / f"v{version}"
    shutil.copytree(STORES / f"v{version}", profile)
    store = Store.open(profile)
    store.unlock(f"fixture passphrase v{version}")
    return store


def test_there_is_a_fixture_store_for_every_schema_version():
    assert VERSIONS == list(range(1, schema.SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_upgrades_and_stays_whole(tmp_path, version):
    store = _open(tmp_path, version)
    conn = store._conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert schema.pending(Database(conn)) == []
    everything = list(store.list_records(include_deleted=True))
    assert everything and all(isinstance(r.fields, dict) for r in everything)
    assert all(isinstance(c.fields, dict) for c in store.pending_changes())  # every queued change still opens
    report = store.verify()
    assert report.ok, report
    # It goes on working: an edit is stamped after everything it held, and verifies.
    live = next(r for r in everything if not r.deleted and r.kind != "draft")
    edited = store.edit_record(live.id, {"members": 99})
    assert edited.fields["members"] == 99 and store.pending_changes()[-1].record_id == live.id
    assert store.verify().ok
    store.close()


@pytest.mark.parametrize("version", [v for v in VERSIONS if _facts(v)])
def test_the_data_each_version_held_is_there_after_the_upgrade(tmp_path, version):
    facts = _facts(version)
    store = _open(tmp_path, version)
    for rid, fields in facts["records"].items():
        record = store.get_record(rid)
        assert record.deleted == (fields is None) and record.fields == (fields or {}), rid
    for kind, field, value, ids in facts["finds"]:
        assert [r.id for r in store.find_records(kind, field, value)] == ids  # blind tokens still match
    assert store.users() == facts["users"]
    changes = store.pending_changes()
    assert len(changes) == facts["pending"] and all(c.kind != "draft" for c in changes)
    assert [[c.record_id, c.field, c.value] for c in store.conflicts()] == facts.get("conflicts", [])
    assert store.published_forms() == facts.get("forms", {})
    authors = facts.get("authors")
    assert [c.author for c in changes] == ([n for n, k in authors.items() for _ in range(k)] if authors
                                           else [None] * len(changes))
    store.close()
    # The second user's passphrase still opens it, and a wrong one does not.
    again = Store.open(store.directory)
    again.unlock("second fixture passphrase", user="Second Fixture User")
    with pytest.raises(WrongPassphrase):
        again.unlock("not the passphrase")
    again.close()


def test_the_fixture_script_knows_the_newest_version():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_stores", STORES.parent / "make_stores.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert schema.SCHEMA_VERSION in module.BUILDERS and module.COMMITS[schema.SCHEMA_VERSION] is None
