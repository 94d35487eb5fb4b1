"""Repeats and node-sets: sum, count, count-non-empty, max, min, join, indexed-repeat."""
from __future__ import annotations

from typing import Callable

from ..values import NAN, num, to_int, to_string
from .base import gather, ref_arg, values_fn


def _extreme(pick: Callable, values: list) -> int | float:
    # JavaRosa's max()/min() skip empty and non-numeric values; NaN only when nothing is left.
    numbers = [n for n in map(num, values) if n == n]
    return pick(numbers) if numbers else NAN



def _b_sum(p, args, pos):
    values = values_fn(args[0], "sum", 1)

    def run(ctx):
        total: int | float = 0
        for n in map(num, values(ctx)):
            if n == n:  # JavaRosa skips empty (NaN) values rather than spoiling the sum
                total += n
        return total
    return run


def _b_count(p, args, pos):
    values = values_fn(args[0], "count", 1)
    return lambda ctx: len(values(ctx))


def _b_count_non_empty(p, args, pos):
    values = values_fn(args[0], "count-non-empty", 1)
    return lambda ctx: sum(1 for v in values(ctx) if to_string(v) != "")


def _b_extreme(pick: Callable) -> Callable:
    def build(p, args, pos):
        collect = gather(args)
        return lambda ctx: _extreme(pick, collect(ctx))
    return build


def _b_join(p, args, pos):
    fsep, collect = args[0].fn, gather(args[1:])
    return lambda ctx: to_string(fsep(ctx)).join(map(to_string, collect(ctx)))


def _b_indexed_repeat(p, args, pos):
    field = ref_arg(args[0], "indexed-repeat", 1)
    repeat = ref_arg(args[1], "indexed-repeat", 2)
    findex = args[2].fn

    def run(ctx):
        # JavaRosa reads an index below 1 (often a not-yet-answered one) as 1.
        found = ctx.indexed(field, repeat, max(1, to_int(findex(ctx))))
        return "" if found is None else found
    return run


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "sum": (1, 1, _b_sum),
    "count": (1, 1, _b_count),
    "count-non-empty": (1, 1, _b_count_non_empty),
    "max": (1, None, _b_extreme(max)),
    "min": (1, None, _b_extreme(min)),
    "join": (1, None, _b_join),
    "indexed-repeat": (3, 3, _b_indexed_repeat),
}
