"""XPath values: conversions between types, comparisons, arithmetic and the operator tables.

Evaluation does not raise for type problems: like XPath it yields NaN, "" or False instead.
"""
from __future__ import annotations

import math
import operator
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable

NAN = float("nan")
INF = float("inf")
EPOCH_DATE = date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH_DATE.toordinal()
EPOCH_DATETIME = datetime(1970, 1, 1)
ONE_DAY = timedelta(days=1)
TEMPORAL = (date, time)  # datetime is a subclass of date
NUMBER = (int, float)
_NUMERIC_CHARS = frozenset("-.0123456789")
# Closures nest one Python frame per level; this keeps evaluation far from the recursion limit.
MAX_DEPTH = 300


class ExpressionError(Exception):
    """An expression that cannot be parsed (or, rarely, evaluated).

    ``position`` is the 0-based character offset in the expression text, and the
    message ends with "at position N" naming the same offset.
    """

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


def error(problem: str, position: int) -> ExpressionError:
    return ExpressionError(f"{problem} at position {position}", position)

# --- conversions ------------------------------------------------------------------
def to_bool(value: object) -> bool:
    """XPath boolean(): numbers are true when nonzero and not NaN, strings when nonempty."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, NUMBER):
        return value != 0 and value == value
    if isinstance(value, str):
        return value != ""
    return True  # dates and times are always true, as in JavaRosa


def to_number(value: object) -> float:
    """XPath number(): NaN for anything that is not a plain decimal; dates become days since 1970-01-01."""
    n = num(value)
    try:
        return float(n)
    except OverflowError:  # an int too big for a float
        return INF if n > 0 else -INF


def to_string(value: object) -> str:
    """XPath string(): whole numbers without ".0", NaN as "NaN", booleans as true/false, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_string(value)
    if isinstance(value, datetime):
        return datetime_string(value)
    if isinstance(value, TEMPORAL):
        return value.isoformat()
    return str(value)


def datetime_string(value: datetime) -> str:
    """A dateTime as the spec writes it: milliseconds always, and the UTC offset when it is known
    (2024-05-15T10:30:00.000+03:00), as JavaRosa formats now()."""
    text = value.replace(tzinfo=None).isoformat(timespec="milliseconds")
    offset = value.utcoffset()
    if offset is None:
        return text
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def float_string(n: float) -> str:
    if n != n:
        return "NaN"
    if n == INF:
        return "Infinity"
    if n == -INF:
        return "-Infinity"
    if n.is_integer():
        return str(int(n))  # also turns -0.0 into "0", as XPath does
    text = repr(n)
    # XPath numbers never use exponent notation: 1e-07 is "0.0000001".
    return format(Decimal(text), "f") if "e" in text else text


def num(value: object) -> int | float:
    """Like to_number but keeps ints, so integer arithmetic stays integral."""
    if value is None:
        return NAN
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, NUMBER):
        return value
    if isinstance(value, str):
        text = value.strip()
        # XPath numbers are digits, one '.', one leading '-': no exponents, '+', '_' or 'inf' as float() allows.
        if not text or not _NUMERIC_CHARS.issuperset(text):
            return NAN
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return NAN
    if isinstance(value, TEMPORAL):
        return days(value)
    return NAN


def days(value: date | time) -> int | float:
    """Days since 1970-01-01 (fractional for datetimes); a time of day is a fraction of a day."""
    if isinstance(value, datetime):
        # Wall-clock time, ignoring any tzinfo, so now() and today() agree on the local day.
        return (value.replace(tzinfo=None) - EPOCH_DATETIME) / ONE_DAY
    if isinstance(value, date):
        return value.toordinal() - EPOCH_ORDINAL
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return seconds / 86400


def to_int(value: object) -> int:
    """JavaRosa's toInt: truncate toward zero; NaN counts as 0."""
    n = num(value)
    if isinstance(n, int):
        return n
    if n != n:
        return 0
    if n in (INF, -INF):
        return sys.maxsize if n > 0 else -sys.maxsize
    return int(n)


def parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    # The length and digit checks keep plain numbers such as "20240101" from reading as dates.
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        return None


def to_datetime(value: object) -> datetime | None:
    """Whatever format-date accepts, as a datetime; None when it is empty or unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, time):
        return datetime.combine(EPOCH_DATE, value)
    if isinstance(value, str):
        if not value.strip():
            return None
        found = parse_datetime(value)
        if found is None:
            clock = parse_time(value)
            found = None if clock is None else datetime.combine(EPOCH_DATE, clock)
        return found
    if isinstance(value, NUMBER) and not isinstance(value, bool):
        try:
            return EPOCH_DATETIME + timedelta(days=value)
        except (OverflowError, ValueError):  # NaN, infinity or beyond year 9999
            return None
    return None


# --- comparisons and arithmetic ----------------------------------------------------
def _temporal_days(value: object, like: object) -> int | float | None:
    """``value`` as days for comparing with the date or time ``like``; None if it is not one."""
    if isinstance(value, TEMPORAL):
        return days(value)
    if isinstance(value, str):
        if isinstance(like, time):
            found = parse_time(value)
        else:
            found = parse_datetime(value)
        return None if found is None else days(found)
    n = num(value)  # a number on the other side is already a count of days
    return None if n != n else n


def equals(a: object, b: object) -> bool:
    if a is None:
        a = ""
    if b is None:
        b = ""
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if isinstance(a, TEMPORAL) or isinstance(b, TEMPORAL):
        x, y = _temporal_days(a, b), _temporal_days(b, a)
        if x is None or y is None:  # e.g. a date against "": not a date, so compare the text
            return to_string(a) == to_string(b)
        return x == y
    if isinstance(a, NUMBER) or isinstance(b, NUMBER):
        return num(a) == num(b)
    return to_string(a) == to_string(b)


def relational(op: Callable[[object, object], bool], a: object, b: object) -> bool:
    if isinstance(a, TEMPORAL) or isinstance(b, TEMPORAL):
        x, y = _temporal_days(a, b), _temporal_days(b, a)
        return x is not None and y is not None and op(x, y)
    # XPath 1.0 compares <, <=, >, >= as numbers, always; NaN makes every comparison false.
    return op(num(a), num(b))


def _div(a: int | float, b: int | float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: int | float, b: int | float) -> int | float:
    # XPath mod truncates like Java's %: the result takes the dividend's sign.
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            return NAN
        rest = abs(a) % abs(b)
        return -rest if a < 0 else rest
    return math.fmod(a, b)  # ValueError for x mod 0 and inf mod x, turned into NaN by the caller


def _arithmetic(op: Callable) -> Callable:
    def build(fa: Callable, fb: Callable) -> Callable:
        def run(ctx):
            a, b = num(fa(ctx)), num(fb(ctx))
            try:
                return op(a, b)
            except (OverflowError, ValueError, ZeroDivisionError):
                return NAN
        return run
    return build


def _relation(op: Callable) -> Callable:
    def build(fa: Callable, fb: Callable) -> Callable:
        return lambda ctx: relational(op, fa(ctx), fb(ctx))
    return build


OR = {"or": lambda fa, fb: lambda ctx: to_bool(fa(ctx)) or to_bool(fb(ctx))}
AND = {"and": lambda fa, fb: lambda ctx: to_bool(fa(ctx)) and to_bool(fb(ctx))}
EQUALITY = {
    "=": lambda fa, fb: lambda ctx: equals(fa(ctx), fb(ctx)),
    "!=": lambda fa, fb: lambda ctx: not equals(fa(ctx), fb(ctx)),
}
RELATIONAL = {"<": _relation(operator.lt), "<=": _relation(operator.le),
               ">": _relation(operator.gt), ">=": _relation(operator.ge)}
ADDITIVE = {"+": _arithmetic(operator.add), "-": _arithmetic(operator.sub)}
MULTIPLICATIVE = {"*": _arithmetic(operator.mul), "div": _arithmetic(_div), "mod": _arithmetic(_mod)}

