"""Keyboard focus follows the layout.

Qt's Tab order is the order in which widgets joined their window. Screens that build
widgets later (a repeat's entries, a select's buttons after its choices change) would
put them after the Save and Finalise buttons, so Tab would jump there and back. This
re-chains the Tab order in layout order, which is reading order.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QLayout, QScrollArea, QWidget


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
