"""Keyboard focus follows the layout.

Qt's Tab order is the order in which widgets joined their window. Screens that build
widgets later (a repeat's entries, a select's buttons after its choices change) would
put them after the Save and Finalise buttons, so Tab would jump there and back. This
re-chains the Tab order in layout order, which is reading order.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QLayout, QPushButton, QScrollArea, QToolButton,
    QWidget,
)


def layout_order(root: QWidget) -> list[QWidget]:
    """Every Tab-focusable widget under ``root`` in the order its layouts place them."""
    out: list[QWidget] = []

    def widget(w: QWidget) -> None:
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            out.append(w)
        if isinstance(w, (QAbstractSpinBox, QComboBox)):
            return  # their inner line edit is part of the one control
        if isinstance(w, QScrollArea) and w.widget() is not None:
            widget(w.widget())
        elif not isinstance(w, QAbstractScrollArea) and w.layout() is not None:
            layout(w.layout())

    def layout(lay: QLayout) -> None:
        for k in range(lay.count()):
            item = lay.itemAt(k)
            if item.widget() is not None:
                widget(item.widget())
            elif item.layout() is not None:
                layout(item.layout())

    widget(root)
    return out


def tab_in_layout_order(root: QWidget) -> None:
    chain = layout_order(root)
    for a, b in zip(chain, chain[1:]):
        QWidget.setTabOrder(a, b)


class FollowFocus(QObject):
    """Keeps what has the keyboard fully in a scroll area's view, with some context above it.

    One mechanism for every way focus moves inside the area (Tab, Enter, a jump to the
    first error, a resumed draft): on each focus change, the focused widget's unit (for a
    form, its whole question: label, hint, editor and message, as ``unit_of`` tells) is
    scrolled to a little below the top edge when any of it is out of view. Qt's own
    scroll-on-Tab only brings the widget to the nearest edge, and nothing scrolls when
    focus is moved by code. A focus change by mouse is left alone: the person points at
    what they already see. ``moved`` tells which unit has the keyboard now, however it came."""

    moved = Signal(object)  # the focused widget's unit

    def __init__(self, area: QScrollArea, unit_of: Callable[[QWidget], QWidget] | None = None) -> None:
        super().__init__(area)
        self.area = area
        self.unit_of = unit_of or (lambda w: w)
        QApplication.instance().focusChanged.connect(self.on_focus_changed)

    def on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        body = self.area.widget()
        if new is None or body is None or not body.isAncestorOf(new):
            return
        self.moved.emit(self.unit_of(new) or new)
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return
        self.reveal(new)

    def context_px(self) -> int:
        """How much of what comes before stays in view above the focused unit."""
        return min(self.area.viewport().height() // 4, self.area.fontMetrics().lineSpacing() * 4)

    def reveal(self, widget: QWidget) -> None:
        body = self.area.widget()
        # Widgets shown or built just now: their layouts first, so their geometry is current.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        unit = self.unit_of(widget) or widget
        top = unit.mapTo(body, QPoint(0, 0)).y()
        bottom = top + unit.height()
        bar, view, context = self.area.verticalScrollBar(), self.area.viewport().height(), self.context_px()
        if top - bar.value() >= min(context, top) and bottom <= bar.value() + view:
            return  # all of it in view, with context above (or at the very top)
        bar.setValue(top - context)
        if bottom - bar.value() > view:  # taller than the view: the focused part at least
            self.area.ensureWidgetVisible(widget, 0, context)


def press_on_return(obj: QObject, event: QKeyEvent) -> bool:
    """Return or Enter on a focused push button presses it, on every screen, as Space does.

    Qt does that only for buttons in dialogs (``autoDefault``); in the main window Return on
    a focused button did nothing. Called from the window's application-wide event filter,
    so no screen needs to remember it. True when the key was used."""
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        return False
    if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return False  # Ctrl+Enter and the like are shortcuts
    if isinstance(obj, (QPushButton, QToolButton)) and obj.hasFocus() and obj.isEnabled():
        if isinstance(obj, QPushButton) and obj.menu() is not None:
            obj.showMenu()
        else:
            obj.click()
        return True
    return False
