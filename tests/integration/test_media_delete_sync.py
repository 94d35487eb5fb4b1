"""A submission deleted on one laptop takes its photos with it everywhere: the part deletes travel
over HTTP with the record's, the hub marks every part deleted and exports no file of it, and a
second laptop drops the parts at its next pull (SQLite and PostgreSQL)."""
from __future__ import annotations

import os

from forms import Session, load_form
from forms.media import ATTACHMENT_KIND, PART_BYTES
from sync.client import SyncClient
from sync.protocol import PublishedForm
from tests.unit.forms.xlsform import write_xlsform


def _setup(make_store, live, tmp_path):
    from exporting import save_submission
    from forms.finalise import finalised

    path = write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"], ["text", "site", "Site"], ["image", "photo", "Photo"],
    ], settings=[["form_id", "version"], ["photos", "1"]])
    form = load_form(path)
    live.hub.publish_form(PublishedForm.make(form.form_id, form.version, form.title, path.read_bytes(), {}))
    a, b = SyncClient(make_store("a")), SyncClient(make_store("b"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    b.enroll(live.url, live.hub.new_enroll_code("north"))
    ids = []
    for site, size in (("Synthetic one", PART_BYTES * 2 + 7), ("Synthetic two", 900)):
        s = Session(form, {"site": site})
        s.attach("photo", os.urandom(size), "p.jpg")
        ids.append(save_submission(a.store, finalised(s)))
    assert a.sync_now().pushed == 2 + 3 + 1
    assert b.sync_now().pulled == 2 + 3 + 1
    return a, b, ids


def _hub_parts(hub, deleted: int) -> int:
    return hub.db.execute("SELECT count(*) FROM records WHERE kind = ? AND deleted = ?", (ATTACHMENT_KIND, deleted))[0][0]


def _export(hub, tmp_path, name):
    from sync.server.console.exports import ExportRequest, export_submissions

    media: dict = {}
    summary = export_submissions(hub, ExportRequest("photos", "csv"), tmp_path / f"{name}.csv", actor="test", media=media)
    folder = tmp_path / f"{name}_media"
    return summary, media, sorted(p.parent.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_deleted_submissions_parts_are_dropped_by_the_hub_and_the_other_laptop(make_store, live, tmp_path):
    a, b, (gone, kept) = _setup(make_store, live, tmp_path)
    a.store.delete_record(gone)
    assert a.sync_now().pushed == 1 + 3  # the submission's delete and one per part of its photo
    assert _hub_parts(live.hub, deleted=1) == 3 and _hub_parts(live.hub, deleted=0) == 1
    summary, media, written = _export(live.hub, tmp_path, "after")
    assert summary.records == 1 and media["written"] == 1 and written == [kept]

    b.sync_now()
    assert [p.fields["record"] for p in b.store.list_records(ATTACHMENT_KIND)] == [kept]
    assert b.store.get_record(gone).deleted
    for part in b.store.list_records(ATTACHMENT_KIND, include_deleted=True):
        assert part.fields.get("record", kept) == kept  # the deleted parts hold nothing readable


def test_the_hub_exports_no_file_of_a_deleted_submission_whose_parts_are_still_live(make_store, live, tmp_path,
                                                                                    monkeypatch):
    # A laptop of an older version deletes the submission only: its parts stay live at the hub,
    # but the export writes only the files of the live submissions that name them.
    from storage.records import Records

    a, _b, (gone, kept) = _setup(make_store, live, tmp_path)
    monkeypatch.setattr(Records, "_file_ids", lambda self, record: [])
    a.store.delete_record(gone)
    assert a.sync_now().pushed == 1
    assert _hub_parts(live.hub, deleted=0) == 4
    summary, media, written = _export(live.hub, tmp_path, "old")
    assert summary.records == 1 and media["written"] == 1 and written == [kept]
