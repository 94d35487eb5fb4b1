"""The same question name in two groups: allowed as the reference standard allows it.

Such questions are keyed by their group paths (``head/age``, ``spouse/age``); every other
question keeps its name, so forms without repeated names and their records are unchanged.
``${age}`` naming one of them is refused as the reference converter refuses it, but only
when something refers to it.
"""
from __future__ import annotations

import pytest

from forms import MalformedForm, Session, load_form
from forms.export import export_records
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label", "relevant", "constraint", "calculation"]
CHOICES = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
           ["src", "well", "Well"], ["src", "tap", "Tap"]]

# As household surveys write it: the head and the spouse each have an age and a phone.
HOUSEHOLD = [
    HEAD,
    ["text", "village", "Village", None, None, None],
    ["begin_group", "head", "Head of household", None, None, None],
    ["integer", "age", "Age", None, ". >= 14", None],
    ["text", "phone", "Phone", None, None, None],
    ["end_group", None, None, None, None, None],
    ["select_one yn", "has_spouse", "Is there a spouse?", None, None, None],
    ["begin_group", "spouse", "Spouse", "${has_spouse} = 'yes'", None, None],
    ["integer", "age", "Age", None, ". >= 14", None],
    ["text", "phone", "Phone", None, None, None],
    ["end_group", None, None, None, None, None],
    ["begin_repeat", "members", "Other members", None, None, None],
    ["begin_group", "details", "Details", None, None, None],
    ["integer", "age", "Age", None, None, None],
    ["end_group", None, None, None, None, None],
    ["select_one src or_other", "water", "Water source", None, None, None],
    ["end_repeat", None, None, None, None, None],
    ["begin_group", "access", "Access", None, None, None],
    ["select_one src or_other", "water", "Main water source", None, None, None],
    ["end_group", None, None, None, None, None],
]


def load(tmp_path, survey, choices=CHOICES):
    return load_form(write_xlsform(tmp_path / "f.xlsx", survey, choices, [["form_id"], ["hh"]]))


def issues(tmp_path, survey):
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, survey)
    return info.value.issues


def test_a_name_in_two_groups_is_keyed_by_its_path_and_others_keep_their_names(tmp_path):
    form = load(tmp_path, HOUSEHOLD)
    assert {"head/age", "spouse/age", "members/details/age", "head/phone", "spouse/phone",
            "members/water", "access/water", "village", "has_spouse"} <= set(form.questions)
    assert "age" not in form.questions and "phone" not in form.questions
    age = form.question("spouse/age")
    assert age.xls_name == "age" and age.label(None) == "Age"
    assert sorted(q.row for q in form.repeated["age"]) == [4, 9, 14]


def test_answers_are_kept_apart_and_the_record_holds_the_path_keys(tmp_path):
    form = load(tmp_path, HOUSEHOLD)
    s = Session(form)
    s.set("village", "Oak")
    s.set("head/age", 40)
    s.set("has_spouse", "yes")
    s.set("spouse/age", 12)  # each keeps its own constraint
    s.set("spouse/phone", "555")
    k = s.add_repeat("members")
    s.set("members/details/age", 9, index=k)
    s.set("members/water", "other", index=k)
    s.set("members/water_other", "river", index=k)
    s.set("access/water", "tap")
    assert [(e.name, e.kind) for e in s.errors()] == [("spouse/age", "constraint")]
    s.set("spouse/age", 38)
    record = s.record()
    assert record == {"village": "Oak", "head/age": 40, "has_spouse": "yes", "spouse/age": 38,
                      "spouse/phone": "555", "access/water": "tap",
                      "members": [{"members/details/age": 9, "members/water": "other",
                                   "members/water_other": "river"}]}
    # A draft is reopened from these fields, and the same answers come back.
    again = Session(form, record)
    assert again.record() == record
    # The spouse group's relevance still clears its own answers only.
    again.set("has_spouse", "no")
    assert "spouse/age" not in again.record() and again.record()["head/age"] == 40


def test_the_specify_other_question_follows_its_own_select(tmp_path):
    s = Session(load(tmp_path, HOUSEHOLD))
    s.set("access/water", "other")
    k = s.add_repeat("members")
    assert s.relevant[("access/water_other", ())] is True
    assert s.relevant[("members/water_other", k)] is False


def test_a_reference_to_a_repeated_name_is_refused_naming_the_rows(tmp_path):
    rows = HOUSEHOLD + [["note", "n1", "Head is ${age}", None, None, None],
                        ["calculate", "older", None, None, None, "${age} > 60"]]
    found = issues(tmp_path, rows)
    messages = [(i.row, i.column, i.message) for i in found]
    assert (21, "label", "${age} is ambiguous: questions in different groups are named 'age' (rows 4, 9, 14); "
                         "rename one of them") in messages
    assert any(row == 22 and column == "calculation" and "ambiguous" in m for row, column, m in messages)


def test_the_same_name_twice_in_one_group_is_still_refused(tmp_path):
    rows = [HEAD, ["begin_group", "g", "G", None, None, None], ["text", "a", "A", None, None, None],
            ["text", "a", "A again", None, None, None], ["end_group", None, None, None, None, None]]
    [issue] = issues(tmp_path, rows)
    assert (issue.row, issue.column) == (4, "name")
    assert "already used on row 3 in group 'g'" in issue.message
    [top] = issues(tmp_path, [HEAD, ["text", "a", "A", None, None, None], ["text", "a", "B", None, None, None]])
    assert "already used on row 2 in the form" in top.message


def test_a_form_without_repeated_names_is_keyed_as_before(tmp_path):
    form = load(tmp_path, [HEAD, ["begin_group", "g", "G", None, None, None], ["integer", "age", "Age", None, None, None],
                           ["end_group", None, None, None, None, None]])
    assert set(form.questions) == {"g", "age"} and form.repeated == {}


def test_export_has_one_column_per_question_path(tmp_path):
    form = load(tmp_path, HOUSEHOLD)
    s = Session(form)
    s.set("head/age", 40)
    s.set("has_spouse", "yes")
    s.set("spouse/age", 38)
    out = tmp_path / "hh.csv"
    export_records(form, [{"id": "r1", "form_version": "1", "fields": s.record()}], out, fmt="csv")
    header, row = out.read_text(encoding="utf-8").splitlines()[:2]
    columns = header.split(",")
    values = dict(zip(columns, row.split(",")))
    assert values["head/age"] == "40" and values["spouse/age"] == "38"
    assert columns.count("head/age") == 1 and "members/details/age" not in columns  # a repeat's own table


def test_a_finalised_record_with_path_keys_is_stored_and_its_change_travels(tmp_path, store):
    from forms.finalise import finalised
    from rules.changes import check_change
    from storage.finalise import save_finalised

    form = load(tmp_path, HOUSEHOLD)
    s = Session(form)
    s.set("head/age", 40)
    s.set("has_spouse", "yes")
    s.set("spouse/age", 38)
    s.set("members/details/age", 9, index=s.add_repeat("members"))
    rid = save_finalised(store, finalised(s))
    fields = store.get_record(rid).fields
    assert fields["head/age"] == 40 and fields["spouse/age"] == 38
    assert fields["members"] == [{"members/details/age": 9}]
    [change] = [c for c in store.pending_changes() if c.record_id == rid]
    checked = check_change(change.to_json())
    assert checked["fields"]["spouse/age"] == 38


def test_answers_nested_under_their_groups_may_use_the_name_as_written(tmp_path):
    form = load(tmp_path, HOUSEHOLD)
    s = Session(form, {"head": {"age": 40}, "has_spouse": "yes", "spouse": {"age": 38, "phone": "555"}})
    assert s.record()["head/age"] == 40 and s.record()["spouse/age"] == 38 and s.record()["spouse/phone"] == "555"
    # Flat, the name as written could be either question: refused, not guessed.
    from forms.errors import UnknownQuestion
    with pytest.raises(UnknownQuestion, match="age"):
        Session(form, {"age": 40})
