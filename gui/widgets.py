"""Small widgets shared by several screens."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class MessageLabel(QLabel):
    """A message shown next to the fields it is about: word-wrapped, and hidden while empty,
    so a screen that fits without it keeps fitting (an empty row would still take its spacing)."""

    def __init__(self, object_name: str = "message", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setVisible(False)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        super().clear()
        self.setVisible(False)
