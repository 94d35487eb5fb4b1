"""The records list: search, sorting off the GUI thread, and the row a button acts on."""
from __future__ import annotations

import random
import time

import pytest
from PySide6.QtCore import QPoint, Qt

from storage import Store

from gui_helpers import PASSPHRASE, unlock

WAIT = 15000


def _rows(n: int, seed: int = 7):
    from gui.screens.records import RowSet

    rnd = random.Random(seed)
    rows = RowSet()
    for i in range(n):
        rows.append(f"id{i:06d}", f"2026-11-{i % 28 + 1:02d}", f"Synthetic {rnd.choice('ABCDE')}{rnd.randrange(50)}",
                    rnd.choice(["2026.1", "2026.2", ""]), rnd.choice(["Draft", "Synced"]),
                    f"{rnd.randrange(1 << 40):016x}@dev")
    return rows


@pytest.mark.parametrize("column", [0, 1, 2, 3])
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_chunked_sort_orders_rows_as_one_stable_sort_would(monkeypatch, column, order):
    from gui.screens import records

    monkeypatch.setattr(records, "SORT_CHUNK", 97)  # many runs to merge, with ties across them
    rows = _rows(1000)
    descending = order == Qt.SortOrder.DescendingOrder
    keys = rows.stamps if column == 0 else rows.column(column)  # "Saved" sorts by the last change's stamp
    expected = sorted(range(1000), key=keys.__getitem__, reverse=descending)
    got = records.sort_order(rows, column, order)
    assert [keys[i] for i in got] == [keys[i] for i in expected]
    assert sorted(got) == list(range(1000))  # every row once
    assert got == expected  # ties keep the order they were saved in, as a stable sort does


def test_saved_sorts_without_sorting_when_the_last_changes_are_in_row_order():
    from gui.screens import records

    rows = records.RowSet()
    for i in range(50):
        rows.append(f"id{i:06d}", "2026-11-27", "Synthetic", "2026.1", "Synced", f"{i:016x}@dev")
    assert rows.in_order
    assert records.sort_order(rows, 0, Qt.SortOrder.DescendingOrder) == list(range(49, -1, -1))
    rows.append("id000050", "2026-11-26", "Synthetic", "2026.1", "Synced", f"{7:016x}@dev")  # edited, say, earlier
    assert not rows.in_order
    assert records.sort_order(rows, 0, Qt.SortOrder.AscendingOrder)[:9] == [0, 1, 2, 3, 4, 5, 6, 7, 50]


def test_search_ignores_case_looks_in_every_shown_column_and_keeps_the_order():
    from gui.screens.records import matching

    rows = _rows(300)
    order = list(range(299, -1, -1))
    got = matching(rows, order, "  synthetic a1 ")
    assert got and all("Synthetic A1" in rows.answers[i] for i in got)
    assert got == [i for i in order if "Synthetic A1" in rows.answers[i]]
    assert set(matching(rows, order, "2026.2")) == {i for i in range(300) if rows.versions[i] == "2026.2"}
    assert matching(rows, order, "2026-11-03") == [i for i in order if rows.saved[i] == "2026-11-03"]
    assert matching(rows, order, "") is order
    assert matching(rows, order, "no such thing") == []


def _profile_with_households(profile, settlements):
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    ids = store.save_records("submission", [{"consent": "yes", "settlement": s} for s in settlements],
                             form_id="household_needs", form_version="2026.11.1")
    store.close()
    return ids


def test_search_sort_and_the_selected_record_follow_what_is_shown(qtbot, window_factory, profile):
    settlements = ["Synthetic Birch", "Synthetic Alder", "Synthetic Cedar 1", "Synthetic Cedar 2", "Synthetic Ash"]
    ids = _profile_with_households(profile, settlements)
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 5, timeout=WAIT)
    shown = lambda: [r.model.index(i, 2).data() for i in range(r.model.rowCount())]  # noqa: E731
    assert "Synthetic Ash" in shown()[0]  # newest first
    assert r.count.text() == "5 record(s)"

    qtbot.keyClicks(r.search, "CEDAR")
    qtbot.waitUntil(lambda: r.model.rowCount() == 2, timeout=WAIT)
    assert [s.split(" · ")[-1] for s in shown()] == ["Synthetic Cedar 2", "Synthetic Cedar 1"]
    assert r.count.text() == "2 of 5 record(s) match"
    r.table.selectRow(1)
    assert r.selected_id() == ids[2]

    # Sorting by the answers happens off the GUI thread, and the search still applies.
    header = r.table.horizontalHeader()
    click_at = QPoint(header.sectionViewportPosition(2) + header.sectionSize(2) // 2, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=click_at)
    if header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder:  # a first click's order is the style's
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=click_at)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (2, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: [s.split(" · ")[-1] for s in shown()] == ["Synthetic Cedar 1", "Synthetic Cedar 2"],
                    timeout=WAIT)
    r.table.selectRow(1)
    assert r.selected_id() == ids[3]

    r.search.clear()
    qtbot.waitUntil(lambda: r.model.rowCount() == 5, timeout=WAIT)
    assert [s.split(" · ")[-1] for s in shown()] == sorted(settlements)
    assert r.count.text() == "5 record(s)"

    # A new record arriving (a save, a sync) reloads the list in the same order and search.
    qtbot.keyClicks(r.search, "synthetic a")
    qtbot.waitUntil(lambda: r.model.rowCount() == 2, timeout=WAIT)
    done = []
    w.ctx.run(lambda st: st.save_record("submission", {"consent": "yes", "settlement": "Synthetic Aspen"},
                                        form_id="household_needs", form_version="2026.11.1"), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    w.ctx.saved()
    qtbot.waitUntil(lambda: r.model.rowCount() == 3, timeout=WAIT)
    assert [s.split(" · ")[-1] for s in shown()] == ["Synthetic Alder", "Synthetic Ash", "Synthetic Aspen"]
    assert r.count.text() == "3 of 6 record(s) match"


def test_each_row_shows_its_state_and_saved_shows_the_last_change(qtbot, window_factory, profile):
    """Draft, finalised and waiting to sync, or synced; and "Saved" moves with an edit."""
    from gui.attribution import when_text
    from gui.context import record_time

    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    old = store.save_record("submission", {"consent": "yes", "settlement": "Synthetic Synced"},
                            form_id="household_needs", form_version="2026.11.1")
    store.acknowledge(store.last_seq())  # the hub has it
    waiting = store.save_record("submission", {"consent": "yes", "settlement": "Synthetic Waiting"},
                                form_id="household_needs", form_version="2026.11.1")
    draft = store.save_record("draft", {"consent": "yes", "settlement": "Synthetic Draft"},
                              form_id="household_needs", form_version="2026.11.1")
    store.close()
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 3, timeout=WAIT)
    assert [r.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == ["Saved", "State", "Answers",
                                                                                    "Form version"]

    def state_of(settlement):
        for i in range(r.model.rowCount()):
            if settlement in r.model.index(i, 2).data():
                return r.model.index(i, 1).data(), r.model.index(i, 0).data(), r.model.record_id(i)
        raise AssertionError(settlement)

    assert state_of("Synthetic Synced")[0] == "Synced"
    assert state_of("Synthetic Waiting")[0] == "Finalised, waiting to sync"
    assert state_of("Synthetic Draft")[0] == "Draft"
    assert state_of("Synthetic Draft")[2] == draft

    # An edit made days later (the store's clock moved on): "Saved" shows it, and the
    # record waits to sync again.
    later = time.time() + 3 * 86400
    done = []

    def edit(st):
        st.clock.observe(int(later * 1000) << 16)
        return st.edit_record(old, {"settlement": "Synthetic Synced Edited"})

    w.ctx.run(edit, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    w.ctx.saved()
    qtbot.waitUntil(lambda: r.model.rowCount() == 3 and "Edited" in r.model.index(0, 2).data(), timeout=WAIT)
    state, saved, rid = state_of("Synthetic Synced Edited")
    assert rid == old and state == "Finalised, waiting to sync"
    assert saved == when_text(later) != when_text(record_time(old))
    assert state_of("Synthetic Waiting")[0] == "Finalised, waiting to sync"
    assert waiting in r.model.rows.ids


def test_the_selected_record_stays_selected_when_the_list_reloads(qtbot, window_factory, profile):
    """A save or a sync reloads the list; the person's selection must survive it (Edit and
    Delete act on the selection)."""
    w = window_factory(profile)
    unlock(qtbot, w)
    ids = []
    w.ctx.run(lambda st: st.save_records("submission", ({"n": i} for i in range(3)), form_id="household_needs",
                                         form_version="1"),
              lambda got: ids.extend(got))
    qtbot.waitUntil(lambda: len(ids) == 3, timeout=WAIT)
    w.show_screen("records")
    r = w.records
    r.show_form("household_needs")
    qtbot.waitUntil(lambda: r.model.rowCount() == 3, timeout=WAIT)
    r.table.selectRow(1)
    chosen = r.selected_id()
    loads = []
    r.model.modelReset.connect(lambda: loads.append(1))
    r.reload()
    qtbot.waitUntil(lambda: bool(loads), timeout=WAIT)
    assert r.selected_id() == chosen
    r.model.set_search("no record matches this")
    assert r.selected_id() is None
    r.model.set_search("")
