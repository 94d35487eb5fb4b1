"""Editors for answers that are lists: ``rank`` (an order of choices) and ``geotrace`` /
``geoshape`` (a list of points).

Keyboard first. A ranking is a list: Up and Down pick an option, Alt+Up and Alt+Down (or
Ctrl+Up and Ctrl+Down) move it, and the mouse can drag it. A line or shape is a list of points,
typed one at a time as ``latitude longitude [altitude [accuracy]]`` (or several, separated by
``;``, as a GPS unit's export or a spreadsheet gives them) and added with Enter; Delete removes
the selected point and Alt+Up/Down moves it. There is no map: the laptop is often offline, and
a list with clear errors is what can be checked by reading it.

Each editor emits ``changed`` with the answer's text, the form engine's spelling (choice names
separated by spaces; points separated by ``;``), and knows nothing of the session.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from .i18n import tr

_MOVE_KEYS = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}
_MOVE_MODIFIERS = (Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier)
NAME_ROLE = Qt.ItemDataRole.UserRole
LABEL_ROLE = Qt.ItemDataRole.UserRole + 1


def _move_step(event: QEvent) -> int:
    """+1 or -1 for Alt/Ctrl + Down/Up (a move), else 0 (a plain arrow only picks)."""
    if event.type() != QEvent.Type.KeyPress or event.key() not in _MOVE_KEYS:
        return 0
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return _MOVE_KEYS[event.key()] if any(mods == m for m in _MOVE_MODIFIERS) else 0


def _move_current(view: QListWidget, step: int) -> bool:
    """Move the current row of ``view`` by ``step``; False when it is already at that end."""
    row = view.currentRow()
    to = row + step
    if row < 0 or not 0 <= to < view.count():
        return False
    item = view.takeItem(row)
    view.insertItem(to, item)
    view.setCurrentRow(to)
    return True


class RankEditor(QWidget):
    """The options of a ``rank`` question, first to last. Unanswered until the order is set:
    a move, a drag, or "Keep this order" sets it; "Clear" takes the answer back."""

    changed = Signal(str)  # choice names, first to last, separated by spaces ('' for no answer)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ranked = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        self.view = QListWidget()
        self.view.setObjectName("rankList")
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.installEventFilter(self)
        self.view.model().rowsMoved.connect(self.on_dragged)
        lay.addWidget(self.view)
        buttons = QHBoxLayout()
        self.up = QPushButton(tr("Move up (Alt+Up)"))
        self.up.setObjectName("rankUp")
        self.up.clicked.connect(lambda: self.move(-1))
        self.down = QPushButton(tr("Move down (Alt+Down)"))
        self.down.setObjectName("rankDown")
        self.down.clicked.connect(lambda: self.move(1))
        self.keep = QPushButton(tr("Keep this order"))
        self.keep.setObjectName("rankKeep")
        self.keep.clicked.connect(self.accept_order)
        self.clear = QPushButton(tr("Clear"))
        self.clear.setObjectName("rankClear")
        self.clear.clicked.connect(self.clear_order)
        for b in (self.up, self.down, self.keep, self.clear):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.status = QLabel()
        self.status.setObjectName("rankStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.status)
        self._show_status()

    def names(self) -> list[str]:
        return [self.view.item(k).data(NAME_ROLE) for k in range(self.view.count())]

    def labels(self) -> list[str]:
        return [self.view.item(k).data(LABEL_ROLE) for k in range(self.view.count())]

    def _renumber(self) -> None:
        for k in range(self.view.count()):
            item = self.view.item(k)
            item.setText(f"{k + 1}. {item.data(LABEL_ROLE)}")

    def set_choices(self, choices: list[tuple[str, str]], answer: str) -> None:
        """Show ``choices`` ((name, label) pairs) in the order of ``answer`` when there is one:
        options the answer lacks (a choice filter let in more) follow, in the form's order."""
        picked = [n for n in answer.split() if n in {name for name, _ in choices}]
        order = picked + [name for name, _ in choices if name not in picked]
        labels = dict(choices)
        current = self.view.currentItem().data(NAME_ROLE) if self.view.currentItem() else None
        if order != self.names() or self.labels() != [labels[n] for n in order]:
            self.view.clear()
            for name in order:
                item = QListWidgetItem()
                item.setData(NAME_ROLE, name)
                item.setData(LABEL_ROLE, labels[name])
                self.view.addItem(item)
            self._renumber()
            # The keyboard starts on an option: a plain arrow then picks the next one
            self.view.setCurrentRow(order.index(current) if current in order else 0)
        # As tall as its options (up to 12), so that the order is seen whole
        rows = min(max(self.view.count(), 1), 12)
        self.view.setFixedHeight(self.view.sizeHintForRow(0) * rows + 2 * self.view.frameWidth() + 4
                                 if self.view.count() else 40)
        self.ranked = bool(answer.strip())
        self._show_status()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        step = _move_step(event) if obj is self.view else 0
        if step:
            self.move(step)
            return True
        return super().eventFilter(obj, event)

    def move(self, step: int) -> None:
        if self.view.currentRow() < 0 and self.view.count():
            self.view.setCurrentRow(0)
        _move_current(self.view, step)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.accept_order()

    def on_dragged(self, *_args) -> None:
        self.accept_order()

    def accept_order(self) -> None:
        self._renumber()
        self.ranked = True
        self._show_status()
        self.changed.emit(" ".join(self.names()))

    def clear_order(self) -> None:
        self.ranked = False
        self._show_status()
        self.changed.emit("")

    def _show_status(self) -> None:
        self.status.setText(tr("Ranked, first to last.") if self.ranked else
                            tr("Not ranked yet: move the options into order, or keep this order."))


class PointError(ValueError):
    """A typed point that is not one; ``str()`` says why, in words."""


def parse_point(text: str) -> str:
    """One point, ``latitude longitude [altitude [accuracy]]``, in the engine's spelling;
    PointError saying what is wrong otherwise."""
    parts = text.replace(",", " ").split()
    if not 2 <= len(parts) <= 4:
        raise PointError(tr("A point is latitude and longitude, then optionally altitude and accuracy "
                            "in metres, e.g. 50.45 30.52 170 5."))
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise PointError(tr("A point is written in numbers, e.g. 50.45 30.52.")) from None
    if not all(math.isfinite(n) for n in nums):
        raise PointError(tr("A point is written in numbers, e.g. 50.45 30.52."))
    if not -90 <= nums[0] <= 90:
        raise PointError(tr("Latitude must be between -90 and 90."))
    if not -180 <= nums[1] <= 180:
        raise PointError(tr("Longitude must be between -180 and 180."))
    if len(nums) == 4 and nums[3] < 0:
        raise PointError(tr("Accuracy is a distance in metres and cannot be negative."))
    return " ".join(parts)  # as typed, now known to be numbers in range: the engine normalises them


def parse_points(text: str) -> list[str]:
    """Several points separated by ';' (or line breaks); PointError names the first bad one."""
    points = []
    pieces = [p for p in text.replace("\n", ";").split(";") if p.strip()]
    for k, piece in enumerate(pieces, start=1):
        try:
            points.append(parse_point(piece))
        except PointError as exc:
            if len(pieces) == 1:
                raise
            raise PointError(tr("Point {n}: {problem}").format(n=k, problem=exc)) from None
    return points


def _flat_area(points: list[str]) -> float:
    """Twice the area of the polygon in degrees (shoelace): 0 when the points lie on one line."""
    xy = [(float(p.split()[1]), float(p.split()[0])) for p in points]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(xy, xy[1:] + xy[:1])))


def points_problem(kind: str, points: list[str]) -> str:
    """What keeps ``points`` from being a line (``geotrace``) or a shape (``geoshape``), or ''."""
    if not points:
        return ""
    distinct = list(dict.fromkeys(" ".join(p.split()[:2]) for p in points))
    if kind == "geotrace":
        if len(distinct) < 2:
            return tr("A line needs at least two different points.")
        return ""
    if len(distinct) < 3:
        return tr("A shape needs at least three different points.")
    if _flat_area(points) < 1e-12:
        return tr("The points lie on one line; a shape needs points around an area.")
    return ""


class PointsEditor(QWidget):
    """The points of a ``geotrace`` or ``geoshape``: typed into the line and added with Enter,
    on leaving the line, or with "Add point"; listed below, where Delete removes one and Alt+Up/Down moves it."""

    changed = Signal(str)  # the points, separated by '; ' ('' for none)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.problem = ""  # what is wrong with the list as a whole, in words ('' when fine)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        row = QHBoxLayout()
        self.entry = QLineEdit()
        self.entry.setObjectName("pointEntry")
        self.entry.setPlaceholderText(tr("Latitude Longitude [Altitude [Accuracy]], e.g. 50.45 30.52"))
        # Enter adds the point, and so does leaving the field (Tab): a typed point is never lost
        self.entry.editingFinished.connect(self.on_entry_finished)
        row.addWidget(self.entry, 1)
        self.add = QPushButton(tr("Add point"))
        self.add.setObjectName("pointAdd")
        self.add.clicked.connect(self.add_typed)
        row.addWidget(self.add)
        self.remove = QPushButton(tr("Remove point"))
        self.remove.setObjectName("pointRemove")
        self.remove.clicked.connect(self.remove_current)
        row.addWidget(self.remove)
        lay.addLayout(row)
        self.entry_error = QLabel()
        self.entry_error.setObjectName("pointError")
        self.entry_error.setTextFormat(Qt.TextFormat.PlainText)
        self.entry_error.setWordWrap(True)
        self.entry_error.hide()
        lay.addWidget(self.entry_error)
        self.view = QListWidget()
        self.view.setObjectName("pointList")
        self.view.installEventFilter(self)
        self.view.setMaximumHeight(self.view.fontMetrics().lineSpacing() * 7 + 12)
        lay.addWidget(self.view)
        self.status = QLabel()
        self.status.setObjectName("pointStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self._show_status()

    def points(self) -> list[str]:
        return [self.view.item(k).data(NAME_ROLE) for k in range(self.view.count())]

    def text(self) -> str:
        return "; ".join(self.points())

    def set_value(self, text: str) -> None:
        """Show the session's answer (a shape's closing point, the first again, is not listed)."""
        if text == self.text():
            return
        try:
            points = parse_points(text) if text.strip() else []
        except PointError:
            points = []
        if self.kind == "geoshape" and len(points) > 3 and points[0] == points[-1]:
            points = points[:-1]
        self._fill(points)

    def on_entry_finished(self) -> None:
        if self.entry.text().strip():
            self.add_typed()

    def add_typed(self) -> None:
        typed = self.entry.text()
        if not typed.strip():
            self._show_entry_error(tr("Type a point first, e.g. 50.45 30.52."))
            return
        try:
            new = parse_points(typed)
        except PointError as exc:
            self._show_entry_error(str(exc))  # nothing added: the typed text stays, to be corrected
            return
        self._show_entry_error("")
        self.entry.clear()
        self._fill(self.points() + new)
        self.view.setCurrentRow(self.view.count() - 1)
        self.changed.emit(self.text())

    def remove_current(self) -> None:
        row = self.view.currentRow()
        if row < 0:
            return
        self._fill([p for k, p in enumerate(self.points()) if k != row])
        self.view.setCurrentRow(min(row, self.view.count() - 1))
        self.changed.emit(self.text())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self.view and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_current()
                return True
            step = _move_step(event)
            if step:
                if _move_current(self.view, step):
                    self._renumber()
                    self.changed.emit(self.text())
                return True
        return super().eventFilter(obj, event)

    def _fill(self, points: list[str]) -> None:
        self.view.clear()
        for point in points:
            item = QListWidgetItem()
            item.setData(NAME_ROLE, point)
            self.view.addItem(item)
        self._renumber()

    def _renumber(self) -> None:
        for k in range(self.view.count()):
            item = self.view.item(k)
            parts = item.data(NAME_ROLE).split()
            text = tr("{n}. latitude {lat}, longitude {lon}").format(n=k + 1, lat=parts[0], lon=parts[1])
            if len(parts) > 2:
                text += tr(", altitude {alt} m").format(alt=parts[2])
            if len(parts) > 3:
                text += tr(", accuracy {acc} m").format(acc=parts[3])
            item.setText(text)
        self._show_status()

    def _show_entry_error(self, text: str) -> None:
        self.entry_error.setText(text)
        self.entry_error.setVisible(bool(text))

    def _show_status(self) -> None:
        points = self.points()
        # What is wrong with the list shows as the question's message (the session refuses the
        # answer, and the row shows this more precise sentence), not here a second time.
        self.problem = points_problem(self.kind, points)
        if not points:
            self.status.setText(tr("No points yet.") if self.kind == "geotrace" else
                                tr("No points yet. A shape needs three or more; it is closed back to its first point."))
        elif self.kind == "geoshape" and self.problem and len(points) >= 3 and _flat_area(points) < 1e-12:
            # The form engine takes a shape without an area (as Collect does): warned here only
            self.status.setText(self.problem)
        elif self.kind == "geoshape" and not self.problem:
            self.status.setText(tr("Points: {n}; the shape is closed back to point 1.").format(n=len(points)))
        else:
            self.status.setText(tr("Points: {n}.").format(n=len(points)))
