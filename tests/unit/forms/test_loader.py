"""Loading XLSForms: multilingual columns, every supported type, and errors that name sheet, row and column."""
from __future__ import annotations

import pytest

import forms

from forms import MalformedForm, load_form
from forms.errors import UnreadableForm
from tests.unit.forms.xlsform import write_xlsform

HEAD = ["type", "name", "label::English (en)", "label::Українська (uk)", "hint::English (en)", "relevant", "constraint", "required"]
CHOICES = [["list_name", "name", "label::English (en)", "label::Українська (uk)"], ["yn", "yes", "Yes", "Так"], ["yn", "no", "No", "Ні"]]
SETTINGS = [["form_id", "version", "form_title", "default_language"], ["t1", "2026.1", "Test", "English (en)"]]


def load(tmp_path, survey, choices=CHOICES, settings=SETTINGS):
    return load_form(write_xlsform(tmp_path / "f.xlsx", survey, choices, settings))


def issues_of(tmp_path, survey, choices=CHOICES, settings=SETTINGS):
    with pytest.raises(MalformedForm) as info:
        load(tmp_path, survey, choices, settings)
    return info.value.issues


def test_loads_languages_settings_and_choices(tmp_path):
    form = load(tmp_path, [HEAD, ["select_one yn", "consent", "Consent?", "Згода?", "Ask first", None, None, "yes"]])
    assert (form.form_id, form.version, form.title, form.default_language) == ("t1", "2026.1", "Test", "English (en)")
    assert form.languages == ["English (en)", "Українська (uk)"]
    q = form.question("consent")
    assert q.label("uk") == "Згода?" and q.label("English (en)") == "Consent?" and q.hint(None) == "Ask first"
    assert [c.label("uk") for c in q.choices] == ["Так", "Ні"]
    assert q.required is not None


def test_every_supported_type_loads(tmp_path, tmp_path_factory):
    (tmp_path / "places.csv").write_text("name,label\nkyiv,Kyiv\nlviv,Lviv\n", encoding="utf-8")
    rows = [HEAD]
    for t in ["text", "integer", "decimal", "select_one yn", "select_multiple yn or_other", "select_one_from_file places.csv",
              "select_multiple_from_file places.csv", "date", "time", "dateTime", "geopoint", "note", "acknowledge",
              "barcode", "hidden", "start", "end", "today", "deviceid", "username"]:
        rows.append([t, t.split()[0].replace("_from_file", "_ff").lower() + str(len(rows)), "L", "Л", None, None, None, None])
    rows += [["range", "r1", "R", "Р"], ["calculate", "c1", None, None, None, None, None, None]]
    rows[-1] = ["calculate", "c1"]
    survey = rows + [["begin_group", "g", "G", "Г"], ["text", "inside", "I", "І"], ["end_group"],
                     ["begin_repeat", "rep", "R", "Р"], ["text", "member", "M", "М"], ["end_repeat"]]
    # a calculate without calculation is an error; give it one through a separate column set
    survey[0] = HEAD + ["calculation", "parameters"]
    for row in survey[1:]:
        row += [None] * (len(HEAD) - len(row))
    survey[-7] = ["calculate", "c1", None, None, None, None, None, None, "1 + 1", None]
    survey[-8] = ["range", "r1", "R", "Р", None, None, None, None, None, "start=0 end=10 step=2"]
    form = load(tmp_path, survey)
    types = {q.type for q in form.walk()}
    assert {"select_one_from_file", "select_multiple_from_file", "datetime", "range", "calculate", "group", "repeat"} <= types
    ff = next(q for q in form.walk() if q.type == "select_one_from_file")
    assert [c.name for c in ff.choices] == ["kyiv", "lviv"]
    other = next(q for q in form.walk() if q.type == "select_multiple")
    assert other.or_other and other.choices[-1].name == "other" and f"{other.name}_other" in form.questions
    assert form.question("member").repeat().name == "rep"
    assert form.question("inside").path == "g/inside"


@pytest.mark.parametrize(
    "row,column,fragment",
    [
        (["integr", "age", "Age", "Вік"], "type", "'integr' is not supported"),
        (["select_one nolist", "x", "X", "Х"], "type", "list 'nolist'"),
        (["text", "2bad", "X", "Х"], "name", "not a valid name"),
        (["text", "y", "Y", "У", None, "${missing} > 1"], "relevant", "${missing}"),
        (["integer", "z", "Z", "З", None, None, ". > (1"], "constraint", "does not parse"),
    ],
)
def test_errors_name_sheet_row_and_column(tmp_path, row, column, fragment):
    issues = issues_of(tmp_path, [HEAD, ["text", "ok", "OK", "ОК"], row])
    assert any(i.sheet == "survey" and i.row == 3 and i.column == column and fragment in i.message for i in issues), issues


def test_duplicate_names_point_at_both_rows(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["text", "a", "A", "А"], ["text", "b", "B", "Б"], ["integer", "a", "A2", "А2"]])
    assert any(i.row == 4 and i.column == "name" and "row 2" in i.message for i in issues)


def test_all_problems_are_reported_at_once(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["integr", "a", "A", "А"], ["text", "b", "B", "Б", None, "${nope}"], ["begin_group", "g", "G", "Г"]])
    assert len(issues) == 3


def test_unclosed_and_stray_group_ends(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["end_group"], ["begin_repeat", "r", "R", "Р"], ["text", "x", "X", "Х"]])
    messages = " | ".join(i.message for i in issues)
    assert "does not close" in messages and "never closed" in messages


def test_choice_sheet_errors_name_the_choices_sheet(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["select_one yn", "q", "Q", "П"]], choices=CHOICES + [["yn", "yes", "Again", "Знову"]])
    assert any(i.sheet == "choices" and i.row == 4 and "twice" in i.message for i in issues)


def test_missing_choice_file_is_reported(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["select_one_from_file gone.csv", "q", "Q", "П"]])
    assert any("gone.csv is missing" in i.message for i in issues)


def test_unsupported_columns_and_settings_are_named(tmp_path):
    form = load(tmp_path, [HEAD + ["media::image"], ["text", "a", "A", "А", None, None, None, None, "pic.png"]],
                settings=[SETTINGS[0] + ["public_key"], SETTINGS[1] + ["abc"]])
    names = {w.column for w in form.warnings}
    assert {"media", "public_key"} <= names


def test_form_titles_in_each_language_with_fallbacks(tmp_path):
    survey = [HEAD, ["text", "a", "A", "А"]]
    both = [["form_id", "form_title", "form_title::Українська (uk)", "form_title_translation::English (en)",
             "default_language"], ["t1", "Plain", "Тест", "Test", "English (en)"]]
    form = load(tmp_path, survey, settings=both)
    assert form.titles == {"Українська (uk)": "Тест", "English (en)": "Test"}
    assert form.title_in("Українська (uk)") == "Тест" and form.title_in("uk") == "Тест"
    assert form.title_in("en") == "Test"
    assert form.title_in("pl") == "Test"  # not translated: the default language's title
    assert form.title_in(None) == "Test"
    # The converter other XLSForm tools share stops on form_title::<language>: a warning says so.
    assert [(w.sheet, w.row, w.column) for w in form.warnings] == [("settings", 2, "form_title::Українська (uk)")]

    only_uk = [["form_id", "form_title_translation::Українська (uk)", "default_language"], ["t1", "Тест", "English (en)"]]
    form = load(tmp_path, survey, settings=only_uk)
    assert form.warnings == []
    assert form.title_in("uk") == "Тест"
    assert form.title_in("en") == "t1"  # no English title, no plain title: the form id
    plain = load(tmp_path, survey, settings=[["form_title"], ["Plain"]])
    assert (plain.title_in("uk"), plain.title_in(None)) == ("Plain", "Plain")


@pytest.mark.parametrize("header, fragment", [
    ("form_title::Ukrainian (uk)", "no label column is in 'Ukrainian (uk)'"),    # a language the labels do not use
    ("form_title::", "names no language"),
    ("form_title_translation", "names no language"),
    ("version::Українська (uk)", "only form_title is translated"),
])
def test_malformed_title_columns_name_sheet_row_and_column(tmp_path, header, fragment):
    settings = [["form_id", "form_title", header], ["t1", "Test", "Тест"]]
    issues = issues_of(tmp_path, [HEAD, ["text", "a", "A", "А"]], settings=settings)
    assert [(i.sheet, i.row, i.column) for i in issues] == [("settings", 2, header)]
    assert fragment in issues[0].message


def test_not_an_xlsx_is_a_clear_error(tmp_path):
    bad = tmp_path / "f.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UnreadableForm, match="cannot be read"):
        load_form(bad)


def test_a_form_loads_from_memory_with_its_choice_files(tmp_path):
    """A published form arrives as bytes with its CSV files; nothing is read from disk."""
    (tmp_path / "places.csv").write_text("name,label\nkyiv,Kyiv\nlviv,Lviv\n", encoding="utf-8")
    path = write_xlsform(tmp_path / "f.xlsx", [HEAD, ["select_one_from_file places.csv", "place", "P", "М"]],
                         settings=SETTINGS)
    on_disk = forms.load_form(path)
    assert on_disk.media == ["places.csv"]
    xlsx = path.read_bytes()
    (tmp_path / "places.csv").unlink()  # proves the in-memory load does not look beside the file
    form = forms.load_form_bytes(xlsx, name="f.xlsx", media={"places.csv": b"name,label\nodesa,Odesa\n"})
    assert [c.name for c in form.question("place").choices] == ["odesa"]
    assert form.media == ["places.csv"] and form.form_id == on_disk.form_id
    with pytest.raises(forms.MalformedForm, match="places.csv is missing"):
        forms.load_form_bytes(xlsx, name="f.xlsx", media={})
    with pytest.raises(forms.FormError, match="cannot be read as an XLSForm"):
        forms.load_form_bytes(b"PK\x03\x04 not really a workbook", name="f.xlsx")


def test_a_choice_file_must_sit_beside_the_form(tmp_path):
    issues = issues_of(tmp_path, [HEAD, ["select_one_from_file ../secrets.csv", "q", "Q", "П"]])
    assert any("plain file name" in i.message for i in issues), issues


def test_the_sensitive_column_marks_questions_and_groups(tmp_path):
    head = ["type", "name", "label", "sensitive"]
    form = load(tmp_path, [head, ["text", "village", "Village", ""], ["text", "concern", "Concern", "yes"],
                           ["integer", "size", "Size", "no"], ["begin_group", "contact", "Contact", "TRUE"],
                           ["text", "phone", "Phone", None], ["end_group", None, None, None]])
    assert {q.name: q.is_sensitive for q in form.walk()} == {"village": False, "concern": True, "size": False,
                                                             "contact": True, "phone": True}
    assert form.warnings == []  # a column Fieldbook reads, not one it ignores
    issues = issues_of(tmp_path, [head, ["text", "concern", "Concern", "maybe"]])
    assert [(i.sheet, i.row, i.column) for i in issues] == [("survey", 2, "sensitive")]


def test_a_default_language_without_a_label_column_opens_in_the_first_language_with_a_warning(tmp_path):
    # As a real form writes it: the default named in English, the label column in its own script.
    form = load(tmp_path, [["type", "name", "label::English", "label::العربية"], ["text", "q", "Village", "القرية"]],
                choices=None, settings=[["form_id", "default_language"], ["t", "Arabic"]])
    assert form.default_language is None and form.title_in(None) == "t"
    assert form.question("q").label(None) == "Village"
    [warning] = [w for w in form.warnings if w.column == "default_language"]
    assert "opens in 'English'" in warning.message and "'Arabic'" in warning.message
    from forms import Session
    assert Session(form).label("q") == "Village"
