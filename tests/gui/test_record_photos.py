"""The record view shows a photo answer as a thumbnail (decoded in memory from the sealed parts,
never written), larger in a dialog; another file by name and size with "Save a copy…"
(owner-only, outside the profile folder, audited)."""
from __future__ import annotations

import os
import stat

import pytest
from gui_helpers import WAIT, unlock
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QPushButton

from exporting import save_submission
from forms import Session, load_form
from forms.errors import ExportError
from forms.finalise import finalised
from gui.media_view import ImageDialog, save_copy
from gui.record_view import RecordDialog
from tests.unit.forms.xlsform import write_xlsform


def png(width: int, height: int, marker: bytes = b"") -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(30, 120, 200))
    raw = QByteArray()
    buf = QBuffer(raw)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    data = bytes(raw.data())
    # A private chunk the decoder skips: a canary that would show if the bytes reached a file.
    if marker:
        import struct
        import zlib

        chunk = b"prVt" + marker
        data = data[:-12] + struct.pack(">I", len(marker)) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[-12:]
    return data


def _form(tmp_path):
    return load_form(write_xlsform(tmp_path / "photos.xlsx", [
        ["type", "name", "label"],
        ["text", "site", "Site"],
        ["image", "photo", "Photo of the shelter"],
        ["file", "scan", "Scanned letter"],
    ], settings=[["form_id", "version"], ["photos", "1"]]))


def _saved(w, form, photo, scan):
    s = Session(form, {"site": "Synthetic site"})
    s.attach("photo", photo, "shelter.png")
    s.attach("scan", scan, "letter.pdf")
    with w.ctx.tasks.store_lock:
        rid = save_submission(w.store, finalised(s))
        return w.store.get_record(rid)


def test_a_photo_shows_as_a_thumbnail_and_larger_and_a_file_by_name_and_size(qtbot, window_factory, profile, tmp_path):
    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    marker = b"CANARY-VIEW-" + os.urandom(8).hex().encode()
    photo, scan = png(1200, 900, marker), b"%PDF-1.4 " + marker + os.urandom(3100)
    record = _saved(w, form, photo, scan)
    dialog = RecordDialog(record, [], form, "en", w.store.device_id, "A record", ctx=w.ctx)
    qtbot.addWidget(dialog)
    assert dialog.files is not None
    shelter, letter = dialog.files.tiles
    qtbot.waitUntil(lambda: shelter.thumbnail is not None, timeout=WAIT)
    assert max(shelter.thumbnail.width(), shelter.thumbnail.height()) == 160  # a thumbnail, not the photo
    assert not shelter.thumb.pixmap().isNull() and shelter.larger.isEnabled()
    qtbot.waitUntil(lambda: "KB" in letter.info.text(), timeout=WAIT)
    assert letter.info.text() == f"{record.fields['scan']} (3 KB)" and not hasattr(letter, "larger")

    shelter.larger.click()
    qtbot.waitUntil(lambda: isinstance(getattr(shelter, "dialog", None), ImageDialog), timeout=WAIT)
    big = shelter.dialog.picture.pixmap()
    assert (big.width(), big.height()) == (1200, 900)
    shelter.dialog.close()
    # Nothing of the photo or the letter reached a file, in the profile or anywhere under the test's folder.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path


def test_save_a_copy_is_owner_only_outside_the_profile_and_audited(qtbot, window_factory, profile, tmp_path):
    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    scan = b"%PDF-1.4 synthetic " + os.urandom(2 * 1024 * 1024 + 7)  # three parts
    record = _saved(w, form, png(10, 10), scan)
    out = tmp_path / "copies"
    out.mkdir()
    with w.ctx.tasks.store_lock:
        before = len(w.store.audit_entries())
        size = save_copy(w.store, record.id, record.fields["scan"], out / "letter.pdf", form_id="photos")
        assert [e.action for e in w.store.audit_entries()[before:]] == ["file_copy"]
        with pytest.raises(ExportError, match="outside the profile folder"):
            save_copy(w.store, record.id, record.fields["scan"], profile / "letter.pdf")
    assert size == len(scan) and (out / "letter.pdf").read_bytes() == scan
    assert stat.S_IMODE((out / "letter.pdf").stat().st_mode) == 0o600
    assert not (profile / "letter.pdf").exists() and [p.name for p in out.iterdir()] == ["letter.pdf"]

    # The same through the tile's button (the file dialog answered as a person would).
    dialog = RecordDialog(record, [], form, "en", w.store.device_id, "A record", ctx=w.ctx)
    qtbot.addWidget(dialog)
    letter = dialog.files.tiles[1]
    qtbot.waitUntil(lambda: "MB" in letter.info.text(), timeout=WAIT)
    from PySide6.QtWidgets import QFileDialog

    target = out / "second.pdf"
    orig = QFileDialog.getSaveFileName
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (str(target), ""))
    try:
        letter.findChild(QPushButton, "saveCopy").click()
    finally:
        QFileDialog.getSaveFileName = orig
    qtbot.waitUntil(target.exists, timeout=WAIT)
    assert target.read_bytes() == scan and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_drafts_photo_shows_in_its_record_view_from_the_drafts_own_parts(qtbot, window_factory, profile, tmp_path):
    from forms.media import attachment_parts
    from storage.finalise import save_draft

    form = _form(tmp_path)
    w = window_factory(profile)
    unlock(qtbot, w)
    photo = png(300, 200)
    with w.ctx.tasks.store_lock:
        did = save_draft(w.store, None, {"site": "Synthetic", "photo": "1.png"}, form_id="photos", form_version="1",
                         files=lambda d: attachment_parts(photo, record=d, question="photo", name="1.png"))
        draft = w.store.get_record(did)
        assert w.store.pending_count() == 0
    dialog = RecordDialog(draft, [], form, "en", w.store.device_id, "A draft", ctx=w.ctx)
    qtbot.addWidget(dialog)
    [tile] = dialog.files.tiles
    qtbot.waitUntil(lambda: tile.thumbnail is not None, timeout=WAIT)
    assert tile.thumbnail.width() == 160 and 105 <= tile.thumbnail.height() <= 107
