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


# --- every typed error and every sync-loop reason has a translated message ------------------------
import inspect  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

import storage.errors  # noqa: E402
import sync.errors  # noqa: E402
import sync.protocol  # noqa: E402
from gui import i18n  # noqa: E402
from gui.errors import MESSAGES  # noqa: E402
from gui.screens.sync import REASONS, reason_text  # noqa: E402
from sync.client import REASON_CODES, SyncState  # noqa: E402

CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def _error_classes() -> list[type]:
    found = []
    for module in (storage.errors, sync.errors):
        found += [c for _n, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, Exception) and c.__module__ == module.__name__]
    return found + [sync.protocol.ProtocolError]


def _instance(cls: type) -> Exception:
    """An instance with harmless sample arguments: ids and sizes, as the real ones carry."""
    args = []
    for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) or p.default is not p.empty:
            continue
        args.append(1024 if "int" in str(p.annotation) else "a27a150061550e45")
    return cls(*args)


@pytest.fixture
def ukrainian(qapp):
    i18n.install(qapp, "uk")
    yield
    i18n.install(qapp, "en")


def test_the_walk_finds_the_errors_it_must_cover():
    names = {c.__name__ for c in _error_classes()}
    assert {"StorageError", "DamagedRecord", "SyncError", "BundleTampered", "ServerMismatch", "ProtocolError"} <= names
    assert len(names) >= 35


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_every_typed_error_has_its_own_translated_message(cls, ukrainian):
    assert cls in MESSAGES, f"gui/errors.py MESSAGES has no entry for {cls.__module__}.{cls.__name__}"
    exc = _instance(cls)
    text = message_for(exc)
    assert CYRILLIC.search(text), f"{cls.__name__} shows untranslated text: {text!r}"
    assert str(exc) not in text or not str(exc)


@pytest.mark.parametrize("code", REASON_CODES)
def test_every_sync_loop_reason_has_a_translated_message(code, ukrainian):
    assert code in REASONS, f"gui/screens/sync.py REASONS has no entry for reason {code!r}"
    text = reason_text(SyncState("error", "An English detail.", reason=code))
    assert CYRILLIC.search(text) and "English" not in text


def test_the_english_messages_stay_english():
    from sync.errors import WrongRecipient

    assert message_for(WrongRecipient("server-0123456789abcdef", "a27a150061550e45")).startswith(
        "This bundle is addressed to 'server-0123456789abcdef'")
    assert reason_text(SyncState("offline", reason="server_silent")).startswith("The server does not answer")
