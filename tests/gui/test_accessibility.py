"""Accessibility basics on every main screen: a name for every control, a Tab order that
follows the layout without traps, screens that fit 1366x768, and sizes that follow the
system font. Each check has a control that shows it can fail."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QFont
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLabel, QLineEdit, QPushButton, QRadioButton, QTableView, QVBoxLayout, QWidget,
)

from gui_helpers import WAIT

from gui import i18n
from gui.context import Prefs
from gui.screens.unlock import UnlockScreen
from gui.screens.wizard import WizardScreen
from gui.screenshots import DEMO_PASSPHRASE, make_demo_profile

GUI_DIR = Path(__file__).resolve().parents[2] / "gui"
TOL = 4          # px: widgets on one row may differ a little in height and baseline
SCREEN = (1366, 700)  # 1366x768 minus a taskbar and a title bar

HOUSEHOLD = {"consent": "yes", "assessment_date": "2026-03-04", "oblast": "UA63", "raion": "UA6312",
             "hromada": "UA6312027", "displacement_status": "idp", "hh_size": "2", "followup_consent": "yes"}
PDM = {"consent": "yes", "distribution_type": "cash", "received": "yes", "felt_unsafe": "yes", "aware_cfm": "yes"}


# -- reaching every screen ----------------------------------------------------------------------------
def fill(screen, answers: dict) -> None:
    for name, value in answers.items():
        screen.on_answered(name, (), value)
        screen.rows[(name, ())].load_value()


def visit(qtbot, window_factory, tmp_path, size=SCREEN):
    """Yield (screen name, window) for every main screen, with demo data, at ``size``."""
    try:
        yield from _visit(qtbot, window_factory, tmp_path, size)
    finally:
        i18n.install(QApplication.instance(), "en")  # the interface language is process-wide


def _visit(qtbot, window_factory, tmp_path, size):
    for lang in ("en", "uk"):
        Prefs(tmp_path / f"new-{lang}").language = lang
        w = window_factory(tmp_path / f"new-{lang}")
        w.resize(*size)
        wiz = w.centralWidget()
        assert isinstance(wiz, WizardScreen)
        for page in range(wiz.pages.count()):
            wiz.pages.setCurrentIndex(page)
            yield f"{lang}/wizard-{page + 1}", w
        w.close()
        profile = tmp_path / f"demo-{lang}"
        make_demo_profile(profile)
        Prefs(profile).language = lang
        w = window_factory(profile)
        w.resize(*size)
        qtbot.waitUntil(lambda: isinstance(w.centralWidget(), UnlockScreen), timeout=WAIT)
        yield f"{lang}/unlock", w
        unlock = w.centralWidget()
        unlock.on_use_recovery_clicked()                 # a forgotten passphrase: the recovery key, then a new one
        yield f"{lang}/unlock-recovery-key", w
        unlock.show_page(unlock.NEW_PASSPHRASE)
        yield f"{lang}/unlock-new-passphrase", w
        unlock.show_page(unlock.PASSPHRASE)
        unlock.passphrase.setText(DEMO_PASSPHRASE)
        unlock.on_unlock_clicked()
        qtbot.waitUntil(lambda: hasattr(w, "home") and w.home.recent.count() >= 4, timeout=WAIT)
        w.ctx.loop.stop()
        yield f"{lang}/home", w
        for form_id, answers in (("household_needs", HOUSEHOLD), ("post_distribution_monitoring", PDM)):
            form = w.open_form(form_id)
            fill(form, answers)
            QApplication.processEvents()
            yield f"{lang}/form-{form_id}", w
        w.show_screen("records")
        # Two records, and the draft the open form left behind (the list shows drafts too).
        qtbot.waitUntil(lambda: w.records.model.rowCount() == 3, timeout=WAIT)
        yield f"{lang}/records", w
        w.show_screen("registry")
        qtbot.waitUntil(lambda: w.registry.index is not None, timeout=WAIT)
        w.registry.search.setText("Шевченко")
        w.registry.run_search()
        qtbot.waitUntil(lambda: w.registry.results.rowCount() == 6, timeout=WAIT)  # the registry's and the desk's
        yield f"{lang}/registry", w
        w.registry.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: w.registry.queue_list.count() == 2, timeout=WAIT)
        yield f"{lang}/registry-review", w
        w.show_screen("desk")  # a card scanned: the household, its entitlement, the verdict
        desk = w.desk
        qtbot.waitUntil(lambda: desk.round is not None and desk.summary is not None, timeout=WAIT)
        from gui.screenshots import DEMO_HOUSEHOLDS, demo_card

        desk.scan.setText(demo_card(DEMO_HOUSEHOLDS[0][0]))
        desk.on_scan_return()
        qtbot.waitUntil(lambda: desk.pending is not None, timeout=WAIT)
        yield f"{lang}/desk", w
        w.show_screen("sync")
        qtbot.waitUntil(lambda: w.sync_screen.table.rowCount() == 1, timeout=WAIT)
        yield f"{lang}/sync-usb-conflicts", w
        w.show_screen("settings")
        yield f"{lang}/settings", w
        w.close()


# -- names ------------------------------------------------------------------------------------------------
def accessible_name(w: QWidget) -> str:
    """What a screen reader announces: the accessible name, a button's text, or a buddy label's text."""
    iface = QAccessible.queryAccessibleInterface(w)
    return (iface.text(QAccessible.Text.Name) if iface is not None else "").strip()


def tab_stops(window: QWidget) -> list[QWidget]:
    return [w for w in window.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and w.window() is window and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]


def unnamed(window: QWidget) -> list[str]:
    return [f"{type(w).__name__} {w.objectName() or ''}".strip() for w in tab_stops(window) if not accessible_name(w)]


# -- Tab order ----------------------------------------------------------------------------------------------
def _chain(w: QWidget, top: QWidget) -> list[QWidget]:
    out = [w]
    while out[-1] is not top and out[-1].parentWidget() is not None:
        out.append(out[-1].parentWidget())
    return out[::-1]


def comes_after(a: QWidget, b: QWidget, top: QWidget) -> bool:
    """Is ``b`` after ``a`` in reading order? Compared as the two children of their nearest
    common ancestor (so content in a scroll area counts where the scroll area is shown):
    below it, or beside it to the right on the same band."""
    ca, cb = _chain(a, top), _chain(b, top)
    k = 0
    while k < min(len(ca), len(cb)) and ca[k] is cb[k]:
        k += 1
    if k == len(ca):   # a contains b: a container comes before what it holds
        return True
    if k == len(cb):
        return False
    ra, rb = ca[k].geometry(), cb[k].geometry()
    if rb.top() >= ra.bottom() - TOL:
        return True
    if rb.bottom() <= ra.top() + TOL:
        return False
    return rb.center().x() > ra.center().x()


def unit(w: QWidget):
    """Radio buttons of one exclusive group are one Tab stop (arrows move between them)."""
    if isinstance(w, QRadioButton) and w.group() is not None:
        return ("radios", id(w.group()))
    return w


def tab_problems(qtbot, window: QWidget, limit: int = 400) -> list[str]:
    stops = tab_stops(window)
    if not stops:
        return []
    # Start at the control that comes first in reading order: every other one comes after it.
    first = min(stops, key=lambda w: sum(1 for x in stops if x is not w and comes_after(x, w, window)))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=WAIT)
    order = [first]
    problems = []
    for _ in range(limit):
        current = QApplication.focusWidget()
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        nxt = QApplication.focusWidget()
        if nxt is first:
            break
        if nxt is current or nxt in order or nxt is None:
            problems.append(f"Tab is trapped at {name_of(current)}")
            break
        order.append(nxt)
    else:
        problems.append("Tab never comes back to where it started")
    for a, b in zip(order, order[1:]):
        if not comes_after(a, b, window):
            problems.append(f"Tab goes back up from {name_of(a)} to {name_of(b)}")
    reached = {unit(w) for w in order}
    problems += [f"Tab never reaches {name_of(w)}" for w in stops if unit(w) not in reached]
    return problems


def name_of(w: QWidget | None) -> str:
    if w is None:
        return "nothing"
    return f"{type(w).__name__}({w.objectName() or accessible_name(w)[:30]!r})"


def test_every_control_has_a_name_and_tab_follows_the_layout(qtbot, window_factory, tmp_path):
    found = {}
    for screen, w in visit(qtbot, window_factory, tmp_path):
        problems = [f"no accessible name: {n}" for n in unnamed(w)] + tab_problems(qtbot, w)
        if problems:
            found[screen] = problems
    assert found == {}, "\n".join(f"{k}: {p}" for k, v in found.items() for p in v)


def _column(qtbot, *widgets: QWidget) -> QWidget:
    w = QWidget()
    qtbot.addWidget(w)
    lay = QVBoxLayout(w)
    for x in widgets:
        lay.addWidget(x)
    w.resize(400, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_the_name_and_tab_checks_catch_a_bad_screen(qtbot):
    # Control 1: a field with no name and no buddy label.
    w = _column(qtbot, QLineEdit(), QPushButton("Named"))
    assert unnamed(w) == ["QLineEdit"]
    # Control 2: Tab jumps from the top to the bottom, then back up to the middle.
    a, b, c = QPushButton("A"), QPushButton("B"), QPushButton("C")
    w = _column(qtbot, a, b, c)
    assert tab_problems(qtbot, w) == []
    QWidget.setTabOrder(a, c)
    QWidget.setTabOrder(c, b)
    assert any("goes back up" in p and "'C'" in p and "'B'" in p for p in tab_problems(qtbot, w))
    # Control 3: a table that moves Tab from cell to cell keeps Tab to itself.
    from PySide6.QtGui import QStandardItemModel

    table = QTableView()
    table.setAccessibleName("Table")
    table.setModel(QStandardItemModel(3, 3, table))
    table.setTabKeyNavigation(True)
    w = _column(qtbot, QPushButton("Before"), table, QPushButton("After"))
    table.setCurrentIndex(table.model().index(0, 0))
    assert any("trapped" in p for p in tab_problems(qtbot, w))


# -- 1366x768 ---------------------------------------------------------------------------------------------------
def on_screen(w: QWidget, window: QWidget) -> bool:
    rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
    return w.isVisible() and window.rect().contains(rect)


def test_every_screen_fits_1366x768_and_the_form_keeps_its_buttons(qtbot, window_factory, tmp_path):
    too_big = {}
    for screen, w in visit(qtbot, window_factory, tmp_path):
        hint = w.minimumSizeHint().expandedTo(w.minimumSize())
        if hint.width() > SCREEN[0] or hint.height() > SCREEN[1]:
            too_big[screen] = (hint.width(), hint.height())
        if "/form-" in screen:
            QApplication.processEvents()
            assert (w.width(), w.height()) == SCREEN
            for b in (w.form_screen.close_button, w.form_screen.save_button, w.form_screen.finalise_button):
                assert on_screen(b, w), f"{screen}: {b.text()} is off-screen"
            assert w.form_screen.scroll.verticalScrollBar().maximum() > 0  # the questions scroll instead
    assert too_big == {}


def test_the_fit_check_sees_a_screen_that_is_too_tall(qtbot):
    # Control: a column of 40 buttons does not fit 700 px at any font size.
    w = QWidget()
    qtbot.addWidget(w)
    lay = QVBoxLayout(w)
    for k in range(40):
        lay.addWidget(QPushButton(f"Button {k}"))
    assert w.minimumSizeHint().height() > SCREEN[1]


# -- the system font ----------------------------------------------------------------------------------------------
FIXED_SIZE = [
    re.compile(r"font(-size)?\s*:[^;\"'{}]*?\b\d+(\.\d+)?\s*(px|pt)\b"),         # stylesheet: font-size: 15pt / font: 12px
    re.compile(r"\.setPointSize(F)?\(\s*\d+(\.\d+)?\s*\)"),                      # font.setPointSize(12)
    re.compile(r"\.setPixelSize\(\s*\d+(\.\d+)?\s*\)"),
    re.compile(r"QFont\([^)]*,\s*\d+(\.\d+)?\s*[,)]"),                            # QFont("Sans", 12)
]


def fixed_font_sizes(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(p.search(line) for p in FIXED_SIZE):
                found.append(f"{path.name}:{n}: {line.strip()}")
    return found


def test_no_font_size_in_gui_is_a_constant():
    assert fixed_font_sizes(GUI_DIR) == []


def test_the_font_size_check_sees_constants_and_allows_scaling(tmp_path):
    # Control: constants are caught; sizes scaled from the system font are not.
    (tmp_path / "bad.py").write_text(
        'STYLE = "QLabel { font-size: 15pt; }"\nOTHER = "QLabel { font: bold 12px; }"\n'
        "font.setPointSize(12)\nfont.setPixelSize(16)\nf = QFont('Sans', 11)\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(
        'STYLE = f"QLabel {{ font-size: {base * 1.4:.1f}pt; }}"\nfont.setPointSizeF(font.pointSizeF() * 1.4)\n',
        encoding="utf-8")
    assert [line.split(":")[1] for line in fixed_font_sizes(tmp_path)] == ["1", "2", "3", "4", "5"]


def clipped(window: QWidget) -> list[str]:
    """Labels and buttons whose text needs more room than the layout gave them."""
    out = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.window() is not window or not isinstance(w, (QLabel, QAbstractButton)):
            continue
        if not w.text() if hasattr(w, "text") else True:
            continue
        hint = w.sizeHint()
        if isinstance(w, QLabel) and w.wordWrap():
            need_w, need_h = w.minimumSizeHint().width(), w.heightForWidth(w.width())
        else:
            need_w, need_h = hint.width(), hint.height()
        if w.width() + 1 < need_w or w.height() + 1 < need_h:
            out.append(f"{type(w).__name__}({w.text()[:40]!r}) {w.width()}x{w.height()} < {need_w}x{need_h}")
    return out


@pytest.fixture
def large_font(qapp):
    old = QFont(qapp.font())
    big = QFont(old)
    big.setPointSizeF(14.0)  # the test's stand-in for a system font set large
    qapp.setFont(big)
    yield big
    qapp.setFont(old)


def test_main_screens_lay_out_with_a_large_system_font(qtbot, window_factory, tmp_path, large_font):
    found = {}
    for screen, w in visit(qtbot, window_factory, tmp_path, size=(1366, 768)):
        QApplication.processEvents()
        assert w.font().pointSizeF() == large_font.pointSizeF()
        title = w.findChild(QLabel, "screenTitle")
        if title is not None and title.isVisible():
            assert title.font().pointSizeF() > large_font.pointSizeF()  # scaled from the system font
        problems = clipped(w)
        if problems:
            found[screen] = problems
    assert found == {}, "\n".join(f"{k}: {p}" for k, v in found.items() for p in v)


def test_the_clipping_check_sees_a_squeezed_label(qtbot):
    # Control: a label held narrower than its text is reported.
    w = QWidget()
    qtbot.addWidget(w)
    lay = QVBoxLayout(w)
    label = QLabel("A label with far too much text for its width")
    label.setFixedWidth(40)
    lay.addWidget(label)
    w.show()
    qtbot.waitExposed(w)
    assert clipped(w) and "far too much" in clipped(w)[0]
