"""Photos travel beside their record: pushed and pulled as attachment parts, exported as files."""
from __future__ import annotations

import os

from forms import Session, load_form
from forms.media import ATTACHMENT_KIND, PART_BYTES
from sync.client import SyncClient
from tests.unit.forms.xlsform import write_xlsform


def test_a_photo_answer_reaches_another_laptop_and_its_export(make_store, live, tmp_path):
    from exporting import export_form
    from exporting import save_submission as save_finalised
    from forms.finalise import finalised

    form = load_form(write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"], ["text", "site", "Site"], ["image", "photo", "Photo"], ["audio", "voice", "Voice"],
    ], settings=[["form_id"], ["photos"]]))
    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    b = SyncClient(make_store("b"))
    b.enroll(live.url, live.hub.new_enroll_code("north"))

    photo, voice = os.urandom(PART_BYTES * 2 + 17), os.urandom(5000)
    s = Session(form, {"site": "Synthetic"})
    s.attach("photo", photo, "p.jpg")
    s.attach("voice", voice, "v.m4a")
    rid = save_finalised(a.store, finalised(s))
    assert a.sync_now().pushed == 1 + 3 + 1  # the submission, three parts of the photo, one of the voice
    assert b.sync_now().pulled == 5
    assert sorted(p.fields["part"] for p in b.store.list_records(ATTACHMENT_KIND) if p.fields["question"] == "photo") \
        == [0, 1, 2]

    out = tmp_path / "export-b"
    out.mkdir(parents=True)
    export_form(b.store, form, out / "photos.csv")
    fields = b.store.get_record(rid).fields
    assert (out / "photos_media" / rid / fields["photo"]).read_bytes() == photo
    assert (out / "photos_media" / rid / fields["voice"]).read_bytes() == voice
