"""A draft keeps its files: a photo chosen in a draft is sealed in the store as ``draft_file``
parts (a local kind: never synced), read back when the draft is reopened, becomes the finished
record's attachments at Finalise, and goes with the draft when it is deleted (store 0010)."""
from __future__ import annotations

import os

from forms import Session, load_form
from forms.finalise import finalised, media_questions
from forms.media import ATTACHMENT_KIND, PART_BYTES, answered_names, attachment_parts, read_attachment
from rules.names import DRAFT, DRAFT_FILE
from storage import Store
from storage.finalise import delete_draft, record_files, save_draft
from tests.conftest import PASSPHRASE
from tests.unit.forms.xlsform import write_xlsform


def _form(tmp_path):
    return load_form(write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"],
        ["text", "site", "Site"],
        ["image", "photo", "Photo"],
        ["file", "scan", "Scan"],
    ], settings=[["form_id", "version"], ["photos", "1"]]))


def _save(store, form, session, draft_id=None, held=frozenset()):
    """What the form screen does on each autosave (gui/screens/form.py)."""
    fields = session.record()
    named = set(answered_names(fields, media_questions(form)))
    new = [f for f in session.kept_files() if f["name"] not in held]

    def parts(did):
        for f in new:
            yield from attachment_parts(f["data"], record=did, question=f["question"], name=f["name"])

    did = save_draft(store, draft_id, fields, form_id=form.form_id, form_version=form.version,
                     files=parts, drop=set(held) - named)
    return did, (set(held) & named) | {f["name"] for f in new}


def _photo(tag: bytes, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + tag + os.urandom(size)


def test_a_drafts_photo_is_kept_sealed_never_synced_and_read_back_after_a_restart(make_store, tmp_path):
    store = make_store()
    form = _form(tmp_path)
    marker = b"CANARY-DRAFT-PHOTO-" + os.urandom(8).hex().encode()
    photo = _photo(marker, PART_BYTES + 5000)  # two parts
    s = Session(form, {"site": "Synthetic site"})
    name = s.attach("photo", photo, "Synthetic Person Face.jpg")
    did, held = _save(store, form, s)
    assert held == {name}
    assert store.pending_count() == 0                          # drafts and their files never sync
    assert store.count_records(DRAFT_FILE) == 2
    assert store.verify().ok
    store.close()
    for path in (tmp_path / "profile").rglob("*"):             # sealed: no photo bytes, no original name
        if path.is_file():
            data = path.read_bytes()
            assert marker not in data and b"Synthetic Person Face" not in data, path

    again = Store.open(tmp_path / "profile")                   # a restart (or a crash, or a lock)
    again.unlock(PASSPHRASE)
    draft = again.get_record(did)
    assert draft.fields["photo"] == name
    assert read_attachment(p.fields for p in record_files(again, did, kind=DRAFT_FILE)) == photo
    again.close()


def test_finalising_a_reopened_draft_makes_its_files_attachments_and_drops_the_drafts(make_store, tmp_path):
    from exporting import save_submission

    store = make_store()
    form = _form(tmp_path)
    photo, scan = _photo(b"A", 3000), b"%PDF-1.4 synthetic scan"
    s = Session(form, {"site": "Synthetic site"})
    s.attach("photo", photo, "a.jpg")
    did, held = _save(store, form, s)
    # Reopened: the session holds no bytes, only the names its answers hold.
    reopened = Session(form, store.get_record(did).fields)
    assert reopened.files == {}
    reopened.attach("scan", scan, "scan.pdf")              # one more file in this session
    did, held = _save(store, form, reopened, did, held)
    assert store.count_records(DRAFT_FILE) == 2
    rid = save_submission(store, finalised(reopened), draft_id=did)
    record = store.get_record(rid).fields
    got = {}
    for part in store.list_records(ATTACHMENT_KIND):
        got.setdefault(part.fields["name"], []).append(part.fields)
    assert set(got) == {record["photo"], record["scan"]}
    assert read_attachment(got[record["photo"]]) == photo and read_attachment(got[record["scan"]]) == scan
    assert {p.fields["record"] for p in store.list_records(ATTACHMENT_KIND)} == {rid}
    assert store.count_records(DRAFT_FILE) == 0 and store.count_records(DRAFT) == 0
    # The attachments sync as the record's changes; nothing of the draft does.
    assert {c.kind for c in store.pending_changes()} == {"submission", ATTACHMENT_KIND}
    assert [p.id for p in record_files(store, rid)] == [p.id for p in store.list_records(ATTACHMENT_KIND)]


def test_a_replaced_photo_leaves_the_draft_and_deleting_the_draft_deletes_its_files(make_store, tmp_path):
    store = make_store()
    form = _form(tmp_path)
    s = Session(form, {"site": "Synthetic site"})
    first = s.attach("photo", _photo(b"1", 100), "a.jpg")
    did, held = _save(store, form, s)
    second = s.attach("photo", _photo(b"2", 100), "b.jpg")
    did, held = _save(store, form, s, did, held)
    assert held == {second} and first != second
    assert [p.fields["name"] for p in store.list_records(DRAFT_FILE)] == [second]
    other = store.save_record(DRAFT, {"site": "another draft"}, form_id="photos", form_version="1")
    delete_draft(store, did)
    assert store.count_records(DRAFT_FILE) == 0 and [r.id for r in store.list_records(DRAFT)] == [other]
    assert store.pending_count() == 0


def test_an_attachment_without_a_token_is_found_by_its_forms_scan(make_store):
    """Attachments stored before schema 0010 have no blind token on ``record``."""
    store = make_store()
    rid = store.save_record("submission", {"photo": "1.png"}, form_id="photos", form_version="1")
    [part] = attachment_parts(b"synthetic", record=rid, question="photo", name="1.png")
    att = store.save_record(ATTACHMENT_KIND, part, form_id="photos", form_version="1")
    assert [p.id for p in record_files(store, rid)] == [att]
    with store.atomic():
        store._conn.execute("DELETE FROM blind_index")
    assert list(record_files(store, rid)) == []
    assert [p.id for p in record_files(store, rid, form_id="photos")] == [att]
