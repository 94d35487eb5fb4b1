"""Points of a geopoint, geotrace or geoshape: the accuracy (4th value) is a distance, never negative."""
from __future__ import annotations

import pytest

from forms import Session, load_form
from tests.unit.forms.xlsform import write_xlsform


@pytest.fixture
def session(tmp_path):
    return Session(load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label"], ["geopoint", "spot", "Spot"], ["geotrace", "road", "Road"],
        ["geoshape", "plot", "Plot"]], None, [["form_id"], ["points"]])))


@pytest.mark.parametrize("name, value", [("spot", "50.1 30.1 100 -5"),
                                         ("road", "50.1 30.1; 50.2 30.2 0 -1"),
                                         ("plot", "50.1 30.1 0 -3; 50.2 30.1; 50.2 30.2")])
def test_a_negative_accuracy_is_a_type_error(session, name, value):
    session.set(name, value)
    assert [(e.name, e.kind) for e in session.errors()] == [(name, "type")]


def test_a_zero_or_positive_accuracy_is_kept(session):
    session.set("spot", "50.1 30.1 100 0")
    session.set("road", "50.1 30.1 0 4.5; 50.2 30.2")
    assert session.errors() == []
    assert session.get("road") == "50.1 30.1 0 4.5; 50.2 30.2"
