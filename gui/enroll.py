"""Enrolling with a server, shared by the wizard's last page and Settings.

The address may be typed without a scheme: sync.client.normalise_server_url puts
``http://`` in front, and the person is told which scheme was used. Every failure
says what was wrong and puts the keyboard where the fix is typed: on the code when
the code was mistyped or refused, on the address when no server answered there.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from sync import errors as sy
from sync.client import ServerAddress, SyncClient, normalise_server_url

from .context import Context
from .errors import message_for
from .i18n import tr

# Failures fixed by typing another code; the others by checking the address.
CODE_ERRORS = (sy.EnrollmentRefused, sy.MistypedEnrollmentCode)


def scheme_note(address: ServerAddress) -> str:
    """Which scheme is used, when the person typed none ('' when they typed one)."""
    if not address.scheme_added:
        return ""
    return tr("No http:// or https:// was typed, so this address is used: {url}").format(url=address.url)


def failure_text(exc: BaseException, address: ServerAddress) -> str:
    if isinstance(exc, sy.ServerUnreachable):
        # Enrolling, "will sync when the connection returns" would not be true: say where it looked.
        text = tr("No server answered at {url}. Check the address with your hub, and that its server "
                  "is running; then try again.").format(url=address.url)
    else:
        text = message_for(exc)
    note = scheme_note(address)
    return f"{text}\n{note}" if note else text


def _focus(edit: QLineEdit) -> None:
    edit.setFocus()
    edit.selectAll()


def start(ctx: Context, client: SyncClient, url: QLineEdit, code: QLineEdit, message: QLabel, button: QPushButton,
          done: Callable[[dict], None], owner: QObject | None = None) -> bool:
    """Enroll off the GUI thread with what ``url`` and ``code`` hold; ``done(settings)`` on success.
    Returns False (having said why, with the focus on the field to fix) when nothing was started."""
    if not url.text().strip():
        message.setText(tr("Type the server address your hub gave you."))
        _focus(url)
        return False
    try:
        address = normalise_server_url(url.text())
    except sy.BadServerAddress as exc:
        message.setText(message_for(exc))
        _focus(url)
        return False
    if not code.text().strip():
        message.setText(tr("Type the one-time code your hub gave you."))
        _focus(code)
        return False
    typed = code.text().strip()
    button.setEnabled(False)
    note = scheme_note(address)
    message.setText(tr("Enrolling with {url}…").format(url=address.url) + (f"\n{note}" if note else ""))

    def failed(exc: BaseException) -> None:
        button.setEnabled(True)
        message.setText(failure_text(exc, address))
        _focus(code if isinstance(exc, CODE_ERRORS) else url)

    def finished(settings: dict) -> None:
        button.setEnabled(True)
        done(settings)

    ctx.tasks.background(lambda: client.enroll(address.url, typed), finished, failed, owner)
    return True
