"""One presenter for every error: typed errors become a calm, human message.

Our packages raise typed errors whose ``str()`` is a safe, complete sentence (no
field values, no passphrases). The commonest ones get a translated message here;
the rest are shown as they are. Anything else is a bug: the person sees what to
do next, never a traceback, and the log gets the type name only.
"""
from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from forms.errors import FormError
from storage import errors as se
from storage.errors import StorageError
from sync import errors as sy
from sync.errors import SyncError

from .i18n import tr

log = logging.getLogger("fieldbook.gui")


def message_for(exc: BaseException) -> str:
    """The sentence a person sees for ``exc``."""
    if isinstance(exc, se.WrongPassphrase):
        return tr("That passphrase did not open this profile. Check the keyboard layout and Caps Lock, then try again.")
    if isinstance(exc, se.EmptyPassphrase):
        return tr("Type your passphrase first.")
    if isinstance(exc, se.WeakPassphrase):
        return tr("This passphrase is too short: use at least 8 characters (a few words work well).")
    if isinstance(exc, se.DiskFull):
        return tr("The disk is full, so the last change was not saved. Free some space, then try again.")
    if isinstance(exc, se.StoreBusy):
        return tr("The store is busy in another program. Close other Fieldbook windows, then try again.")
    if isinstance(exc, sy.ServerUnreachable):
        return tr("The server cannot be reached. Your work is safe here and will sync when the connection returns.")
    if isinstance(exc, sy.NotEnrolled):
        return tr("This laptop is not connected to a server yet. Enroll it in Settings with the code from your hub.")
    if isinstance(exc, (StorageError, SyncError, FormError)):
        return str(exc)
    if isinstance(exc, OSError):
        return tr("The file could not be read or written ({reason}).").format(reason=exc.strerror or type(exc).__name__)
    return tr("Something went wrong inside Fieldbook ({name}). Your saved work is safe. "
              "If it happens again, tell your supervisor.").format(name=type(exc).__name__)


def present(parent: QWidget | None, exc: BaseException, title: str | None = None) -> QMessageBox:
    """Show ``exc`` as a message box (not blocking the caller) and return it."""
    if not isinstance(exc, (StorageError, SyncError, FormError, OSError)):
        log.error("unexpected error: %s", type(exc).__name__)
    box = QMessageBox(QMessageBox.Icon.Warning, title or tr("Fieldbook"), message_for(exc),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.open()
    return box


def install_excepthook() -> None:
    """The last resort: an uncaught exception shows a dialog, never a traceback."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("uncaught %s", kind.__name__)
        if QApplication.instance() is not None:
            QMessageBox.critical(None, tr("Fieldbook"), message_for(exc))

    sys.excepthook = hook
