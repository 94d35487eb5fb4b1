"""A form published at the hub reaches Home by sync, and its manual repeat adds and removes entries."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import forms
from gui_helpers import WAIT, answer, unlock
from sync import protocol
from tests.unit.forms.xlsform import write_xlsform
from test_sync import enroll_in_settings, live  # noqa: F401  (the live server fixture)

SURVEY = [
    ["type", "name", "label::English (en)", "label::Українська (uk)", "constraint", "required"],
    ["select_one_from_file places.csv", "place", "Settlement", "Населений пункт", None, "yes"],
    ["begin_repeat", "visit", "Visit", "Візит"],
    ["text", "who", "Who was met", "З ким зустрілися", None, "yes"],
    ["integer", "people", "People present", "Присутніх", ". > 0", None],
    ["end_repeat"],
]


def publish(hub, folder, version="1", title="Winter NFI check"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "places.csv").write_text("name,label\nsolonka,Solonka\nzymna,Zymna Voda\n", encoding="utf-8")
    path = write_xlsform(folder / "winter_nfi.xlsx", SURVEY,
                         settings=[["form_id", "version", "form_title"], ["winter_nfi", version, title]])
    form = forms.load_form(path)
    hub.publish_form(protocol.PublishedForm.make(form.form_id, form.version, form.title, path.read_bytes(),
                                                 {"places.csv": (folder / "places.csv").read_bytes()}))


def test_a_published_form_arrives_by_sync_and_a_manual_repeat_adds_and_removes(qtbot, window_factory, profile, live, tmp_path):  # noqa: F811
    publish(live.hub, tmp_path / "hubforms")
    w = window_factory(profile)
    unlock(qtbot, w)
    assert "winter_nfi" not in w.home.form_buttons
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: "winter_nfi" in w.home.form_buttons, timeout=WAIT)
    button = w.home.form_buttons["winter_nfi"]
    assert button.text() == "Winter NFI check" and button.isEnabled() and "version 1" in button.toolTip()
    assert w.records.form_box.findData("winter_nfi") >= 0

    w.show_screen("home")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.form_screen is not None, timeout=WAIT)
    fs = w.form_screen
    # The keyboard stays in the form: no part of it opens as a window of its own.
    assert [t for t in QApplication.topLevelWidgets() if t.isVisible()] == [w]
    assert QApplication.activeWindow() is w
    answer(qtbot, fs, "place", "zymna")  # offered from the published CSV choice file
    box = fs.repeats[("visit", ())]
    assert fs.session.repeat_count("visit") == 0
    for _ in range(3):
        qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.built == 3, timeout=WAIT)
    for k, who in enumerate(["First synthetic", "Second synthetic", "Third synthetic"]):
        answer(qtbot, fs, "who", who, (k,))
        answer(qtbot, fs, "people", str(k + 1), (k,))
    remove = box.findChild(type(box.add_button), "remove_visit_1")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.built == 2, timeout=WAIT)
    assert fs.session.repeat_count("visit") == 2
    assert [fs.rows[("who", (k,))].line.text() for k in range(2)] == ["First synthetic", "Third synthetic"]

    qtbot.keyClick(fs, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.form_screen is None, timeout=WAIT)
    got = []
    w.ctx.run(lambda st: [r for r in st.list_records("submission") if r.form_id == "winter_nfi"], got.append, owner=w)
    qtbot.waitUntil(lambda: bool(got), timeout=WAIT)
    [record] = got[0]
    assert record.form_version == "1" and record.fields["place"] == "zymna"
    visits = record.fields["visit"]
    assert [v["who"] for v in visits] == ["First synthetic", "Third synthetic"]
    assert [v["people"] for v in visits] == [1, 3]


def test_a_withdrawn_form_leaves_home_and_a_new_version_replaces_the_title(qtbot, window_factory, profile, live, tmp_path):  # noqa: F811
    publish(live.hub, tmp_path / "v1")
    w = window_factory(profile)
    unlock(qtbot, w)
    enroll_in_settings(qtbot, w, live)
    qtbot.waitUntil(lambda: "winter_nfi" in w.home.form_buttons, timeout=WAIT)
    publish(live.hub, tmp_path / "v2", version="2", title="Winter NFI check, round 2")
    w.ctx.sync_now()
    qtbot.waitUntil(lambda: "winter_nfi" in w.home.form_buttons
                    and w.home.form_buttons["winter_nfi"].text() == "Winter NFI check, round 2", timeout=WAIT)
    live.hub.withdraw_form("winter_nfi")
    w.ctx.sync_now()
    qtbot.waitUntil(lambda: "winter_nfi" not in w.home.form_buttons, timeout=WAIT)
    assert w.records.form_box.findData("winter_nfi") == -1


def test_device_metadata_questions_take_no_typing(qtbot, window_factory, profile, tmp_path):
    """Forms from other tools carry metadata rows (email, phonenumber, subscriberid, simserial):
    they are filled by the device, never shown as empty boxes to type into."""
    from gui.screens.form import FormScreen

    path = write_xlsform(tmp_path / "meta.xlsx", [
        ["type", "name", "label"],
        ["start", "start"], ["email", "email"], ["phonenumber", "phonenumber"],
        ["subscriberid", "subscriberid"], ["simserial", "simserial"], ["deviceid", "deviceid"],
        ["text", "village", "Village"],
    ], settings=[["form_id", "version"], ["meta_check", "1"]])
    w = window_factory(profile)
    unlock(qtbot, w)
    screen = FormScreen(w.ctx, forms.load_form(path))
    qtbot.addWidget(screen)
    assert {name for name, _ in screen.rows} == {"village"}
