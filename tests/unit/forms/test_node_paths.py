"""XPath node paths in expressions (``./source``, ``../inputs/contact/_id``, ``/data/g/q``), as
community health forms write them: resolved at load to the question they reach."""
from __future__ import annotations

import pytest

from forms import MalformedForm, Session, load_form
from forms.paths import has_path
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label", "relevant", "calculation", "constraint"]
# The shape of a community health app form: an "inputs" group the app fills, read by paths.
HEALTH = [
    HEAD,
    ["begin_group", "inputs", "Inputs", "./source = 'user'", None, None],
    ["text", "source", "Source", None, None, None],
    ["begin_group", "contact", "Contact", None, None, None],
    ["text", "_id", "Id", None, None, None],
    ["text", "name", "Name", None, None, None],
    ["end_group", None, None, None, None, None],
    ["end_group", None, None, None, None, None],
    ["calculate", "patient_id", None, None, "../inputs/contact/_id", None],
    ["calculate", "patient_name", None, None, "/data/inputs/contact/name", None],
    ["begin_repeat", "visits", "Visits", None, None, None],
    ["integer", "weight", "Weight", None, None, "../weight > 0"],
    ["note", "n", "Heavy", "../weight > 50 and ../../patient_id != ''", None, None],
    ["end_repeat", None, None, None, None, None],
]


def load(tmp_path, survey):
    return load_form(write_xlsform(tmp_path / "f.xlsx", survey, None, [["form_id"], ["health"]]))


def test_relative_and_absolute_paths_read_the_question_they_reach(tmp_path):
    s = Session(load(tmp_path, HEALTH))
    assert s.visible("contact") is False            # ./source is empty: the group is not shown
    assert s.visible("source") is False
    s.set("source", "user")                          # read by its group as it is, shown or not
    assert s.visible("inputs") is True and s.visible("source") is True
    s.set("_id", "c-17")
    s.set("name", "Synthetic Person")
    assert s.visible("contact") is True
    assert s.get("patient_id") == "c-17" and s.get("patient_name") == "Synthetic Person"
    k = s.add_repeat("visits")
    s.set("weight", 61, index=k)
    assert s.visible("n", index=k) is True
    s.set("weight", 0, index=k)
    assert [(e.name, e.kind) for e in s.errors()] == [("weight", "constraint")]


def test_a_path_resolves_a_name_used_in_two_groups(tmp_path):
    rows = [HEAD, ["begin_group", "head", "Head", None, None, None], ["integer", "age", "Age", None, None, None],
            ["end_group", None, None, None, None, None], ["begin_group", "spouse", "Spouse", None, None, None],
            ["integer", "age", "Age", None, None, None],
            ["calculate", "gap", None, None, "/data/head/age - ../age", None],
            ["end_group", None, None, None, None, None]]
    s = Session(load(tmp_path, rows))
    s.set("head/age", 50)
    s.set("spouse/age", 47)
    assert s.get("gap") == 3


def test_a_group_shown_by_its_default_input_opens_shown(tmp_path):
    rows = [HEAD + ["default"], ["begin_group", "inputs", "Inputs", "./source = 'user'", None, None, None],
            ["hidden", "source", None, None, None, None, "user"], ["text", "note_text", "Text", None, None, None, None],
            ["end_group", None, None, None, None, None, None]]
    s = Session(load(tmp_path, rows))
    assert s.visible("inputs") and s.visible("note_text")
    s.set("note_text", "x")
    assert s.record() == {"source": "user", "note_text": "x"}
    s2 = Session(s.form, {"source": "app"})
    assert not s2.visible("note_text") and s2.record() == {}


def test_a_group_shown_by_an_answer_deeper_inside_it_is_refused_at_load(tmp_path):
    rows = [HEAD, ["begin_group", "inputs", "Inputs", "./user/source = 'user'", None, None],
            ["begin_group", "user", "User", None, None, None],
            ["text", "source", "Source", None, None, None], ["end_group", None, None, None, None, None],
            ["end_group", None, None, None, None, None]]
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, rows)
    [issue] = info.value.issues
    assert (issue.row, issue.column) == (2, "relevant")
    assert issue.message == ("group 'inputs' is shown only by an answer inside it ('source'); "
                             "a group cannot depend on its own questions")


def test_calculations_in_a_circle_are_refused_at_load_not_when_opened(tmp_path):
    rows = [HEAD, ["calculate", "a", None, None, "${b} + 1", None], ["calculate", "b", None, None, "${a} + 1", None]]
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, rows)
    [issue] = info.value.issues
    assert issue.row in (2, 3) and "depend on each other in a circle" in issue.message


def test_a_path_that_reaches_no_question_is_refused_with_its_row(tmp_path):
    rows = [HEAD, ["begin_group", "g", "G", None, None, None], ["text", "a", "A", None, None, None],
            ["end_group", None, None, None, None, None],
            ["calculate", "c", None, None, "../g/b", None],
            ["calculate", "d", None, None, "../../a", None]]
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, rows)
    found = {(i.row, i.column, i.message) for i in info.value.issues}
    assert (5, "calculation", "the path '../g/b' reaches no question: 'b' is not in 'g'") in found
    assert (6, "calculation", "the path '../../a' goes above the form") in found


@pytest.mark.parametrize("text, expected", [
    ("./source = 'user'", True), ("../a + 1", True), ("/data/a", True), ("${a} + ../b", True),
    ("instance('x')/root/item[name = 'a']/label", False), ("current()/../name", True),
    ("position(..)", False), ("${a} div 2", False), ("'a/b' = ${x}", False), (". > 3", False),
    ("../a > 1 and ../../b = 2", True), ("${a} and /data/b", True),
])
def test_which_expressions_hold_a_node_path(text, expected):
    assert has_path(text) is expected


def test_current_dot_dot_follows_the_tree_where_a_name_is_used_in_two_groups(tmp_path):
    rows = [["type", "name", "label", "choice_filter"],
            ["begin_group", "home", "Home", None], ["select_one regions", "region", "Region", None],
            ["select_one towns", "town", "Town", "region = current()/../region"], ["end_group", None, None, None],
            ["begin_group", "work", "Work", None], ["select_one regions", "region", "Region", None],
            ["select_one towns", "town", "Town", "region = current()/../region"], ["end_group", None, None, None]]
    choices = [["list_name", "name", "label", "region"], ["regions", "north", "North", None],
               ["regions", "south", "South", None], ["towns", "n1", "N1", "north"], ["towns", "s1", "S1", "south"]]
    form = load_form(write_xlsform(tmp_path / "f.xlsx", rows, choices, [["form_id"], ["t"]]))
    s = Session(form, {"home/region": "north", "work/region": "south"})
    assert [c.name for c in s.choices("home/town")] == ["n1"]
    assert [c.name for c in s.choices("work/town")] == ["s1"]
