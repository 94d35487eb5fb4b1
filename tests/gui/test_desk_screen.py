"""The Desk screen: scan, Return to record, refusals, name search, proxy, void, counts, offline."""
from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt

from distributions import receipts, rounds
from distributions.cards import new_card_code
from storage import Store, crypto

from gui_helpers import PASSPHRASE, WAIT, unlock

ROUND = {
    "round_id": "R-GUI", "name": {"en": "Winter kits", "uk": "Зимові набори"},
    "start": "2020-01-01", "end": "2099-12-31", "eligibility": "${hh_size} >= 2",
    "items": [{"code": "FOOD", "label": {"en": "Food kit", "uk": "Продуктовий набір"}, "unit": "kit",
               "entitlement": "if(${hh_size} > 4, 2, 1)", "low_stock": 2},
              {"code": "BLANKET", "label": {"en": "Blanket", "uk": "Ковдра"}, "unit": "pcs", "entitlement": "${hh_size}"}],
}
HOUSEHOLDS = [
    {"external_ref": "H-1", "head_name": "Шевченко Олена Петрівна", "hh_size": 5, "phone": "+380671110001",
     "settlement": "Вільхівка", "oblast": "Київська"},
    {"external_ref": "H-2", "head_name": "Коваленко Сергій", "hh_size": 3, "phone": "+380671110002"},
    {"external_ref": "H-3", "head_name": "Бондаренко Ірина", "hh_size": 1},
]


def publish(store, data=ROUND):
    from sync.protocol import PublishedForm

    rnd = rounds.parse_round(json.dumps(data).encode())
    p = PublishedForm.make(rnd.published_id, rnd.version, rnd.title(), b"", {rounds.FILE: rnd.source})
    store.receive_forms(1, {p.form_id: p.digest}, [{"form_id": p.form_id, "version": p.version, "digest": p.digest,
                                                     "title": p.title, "xlsx": p.xlsx, "media": p.media}])
    return rnd


@pytest.fixture
def desk_profile(tmp_path):
    store, _ = Store.create(tmp_path / "profile", user="Desk One", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    receipts.ensure_indexes(store)
    cards = []
    for h in HOUSEHOLDS:
        code = new_card_code()
        cards.append(code)
        store.save_record("household", {**h, "card_code": code})
    rnd = publish(store)
    from distributions import stock

    stock.move(store, rnd, type_="receive", item="FOOD", qty=5, waybill="W-1")
    store.close()
    return tmp_path / "profile", cards


def open_desk(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)
    w.show_screen("desk")
    d = w.desk
    qtbot.waitUntil(lambda: d.round is not None and d.summary is not None, timeout=WAIT)
    return w, d


def scan(qtbot, d, text):
    """As a scanner does it: the characters, then Return."""
    d.scan.setFocus()
    qtbot.keyClicks(d.scan, text)
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)


def test_scan_then_return_records_and_a_second_scan_is_refused(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    assert "Entitled" in d.verdict.text() and "H-1" in d.household.text()
    assert d.spins["FOOD"].value() == 2 and d.spins["BLANKET"].value() == 5
    assert d.scan.hasFocus() and d.scan.text() == ""
    with qtbot.waitSignal(d.saved, timeout=WAIT):
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)  # the one key after the scan
    assert "Saved" in d.verdict.text()
    assert d.summary.served == 1 and d.summary.served_here == 1
    assert "3 kit left" in d.stock.text()
    t = d.timings[-1]
    assert 0 < t["software_ms"] <= t["scan_to_saved_ms"]
    # The same card again: refused in words, naming the first receipt; Return saves nothing.
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    assert "ALREADY RECEIVED" in d.verdict.text() and "Desk One" in d.verdict.text()
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert d.summary.refusals == 1 and not d.record_button.isEnabled()
    with w.ctx.tasks.store_lock:
        assert len([r for r in w.ctx.store.list_records("receipt")]) == 1
        assert any(e.action == "desk_refused|R-GUI|AlreadyReceived" for e in w.ctx.store.audit_entries())


def test_return_right_after_the_scan_saves_once_the_household_shows(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    with qtbot.waitSignal(d.saved, timeout=WAIT):
        scan(qtbot, d, cards[1])
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)  # before the look-up came back, most likely
    assert d.summary.served == 1


def test_refusals_unknown_mistyped_not_eligible(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, new_card_code())
    qtbot.waitUntil(lambda: "No registered household" in d.verdict.text(), timeout=WAIT)
    from distributions.cards import check_symbol

    wrong = "ABCD-EFGH" + ("0" if check_symbol("ABCDEFGH") != "0" else "1")
    scan(qtbot, d, wrong)
    qtbot.waitUntil(lambda: "mistyped" in d.verdict.text(), timeout=WAIT)
    scan(qtbot, d, cards[2])
    qtbot.waitUntil(lambda: "NOT ELIGIBLE" in d.verdict.text(), timeout=WAIT)
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert d.summary.refusals == 3
    with w.ctx.tasks.store_lock:
        assert not list(w.ctx.store.list_records("receipt"))


def test_a_name_finds_the_household_for_someone_who_lost_the_card(qtbot, window_factory, desk_profile):
    profile, _ = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, "Shevchenko Olena")  # typed in Latin; registered in Cyrillic
    qtbot.waitUntil(lambda: d.matches_list.isVisible(), timeout=WAIT)
    assert d.matches_list.count() == 1 and "H-1" in d.matches_list.item(0).text()
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)  # choose the highlighted one
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    assert "H-1" in d.household.text()
    with qtbot.waitSignal(d.saved, timeout=WAIT):
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)


def test_less_than_the_entitlement_needs_a_reason_and_a_proxy_needs_a_document(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    d.spins["BLANKET"].setValue(3)
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    assert "type a reason" in d.verdict.text() and d.reason.hasFocus()
    qtbot.keyClicks(d.reason, "only 3 blankets left")
    d.proxy.setChecked(True)
    d.proxy_name.insert("Синтетична Довіреність")  # typed (QTest types ASCII only)
    qtbot.keyClick(d.proxy_name, Qt.Key.Key_Return)
    assert "document number" in d.verdict.text()
    d.proxy_doc.insert("КК123456")
    with qtbot.waitSignal(d.saved, timeout=WAIT) as saved:
        qtbot.keyClick(d.proxy_doc, Qt.Key.Key_Return)
    with w.ctx.tasks.store_lock:
        f = w.ctx.store.get_record(saved.args[0]).fields
    assert f["items"] == {"FOOD": 2, "BLANKET": 3} and f["collector"] == "proxy" and f["reason"] == "only 3 blankets left"
    assert d.summary.proxies == 1 and not d.proxy.isChecked()


def test_void_with_a_reason_from_the_recent_list(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, cards[1])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    with qtbot.waitSignal(d.saved, timeout=WAIT) as saved:
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    d.recent.setCurrentRow(0)
    d.on_void_clicked()
    assert "reason" in d.verdict.text()
    qtbot.keyClicks(d.void_reason, "served by mistake")
    qtbot.keyClick(d.void_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.summary.voided == 1 and d.summary.served == 0, timeout=WAIT)
    assert d.recent.item(0).text().startswith("VOID")
    with w.ctx.tasks.store_lock:
        assert w.ctx.store.get_record(saved.args[0]).fields["void_reason"] == "served by mistake"


def test_the_gui_thread_never_waits_for_a_slow_store(qtbot, window_factory, desk_profile, monkeypatch):
    """A look-up that takes 300 ms on the store worker leaves the GUI thread free."""
    from gui.screens import desk as screen

    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    real = screen.look_up_line

    def slow(*a, **kw):
        time.sleep(0.3)
        return real(*a, **kw)

    monkeypatch.setattr(screen, "look_up_line", slow)
    start = time.perf_counter()
    scan(qtbot, d, cards[1])
    assert (time.perf_counter() - start) < 0.25  # typed and returned while the look-up still runs
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)


def test_a_receipt_wakes_sync_but_reloads_no_other_screen(qtbot, window_factory, desk_profile):
    """Home and Records list no receipts: reloading them after each receipt only made the next
    household's look-up wait behind their reloads on the store worker."""
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    reloads, woken = [], []
    w.ctx.records_changed.connect(lambda: reloads.append(1))
    w.ctx.loop.wake = lambda now=False: woken.append(now)
    before = w.ctx.last_state.pending
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    with qtbot.waitSignal(d.saved, timeout=WAIT):
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.ctx.last_state.pending > before, timeout=WAIT)
    assert woken and not reloads


def test_the_desk_loading_late_never_takes_the_keyboard_off_another_screen(qtbot, window_factory, desk_profile):
    profile, _ = desk_profile
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)
    w.show_screen("settings")
    w.settings.url.setFocus()
    d = w.desk  # built in the background; its round and counts arrive from the store worker
    qtbot.waitUntil(lambda: d.round is not None and d.summary is not None, timeout=WAIT)
    d.clear()  # what a late result does
    from PySide6.QtWidgets import QApplication

    assert QApplication.focusWidget() is w.settings.url
    w.show_screen("desk")
    assert QApplication.focusWidget() is d.scan  # shown: the scanner types into it


def test_a_round_withdrawn_in_the_middle_of_the_day_is_refused_and_nothing_saved(qtbot, window_factory, desk_profile):
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    with w.ctx.tasks.store_lock:  # what a sync brings: the hub's catalogue without the round
        w.ctx.store.receive_forms(2, {}, [])
    qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.round is None and "withdrew round R-GUI" in d.verdict.text(), timeout=WAIT)
    with w.ctx.tasks.store_lock:
        assert not list(w.ctx.store.list_records("receipt"))


def test_a_household_that_arrives_by_sync_is_found_by_name(qtbot, window_factory, desk_profile):
    profile, _ = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    scan(qtbot, d, "Bondarenko")
    qtbot.waitUntil(lambda: d.matches_list.count() == 1 or d.pending is not None, timeout=WAIT)
    with w.ctx.tasks.store_lock:  # as a pull brings it
        w.ctx.store.save_record("household", {"external_ref": "H-9", "head_name": "Бондаренко Марія", "hh_size": 2})
    w.ctx.records_changed.emit()
    scan(qtbot, d, "Bondarenko")
    qtbot.waitUntil(lambda: d.matches_list.count() == 2, timeout=WAIT)


def test_receipts_in_a_row_get_one_outbox_count_and_one_sync_wake_up_after_the_pause(qtbot, window_factory,
                                                                                    desk_profile):
    """Each receipt used to count the outbox on the store worker and wake sync at once, so a push
    took the store lock while the next household was looked up. The count and the wake-up now
    wait for a pause in the saves, and come once for the burst."""
    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    w.ctx.after_save.setInterval(600)
    woken, counted = [], []
    w.ctx.loop.wake = lambda now=False: woken.append(now)
    real_count = w.ctx.refresh_pending
    w.ctx.refresh_pending = lambda: (counted.append(1), real_count())
    before = w.ctx.last_state.pending
    for card in cards[:2]:  # H-1 and H-2 are entitled
        scan(qtbot, d, card)
        qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
        with qtbot.waitSignal(d.saved, timeout=WAIT):
            qtbot.keyClick(d.scan, Qt.Key.Key_Return)
        assert woken == [] and counted == []  # nothing queued behind the receipt, no push started
    qtbot.waitUntil(lambda: bool(woken), timeout=WAIT)
    qtbot.waitUntil(lambda: w.ctx.last_state.pending > before, timeout=WAIT)
    qtbot.wait(800)
    assert woken == [False] and counted == [1]


def test_a_look_up_queued_while_sync_holds_the_store_goes_before_the_sync_s_next_step(qtbot, window_factory,
                                                                                    desk_profile, monkeypatch):
    """A long push or pull (simulated: ten steps of 0.2 s under the store lock, as the sync client
    takes it) is running when a card is scanned: the look-up runs after the step in progress, not
    after the whole sync."""
    import threading

    from gui.screens import desk as screen

    profile, cards = desk_profile
    w, d = open_desk(qtbot, window_factory, profile)
    lock = w.ctx.client.lock
    assert lock is w.ctx.tasks.store_lock
    stepping, done = threading.Event(), threading.Event()
    steps, seen = [0], {}

    def sync() -> None:
        for _ in range(10):
            with lock:
                steps[0] += 1
                stepping.set()
                time.sleep(0.2)
        done.set()

    queued = lock.urgent_queued
    lock.urgent_queued = lambda: (seen.setdefault("queued", steps[0]), queued())
    real = screen.look_up_line
    monkeypatch.setattr(screen, "look_up_line", lambda *a, **k: (seen.setdefault("ran", steps[0]), real(*a, **k))[1])
    t = threading.Thread(target=sync)
    t.start()
    assert stepping.wait(5)
    scan(qtbot, d, cards[0])
    qtbot.waitUntil(lambda: d.pending is not None, timeout=WAIT)
    t.join(10)
    assert done.is_set()
    # The look-up ran as soon as the step under way when it was queued let go: no step after it went first.
    assert seen["ran"] == seen["queued"], seen
