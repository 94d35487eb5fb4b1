"""A photo from the laptop's camera for an image question: the live picture, "Take photo", then
the still with "Use this photo" or "Retake".

The photo stays in memory: the camera gives a QImage (never a file), which is scaled down and
encoded to JPEG in a QBuffer, and handed to the question the way a chosen file is (the session
holds it; the store seals it when the record or draft is saved). Nothing of it is written in
plaintext anywhere.

Qt's camera classes (QtMultimedia) are imported only when a camera is asked for (the first image
question shown): the app starts as fast as without them, and a build without them still works
(the button then says the camera cannot be used).

The dialog takes its pictures from a *source*: ``CameraSource`` is the laptop's camera;
``StillSource`` shows one given picture (the screenshots, and the tests, which have no camera).
A source has the signals ``captured(QImage)``, ``failed(str)`` (why, in words) and
``ready(bool)``, and the methods ``cameras()``, ``current()``, ``select(i)``, ``preview()``,
``is_ready()``, ``capture()`` and ``stop()``.
"""
from __future__ import annotations

from typing import Callable

import shiboken6
from PySide6.QtCore import QBuffer, QIODevice, QObject, QThreadPool, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget,
)

from .i18n import tr

# A photo's longest side, in pixels, unless the question's ``max-pixels`` asks for less: enough
# to read a document or see a shelter, and about 300-600 KB as JPEG at this quality.
LONGEST_SIDE = 1920
JPEG_QUALITY = 85
PHOTO_NAME = "photo.jpg"  # the original name the session is given (it stores under its own name)
PREVIEW_SIZE = (640, 480)


def longest_side(parameters: dict[str, str]) -> int:
    """The longest side a photo may have for a question: its ``max-pixels`` parameter (as in
    Collect) when that is a positive whole number under LONGEST_SIDE, else LONGEST_SIDE."""
    try:
        wanted = int(parameters.get("max-pixels", ""))
    except ValueError:
        return LONGEST_SIDE
    return wanted if 0 < wanted < LONGEST_SIDE else LONGEST_SIDE


def jpeg_bytes(image: QImage, longest: int = LONGEST_SIDE, quality: int = JPEG_QUALITY) -> bytes:
    """``image`` scaled down to at most ``longest`` pixels a side and encoded as JPEG, in memory.
    Runs on a worker (QImage is reentrant); ValueError if it cannot be encoded."""
    if image.isNull():
        raise ValueError("The camera gave no picture.")
    if max(image.width(), image.height()) > longest:
        image = image.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    # The buffer owns its bytes: one given an outside QByteArray may outlive it and crash.
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = image.convertToFormat(QImage.Format.Format_RGB32).save(buffer, "JPEG", quality)
    data = bytes(buffer.data().data())
    buffer.close()
    if not ok or not data:
        raise ValueError("The photo cannot be encoded.")
    return data


# -- is there a camera? ------------------------------------------------------------------------
def _import_multimedia() -> bool:
    """Load Qt's camera modules; False if this build has none."""
    try:
        import PySide6.QtMultimedia  # noqa: F401
        import PySide6.QtMultimediaWidgets  # noqa: F401
    except ImportError:
        return False
    return True


_loaded: bool | None = None  # None: not tried yet


def multimedia_loaded() -> bool:
    """Qt's camera modules are in this build (loaded now if they were not yet)."""
    global _loaded
    if _loaded is None:
        _loaded = _import_multimedia()
    return _loaded


def camera_problem() -> str:
    """Why the camera cannot be used, in words; "" if it can. Loads Qt's camera modules the first
    time (tens of ms); asks for the cameras each time (one may have been plugged in or out)."""
    if not multimedia_loaded():
        return tr("The camera cannot be used: this copy of Fieldbook was built without it.")
    from PySide6.QtMultimedia import QMediaDevices

    if not QMediaDevices.videoInputs():
        return tr("No camera was found on this laptop.")
    return ""


def check_camera(done: Callable[[str], None], receiver: QObject) -> None:
    """``done(camera_problem())`` once the GUI thread is free (right away once Qt's camera
    modules are loaded). They load on the GUI thread, once per run: a PySide module imported on
    a worker while the GUI thread runs Qt code crashed (seen in the tests). ``receiver`` is the
    widget asking: if it is gone by then, nothing is called."""
    if _loaded is not None:
        done(camera_problem())
        return
    QTimer.singleShot(0, receiver, lambda: done(camera_problem()))


# -- sources -----------------------------------------------------------------------------------
class CameraSource(QObject):
    """The laptop's cameras (Qt's QCamera, QMediaCaptureSession and QImageCapture); the live
    picture in a QVideoWidget. ``capture()`` gives a QImage: QImageCapture.capture(), unlike
    captureToFile(), writes nothing."""

    captured = Signal(QImage)
    failed = Signal(str)
    ready = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self._devices = list(QMediaDevices.videoInputs())
        self._session = QMediaCaptureSession(self)
        self._capture = QImageCapture(self)
        self._session.setImageCapture(self._capture)
        self._video = QVideoWidget()
        self._video.setMinimumSize(*PREVIEW_SIZE)
        self._session.setVideoOutput(self._video)
        self._capture.imageCaptured.connect(lambda _id, image: self.captured.emit(image))
        self._capture.errorOccurred.connect(lambda _id, _error, _text: self.failed.emit(
            tr("The photo could not be taken. Try again.")))
        self._capture.readyForCaptureChanged.connect(self.ready)
        self._camera = None
        self._index = -1
        default = QMediaDevices.defaultVideoInput().id()
        if self._devices:
            self.select(next((i for i, d in enumerate(self._devices) if d.id() == default), 0))
        else:
            QTimer.singleShot(0, self, lambda: self.failed.emit(tr("No camera was found on this laptop.")))

    def cameras(self) -> list[str]:
        return [d.description() for d in self._devices]

    def current(self) -> int:
        return self._index

    def select(self, index: int) -> None:
        from PySide6.QtMultimedia import QCamera

        if self._camera is not None:
            self._camera.stop()
            self._camera.deleteLater()
        self._index = index
        self._camera = QCamera(self._devices[index], self)
        self._camera.errorOccurred.connect(self._camera_failed)
        self._session.setCamera(self._camera)
        self._ask_then_start()

    def _ask_then_start(self) -> None:
        """Start the camera if the system lets this program use it, asking first where the
        system asks (some never do, and say "granted")."""
        from PySide6.QtCore import QCameraPermission, QCoreApplication

        app = QCoreApplication.instance()
        status = app.checkPermission(QCameraPermission()) if app is not None else Qt.PermissionStatus.Granted
        if status == Qt.PermissionStatus.Undetermined:
            app.requestPermission(QCameraPermission(), self, lambda answer: self.start(answer.status()))
            return
        self.start(status)

    def start(self, status) -> None:
        """Start the camera, or say in words that the system does not let this program use it."""
        if status != Qt.PermissionStatus.Granted:  # said once the dialog listens
            QTimer.singleShot(0, self, lambda: self.failed.emit(
                tr("This laptop's settings do not let Fieldbook use the camera.")))
        elif self._camera is not None:
            self._camera.start()

    def _camera_failed(self, _error, _text: str) -> None:
        # Qt's own text is in English and technical: the words here say what to do.
        self.failed.emit(tr("The camera cannot be used: another program may be using it, or this "
                            "laptop's settings may not let Fieldbook use it."))

    def preview(self) -> QWidget:
        return self._video

    def is_ready(self) -> bool:
        return self._capture.isReadyForCapture()

    def capture(self) -> None:
        self._capture.capture()

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()


class StillSource(QObject):
    """A source that shows one given picture and gives it when a photo is taken: for the
    screenshots, and for the tests (there is no camera where they run)."""

    captured = Signal(QImage)
    failed = Signal(str)
    ready = Signal(bool)

    def __init__(self, image: QImage, names: list[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image = image
        self.names = names or ["Camera"]
        self._index = 0
        self.stopped = False
        self.taken = 0
        self._label = QLabel()
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setMinimumSize(*PREVIEW_SIZE)
        self._label.setPixmap(QPixmap.fromImage(image).scaled(
            *PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def cameras(self) -> list[str]:
        return list(self.names)

    def current(self) -> int:
        return self._index

    def select(self, index: int) -> None:
        self._index = index

    def preview(self) -> QWidget:
        return self._label

    def is_ready(self) -> bool:
        return not self.stopped

    def capture(self) -> None:
        self.taken += 1
        QTimer.singleShot(0, self, lambda: self.captured.emit(self.image))  # as a camera does: later

    def stop(self) -> None:
        self.stopped = True


_running: set = set()  # encoders still running (their signals must outlive the thread)


# -- the dialog --------------------------------------------------------------------------------
class CameraDialog(QDialog):
    """The live picture and "Take photo" (Space or Enter); then the still, with "Use this photo"
    (Enter) and "Retake". Escape cancels. ``taken`` gives the JPEG bytes of a photo used; an error
    of the camera is shown in words and gives nothing."""

    taken = Signal(object)  # the JPEG bytes

    def __init__(self, source, longest: int = LONGEST_SIDE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraDialog")
        self.setWindowTitle(tr("Take a photo"))
        self.source, self.longest = source, longest
        source.setParent(self)  # goes with the dialog
        self.still_image: QImage | None = None
        self._encoders: set = set()
        lay = QVBoxLayout(self)
        self.chooser = QComboBox()
        self.chooser.setObjectName("cameraChooser")
        self.chooser.setAccessibleName(tr("Camera"))
        self.chooser.addItems(source.cameras())
        self.chooser.setCurrentIndex(max(source.current(), 0))
        self.chooser.currentIndexChanged.connect(self.on_camera_chosen)
        self.chooser.setVisible(len(source.cameras()) > 1)
        lay.addWidget(self.chooser)
        self.pages = QStackedWidget()
        preview = source.preview()
        preview.setParent(self.pages)  # owned by the dialog, not by the source's Python object
        self.pages.addWidget(preview)
        self.still = QLabel()
        self.still.setObjectName("cameraStill")
        self.still.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.still.setMinimumSize(*PREVIEW_SIZE)
        self.still.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.still.setAccessibleName(tr("The photo taken"))
        self.pages.addWidget(self.still)
        lay.addWidget(self.pages, 1)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        lay.addWidget(self.message)
        row = QHBoxLayout()
        self.take_button = self._button(row, tr("Take photo"), "takePhotoNow", self.take)
        self.use_button = self._button(row, tr("Use this photo"), "usePhoto", self.use)
        self.retake_button = self._button(row, tr("Retake"), "retakePhoto", self.retake)
        row.addStretch(1)
        self._button(row, tr("Cancel"), "cancelPhoto", self.reject)
        lay.addLayout(row)
        source.captured.connect(self.on_captured)
        source.failed.connect(self.on_failed)
        source.ready.connect(self._update_buttons)
        self._show_preview()

    def _button(self, row: QHBoxLayout, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)  # Enter is handled by keyPressEvent, page by page
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    def _show_preview(self) -> None:
        self.still_image = None
        self.pages.setCurrentIndex(0)
        self._update_buttons()
        self.take_button.setFocus()

    def _update_buttons(self, *_args) -> None:
        preview = self.pages.currentIndex() == 0
        self.take_button.setVisible(preview)
        self.take_button.setEnabled(preview and self.source.is_ready())
        self.use_button.setVisible(not preview)
        self.retake_button.setVisible(not preview)
        self.use_button.setEnabled(not preview and not self._encoders)

    def on_camera_chosen(self, index: int) -> None:
        self.show_message("")
        self.source.select(index)
        self._show_preview()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def take(self) -> None:
        if self.pages.currentIndex() == 0 and self.take_button.isEnabled():
            self.take_button.setEnabled(False)  # one photo at a time
            self.source.capture()

    def on_captured(self, image: QImage) -> None:
        if self.pages.currentIndex() != 0 or not self.isVisible():
            return
        self.still_image = image
        self.still.setPixmap(QPixmap.fromImage(image).scaled(
            *PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.pages.setCurrentIndex(1)
        self._update_buttons()
        self.use_button.setFocus()

    def on_failed(self, text: str) -> None:
        self.show_message(text)
        self._show_preview()

    def retake(self) -> None:
        self.show_message("")
        self._show_preview()

    def use(self) -> None:
        """Encode the still on a worker (scaling a large picture takes tens of ms), then give it."""
        if self.still_image is None or self._encoders:
            return
        from .workers import Worker

        image, longest = self.still_image, self.longest
        worker = Worker(lambda: jpeg_bytes(image, longest))
        self._encoders.add(worker)
        _running.add(worker)  # kept until it has finished: the dialog may go first
        worker.signals.finished.connect(lambda: _running.discard(worker))
        worker.signals.returned.connect(lambda data: self._encoded(worker, data))
        worker.signals.errored.connect(lambda _exc: self._encoded(worker, None))
        self._update_buttons()
        QThreadPool.globalInstance().start(worker)

    def _encoded(self, worker, data: bytes | None) -> None:
        if not shiboken6.isValid(self):
            return  # the dialog was closed and deleted meanwhile
        self._encoders.discard(worker)
        self._update_buttons()
        if data is None:
            self.show_message(tr("The photo cannot be used. Retake it."))
        elif self.isVisible():
            self.taken.emit(data)
            self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # A focused button takes Space itself (a click); Enter and a Space elsewhere come here.
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.chooser.hasFocus():
            self.take() if self.pages.currentIndex() == 0 else self.use()
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self.source.stop()  # the camera's light goes off as the dialog closes
        super().done(result)
