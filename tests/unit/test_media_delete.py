"""A deleted submission takes its files with it: every attachment part becomes a synced delete in
the same transaction, so the hub and the other laptops drop the photo too; an edit that replaces
or clears a photo deletes the old file's parts."""
from __future__ import annotations

import base64
import os

import pytest

from forms import Session, load_form
from forms.media import ATTACHMENT_KIND, PART_BYTES
from tests.unit.forms.xlsform import write_xlsform


def _form(tmp_path):
    return load_form(write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"],
        ["text", "site", "Site"],
        ["image", "photo", "Photo"],
        ["begin_repeat", "rooms", "Room"],
        ["image", "room_photo", "Photo"],
        ["end_repeat", "", ""],
    ], settings=[["form_id", "version"], ["photos", "1"]]))


def _save(store, form, photo=None, rooms=(), site="Synthetic site"):
    from exporting import save_submission
    from forms.finalise import finalised

    s = Session(form, {"site": site})
    if photo is not None:
        s.attach("photo", photo, "p.jpg")
    for k, data in enumerate(rooms):
        s.add_repeat("rooms")
        s.attach("room_photo", data, f"room{k}.jpg", index=(k,))
    return save_submission(store, finalised(s))


def _live_parts(store, rid=None):
    return [p for p in store.list_records(ATTACHMENT_KIND) if rid is None or p.fields["record"] == rid]


def test_deleting_a_submission_deletes_its_parts_as_synced_deletes(make_store, tmp_path):
    store = make_store()
    form = _form(tmp_path)
    marker = b"CANARY-PHOTO-" + os.urandom(8).hex().encode()
    gone = _save(store, form, photo=marker + os.urandom(PART_BYTES * 2), rooms=[marker + b"room"])
    kept = _save(store, form, photo=os.urandom(3000), site="Another synthetic site")
    parts = [p.id for p in _live_parts(store, gone)]
    assert len(parts) == 3 + 1 and len(_live_parts(store, kept)) == 1
    before = {c.seq for c in store.pending_changes(limit=1000)}
    store.delete_record(gone)

    assert _live_parts(store, gone) == [] and len(_live_parts(store, kept)) == 1
    for pid in parts:
        part = store.get_record(pid)
        assert part.deleted and part.fields == {}  # no longer readable: a tombstone
    deletes = [c for c in store.pending_changes(limit=1000) if c.seq not in before and c.deleted]
    assert {c.record_id for c in deletes} == {gone, *parts}  # each part is a synced delete
    # Nothing of the photo can be read back from the store's records.
    for record in store.list_records(include_deleted=True):
        assert marker not in base64.b64decode(record.fields.get("data", ""))


def test_the_parts_go_in_the_same_transaction_as_the_record(make_store, tmp_path, monkeypatch):
    from storage.records import Records

    store = make_store()
    form = _form(tmp_path)
    rid = _save(store, form, photo=os.urandom(PART_BYTES + 5))
    real = Records.delete
    calls = []

    def failing(self, record_id):
        calls.append(record_id)
        if len(calls) == 3:  # the record, its first part, then a failure on the second part
            raise OSError("disk gone")
        return real(self, record_id)
    monkeypatch.setattr(Records, "delete", failing)
    with pytest.raises(OSError):
        store.delete_record(rid)
    monkeypatch.setattr(Records, "delete", real)
    assert not store.get_record(rid).deleted and len(_live_parts(store, rid)) == 2


def test_a_photo_replaced_or_cleared_by_an_edit_loses_its_parts(make_store, tmp_path):
    from exporting import save_submission
    from forms.finalise import finalised

    store = make_store()
    form = _form(tmp_path)
    rid = _save(store, form, photo=b"old photo", rooms=[b"room photo"])
    old_name = store.get_record(rid).fields["photo"]
    edit = Session(form, store.get_record(rid).fields)
    new_name = edit.attach("photo", b"new photo", "q.jpg")
    save_submission(store, finalised(edit), editing=rid)
    assert sorted(p.fields["name"] for p in _live_parts(store, rid)) == sorted(
        [new_name, store.get_record(rid).fields["rooms"][0]["room_photo"]])
    assert old_name != new_name

    edit = Session(form, store.get_record(rid).fields)
    edit.set("photo", None)
    save_submission(store, finalised(edit), editing=rid)
    assert [p.fields["name"] for p in _live_parts(store, rid)] == [store.get_record(rid).fields["rooms"][0]["room_photo"]]


def test_parts_saved_before_the_record_index_are_found_and_deleted(make_store, tmp_path):
    # Attachments stored before store 0010 carry no blind-index token: found by a scan of the
    # form's untokened parts (and only those).
    store = make_store()
    form = _form(tmp_path)
    rid = _save(store, form, photo=os.urandom(PART_BYTES + 1))
    other = _save(store, form, photo=os.urandom(100), site="Another synthetic site")
    conn = store._core.conn
    with store.atomic():
        conn.execute("DELETE FROM blind_index WHERE ref IN (SELECT ref FROM records WHERE kind = ?)", (ATTACHMENT_KIND,))
    assert store.find_record_ids(ATTACHMENT_KIND, "record", rid) == []
    store.delete_record(rid)
    assert _live_parts(store, rid) == [] and len(_live_parts(store, other)) == 1


def test_deleting_a_record_without_files_reads_no_part(make_store, tmp_path, monkeypatch):
    from storage import records

    store = make_store()
    form = _form(tmp_path)
    _save(store, form, photo=os.urandom(100))
    plain = _save(store, form, site="no photo here")
    decoded = []
    real = records.decode
    monkeypatch.setattr(records, "decode", lambda sealer, row: decoded.append(row[1]) or real(sealer, row))
    store.delete_record(plain)
    assert ATTACHMENT_KIND not in decoded and len(_live_parts(store)) == 1


def test_an_edit_that_keeps_its_photo_reads_no_part(make_store, tmp_path, monkeypatch):
    from exporting import save_submission
    from forms.finalise import finalised
    from storage import records

    store = make_store()
    form = _form(tmp_path)
    rid = _save(store, form, photo=os.urandom(100))
    edit = Session(form, store.get_record(rid).fields)
    edit.set("site", "A renamed synthetic site")
    decoded = []
    real = records.decode
    monkeypatch.setattr(records, "decode", lambda sealer, row: decoded.append(row[1]) or real(sealer, row))
    save_submission(store, finalised(edit), editing=rid)
    assert ATTACHMENT_KIND not in decoded and len(_live_parts(store, rid)) == 1


def test_record_delete_on_the_command_line_deletes_the_files(make_store, tmp_path):
    from tests.conftest import PASSPHRASE, run_cli

    store = make_store()
    rid = _save(store, _form(tmp_path), photo=os.urandom(100))
    store.close()
    done = run_cli("record", "delete", "--profile", str(tmp_path / "profile"), rid,
                   env={"FIELDBOOK_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0, done.stderr
    done = run_cli("record", "list", "--profile", str(tmp_path / "profile"), "--kind", ATTACHMENT_KIND,
                   env={"FIELDBOOK_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0 and done.stdout.strip() == "", done.stderr


def test_a_deleted_photos_sealed_bytes_leave_the_store_files_once_pushed(make_store, tmp_path):
    # The plaintext never reaches disk (sealed); once the deletes are pushed, even the sealed
    # parts are gone from the database and its WAL: secure_delete zeroes the freed pages.
    store = make_store()
    form = _form(tmp_path)
    rid = _save(store, form, photo=os.urandom(PART_BYTES + 5000))
    conn = store._core.conn
    sealed = [bytes(body) for (body,) in conn.execute("SELECT body FROM records WHERE kind = ?", (ATTACHMENT_KIND,))]
    assert len(sealed) == 2
    store.acknowledge(store.last_seq())  # the hub holds the submission and its parts
    store.delete_record(rid)
    store.acknowledge(store.last_seq())  # and then their deletes
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in (tmp_path / "profile").rglob("*") if p.is_file()]
    on_disk = b"".join(p.read_bytes() for p in files)
    for body in sealed:
        for start in (0, len(body) // 2, len(body) - 64):
            assert body[start:start + 64] not in on_disk
