"""parameters randomize=true [seed=${x}] on a select, and the record's seed across a reopened draft."""
from __future__ import annotations

import pytest

from forms import MalformedForm, Session, load_form
from forms.xpath.functions.lookups import shuffle
from tests.unit.forms.xlsform import write_xlsform

CHOICES = [["list_name", "name", "label"]] + [["n", f"c{i}", f"Choice {i}"] for i in range(8)]
NAMES = [f"c{i}" for i in range(8)]


def _form(tmp_path, parameters, extra=()):
    return load_form(write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "parameters"],
        ["integer", "s", "Seed", None],
        *extra,
        ["select_one n", "pick", "Pick", parameters],
    ], CHOICES))


def test_a_seeded_shuffle_gives_collects_order(tmp_path):
    s = Session(_form(tmp_path, "randomize=true seed=${s}"), {"s": 42})
    order = [c.name for c in s.choices("pick")]
    assert order == shuffle(NAMES, 42) and order != NAMES
    s.set("s", 7)
    assert [c.name for c in s.choices("pick")] == shuffle(NAMES, 7)


def test_without_a_seed_the_order_is_the_records_and_holds_when_reopened(tmp_path):
    form = _form(tmp_path, "randomize=true")
    first = Session(form, seed="0192f0e2-draft-id")
    order = [c.name for c in first.choices("pick")]
    assert sorted(order) == NAMES and order != NAMES
    assert [c.name for c in first.choices("pick")] == order  # stable while filling in
    reopened = Session(form, first.record(), seed=first.seed)
    assert [c.name for c in reopened.choices("pick")] == order
    assert [c.name for c in Session(form, seed="0192f0e2-draft-id").choices("pick")] == order
    assert Session(form, {"pick": order[0]}, seed=1).errors() == []  # any order: the same choices


def test_without_randomize_the_order_is_the_sheets(tmp_path):
    assert [c.name for c in Session(_form(tmp_path, None)).choices("pick")] == NAMES


@pytest.mark.parametrize("parameters, message", [
    ("randomize=maybe", "randomize must be true or false"),
    ("randomize=false seed=3", "seed only applies with randomize=true"),
    ("randomize=true seed=${nowhere}", "${nowhere} refers to a question that does not exist"),
])
def test_bad_randomize_parameters_are_refused(tmp_path, parameters, message):
    with pytest.raises(MalformedForm) as info:
        _form(tmp_path, parameters)
    assert any(message in i.message and i.column == "parameters" for i in info.value.issues), info.value.issues
