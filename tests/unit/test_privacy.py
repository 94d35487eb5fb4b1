"""Canary scan: plaintext personal values never reach any file the app writes.

Canary values (Latin and Cyrillic) go through every path: save, bulk save, edit,
delete, blind-index lookups, the audit log, errors and the log file, the CLI
included. Then every file under the profile folder is read raw (database, WAL,
SHM, journal, temp files, logs, the keyring) while the store is still open, and
again after it closes, in UTF-8 and UTF-16 and case-folded.
"""
from __future__ import annotations

import json
import logging
import os

import pytest

from storage.errors import StorageError
from storage.logs import attach_profile_log, detach_profile_log
from tests.conftest import PASSPHRASE

CANARIES = [
    "Zqxcanary Latinova",
    "Канаркова Щебетуна Ґанна",
    "+380 99 765 43 21",
    "ЖК 777888",
    "canary.mail@example.org",
]


def _needles() -> list[bytes]:
    out = []
    for c in CANARIES + ["380997654321", "ЖК777888", "ZK777888"]:
        for variant in {c, c.lower(), c.upper(), c.casefold()}:
            out.append(variant.encode("utf-8"))
            out.append(variant.encode("utf-16-le"))
            out.append(json.dumps(variant).encode())  # \\u escapes
    return out


def scan(directory) -> list[str]:
    hits = []
    needles = _needles()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {n[:12]!r}" for n in needles if n in data]
    return hits


def test_no_canary_in_any_file(tmp_path, make_store, caplog):
    caplog.set_level(logging.DEBUG, logger="fieldbook")
    store = make_store()
    d = tmp_path / "profile"
    attach_profile_log(d, level=logging.DEBUG)
    try:
        person = {"head_name": CANARIES[1], "alias": CANARIES[0], "phone": CANARIES[2], "id_number": CANARIES[3], "email": CANARIES[4]}
        rid = store.save_record("household", person)
        store.save_records("household", [{**person, "n": i} for i in range(200)])
        store.edit_record(rid, {"alias": CANARIES[1] + " edited", "notes": CANARIES[0]})
        assert store.find_records("household", "phone", CANARIES[2])
        assert store.find_records("household", "id_number", CANARIES[3])
        store.declare_index("household", "email", "text")
        assert store.find_records("household", "email", CANARIES[4].upper())
        gone = store.save_record("household", {"head_name": CANARIES[1], "phone": CANARIES[2]})
        store.delete_record(gone)
        # Error paths with canaries in the input:
        for bad in ({CANARIES[1]: 1}, {"x": {CANARIES[0]}}, [CANARIES[0]]):
            with pytest.raises(StorageError) as info:
                store.save_record("household", bad)
            assert not any(c in str(info.value) for c in CANARIES)
        with pytest.raises(StorageError) as info:
            store.find_records("household", "head_name", CANARIES[1])
        assert not any(c in str(info.value) for c in CANARIES)
        assert store.verify().ok
        list(store.list_records())
        # While open: the WAL and SHM hold the latest pages.
        assert (d / "store.db-wal").exists()
        assert scan(d) == []
        store.close()
        assert scan(d) == []
    finally:
        detach_profile_log(d)
    assert not any(c in caplog.text for c in CANARIES)
    assert (d / "logs" / "fieldbook.log").stat().st_size > 0  # the log was written, and is clean


def test_no_canary_after_cli_use(tmp_path, cli):
    d = tmp_path / "cliprofile"
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    assert cli("profile", "init", "--profile", str(d), "--user", "Enumerator", env=env).returncode == 0
    person = json.dumps({"head_name": CANARIES[1], "phone": CANARIES[2]}, ensure_ascii=False)
    added = cli("record", "add", "--profile", str(d), "--kind", "household", "--json", "-", env=env, input=person)
    assert added.returncode == 0, added.stderr
    rid = added.stdout.strip()
    cli("record", "edit", "--profile", str(d), rid, "--json", json.dumps({"alias": CANARIES[0]}), env=env)
    found = cli("record", "find", "--profile", str(d), "--kind", "household", "--field", "phone", "--value", CANARIES[2], env=env)
    assert CANARIES[1] in found.stdout  # the user asked to see it: stdout is theirs
    bad = cli("record", "add", "--profile", str(d), "--kind", "household", "--json", '{"x": "' + CANARIES[1] + '",', env=env)
    assert bad.returncode != 0 and not any(c in bad.stderr for c in CANARIES)
    wrong = cli("record", "list", "--profile", str(d), env={"FIELDBOOK_PASSPHRASE": "wrong " + CANARIES[0]})
    assert wrong.returncode != 0 and CANARIES[0] not in wrong.stderr
    assert cli("record", "delete", "--profile", str(d), rid, env=env).returncode == 0
    assert cli("profile", "verify", "--profile", str(d), env=env).returncode == 0
    assert scan(d) == []
    assert os.listdir(d / "logs")


def test_the_scan_itself_finds_plaintext(tmp_path):
    # Control: the scanner must be able to fail.
    (tmp_path / "leak.log").write_bytes(("x " + CANARIES[1].upper() + " y").encode())
    (tmp_path / "leak16.tmp").write_bytes(CANARIES[0].encode("utf-16-le"))
    assert len(scan(tmp_path)) >= 2
