"""One widget per question type. A QuestionRow shows label, hint, editor and message.

Rows know nothing about the store: they report answers through ``answered`` and
are refreshed from the forms.Session by the form screen.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from pathlib import Path

from PySide6.QtCore import QBuffer, QDate, QEvent, QIODevice, QObject, QPoint, QThreadPool, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QTabletEvent
from PySide6.QtWidgets import (
    QButtonGroup, QCalendarWidget, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel,
    QLineEdit, QPlainTextEdit, QPushButton, QRadioButton, QSpinBox, QVBoxLayout, QWidget,
)

from forms import Question, Session
from forms import media
from forms.model import MEDIA_TYPES

from .dates import DateInputError, parse_typed_date
from .i18n import tr
from .list_editors import PointsEditor, RankEditor

Instance = tuple[int, ...]
RADIO_LIMIT = 6  # longer lists, or appearance "minimal", become a drop-down


def placeholder_for(q: Question) -> str:
    return {
        "integer": tr("Whole number"),
        "decimal": tr("Number"),
        "date": tr("DD.MM.YYYY or YYYY-MM-DD"),
        "time": tr("HH:MM"),
        "datetime": tr("YYYY-MM-DD HH:MM"),
        "geopoint": tr("Latitude Longitude, e.g. 50.45 30.52"),
    }.get(q.type, "")


ARROWS = {Qt.Key.Key_Down: 1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Left: -1}


class DatePicker(QDialog):
    """A month calendar: arrows move the day, Enter picks it, Escape leaves the answer as it was."""

    picked = Signal(object)  # datetime.date

    def __init__(self, start: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datePicker")
        self.setWindowTitle(tr("Pick a date"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        lay = QVBoxLayout(self)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        self.calendar.activated.connect(lambda _d: self.accept())  # Enter or a double click on a day
        lay.addWidget(self.calendar)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.calendar.setFocus()

    def accept(self) -> None:
        self.picked.emit(self.calendar.selectedDate().toPython())
        super().accept()


class SignaturePad(QDialog):
    """A white page to sign or draw on with the mouse or a pen; OK gives the drawing as PNG bytes."""

    drawn = Signal(object)  # the PNG bytes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setWindowTitle(tr("Sign or draw"))
        lay = QVBoxLayout(self)
        self.canvas = _Canvas()
        self.canvas.setAccessibleName(tr("Drawing area"))
        lay.addWidget(self.canvas, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        clear = buttons.addButton(tr("Clear"), QDialogButtonBox.ButtonRole.ResetRole)
        clear.clicked.connect(self.canvas.clear)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def accept(self) -> None:
        if self.canvas.blank:
            self.reject()
            return
        # The buffer owns its bytes: one given an outside QByteArray may outlive it and crash.
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.canvas.image.save(buffer, "PNG")
        png = bytes(buffer.data().data())
        buffer.close()
        self.drawn.emit(png)
        super().accept()


class _Canvas(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(480, 220)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.image = QImage(480, 220, QImage.Format.Format_RGB32)
        self.last: QPoint | None = None
        self.clear()

    def clear(self) -> None:
        self.image.fill(QColor("white"))
        self.blank = True
        self.update()

    def _line_to(self, point: QPoint) -> None:
        if self.last is not None:
            painter = QPainter(self.image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor("black"), 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(self.last, point)
            painter.end()
            self.blank = False
            self.update()
        self.last = point

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.last = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._line_to(event.position().toPoint())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._line_to(event.position().toPoint())
        self.last = None

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802 - Qt's name
        # A pen: the same strokes (Qt would otherwise turn them into mouse events, later and coarser).
        point = event.position().toPoint()
        if event.type() == QEvent.Type.TabletPress:
            self.last = point
        else:
            self._line_to(point)
            if event.type() == QEvent.Type.TabletRelease:
                self.last = None
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.drawImage(0, 0, self.image)
        painter.end()


def media_problem(kind: str, file_name: str, size: int) -> str:
    """Why a media question of ``kind`` cannot take this file, in the user's language; "" if it can."""
    allowed = media.EXTENSIONS[kind]
    if allowed is not None and media.extension(file_name) not in allowed:
        return tr("This question takes {what} ({endings}).").format(
            what={"image": tr("a photo or picture"), "audio": tr("a sound recording"),
                  "video": tr("a video"), "osm": tr("an OpenStreetMap file")}.get(kind, tr("a file")),
            endings=", ".join(sorted(allowed)))
    if size > media.MAX_FILE_BYTES:
        return tr("The file is {size} MB; the most one answer can hold is {most} MB.").format(
            size=f"{size / 2**20:.1f}", most=media.MAX_FILE_BYTES // 2**20)
    if size == 0:
        return tr("The file is empty.")
    return ""


def answer_text(value: Any) -> str:
    """An answer as its editor shows it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))


class QuestionRow(QWidget):
    """Label, hint, an editor for the question's type, and a message line for its errors."""

    answered = Signal(object, object, object)  # (question name, instance, value)
    committed = Signal(object, object)          # (question name, instance): editing finished

    def __init__(self, session: Session, q: Question, inst: Instance, parent: QWidget | None = None, *,
                 commit_only: bool = False, files: Callable[[str], Any] | None = None) -> None:
        super().__init__(parent)
        self.session, self.q, self.inst = session, q, inst
        # A media question's file, shown as a tile (gui/media_view.py): ``files(name)`` gives
        # where the named file is read from (held by the session, kept by the draft, or an
        # attachment of the record being edited). Without it, the name only.
        self.files = files
        self.tile = None
        self._tile_name = ""
        # A typed answer reaches the session only when it is committed (Enter, or leaving the
        # field), not on every key: for a repeat's count, "12" typed over "2" passes through
        # "1", which would drop entries on the way.
        self.commit_only = commit_only
        self.setObjectName(f"q_{q.name}" + "".join(f"_{i}" for i in inst))
        self.dynamic = "${" in "".join(q.labels.values()) + "".join(q.hints.values()) or q.choice_filter is not None
        self._updating = False
        self.input_error = ""  # why a typed answer is not one (a date that is none), in words
        self.rebuilt = False  # choice buttons were made anew: the form re-chains its Tab order
        self._choice_names: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(3)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        layout.addWidget(self.label)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        self.editor = self._make_editor()
        layout.addWidget(self.editor)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        layout.addWidget(self.message)
        self.refresh_texts()
        self.load_value()

    # -- editors ------------------------------------------------------------------------------
    def _make_editor(self) -> QWidget:
        q, t = self.q, self.q.type
        if t in MEDIA_TYPES:
            return self._media_editor()
        if t == "rank":
            self.rank = RankEditor()
            self.rank.changed.connect(self.on_list_changed)
            self.focus_target = self.rank.view
            return self.rank
        if t in ("geotrace", "geoshape"):
            self.points = PointsEditor(t)
            self.points.changed.connect(self.on_list_changed)
            # Enter in the entry adds the point; on the list (the row's focus target) it moves on
            self.focus_target = self.points.view
            return self.points
        if t.startswith("select_one"):
            if (q.appearance or "").startswith("minimal") or len(q.choices) > RADIO_LIMIT or q.choice_filter is not None:
                box = QComboBox()
                box.currentIndexChanged.connect(self.on_combo_changed)
                self.focus_target: QWidget = box
                return box
            holder = QWidget()
            short = sum(len(c.label(self.session.lang)) for c in q.choices) <= 60
            lay = QHBoxLayout(holder) if short else QVBoxLayout(holder)  # long options stack: no sideways scrolling
            lay.setContentsMargins(0, 0, 0, 0)
            self.group = QButtonGroup(holder)
            self.group.setExclusive(True)
            self.group.idToggled.connect(self.on_radio_toggled)
            self._radio_layout = lay
            self.focus_target = holder
            return holder
        if t.startswith("select_multiple"):
            holder = QWidget()
            lay = QVBoxLayout(holder) if len(q.choices) > 4 else QHBoxLayout(holder)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(2)
            self._checks: list[QCheckBox] = []
            self._check_layout = lay
            self.focus_target = holder
            return holder
        if t == "acknowledge":
            box = QCheckBox(tr("OK"))
            box.toggled.connect(lambda on: self._emit("OK" if on else ""))
            self.focus_target = box
            return box
        if t == "range":
            spin = QSpinBox()
            start = int(float(q.parameters.get("start", 1)))
            end = int(float(q.parameters.get("end", 10)))
            spin.setRange(start - 1, end)
            spin.setSingleStep(int(float(q.parameters.get("step", 1))))
            spin.setSpecialValueText(tr("(no answer)"))
            spin.valueChanged.connect(lambda v: self._emit("" if v < start else v))
            self.focus_target = spin
            return spin
        if t == "text" and "multiline" in (q.appearance or ""):
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
            edit.textChanged.connect(lambda: self._emit(edit.toPlainText()))
            self.focus_target = edit
            return edit
        line = QLineEdit()
        line.setPlaceholderText(placeholder_for(q))
        line.textEdited.connect(self.on_text_edited)
        line.editingFinished.connect(self.on_editing_finished)
        self.focus_target = line
        if t == "date":
            holder = QWidget()
            lay = QHBoxLayout(holder)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(line, 1)
            # Tab reaches both (Enter in the field goes on to the next question instead).
            pick = QPushButton(tr("Calendar…"))
            pick.setObjectName("pickDate")
            pick.clicked.connect(self.on_pick_clicked)
            lay.addWidget(pick)
            today = QPushButton(tr("Today"))
            today.setObjectName("today")
            today.clicked.connect(self.on_today_clicked)
            lay.addWidget(today)
            self._date_buttons = [pick, today]
            self.line = line
            return holder
        if t in ("integer", "decimal"):
            line.setMaximumWidth(line.fontMetrics().horizontalAdvance("0") * 18 + 24)
        self.line = line
        return line

    def _media_editor(self) -> QWidget:
        """The file's name, and buttons to choose a file, draw (signature and draw appearances) or
        take a photo with the laptop's camera (other image questions), or remove; under them the file's tile (a photo's thumbnail), once there is a file."""
        holder = QWidget()
        outer = QVBoxLayout(holder)
        outer.setContentsMargins(0, 0, 0, 0)
        lay = QHBoxLayout()
        outer.addLayout(lay)
        self._tile_layout = outer
        self.file_label = QLabel()
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.file_label, 1)
        choose = QPushButton(tr("Choose file…"))
        choose.setObjectName("chooseFile")
        choose.clicked.connect(self.on_choose_file)
        lay.addWidget(choose)
        self._media_buttons = [choose]
        if self.q.type == "image" and {"signature", "draw", "annotate"} & set((self.q.appearance or "").split()):
            draw = QPushButton(tr("Sign or draw…"))
            draw.setObjectName("drawImage")
            draw.clicked.connect(self.on_draw_clicked)
            lay.addWidget(draw)
            self._media_buttons.append(draw)
        elif self.q.type == "image":
            photo = QPushButton(tr("Take a photo…"))
            photo.setObjectName("takePhoto")
            photo.clicked.connect(self.on_photo_clicked)
            lay.addWidget(photo)
            self._media_buttons.append(photo)
            self.photo_button = photo
            if self.camera_source is None:  # the laptop's camera: is there one? (asked once the form shows)
                from .camera import check_camera

                check_camera(self.on_camera_known, self)
        remove = QPushButton(tr("Remove"))
        remove.setObjectName("removeFile")
        remove.clicked.connect(self.on_remove_clicked)
        lay.addWidget(remove)
        self._media_buttons.append(remove)
        self._readers: set = set()
        self.focus_target = choose
        return holder

    def on_remove_clicked(self) -> None:
        self._emit("")
        self.committed.emit(self.q.name, self.inst)
        self.load_value()

    def on_choose_file(self) -> None:
        allowed = media.EXTENSIONS[self.q.type]
        pattern = " ".join(f"*.{e} *.{e.upper()}" for e in sorted(allowed)) if allowed else "*"
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a file"), "", f"{tr('Files')} ({pattern})")
        if path:
            self.take_file(Path(path))

    def take_file(self, path: Path) -> None:
        """Check the file's kind and size first (nothing read), then read it off the GUI thread."""
        from .workers import Worker

        try:
            size = path.stat().st_size
        except OSError:
            self.show_message(tr("The file cannot be read."))
            return
        problem = media_problem(self.q.type, path.name, size)
        if problem:
            self.show_message(problem)
            return
        reader = Worker(path.read_bytes)
        self._readers.add(reader)  # kept until it reports: its signals must outlive the thread
        reader.signals.returned.connect(lambda data: self.attach(data, path.name))
        reader.signals.errored.connect(lambda _exc: self.show_message(tr("The file cannot be read.")))
        reader.signals.finished.connect(lambda: self._readers.discard(reader))
        QThreadPool.globalInstance().start(reader)

    def on_draw_clicked(self) -> None:
        if getattr(self, "pad", None) is None:
            self.pad = SignaturePad(self)  # one per question, kept: a new drawing starts blank
            self.pad.drawn.connect(lambda data: self.attach(data, "drawing.png"))
        self.pad.canvas.clear()
        self.pad.open()

    # Where a photo comes from: None for the laptop's camera (gui/camera.py), or a callable giving
    # a source (the screenshots and the tests, where there is no camera), set on the class (as a
    # staticmethod) before the rows are made, or on one row.
    camera_source: Callable[[], Any] | None = None

    def on_camera_known(self, problem: str) -> None:
        """No camera (or none in this build): the button says why, in words, and is off."""
        if self.camera_source is not None:
            return  # pictures come from elsewhere (given after the row was made)
        self.photo_button.setEnabled(not problem)
        self.photo_button.setToolTip(problem)
        self.photo_button.setAccessibleDescription(problem or self.form_label())

    def on_photo_clicked(self) -> None:
        from .camera import PHOTO_NAME, CameraDialog, camera_problem, longest_side

        if self.camera_source is None:
            problem = camera_problem()  # asked again: a camera may have been plugged in or out
            self.on_camera_known(problem)
            if problem:
                self.show_message(problem)
                return
            from .camera import CameraSource

            source = CameraSource()
        else:
            source = self.camera_source()
        if self._closed_camera is not None:
            self._closed_camera.deleteLater()  # the last one, closed (deleted here, not as it closed: that crashed)
        self.camera = CameraDialog(source, longest_side(self.q.parameters), self)
        self.camera.taken.connect(lambda data: self.attach(data, PHOTO_NAME))
        self.camera.finished.connect(self.on_camera_closed)
        self.camera.open()

    _closed_camera = None

    def on_camera_closed(self) -> None:
        # The camera was let go as it closed (CameraDialog.done). The dialog itself is deleted
        # when the next is opened, or with the row: deleted straight after it closed, with its
        # photo's encoder just finished, it crashed now and then.
        self._closed_camera, self.camera = self.camera, None

    def attach(self, data: bytes, original_name: str) -> None:
        """Give the file to the session, which holds it until the record is saved."""
        try:
            stored = self.session.attach(self.q.name, data, original_name, index=self.inst)
        except media.MediaError:
            self.show_message(media_problem(self.q.type, original_name, len(data)) or tr("The file cannot be read."))
            return
        self.show_message("")
        self._emit(stored)
        self.committed.emit(self.q.name, self.inst)
        self.load_value()

    def _show_tile(self, name: str) -> None:
        """The chosen file's tile: a photo's thumbnail (decoded on a worker), else its size."""
        if name == self._tile_name or self.files is None:
            return
        from .media_view import FileTile

        if self.tile is not None:
            self.tile.setParent(None)
            self.tile.deleteLater()
            self.tile = None
        self._tile_name = name
        if name:
            self.tile = FileTile(self.form_label(), name, self.q.type, self.files(name), self)
            self._tile_layout.addWidget(self.tile)

    def form_label(self) -> str:
        return self.label.text() or self.q.name

    def on_list_changed(self, text: str) -> None:
        """A ranking or a list of points changed: that is a whole answer, committed at once."""
        self._emit(text)
        self.committed.emit(self.q.name, self.inst)

    def _emit(self, value: Any) -> None:
        if not self._updating:
            self.answered.emit(self.q.name, self.inst, value)

    def typed_value(self, text: str) -> str:
        """What a typed answer means: for a date, the ISO date of any form people type
        (gui/dates.py); a typed date that is none is passed on as typed (the session marks
        it invalid) and ``input_error`` says why, in words."""
        self.input_error = ""
        if self.q.type != "date" or not text.strip():
            return text
        try:
            return parse_typed_date(text).isoformat()
        except DateInputError as exc:
            self.input_error = str(exc)
            return text

    def on_text_edited(self, text: str) -> None:
        if not self.commit_only:
            self._emit(self.typed_value(text))

    def on_editing_finished(self) -> None:
        value = self.typed_value(self.line.text())
        if self.commit_only:
            self._emit(value)
        if value != self.line.text() and not self.input_error:
            self._updating = True
            try:
                self.line.setText(value)  # 14.03.1975 shows as kept, 1975-03-14: no doubt which day it is
            finally:
                self._updating = False
        self.committed.emit(self.q.name, self.inst)

    def on_pick_clicked(self) -> None:
        current = self.session.raw.get((self.q.name, self.inst))
        picker = DatePicker(current if isinstance(current, dt.date) else dt.date.today(), self)
        picker.picked.connect(self.on_date_picked)
        picker.open()

    def on_date_picked(self, day: dt.date) -> None:
        self.line.setText(day.isoformat())
        self._emit(day.isoformat())
        self.committed.emit(self.q.name, self.inst)
        self.line.setFocus(Qt.FocusReason.OtherFocusReason)

    def revert(self) -> None:
        """Show the session's answer again, also in a field being edited (a change was refused)."""
        if hasattr(self, "line"):
            self._updating = True
            try:
                self.line.setText(answer_text(self.session.raw.get((self.q.name, self.inst), "")))
            finally:
                self._updating = False
        else:
            self.load_value()

    def on_today_clicked(self) -> None:
        self.on_date_picked(dt.date.today())

    def on_combo_changed(self, index: int) -> None:
        if index >= 0:
            self._emit(self.editor.itemData(index) or "")
            self.committed.emit(self.q.name, self.inst)

    def on_radio_toggled(self, index: int, on: bool) -> None:
        if on:
            self._emit(self._choice_names[index])
            self.committed.emit(self.q.name, self.inst)

    def on_check_toggled(self) -> None:
        self._emit(" ".join(name for name, box in zip(self._choice_names, self._checks) if box.isChecked()))
        self.committed.emit(self.q.name, self.inst)

    # -- refresh from the session ------------------------------------------------------------------
    def refresh_texts(self) -> None:
        s, q, i = self.session, self.q, self.inst
        required = q.required is not None
        self.label.setText(s.label(q.name, index=i) + (" *" if required else ""))
        hint = s.hint(q.name, index=i)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        label = s.label(q.name, index=i)
        self.editor.setAccessibleName(label)
        self.focus_target.setAccessibleName(label)  # a date's line edit sits inside a holder with "Today"
        if getattr(self, "points", None) is not None:
            self.points.entry.setAccessibleName(label)
        for b in self._choice_buttons() + getattr(self, "_date_buttons", []) + getattr(self, "_media_buttons", []):
            b.setAccessibleDescription(label)  # a screen reader says which question "Yes" answers
        if q.type in ("select_one", "select_multiple", "select_one_from_file", "select_multiple_from_file"):
            self._fill_choices()
        elif q.type == "rank":
            self.load_value()

    def focus(self) -> None:
        """Put the keyboard on this question: for a row of radio or check boxes, on its
        checked box (else the first), where Space and the arrow keys work; the row's
        container itself takes no keys."""
        buttons = self._choice_buttons()
        target = next((b for b in buttons if b.isChecked()), buttons[0]) if buttons else self.focus_target
        if getattr(self, "points", None) is not None:
            target = self.points.entry  # a person arrives to type a point
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Arrow keys in a row of radio buttons move to the next choice and pick it, also when
        none is picked yet (Qt's own arrows only move the focus then), in the row's order."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(obj, QRadioButton) and event.key() in ARROWS
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            buttons = self.group.buttons()
            if obj in buttons:
                target = buttons[(buttons.index(obj) + ARROWS[event.key()]) % len(buttons)]
                target.setFocus(Qt.FocusReason.TabFocusReason)
                target.setChecked(True)
                return True
        return super().eventFilter(obj, event)

    def _choice_buttons(self) -> list:
        if hasattr(self, "group"):
            return list(self.group.buttons())
        return list(getattr(self, "_checks", []))

    def _fill_choices(self) -> None:
        choices = self.session.choices(self.q.name, index=self.inst)
        lang = self.session.lang
        names = [c.name for c in choices]
        labels = [c.label(lang) for c in choices]
        self._updating = True
        try:
            if isinstance(self.editor, QComboBox):
                current = [self.editor.itemText(k) for k in range(self.editor.count())]
                if current != ["", *labels]:
                    self.editor.clear()
                    self.editor.addItem("", "")
                    for name, label in zip(names, labels):
                        self.editor.addItem(label, name)
            elif self.q.type.startswith("select_one"):
                if names == self._choice_names:
                    # The same choices in another language: relabelled in place, so the buttons keep
                    # their places, the answer and the keyboard.
                    for b, label in zip(self.group.buttons(), labels):
                        if b.text() != label:
                            b.setText(label)
                else:
                    for b in self.group.buttons():
                        self.group.removeButton(b)
                        b.deleteLater()
                    while self._radio_layout.count():  # the stretch too: new buttons go before it, not after
                        self._radio_layout.takeAt(0)
                    for k, label in enumerate(labels):
                        b = QRadioButton(label)
                        b.installEventFilter(self)
                        self.group.addButton(b, k)
                        self._radio_layout.addWidget(b)
                        b.show()
                    if isinstance(self._radio_layout, QHBoxLayout):
                        self._radio_layout.addStretch(1)
                    self.rebuilt = True
            else:
                if names == self._choice_names:
                    for b, label in zip(self._checks, labels):
                        if b.text() != label:
                            b.setText(label)
                else:
                    for b in self._checks:
                        b.deleteLater()
                    self._checks = []
                    for label in labels:
                        b = QCheckBox(label)
                        b.toggled.connect(self.on_check_toggled)
                        self._checks.append(b)
                        self._check_layout.addWidget(b)
                        b.show()
                    self.rebuilt = True
            self._choice_names = names
        finally:
            self._updating = False
        if self.rebuilt:
            for b in self._choice_buttons():
                b.setAccessibleDescription(self.session.label(self.q.name, index=self.inst))
        self.load_value()

    def load_value(self) -> None:
        """Show the session's current answer (after loading a draft, or a choice list change)."""
        text = answer_text(self.session.raw.get((self.q.name, self.inst), ""))
        self._updating = True
        try:
            ed = self.editor
            if isinstance(ed, RankEditor):
                lang = self.session.lang
                ed.set_choices([(c.name, c.label(lang)) for c in self.session.choices(self.q.name, index=self.inst)],
                               text)
            elif isinstance(ed, PointsEditor):
                if (self.q.name, self.inst) not in self.session.type_errors:
                    ed.set_value(text)  # a list the session refused (two points of a shape) stays as typed
            elif isinstance(ed, QComboBox):
                idx = ed.findData(text)
                ed.setCurrentIndex(max(idx, 0))
            elif self.q.type.startswith("select_one"):
                for k, name in enumerate(self._choice_names):
                    self.group.button(k).setChecked(name == text)
            elif self.q.type.startswith("select_multiple"):
                picked = set(text.split())
                for name, box in zip(self._choice_names, self._checks):
                    box.setChecked(name in picked)
            elif isinstance(ed, QCheckBox):
                ed.setChecked(text == "OK")
            elif isinstance(ed, QSpinBox):
                ed.setValue(int(float(text)) if text else ed.minimum())
            elif hasattr(self, "file_label"):
                held = self.session.files.get((self.q.name, self.inst))
                if not text:
                    self.file_label.setText(tr("No file"))
                elif held and held[0] == text:
                    size = len(held[1])
                    self.file_label.setText(f"{text} ({size / 2**20:.1f} MB)" if size >= 2**20 else
                                            f"{text} ({max(1, size // 1024)} KB)")
                else:
                    self.file_label.setText(text)  # saved with the record earlier
                self._show_tile(text)
            elif isinstance(ed, QPlainTextEdit):
                if ed.toPlainText() != text:
                    ed.setPlainText(text)
            elif hasattr(self, "line") and self.line.text() != text and not self.line.hasFocus():
                self.line.setText(text)
        finally:
            self._updating = False

    def show_message(self, text: str) -> None:
        if text and self.input_error:
            text = self.input_error  # more precise than the form's "Enter a date as YYYY-MM-DD."
        elif text and getattr(self, "points", None) is not None and self.points.problem:
            text = self.points.problem  # "A shape needs at least three different points."
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.setProperty("invalid", bool(text))
