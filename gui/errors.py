"""One presenter for every error: typed errors become a calm, human message.

Our packages raise typed errors whose ``str()`` is a safe, complete English
sentence (no field values, no passphrases). Here every typed error of storage
and sync has its own translated message, keyed by its type (``MESSAGES``; a test
walks storage/errors.py and sync/errors.py and fails on a type without one), so
the Ukrainian interface never shows English for them. Such a message may name
ids, sizes and versions from the error's attributes, never a value. The English
sentence stays available as the box's details and in the log. Anything else is a
bug: the person sees what to do next, never a traceback, and the log gets the
type name only.
"""
from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Callable

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from forms.errors import FormError
from storage import errors as se
from storage.errors import StorageError
from sync import errors as sy
from sync.errors import SyncError
from sync.protocol import ProtocolError

from .i18n import tr

log = logging.getLogger("fieldbook.gui")


def _wrong_recipient(e: sy.WrongRecipient) -> str:
    if e.key_differs:
        return tr("This bundle is sealed for another key of '{to}', so it cannot be opened here; nothing was imported. "
                  "Make a new bundle on the sending device.").format(to=e.addressed_to)
    return tr("This bundle is addressed to '{to}', not to this laptop; nothing was imported. "
              "Deliver it to its recipient.").format(to=e.addressed_to)


def _revoked(e: sy.DeviceRevoked) -> str:
    if getattr(e, "erased", False):
        return tr("The hub revoked this laptop and asked it to erase its data: this profile has been erased.")
    return tr("The hub revoked this laptop: it can no longer sync. Its data stays here; contact your hub.")


def _bad_address(e: sy.BadServerAddress) -> str:
    why = {"empty": tr("Type the server address your hub gave you."),
           "scheme": tr("Only addresses that start with http:// or https:// work."),
           }.get(e.reason, tr("It names no server."))
    return tr("That server address cannot be used. {why} For example: http://hub.example:8765").format(why=why)


def _file_error(e: sy.BundleFileError) -> str:
    why = {"denied": tr("Fieldbook is not allowed to use that file or folder."),
           "full": tr("The disk or USB stick is full."),
           "read_only": tr("The disk or USB stick is read-only (some sticks have a lock switch)."),
           "is_folder": tr("That is a folder: choose a file in it, or type a file name after it."),
           }.get(e.kind, tr("The system refused ({reason}).").format(reason=e.reason or "?"))
    if e.action == "read":
        return tr("{path} could not be read; nothing was imported. {why}").format(path=e.path, why=why)
    return tr("{path} could not be written; nothing was written. {why}").format(path=e.path, why=why)


def _folder_missing(e: sy.BundleFolderMissing) -> str:
    done = tr("nothing was imported") if e.action == "read" else tr("nothing was written")
    return tr("The folder {folder} does not exist, so {done}. If it is on a USB stick, the stick may not be plugged "
              "in or not mounted: plug it in, open it once in the file manager, then try again."
              ).format(folder=e.folder, done=done)


# Keyed by the exact type: a new error class without its own entry fails
# tests/gui/test_errors.py rather than borrowing its base class's words unnoticed.
MESSAGES: dict[type, Callable] = {
    # storage/errors.py
    se.StorageError: lambda e: tr("The local store could not complete this, and nothing was changed. Try again; "
                                  "if it happens again, tell your supervisor."),
    se.NotAProfile: lambda e: tr("This folder holds no Fieldbook profile, or it cannot be opened. "
                                 "Choose your profile's folder, or create a new profile."),
    se.ProfileExists: lambda e: tr("This folder already holds a profile. Choose an empty folder."),
    se.CorruptStore: lambda e: tr("The profile's data is damaged and cannot be read. Check the profile, "
                                  "and restore it from the server or a backup."),
    se.NewerStore: lambda e: tr("This profile was written by a newer Fieldbook. Update Fieldbook to open it."),
    se.ProfileWiped: lambda e: tr("This profile was erased; nothing can open it any more."),
    se.EmptyPassphrase: lambda e: tr("Type your passphrase first."),
    se.WeakPassphrase: lambda e: tr("This passphrase is too short: use at least 8 characters (a few words work well)."),
    se.WrongPassphrase: lambda e: tr("That passphrase did not open this profile. Check the keyboard layout and Caps Lock, "
                                     "then try again."),
    se.UnknownUser: lambda e: tr("There is no user of that name on this profile."),
    se.UserExists: lambda e: tr("That change to the profile's users is not possible: the name is taken, "
                                "or it is the last user."),
    se.LastUser: lambda e: tr("The last user of a profile cannot be removed. To end the profile, wipe it."),
    se.InvalidQuery: lambda e: tr("The records could not be read: the request was not valid. Nothing was changed."),
    se.MalformedRecoveryKey: lambda e: tr("That recovery key was mistyped. Check each group of characters, then try again."),
    se.WrongRecoveryKey: lambda e: tr("That recovery key does not belong to this profile."),
    se.Locked: lambda e: tr("The profile is locked. Unlock it, then try again."),
    se.StoreBusy: lambda e: tr("The store is busy in another program. Close other Fieldbook windows, then try again."),
    se.DiskFull: lambda e: tr("The disk is full, so the last change was not saved. Free some space, then try again."),
    se.UnknownRecord: lambda e: tr("That record is not in this profile (it may have been deleted)."),
    se.InvalidRecord: lambda e: tr("These answers cannot be saved as they are: a name or a value is not valid. "
                                   "Nothing was saved."),
    se.NoBlindIndex: lambda e: tr("This field cannot be searched by exact value."),
    se.DamagedRecord: lambda e: tr("Record {id} is damaged and cannot be decrypted; the other records are fine. "
                                   "Restore it from the server or a backup.").format(id=e.record_id),
    # sync/errors.py
    sy.SyncError: lambda e: tr("Sync could not finish. Nothing was lost; it will try again."),
    sy.BundleError: lambda e: tr("This bundle was refused; nothing was imported."),
    sy.NotABundle: lambda e: tr("This is not a Fieldbook sync bundle; nothing was imported. "
                                "Check that you chose the right file."),
    sy.UnsupportedBundleVersion: lambda e: tr("This bundle was made by a newer Fieldbook (bundle format {version}); "
                                              "nothing was imported. Update Fieldbook, then import it again."
                                              ).format(version=e.version),
    sy.BundleTruncated: lambda e: tr("This bundle is incomplete; nothing was imported. It was probably copied before "
                                     "the transfer finished: copy it again from the original."),
    sy.BundleTampered: lambda e: tr("This bundle failed its integrity check; nothing was imported. It was damaged or "
                                    "altered after it was made: make a new bundle on the sending device."),
    sy.WrongRecipient: _wrong_recipient,
    sy.UnknownSender: lambda e: tr("This bundle comes from '{sender}', which is not enrolled here or was revoked; "
                                   "nothing was imported.").format(sender=e.sender_id),
    sy.BundleTooLarge: lambda e: tr("This bundle is over the size limit; nothing was imported. "
                                    "Sync more often, so that each bundle stays smaller."),
    sy.BundleReplayed: lambda e: tr("This bundle was already imported; nothing needs to be done."),
    sy.BundleFileError: _file_error,
    sy.BundleFileMissing: lambda e: tr("There is no file at {path}; nothing was imported. Check the name, or choose "
                                       "the file with “Choose file to import…”.").format(path=e.path),
    sy.BundleFolderMissing: _folder_missing,
    sy.EnrollmentRefused: lambda e: tr("The server did not accept this code: it is unknown, already used or expired. "
                                       "Check the code, or ask the hub for a new one."),
    sy.MistypedEnrollmentCode: lambda e: tr("That code is mistyped: a code has 16 letters and digits, like "
                                            "K7QP-3MZD-XW9A-HT4R. Nothing was sent."),
    sy.BadServerAddress: _bad_address,
    sy.EnrollmentThrottled: lambda e: tr("Too many wrong enrollment codes came from this network, so the server is not "
                                         "checking codes from it for now. Wait {minutes} min, check the code with the "
                                         "hub, then try again.").format(minutes=max(1, -(-e.retry_after_s // 60))),
    sy.RequestTooLarge: lambda e: tr("The server refused a request over its size limit; nothing was changed."),
    sy.NotEnrolled: lambda e: tr("This laptop is not connected to a server yet. Enroll it in Settings with the code "
                                 "from your hub."),
    sy.UnknownDevice: lambda e: tr("The server does not know this device."),
    # Raised at the hub (server publish-form); listed so every typed error has its words.
    sy.FormNotPublished: lambda e: tr("The hub did not publish or withdraw that form; nothing changed."),
    sy.DeviceRevoked: _revoked,
    sy.ServerUnreachable: lambda e: tr("The server cannot be reached. Your work is safe here and will sync when the "
                                       "connection returns."),
    sy.ServerRefused: lambda e: tr("The server refused the request; nothing was lost. Check the server address, "
                                   "or tell your administrator."),
    sy.ServerMismatch: lambda e: tr("The server's answer did not verify against what this laptop trusts; nothing was "
                                    "done. Check the server address and tell your administrator."),
    # sync/protocol.py
    ProtocolError: lambda e: tr("The server sent a message this Fieldbook does not understand; nothing from it was "
                                "applied. Update Fieldbook, or tell your administrator."),
}


def message_for(exc: BaseException) -> str:
    """The sentence a person sees for ``exc``, in the interface language."""
    for cls in type(exc).__mro__:  # a subclass from elsewhere (the CLI's) gets its base's words
        fn = MESSAGES.get(cls)
        if fn is not None:
            return fn(exc)
    if isinstance(exc, FormError):
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
    if isinstance(exc, (StorageError, SyncError)):
        box.setDetailedText(str(exc))  # the original sentence (safe by contract), for whoever diagnoses it
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
