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
    qtbot.waitUntil(lambda: sc.result.text().startswith("Exported"), timeout=WAIT)
    assert sc.result.text().startswith("Exported 1 change"), sc.result.text()

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


def test_usb_progress_bar_is_determinate_and_fills_for_export_and_import(qtbot, window_factory, profile, live, tmp_path):
    from gui.screens.sync import PROGRESS_STEPS
    from storage import Store, crypto
    from sync.client import SyncClient
    from sync_helpers import HubTransport

    w = window_factory(profile)
    unlock(qtbot, w)
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: w.sync_label.text() == "Up to date", timeout=WAIT)
    w.ctx.loop.stop()
    n = 1500  # several apply slices, a payload of a few hundred kilobytes
    w.ctx.run(lambda st: st.save_records("submission", [{"settlement": f"Synthetic {i}", "hh_size": i % 9 + 1}
                                                        for i in range(n)], form_id="household_needs"),
              lambda _r: w.ctx.saved())
    qtbot.waitUntil(lambda: w.pending_label.text() == f"{n} waiting to sync", timeout=WAIT)
    w.show_screen("sync")
    sc = w.sync_screen
    seen: list[tuple[int, int, str]] = []  # (maximum, value, label) at each change of the bar
    sc.progress.valueChanged.connect(lambda v: seen.append((sc.progress.maximum(), v, sc.result.text())))

    out = tmp_path / "laptop.fbb"
    qtbot.keyClicks(sc.path, str(out))
    qtbot.mouseClick(sc.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith(f"Exported {n} change"), timeout=WAIT)
    full = [label for m, v, label in seen if m == PROGRESS_STEPS and v == m]
    for stage in ("Reading the changes", "Sealing", "Writing the file"):
        assert any(label.startswith(stage) and label.endswith("100%") for label in full), (stage, seen)
    assert (sc.progress.maximum(), sc.progress.value()) == (PROGRESS_STEPS, PROGRESS_STEPS)

    # Another laptop of the team sends records to the hub, so the return bundle has changes to apply.
    other, _ = Store.create(tmp_path / "other", user="Other", passphrase="other passphrase 1", kdf=crypto.fast_kdf_for_tests())
    try:
        client = SyncClient(other, transport=HubTransport(live.hub))
        client.enroll("http://hub.test", live.hub.new_enroll_code("north"))
        other.save_records("submission", [{"settlement": f"Other {i}"} for i in range(n)], form_id="household_needs")
        client.sync_now()
    finally:
        other.close()
    _, request = live.hub.receive(out.read_bytes())
    reply, _ = live.hub.reply_bundle(request.device_id)
    back = tmp_path / "back.fbb"
    back.write_bytes(reply)

    seen.clear()
    sc.path.clear()
    qtbot.keyClicks(sc.path, str(back))
    qtbot.mouseClick(sc.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith("Imported:"), timeout=WAIT)
    assert sc.result.text().startswith(f"Imported: {n} new change(s)")
    full = [label for m, v, label in seen if m == PROGRESS_STEPS and v == m]
    for stage in ("Checking the bundle", "Applying the changes"):
        assert any(label.startswith(stage) and label.endswith("100%") for label in full), (stage, seen)
    # The bar moved through values short of full on the way (per slice of changes), not only 0 and full.
    assert any(m == PROGRESS_STEPS and 0 < v < m for m, v, _ in seen) or len(full) >= 2


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


def test_the_sync_screen_and_status_bar_say_in_words_what_happened_to_the_clock_and_set_asides(
        qtbot, window_factory, profile):
    from sync.client import SyncState

    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("sync")
    sc = w.sync_screen
    for reason, words in (("clock_behind", "far behind the server"), ("clock_ahead", "ahead of the server"),
                          ("clock_restamped", "given the current time and sent")):
        state = SyncState("up_to_date", "An English detail.", reason=reason, set_aside=2)
        w.ctx.sync_state.emit(state)
        assert words in sc.state.text(), sc.state.text()
        assert "2 change(s) set aside" in sc.state.text()
        assert w.sync_label.text().endswith("· 2 set aside"), w.sync_label.text()
    assert w.sync_label.text().startswith("Up to date")
    w.ctx.sync_state.emit(SyncState("up_to_date", reason="clock_behind"))
    assert w.sync_label.text() == "Connected, but this laptop's date and time are wrong"


def test_usb_export_too_large_for_one_bundle_says_it_wrote_parts(qtbot, window_factory, profile, live, tmp_path,
                                                                 monkeypatch):
    from sync import protocol

    monkeypatch.setattr(protocol, "MAX_PART_BYTES", 3000)  # a few records per part instead of 48 MiB
    w = window_factory(profile)
    unlock(qtbot, w)
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: w.sync_label.text() == "Up to date", timeout=WAIT)
    w.ctx.loop.stop()
    saved = []
    w.ctx.run(lambda st: st.save_records("household", ({"note": "x" * 1200, "n": i} for i in range(4))),
              lambda ids: (saved.append(ids), w.ctx.saved()))
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT)
    w.show_screen("sync")
    sc = w.sync_screen
    out = tmp_path / "usb" / "laptop.fbb"
    out.parent.mkdir()
    qtbot.keyClicks(sc.path, str(out))
    qtbot.mouseClick(sc.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sc.result.text().startswith("Exported"), timeout=WAIT)
    files = sorted(p.name for p in out.parent.iterdir())
    assert len(files) >= 2 and not out.exists()
    text = sc.result.text()
    assert text.startswith(f"Exported 4 change(s) in {len(files)} files") and files[0] in text and "any order" in text
