"""Logic and branching: if, coalesce, once, boolean, not, true, false."""
from __future__ import annotations

from typing import Callable

from ..values import to_bool, to_string
from .base import is_empty, pure


def _b_if(p, args, pos):
    fc, fa, fb = (a.fn for a in args)
    return lambda ctx: fa(ctx) if to_bool(fc(ctx)) else fb(ctx)  # only the chosen branch runs


def _b_coalesce(p, args, pos):
    fa, fb = (a.fn for a in args)

    def run(ctx):
        first = fa(ctx)
        return fb(ctx) if is_empty(first) else first
    return run


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "if": (3, 3, _b_if),
    "coalesce": (2, 2, _b_coalesce),
    "once": (1, 1, pure(lambda v: v)),  # the engine decides when to keep the first value
    "boolean": (1, 1, pure(to_bool)),
    "boolean-from-string": (1, 1, pure(lambda v: to_string(v).lower() == "true" or to_string(v) == "1")),
    "not": (1, 1, pure(lambda v: not to_bool(v))),
    "true": (0, 0, pure(lambda: True)),
    "false": (0, 0, pure(lambda: False)),
}
