"""rank and geotrace/geoshape on the form screen: ordered and entered with the keyboard."""
from __future__ import annotations

from gui_helpers import unlock
from PySide6.QtCore import Qt

from forms import load_form
from gui.list_editors import PointError, parse_points, points_problem
from gui.screens.form import FormScreen
from tests.unit.forms.xlsform import write_xlsform

ALT = Qt.KeyboardModifier.AltModifier


def screen_for(qtbot, window_factory, profile, tmp_path, rows, choices=None):
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [["type", "name", "label", "required"]] + rows, choices,
                                   [["form_id", "version"], ["lists", "1"]]))
    w = window_factory(profile)
    unlock(qtbot, w)
    screen = FormScreen(w.ctx, form)
    qtbot.addWidget(screen)
    screen.show()
    return screen


NEEDS = [["list_name", "name", "label"], ["need", "water", "Water"], ["need", "food", "Food"],
         ["need", "shelter", "Shelter"]]


def test_rank_is_ordered_with_alt_arrows_and_unanswered_until_then(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["rank need", "priorities", "Rank the needs", "yes"]],
                        NEEDS)
    row = screen.rows[("priorities", ())]
    view = row.rank.view
    assert [view.item(k).text() for k in range(3)] == ["1. Water", "2. Food", "3. Shelter"]
    assert screen.session.get("priorities") == ""  # shown in the form's order, but not yet an answer
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)            # a plain arrow picks Food, moves nothing
    assert view.currentRow() == 1 and screen.session.get("priorities") == ""
    qtbot.keyClick(view, Qt.Key.Key_Up, ALT)          # Food first
    assert screen.session.get("priorities") == "food water shelter"
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Down, ALT)        # Food last
    assert screen.session.get("priorities") == "water shelter food"
    assert view.currentItem().text() == "3. Food"     # the moved option keeps the keyboard, renumbered
    assert screen.session.errors() == []
    row.rank.clear.click()
    assert screen.session.get("priorities") == ""
    assert [e.kind for e in screen.session.errors()] == ["required"]
    row.rank.keep.click()
    assert screen.session.get("priorities") == "water shelter food"


def test_a_dragged_option_sets_the_ranking(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["rank need", "priorities", "Rank", None]], NEEDS)
    view = screen.rows[("priorities", ())].rank.view
    # A drop in an internal-move list moves the row in its model, as this does.
    view.model().moveRow(view.rootIndex(), 2, view.rootIndex(), 0)
    assert screen.session.get("priorities") == "shelter water food"
    assert view.item(0).text() == "1. Shelter"


def test_points_are_typed_added_with_enter_and_a_bad_one_is_refused(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["geoshape", "plot", "Plot boundary", None]])
    ed = screen.rows[("plot", ())].points
    ed.entry.setFocus()
    qtbot.keyClicks(ed.entry, "95 30.5")
    qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert ed.entry_error.text() == "Latitude must be between -90 and 90."
    assert ed.view.count() == 0 and ed.entry.text() == "95 30.5"      # kept to be corrected
    ed.entry.clear()
    for typed in ("50.45 30.52", "50.46 30.52 170 5"):
        qtbot.keyClicks(ed.entry, typed)
        qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert ed.entry_error.isHidden() and ed.view.count() == 2
    assert ed.status.text() == "Points: 2." and ed.problem == "A shape needs at least three different points."
    assert [e.kind for e in screen.session.errors()] == ["type"]
    assert screen.rows[("plot", ())].message.text() == "A shape needs at least three different points."
    assert ed.view.count() == 2                                          # the refused list stays as typed
    qtbot.keyClicks(ed.entry, "50.46 30.53 0 -1")
    qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert ed.entry_error.text() == "Accuracy is a distance in metres and cannot be negative."
    ed.entry.clear()
    qtbot.keyClicks(ed.entry, "50.46 30.53")
    qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert screen.session.errors() == []
    assert screen.session.get("plot") == "50.45 30.52; 50.46 30.52 170 5; 50.46 30.53; 50.45 30.52"
    assert ed.status.text() == "Points: 3; the shape is closed back to point 1."
    assert ed.view.item(1).text() == "2. latitude 50.46, longitude 30.52, altitude 170 m, accuracy 5 m"


def test_a_point_typed_and_left_with_tab_is_added_not_lost(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["geotrace", "road", "Road", None],
                                                                   ["text", "after", "After", None]])
    ed = screen.rows[("road", ())].points
    screen.activateWindow()
    qtbot.waitUntil(screen.isActiveWindow)            # focus leaves a field only in an active window
    ed.entry.setFocus()
    qtbot.waitUntil(ed.entry.hasFocus)
    qtbot.keyClicks(ed.entry, "50.1 30.1; 50.2 30.2")
    qtbot.keyClick(ed.entry, Qt.Key.Key_Tab)
    assert not ed.entry.hasFocus()
    assert ed.points() == ["50.1 30.1", "50.2 30.2"] and ed.entry.text() == ""
    assert screen.session.get("road") == "50.1 30.1; 50.2 30.2"
    ed.add.click()                                    # nothing typed: said so, nothing added
    assert ed.entry_error.text() == "Type a point first, e.g. 50.45 30.52." and ed.view.count() == 2


def test_a_shape_on_one_line_is_warned_about_in_the_editor(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["geoshape", "plot", "Plot", None]])
    ed = screen.rows[("plot", ())].points
    ed.entry.setText("50.1 30.1; 50.2 30.2; 50.3 30.3")
    qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert ed.status.text() == "The points lie on one line; a shape needs points around an area."


def test_a_point_is_moved_and_deleted_with_keys(qtbot, window_factory, profile, tmp_path):
    screen = screen_for(qtbot, window_factory, profile, tmp_path, [["geotrace", "road", "Road", None]])
    ed = screen.rows[("road", ())].points
    ed.entry.setFocus()
    qtbot.keyClicks(ed.entry, "50.1 30.1; 50.2 30.2; 50.3 30.3")   # several at once, as a GPS export gives them
    qtbot.keyClick(ed.entry, Qt.Key.Key_Return)
    assert screen.session.get("road") == "50.1 30.1; 50.2 30.2; 50.3 30.3"
    ed.view.setFocus()
    ed.view.setCurrentRow(2)
    qtbot.keyClick(ed.view, Qt.Key.Key_Up, ALT)
    assert screen.session.get("road") == "50.1 30.1; 50.3 30.3; 50.2 30.2"
    qtbot.keyClick(ed.view, Qt.Key.Key_Delete)
    assert screen.session.get("road") == "50.1 30.1; 50.2 30.2"
    ed.view.setCurrentRow(0)
    qtbot.keyClick(ed.view, Qt.Key.Key_Delete)
    assert [e.kind for e in screen.session.errors()] == ["type"]
    screen.refresh_messages()
    assert screen.rows[("road", ())].message.text() == "A line needs at least two different points."


def test_a_saved_shape_reopens_as_its_points_without_the_closing_one(qtbot, window_factory, profile, tmp_path):
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [["type", "name", "label"], ["geoshape", "plot", "Plot"]],
                                   None, [["form_id", "version"], ["lists", "1"]]))
    w = window_factory(profile)
    unlock(qtbot, w)
    screen = FormScreen(w.ctx, form, answers={"plot": "50.1 30.1; 50.2 30.1; 50.2 30.2; 50.1 30.1"})
    qtbot.addWidget(screen)
    assert screen.rows[("plot", ())].points.points() == ["50.1 30.1", "50.2 30.1", "50.2 30.2"]


def test_point_parsing_and_list_problems_in_words(qapp):
    assert parse_points("50.45 30.52; 50.46, 30.53") == ["50.45 30.52", "50.46 30.53"]
    for text, message in (("50.45", "A point is latitude and longitude"), ("50.45 east", "written in numbers"),
                          ("50 200", "Longitude must be between -180 and 180."),
                          ("50 30; 50 x", "Point 2: A point is written in numbers")):
        try:
            parse_points(text)
        except PointError as exc:
            assert message in str(exc), (text, str(exc))
        else:
            raise AssertionError(text)
    assert points_problem("geoshape", ["50 30", "50.1 30.1", "50.2 30.2"]) == \
        "The points lie on one line; a shape needs points around an area."
    assert points_problem("geoshape", ["50 30", "50.1 30", "50.1 30.1"]) == ""
    assert points_problem("geotrace", ["50 30", "50 30"]) == "A line needs at least two different points."
