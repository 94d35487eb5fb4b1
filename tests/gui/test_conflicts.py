"""Conflicts, named and shown: the record as the lists name it, the question by its label,
both values with who wrote each and when, a confirmation before Keep or Restore, and a
badge on Home and in the status bar while any are open."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from storage import Store, hlc
from sync.merge import merge_change

from gui_helpers import PASSPHRASE, WAIT, unlock

OTHER_LAPTOP = "9f8e7d6c5b4a3928"  # a synthetic device id


def _record_with_a_conflict(profile) -> str:
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    rid = store.save_record("submission", {"consent": "yes", "assessment_date": "2026-03-02", "oblast": "UA63",
                                           "raion": "UA6312", "hromada": "UA6312027", "displacement_status": "idp"},
                            form_id="household_needs", form_version="2026.11.1")
    store.acknowledge(store.last_seq())
    store.edit_record(rid, {"displacement_status": "returnee"})
    # Meanwhile, without having seen that edit, another laptop answered "host community" a minute earlier.
    ours = store.get_record(rid).clocks["displacement_status"].split("@")[0]
    earlier = hlc.encode(hlc.decode(ours) - (60_000 << 16))
    store.apply_changes([{"device_id": OTHER_LAPTOP, "seq": 1, "record_id": rid, "kind": "submission", "hlc": earlier,
                          "fields": {"displacement_status": "non_displaced"}, "form_id": "household_needs",
                          "form_version": "2026.11.1"}], merge=merge_change)
    assert store.open_conflict_count() == 1
    store.close()
    return rid


def _confirm_box(w):
    boxes = [b for b in w.findChildren(QMessageBox, "confirmConflict") if b.isVisible()]
    return boxes[0] if boxes else None


def test_conflict_is_named_shown_with_both_authors_and_confirmed(qtbot, window_factory, profile):
    _record_with_a_conflict(profile)
    w = window_factory(profile)
    unlock(qtbot, w)
    # Home and the status bar say so, not only "Up to date".
    qtbot.waitUntil(lambda: w.home.banner.isVisible() and w.conflicts_badge.isVisible(), timeout=WAIT)
    assert w.conflicts_badge.text() == "1 conflict(s) to review"
    assert "1 conflict(s) to review" in w.home.banner_text.text()
    qtbot.mouseClick(w.home.findChild(QPushButton, "reviewConflicts"), Qt.MouseButton.LeftButton)
    assert w.stack.currentWidget() is w.sync_screen
    s = w.sync_screen
    qtbot.waitUntil(lambda: s.table.rowCount() == 1, timeout=WAIT)
    cells = [s.table.item(0, c).text() for c in range(4)]
    # The record as Home names it (its form and the form's instance name), the question by its label.
    assert cells[0].startswith("Household needs") and "2026-03-02" in cells[0]
    assert cells[1] == "Displacement status of the household"
    current, current_by = cells[2].split("\n")
    lost, lost_by = cells[3].split("\n")
    assert current == "Returned to their home area" and lost != "non_displaced" and "non_displaced" not in cells[3]
    assert current_by.startswith("Enumerator One, this laptop, ")
    assert lost_by.startswith(f"another laptop ({OTHER_LAPTOP[:8]}), ") and "Enumerator One" not in lost_by

    # Keep asks first; Cancel changes nothing.
    s.table.selectRow(0)
    qtbot.mouseClick(s.findChild(QPushButton, "conflictKeep"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _confirm_box(w) is not None, timeout=WAIT)
    box = _confirm_box(w)
    said = box.text() + box.informativeText()
    assert current in said and lost in said and "Displacement status of the household" in said
    assert cells[0] in said  # the record, named as in the list
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: _confirm_box(w) is None, timeout=WAIT)
    done = []
    w.ctx.run(lambda st: st.open_conflict_count(), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    assert done == [1] and s.table.rowCount() == 1

    # Restore asks too, and then restores.
    qtbot.mouseClick(s.findChild(QPushButton, "conflictRestore"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _confirm_box(w) is not None, timeout=WAIT)
    box = _confirm_box(w)
    assert lost in box.text() and "every laptop" in box.informativeText()
    [restore] = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    restore.click()
    qtbot.waitUntil(lambda: s.table.rowCount() == 0 and not w.conflicts_badge.isVisible()
                    and not w.home.banner.isVisibleTo(w.home), timeout=WAIT)
    got = []
    w.ctx.run(lambda st: [r.fields["displacement_status"] for r in st.list_records("submission")], got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=WAIT)
    assert got == [["non_displaced"]]


def test_both_values_name_their_authors_when_the_changes_carried_them(qtbot, window_factory, profile):
    # Issue 13's last gap: another laptop's value was credited to "another laptop (id)" only.
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    rid = store.save_record("submission", {"consent": "yes", "assessment_date": "2026-03-02",
                                           "displacement_status": "idp"},
                            form_id="household_needs", form_version="2026.11.1")
    ours = store.get_record(rid).clocks["displacement_status"].split("@")[0]
    store.apply_changes([
        # A minute later and unseen by us: it wins, and our value is the conflict's loser.
        {"device_id": OTHER_LAPTOP, "seq": 1, "record_id": rid, "kind": "submission",
         "hlc": hlc.encode(hlc.decode(ours) + (60_000 << 16)), "fields": {"displacement_status": "returnee"},
         "form_id": "household_needs", "form_version": "2026.11.1", "author": "Synthetic Mariia"},
        # From a third laptop, older and unseen: it loses on arrival, and keeps its author with the conflict.
        {"device_id": "1a2b3c4d5e6f7081", "seq": 1, "record_id": rid, "kind": "submission",
         "hlc": hlc.encode(hlc.decode(ours) - (60_000 << 16)), "fields": {"displacement_status": "non_displaced"},
         "form_id": "household_needs", "form_version": "2026.11.1", "author": "Synthetic Taras"},
    ], merge=merge_change)
    assert store.open_conflict_count() == 2
    store.close()
    w = window_factory(profile)
    unlock(qtbot, w)
    w.show_screen("sync")
    s = w.sync_screen
    qtbot.waitUntil(lambda: s.table.rowCount() == 2, timeout=WAIT)
    rows = [[s.table.item(r, c).text() for c in range(4)] for r in range(2)]
    currents = {row[2].split("\n")[1].rsplit(", ", 1)[0] for row in rows}
    losts = {row[3].split("\n")[1].rsplit(", ", 1)[0] for row in rows}
    assert currents == {f"Synthetic Mariia, another laptop ({OTHER_LAPTOP[:8]})"}
    assert losts == {"Enumerator One, this laptop", "Synthetic Taras, another laptop (1a2b3c4d)"}
