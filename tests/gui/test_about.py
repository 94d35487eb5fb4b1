"""Help > About names the app and shows the version pyproject.toml sets."""
from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

ROOT = Path(__file__).resolve().parents[2]


def test_about_box_shows_the_version(qtbot, window_factory, profile):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    w = window_factory(profile)
    assert not w.windowIcon().isNull()
    w.about_action.trigger()
    box = w.findChild(QMessageBox, "aboutBox")
    assert box is not None and box.isVisible()
    assert "Fieldbook" in box.text() and f"Version {version}" in box.text()
    box.accept()
