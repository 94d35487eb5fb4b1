"""One presenter for errors; the last-resort hook shows a sentence, never a traceback or a value."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QMessageBox

from gui.errors import install_excepthook, message_for
from storage.errors import WrongPassphrase


def test_uncaught_exception_shows_a_calm_dialog_without_its_text(qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook()
    try:
        raise RuntimeError("Канаркова Щебетуна 0991234567")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    [text] = shown
    assert "RuntimeError" in text and "safe" in text
    assert "Канаркова" not in text and "Traceback" not in text


def test_typed_errors_read_as_sentences():
    text = message_for(WrongPassphrase("x"))
    assert text.endswith(".") and "passphrase" in text.lower()
