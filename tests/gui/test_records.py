"""The records list: search, sorting off the GUI thread, and the row a button acts on."""
from __future__ import annotations

import random

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
                    rnd.choice(["2026.1", "2026.2", ""]))
    return rows


@pytest.mark.parametrize("column", [0, 1, 2])
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_chunked_sort_orders_rows_as_one_stable_sort_would(monkeypatch, column, order):
    from gui.screens import records

    monkeypatch.setattr(records, "SORT_CHUNK", 97)  # many runs to merge, with ties across them
    rows = _rows(1000)
    descending = order == Qt.SortOrder.DescendingOrder
    if column == 0:
        expected = sorted(range(1000), key=rows.ids.__getitem__, reverse=descending)
    else:
        expected = sorted(range(1000), key=rows.column(column).__getitem__, reverse=descending)
    got = records.sort_order(rows, column, order)
    assert [rows.column(column)[i] for i in got] == [rows.column(column)[i] for i in expected]
    assert sorted(got) == list(range(1000))  # every row once
    if column:
        assert got == expected  # ties keep the order they were saved in, as a stable sort does


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
    shown = lambda: [r.model.index(i, 1).data() for i in range(r.model.rowCount())]  # noqa: E731
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
    click_at = QPoint(header.sectionViewportPosition(1) + header.sectionSize(1) // 2, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=click_at)
    if header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder:  # a first click's order is the style's
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=click_at)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (1, Qt.SortOrder.AscendingOrder)
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
