"""The Registry screen: search in either script, the review queue by keyboard, registering
with the duplicate check, and matching that never holds the GUI thread."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from distributions import registry, review
from storage import Store

from gui_helpers import PASSPHRASE, WAIT, unlock
from tests.unit.distributions.test_review import HOUSEHOLDS, TAX


def seed(profile, households=HOUSEHOLDS):
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    registry.ensure_indexes(store)
    ids = [store.save_record("household", {**h, "import_key": "ref:" + h["external_ref"]}) for h in households]
    store.close()
    return ids


def open_registry(qtbot, window_factory, profile):
    w = window_factory(profile)
    unlock(qtbot, w)
    qtbot.waitUntil(lambda: hasattr(w, "home"), timeout=WAIT)
    w.ctx.loop.stop()
    w.show_screen("registry")
    screen = w.registry
    qtbot.waitUntil(lambda: screen.index is not None, timeout=WAIT)
    return w, screen


def test_search_finds_a_household_in_either_script_and_shows_it(qtbot, window_factory, profile):
    ids = seed(profile)
    w, screen = open_registry(qtbot, window_factory, profile)
    assert "5 household(s)" in screen.status.text()
    screen.search.insert("Олександр Шевченко")  # the test driver types ASCII only
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.results.rowCount() == 2, timeout=WAIT)
    names = {screen.results.item(r, 0).text() for r in range(2)}
    assert names == {"Шевченко Олександр Петрович", "Aleksandr Shevchenko"}
    qtbot.waitUntil(lambda: "Date of birth" in screen.detail.toPlainText(), timeout=WAIT)
    screen.search.clear()
    qtbot.keyClicks(screen.search, "050 111 22 33")
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.results.rowCount() == 2 and "Bondarenko" in
                    " ".join(screen.results.item(r, 0).text() for r in range(2)), timeout=WAIT)
    assert screen.result_ids == ids[3:]


def test_the_review_queue_is_decided_from_the_keyboard(qtbot, window_factory, profile):
    ids = seed(profile)
    w, screen = open_registry(qtbot, window_factory, profile)
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: screen.queue_list.count() == 2, timeout=WAIT)
    assert screen.queue_list.hasFocus() or screen.queue_list.currentRow() == 0
    # Side by side, with the differences marked and the reasons with their weights.
    table = screen.pair_table
    cells = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert cells["Head of household"] == ("Шевченко Олександр Петрович", "Aleksandr Shevchenko")
    reasons = [screen.reasons.item(i).text() for i in range(screen.reasons.count())]
    assert any("same tax number" in r and "+10.0" in r for r in reasons)
    assert any("names match across scripts" in r for r in reasons)
    # 2 = different: the reason is asked for, Return with none is refused in words.
    screen.queue_list.setFocus()
    qtbot.keyClick(screen.queue_list, Qt.Key.Key_2)
    assert screen.verdict == "different" and screen.reason.hasFocus()
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    assert "reason" in screen.decision_message.text()
    # 1 = same, a reason, Return: saved, and the next pair is shown.
    screen.queue_list.setFocus()
    qtbot.keyClick(screen.queue_list, Qt.Key.Key_1)
    qtbot.keyClicks(screen.reason, "one tax number")
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.queue_list.count() == 1, timeout=WAIT)
    assert screen.queue[0].ref_a == "E-1" and screen.queue_list.currentRow() == 0 and screen.reason.text() == ""
    # U on a Ukrainian layout is "Н": unsure needs no reason.
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    QApplication.sendEvent(screen.queue_list, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Y, Qt.KeyboardModifier.NoModifier, "н"))
    assert screen.verdict == "unsure"
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.queue_list.count() == 0, timeout=WAIT)
    assert "0 pair(s)" in screen.queue_label.text() and not screen.save_button.isEnabled()
    with w.ctx.tasks.store_lock:
        store = w.ctx.store
        assert [d["verdict"] for d in review.decisions(store)] == ["same", "unsure"]
        assert store.get_record(ids[1]).fields["duplicate_of"] == ids[0]
        assert store.pending_count() >= 2  # the decisions wait for sync


def _fill(qtbot, dialog, **values):
    for name, value in values.items():
        qtbot.keyClicks(dialog.edits[name], value)


def test_registering_asks_on_a_likely_duplicate_and_refuses_an_exact_one(qtbot, window_factory, profile):
    seed(profile)
    w, screen = open_registry(qtbot, window_factory, profile)
    from gui.screens.registry import RegisterDialog

    qtbot.mouseClick(screen.register_button, Qt.MouseButton.LeftButton)
    dialog = screen.findChild(RegisterDialog)
    qtbot.waitUntil(lambda: dialog.edits["head_name"].hasFocus(), timeout=WAIT)
    _fill(qtbot, dialog, head_name="Bondarenko Serhii", dob="05.06.1980", phone="0501112233")
    qtbot.keyClick(dialog.edits["phone"], Qt.Key.Key_Return)  # Return registers
    qtbot.waitUntil(lambda: dialog.findChild(QMessageBox, "likelyDuplicate") is not None, timeout=WAIT)
    box = dialog.findChild(QMessageBox, "likelyDuplicate")
    assert "Бондаренко Сергій" in box.text() and "Bondarenko Sergii" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    before = len(screen.households)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: len(screen.households) == before + 1, timeout=WAIT)
    assert "Card code" in screen.status.text()
    # The same tax number: refused, the existing household shown, nothing saved.
    qtbot.mouseClick(screen.register_button, Qt.MouseButton.LeftButton)
    dialog = [d for d in screen.findChildren(RegisterDialog) if d.isVisible()][0]
    _fill(qtbot, dialog, head_name="Petrenko Ivan", tax_number=TAX)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.findChild(QMessageBox, "alreadyRegistered") is not None, timeout=WAIT)
    shown = dialog.findChild(QMessageBox, "alreadyRegistered").text()
    assert "same tax number" in shown and "Шевченко Олександр Петрович" in shown and "Nothing was saved" in shown
    with w.ctx.tasks.store_lock:
        assert w.ctx.store.count_records("household") == before + 1
    # A bad date is named by its label, and the focus goes to it.
    dialog.findChild(QMessageBox, "alreadyRegistered").close()
    dialog.edits["tax_number"].clear()
    dialog.edits["dob"].setText("31.02.1990")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Date of birth" in dialog.message.text(), timeout=WAIT)
    assert dialog.focusWidget() is dialog.edits["dob"]  # (the window may not be active offscreen)


def test_matching_a_big_registry_runs_off_the_gui_thread_with_progress(qtbot, window_factory, profile):
    from distributions import synthetic

    data = synthetic.generate(6000, dup_rate=0.1, seed=3)  # matching takes over a second
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    registry.ensure_indexes(store)
    store.save_records("household", [{"head_name": r["head_name"], "dob": r.get("dob") or None,
                                      "external_ref": r["reg_id"]} for r in data.rows])
    store.close()
    w, screen = open_registry(qtbot, window_factory, profile)
    stages, longest, last = [], [0.0], [time.perf_counter()]
    screen.progress.valueChanged.connect(lambda v: stages.append(screen.status.text()))

    def tick():
        now = time.perf_counter()
        longest[0] = max(longest[0], now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    started = QElapsedTimer()
    started.start()
    screen.tabs.setCurrentIndex(1)
    last[0] = time.perf_counter()
    qtbot.waitUntil(lambda: screen.queue_list.count() > 100, timeout=60_000)
    timer.stop()
    assert any("Comparing" in s or "Grouping" in s or "Reading" in s for s in stages)
    assert screen.progress.isHidden()
    # Generous on a shared machine: the point is that matching (seconds) never runs on it.
    assert longest[0] < 0.5, f"the GUI thread was held {longest[0] * 1000:.0f} ms"
