"""An enumerator's first day: the wizard's language, enrollment, USB, the last sync, recovery at
unlock, and the smaller things on the wizard and Settings (issue 13, items 10-15)."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt

from gui_helpers import PASSPHRASE, WAIT, unlock
from storage import Store


def _enrolled_and_synced_once(profile, tmp_path, url: str = "http://127.0.0.1:9") -> float:
    """Enroll ``profile`` with an in-process hub filed under ``url``, and sync once; returns when."""
    from sync.client import SyncClient
    from sync_helpers import HubTransport, make_hub

    hub = make_hub(tmp_path / "hub")
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    try:
        client = SyncClient(store, transport=HubTransport(hub))
        client.enroll(url, hub.new_enroll_code("north"))
        before = time.time()
        client.sync_now()
        return before
    finally:
        store.close()
        hub.close()


# -- 13: the last sync survives a restart offline ---------------------------------------------------
def test_the_last_sync_is_remembered_after_a_restart_offline(qtbot, window_factory, profile, tmp_path):
    synced = _enrolled_and_synced_once(profile, tmp_path)  # filed under a port where nothing listens
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: w.ctx.last_state.state == "offline", timeout=WAIT)
    last = w.ctx.last_state.last_sync
    assert last is not None and synced <= last <= synced + 60
    assert w.last_label.text() == "last sync " + time.strftime("%Y-%m-%d %H:%M", time.localtime(last))
    # It lives in the store's sync state, not in a file beside it.
    files = {p.name for p in profile.parent.iterdir()}
    assert not any("sync" in name for name in files - {profile.name}), files
