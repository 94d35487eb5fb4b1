"""A photo chosen in the form screen is kept with the draft: saved sealed, still there when
the draft is reopened, and the finished record's attachment when it is finalised."""
from __future__ import annotations

from gui_helpers import WAIT, unlock

from forms import load_form
from forms.media import ATTACHMENT_KIND, read_attachment
from gui.context import DRAFT_KIND
from gui.screens.form import FormScreen
from rules.names import DRAFT_FILE
from storage.finalise import record_files
from tests.unit.forms.xlsform import write_xlsform

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def _form(tmp_path):
    return load_form(write_xlsform(tmp_path / "photo.xlsx", [
        ["type", "name", "label"],
        ["text", "who", "Who"],
        ["image", "photo", "Photo"],
    ], settings=[["form_id", "version"], ["photo_form", "1"]]))


def test_a_drafts_photo_survives_reopening_and_becomes_the_records_attachment(qtbot, window_factory, profile, tmp_path):
    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    first = FormScreen(w.ctx, form)
    qtbot.addWidget(first)
    row = next(r for (name, _), r in first.rows.items() if name == "photo")
    row.attach(PNG, "Synthetic Person.png")
    qtbot.waitUntil(lambda: row.tile is not None and row.tile.thumbnail is not None, timeout=WAIT)  # held, not saved yet
    first.session.set("who", "Synthetic")
    first._dirty = True
    first.save_draft()
    first._dirty = True
    saved = []
    first.save_draft(then=lambda: saved.append(1))  # queued before the first ran (autosave, then Ctrl+S)
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT)  # both have run: the file is stored once
    with w.ctx.tasks.store_lock:
        assert w.store.count_records(DRAFT_FILE) == 1
    with w.ctx.tasks.store_lock:
        [draft] = list(w.store.list_records(DRAFT_KIND))
        kept = [p.fields for p in record_files(w.store, draft.id, kind=DRAFT_FILE)]
        assert w.store.pending_count() == 0
    assert read_attachment(kept) == PNG and kept[0]["name"] == draft.fields["photo"]

    reopened = FormScreen(w.ctx, form, answers=draft.fields, draft_id=draft.id)
    qtbot.addWidget(reopened)
    assert reopened.session.files == {}  # the bytes stay sealed in the store until needed
    # The photo shows in the form as a thumbnail, read from the draft's sealed parts.
    tile = reopened.rows[("photo", ())].tile
    qtbot.waitUntil(lambda: tile.thumbnail is not None, timeout=WAIT)
    assert (tile.thumbnail.width(), tile.thumbnail.height()) == (1, 1) and tile.larger.isEnabled()
    done = []
    reopened.finalised.connect(lambda rid, _form: done.append(rid))
    reopened.on_finalise_clicked()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    with w.ctx.tasks.store_lock:
        parts = [p.fields for p in w.store.list_records(ATTACHMENT_KIND)]
        assert w.store.count_records(DRAFT_FILE) == 0 and w.store.count_records(DRAFT_KIND) == 0
    assert {p["record"] for p in parts} == {done[0]} and read_attachment(parts) == PNG


def test_editing_a_finished_record_shows_its_photo_from_the_records_attachments(qtbot, window_factory, profile, tmp_path):
    from exporting import save_submission
    from forms import Session
    from forms.finalise import finalised

    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    s = Session(form, {"who": "Synthetic"})
    s.attach("photo", PNG, "p.png")
    with w.ctx.tasks.store_lock:
        rid = save_submission(w.store, finalised(s))
        fields = w.store.get_record(rid).fields
    screen = FormScreen(w.ctx, form, answers=fields, editing=rid)
    qtbot.addWidget(screen)
    tile = screen.rows[("photo", ())].tile
    qtbot.waitUntil(lambda: tile.thumbnail is not None, timeout=WAIT)
    assert tile.info.text().startswith(fields["photo"])


def test_deleting_a_draft_in_the_records_list_deletes_its_files(qtbot, window_factory, profile, tmp_path):
    from forms.media import attachment_parts
    from storage.finalise import save_draft

    w = window_factory(profile)
    unlock(qtbot, w)
    with w.ctx.tasks.store_lock:
        did = save_draft(w.store, None, {"who": "Synthetic", "photo": "1.png"}, form_id="photo_form", form_version="1",
                         files=lambda d: attachment_parts(PNG, record=d, question="photo", name="1.png"))
        assert w.store.count_records(DRAFT_FILE) == 1
    w.records._delete(did)  # what Delete does once confirmed
    qtbot.waitUntil(lambda: w.store.count_records(DRAFT_KIND) == 0, timeout=WAIT)
    with w.ctx.tasks.store_lock:
        assert w.store.count_records(DRAFT_FILE) == 0 and w.store.pending_count() == 0
