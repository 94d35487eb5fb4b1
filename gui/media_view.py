"""Files in a record: a photo as a thumbnail (larger in a dialog), any other file by its name
and size with "Save a copy…". Used by the record view and by the form's media questions.

A file is read from its sealed parts (``storage.finalise.record_files``, one part decrypted
at a time) and decoded into an image in memory, on a worker: the bytes are never written to
disk, except by "Save a copy…", which a person asks for, writes an owner-only file outside
the profile folder and is audited.

    source = FileSource(ctx, record_id, kind=ATTACHMENT_KIND, form_id=..., owner=dialog)
    panel = FilesPanel(record_file_list(form, record.fields, lang), source)   # [(label, name, type)]
"""
from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea,
    QVBoxLayout, QWidget,
)

from forms.media import ATTACHMENT_KIND, MEDIA_TYPES, MediaError, extension, write_attachment
from storage.finalise import record_files

from .i18n import tr

THUMB = 160            # a thumbnail's longest side, in pixels
LARGE = 1600           # the dialog's image at most this long: a 12-megapixel photo is not kept whole
IMAGE_ENDINGS = {"jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff"}
# A file for "Save a copy…" is written as the owner's only (it may show a person).
OWNER_ONLY = 0o600


def is_image(name: str, qtype: str = "image") -> bool:
    return qtype == "image" and extension(name) in IMAGE_ENDINGS


def size_text(size: int) -> str:
    return tr("{n} MB").format(n=f"{size / 2**20:.1f}") if size >= 2**20 else tr("{n} KB").format(n=max(1, size // 1024))


def _parts(store, record_id: str, name: str, kind: str, form_id: str | None):
    return (p.fields for p in record_files(store, record_id, kind=kind, form_id=form_id) if p.fields.get("name") == name)


def read_file(store, record_id: str, name: str, *, kind: str = ATTACHMENT_KIND, form_id: str | None = None) -> bytes:
    """One file of a record, whole, in memory (for decoding a photo); MediaError when its parts
    are not all there or do not match."""
    buffer = io.BytesIO()
    write_attachment(_parts(store, record_id, name, kind, form_id), buffer)
    return buffer.getvalue()


def file_size(store, record_id: str, name: str, *, kind: str = ATTACHMENT_KIND, form_id: str | None = None) -> int | None:
    """The size a file's parts give (None when none has arrived)."""
    for part in _parts(store, record_id, name, kind, form_id):
        return int(part.get("size") or 0)
    return None


def decode(data: bytes, longest: int) -> QImage:
    """The image in ``data`` scaled to at most ``longest`` pixels on its longest side, decoded
    in memory (a QImage may be made on any thread); a null image when it is not one."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    raw = QByteArray(data)
    buf = QBuffer(raw)
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf)
    reader.setAutoTransform(True)  # a phone's photo stands the way it was taken
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > longest:
        reader.setScaledSize(size.scaled(QSize(longest, longest), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buf.close()
    return image


def _write_owner_only(target: Path, write: Callable) -> int:
    """``write(fh)`` into a temporary file beside ``target`` (mode 0600 from the start), synced,
    then renamed: a failed copy leaves nothing half-written."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fieldbook-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            size = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, OWNER_ONLY)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


def save_copy(store, record_id: str, name: str, out: str | os.PathLike, *, kind: str = ATTACHMENT_KIND,
              form_id: str | None = None, held: bytes | None = None) -> int:
    """Write one file of a record (or ``held``, a file chosen but not yet saved) to ``out``,
    outside the profile folder, readable by its owner only, one part in memory at a time, and
    audit it (``file_copy``). Returns its size."""
    from exporting import check_destination

    target = check_destination(out, store.directory)
    if held is not None:
        size = _write_owner_only(target, lambda fh: fh.write(held))
    else:
        size = _write_owner_only(target, lambda fh: write_attachment(_parts(store, record_id, name, kind, form_id), fh))
    store.log_event("file_copy")
    return size


class ImageDialog(QDialog):
    """One photo, larger, in a scroll area (decoded for this dialog, never written)."""

    def __init__(self, title: str, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageDialog")
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        self.picture = QLabel()
        self.picture.setObjectName("largeImage")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setPixmap(QPixmap.fromImage(image))
        self.picture.setAccessibleName(title)
        scroll = QScrollArea()
        scroll.setWidget(self.picture)
        scroll.setWidgetResizable(True)
        lay.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(min(image.width() + 60, 1200), min(image.height() + 100, 900))




class FileTile(QFrame):
    """One file: its question, then a thumbnail (a photo) or its name and size, and buttons."""

    def __init__(self, label: str, name: str, qtype: str, source: "FileSource", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label, self.name, self.qtype, self.source = label, name, qtype, source
        self.image = is_image(name, qtype)
        lay = QVBoxLayout(self)
        caption = QLabel(label)
        caption.setTextFormat(Qt.TextFormat.PlainText)
        caption.setWordWrap(True)
        lay.addWidget(caption)
        self.thumb = QLabel(tr("Loading…") if self.image else "")
        self.thumb.setObjectName("thumbnail")
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setMinimumSize(QSize(THUMB, THUMB) if self.image else QSize(0, 0))
        self.thumb.setAccessibleName(tr("Photo: {name}").format(name=label))
        lay.addWidget(self.thumb)
        self.info = QLabel(name)
        self.info.setObjectName("fileInfo")
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.info)
        row = QHBoxLayout()
        if self.image:
            self.larger = QPushButton(tr("View larger…"))
            self.larger.setObjectName("viewLarger")
            self.larger.setEnabled(False)
            self.larger.clicked.connect(self.on_larger_clicked)
            row.addWidget(self.larger)
        self.save = QPushButton(tr("Save a copy…"))
        self.save.setObjectName("saveCopy")
        self.save.clicked.connect(self.on_save_clicked)
        row.addWidget(self.save)
        lay.addLayout(row)
        self.thumbnail: QImage | None = None
        source.describe(name, THUMB if self.image else 0, self.on_described, self.on_failed)

    def on_described(self, result: tuple) -> None:
        size, image = result
        if size is None:
            self.info.setText(tr("{name}: not here yet (its parts are still to arrive)").format(name=self.name))
            self.thumb.setText("")
            self.save.setEnabled(False)
            return
        self.info.setText(f"{self.name} ({size_text(size)})")
        if self.image:
            if image is None or image.isNull():
                self.thumb.setText(tr("Cannot show this picture"))
                return
            self.thumbnail = image
            self.thumb.setPixmap(QPixmap.fromImage(image))
            self.larger.setEnabled(True)

    def on_failed(self, _exc: BaseException) -> None:
        self.thumb.setText("")
        self.info.setText(tr("{name}: cannot be read (damaged or incomplete)").format(name=self.name))
        self.save.setEnabled(False)
        if self.image:
            self.larger.setEnabled(False)

    def on_larger_clicked(self) -> None:
        def shown(image: QImage) -> None:
            dialog = ImageDialog(self.label, image, self.window())
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog = dialog
            dialog.open()
        self.source.image(self.name, LARGE, shown, self.on_failed)

    def on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Save a copy"), str(Path.home() / self.name))
        if path:
            self.source.save(self.name, path, self.on_saved, self.on_save_failed)

    def on_saved(self, _size: int) -> None:
        self.info.setText(tr("{name}: copy saved").format(name=self.name))

    def on_save_failed(self, exc: BaseException) -> None:
        from .errors import present

        present(self, exc)


class FileSource:
    """Where one record's (or draft's) files are read from: the store, on its serialized worker;
    a file held in memory (chosen in the form, not yet saved) is taken from ``held``; a file not
    found among the record's parts is looked for in ``also`` (a draft that edits a finished
    record: the photos it kept are the record's attachments). Callbacks come back on the GUI
    thread; images are decoded on the worker."""

    def __init__(self, ctx, record_id: str | None, *, kind: str = ATTACHMENT_KIND, form_id: str | None = None,
                 held: Callable[[str], bytes | None] | None = None, also: tuple | None = None, owner=None) -> None:
        self.ctx, self.owner = ctx, owner
        self.held = held or (lambda _name: None)
        self.places = [p for p in ((record_id, kind, form_id), also) if p is not None and p[0] is not None]

    def _run(self, fn, done, failed) -> None:
        self.ctx.run(fn, done, failed, owner=self.owner)

    def _find(self, store, name: str) -> tuple[tuple | None, int | None]:
        """The place that has the file, and its size (None, None: no part of it is here)."""
        for rid, kind, form_id in self.places:
            size = file_size(store, rid, name, kind=kind, form_id=form_id)
            if size is not None:
                return (rid, kind, form_id), size
        return None, None

    def describe(self, name: str, longest: int, done, failed) -> None:
        """(size, thumbnail or None) of a file: the thumbnail only when ``longest``."""
        held = self.held(name)

        def work(store):
            if held is not None:
                return len(held), decode(held, longest) if longest else None
            place, size = self._find(store, name)
            if place is None or not longest:
                return size, None
            rid, kind, form_id = place
            return size, decode(read_file(store, rid, name, kind=kind, form_id=form_id), longest)
        self._run(work, done, failed)

    def image(self, name: str, longest: int, done, failed) -> None:
        held = self.held(name)

        def work(store):
            if held is not None:
                return decode(held, longest)
            place, _size = self._find(store, name)
            if place is None:
                raise MediaError(f"The file {name} is not here.")
            rid, kind, form_id = place
            return decode(read_file(store, rid, name, kind=kind, form_id=form_id), longest)
        self._run(work, done, failed)

    def save(self, name: str, out: str, done, failed) -> None:
        held = self.held(name)

        def work(store):
            if held is not None:
                return save_copy(store, "", name, out, held=held)
            place, _size = self._find(store, name)
            if place is None:
                raise MediaError(f"The file {name} is not here.")
            rid, kind, form_id = place
            return save_copy(store, rid, name, out, kind=kind, form_id=form_id)
        self._run(work, done, failed)


def record_file_list(form, fields: dict, lang: str | None) -> list[tuple[str, str, str]]:
    """(question label, file name, question type) of every file a record's answers name, in
    the order of its fields, repeat entries included ("Photo (2)")."""
    out: list[tuple[str, str, str]] = []
    if form is None:
        return out

    def walk(data: dict, entry: str) -> None:
        for name, value in data.items():
            q = form.questions.get(name)
            if isinstance(value, list):
                for k, sub in enumerate(value, 1):
                    if isinstance(sub, dict):
                        walk(sub, f" ({k})")
            elif q is not None and q.type in MEDIA_TYPES and isinstance(value, str) and value:
                out.append(((form.text_in(q.labels, lang) or name) + entry, value, q.type))
    walk(fields, "")
    return out


class FilesPanel(QWidget):
    """The files of one record, as tiles in a grid."""

    COLUMNS = 3

    def __init__(self, files: list[tuple[str, str, str]], source: FileSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordFiles")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.tiles = [FileTile(label, name, qtype, source, self) for label, name, qtype in files]
        for k, tile in enumerate(self.tiles):
            grid.addWidget(tile, k // self.COLUMNS, k % self.COLUMNS)
