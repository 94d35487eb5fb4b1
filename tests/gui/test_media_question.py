"""A media question in the form: a file chosen or a signature drawn is held by the session, and refused in words."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from forms import Session, load_form
from gui.questions import QuestionRow, SignaturePad
from tests.unit.forms.xlsform import write_xlsform


def _session(tmp_path):
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "appearance"],
        ["image", "sign", "Signature", "signature"],
        ["audio", "voice", "Voice", None],
    ]))
    return Session(form)


def _row(qtbot, session, name):
    row = QuestionRow(session, session.form.question(name), ())
    qtbot.addWidget(row)
    row.answered.connect(lambda n, i, v: session.set(n, v, index=i))  # as the form screen does
    return row


def test_a_file_is_read_off_the_gui_thread_and_attached(qtbot, tmp_path):
    s = _session(tmp_path)
    row = _row(qtbot, s, "voice")
    assert row.file_label.text() == "No file"
    clip = tmp_path / "Voice of Synthetic Person.m4a"
    clip.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(5000))
    row.take_file(clip)
    qtbot.waitUntil(lambda: s.record().get("voice", "").endswith(".m4a"), timeout=5000)
    name = s.record()["voice"]
    assert "Synthetic" not in name and row.file_label.text().startswith(name)
    assert [f["data"] for f in s.kept_files()] == [clip.read_bytes()]
    qtbot.mouseClick(row.findChild(type(row.focus_target), "removeFile"), Qt.MouseButton.LeftButton)
    assert s.record() == {} and s.kept_files() == [] and row.file_label.text() == "No file"


def test_a_file_of_the_wrong_kind_is_refused_before_it_is_read(qtbot, tmp_path):
    s = _session(tmp_path)
    row = _row(qtbot, s, "voice")
    row.show()
    doc = tmp_path / "notes.pdf"
    doc.write_bytes(b"%PDF-1.4")
    row.take_file(doc)
    assert row.message.isVisible() and "sound recording" in row.message.text() and "m4a" in row.message.text()
    assert s.record() == {}


def test_a_signature_drawn_with_the_mouse_becomes_a_png(qtbot, tmp_path):
    s = _session(tmp_path)
    row = _row(qtbot, s, "sign")
    draw = row.findChild(type(row.focus_target), "drawImage")
    assert draw is not None  # the signature appearance offers drawing
    qtbot.mouseClick(draw, Qt.MouseButton.LeftButton)
    pad = row.pad
    assert isinstance(pad, SignaturePad) and pad.isVisible()
    canvas = pad.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    for x in range(20, 200, 10):
        qtbot.mouseMove(canvas, QPoint(x, 20 + x // 4))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 70))
    assert not canvas.blank
    pad.accept()
    [kept] = s.kept_files()
    assert kept["name"].endswith(".png") and kept["data"].startswith(b"\x89PNG")
    assert s.record() == {"sign": kept["name"]}
    qtbot.mouseClick(draw, Qt.MouseButton.LeftButton)
    assert pad.canvas.blank  # a new drawing starts on a blank page
    pad.accept()  # nothing drawn: the signature stays as it was
    assert s.record() == {"sign": kept["name"]}
