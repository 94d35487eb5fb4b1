"""choice_filter on a label column, and current()/.. paths, as forms from other tools write them."""
from __future__ import annotations

import pytest

from forms import MalformedForm, Session, load_form, xpath
from forms.xpath.context import SimpleContext
from tests.unit.forms.xlsform import write_xlsform


def _form(tmp_path, survey, choices):
    return load_form(write_xlsform(tmp_path / "f.xlsx", survey, choices))


def test_a_choice_filter_reads_the_label_in_the_language_it_names(tmp_path):
    form = _form(tmp_path, [
        ["type", "name", "label::English (en)", "label::Українська (uk)", "choice_filter"],
        ["select_one crops", "crop", "Crop", "Культура", "label::English != ''"],
        ["select_one crops", "crop_uk", "Crop", "Культура", "label::uk = 'Жито'"],
        ["select_one crops", "crop_any", "Crop", "Культура", "starts-with(label, 'W') or starts-with(label, 'П')"],
    ], [
        ["list_name", "name", "label::English (en)", "label::Українська (uk)"],
        ["crops", "wheat", "Wheat", "Пшениця"],
        ["crops", "rye", "", "Жито"],      # no English label: filtered out of 'crop'
        ["crops", "oats", "Oats", "Овес"],
    ])
    en = Session(form, lang="English (en)")
    assert [c.name for c in en.choices("crop")] == ["wheat", "oats"]
    assert [c.name for c in en.choices("crop_uk")] == ["rye"]
    # A bare 'label' reads the label in the session's language.
    assert [c.name for c in en.choices("crop_any")] == ["wheat"]
    uk = Session(form, lang="Українська (uk)")
    assert [c.name for c in uk.choices("crop_any")] == ["wheat"]  # Пшениця


def test_current_dot_dot_reads_a_question_beside_the_select_in_a_repeat(tmp_path):
    form = _form(tmp_path, [
        ["type", "name", "label", "choice_filter"],
        ["begin_repeat", "plots", "Plot", ""],
        ["select_one regions", "region", "Region", ""],
        ["select_one towns", "town", "Town", "region = current()/../region"],
        ["end_repeat", "", "", ""],
    ], [
        ["list_name", "name", "label", "region"],
        ["regions", "north", "North", ""], ["regions", "south", "South", ""],
        ["towns", "n1", "N1", "north"], ["towns", "s1", "S1", "south"], ["towns", "s2", "S2", "south"],
    ])
    s = Session(form, {"plots": [{"region": "north"}, {"region": "south"}]})
    assert [c.name for c in s.choices("town", index=(0,))] == ["n1"]
    assert [c.name for c in s.choices("town", index=(1,))] == ["s1", "s2"]
    # The path counts as a reference: the choice is checked against the filtered list.
    s.set("town", "s1", index=(0,))
    assert [e.kind for e in s.errors()] == ["type"]


def test_current_path_in_an_instance_lookup_and_its_reference():
    expr = xpath.parse("instance('towns')/root/item[region = current()/../../region]/label")
    assert expr.references == {"region"}
    ctx = SimpleContext({"region": "south"},
                        instances={"towns": [{"name": "n1", "label": "N1", "region": "north"},
                                             {"name": "s1", "label": "S1", "region": "south"}]})
    assert xpath.evaluate(expr, ctx) == "S1"


@pytest.mark.parametrize("text", ["current()/..", "current()/../a/b", "current()/region", "current()/../../"])
def test_a_current_path_that_names_no_question_is_refused(text):
    with pytest.raises(xpath.ExpressionError, match="current\\(\\)/../name"):
        xpath.parse(text)


def test_a_current_path_to_a_missing_question_is_refused_at_load(tmp_path):
    with pytest.raises(MalformedForm) as info:
        _form(tmp_path, [
            ["type", "name", "label", "choice_filter"],
            ["select_one towns", "town", "Town", "region = current()/../nowhere"],
        ], [["list_name", "name", "label", "region"], ["towns", "n1", "N1", "north"]])
    assert any("${nowhere}" in i.message and i.column == "choice_filter" for i in info.value.issues)


def test_a_single_colon_is_still_not_a_column():
    with pytest.raises(xpath.ExpressionError):
        xpath.parse("label:English != ''")
