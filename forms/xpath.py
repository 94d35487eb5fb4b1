"""The ODK XPath dialect of XLSForm expression columns: parse once, evaluate many times.

Covers what forms put in ``relevant``, ``constraint``, ``calculation``,
``choice_filter``, ``required``, ``default`` and ``repeat_count``: literals,
``${name}`` references, ``.``, ``position(..)``, bare choice-column names, the
XPath 1.0 operators and the ODK function library. Semantics follow XPath 1.0 as
JavaRosa (ODK Collect) implements it, so a form behaves here as it does there.

``parse`` turns text into an ``Expr`` holding a tree of Python closures, so
evaluation does no tokenising or regex work. Values come from a ``Context``
that the form engine implements; ``SimpleContext`` is a dict-backed one for
tests and previews. Evaluation does not raise for type problems: like XPath it
yields NaN, "" or False instead.
"""
from __future__ import annotations

import math
import operator
import re
import secrets
import string as _string
import sys
import uuid as _uuid
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from decimal import Context as _DecimalContext
from functools import lru_cache
from typing import Callable, Mapping, NamedTuple, Protocol

__all__ = [
    "Context", "Expr", "ExpressionError", "SimpleContext",
    "evaluate", "parse", "to_bool", "to_number", "to_string",
]

NAN = float("nan")
INF = float("inf")
_EPOCH_DATE = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_DATE.toordinal()
_EPOCH_DATETIME = datetime(1970, 1, 1)
_ONE_DAY = timedelta(days=1)
_TEMPORAL = (date, time)  # datetime is a subclass of date
_NUMBER = (int, float)
_NUMERIC_CHARS = frozenset("-.0123456789")
# Closures nest one Python frame per level; this keeps evaluation far from the recursion limit.
_MAX_DEPTH = 300


class ExpressionError(Exception):
    """An expression that cannot be parsed (or, rarely, evaluated).

    ``position`` is the 0-based character offset in the expression text, and the
    message ends with "at position N" naming the same offset.
    """

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


def _error(problem: str, position: int) -> ExpressionError:
    return ExpressionError(f"{problem} at position {position}", position)


class Context(Protocol):
    """What an expression can see; the form engine implements it."""

    def value(self, name: str) -> object:
        """``${name}`` as seen from the current repeat instance ("" when empty or not relevant)."""

    def values(self, name: str) -> list:
        """``${name}`` across every repeat instance (a one-element list outside repeats)."""

    def current(self) -> object:
        """The value of ``.``: the question being evaluated."""

    def position(self) -> int:
        """1-based position of the current repeat instance."""

    def indexed(self, name: str, repeat: str, index: int) -> object:
        """``indexed-repeat(${name}, ${repeat}, index)`` with a 1-based index."""

    def choice_label(self, name: str, value: str) -> str:
        """The label of choice ``value`` of the select question ``name``."""

    def choice_column(self, column: str) -> object:
        """In a choice_filter: column ``column`` of the candidate choice row."""

    def now(self) -> datetime:
        """The current date and time."""

    def today(self) -> date:
        """The current date."""


# --- conversions ------------------------------------------------------------------
def to_bool(value: object) -> bool:
    """XPath boolean(): numbers are true when nonzero and not NaN, strings when nonempty."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, _NUMBER):
        return value != 0 and value == value
    if isinstance(value, str):
        return value != ""
    return True  # dates and times are always true, as in JavaRosa


def to_number(value: object) -> float:
    """XPath number(): NaN for anything that is not a plain decimal; dates become days since 1970-01-01."""
    n = _num(value)
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
        return _float_string(value)
    if isinstance(value, _TEMPORAL):
        return value.isoformat()
    return str(value)


def _float_string(n: float) -> str:
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


def _num(value: object) -> int | float:
    """Like to_number but keeps ints, so integer arithmetic stays integral."""
    if value is None:
        return NAN
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, _NUMBER):
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
    if isinstance(value, _TEMPORAL):
        return _days(value)
    return NAN


def _days(value: date | time) -> int | float:
    """Days since 1970-01-01 (fractional for datetimes); a time of day is a fraction of a day."""
    if isinstance(value, datetime):
        # Wall-clock time, ignoring any tzinfo, so now() and today() agree on the local day.
        return (value.replace(tzinfo=None) - _EPOCH_DATETIME) / _ONE_DAY
    if isinstance(value, date):
        return value.toordinal() - _EPOCH_ORDINAL
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return seconds / 86400


def _to_int(value: object) -> int:
    """JavaRosa's toInt: truncate toward zero; NaN counts as 0."""
    n = _num(value)
    if isinstance(n, int):
        return n
    if n != n:
        return 0
    if n in (INF, -INF):
        return sys.maxsize if n > 0 else -sys.maxsize
    return int(n)


def _parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    # The length and digit checks keep plain numbers such as "20240101" from reading as dates.
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        return None


def _to_datetime(value: object) -> datetime | None:
    """Whatever format-date accepts, as a datetime; None when it is empty or unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, time):
        return datetime.combine(_EPOCH_DATE, value)
    if isinstance(value, str):
        if not value.strip():
            return None
        found = _parse_datetime(value)
        if found is None:
            clock = _parse_time(value)
            found = None if clock is None else datetime.combine(_EPOCH_DATE, clock)
        return found
    if isinstance(value, _NUMBER) and not isinstance(value, bool):
        try:
            return _EPOCH_DATETIME + timedelta(days=value)
        except (OverflowError, ValueError):  # NaN, infinity or beyond year 9999
            return None
    return None


# --- comparisons and arithmetic ----------------------------------------------------
def _temporal_days(value: object, like: object) -> int | float | None:
    """``value`` as days for comparing with the date or time ``like``; None if it is not one."""
    if isinstance(value, _TEMPORAL):
        return _days(value)
    if isinstance(value, str):
        if isinstance(like, time):
            found = _parse_time(value)
        else:
            found = _parse_datetime(value)
        return None if found is None else _days(found)
    n = _num(value)  # a number on the other side is already a count of days
    return None if n != n else n


def _equals(a: object, b: object) -> bool:
    if a is None:
        a = ""
    if b is None:
        b = ""
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if isinstance(a, _TEMPORAL) or isinstance(b, _TEMPORAL):
        x, y = _temporal_days(a, b), _temporal_days(b, a)
        if x is None or y is None:  # e.g. a date against "": not a date, so compare the text
            return to_string(a) == to_string(b)
        return x == y
    if isinstance(a, _NUMBER) or isinstance(b, _NUMBER):
        return _num(a) == _num(b)
    return to_string(a) == to_string(b)


def _relational(op: Callable[[object, object], bool], a: object, b: object) -> bool:
    if isinstance(a, _TEMPORAL) or isinstance(b, _TEMPORAL):
        x, y = _temporal_days(a, b), _temporal_days(b, a)
        return x is not None and y is not None and op(x, y)
    # XPath 1.0 compares <, <=, >, >= as numbers, always; NaN makes every comparison false.
    return op(_num(a), _num(b))


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
            a, b = _num(fa(ctx)), _num(fb(ctx))
            try:
                return op(a, b)
            except (OverflowError, ValueError, ZeroDivisionError):
                return NAN
        return run
    return build


def _relation(op: Callable) -> Callable:
    def build(fa: Callable, fb: Callable) -> Callable:
        return lambda ctx: _relational(op, fa(ctx), fb(ctx))
    return build


_OR = {"or": lambda fa, fb: lambda ctx: to_bool(fa(ctx)) or to_bool(fb(ctx))}
_AND = {"and": lambda fa, fb: lambda ctx: to_bool(fa(ctx)) and to_bool(fb(ctx))}
_EQUALITY = {
    "=": lambda fa, fb: lambda ctx: _equals(fa(ctx), fb(ctx)),
    "!=": lambda fa, fb: lambda ctx: not _equals(fa(ctx), fb(ctx)),
}
_RELATIONAL = {"<": _relation(operator.lt), "<=": _relation(operator.le),
               ">": _relation(operator.gt), ">=": _relation(operator.ge)}
_ADDITIVE = {"+": _arithmetic(operator.add), "-": _arithmetic(operator.sub)}
_MULTIPLICATIVE = {"*": _arithmetic(operator.mul), "div": _arithmetic(_div), "mod": _arithmetic(_mod)}


# --- plain functions (arguments already evaluated) ----------------------------------------
def _selected(answer: object, choice: object) -> bool:
    return to_string(choice).strip() in to_string(answer).split()


def _selected_at(answer: object, index: object) -> str:
    parts = to_string(answer).split()
    i = _to_int(index)
    return parts[i] if 0 <= i < len(parts) else ""


def _substr(text: object, start: object, end: object = None) -> str:
    # ODK substr: 0-based start, exclusive end, negatives count from the end (JavaRosa).
    s = to_string(text)
    n = len(s)
    a = _to_int(start)
    b = n if end is None else _to_int(end)
    a = min(max(0, a + n if a < 0 else a), n)
    b = min(max(0, b + n if b < 0 else b), n)
    return s[a:b]


def _substring_before(text: object, part: object) -> str:
    s, p = to_string(text), to_string(part)
    i = s.find(p)
    return s[:i] if i >= 0 else ""


def _substring_after(text: object, part: object) -> str:
    s, p = to_string(text), to_string(part)
    i = s.find(p)
    return s[i + len(p):] if i >= 0 else ""


def _translate(text: object, source: object, target: object) -> str:
    table: dict[int, str | None] = {}
    to = to_string(target)
    for i, ch in enumerate(to_string(source)):
        table.setdefault(ord(ch), to[i] if i < len(to) else None)  # the first mapping of a char wins
    return to_string(text).translate(table)


def _int(value: object) -> int | float:
    n = _num(value)
    if isinstance(n, float) and math.isfinite(n):
        return int(n)  # truncates toward zero, as JavaRosa's int() does
    return n


_DECIMALS = _DecimalContext(prec=1000)  # room for any float's digits when quantizing


def _round(value: object, digits: object = 0) -> int | float:
    n = _num(value)
    places = _to_int(digits)
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
        n = _num(value)
        return n if isinstance(n, int) or not math.isfinite(n) else fn(n)
    return run


def _pow(base: object, exponent: object) -> int | float:
    a, b = _num(base), _num(exponent)
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
    n = _num(value)
    return math.sqrt(n) if n >= 0 else NAN  # also NaN for NaN, since NaN >= 0 is false


def _date(value: object) -> date | str:
    """date(): dates, 'YYYY-MM-DD' text, or days since 1970-01-01; "" for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        found = _parse_datetime(value)
        return "" if found is None else found.date()
    if isinstance(value, _NUMBER):
        n = _num(value)
        if isinstance(n, float) and not math.isfinite(n):
            return ""
        try:
            return _EPOCH_DATE + timedelta(days=int(n))  # truncates, like JavaRosa's toInt
        except OverflowError:
            return ""
    return ""


def _decimal_date_time(value: object) -> float | str:
    if isinstance(value, str):
        if not value.strip():
            return ""
        found = _parse_datetime(value)
        return NAN if found is None else float(_days(found))
    if isinstance(value, _TEMPORAL):
        return float(_days(value))
    return float(to_number(value))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FORMATS: dict[str, Callable[[datetime], str]] = {
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "b": lambda d: _MONTHS[d.month - 1],
    "d": lambda d: f"{d.day:02d}",
    "e": lambda d: str(d.day),
    "a": lambda d: _WEEKDAYS[d.weekday()],
    "H": lambda d: f"{d.hour:02d}",
    "h": lambda d: str(d.hour),
    "M": lambda d: f"{d.minute:02d}",
    "S": lambda d: f"{d.second:02d}",
    "3": lambda d: f"{d.microsecond // 1000:03d}",
    "%": lambda d: "%",
}


def _format_date(value: object, pattern: object) -> str:
    moment = _to_datetime(value)
    if moment is None:
        return ""
    fmt = to_string(pattern)
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            out.append(_FORMATS[code](moment) if code in _FORMATS else "%" + code)
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


_ALPHANUMERIC = _string.ascii_letters + _string.digits


def _uuid_fn(length: object = None) -> str:
    if length is None:
        return str(_uuid.uuid4())
    # uuid(n): a random alphanumeric string of n characters (JavaRosa's genGUID); capped for sanity.
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(min(max(0, _to_int(length)), 4096)))


def _is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _extreme(pick: Callable, values: list) -> int | float:
    # JavaRosa's max()/min() skip empty and non-numeric values; NaN only when nothing is left.
    numbers = [n for n in map(_num, values) if n == n]
    return pick(numbers) if numbers else NAN


# --- function builders: (parser, argument nodes, position) -> closure ------------------------
def _pure(fn: Callable) -> Callable:
    """A function of its evaluated arguments."""
    def build(p: _Parser, args: list[_Node], pos: int) -> Callable:
        fs = [a.fn for a in args]
        if not fs:
            return lambda ctx: fn()
        if len(fs) == 1:
            f0 = fs[0]
            return lambda ctx: fn(f0(ctx))
        if len(fs) == 2:
            f0, f1 = fs
            return lambda ctx: fn(f0(ctx), f1(ctx))
        return lambda ctx: fn(*[f(ctx) for f in fs])
    return build


def _or_current(fn: Callable) -> Callable:
    """string-length() and normalize-space() with no argument use '.'."""
    def build(p: _Parser, args: list[_Node], pos: int) -> Callable:
        return _pure(fn)(p, args, pos) if args else (lambda ctx: fn(ctx.current()))
    return build


def _ref_arg(node: _Node, function: str, index: int) -> str:
    if node.kind != "ref":
        raise _error(f"{function}() needs a ${{field}} reference as argument {index}", node.pos)
    return node.value


def _values_fn(node: _Node, function: str = "", index: int = 1) -> Callable:
    """ctx -> every value a reference stands for (each repeat instance), after any predicate."""
    if node.kind == "ref":
        name = node.value
        return lambda ctx: ctx.values(name)
    if node.kind == "refset":
        return node.value[1]
    raise _error(f"{function}() needs a ${{field}} reference as argument {index}", node.pos)


class _ItemContext:
    """The context inside a predicate: '.' is the value being tested; the rest is as outside."""

    __slots__ = ("outer", "item")

    def __init__(self, outer, item: object) -> None:
        self.outer, self.item = outer, item

    def current(self) -> object:
        return self.item

    def value(self, name: str) -> object:
        return self.outer.value(name)

    def values(self, name: str) -> list:
        return self.outer.values(name)

    def position(self) -> int:
        return self.outer.position()

    def indexed(self, name: str, repeat: str, index: int) -> object:
        return self.outer.indexed(name, repeat, index)

    def choice_label(self, name: str, value: str) -> str:
        return self.outer.choice_label(name, value)

    def choice_column(self, column: str) -> object:
        # A repeat read as a whole gives one mapping per entry: in ``${members}[disabled='yes']``
        # a bare name is that entry's field (the XPath child step); otherwise a choice column.
        if isinstance(self.item, Mapping):
            return self.item.get(column, "")
        return self.outer.choice_column(column)

    def now(self) -> datetime:
        return self.outer.now()

    def today(self) -> date:
        return self.outer.today()


def _gather(args: list[_Node]) -> Callable:
    """Values of the arguments, every repeat instance of each reference included."""
    parts = [(True, _values_fn(a)) if a.kind in ("ref", "refset") else (False, a.fn) for a in args]

    def run(ctx) -> list:
        out: list = []
        for many, item in parts:
            if many:
                out.extend(item(ctx))
            else:
                out.append(item(ctx))
        return out
    return run


def _b_if(p, args, pos):
    fc, fa, fb = (a.fn for a in args)
    return lambda ctx: fa(ctx) if to_bool(fc(ctx)) else fb(ctx)  # only the chosen branch runs


def _b_coalesce(p, args, pos):
    fa, fb = (a.fn for a in args)

    def run(ctx):
        first = fa(ctx)
        return fb(ctx) if _is_empty(first) else first
    return run


def _b_sum(p, args, pos):
    values = _values_fn(args[0], "sum", 1)

    def run(ctx):
        total: int | float = 0
        for n in map(_num, values(ctx)):
            if n == n:  # JavaRosa skips empty (NaN) values rather than spoiling the sum
                total += n
        return total
    return run


def _b_count(p, args, pos):
    values = _values_fn(args[0], "count", 1)
    return lambda ctx: len(values(ctx))


def _b_count_non_empty(p, args, pos):
    values = _values_fn(args[0], "count-non-empty", 1)
    return lambda ctx: sum(1 for v in values(ctx) if to_string(v) != "")


def _b_extreme(pick: Callable) -> Callable:
    def build(p, args, pos):
        gather = _gather(args)
        return lambda ctx: _extreme(pick, gather(ctx))
    return build


def _b_join(p, args, pos):
    fsep, gather = args[0].fn, _gather(args[1:])
    return lambda ctx: to_string(fsep(ctx)).join(map(to_string, gather(ctx)))


def _b_indexed_repeat(p, args, pos):
    field = _ref_arg(args[0], "indexed-repeat", 1)
    repeat = _ref_arg(args[1], "indexed-repeat", 2)
    findex = args[2].fn

    def run(ctx):
        # JavaRosa reads an index below 1 (often a not-yet-answered one) as 1.
        found = ctx.indexed(field, repeat, max(1, _to_int(findex(ctx))))
        return "" if found is None else found
    return run


def _b_choice_name(p, args, pos):
    literal = args[1]
    name = _literal_ref(literal.value) if literal.kind == "str" else None
    if name is None:
        raise _error("jr:choice-name() needs the question as a quoted reference, e.g. '${field}',"
                     " as argument 2", literal.pos)
    p.refs.add(name)
    fvalue = args[0].fn

    def run(ctx):
        value = to_string(fvalue(ctx))
        return ctx.choice_label(name, value) if value else ""
    return run


def _b_regex(p, args, pos):
    ftext, pattern = args[0].fn, args[1]
    # re.ASCII: \d, \w and (?i) match ASCII only, as java.util.regex does by default.
    if pattern.kind == "str":
        try:
            compiled = re.compile(pattern.value, re.ASCII)
        except re.error as exc:
            raise _error(f"invalid regular expression ({exc.msg})", pattern.pos) from None
        return lambda ctx: compiled.fullmatch(to_string(ftext(ctx))) is not None
    fpattern = pattern.fn

    def run(ctx):
        try:
            return re.fullmatch(to_string(fpattern(ctx)), to_string(ftext(ctx)), re.ASCII) is not None
        except re.error:
            return False
    return run


def _b_today(p, args, pos):
    return lambda ctx: ctx.today()


def _b_now(p, args, pos):
    return lambda ctx: ctx.now()


_FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    # name: (fewest arguments, most arguments or None for any, builder)
    "if": (3, 3, _b_if),
    "coalesce": (2, 2, _b_coalesce),
    "once": (1, 1, _pure(lambda v: v)),  # the engine decides when to keep the first value
    "selected": (2, 2, _pure(_selected)),
    "count-selected": (1, 1, _pure(lambda v: len(to_string(v).split()))),
    "selected-at": (2, 2, _pure(_selected_at)),
    "choice-name": (2, 2, _b_choice_name),
    "concat": (0, None, _pure(lambda *vs: "".join(map(to_string, vs)))),
    "string-length": (0, 1, _or_current(lambda v: len(to_string(v)))),
    "normalize-space": (0, 1, _or_current(lambda v: " ".join(to_string(v).split()))),
    "substr": (2, 3, _pure(_substr)),
    "substring-before": (2, 2, _pure(_substring_before)),
    "substring-after": (2, 2, _pure(_substring_after)),
    "contains": (2, 2, _pure(lambda a, b: to_string(b) in to_string(a))),
    "starts-with": (2, 2, _pure(lambda a, b: to_string(a).startswith(to_string(b)))),
    "ends-with": (2, 2, _pure(lambda a, b: to_string(a).endswith(to_string(b)))),
    "translate": (3, 3, _pure(_translate)),
    "regex": (2, 2, _b_regex),
    "string": (1, 1, _pure(to_string)),
    "number": (1, 1, _pure(_num)),
    "int": (1, 1, _pure(_int)),
    "boolean": (1, 1, _pure(to_bool)),
    "boolean-from-string": (1, 1, _pure(lambda v: to_string(v).lower() == "true" or to_string(v) == "1")),
    "not": (1, 1, _pure(lambda v: not to_bool(v))),
    "true": (0, 0, _pure(lambda: True)),
    "false": (0, 0, _pure(lambda: False)),
    "round": (1, 2, _pure(_round)),
    "floor": (1, 1, _pure(_whole(math.floor))),
    "ceiling": (1, 1, _pure(_whole(math.ceil))),
    "abs": (1, 1, _pure(lambda v: abs(_num(v)))),
    "pow": (2, 2, _pure(_pow)),
    "sqrt": (1, 1, _pure(_sqrt)),
    "today": (0, 0, _b_today),
    "now": (0, 0, _b_now),
    "date": (1, 1, _pure(_date)),
    "decimal-date-time": (1, 1, _pure(_decimal_date_time)),
    "format-date": (2, 2, _pure(_format_date)),
    "format-date-time": (2, 2, _pure(_format_date)),
    "sum": (1, 1, _b_sum),
    "count": (1, 1, _b_count),
    "count-non-empty": (1, 1, _b_count_non_empty),
    "max": (1, None, _b_extreme(max)),
    "min": (1, None, _b_extreme(min)),
    "join": (1, None, _b_join),
    "indexed-repeat": (3, 3, _b_indexed_repeat),
    "uuid": (0, 1, _pure(_uuid_fn)),
}
_CLOCK_FUNCTIONS = frozenset({"now", "today"})


# --- tokenizer -------------------------------------------------------------------------
class _Token(NamedTuple):
    kind: str  # num str ref name dot dotdot op ( ) [ ] , eof
    value: object
    pos: int
    text: str


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def _valid_name(name: str) -> bool:
    """An XLSForm question name: a letter or '_', then letters, digits, '_', '-' or '.'."""
    return bool(name) and _is_name_start(name[0]) and all(_is_name_char(ch) for ch in name)


def _literal_ref(text: str) -> str | None:
    """The name in a string literal such as '${field}' (jr:choice-name's second argument)."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}") and _valid_name(text[2:-1]):
        return text[2:-1]
    return None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        start = i
        if ch.isspace():  # any whitespace, not just XPath's four: spreadsheet cells carry no-break spaces
            i += 1
        elif ch in "0123456789" or (ch == "." and i + 1 < n and text[i + 1] in "0123456789"):
            while i < n and text[i] in "0123456789":
                i += 1
            if i < n and text[i] == "." and not text.startswith("..", i):
                i += 1
                while i < n and text[i] in "0123456789":
                    i += 1
            literal = text[start:i]
            try:
                value: int | float = float(literal) if "." in literal else int(literal)
            except ValueError:  # more digits than int() will read: far beyond any real number
                value = float(literal)
            tokens.append(_Token("num", value, start, literal))
        elif ch == ".":
            width = 2 if text.startswith("..", i) else 1
            tokens.append(_Token("dotdot" if width == 2 else "dot", None, start, text[i:i + width]))
            i += width
        elif ch in "'\"":
            end = text.find(ch, i + 1)  # XPath 1.0 strings have no escapes
            if end < 0:
                raise _error("unterminated string", start)
            tokens.append(_Token("str", text[i + 1:end], start, text[start:end + 1]))
            i = end + 1
        elif ch == "$":
            if not text.startswith("${", i):
                raise _error("'$' must start a reference such as ${field}", start)
            end = text.find("}", i + 2)
            if end < 0:
                raise _error("unterminated reference '${'", start)
            name = text[i + 2:end]
            if not _valid_name(name):
                raise _error(f"invalid field name {name!r} in reference", start)
            tokens.append(_Token("ref", name, start, text[start:end + 1]))
            i = end + 1
        elif _is_name_start(ch):
            i += 1
            while i < n and _is_name_char(text[i]):
                i += 1
            if i + 1 < n and text[i] == ":" and _is_name_start(text[i + 1]):  # a prefix, as in jr:choice-name
                i += 1
                while i < n and _is_name_char(text[i]):
                    i += 1
            tokens.append(_Token("name", text[start:i], start, text[start:i]))
        elif text.startswith(("!=", "<=", ">="), i):
            tokens.append(_Token("op", None, start, text[i:i + 2]))
            i += 2
        elif ch in "+-*=<>":
            tokens.append(_Token("op", None, start, ch))
            i += 1
        elif ch in "(),[]":
            tokens.append(_Token(ch, None, start, ch))
            i += 1
        else:
            raise _error(f"unexpected character {ch!r}", start)
    tokens.append(_Token("eof", None, n, ""))
    return tokens


# --- parser: recursive descent straight to closures ---------------------------------------
class _Node(NamedTuple):
    fn: Callable  # ctx -> value
    kind: str  # num str ref refset dot column op call
    value: object  # the literal, or the name of a reference or column
    pos: int
    depth: int


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.refs: set[str] = {t.value for t in self.tokens if t.kind == "ref"}
        self.columns: set[str] = set()
        self.clock = False

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    @staticmethod
    def unexpected(token: _Token) -> ExpressionError:
        what = "end of expression" if token.kind == "eof" else repr(token.text)
        return _error(f"unexpected {what}", token.pos)

    @staticmethod
    def node(fn: Callable, kind: str, value: object, pos: int, children: tuple[_Node, ...] | list[_Node] = ()) -> _Node:
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > _MAX_DEPTH:
            raise _error("expression is nested too deeply", pos)
        return _Node(fn, kind, value, pos, depth)

    def parse(self) -> _Node:
        if self.peek().kind == "eof":
            raise _error("empty expression", 0)
        result = self.or_expr()
        if self.peek().kind != "eof":
            raise self.unexpected(self.peek())
        return result

    def binary(self, operand: Callable[[], _Node], builders: dict[str, Callable]) -> _Node:
        left = operand()
        while True:
            token = self.peek()
            # Names such as 'and' or 'div' are operators only here, after an operand (XPath 1.0 rule).
            build = builders.get(token.text) if token.kind in ("op", "name") else None
            if build is None:
                return left
            self.i += 1
            right = operand()
            left = self.node(build(left.fn, right.fn), "op", token.text, token.pos, (left, right))

    # Lowest precedence first: or < and < equality < relational < additive < multiplicative < unary.
    def or_expr(self) -> _Node:
        return self.binary(self.and_expr, _OR)

    def and_expr(self) -> _Node:
        return self.binary(self.equality, _AND)

    def equality(self) -> _Node:
        return self.binary(self.relational, _EQUALITY)

    def relational(self) -> _Node:
        return self.binary(self.additive, _RELATIONAL)

    def additive(self) -> _Node:
        return self.binary(self.multiplicative, _ADDITIVE)

    def multiplicative(self) -> _Node:
        return self.binary(self.unary, _MULTIPLICATIVE)

    def unary(self) -> _Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.i += 1
            operand = self.unary()
            f = operand.fn
            return self.node(lambda ctx: -_num(f(ctx)), "op", "-", token.pos, (operand,))
        return self.primary()

    def primary(self) -> _Node:
        token = self.take()
        kind = token.kind
        if kind in ("num", "str"):
            constant = token.value
            return self.node(lambda ctx: constant, kind, constant, token.pos)
        if kind == "ref":
            name = token.value

            def reference(ctx):
                found = ctx.value(name)
                return "" if found is None else found
            node = self.node(reference, "ref", name, token.pos)
            while self.peek().kind == "[":
                node = self.predicate(node)
            return node
        if kind == "dot":
            return self.node(lambda ctx: _blank(ctx.current()), "dot", None, token.pos)
        if kind == "dotdot":
            raise _error("'..' is only allowed as position(..)", token.pos)
        if kind == "(":
            inner = self.or_expr()
            self.close(token)
            return inner
        if kind == "name":
            if self.peek().kind == "(":
                return self.call(token)
            if ":" in token.text:
                raise self.unexpected(token)
            column = token.text
            self.columns.add(column)
            return self.node(lambda ctx: _blank(ctx.choice_column(column)), "column", column, token.pos)
        raise self.unexpected(token)

    def predicate(self, base: _Node) -> _Node:
        """``${age}[. >= 18]``: the values of a reference that pass a test, with '.' as each value.

        A number as the test picks by position, as in XPath: ``${age}[2]``.
        """
        opening = self.take()
        test = self.or_expr()
        token = self.take()
        if token.kind != "]":
            raise _error("missing ']' for the '['", opening.pos) if token.kind == "eof" else self.unexpected(token)
        source = _values_fn(base)
        check = test.fn

        def values(ctx) -> list:
            kept = []
            for i, item in enumerate(source(ctx), start=1):
                verdict = check(_ItemContext(ctx, item))
                if isinstance(verdict, _NUMBER) and not isinstance(verdict, bool):
                    if verdict == i:
                        kept.append(item)
                elif to_bool(verdict):
                    kept.append(item)
            return kept

        def first(ctx):  # a filtered reference read as one value: the first that passes (XPath)
            kept = values(ctx)
            return kept[0] if kept else ""
        return self.node(first, "refset", (base.value if base.kind == "ref" else base.value[0], values),
                         base.pos, (base, test))

    def close(self, opening: _Token) -> None:
        token = self.take()
        if token.kind == ")":
            return
        if token.kind == "eof":
            raise _error("missing ')' for the '('", opening.pos)
        raise self.unexpected(token)

    def call(self, name_token: _Token) -> _Node:
        opening = self.take()
        qname = name_token.text
        name = qname[3:] if qname.startswith("jr:") else qname
        pos = name_token.pos
        if name == "position":
            # Only position(..): the 1-based index of the repeat instance holding the question.
            if self.take().kind != "dotdot" or self.take().kind != ")":
                raise _error("position() takes '..' as its only argument, as in position(..)", pos)
            return self.node(lambda ctx: ctx.position(), "call", name, pos)
        spec = _FUNCTIONS.get(name) if ":" not in name else None
        if spec is None:
            raise _error(f"unknown function '{qname}()'", pos)
        args: list[_Node] = []
        if self.peek().kind == ")":
            self.i += 1
        else:
            while True:
                args.append(self.or_expr())
                token = self.take()
                if token.kind == ")":
                    break
                if token.kind == "eof":
                    raise _error("missing ')' for the '('", opening.pos)
                if token.kind != ",":
                    raise self.unexpected(token)
        fewest, most, build = spec
        if len(args) < fewest or (most is not None and len(args) > most):
            if most is None:
                wanted = f"at least {fewest}"
            elif fewest == most:
                wanted = str(fewest)
            else:
                wanted = f"{fewest} to {most}"
            raise ExpressionError(
                f"wrong number of arguments at position {pos}: {qname}() takes {wanted}, got {len(args)}", pos)
        if name in _CLOCK_FUNCTIONS:
            self.clock = True
        return self.node(build(self, args, pos), "call", name, pos, args)


def _blank(value: object) -> object:
    return "" if value is None else value


# --- public entry points ----------------------------------------------------------------
class Expr:
    """A parsed expression: the text, what it reads, and a closure that evaluates it."""

    __slots__ = ("text", "references", "columns", "uses_clock", "_run")

    def __init__(self, text: str, references: frozenset[str], columns: frozenset[str],
                 uses_clock: bool, run: Callable):
        self.text = text
        self.references = references  # every ${name}, including jr:choice-name's quoted one
        self.columns = columns  # bare names: choice-row columns, meaningful only in a choice_filter
        self.uses_clock = uses_clock  # calls now() or today(), so is re-evaluated on save
        self._run = run

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


def parse(text: str) -> Expr:
    """Parse an expression; ExpressionError (with a position) for anything malformed."""
    return _parse_cached(text)


@lru_cache(maxsize=4096)  # forms repeat the same expressions; an Expr is immutable, so share it
def _parse_cached(text: str) -> Expr:
    parser = _Parser(text)
    try:
        root = parser.parse()
    except RecursionError:  # parentheses nested beyond anything a person writes
        raise _error("expression is nested too deeply", 0) from None
    return Expr(text, frozenset(parser.refs), frozenset(parser.columns), parser.clock, root.fn)


def evaluate(expr: Expr | str, ctx: Context) -> object:
    """Evaluate a parsed expression (or text, parsed on the way) against a context."""
    if isinstance(expr, str):
        expr = parse(expr)
    return expr._run(ctx)


class SimpleContext:
    """A dict-backed Context for tests and previews.

    ``fields`` maps names to answers; a list is a field inside a repeat (one value
    per instance) or a repeat itself (one item per instance). ``labels`` maps a
    select question to {choice name: label}; ``row`` is the candidate choice row of
    a choice_filter.
    """

    def __init__(self, fields: Mapping[str, object] | None = None, *, current: object = "",
                 position: int = 1, labels: Mapping[str, Mapping[str, str]] | None = None,
                 row: Mapping[str, object] | None = None, now: datetime | None = None,
                 today: date | None = None):
        self.fields = dict(fields or {})
        self._current = current
        self._position = position
        self.labels = labels or {}
        self.row = row or {}
        self._now = now
        self._today = today

    def value(self, name: str) -> object:
        found = self.fields.get(name, "")
        if isinstance(found, list):
            index = self._position - 1
            return found[index] if 0 <= index < len(found) else ""
        return found

    def values(self, name: str) -> list:
        found = self.fields.get(name, "")
        return list(found) if isinstance(found, list) else [found]

    def current(self) -> object:
        return self._current

    def position(self) -> int:
        return self._position

    def indexed(self, name: str, repeat: str, index: int) -> object:
        if not isinstance(self.fields.get(repeat), list):
            raise ExpressionError(f"indexed-repeat(): '{repeat}' is not a repeat")
        found = self.fields.get(name, "")
        if isinstance(found, list):
            return found[index - 1] if 1 <= index <= len(found) else ""
        return found

    def choice_label(self, name: str, value: str) -> str:
        return self.labels.get(name, {}).get(value, "")

    def choice_column(self, column: str) -> object:
        return self.row.get(column, "")

    def now(self) -> datetime:
        return self._now if self._now is not None else datetime.now()

    def today(self) -> date:
        if self._today is not None:
            return self._today
        return self._now.date() if self._now is not None else date.today()
