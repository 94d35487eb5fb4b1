"""Drive question widgets the way a person does: typing, clicking, choosing."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox

from gui.screens.form import FormScreen

PASSPHRASE = "synthetic passphrase 1"
WAIT = 10_000  # ms: generous upper bound for qtbot.waitUntil; tests never sleep


def answer(qtbot, screen: FormScreen, name: str, value: str, inst: tuple = ()) -> None:
    row = screen.rows[(name, inst)]
    assert row.isVisibleTo(screen), f"{name}{list(inst)} is hidden"
    QApplication.processEvents()  # pending layout after show/hide: geometry must be current before clicking
    screen.scroll.ensureWidgetVisible(row)  # as a person scrolls to it: clicks land where the widget is shown
    ed = row.editor
    if isinstance(ed, QComboBox):
        idx = ed.findData(value)
        assert idx > 0, f"{value} is not offered for {name}"
        ed.setCurrentIndex(idx)
    elif row.q.type.startswith("select_one"):
        k = row._choice_names.index(value)
        screen.scroll.ensureWidgetVisible(row.group.button(k))
        QApplication.processEvents()
        button = row.group.button(k)
        # on the circle or the text, as a person clicks (a radio button ignores clicks beside its text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    elif row.q.type.startswith("select_multiple"):
        for part in value.split():
            box = row._checks[row._choice_names.index(part)]
            screen.scroll.ensureWidgetVisible(box)
            QApplication.processEvents()
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    elif isinstance(ed, QPlainTextEdit):
        qtbot.keyClicks(ed, value)
    elif isinstance(ed, QSpinBox):
        ed.setValue(int(value))
    else:
        line: QLineEdit = row.line
        line.setFocus()
        line.selectAll()
        qtbot.keyClick(line, Qt.Key.Key_Backspace)
        qtbot.keyClicks(line, value)
        qtbot.keyClick(line, Qt.Key.Key_Tab)


def message(screen: FormScreen, name: str, inst: tuple = ()) -> str:
    row = screen.rows[(name, inst)]
    return row.message.text() if not row.message.isHidden() else ""


def unlock(qtbot, window, passphrase: str = PASSPHRASE) -> None:
    from gui.screens.unlock import UnlockScreen

    qtbot.waitUntil(lambda: isinstance(window.centralWidget(), UnlockScreen), timeout=WAIT)
    screen = window.centralWidget()
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.mouseClick(screen.button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store is not None and window.store.unlocked and hasattr(window, "home")
                    and window.centralWidget() is not screen, timeout=WAIT)
