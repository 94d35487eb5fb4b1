"""select_one_from_file over GeoJSON and CSV files, and instance('name') over those files, as in Collect."""
from __future__ import annotations

import json

import pytest

from forms import MalformedForm, Session, load_form
from tests.unit.forms.xlsform import write_xlsform

POINTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "w1", "geometry": {"type": "Point", "coordinates": [30.52, 50.45, 120]},
     "properties": {"title": "Well one", "depth": 12}},
    {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[30.0, 50.0], [30.1, 50.1]]},
     "properties": {"id": "road", "title": "Road"}},
    {"type": "Feature", "geometry": None, "properties": {"title": "no id: skipped"}},
]}


def test_a_geojson_choice_file_gives_ids_titles_geometry_and_properties(tmp_path):
    (tmp_path / "wells.geojson").write_text(json.dumps(POINTS), encoding="utf-8")
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "calculation"],
        ["select_one_from_file wells.geojson", "well", "Well", None],
        ["calculate", "depth", None, "instance('wells')/root/item[name = ${well}]/depth"],
        ["calculate", "where", None, "instance('wells')/root/item[name = ${well}]/geometry"],
    ]))
    well = form.question("well")
    assert [(c.name, c.label(None)) for c in well.choices] == [("w1", "Well one"), ("road", "Road")]
    assert form.media == ["wells.geojson"]
    s = Session(form, {"well": "w1"})
    assert s.record() == {"well": "w1", "depth": "12", "where": "50.45 30.52 120 0"}
    s.set("well", "road")
    assert s.record()["where"] == "50.0 30.0 0 0; 50.1 30.1 0 0"


def test_instance_reads_a_csv_choice_file_by_its_name(tmp_path):
    (tmp_path / "towns.csv").write_text("name,label,region\nn1,North One,north\ns1,South One,south\n", encoding="utf-8")
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "calculation"],
        ["select_one_from_file towns.csv", "town", "Town", None],
        ["calculate", "region", None, "instance('towns')/root/item[name = ${town}]/region"],
    ]))
    assert Session(form, {"town": "s1"}).record()["region"] == "south"


@pytest.mark.parametrize("content, why", [
    ("not json", "not GeoJSON"), (json.dumps({"type": "Feature"}), "not GeoJSON"),
    (json.dumps({"type": "FeatureCollection", "features": [{"properties": {"id": "a"},
                 "geometry": {"type": "Point", "coordinates": 5}}]}), "not GeoJSON"),
])
def test_a_geojson_file_that_is_not_features_is_refused_by_name(tmp_path, content, why):
    (tmp_path / "wells.geojson").write_text(content, encoding="utf-8")
    with pytest.raises(MalformedForm) as info:
        load_form(write_xlsform(tmp_path / "f.xlsx", [["type", "name", "label"],
                                                     ["select_one_from_file wells.geojson", "well", "Well"]]))
    [issue] = info.value.issues
    assert issue.row == 2 and "wells.geojson" in issue.message and why in issue.message


COLOURS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<root>
  <item><name>red</name><label>Red</label><warm>yes</warm></item>
  <item><name>blue</name><label>Blue</label><warm>no</warm></item>
  <item><name>ochre</name><label>Ochre — жовта</label><warm>yes</warm></item>
  <item><label>no name: skipped</label></item>
</root>
"""


def test_an_xml_choice_file_is_read_as_collect_reads_it(tmp_path):
    (tmp_path / "colours.xml").write_text(COLOURS_XML, encoding="utf-8")
    form = load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "choice_filter"],
        ["select_one_from_file colours.xml", "colour", "Colour", "warm = 'yes'"]]))
    q = form.question("colour")
    assert [(c.name, c.label(None), c.columns) for c in q.choices] == [
        ("red", "Red", {"warm": "yes"}), ("blue", "Blue", {"warm": "no"}), ("ochre", "Ochre — жовта", {"warm": "yes"})]
    assert [c.name for c in Session(form).choices("colour")] == ["red", "ochre"]
    assert form.media == ["colours.xml"]  # travels with the form when the hub publishes it


@pytest.mark.parametrize("text, why", [
    ("not xml at all", "is not XML items"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     "<root><item><name>&b;</name></item></root>", "is not XML items"),
])
def test_an_xml_choice_file_that_is_not_items_is_refused_in_words(tmp_path, text, why):
    (tmp_path / "list.xml").write_text(text, encoding="utf-8")
    with pytest.raises(MalformedForm) as info:
        load_form(write_xlsform(tmp_path / "f.xlsx", [["type", "name", "label"],
                                                     ["select_one_from_file list.xml", "x", "X"]]))
    [issue] = info.value.issues
    assert issue.row == 2 and "list.xml" in issue.message and why in issue.message
