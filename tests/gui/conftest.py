"""GUI tier: pytest-qt, offscreen. Profiles use the cheap key derivation settings."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from storage import Store, crypto  # noqa: E402

from gui_helpers import PASSPHRASE  # noqa: E402


@pytest.fixture(autouse=True)
def _automatic_collection_after_gui_tests():
    """The app collects garbage on its GUI thread only (gui/collector.py); the tiers that
    run after this one have no event loop, so they get the interpreter's own collector back."""
    import gc

    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _english_system(monkeypatch):
    """A new profile starts in the system's language (gui.context.Prefs); the tests expect
    English there whatever the machine's locale. A test may set another."""
    monkeypatch.setattr("gui.context.system_language", lambda: "en")


@pytest.fixture
def window_factory(qtbot, tmp_path):
    """Open the app's main window on a profile folder; closes every window at the end."""
    from gui.app import make_window

    made = []

    def make(profile=None, **kw):
        w = make_window(profile or tmp_path / "profile", kdf=crypto.fast_kdf_for_tests(), **kw)
        qtbot.addWidget(w)
        w.resize(1366, 768)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        if w.ctx.store is not None or w.ctx.loop is not None:
            w.close()


@pytest.fixture
def profile(tmp_path):
    """An existing profile (created through the store API) with one user."""
    store, _ = Store.create(tmp_path / "profile", user="Enumerator One", passphrase=PASSPHRASE,
                            kdf=crypto.fast_kdf_for_tests())
    store.close()
    return tmp_path / "profile"
