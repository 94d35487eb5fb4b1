"""A photo answer on the laptop: sealed in the store as attachment parts, and exported beside the sheet."""
from __future__ import annotations

import json
import os

from forms import Session, load_form
from forms.media import ATTACHMENT_KIND, PART_BYTES
from rules.limits import MAX_CHANGE_BYTES
from tests.unit.forms.xlsform import write_xlsform


def _form(tmp_path):
    return load_form(write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"],
        ["text", "site", "Site"],
        ["begin_repeat", "rooms", "Room"],
        ["image", "photo", "Photo"],
        ["end_repeat", "", ""],
        ["file", "scan", "Scan"],
    ], settings=[["form_id", "version"], ["photos", "1"]]))


def test_photos_are_sealed_as_parts_and_exported_as_files(make_store, tmp_path):
    from exporting import export_form
    from exporting import save_submission as save_finalised
    from forms.finalise import finalised

    store = make_store()
    form = _form(tmp_path)
    s = Session(form, {"site": "Synthetic site"})
    marker = b"CANARY-PHOTO-" + os.urandom(16).hex().encode()
    photos = [marker + os.urandom(PART_BYTES * 2 + 1000 * k) for k in range(3)]
    names = []
    for k, data in enumerate(photos):
        s.add_repeat("rooms")
        names.append(s.attach("photo", data, f"room {k}.jpg", index=(k,)))
    s.attach("scan", b"%PDF-1.4 synthetic", "consent.pdf")
    rid = save_finalised(store, finalised(s))

    saved = store.get_record(rid).fields
    assert [r["photo"] for r in saved["rooms"]] == names and saved["scan"].endswith(".pdf")
    parts = list(store.list_records(ATTACHMENT_KIND))
    assert len(parts) == 3 * 3 + 1 and {p.fields["record"] for p in parts} == {rid}
    # Each part is one change, far under the limit of one change.
    assert max(len(json.dumps(c.fields)) for c in store.pending_changes(limit=1000)) < MAX_CHANGE_BYTES // 8
    out = tmp_path / "out" / "photos.csv"
    out.parent.mkdir()
    summary = export_form(store, form, out)
    store.close()
    for path in (tmp_path / "profile").rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path  # never in plaintext on disk

    folder = tmp_path / "out" / "photos_media"
    assert folder in summary.files
    for k, name in enumerate(names):
        assert (folder / rid / name).read_bytes() == photos[k]
    assert (folder / rid / saved["scan"]).read_bytes() == b"%PDF-1.4 synthetic"
    assert not list(folder.rglob("*.part"))
    cells = "".join(p.read_text(encoding="utf-8-sig") for p in out.parent.glob("*.csv"))
    assert all(name in cells for name in names) and saved["scan"] in cells


def test_a_photo_replaced_when_a_record_is_edited_is_not_exported(make_store, tmp_path):
    from exporting import export_form
    from exporting import save_submission as save_finalised
    from forms.finalise import finalised

    store = make_store()
    form = _form(tmp_path)
    s = Session(form, {"site": "Synthetic site"})
    s.add_repeat("rooms")
    old = s.attach("photo", b"old photo", "a.jpg", index=(0,))
    rid = save_finalised(store, finalised(s))
    edit = Session(form, store.get_record(rid).fields)
    new = edit.attach("photo", b"new photo", "b.jpg", index=(0,))
    assert new != old
    save_finalised(store, finalised(edit), editing=rid)
    out = tmp_path / "out"
    out.mkdir()
    export_form(store, form, out / "photos.csv")
    assert [p.name for p in (out / "photos_media" / rid).iterdir()] == [new]
    assert (out / "photos_media" / rid / new).read_bytes() == b"new photo"


def test_a_record_with_files_is_not_saved_without_its_attachments(make_store, tmp_path):
    # The store's save takes the parts from its caller (storage may not import forms); a caller
    # that forgets them is refused before anything is written, so no photo is dropped unnoticed.
    import pytest

    from forms.finalise import finalised
    from storage.finalise import save_finalised

    store = make_store()
    s = Session(_form(tmp_path), {"site": "Synthetic site"})
    s.attach("scan", b"%PDF-1.4 synthetic", "consent.pdf")
    with pytest.raises(TypeError, match="attachments"):
        save_finalised(store, finalised(s))
    assert list(store.list_records("submission")) == [] and list(store.list_records(ATTACHMENT_KIND)) == []
