"""Dates and times: today, now, date, decimal-date-time, format-date(-time)."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Callable

from ..values import EPOCH_DATE, NAN, NUMBER, TEMPORAL, days, num, parse_datetime, to_datetime, to_number, to_string
from .base import pure


def _date(value: object) -> date | str:
    """date(): dates, 'YYYY-MM-DD' text, or days since 1970-01-01; "" for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        found = parse_datetime(value)
        return "" if found is None else found.date()
    if isinstance(value, NUMBER):
        n = num(value)
        if isinstance(n, float) and not math.isfinite(n):
            return ""
        try:
            return EPOCH_DATE + timedelta(days=int(n))  # truncates, like JavaRosa's toInt
        except OverflowError:
            return ""
    return ""


def _decimal_date_time(value: object) -> float | str:
    if isinstance(value, str):
        if not value.strip():
            return ""
        found = parse_datetime(value)
        return NAN if found is None else float(days(found))
    if isinstance(value, TEMPORAL):
        return float(days(value))
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
    moment = to_datetime(value)
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



def _b_today(p, args, pos):
    return lambda ctx: ctx.today()


def _b_now(p, args, pos):
    return lambda ctx: ctx.now()


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "today": (0, 0, _b_today),
    "now": (0, 0, _b_now),
    "date": (1, 1, pure(_date)),
    "decimal-date-time": (1, 1, pure(_decimal_date_time)),
    "format-date": (2, 2, pure(_format_date)),
    "format-date-time": (2, 2, pure(_format_date)),
}
