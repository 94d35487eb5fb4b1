"""A photo from the laptop's camera for an image question: taken in a dialog (live picture, Take
photo, then Use this photo or Retake), kept in memory as JPEG, attached as a chosen file is and
sealed in the store. There is no camera where the tests run: the dialog is given a source that
shows a synthetic picture; the laptop's own path is checked to say so in words."""
from __future__ import annotations

import os

import pytest
from gui_helpers import WAIT, unlock
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from forms import Session, load_form
from forms.media import ATTACHMENT_KIND, read_attachment
from gui import camera
from gui.camera import CameraDialog, StillSource, jpeg_bytes, longest_side
from gui.questions import QuestionRow
from gui.screens.form import FormScreen
from tests.unit.forms.xlsform import write_xlsform


def noise(width: int, height: int) -> QImage:
    """A picture of random pixels: its JPEG is unlike any other bytes, so a slice of it is a canary."""
    pixels = os.urandom(width * height * 4)  # held while the image reads it, until the copy
    image = QImage(pixels, width, height, QImage.Format.Format_RGB32).copy()
    del pixels
    return image


def _form(tmp_path, parameters: str | None = None):
    return load_form(write_xlsform(tmp_path / "photo.xlsx", [
        ["type", "name", "label", "appearance", "parameters"],
        ["text", "who", "Who", None, None],
        ["image", "photo", "Photo of the shelter", None, parameters],
        ["image", "sign", "Signature", "signature", None],
    ], settings=[["form_id", "version"], ["camera_form", "1"]]))


def _row(qtbot, session, name, source=None):
    if source is not None:
        QuestionRow.camera_source = staticmethod(lambda: source)  # given before the row asks for a camera
    try:
        row = QuestionRow(session, session.form.question(name), ())
    finally:
        QuestionRow.camera_source = None
    qtbot.addWidget(row)
    row.answered.connect(lambda n, i, v: session.set(n, v, index=i))  # as the form screen does
    if source is not None:
        row.camera_source = lambda: source
    return row


def _open(qtbot, row):
    qtbot.mouseClick(row.photo_button, Qt.MouseButton.LeftButton)
    dialog = row.camera
    assert isinstance(dialog, CameraDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    return dialog


def test_a_photo_taken_is_scaled_encoded_in_memory_and_attached(qtbot, tmp_path):
    s = Session(_form(tmp_path))
    picture = noise(2400, 1800)
    source = StillSource(picture, ["Front camera", "USB camera"])
    row = _row(qtbot, s, "photo", source)
    assert row.photo_button.text() == "Take a photo…"
    dialog = _open(qtbot, row)
    assert dialog.chooser.isVisible() and dialog.chooser.count() == 2  # two cameras: a chooser
    assert dialog.take_button.isVisible() and not dialog.use_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Space)  # Space takes the photo
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    assert source.taken == 1 and dialog.use_button.isVisible() and dialog.retake_button.isVisible()
    assert s.record() == {}  # nothing yet: the photo is only shown
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter uses it
    qtbot.waitUntil(lambda: s.record().get("photo", "").endswith(".jpg"), timeout=WAIT)
    assert row.camera is None and source.stopped  # the dialog closed, and the camera is let go
    [kept] = s.kept_files()
    assert kept["data"].startswith(b"\xff\xd8\xff")  # a JPEG
    photo = QImage.fromData(kept["data"])
    assert (photo.width(), photo.height()) == (1920, 1440)  # the longest side scaled to 1920
    assert row.file_label.text().startswith(kept["name"])


def test_retake_and_cancel_leave_no_answer_and_escape_cancels(qtbot, tmp_path):
    s = Session(_form(tmp_path))
    source = StillSource(noise(320, 240))
    row = _row(qtbot, s, "photo", source)
    dialog = _open(qtbot, row)
    assert not dialog.chooser.isVisible()  # one camera: no chooser
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    qtbot.mouseClick(dialog.retake_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentIndex() == 0 and dialog.take_button.isEnabled() and s.record() == {}
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter takes it too
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert row.camera is None and source.stopped
    assert s.record() == {} and s.kept_files() == []
    # A cancelled dialog also leaves an earlier photo in place.
    s.attach("photo", jpeg_bytes(noise(64, 48)), "earlier.jpg")
    before = s.record()
    row.camera_source = lambda: StillSource(noise(320, 240))  # the first went with its dialog
    dialog = _open(qtbot, row)
    qtbot.mouseClick(dialog.findChild(type(dialog.take_button), "cancelPhoto"), Qt.MouseButton.LeftButton)
    assert s.record() == before


def test_a_camera_error_is_shown_in_words_and_changes_nothing(qtbot, tmp_path):
    s = Session(_form(tmp_path))
    s.attach("photo", jpeg_bytes(noise(64, 48)), "earlier.jpg")
    before = s.record()
    source = StillSource(noise(320, 240))
    row = _row(qtbot, s, "photo", source)
    dialog = _open(qtbot, row)
    source.failed.emit("The camera cannot be used: another program may be using it.")
    assert dialog.message.isVisible() and "another program" in dialog.message.text()
    assert dialog.pages.currentIndex() == 0 and s.record() == before
    dialog.reject()
    assert s.record() == before and len(s.kept_files()) == 1


def test_max_pixels_makes_the_photo_smaller(qtbot, tmp_path):
    assert longest_side({"max-pixels": "640"}) == 640
    assert longest_side({"max-pixels": "5000"}) == 1920 and longest_side({"max-pixels": "x"}) == 1920
    assert longest_side({}) == 1920
    s = Session(_form(tmp_path, "max-pixels=640"))
    row = _row(qtbot, s, "photo", StillSource(noise(1000, 2000)))
    dialog = _open(qtbot, row)
    dialog.take()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    dialog.use()
    qtbot.waitUntil(lambda: bool(s.kept_files()), timeout=WAIT)
    photo = QImage.fromData(s.kept_files()[0]["data"])
    assert (photo.width(), photo.height()) == (320, 640)


def test_signature_questions_offer_drawing_not_the_camera(qtbot, tmp_path):
    s = Session(_form(tmp_path))
    row = _row(qtbot, s, "sign")
    assert row.findChild(type(row.focus_target), "takePhoto") is None
    assert row.findChild(type(row.focus_target), "drawImage") is not None


def test_without_a_camera_the_button_is_off_and_says_why(qtbot, tmp_path):
    from PySide6.QtMultimedia import QMediaDevices

    if QMediaDevices.videoInputs():
        pytest.skip("this computer has a camera: the no-camera path cannot be seen here")
    s = Session(_form(tmp_path))
    row = _row(qtbot, s, "photo")  # the laptop's own camera path, nothing injected
    qtbot.waitUntil(lambda: not row.photo_button.isEnabled(), timeout=WAIT)
    assert row.photo_button.toolTip() == "No camera was found on this laptop."
    assert camera.camera_problem() == "No camera was found on this laptop."
    row.on_photo_clicked()  # clicked anyway (say a camera was unplugged after the check)
    assert row.message.text() == "No camera was found on this laptop." and s.record() == {}


def test_a_build_without_the_camera_modules_says_so(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(camera, "_loaded", False)
    s = Session(_form(tmp_path))
    row = _row(qtbot, s, "photo")
    assert not row.photo_button.isEnabled() and "built without it" in row.photo_button.toolTip()


def test_a_camera_photo_is_sealed_in_the_store_and_never_on_disk(qtbot, window_factory, profile, tmp_path, monkeypatch):
    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    monkeypatch.setattr(QuestionRow, "camera_source", staticmethod(lambda: StillSource(noise(800, 600))))
    screen = FormScreen(w.ctx, form)
    qtbot.addWidget(screen)
    row = screen.rows[("photo", ())]
    dialog = _open(qtbot, row)
    dialog.take()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT)
    dialog.use()
    qtbot.waitUntil(lambda: bool(screen.session.kept_files()), timeout=WAIT)
    jpeg = screen.session.kept_files()[0]["data"]
    screen.session.set("who", "Synthetic")
    done = []
    screen.finalised.connect(lambda rid, _form: done.append(rid))
    screen.on_finalise_clicked()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    with w.ctx.tasks.store_lock:
        parts = [p.fields for p in w.store.list_records(ATTACHMENT_KIND)]
    assert read_attachment(parts) == jpeg and {p["record"] for p in parts} == {done[0]}
    # Canary: slices of the photo's bytes appear in no file under the test's folder (profile included).
    canaries = [jpeg[i:i + 48] for i in (len(jpeg) // 3, len(jpeg) // 2, 2 * len(jpeg) // 3)]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(c in data for c in canaries), path


def test_jpeg_bytes_refuses_an_empty_picture():
    with pytest.raises(ValueError):
        jpeg_bytes(QImage())
    small = QImage(10, 10, QImage.Format.Format_RGB32)
    small.fill(QColor(10, 200, 30))
    assert QImage.fromData(jpeg_bytes(small)).size() == small.size()  # small pictures are not enlarged


def test_the_laptops_camera_source_with_no_camera_says_so_in_the_dialog(qtbot):
    """Qt's own capture session, image capture and video widget, made for real: with no camera,
    the dialog says so and nothing can be taken."""
    from PySide6.QtMultimedia import QMediaDevices

    if QMediaDevices.videoInputs():
        pytest.skip("this computer has a camera: the no-camera path cannot be seen here")
    dialog = CameraDialog(camera.CameraSource())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.message.isVisible, timeout=WAIT)
    assert dialog.message.text() == "No camera was found on this laptop."
    assert not dialog.take_button.isEnabled() and dialog.source.cameras() == []
    dialog.take()  # Space or Enter: nothing happens
    assert dialog.pages.currentIndex() == 0
    # The system's answer when it does not let the program use a camera.
    dialog.source.start(Qt.PermissionStatus.Denied)
    qtbot.waitUntil(lambda: "settings do not let" in dialog.message.text(), timeout=WAIT)
    assert dialog.message.text() == "This laptop's settings do not let Fieldbook use the camera."
    dialog.reject()
