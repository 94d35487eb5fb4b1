"""What a record may hold (storage/values.py): refused at save time with InvalidRecord,
so no record the server would refuse ever waits in the outbox; nothing is written."""
from __future__ import annotations

import math

import pytest

from rules import limits
from storage import values
from storage.errors import InvalidRecord


@pytest.mark.parametrize("fields, words", [
    ([1], "JSON object"),
    ({}, "No fields"),
    ({"9bad": 1}, "Field names"),
    ({"_deleted": 1}, "reserved"),
    ({"a": math.nan}, "finite"),
    ({"a": [math.inf]}, "finite"),
    ({"a": {1: "x"}}, "text keys"),
    ({"a": object()}, "text, numbers"),
    ({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, "levels deep"),
])
def test_what_json_cannot_carry_exactly_is_refused(fields, words):
    with pytest.raises(InvalidRecord, match=words):
        values.check_fields(fields)


def test_the_common_cases_pass_and_floats_can_be_checked_on_the_serialised_form():
    assert values.check_fields({"a": "x", "b": 1, "c": None, "d": True}) is False
    assert values.check_fields({"a": 1.5}, defer_floats=True) is True
    values.serialised_floats_ok({"a": 1.5}, b'{"a":1.5}')
    with pytest.raises(InvalidRecord):
        values.serialised_floats_ok({"a": math.nan}, b'{"a":null}')
    assert values.check_fields({"deep": [[[1]]]}) is False


def test_kinds_form_references_and_size_are_held_to_the_shared_limits():
    assert values.check_kind("household") == "household"
    for bad in ("Household", "", 3, "a" * 65):
        with pytest.raises(InvalidRecord):
            values.check_kind(bad)
    values.check_form_refs("f" * limits.MAX_FORM_REF, None)
    with pytest.raises(InvalidRecord, match="form version"):
        values.check_form_refs(None, "v" * (limits.MAX_FORM_REF + 1))
    values.check_size(limits.MAX_CHANGE_BYTES)
    with pytest.raises(InvalidRecord, match="MiB"):
        values.check_size(limits.MAX_CHANGE_BYTES + 1)
