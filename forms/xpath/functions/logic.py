"""Logic and branching: if, coalesce, once, boolean, not, true, false, checklist, weighted-checklist."""
from __future__ import annotations

from typing import Callable

from ..values import error, num, to_bool, to_int, to_string
from .base import gather, is_empty, pure


def _b_if(p, args, pos):
    fc, fa, fb = (a.fn for a in args)
    return lambda ctx: fa(ctx) if to_bool(fc(ctx)) else fb(ctx)  # only the chosen branch runs


def _b_coalesce(p, args, pos):
    fa, fb = (a.fn for a in args)

    def run(ctx):
        first = fa(ctx)
        return fb(ctx) if is_empty(first) else first
    return run


def _within(count: float, least: object, most: object) -> bool:
    """checklist's bounds; -1 means "no bound" on that side (JavaRosa)."""
    low, high = to_int(least), to_int(most)
    return (low < 0 or count >= low) and (high < 0 or count <= high)


def _b_checklist(p, args, pos):
    """checklist(min, max, v...): how many v are true is within [min, max]; repeats count every instance."""
    fmin, fmax, collect = args[0].fn, args[1].fn, gather(args[2:])
    return lambda ctx: _within(sum(1 for v in collect(ctx) if to_bool(v)), fmin(ctx), fmax(ctx))


def _b_weighted_checklist(p, args, pos):
    """weighted-checklist(min, max, v1, w1, v2, w2...): the weights of the true v add up to within [min, max]."""
    if len(args) % 2:
        raise error("weighted-checklist() takes min, max, then pairs of value and weight", pos)
    fmin, fmax = args[0].fn, args[1].fn
    pairs = [(args[i].fn, args[i + 1].fn) for i in range(2, len(args), 2)]

    def run(ctx):
        total = 0.0
        for fvalue, fweight in pairs:
            if to_bool(fvalue(ctx)):
                weight = num(fweight(ctx))
                total += weight if weight == weight else 0  # an empty weight counts as nothing
        return _within(total, fmin(ctx), fmax(ctx))
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
    "checklist": (2, None, _b_checklist),
    "weighted-checklist": (2, None, _b_weighted_checklist),
}
