"""Forms written for ODK and Kobo load unchanged; what Fieldbook cannot run is refused by name and row."""
from __future__ import annotations

import openpyxl
import pytest

from forms import MalformedForm, load_form
from forms.engine import Session
from forms.types import ALIASES, SELECT_ALIASES, UNSUPPORTED
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label"]
YN = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def load(tmp_path, survey, choices=YN, settings=None):
    return load_form(write_xlsform(tmp_path / "f.xlsx", survey, choices, settings))


def issues_of(tmp_path, survey, choices=YN, settings=None):
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, survey, choices, settings)
    return info.value.issues


@pytest.mark.parametrize("spelling, kind, or_other", [
    ("select one from yn", "select_one", False),
    ("select all that apply from yn", "select_multiple", False),
    ("select one from yn or specify other", "select_one", True),
    ("select all that apply from yn or specify other", "select_multiple", True),
    ("select_one yn or_other", "select_one", True),
    ("Select One yn", "select_one", False),
    ("select1 yn", "select_one", False),
    ("add select multiple prompt using yn", "select_multiple", False),
])
def test_legacy_select_spellings(tmp_path, spelling, kind, or_other):
    form = load(tmp_path, [HEAD, [spelling, "q", "Q?"]])
    q = form.question("q")
    assert (q.type, q.list_name, q.or_other) == (kind, "yn", or_other)
    assert [c.name for c in q.choices][:2] == ["yes", "no"]
    assert ("q_other" in form.questions) is or_other


@pytest.mark.parametrize("spelling, kind", [
    ("gps", "geopoint"), ("location", "geopoint"), ("phone number", "text"), ("q int", "integer"),
    ("percentage", "integer"), ("add date prompt", "date"), ("date time", "datetime"), ("q note", "note"),
    ("phonenumber", "phonenumber"), ("email", "email"), ("subscriberid", "subscriberid"),
    ("simserial", "simserial"), ("uri:deviceid", "deviceid"), ("imei", "deviceid"), ("get start time", "start"),
    ("end time", "end"), ("get today", "today"), ("uri:username", "username"), ("barcode", "barcode"),
])
def test_type_aliases(tmp_path, spelling, kind):
    form = load(tmp_path, [HEAD, [spelling, "q", "Q?"]])
    assert form.question("q").type == kind


def test_every_reference_type_is_run_or_refused_with_a_reason():
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    known = set(ALIASES) | set(SELECT_ALIASES) | {k for k, v in UNSUPPORTED.items() if v}
    missing = {t.lower() for t in QUESTION_TYPE_DICT} - known
    assert not missing


def test_device_metadata_on_a_laptop(tmp_path):
    form = load(tmp_path, [HEAD, ["phonenumber", "phone", None], ["email", "mail", None],
                           ["subscriberid", "sub", None], ["simserial", "sim", None], ["deviceid", "dev", None],
                           ["username", "user", None], ["text", "name", "Name?"]])
    summary = Session(form, {"name": "Test Person"}, device_id="dev-1", username="enumerator").summary()
    record = summary["fields"]
    assert record["dev"] == "dev-1" and record["user"] == "enumerator"
    # A laptop has no SIM card and no account e-mail: those stay empty rather than being invented.
    assert all(record.get(name, "") == "" for name in ("phone", "mail", "sub", "sim"))
    assert summary["valid"]


def test_comment_rows_and_columns_are_skipped(tmp_path):
    form = load(tmp_path, [HEAD + ["comments"], [None, None, None, "a note to the designer"],
                           ["text", "a", "A?", "why we ask"]])
    assert list(form.questions) == ["a"]
    assert any(w.column == "comments" for w in form.warnings)


def test_a_row_with_a_label_but_no_type_is_still_an_error(tmp_path):
    issues = issues_of(tmp_path, [HEAD, [None, None, "Orphan label"]])
    assert (issues[0].row, issues[0].column, issues[0].message) == (2, "type", "the row has no type")


def test_notes_need_no_name(tmp_path):
    form = load(tmp_path, [HEAD, ["note", None, "Read this aloud"], ["note", "", "And this"], ["text", "a", "A?"]])
    notes = [q for q in form.walk() if q.type == "note"]
    assert [n.label(None) for n in notes] == ["Read this aloud", "And this"]
    assert len({n.name for n in notes}) == 2


def test_a_text_question_without_a_name_is_still_refused(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["text", None, "Name?"]])
    assert "needs a name" in issues[0].message


DUPLICATES = YN + [["yn", "yes", "Yes again"]]


def test_duplicate_choices_refused_unless_allowed(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["select_one yn", "q", "Q?"]], DUPLICATES)
    assert (issues[0].sheet, issues[0].row) == ("choices", 4)
    assert "allow_choice_duplicates" in issues[0].message
    form = load(tmp_path, [HEAD, ["select_one yn", "q", "Q?"]], DUPLICATES,
                [["form_id", "allow_choice_duplicates"], ["dup", "yes"]])
    assert [c.name for c in form.question("q").choices] == ["yes", "no", "yes"]
    assert not any(w.column == "allow_choice_duplicates" for w in form.warnings)


def _with_external(tmp_path, survey, external):
    path = write_xlsform(tmp_path / "ext.xlsx", survey, YN)
    wb = openpyxl.load_workbook(path)
    sheet = wb.create_sheet("external_choices")
    for row in external:
        sheet.append(row)
    wb.save(path)
    return path


def test_select_one_external_reads_the_external_choices_sheet(tmp_path):
    path = _with_external(tmp_path, [HEAD + ["choice_filter"], ["select_one yn", "region", "Region?", None],
                                     ["select_one_external cities", "city", "City?", "region=${region}"]],
                          [["list_name", "name", "label", "region"], ["cities", "kyiv", "Kyiv", "yes"],
                           ["cities", "lviv", "Lviv", "no"]])
    form = load_form(path)
    city = form.question("city")
    assert city.type == "select_one" and [c.name for c in city.choices] == ["kyiv", "lviv"]
    assert city.choices[0].columns["region"] == "yes"


def test_external_choices_may_repeat_a_name_under_another_parent(tmp_path):
    path = _with_external(tmp_path, [HEAD + ["choice_filter"], ["select_one yn", "region", "Region?", None],
                                     ["select_one_external towns", "town", "Town?", "region=${region}"]],
                          [["list_name", "name", "label", "region"], ["towns", "mykolaivka", "Mykolaivka", "yes"],
                           ["towns", "mykolaivka", "Mykolaivka", "no"]])
    assert [c.columns["region"] for c in load_form(path).question("town").choices] == ["yes", "no"]


def test_select_one_external_without_its_list_is_refused(tmp_path):
    path = _with_external(tmp_path, [HEAD, ["select_one_external towns", "town", "Town?"]],
                          [["list_name", "name", "label"], ["cities", "kyiv", "Kyiv"]])
    with pytest.raises(MalformedForm) as info:
        load_form(path)
    issue = info.value.issues[0]
    assert (issue.row, issue.column) == (2, "type") and "external_choices" in issue.message


# --- refusing clearly ---------------------------------------------------------------------------
@pytest.mark.parametrize("spelling, missing", [
    ("background-audio", "background"),
])
def test_what_cannot_run_is_refused_naming_question_row_and_what_is_missing(tmp_path, spelling, missing):
    issues = issues_of(tmp_path, [HEAD, ["text", "a", "A?"], [spelling, "thing", "Thing?"], ["text", "b", "B?"]])
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.sheet, issue.row, issue.column) == ("survey", 3, "type")
    assert "question 'thing'" in issue.message and f"'{spelling}'" in issue.message and missing in issue.message


def test_an_unknown_type_is_refused(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["integr", "age", "Age?"]])
    assert issues[0].row == 2 and "'integr' is not supported" in issues[0].message


def test_audit_is_accepted_with_a_warning(tmp_path):
    form = load(tmp_path, [HEAD, ["audit", "audit", None], ["text", "a", "A?"]])
    assert list(form.questions) == ["a"]
    assert any("audit" in w.message for w in form.warnings)


def test_a_loop_over_a_list_runs_once_per_choice(tmp_path):
    form = load(tmp_path, [
        ["type", "name", "label", "bind:relevant", "bind:jr:constraintMsg", "bind:constraint"],
        ["select all that apply from yn", "have", "Have?", None, None, None],
        ["begin loop over yn", "each", "Each", None, None, None],
        ["integer", "count", "How many %(label)s?", "selected(${have}, '%(name)s')", "At most ${limit}",
         ". <= ${limit}"],
        ["integer", "limit", "Limit for %(name)s", None, None, None],
        ["end loop", None, None, None, None, None],
    ])
    names = [q.name for q in form.walk()]
    assert names == ["have", "each", "each_yes", "count_yes", "limit_yes", "each_no", "count_no", "limit_no"]
    assert form.question("count_no").labels["default"] == "How many No?"
    assert form.question("count_yes").constraint.text == ". <= ${limit_yes}"  # the copy's own sibling
    s = Session(form, {"have": "yes", "limit_yes": 2, "count_yes": 3})
    assert s.visible("count_yes") and not s.visible("count_no")
    assert [(e.name, e.message) for e in s.errors()] == [("count_yes", "At most ${limit_yes}")]


@pytest.mark.parametrize("rows, message", [
    ([["begin loop over nolist", "l", "L"], ["text", "a", "A"], ["end loop", None, None]], "'nolist' is not on"),
    ([["begin loop over yn", "l", "L"], ["text", "a", "A"]], "never closed"),
    ([["begin loop over yn", "l", "L"], ["begin loop over yn", "m", "M"], ["end loop", None, None],
      ["end loop", None, None]], "inside a loop"),
])
def test_a_loop_that_cannot_be_expanded_is_refused_by_row(tmp_path, rows, message):
    issues = issues_of(tmp_path, [HEAD, *rows])
    assert any(message in i.message and i.row == 2 for i in issues), issues


def test_a_choices_row_with_neither_list_nor_name_is_skipped_with_a_warning(tmp_path):
    form = load(tmp_path, [HEAD, ["select_one yn", "q", "Q?"]],
                YN + [[None, None, "a stray label"]])
    assert [c.name for c in form.question("q").choices] == ["yes", "no"]
    assert any(w.sheet == "choices" and w.row == 4 for w in form.warnings)
    issues = issues_of(tmp_path, [HEAD, ["select_one yn", "q", "Q?"]], YN + [[None, "maybe", "Maybe"]])
    assert [(i.row, i.column) for i in issues] == [(4, "list_name")]
