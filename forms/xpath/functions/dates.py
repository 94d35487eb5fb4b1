"""Dates and times: today, now, date, date-time, decimal-date-time, decimal-time, format-date(-time)."""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from ..values import (
    EPOCH_DATE, EPOCH_DATETIME, NAN, NUMBER, TEMPORAL, days, num, parse_datetime, parse_time, to_datetime, to_number,
    to_string,
)
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


def _utc_days(value: date | time) -> float:
    """Days since 1970-01-01 UTC: a dateTime that carries its offset is moved to UTC first
    (JavaRosa: 2018-04-24T15:30:00+03:00 is 12:30 UTC); one without is read as written."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        value = value.astimezone(timezone.utc)
    return float(days(value))


def _decimal_date_time(value: object) -> float | str:
    if isinstance(value, str):
        if not value.strip():
            return ""
        found = parse_datetime(value)
        return NAN if found is None else _utc_days(found)
    if isinstance(value, TEMPORAL):
        return _utc_days(value)
    return float(to_number(value))


def _date_time(value: object) -> datetime | str:
    """date-time(): a dateTime from a dateTime, a date (at midnight), text, or days since 1970."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        found = parse_datetime(value)
        return "" if found is None else found
    if isinstance(value, NUMBER):
        n = num(value)
        try:
            return EPOCH_DATETIME + timedelta(days=n)
        except (OverflowError, ValueError):  # NaN, infinity or beyond year 9999
            return ""
    return ""


def _decimal_time(value: object) -> float:
    """decimal-time(): a time of day as a fraction of the day (noon is 0.5); NaN if not a time."""
    if isinstance(value, datetime):
        value = value.time()
    elif isinstance(value, str):
        found = parse_time(value)
        if found is None:
            return NAN
        value = found
    if not isinstance(value, time):
        return NAN
    return float(days(value.replace(tzinfo=None)))


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
    "date-time": (1, 1, pure(_date_time)),
    "decimal-time": (1, 1, pure(_decimal_time)),
    "format-date": (2, 2, pure(_format_date)),
    "format-date-time": (2, 2, pure(_format_date)),
}
