"""`xml-external` attachments: NAME.xml beside the form, read as the rows of
instance('NAME')/root/item[...]/column; any other shape is refused at load, saying where."""
from __future__ import annotations

from pathlib import Path

import pytest

from forms import MalformedForm, load_form
from forms.engine import Session
from forms.loader import load_form_bytes
from tests.unit.forms.xlsform import write_xlsform

TOWNS = (b"<?xml version='1.0' encoding='UTF-8'?>\n<root>\n  <!-- a lookup table -->\n"
         b"  <item><name>bucha</name><label>Bucha</label><oblast>kyiv</oblast><pop>36000</pop></item>\n"
         b"  <item><name>stryi</name><label>Stryi</label><oblast>lviv</oblast><pop>59000</pop></item>\n"
         b"  <item><name>sambir</name><label>Sambir</label><oblast>lviv</oblast><pop>34000</pop></item>\n</root>\n")

SURVEY = [
    ["type", "name", "label", "calculation"],
    ["xml-external", "towns", None, None],
    ["text", "town", "Town?", None],
    ["calculate", "town_label", None, "instance('towns')/root/item[name = ${town}]/label"],
    ["calculate", "lviv_towns", None, "count(instance('towns')/root/item[oblast = 'lviv'])"],
    ["calculate", "lviv_people", None, "sum(instance('towns')/root/item[oblast = 'lviv']/pop)"],
]


def _form(tmp_path: Path, xml: bytes | None = TOWNS, survey=SURVEY):
    if xml is not None:
        (tmp_path / "towns.xml").write_bytes(xml)
    return write_xlsform(tmp_path / "f.xlsx", survey)


def test_an_xml_attachment_is_read_by_instance_paths(tmp_path):
    form = load_form(_form(tmp_path))
    assert form.media == ["towns.xml"]  # published with the form, as a CSV attachment is
    fields = Session(form, {"town": "stryi"}).summary()["fields"]
    assert fields["town_label"] == "Stryi" and fields["lviv_towns"] == 2 and fields["lviv_people"] == 93000
    assert Session(form, {"town": "nowhere"}).summary()["fields"].get("town_label", "") == ""


def test_the_hub_loads_it_from_the_published_files(tmp_path):
    xlsx = _form(tmp_path, xml=None).read_bytes()
    form = load_form_bytes(xlsx, name="f.xlsx", media={"towns.xml": TOWNS})
    assert Session(form, {"town": "bucha"}).summary()["fields"]["town_label"] == "Bucha"


@pytest.mark.parametrize("xml, said", [
    (None, "towns.xml, which is missing"),
    (b"<data><item><name>a</name></item></data>", "document element is <data>"),
    (b"<root><town><name>a</name></town></root>", "element 1 under <root> is <town>, not <item>"),
    (b"<root><item><name>a</name><geo><lat>1</lat></geo></item></root>", "<geo> in item 1 holds elements"),
    (b"<root><item><name>a</name></item>", "not well-formed XML"),
    (b'<!DOCTYPE r [<!ENTITY a "aaaaaaaa">]><root><item><name>&a;</name></item></root>', "without a DTD"),
])
def test_an_xml_attachment_of_another_shape_is_refused_naming_the_row(tmp_path, xml, said):
    with pytest.raises(MalformedForm) as info:
        load_form(_form(tmp_path, xml))
    [issue] = info.value.issues
    assert (issue.sheet, issue.row, issue.column) == ("survey", 2, "name")
    assert said in issue.message and "towns.xml" in issue.message


def test_an_xml_external_row_needs_a_name_and_one_meaning(tmp_path):
    (tmp_path / "towns.xml").write_bytes(TOWNS)
    survey = [["type", "name", "label", "calculation"], ["xml-external", None, None, None],
              ["xml-external", "towns", None, None], ["csv-external", "towns", None, None],
              ["select_one towns", "t", "Town?", None]]
    path = write_xlsform(tmp_path / "f.xlsx", survey, [["list_name", "name", "label"], ["towns", "a", "A"]])
    with pytest.raises(MalformedForm) as info:
        load_form(path)
    said = {(i.row, i.column): i.message for i in info.value.issues}
    assert "needs the attachment's name (without .xml)" in said[(2, "name")]
    assert "already declared in row 3" in said[(4, "name")]
    assert "both a choice list and this XML attachment" in said[(3, "name")]
