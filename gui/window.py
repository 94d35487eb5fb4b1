"""The main window: wizard or unlock, then the workspace with a status bar that always shows sync."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFontInfo, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QMainWindow, QMenu, QMessageBox, QPushButton, QStackedWidget, QWidget,
)

from resources import app_info

from storage import Store
from sync.client import SyncState

from . import i18n
from .collector import GuiThreadCollector
from .context import Context
from .errors import present
from .focus import press_on_return
from .i18n import tr
from .screens.desk import DeskScreen
from .screens.form import FormScreen
from .screens.home import HomeScreen
from .screens.records import RecordsScreen
from .screens.registry import RegistryScreen
from .screens.settings import SettingsScreen
from .screens.sync import SyncScreen, conflicts_text, last_sync_text, state_text, state_tooltip
from .screens.unlock import UnlockScreen
from .screens.wizard import WizardScreen

FOCUS = "#1f5f99"       # the one colour of "this has the keyboard"
FOCUS_FILL = "#e3edf8"


def focus_style() -> str:
    """Focus is shown the same way on every control, whatever moved it (Tab, Enter, a screen
    putting the keyboard on its first question). The built-in style draws its thin focus
    frame only after a Tab in that window, and none at all on drop-downs or a radio button
    focused by the program. Choice boxes keep a transparent border when unfocused, so
    nothing moves when focus comes."""
    return f"""
QPushButton:focus, QToolButton:focus {{ border: 2px solid {FOCUS}; border-radius: 4px; background: {FOCUS_FILL};
    padding: 0px 2px; }}
QComboBox:focus, QLineEdit:focus, QAbstractSpinBox:focus, QPlainTextEdit:focus {{ border: 2px solid {FOCUS};
    border-radius: 3px; }}
QWidget[invalid="true"] QLineEdit:focus {{ border: 2px solid #b00020; }}
QRadioButton, QCheckBox {{ border: 2px solid transparent; border-radius: 4px; padding: 1px 4px; }}
QRadioButton:focus, QCheckBox:focus {{ border-color: {FOCUS}; background: {FOCUS_FILL}; }}
QListWidget:focus, QTableView:focus {{ border: 2px solid {FOCUS}; }}
"""


def style_sheet(base_pt: float) -> str:
    """The window's style, with font sizes scaled from the system font (``base_pt``), never fixed:
    someone who sets a larger system font gets larger titles too."""
    def pt(scale: float) -> str:
        return f"{base_pt * scale:.1f}pt"

    return f"""
QLabel#screenTitle {{ font-size: {pt(1.65)}; font-weight: 600; padding: 4px 0 8px 0; }}
QLabel#sectionTitle {{ font-size: {pt(1.3)}; font-weight: 600; }}
QLabel#hint {{ color: #555; }}
QPushButton#conflictsBadge, QFrame#conflictsBanner {{ background: #fff3cd; border: 1px solid #b26a00; color: #5c3600;
    border-radius: 6px; padding: 2px 10px; font-weight: 600; }}
QFrame#conflictsBanner QLabel {{ border: none; background: transparent; }}
QFrame#conflictsBanner QPushButton {{ font-weight: 600; }}
QLabel#message, QLabel#unlockMessage {{ color: #b00020; }}
QLabel#recoveryKey {{ font-family: monospace; font-size: {pt(1.75)}; padding: 16px; border: 2px dashed #888; }}
QGroupBox {{ font-weight: 600; margin-top: 12px; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 6px; padding: 0 4px; }}
QListWidget#nav {{ font-size: {pt(1.2)}; }}
QListWidget#nav::item {{ padding: 8px 10px; }}
QListWidget#nav::item:selected {{ background: #1f5f99; color: white; }}
QWidget[invalid="true"] QLineEdit {{ border: 1px solid #b00020; }}
{focus_style()}"""


NAV = ("home", "records", "registry", "desk", "sync", "settings")
MINUTE_MS = 60_000  # the auto-lock setting's unit (tests shorten it)


class IdleWatcher(QObject):
    """The application-wide event filter: any key or mouse event restarts the auto-lock
    timer, and Return on a focused button presses it (focus.press_on_return). One filter
    for both: every event of the application passes through it."""

    def __init__(self, timer: QTimer) -> None:
        super().__init__()
        self.timer = timer

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel) and self.timer.isActive():
            self.timer.start()
        if kind == QEvent.Type.KeyPress:
            return press_on_return(obj, event)
        return False


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.apply_style()
        self.resize(1280, 720)
        self.setMinimumSize(900, 560)
        self.store: Store | None = None
        self.form_screen: FormScreen | None = None
        self.reopen_draft: dict | None = None
        ctx.tasks.on_error = lambda exc: present(self, exc)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.on_idle_timeout)
        self.watcher = IdleWatcher(self.idle)
        QApplication.instance().installEventFilter(self.watcher)
        self._build_chrome()
        ctx.sync_state.connect(self.on_sync_state)
        ctx.conflicts_changed.connect(self.on_conflicts_changed)

    def apply_style(self) -> None:
        # QFontInfo: the size actually used, also when the system font is given in pixels.
        self.setStyleSheet(style_sheet(QFontInfo(QApplication.font()).pointSizeF()))

    def event(self, event: QEvent) -> bool:  # noqa: D102 - Qt's name
        if event.type() == QEvent.Type.ApplicationFontChange:
            self.apply_style()  # the system font changed while the app runs
        return super().event(event)

    # -- chrome: menu and status bar ---------------------------------------------------------------
    def _build_chrome(self) -> None:
        self.setWindowTitle(tr("Fieldbook"))
        for menu in self.menuBar().findChildren(QMenu):  # the old language's menus and their shortcuts go
            menu.deleteLater()
        for action in (getattr(self, name, None) for name in ("lock_action", "quit_action", "about_action")):
            if action is not None:
                action.deleteLater()
        self.menuBar().clear()
        menu = self.menuBar().addMenu(tr("&Fieldbook"))
        self.lock_action = QAction(tr("Lock now"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.on_lock_triggered)
        # Rebuilt on a language change: its state follows the lock, never a stale copy.
        self.lock_action.setEnabled(self.is_unlocked())
        menu.addAction(self.lock_action)
        quit_action = self.quit_action = QAction(tr("Quit"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu(tr("&Help"))
        self.about_action = QAction(tr("About Fieldbook"), self)
        self.about_action.triggered.connect(self.on_about_triggered)
        help_menu.addAction(self.about_action)
        bar = self.statusBar()
        for w in getattr(self, "_status_widgets", []):
            bar.removeWidget(w)
            w.deleteLater()
        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncState")
        self.last_label = QLabel()
        self.last_label.setObjectName("lastSync")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("pendingCount")
        self.sync_button = QPushButton(tr("Sync now"))
        self.sync_button.setObjectName("syncNow")
        self.sync_button.clicked.connect(self.ctx.sync_now)
        # Open conflicts show beside the sync state on every screen: "Up to date" alone hid them.
        self.conflicts_badge = QPushButton()
        self.conflicts_badge.setObjectName("conflictsBadge")
        self.conflicts_badge.setToolTip(tr("Two laptops changed the same answer. Open Sync and USB to choose which value stays."))
        self.conflicts_badge.clicked.connect(lambda: self.show_screen("sync") if hasattr(self, "nav") else None)
        self.conflicts_badge.hide()
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(6, 0, 6, 0)
        row.setSpacing(18)
        for w in (self.sync_label, self.last_label, self.pending_label, self.conflicts_badge):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.sync_button)
        self._status_widgets = [holder]
        bar.addWidget(holder, 1)
        self.on_sync_state(self.ctx.last_state)
        self.on_conflicts_changed(self.ctx.open_conflicts)

    def on_about_triggered(self) -> None:
        # open(), not exec(): window-modal without a nested event loop, so sync and auto-lock go on.
        info = app_info()
        box = QMessageBox(QMessageBox.Icon.NoIcon, tr("About Fieldbook"), "", QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutBox")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setText(f"<b>{info['display_name']}</b><br>" + tr("Version {version}").format(version=info["version"]))
        box.setInformativeText(tr("Offline-first data collection for field teams. Everything you type is "
                                  "encrypted on this computer, and synced with your team's server or by USB."))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def on_sync_state(self, state: SyncState) -> None:
        # ctx.loop is cleared the moment the app locks; a last report from the stopping
        # sync thread can still arrive after that, and must not overwrite "Locked".
        if self.ctx.loop is None or self.store is None or not self.store.unlocked:
            self.sync_label.setText(tr("Locked"))
            self.last_label.setText("")
            self.pending_label.setText("")
            self.sync_button.setEnabled(False)
            return
        text = state_text(state)
        if state.set_aside:
            text += " · " + tr("{n} set aside").format(n=state.set_aside)
        self.sync_label.setText(text)
        self.sync_label.setToolTip(state_tooltip(state))
        self.last_label.setText(last_sync_text(state))
        self.pending_label.setText(tr("{n} waiting to sync").format(n=state.pending))
        self.sync_button.setEnabled(state.state not in ("not_enrolled", "syncing"))

    def on_conflicts_changed(self, n: int) -> None:
        self.conflicts_badge.setText(conflicts_text(n))
        self.conflicts_badge.setVisible(n > 0)

    # -- start -------------------------------------------------------------------------------------
    def start(self) -> None:
        self.ctx.preload_forms()
        if self.ctx.has_profile():
            path = self.ctx.profile
            self.ctx.tasks.store(lambda: Store.open(path), self.show_unlock)
        else:
            wizard = WizardScreen(self.ctx)
            wizard.finished.connect(self.on_unlocked)
            wizard.language_changed.connect(self.on_wizard_language_changed)
            self.setCentralWidget(wizard)

    def on_wizard_language_changed(self, lang: str) -> None:
        """Chosen on the wizard's first page: used from now on (the wizard sets its own texts again)."""
        self.ctx.prefs.language = lang
        i18n.install(QApplication.instance(), lang)
        self._build_chrome()

    def show_unlock(self, store: Store) -> None:
        self.store = store
        self.setWindowTitle(tr("Fieldbook"))  # no open form's title while locked
        screen = UnlockScreen(self.ctx, store)
        screen.unlocked.connect(self.on_unlocked)
        self.setCentralWidget(screen)
        screen.passphrase.setFocus()
        self.on_sync_state(self.ctx.last_state)

    def on_unlocked(self, store: Store) -> None:
        self.store = store
        self.ctx.attach(store)
        self.lock_action.setEnabled(True)
        self.arm_autolock()
        self.build_workspace()
        settle = getattr(QApplication.instance().findChild(GuiThreadCollector), "settle", None)
        if settle is not None:
            QTimer.singleShot(0, settle)  # once the workspace is shown
        self.ctx.refresh_pending()
        if self.reopen_draft and self.reopen_draft["id"]:
            self.open_draft(self.reopen_draft["id"])
        self.reopen_draft = None

    # -- workspace ------------------------------------------------------------------------------------
    def setCentralWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt's name
        super().setCentralWidget(widget)
        widget.show()  # swapped in from a signal of the widget it replaces: show it explicitly

    def build_workspace(self) -> None:
        self.form_screen = None
        root = QWidget()
        lay = QHBoxLayout(root)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.addItems([tr("Home"), tr("Records"), tr("Registry"), tr("Desk"), tr("Sync and USB"), tr("Settings")])
        widest = max(self.nav.fontMetrics().horizontalAdvance(self.nav.item(k).text()) for k in range(self.nav.count()))
        self.nav.setFixedWidth(max(170, int(widest * 1.3) + 48))  # the stylesheet's larger font and padding
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setAccessibleName(tr("Sections"))
        lay.addWidget(self.nav)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self.home = HomeScreen(self.ctx)
        self.home.open_form.connect(self.open_form)
        self.home.open_draft.connect(self.open_draft)
        self.home.open_record.connect(self.edit_record)
        self.home.review_conflicts.connect(lambda: self.show_screen("sync"))
        self.stack.addWidget(self.home)
        # The other screens are built on the next turns of the event loop, one per turn, so
        # the unlock's own stretch on the GUI thread stays short; using one builds it at once.
        self._screens: dict[str, QWidget] = {}
        later = list(NAV[1:])

        def build_next() -> None:
            self.screen(later.pop(0))
            if later:
                QTimer.singleShot(1, root, build_next)  # 1 ms, a real timer: zero-delay calls queued together run together

        QTimer.singleShot(0, root, build_next)  # dropped if the window is locked first
        self.nav.currentRowChanged.connect(self.on_nav_changed)
        # While a form is open the current row does not change on a click or Enter on it: leave the form then.
        self.nav.itemClicked.connect(lambda item: self.form_screen is not None and self.on_nav_changed(self.nav.row(item)))
        self.nav.itemActivated.connect(lambda item: self.form_screen is not None and self.on_nav_changed(self.nav.row(item)))
        self.nav.setCurrentRow(0)
        self.setCentralWidget(root)

    def screen(self, name: str) -> QWidget:
        """The workspace's screen ``name`` (of ``NAV``), built on first use, in ``NAV`` order."""
        if name == "home":
            return self.home
        if name not in self._screens:
            for earlier in NAV[1:NAV.index(name)]:  # the stack's order is the navigation's
                self.screen(earlier)
            if name == "records":
                built = RecordsScreen(self.ctx, self.home.titles)
                built.edit_record.connect(self.edit_record)
                built.open_draft.connect(self.open_draft)
            elif name == "registry":
                built = RegistryScreen(self.ctx)
            elif name == "desk":
                built = DeskScreen(self.ctx)
            elif name == "sync":
                built = SyncScreen(self.ctx)
            else:
                built = SettingsScreen(self.ctx)
                built.language_changed.connect(self.on_language_changed)
                built.autolock_changed.connect(self.on_autolock_changed)
                built.wiped.connect(self.on_wiped)
            self._screens[name] = built
            self.stack.insertWidget(NAV.index(name), built)
        return self._screens[name]

    @property
    def records(self) -> RecordsScreen:
        return self.screen("records")

    @property
    def registry(self) -> RegistryScreen:
        return self.screen("registry")

    @property
    def desk(self) -> DeskScreen:
        return self.screen("desk")

    @property
    def sync_screen(self) -> SyncScreen:
        return self.screen("sync")

    @property
    def settings(self) -> SettingsScreen:
        return self.screen("settings")

    def on_nav_changed(self, row: int) -> None:
        if row < 0:
            return
        if self.form_screen is not None:
            self.close_form()
        self.stack.setCurrentWidget(self.screen(NAV[row]))
        self.nav.item(row).setSelected(True)

    def show_screen(self, name: str) -> None:
        row = NAV.index(name)
        if self.nav.currentRow() == row:  # the row kept current under an open form
            self.on_nav_changed(row)
        else:
            self.nav.setCurrentRow(row)

    def _show_form(self, screen: FormScreen) -> None:
        if self.form_screen is not None:
            self.close_form()
        self.form_screen = screen
        screen.closed.connect(self.on_form_closed)
        screen.finalised.connect(lambda _rid, form_id: self.records.show_form(form_id))
        screen.registered.connect(self.on_household_registered)
        screen.title_changed.connect(self.on_form_title)
        self.on_form_title(screen.title.text())
        self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)
        # The list keeps a current row (shown unselected): with none, giving it focus (Shift+Tab
        # from the first question) would make row 0 current, which closed the form.
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(NAV.index("home"))
        self.nav.clearSelection()
        self.nav.blockSignals(False)
        screen.focus_first()

    def on_form_title(self, title: str) -> None:
        # The window title names the open form (task switchers and screen readers announce it).
        self.setWindowTitle(tr("{form} — Fieldbook").format(form=title))

    def open_form(self, form_id: str) -> FormScreen:
        screen = FormScreen(self.ctx, self.ctx.form(form_id))
        self._show_form(screen)
        return screen

    def open_draft(self, draft_id: str) -> None:
        def done(record) -> None:
            screen = FormScreen(self.ctx, self.ctx.form(record.form_id), answers=record.fields, draft_id=record.id,
                                editing=record.fields.get("_editing"))
            self._show_form(screen)

        self.ctx.run(lambda st: st.get_record(draft_id), done, owner=self)

    def edit_record(self, record_id: str) -> None:
        def done(record) -> None:
            screen = FormScreen(self.ctx, self.ctx.form(record.form_id), answers=record.fields, editing=record.id)
            self._show_form(screen)

        self.ctx.run(lambda st: st.get_record(record_id), done, owner=self)

    def close_form(self) -> None:
        screen = self.form_screen
        if screen is None:
            return
        screen.flush()
        self.form_screen = None
        self.setWindowTitle(tr("Fieldbook"))
        self.stack.removeWidget(screen)
        screen.deleteLater()

    def on_household_registered(self, _rid: str, card: str) -> None:
        """The registration form registered a household: show it in the Registry (found by its card)."""
        self.close_form()
        self.show_screen("registry")
        self.registry.search.setText(card)  # searched once the registry is read again (it is stale now)

    def on_form_closed(self, record_id: str | None) -> None:
        self.close_form()
        self.show_screen("records" if record_id else "home")

    # -- lock, language, wipe ------------------------------------------------------------------------
    def is_unlocked(self) -> bool:
        """The one test of "unlocked" for locking: the context holds the store from unlock
        (or the wizard) until lock or wipe. Never the menu action's state, which is rebuilt
        with the menus on a language change."""
        return self.ctx.store is not None

    def arm_autolock(self) -> None:
        """(Re)start the idle timer with the minutes set now; called on unlock and on every change."""
        self.idle.setInterval(self.ctx.prefs.autolock_minutes * MINUTE_MS)
        if self.is_unlocked():
            self.idle.start()
        else:
            self.idle.stop()

    def on_autolock_changed(self, _minutes: int) -> None:
        self.arm_autolock()

    def on_idle_timeout(self) -> None:
        self.on_lock_triggered()

    def on_lock_triggered(self) -> None:
        if self.store is None or not self.is_unlocked():
            return
        if self.form_screen is not None:
            self.form_screen.flush()
            self.reopen_draft = self.form_screen.draft  # its id is filled in by the pending save
            self.form_screen = None
        self.idle.stop()
        self.lock_action.setEnabled(False)
        store = self.store
        self.ctx.lock()
        self.ctx.store = None  # the screens lose their data now; the key goes once pending saves are done
        self.ctx.tasks.store(lambda: store.lock())
        self.show_unlock(store)

    def on_language_changed(self, lang: str) -> None:
        self.ctx.prefs.language = lang
        i18n.install(QApplication.instance(), lang)
        reopen = None
        if self.form_screen is not None:
            self.form_screen.flush()
            reopen = self.form_screen.draft["id"]
            self.form_screen = None
        self._build_chrome()
        self.build_workspace()
        self.show_screen("settings")
        self.arm_autolock()
        if reopen:
            self.open_draft(reopen)

    def on_wiped(self) -> None:
        self.ctx.lock()
        self.store = None
        self.ctx.store = None
        self.lock_action.setEnabled(False)
        self.idle.stop()
        done = QLabel(tr("This profile was wiped. Close Fieldbook."))
        done.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(done)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.form_screen is not None:
            self.form_screen.flush()
        QApplication.instance().removeEventFilter(self.watcher)
        self.ctx.shutdown()
        super().closeEvent(event)
