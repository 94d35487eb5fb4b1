"""Numbers: number, int, round, floor, ceiling, abs, pow, sqrt, logarithms, trigonometry, pi, random."""
from __future__ import annotations

import math
import random as _random
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from decimal import Context as _DecimalContext
from typing import Callable

from ..values import INF, NAN, num, to_int
from .base import or_current, pure


def _int(value: object) -> int | float:
    n = num(value)
    if isinstance(n, float) and math.isfinite(n):
        return int(n)  # truncates toward zero, as JavaRosa's int() does
    return n


_DECIMALS = _DecimalContext(prec=1000)  # room for any float's digits when quantizing


def _round(value: object, digits: object = 0) -> int | float:
    n = num(value)
    places = to_int(digits)
    if isinstance(n, float) and not math.isfinite(n):
        return n
    if abs(places) > 30:  # JavaRosa gives NaN for absurd precision
        return NAN
    if isinstance(n, int) and places >= 0:
        return n
    # Decimal of repr() rounds the number as written (2.675 -> 2.68), as JavaRosa's BigDecimal does.
    exact = Decimal(repr(n)) if isinstance(n, float) else Decimal(n)
    try:
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_DECIMALS)
    except InvalidOperation:
        return n
    return int(rounded) if places <= 0 else float(rounded)


def _whole(fn: Callable[[float], int]) -> Callable[[object], int | float]:
    def run(value: object) -> int | float:
        n = num(value)
        return n if isinstance(n, int) or not math.isfinite(n) else fn(n)
    return run


def _pow(base: object, exponent: object) -> int | float:
    a, b = num(base), num(exponent)
    try:
        result = math.pow(a, b)
    except OverflowError:
        return INF
    except ValueError:  # a negative number to a fractional power
        return NAN
    if isinstance(a, int) and isinstance(b, int) and b >= 0 and abs(result) < 2 ** 53:
        return int(result)
    return result


def _sqrt(value: object) -> float:
    n = num(value)
    return math.sqrt(n) if n >= 0 else NAN  # also NaN for NaN, since NaN >= 0 is false


def _real(fn: Callable[..., float]) -> Callable[..., float]:
    """A math-library function of numbers: NaN where it is undefined (log(-1)), as in Java's Math."""
    def run(*values: object) -> float:
        try:
            return fn(*(float(num(v)) for v in values))
        except ValueError:  # outside the domain: log(0) is -Infinity in Java, the rest NaN
            return -INF if fn in (math.log, math.log10) and num(values[0]) == 0 else NAN
        except OverflowError:
            return INF
    return run


def _exp10(x: float) -> float:
    return math.pow(10.0, x)


_RANDOM = _random.SystemRandom()  # random() in a form is not for secrets, but nothing is lost by it


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "number": (0, 1, or_current(num)),  # number() with no argument converts '.'
    "log": (1, 1, pure(_real(math.log))),
    "log10": (1, 1, pure(_real(math.log10))),
    "exp": (1, 1, pure(_real(math.exp))),
    "exp10": (1, 1, pure(_real(_exp10))),
    "sin": (1, 1, pure(_real(math.sin))),
    "cos": (1, 1, pure(_real(math.cos))),
    "tan": (1, 1, pure(_real(math.tan))),
    "asin": (1, 1, pure(_real(math.asin))),
    "acos": (1, 1, pure(_real(math.acos))),
    "atan": (1, 1, pure(_real(math.atan))),
    "atan2": (2, 2, pure(_real(math.atan2))),
    "pi": (0, 0, pure(lambda: math.pi)),
    "random": (0, 0, pure(lambda: _RANDOM.random())),
    "int": (1, 1, pure(_int)),
    "round": (1, 2, pure(_round)),
    "floor": (1, 1, pure(_whole(math.floor))),
    "ceiling": (1, 1, pure(_whole(math.ceil))),
    "abs": (1, 1, pure(lambda v: abs(num(v)))),
    "pow": (2, 2, pure(_pow)),
    "sqrt": (1, 1, pure(_sqrt)),
}
