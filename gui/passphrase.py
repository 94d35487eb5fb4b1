"""A new passphrase's strength hint, shared by the wizard and the recovery path at unlock."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from .i18n import tr

MIN_PASSPHRASE = 8


def strength(passphrase: str) -> tuple[int, str]:
    """A rough hint (0-4) for people, not a security claim: length and variety count.
    A passphrase shorter than ``MIN_PASSPHRASE`` is -1: "too short" is below "weak"."""
    if not passphrase:
        return 0, ""
    if len(passphrase) < MIN_PASSPHRASE:
        return -1, tr("Too short: use at least 8 characters.")
    kinds = sum(any(f(c) for c in passphrase) for f in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    words = len(passphrase.split())
    score = min(4, (len(passphrase) >= 12) + (len(passphrase) >= 16) + (kinds >= 3) + (words >= 3))
    return score, [tr("Weak: add more words."), tr("Fair: a few more words would help."),
                   tr("Good."), tr("Strong."), tr("Very strong.")][score]


# The bar's level: 0 empty (nothing typed), 1 too short, 2 weak ... 6 very strong. Each
# step is longer and has its colour, so "too short" and "weak" never look the same.
LEVELS = 6
COLOURS = {1: "#b00020", 2: "#d35400", 3: "#b7950b", 4: "#2e7d32", 5: "#2e7d32", 6: "#1b5e20"}


def level(passphrase: str) -> int:
    if not passphrase:
        return 0
    score, _ = strength(passphrase)
    return 1 if score < 0 else score + 2


class PassphraseMeter(QWidget):
    """A bar and a hint under a new passphrase; ``show_for(text)`` on every change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setObjectName("strengthBar")
        self.bar.setRange(0, LEVELS)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        lay.addWidget(self.bar)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.show_for("")

    def show_for(self, passphrase: str) -> None:
        n = level(passphrase)
        _, hint = strength(passphrase)
        self.bar.setValue(n)
        colour = COLOURS.get(n, "transparent")
        self.bar.setStyleSheet("QProgressBar { border: 1px solid #999; border-radius: 3px; background: #eee; }"
                               f"QProgressBar::chunk {{ background: {colour}; border-radius: 2px; }}")
        self.bar.setAccessibleName(hint or tr("Passphrase strength"))
        self.hint.setText(hint)
