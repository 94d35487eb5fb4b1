"""Sync against a real server on loopback, and USB bundles both ways."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui_helpers import WAIT, unlock
from sync_helpers import LiveServer, make_hub


@pytest.fixture
def live(tmp_path):
    hub = make_hub(tmp_path / "hub")
    with LiveServer(hub) as server:
        yield server
    hub.close()


def enroll_in_settings(qtbot, w, live) -> None:
    w.show_screen("settings")
    st = w.settings
    qtbot.keyClicks(st.url, live.url)
    qtbot.keyClicks(st.code, live.hub.new_enroll_code("north"))
    qtbot.mouseClick(st.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Enrolled with" in st.enrolled.text(), timeout=WAIT)


def test_status_bar_goes_from_pending_to_up_to_date(qtbot, window_factory, profile, live):
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: w.sync_label.text() == "Not connected to a server", timeout=WAIT)
    w.ctx.run(lambda st: st.save_record("submission", {"settlement": "Synthetic"}, form_id="household_needs"),
              lambda _r: w.ctx.saved())
    qtbot.waitUntil(lambda: w.pending_label.text() == "1 waiting to sync", timeout=WAIT)
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: w.sync_label.text() == "Up to date" and w.pending_label.text() == "0 waiting to sync",
                    timeout=WAIT)
    assert "last sync" in w.last_label.text()
    assert len(live.hub.records("north")) == 1


def test_usb_export_import_and_a_tampered_bundle_is_refused(qtbot, window_factory, profile, live, tmp_path):
    w = window_factory(profile)
    unlock(qtbot, w)
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: w.sync_label.text() == "Up to date", timeout=WAIT)
    w.ctx.loop.stop()  # no network from here on: a USB day
    saved = []
    w.ctx.run(lambda st: st.save_record("submission", {"settlement": "By stick"}, form_id="household_needs"),
              lambda rid: (saved.append(rid), w.ctx.saved()))
    # The export runs on the background pool, not the store worker: it must not overtake the save.
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT)
    w.show_screen("sync")
    sc = w.sync_screen
    out = tmp_path / "usb" / "laptop.fbb"
    out.parent.mkdir()
    qtbot.keyClicks(sc.path, str(out))
    qtbot.mouseClick(sc.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith("Exported 1 change"), timeout=WAIT)

    # At the hub: import the laptop's bundle, make the return bundle.
    result, request = live.hub.receive(out.read_bytes())
    reply, _ = live.hub.reply_bundle(request.device_id)
    back = tmp_path / "usb" / "back.fbb"
    tampered = tmp_path / "usb" / "tampered.fbb"
    back.write_bytes(reply)
    damaged = bytearray(reply)
    damaged[len(damaged) // 2] ^= 0x01
    tampered.write_bytes(bytes(damaged))

    sc.path.clear()
    qtbot.keyClicks(sc.path, str(tampered))
    qtbot.mouseClick(sc.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith("Refused:"), timeout=WAIT)
    assert "integrity" in sc.result.text() and "nothing was imported" in sc.result.text()

    sc.path.clear()
    qtbot.keyClicks(sc.path, str(back))
    qtbot.mouseClick(sc.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith("Imported:"), timeout=WAIT)
    assert "the hub confirmed" in sc.result.text()
    qtbot.waitUntil(lambda: w.pending_label.text() == "0 waiting to sync", timeout=WAIT)


def test_a_sync_problem_is_shown_in_ukrainian(qtbot, window_factory, profile, tmp_path):
    from sync.client import SyncClient, SyncLoop
    from sync_helpers import HubTransport

    hub = make_hub(tmp_path / "hub-uk")
    w = window_factory(profile)
    unlock(qtbot, w)
    w.settings.language.setCurrentIndex(w.settings.language.findData("uk"))
    try:
        qtbot.waitUntil(lambda: w.nav.item(0).text() == "Головна", timeout=WAIT)
        w.ctx.loop.stop()  # the window's own loop: this test drives one against an in-process hub
        client = SyncClient(w.store, transport=HubTransport(hub), lock=w.ctx.tasks.store_lock)
        client.enroll("http://hub.test", hub.new_enroll_code("north"))
        hub.revoke(w.store.device_id)
        SyncLoop(client, w.ctx.sync_state.emit).run_once()
        qtbot.waitUntil(lambda: w.ctx.last_state.reason == "device_revoked", timeout=WAIT)
        w.show_screen("sync")
        text = w.sync_screen.state.text()
        assert "Хаб відкликав цей ноутбук" in text and "revoked" not in text
        assert w.sync_label.text() == "Проблема синхронізації"
        assert "Хаб відкликав" in w.sync_label.toolTip()
    finally:
        w.settings.language.setCurrentIndex(w.settings.language.findData("en"))
        qtbot.waitUntil(lambda: w.nav.item(0).text() == "Home", timeout=WAIT)
        hub.close()
