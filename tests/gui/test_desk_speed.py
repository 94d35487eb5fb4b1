"""The Desk after many receipts: each save updates the screen by one row, not by rebuilding it."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from distributions import receipts, rounds, stock
from distributions.cards import new_card_code
from storage import Store, crypto

from gui_helpers import PASSPHRASE, WAIT
from gui.screens.desk import REFRESH_MS
from test_desk_screen import open_desk, publish, scan

SERVED = 17  # more than the 15 listed


@pytest.fixture
def busy_profile(tmp_path):
    store, _ = Store.create(tmp_path / "profile", user="Desk One", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    receipts.ensure_indexes(store)
    cards = []
    for i in range(SERVED + 2):
        cards.append(new_card_code())
        store.save_record("household", {"external_ref": f"H-{i}", "head_name": f"Синтетична {i}", "hh_size": 2,
                                        "card_code": cards[-1]})
    rnd = publish(store)
    stock.move(store, rnd, type_="receive", item="FOOD", qty=100, waybill="W-1")
    rnd = rounds.held_round(store, rnd.round_id)
    for h in list(store.list_records("household"))[:SERVED]:
        receipts.record_receipt(store, rnd, h, team=None)
    served = {r.fields["household"] for r in store.list_records("receipt")}
    fresh = [r.fields["card_code"] for r in store.list_records("household") if r.id not in served]
    store.close()
    return tmp_path / "profile", fresh


def test_a_save_adds_one_row_and_keeps_fifteen(qtbot, window_factory, busy_profile, monkeypatch):
    profile, fresh = busy_profile
    w, d = open_desk(qtbot, window_factory, profile)
    qtbot.waitUntil(lambda: not w.ctx.tasks.busy() and not d.refresh_timer.isActive(), timeout=WAIT)
    qtbot.wait(REFRESH_MS + 100)  # counts asked for while the profile opened have come back
    qtbot.waitUntil(lambda: not w.ctx.tasks.busy(), timeout=WAIT)
    assert d.recent.count() == 15 and d.summary.served == SERVED
    d.recent.setCurrentRow(3)
    chosen = d.recent.currentItem().data(Qt.ItemDataRole.UserRole)
    rebuilt = []
    monkeypatch.setattr(d.recent, "clear", lambda: rebuilt.append(True))
    for code in fresh:
        with qtbot.waitSignal(d.saved, timeout=WAIT) as saved:
            scan(qtbot, d, code)
            qtbot.keyClick(d.scan, Qt.Key.Key_Return)
        assert d.recent.item(0).data(Qt.ItemDataRole.UserRole) == saved.args[0]
    assert not rebuilt
    assert d.recent.count() == 15 and len(d.summary.recent) == 15
    assert d.summary.served == SERVED + 2 and "81 kit left" in d.stock.text()
    assert d.recent.currentItem().data(Qt.ItemDataRole.UserRole) == chosen  # the supervisor's choice stays chosen


def test_the_receipts_a_sync_brought_are_read_on_the_sync_thread_not_by_the_next_save(qtbot, window_factory,
                                                                                     busy_profile, monkeypatch):
    """A pull of many receipts used to leave them for the first receipt saved after it to read
    (0.2-0.7 s for 10,000) while the household waited. The Desk now reads them on the sync thread,
    as soon as the sync ends (Context.after_sync)."""
    import threading

    from sync.client import SyncState

    profile, fresh = busy_profile
    w, d = open_desk(qtbot, window_factory, profile)
    qtbot.waitUntil(lambda: not w.ctx.tasks.busy() and not d.refresh_timer.isActive(), timeout=WAIT)
    qtbot.wait(REFRESH_MS + 100)
    qtbot.waitUntil(lambda: not w.ctx.tasks.busy(), timeout=WAIT)
    with w.ctx.tasks.store_lock:  # what a pull applies: another desk's receipts
        hids = [r.id for r in w.store.list_records("household")][:SERVED]
        w.store.save_records("receipt", [{"round": "R-GUI", "household": h, "hh_round": f"R-GUI|{h}", "items": {"FOOD": 1},
                                          "collector": "head", "desk": "other-desk", "at": "2026-12-02T10:00:00+00:00"}
                                         for h in hids])
    puts = []
    real_put = stock._Distributed._put
    monkeypatch.setattr(stock._Distributed, "_put", lambda self, rid, f: (puts.append(rid), real_put(self, rid, f))[1])
    t = threading.Thread(target=w.ctx.loop.on_state, args=(SyncState("up_to_date"),))  # the sync loop's report
    t.start()
    t.join(10)
    assert len(set(puts)) >= SERVED  # read there, at once
    puts.clear()
    with qtbot.waitSignal(d.saved, timeout=WAIT) as saved:
        scan(qtbot, d, fresh[0])
        qtbot.keyClick(d.scan, Qt.Key.Key_Return)
    assert set(puts) == {saved.args[0]}  # the save read only its own receipt
