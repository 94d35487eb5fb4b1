"""Every bad input gets a clear, typed error and changes nothing.

For each kind of bad input (passphrases, damaged or foreign files, a locked
database, a full disk, unknown ids, malformed fields, the command line) this
proves two things: the error is the right ``storage.errors`` type, never a raw
sqlite3 or JSON exception; and afterwards the profile is exactly as it was
(rows, keyring bytes, decrypted contents, ``verify().ok``). Error messages
never repeat a field value that was passed in.
"""
from __future__ import annotations

import math
import os
import re
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storage import Store, crypto
from storage.errors import (
    CorruptStore,
    DiskFull,
    EmptyPassphrase,
    InvalidRecord,
    NotAProfile,
    StorageError,
    StoreBusy,
    UnknownRecord,
    WeakPassphrase,
    WrongPassphrase,
)
from storage.ids import uuid7

PASSPHRASE = "synthetic passphrase 1"
USER = "Оксана Несправжня"
SECRET = "Тарас Вигаданий-Секрет"  # a value passed in with bad input; it must never be echoed
PEOPLE = [
    {"head_name": "Тарас Вигаданий", "phone": "067 100 00 01", "members": 4, "village": "Вигадане"},
    {"head_name": "Ганна Уявна", "phone": "067 100 00 02", "members": 2, "note": "пенсіонерка"},
    {"head_name": "Богдан Несправжній", "phone": "067 100 00 03", "members": 6},
    {"head_name": "Їржина Ґедзь-Єфименко", "phone": "067 100 00 04", "members": 1},
]


# --- a profile with known contents, and how to prove it did not change ---------------
@dataclass
class Profile:
    dir: Path
    records: dict[str, dict]  # live record id -> fields
    deleted_id: str
    values: list[str] = field(default_factory=list)  # every stored text value

    @property
    def keyring(self) -> Path:
        return self.dir / "keyring.json"

    @property
    def db(self) -> Path:
        return self.dir / "store.db"


def new_store(directory: Path, passphrase: str = PASSPHRASE) -> Store:
    store, _ = Store.create(directory, user=USER, passphrase=passphrase, kdf=crypto.fast_kdf_for_tests())
    return store


@pytest.fixture
def profile(tmp_path) -> Profile:
    """A closed profile: four households (one edited) and one deleted record."""
    d = tmp_path / "profile"
    store = new_store(d)
    try:
        records = {store.save_record("household", dict(p)): dict(p) for p in PEOPLE}
        first = next(iter(records))
        store.edit_record(first, {"members": 5})
        records[first]["members"] = 5
        deleted_id = store.save_record("household", {"head_name": "Видалений Запис", "phone": "067 100 00 09"})
        store.delete_record(deleted_id)
    finally:
        store.close()
    values = [v for p in PEOPLE for v in p.values() if isinstance(v, str)] + ["Видалений Запис"]
    return Profile(d, records, deleted_id, values)


def raw_state(directory: Path) -> dict:
    """The keyring's bytes and every stored row that holds data, read without the store."""
    conn = sqlite3.connect(f"file:{directory / 'store.db'}?mode=ro", uri=True)
    try:
        tables = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in ("records", "changes", "blind_index", "index_fields")
        }
    finally:
        conn.close()
    return {"keyring": (directory / "keyring.json").read_bytes(), **tables}


def assert_unchanged(p: Profile, before: dict) -> None:
    """Same rows and keyring bytes; the store opens, decrypts the same records, verifies."""
    assert raw_state(p.dir) == before
    with Store.open(p.dir) as store:
        store.unlock(PASSPHRASE)
        assert {r.id: r.fields for r in store.list_records()} == p.records
        assert store.get_record(p.deleted_id).deleted
        assert store.verify().ok


def assert_clean_message(exc: BaseException, *values: object) -> None:
    """A sentence for the user that repeats none of the values that were passed in."""
    message = str(exc)
    assert len(message) > 15 and "Traceback" not in message
    for value in values:
        assert str(value) not in message


def household(i: int) -> dict:
    return {"head_name": f"Тарас Вигаданий {i:05d}", "phone": f"067 {i:07d}", "note": "опитування " * 30}


# --- passphrases -------------------------------------------------------------------
def test_wrong_passphrase_is_refused_and_changes_nothing(profile):
    before = raw_state(profile.dir)
    wrong = "Тарас Вигаданий 1990"
    with Store.open(profile.dir) as store:
        for user in (None, USER):
            with pytest.raises(WrongPassphrase) as caught:
                store.unlock(wrong, user)
            assert_clean_message(caught.value, wrong)
        assert not store.unlocked
    assert_unchanged(profile, before)


@pytest.mark.parametrize("empty", ["", None])
def test_empty_passphrase_on_unlock(profile, empty):
    before = raw_state(profile.dir)
    with Store.open(profile.dir) as store:
        with pytest.raises(EmptyPassphrase) as caught:
            store.unlock(empty)
        assert_clean_message(caught.value)
        assert not store.unlocked
    assert_unchanged(profile, before)


@pytest.mark.parametrize(
    "passphrase, error",
    [("", EmptyPassphrase), (None, EmptyPassphrase), ("Тарас19", WeakPassphrase), ("1234567", WeakPassphrase)],
    ids=["empty", "none", "short-cyrillic", "seven-digits"],
)
@pytest.mark.parametrize("folder_exists", [False, True], ids=["new-folder", "empty-folder"])
def test_create_refuses_empty_or_short_passphrase(tmp_path, passphrase, error, folder_exists):
    target = tmp_path / "new-profile"
    if folder_exists:
        target.mkdir()
    with pytest.raises(error) as caught:
        Store.create(target, user=USER, passphrase=passphrase, kdf=crypto.fast_kdf_for_tests())
    if passphrase:
        assert_clean_message(caught.value, passphrase)
    if folder_exists:
        assert list(target.iterdir()) == []
    else:
        assert not target.exists()


# --- files that are not (or no longer) a profile -------------------------------------
@pytest.mark.parametrize("layout", ["missing-folder", "empty-folder", "other-files"])
def test_folder_without_a_profile(tmp_path, layout):
    d = tmp_path / "not-a-profile"
    if layout != "missing-folder":
        d.mkdir()
    if layout == "other-files":
        (d / "notes.txt").write_text("Тарас Вигаданий", encoding="utf-8")
        (d / "store.db").write_bytes(b"")
    listing = sorted(p.name for p in d.iterdir()) if d.exists() else None
    with pytest.raises(NotAProfile) as caught:
        Store.open(d)
    assert_clean_message(caught.value, "Тарас Вигаданий")
    assert (sorted(p.name for p in d.iterdir()) if d.exists() else None) == listing


@pytest.mark.parametrize("damage", ["truncated", "not-json", "empty", "binary"])
def test_keyring_that_is_not_json(profile, damage):
    good = profile.keyring.read_bytes()
    bad = {
        "truncated": good[: len(good) // 2],
        "not-json": "це не ключі Тарас Вигаданий".encode(),
        "empty": b"",
        "binary": bytes(range(256)),
    }[damage]
    profile.keyring.write_bytes(bad)
    db_before = profile.db.read_bytes()
    with pytest.raises(CorruptStore) as caught:
        Store.open(profile.dir)
    assert_clean_message(caught.value, "Тарас Вигаданий")
    assert profile.keyring.read_bytes() == bad
    assert profile.db.read_bytes() == db_before
    # Putting the keyring back shows nothing else was touched.
    before = raw_state(profile.dir) | {"keyring": good}
    profile.keyring.write_bytes(good)
    assert_unchanged(profile, before)


def test_database_replaced_by_random_bytes(profile):
    noise = random.Random(7).randbytes(profile.db.stat().st_size)
    profile.db.write_bytes(noise)
    keyring = profile.keyring.read_bytes()
    with pytest.raises(CorruptStore) as caught:
        Store.open(profile.dir)
    assert_clean_message(caught.value)
    assert profile.db.read_bytes() == noise
    assert profile.keyring.read_bytes() == keyring


def _use(directory: Path, ids: list[str]) -> StorageError | object:
    """Open, unlock, read every record, verify. Return the first typed error, else the report.

    A raw sqlite3 error is a failure of its own: the caller would see no clear message.
    """
    store = None
    step = "open"
    try:
        store = Store.open(directory)
        step = "unlock"
        store.unlock(PASSPHRASE)
        step = "list_records"
        list(store.list_records())
        step = "get_record"
        for rid in ids:
            store.get_record(rid)
        step = "verify"
        return store.verify()
    except StorageError as exc:
        return exc
    except sqlite3.Error as exc:
        pytest.fail(f"a raw sqlite3 error escaped from {step}(): {exc!r}")
    finally:
        if store is not None:
            store.close()


def _profile_with_many_records(directory: Path, n: int = 300) -> list[str]:
    with new_store(directory) as store:
        return store.save_records("household", [household(i) for i in range(n)])


def test_database_truncated_to_half(tmp_path):
    d = tmp_path / "profile"
    ids = _profile_with_many_records(d)
    assert not (d / "store.db-wal").exists()  # closed cleanly: everything is in store.db
    size = (d / "store.db").stat().st_size
    os.truncate(d / "store.db", size // 2)
    truncated = (d / "store.db").read_bytes()

    result = _use(d, ids)
    assert isinstance(result, CorruptStore), f"a store cut in half gave {result!r}"
    assert_clean_message(result, "Тарас Вигаданий")
    assert (d / "store.db").read_bytes() == truncated


def test_damaged_page_in_the_middle_of_the_records_table(tmp_path):
    # The sibling of truncation: the file is whole but one leaf of the records
    # table is zeroed, so the damage is met part-way through a scan.
    d = tmp_path / "profile"
    ids = _profile_with_many_records(d)
    data = bytearray((d / "store.db").read_bytes())
    page_size = 4096
    # The leaf holding the newest record: its row has the id and the plaintext
    # "hlc@device" stamp (index and outbox pages hold the id without one).
    stamp = re.compile(rb"[0-9a-f]{16}@[0-9a-f]{16}")
    leaf = next(
        i
        for i in range(len(data) // page_size)
        if ids[-1].encode() in data[i * page_size : (i + 1) * page_size]
        and stamp.search(data[i * page_size : (i + 1) * page_size])
    )
    data[leaf * page_size : (leaf + 1) * page_size] = bytes(page_size)
    (d / "store.db").write_bytes(bytes(data))

    result = _use(d, ids)
    assert isinstance(result, CorruptStore), f"a damaged records page gave {result!r}"
    with Store.open(d) as store:
        store.unlock(PASSPHRASE)
        with pytest.raises(CorruptStore):
            store.get_record(ids[-1])


def test_plain_sqlite_database_that_is_not_ours(profile):
    profile.db.unlink()
    conn = sqlite3.connect(profile.db)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES (?)", ("Тарас Вигаданий",))
    conn.commit()
    conn.close()
    foreign = profile.db.read_bytes()
    keyring = profile.keyring.read_bytes()

    with pytest.raises(NotAProfile) as caught:
        Store.open(profile.dir)
    assert_clean_message(caught.value, "Тарас Вигаданий")
    assert profile.keyring.read_bytes() == keyring
    # Someone else's database is left exactly as it was (not even switched to WAL).
    assert profile.db.read_bytes() == foreign


def test_keyring_from_another_profile(profile, tmp_path):
    other = new_store(tmp_path / "other")  # same passphrase: only the profile id differs
    other.close()
    mine = profile.keyring.read_bytes()
    before = raw_state(profile.dir)
    db_bytes = profile.db.read_bytes()
    profile.keyring.write_bytes((tmp_path / "other" / "keyring.json").read_bytes())

    with pytest.raises(CorruptStore) as caught:
        Store.open(profile.dir)
    assert_clean_message(caught.value)
    assert profile.db.read_bytes() == db_bytes
    assert profile.keyring.read_bytes() == (tmp_path / "other" / "keyring.json").read_bytes()
    profile.keyring.write_bytes(mine)
    assert_unchanged(profile, before)


# --- a database locked by another process -------------------------------------------
LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
"""


def test_locked_database_gives_store_busy_then_the_write_succeeds(profile):
    store = Store.open(profile.dir, busy_timeout=0.2)
    store.unlock(PASSPHRASE)  # unlocking writes an audit entry, so do it before the lock
    before = raw_state(profile.dir)
    target = next(iter(profile.records))
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(profile.db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout.readline().strip() == "locked"
        writes = {
            "save_record": lambda: store.save_record("household", {"head_name": SECRET}),
            "save_records": lambda: store.save_records("household", [{"head_name": SECRET}] * 3),
            "edit_record": lambda: store.edit_record(target, {"head_name": SECRET}),
            "delete_record": lambda: store.delete_record(target),
        }
        for name, write in writes.items():
            started = time.monotonic()
            with pytest.raises(StoreBusy) as caught:
                write()
            waited = time.monotonic() - started
            assert 0.15 <= waited < 3, f"{name} waited {waited:.2f} s instead of the 0.2 s busy timeout"
            assert_clean_message(caught.value, SECRET)
        # Readers are not blocked by a writer (WAL): the data stays readable meanwhile.
        assert store.get_record(target).fields == profile.records[target]
    finally:
        locker.communicate("\n", timeout=30)
    assert locker.returncode == 0

    assert raw_state(profile.dir) == before  # nothing half-written
    try:
        rid = store.save_record("household", {"head_name": SECRET})
        assert store.get_record(rid).fields == {"head_name": SECRET}
        assert store.count_records() == len(profile.records) + 1
        assert store.verify().ok
    finally:
        store.close()


# --- a full disk ---------------------------------------------------------------------
def fill_until_full(store: Store, start: int = 0, limit: int = 50_000) -> tuple[dict[str, dict], dict, DiskFull]:
    """Save households until the disk is full; return those saved, the one refused, and the error."""
    saved: dict[str, dict] = {}
    for i in range(start, start + limit):
        fields = household(i)
        try:
            rid = store.save_record("household", fields)
        except DiskFull as exc:
            return saved, fields, exc
        saved[rid] = fields
    pytest.fail(f"the disk never filled up after {limit} records")


def assert_full_disk_kept_its_promises(store: Store, saved: dict, refused: dict, exc: DiskFull, before: tuple[int, int]) -> None:
    """Everything saved is intact, the refused record left no trace, the outbox matches."""
    records_before, changes_before = before
    assert_clean_message(exc, refused["head_name"], refused["phone"])
    assert not store._conn.in_transaction
    assert store.count_records() == records_before + len(saved)
    assert store.pending_count() == changes_before + len(saved)
    for rid, fields in saved.items():
        assert store.get_record(rid).fields == fields
    assert all(r.fields.get("head_name") != refused["head_name"] for r in store.list_records())
    assert store.find_records("household", "phone", refused["phone"]) == []


def set_page_limit(store: Store, extra_pages: int) -> None:
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def test_disk_full_keeps_every_saved_record(profile):
    store = Store.open(profile.dir)
    try:
        store.unlock(PASSPHRASE)
        before = (store.count_records(), store.pending_count())
        set_page_limit(store, 3)
        saved, refused, exc = fill_until_full(store)
        assert saved, "the limit should leave room for a few records first"
        assert_full_disk_kept_its_promises(store, saved, refused, exc, before)

        set_page_limit(store, 10_000)
        # verify() appends an audit entry, which itself needs room: check it once there is some.
        assert store.verify().ok
        rid = store.save_record("household", refused)
        assert store.get_record(rid).fields == refused
    finally:
        store.close()
    profile.records.update(saved)
    profile.records[rid] = refused
    assert_unchanged(profile, raw_state(profile.dir))


def test_disk_full_in_the_middle_of_a_batch_saves_none_of_it(profile):
    store = Store.open(profile.dir)
    try:
        store.unlock(PASSPHRASE)
        before = raw_state(profile.dir)
        batch = [household(i) for i in range(100)]  # about 40 KB: ten pages or more
        set_page_limit(store, 3)
        with pytest.raises(DiskFull) as caught:
            store.save_records("household", batch)
        assert_clean_message(caught.value, batch[0]["head_name"], batch[-1]["phone"])
        assert raw_state(profile.dir) == before
        assert store.find_records("household", "phone", batch[0]["phone"]) == []
        # The first records of the batch alone would have fitted: the batch failed mid-way.
        one = store.save_record("household", batch[0])
        assert store.get_record(one).fields == batch[0]

        set_page_limit(store, 10_000)
        ids = store.save_records("household", batch[1:])
        assert [store.get_record(rid).fields for rid in ids] == batch[1:]
        assert store.count_records() == len(profile.records) + len(batch)
        assert store.verify().ok
    finally:
        store.close()


def test_disk_full_on_a_real_small_filesystem(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    store = None
    try:
        # Ballast to delete afterwards, as a user would free some space.
        ballast = mnt / "ballast.bin"
        ballast.write_bytes(os.urandom(512 * 1024))
        d = mnt / "profile"
        store = new_store(d)
        saved, refused, exc = fill_until_full(store)
        assert len(saved) > 5
        assert_full_disk_kept_its_promises(store, saved, refused, exc, (0, 0))

        ballast.unlink()
        assert store.verify().ok
        rid = store.save_record("household", refused)
        saved[rid] = refused
        store.close()
        store = Store.open(d)
        store.unlock(PASSPHRASE)
        assert {r.id: r.fields for r in store.list_records()} == saved
        assert store.pending_count() == len(saved)
        assert store.verify().ok
    finally:
        if store is not None:
            try:
                store.close()
            except Exception:
                pass
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# --- unknown records -----------------------------------------------------------------
UNKNOWN_IDS = {
    "uuid7-not-here": uuid7(),
    "uuid4-not-here": str(uuid.uuid4()),
    "malformed": "not-a-record-id",
    "empty": "",
    "sql-ish": "' OR 1=1 --",
    "not-a-string": 12345,
}


@pytest.mark.parametrize("record_id", list(UNKNOWN_IDS.values()), ids=list(UNKNOWN_IDS))
def test_unknown_record_id(profile, record_id):
    before = raw_state(profile.dir)
    with Store.open(profile.dir) as store:
        store.unlock(PASSPHRASE)
        for operation in (
            lambda: store.get_record(record_id),
            lambda: store.edit_record(record_id, {"head_name": SECRET}),
            lambda: store.delete_record(record_id),
        ):
            with pytest.raises(UnknownRecord) as caught:
                operation()
            assert_clean_message(caught.value, SECRET)
    assert_unchanged(profile, before)


def test_edit_of_a_deleted_record(profile):
    before = raw_state(profile.dir)
    with Store.open(profile.dir) as store:
        store.unlock(PASSPHRASE)
        with pytest.raises(UnknownRecord) as caught:
            store.edit_record(profile.deleted_id, {"head_name": SECRET})
        assert_clean_message(caught.value, SECRET)
        tombstone = store.get_record(profile.deleted_id)
        assert tombstone.deleted and tombstone.fields == {}
    assert_unchanged(profile, before)


# --- malformed fields ----------------------------------------------------------------
BAD_FIELDS = {
    # not a JSON object
    "a-string": SECRET,
    "a-list-of-pairs": [("head_name", SECRET)],
    "none": None,
    "a-number": 42,
    "empty-object": {},
    # bad field names
    "empty-name": {"": SECRET},
    "name-starts-with-digit": {"1st_name": SECRET},
    "name-with-space": {"head name": SECRET},
    "cyrillic-name": {"імʼя": SECRET},
    "name-with-trailing-newline": {"head_name\n": SECRET},  # a regex "$" lets a final "\n" through
    "reserved-name": {"_deleted": SECRET},
    "non-string-name": {7: SECRET},
    "name-too-long": {"n" * 201: SECRET},
    # values JSON cannot hold
    "set-value": {"head_name": {SECRET}},
    "bytes-value": {"head_name": SECRET.encode()},
    "object-value": {"head_name": object()},
    "huge-int": {"members": 2**70},
    # Not JSON numbers: stored as they are, they would silently come back as null.
    "nan": {"members": math.nan},
    "infinity": {"members": math.inf},
    "negative-infinity": {"members": -math.inf},
    "nan-beside-finite-floats-and-a-null": {"lat": 49.9, "lon": math.nan, "note": None},
    "nested-non-string-key": {"head_name": {1: SECRET}},
    "nested-set": {"head_name": ["ok", {SECRET}]},
}


@pytest.mark.parametrize("fields", list(BAD_FIELDS.values()), ids=list(BAD_FIELDS))
def test_malformed_fields_are_refused_on_save(profile, fields):
    before = raw_state(profile.dir)
    with Store.open(profile.dir) as store:
        store.unlock(PASSPHRASE)
        with pytest.raises(InvalidRecord) as caught:
            store.save_record("household", fields)
        assert_clean_message(caught.value, SECRET)
        with pytest.raises(InvalidRecord):
            store.save_records("household", [PEOPLE[0], PEOPLE[1], fields, PEOPLE[2]])
    assert_unchanged(profile, before)


@pytest.mark.parametrize("changes", list(BAD_FIELDS.values()), ids=list(BAD_FIELDS))
def test_malformed_changes_are_refused_on_edit(profile, changes):
    before = raw_state(profile.dir)
    target = next(iter(profile.records))
    with Store.open(profile.dir) as store:
        store.unlock(PASSPHRASE)
        with pytest.raises(InvalidRecord) as caught:
            store.edit_record(target, changes)
        assert_clean_message(caught.value, SECRET)
    assert_unchanged(profile, before)


@pytest.mark.parametrize("kind", ["Household", "", "house hold", "домогосподарство", "household\n", None, 5])
def test_bad_record_kind(profile, kind):
    before = raw_state(profile.dir)
    with Store.open(profile.dir) as store:
        store.unlock(PASSPHRASE)
        with pytest.raises(InvalidRecord) as caught:
            store.save_record(kind, {"head_name": SECRET})
        assert_clean_message(caught.value, SECRET)
    assert_unchanged(profile, before)


# --- the command line ----------------------------------------------------------------
CLI_CASES = {
    "malformed-json": (["record", "add", "--kind", "household", "--json", '{"head_name": "%s", "phone": ' % SECRET], PASSPHRASE),
    "json-not-an-object": (["record", "add", "--kind", "household", "--json", '["%s"]' % SECRET], PASSPHRASE),
    "bad-field-name": (["record", "add", "--kind", "household", "--json", '{"head name": "%s"}' % SECRET], PASSPHRASE),
    "wrong-passphrase-add": (["record", "add", "--kind", "household", "--json", '{"head_name": "%s"}' % SECRET], "Тарас Вигаданий 1990"),
    "wrong-passphrase-list": (["record", "list"], "Тарас Вигаданий 1990"),
    "unknown-id-get": (["record", "get", uuid7()], PASSPHRASE),
    "unknown-id-edit": (["record", "edit", uuid7(), "--json", '{"head_name": "%s"}' % SECRET], PASSPHRASE),
    "malformed-id-delete": (["record", "delete", "not-a-record-id"], PASSPHRASE),
}


@pytest.mark.parametrize("args, passphrase", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli_reports_one_clean_error_line(profile, cli, args, passphrase):
    before = raw_state(profile.dir)
    action = args[:2]
    result = cli(*action, "--profile", str(profile.dir), *args[2:], env={"FIELDBOOK_PASSPHRASE": passphrase})
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for value in [SECRET, passphrase, *profile.values]:
        assert value not in result.stderr
    assert_unchanged(profile, before)
