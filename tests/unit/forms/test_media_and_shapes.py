"""Media questions (image, audio, video, file), lines and shapes, and rank."""
from __future__ import annotations

import base64
import io
import os
import tracemalloc

import pytest

from forms import Session, load_form
from forms.media import (
    MAX_FILE_BYTES, PART_BYTES, MediaError, attached_name, attachment_parts, read_attachment, write_attachment,
)
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label", "relevant", "appearance"]
FRUIT = [["list_name", "name", "label"], ["fruit", "apple", "Apple"], ["fruit", "pear", "Pear"],
         ["fruit", "plum", "Plum"]]


def _form(tmp_path, rows, choices=FRUIT):
    return load_form(write_xlsform(tmp_path / "f.xlsx", [HEAD, *rows], choices))


@pytest.mark.parametrize("spelling, kind", [
    ("image", "image"), ("photo", "image"), ("q picture", "image"), ("add photo prompt", "image"),
    ("audio", "audio"), ("q audio", "audio"), ("video", "video"), ("add video prompt", "video"),
    ("file", "file"), ("add file prompt", "file"), ("geotrace", "geotrace"), ("q geoshape", "geoshape"),
])
def test_media_lines_and_shapes_load(tmp_path, spelling, kind):
    form = _form(tmp_path, [[spelling, "thing", "Thing", None, None]])
    assert form.question("thing").type == kind and form.question("thing").stores_answer


def test_a_photo_is_attached_under_a_collect_style_name_and_held_until_saved(tmp_path):
    form = _form(tmp_path, [["image", "photo", "Photo", None, "signature"], ["text", "note", "Note", None, None]])
    s = Session(form)
    jpeg = b"\xff\xd8\xff" + os.urandom(3000)
    name = s.attach("photo", jpeg, "Ivanenko Petro passport.JPG")
    assert name.endswith(".jpg") and name[:-4].isdigit() and "Ivanenko" not in name  # no personal name kept
    assert s.record() == {"photo": name}
    parts = list(s.attachments("rec-1"))
    assert [p["part"] for p in parts] == [0] and parts[0]["record"] == "rec-1" and parts[0]["question"] == "photo"
    assert read_attachment(parts) == jpeg
    assert form.question("photo").appearance == "signature"


def test_a_file_the_question_cannot_take_is_refused_and_nothing_changes(tmp_path):
    form = _form(tmp_path, [["image", "photo", "Photo", None, None], ["audio", "voice", "Voice", None, None]])
    s = Session(form)
    with pytest.raises(MediaError, match="takes a photo or picture .* not a .pdf file"):
        s.attach("photo", b"%PDF-1.4", "form.pdf")
    with pytest.raises(MediaError, match="is empty"):
        s.attach("voice", b"", "note.m4a")
    assert s.record() == {} and s.files == {}


def test_a_file_over_the_limit_is_refused_with_its_size(tmp_path, monkeypatch):
    import forms.media

    monkeypatch.setattr(forms.media, "MAX_FILE_BYTES", 1000)
    s = Session(_form(tmp_path, [["file", "doc", "Document", None, None]]))
    with pytest.raises(MediaError, match="the most one answer can hold"):
        s.attach("doc", b"x" * 1001, "scan.pdf")
    assert s.record() == {}
    assert MAX_FILE_BYTES >= 20 * PART_BYTES


@pytest.mark.parametrize("typed", ["../../etc/passwd.jpg", "photo.pdf", "/tmp/a.jpg", ".hidden.jpg"])
def test_a_typed_answer_that_is_not_a_stored_file_name_is_a_type_error(tmp_path, typed):
    s = Session(_form(tmp_path, [["image", "photo", "Photo", None, None]]))
    s.set("photo", typed)
    assert [(e.name, e.kind) for e in s.errors()] == [("photo", "type")]
    assert s.record() == {}


def test_only_files_the_record_keeps_are_saved(tmp_path):
    form = _form(tmp_path, [
        ["select_one fruit", "has", "Has?", None, None],
        ["image", "photo", "Photo", "${has} = 'apple'", None],
        ["begin_repeat", "items", "Items", None, None],
        ["video", "clip", "Clip", None, None],
        ["end_repeat", "", "", None, None],
    ])
    s = Session(form, {"has": "apple"})
    s.attach("photo", b"png-bytes", "a.png")
    for k in range(3):
        s.add_repeat("items")
        s.attach("clip", f"clip {k}".encode(), f"c{k}.mp4", index=(k,))
    s.remove_repeat("items", 1)  # the second entry and its clip go; the third moves up
    kept = {(p["question"], tuple(p["instance"])): base64.b64decode(p["data"]) for p in s.attachments("r")}
    assert kept == {("photo", ()): b"png-bytes", ("clip", (0,)): b"clip 0", ("clip", (1,)): b"clip 2"}
    s.set("has", "pear")  # the photo question is no longer relevant: its file is not saved
    assert {q for q, _ in {(p["question"], 0) for p in s.attachments("r")}} == {"clip"}
    s.set("clip", "", index=(0,))  # an answer cleared drops its file
    assert [tuple(p["instance"]) for p in s.attachments("r")] == [(1,)]


def test_parts_rebuild_the_file_and_a_missing_or_damaged_part_is_refused():
    data = os.urandom(PART_BYTES * 2 + 123)
    parts = list(attachment_parts(data, record="r", question="q", name="1.mp4"))
    assert [p["parts"] for p in parts] == [3, 3, 3] and "sha256" in parts[-1]
    assert read_attachment(reversed(parts)) == data  # parts arrive in any order
    with pytest.raises(MediaError, match="2 of its 3 parts"):
        write_attachment(parts[:2], io.BytesIO())
    with pytest.raises(MediaError, match="Part 2 .* is missing"):
        write_attachment([parts[0], parts[2]], io.BytesIO())
    bad = dict(parts[1], data=base64.b64encode(b"x" * PART_BYTES).decode())
    with pytest.raises(MediaError, match="damaged"):
        write_attachment([parts[0], bad, parts[2]], io.BytesIO())


def test_twenty_photos_of_3_mb_go_through_in_bounded_memory(tmp_path):
    """Packing a file from a stream and writing it back hold one part at a time, not the file."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(3 * 1024 * 1024))
    tracemalloc.start()
    try:
        for i in range(20):
            with open(photo, "rb") as fh, open(tmp_path / f"out{i}.jpg", "wb") as out:
                parts = attachment_parts(fh, record="r", question="q", name=f"{i}.jpg", size=photo.stat().st_size)
                write_attachment(parts, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out19.jpg").read_bytes() == photo.read_bytes()
    # A part, its base64 text and the decoded copy: a few parts, whatever the files add up to.
    assert peak < 8 * PART_BYTES, f"peak {peak / 2**20:.1f} MiB for 60 MiB of photos"


def test_a_stream_that_grows_while_read_is_refused():
    with pytest.raises(MediaError, match="changed while it was being read"):
        list(attachment_parts(io.BytesIO(b"x" * 100), record="r", question="q", name="a.bin", size=50))


def test_attached_names_keep_only_a_plain_ending():
    import datetime as dt

    when = dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)
    assert attached_name("IMG 1.JPEG", when) == f"{int(when.timestamp() * 1000)}.jpeg"
    assert attached_name("noending", when) == str(int(when.timestamp() * 1000))


# --- lines, shapes and rank --------------------------------------------------------------------------------
def test_a_line_is_two_or_more_points_and_a_shape_is_closed(tmp_path):
    form = _form(tmp_path, [["geotrace", "road", "Road", None, None], ["geoshape", "field", "Field", None, None]])
    s = Session(form)
    s.set("road", "50.45 30.52; 50.46 30.53 120 5")
    s.set("field", [[50.0, 30.0], "50.1 30.0", "50.1 30.1"])
    assert s.record() == {"road": "50.45 30.52; 50.46 30.53 120 5",
                          "field": "50 30; 50.1 30; 50.1 30.1; 50 30"}
    for name, bad in (("road", "50.45 30.52"), ("road", "91 30; 50 30"), ("field", "50 30; 50.1 30; 50 30")):
        s.set(name, bad)
        assert [e.name for e in s.errors()] == [name], bad
        s.set(name, "")


def test_rank_orders_every_choice_once(tmp_path):
    form = _form(tmp_path, [["rank fruit", "order", "Order", None, None]])
    q = form.question("order")
    assert q.type == "rank" and [c.name for c in q.choices] == ["apple", "pear", "plum"]
    s = Session(form)
    s.set("order", ["plum", "apple", "pear"])
    assert s.errors() == [] and s.record() == {"order": "plum apple pear"}
    for bad in ("plum apple", "plum apple pear kiwi"):
        s.set("order", bad)
        assert [e.kind for e in s.errors()] == ["type"], bad


def test_an_export_folder_takes_parts_in_any_order_and_leaves_out_what_is_incomplete(tmp_path):
    from forms.media import AttachmentFolder

    whole = os.urandom(PART_BYTES * 2 + 7)
    a = list(attachment_parts(whole, record="rec-a", question="q", name="1.jpg"))
    b = list(attachment_parts(b"short", record="rec-b", question="q", name="2.jpg"))
    c = list(attachment_parts(os.urandom(PART_BYTES + 1), record="rec-c", question="q", name="3.jpg"))
    other = list(attachment_parts(b"not exported", record="rec-x", question="q", name="4.jpg"))
    with AttachmentFolder(tmp_path, records={"rec-a", "rec-b", "rec-c"}) as files:
        for part in [a[2], b[0], a[0], c[0], a[1], a[0], *other]:  # c's last part has not arrived
            files.add(part)
    assert (tmp_path / "rec-a" / "1.jpg").read_bytes() == whole
    assert (tmp_path / "rec-b" / "2.jpg").read_bytes() == b"short"
    assert files.incomplete == ["rec-c/3.jpg"] and not (tmp_path / "rec-c" / "3.jpg").exists()
    assert not (tmp_path / "rec-x").exists() and not list(tmp_path.rglob("*.part"))
    with pytest.raises(MediaError):
        AttachmentFolder(tmp_path).add(dict(b[0], name="../../escape.jpg"))


def test_an_osm_question_takes_an_osm_file(tmp_path):
    form = _form(tmp_path, [["osm buildings", "building", "Building", None, None], ["osm", "plain", "Plain", None, None]])
    assert form.question("building").type == "osm" and form.question("plain").type == "osm"
    s = Session(form)
    name = s.attach("building", b"<?xml version='1.0'?><osm/>", "way.osm")
    assert name.endswith(".osm") and s.record() == {"building": name}
    with pytest.raises(MediaError, match="OpenStreetMap"):
        s.attach("plain", b"\xff\xd8", "photo.jpg")


@pytest.mark.parametrize("kind", ["start-geopoint", "background-geopoint"])
def test_where_the_form_was_started_is_left_empty_with_a_warning(tmp_path, kind):
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "trigger"],
        [kind, "where", None, "${a}" if kind == "background-geopoint" else None],
        ["text", "a", "A", None],
    ]))
    assert any("no GPS" in w.message and "'where'" in w.message and w.row == 2 for w in form.warnings)
    s = Session(form, {"a": "x"})
    assert s.record() == {"a": "x"} and s.errors() == []


def test_curly_quotes_typed_by_a_spreadsheet_are_straightened_in_expressions_only(tmp_path):
    form = _form(tmp_path, [
        ["select_one fruit", "f", "Fruit’s name", None, None],
        ["text", "why", "Why “apple”?", "${f} = ‘apple’", None],
    ])
    assert form.question("why").relevant.text == "${f} = 'apple'"
    assert form.question("f").labels["default"] == "Fruit’s name"  # the label keeps its apostrophe
    assert form.question("why").labels["default"] == "Why “apple”?"
    s = Session(form, {"f": "apple"})
    assert s.visible("why")
