"""Secondary instances and the context: instance() rows, pulldata, current, randomize, jr:itext."""
from __future__ import annotations

import hashlib
import math
from typing import Callable

from ..context import ItemContext
from ..values import error, num, to_bool, to_string
from .base import values_fn

NUMBER = (int, float)


def instance_rows(source: str, tests: list[Callable]) -> Callable:
    """ctx -> the rows of instance ``source`` that pass every predicate, in order."""
    def rows(ctx) -> list:
        found = ctx.instance(source)
        for test in tests:
            kept = []
            for i, row in enumerate(found, start=1):
                verdict = test(ItemContext(ctx, row.get("name", ""), i, row))
                if isinstance(verdict, NUMBER) and not isinstance(verdict, bool):
                    if verdict == i:
                        kept.append(row)
                elif to_bool(verdict):
                    kept.append(row)
            found = kept
        return found
    return rows


def _b_pulldata(p, args, pos):
    """pulldata('file', 'wanted', 'key column', key): the first matching row's column, else ""."""
    source = args[0]
    if source.kind != "str":
        raise error("pulldata() needs the attachment's name in quotes as argument 1, as in pulldata('prices', ...)",
                    source.pos)
    name = source.value[:-4] if source.value.lower().endswith(".csv") else source.value
    p.instances.add(name)
    fwanted, fkey_column, fkey = args[1].fn, args[2].fn, args[3].fn

    def run(ctx):
        wanted, key_column, key = to_string(fwanted(ctx)), to_string(fkey_column(ctx)), to_string(fkey(ctx))
        for row in ctx.instance(name):
            if to_string(row.get(key_column, "")) == key:
                return row.get(wanted, "")
        return ""
    return run


def _b_current(p, args, pos):
    """current(): the question being evaluated, even inside a predicate where '.' is the item."""
    def run(ctx):
        origin = ctx.origin() if isinstance(ctx, ItemContext) else ctx
        found = origin.current()
        return "" if found is None else found
    return run


class _ParkMiller:
    """The Park-Miller generator the spec names for a seeded randomize(), so a seed gives the
    same order here as in Collect (a library generator would give another order)."""

    def __init__(self, seed: int) -> None:
        # Java's remainder keeps the dividend's sign (-42 stays -42), then <= 0 moves up by M - 1.
        self.state = int(math.fmod(seed, 2147483647))
        if self.state <= 0:
            self.state += 2147483646

    def random(self) -> float:
        self.state = self.state * 16807 % 2147483647
        return (self.state - 1) / 2147483646


def _seed(seed: object, fallback: int) -> int:
    """JavaRosa's seed: a number truncated to a whole number (its long conversion); text that is
    not a number hashed (the first 8 bytes of its SHA-256, big-endian, signed); no seed at all
    uses ``fallback``, the record's seed, so the order holds for the record."""
    if seed is None:
        return fallback
    n = num(seed)
    if isinstance(n, int):
        return n
    if math.isfinite(n):
        return int(n)
    text = to_string(seed)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True) if text else 0


def shuffle(items: list, seed: object = None, fallback: int = 1) -> list:
    """The spec's inside-out Fisher-Yates shuffle, drawing from a Park-Miller generator."""
    generator = _ParkMiller(_seed(seed, fallback))
    result: list = []
    for i, item in enumerate(items):
        j = math.floor(generator.random() * (i + 1))
        if j == i:
            result.append(item)
        else:
            result.append(result[j])
            result[j] = item
    return result


def _b_randomize(p, args, pos):
    items = values_fn(args[0], "randomize", 1)
    fseed = args[1].fn if len(args) > 1 else None

    def values(ctx) -> list:
        return shuffle(list(items(ctx)), fseed(ctx) if fseed else None, ctx.record_seed())
    return values


def _b_itext(p, args, pos):
    fref = args[0].fn
    return lambda ctx: ctx.itext(to_string(fref(ctx)))


# randomize() yields a list: the parser wraps it as a node-set (see ``NODESET_FUNCTIONS``).
NODESET_FUNCTIONS = frozenset({"randomize"})

FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "pulldata": (4, 4, _b_pulldata),
    "current": (0, 0, _b_current),
    "randomize": (1, 2, _b_randomize),
    "itext": (1, 1, _b_itext),
}
