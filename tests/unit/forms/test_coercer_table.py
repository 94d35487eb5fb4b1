"""The coercer table of the form engine. (Its complexity check is tests/unit/test_complexity.py.)"""
from __future__ import annotations


def test_every_coercer_is_one_entry_of_the_table():
    from forms.coercers import COERCERS
    from forms.model import SUPPORTED_TYPES

    # A table entry for a type the engine does not know would never run.
    assert set(COERCERS) <= SUPPORTED_TYPES
