"""The ODK function library, one module per family; ``FUNCTIONS`` maps each name to its builder.

A builder takes (parser, argument nodes, position) and returns a closure ctx -> value;
the parser checks the argument count against (fewest, most) before calling it.
"""
from __future__ import annotations

from typing import Callable

from . import choices, dates, geo, logic, lookups, maths, nodesets, strings

FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {}
for _family in (logic, choices, strings, maths, dates, nodesets, geo, lookups):
    FUNCTIONS.update(_family.FUNCTIONS)
CLOCK_FUNCTIONS = frozenset({"now", "today"})
NODESET_FUNCTIONS = lookups.NODESET_FUNCTIONS  # return several values, like a ${field} in a repeat
