"""Start the desktop app: QApplication, translations, the main window."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from resources import app_info, icon_path
from storage import crypto

from . import collector, i18n
from .context import Context
from .errors import install_excepthook
from .window import MainWindow
from .workers import Tasks


def default_profile() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home()) / "fieldbook" / "profile"


# How long a worker thread may keep the interpreter lock while the GUI thread waits for
# it. Python's default, 5 ms, let the store worker and sync (decrypting, merging) hold the
# GUI thread off for 40-60 ms at a time on two busy cores (bench/gui.py, "stalls");
# 1 ms lowered the longest stall while a 20k-record list loads (bench/README.md).
GIL_SWITCH_INTERVAL_S = 0.001


def application() -> QApplication:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    info = app_info()  # name, version and icon: set in pyproject.toml
    app.setApplicationName(info["display_name"])
    app.setOrganizationName(info["display_name"])
    app.setApplicationVersion(info["version"])
    app.setWindowIcon(QIcon(str(icon_path(".png"))))
    collector.install(app)
    return app


def make_window(profile: Path, *, kdf: crypto.KdfParams | None = None, sync_interval: float = 300.0) -> MainWindow:
    app = application()
    ctx = Context(profile, Tasks(), kdf=kdf, sync_interval=sync_interval)
    i18n.install(app, ctx.prefs.language)
    window = MainWindow(ctx)
    window.start()
    return window


def run(profile: Path | None = None) -> int:
    app = application()
    install_excepthook()
    window = make_window(Path(profile) if profile else default_profile())
    window.show()
    return app.exec()


def ensure_platform() -> None:
    """Headless (no display): render offscreen."""
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
