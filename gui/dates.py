"""Dates as people type them: 14.03.1975 as well as 1975-03-14.

Day-first with dots is how dates are written in Ukraine; ISO is what the store keeps.
With slashes or dashes and the year last (3/14/1975 from a spreadsheet export), the
order is read from the numbers when only one reading is a date, and refused as
ambiguous otherwise: a wrong date of birth is worse than a question. Hand-written
because the question is which forms to refuse, which a general date parser would
guess at instead.
"""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, QLocale

from .i18n import tr

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTS = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d+)")
_YEAR_LAST = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d+)")


class DateInputError(ValueError):
    """A typed date that is not one; ``str()`` is the message for the person, translated."""


def spelled(day: dt.date) -> str:
    """A date in words in the interface language (14 March 1975), so two readings can be told apart."""
    return QLocale().toString(QDate(day.year, day.month, day.day), "d MMMM yyyy")


def _date(text: str, year: str, month: int, day: int) -> dt.date:
    if len(year) != 4:
        raise DateInputError(tr("Type the year in full, with four digits, e.g. 14.03.1975."))
    try:
        return dt.date(int(year), month, day)
    except ValueError:
        raise DateInputError(tr("There is no such date: {text}.").format(text=text)) from None


def parse_typed_date(text: str) -> dt.date:
    """The date ``text`` means, or DateInputError saying why it is not one."""
    t = text.strip()
    if m := _ISO.fullmatch(t):
        return _date(t, m[1], int(m[2]), int(m[3]))
    if m := _DOTS.fullmatch(t):
        return _date(t, m[3], int(m[2]), int(m[1]))
    if m := _YEAR_LAST.fullmatch(t):
        a, b, year = int(m[1]), int(m[2]), m[3]
        if a == b or (a > 12) != (b > 12):
            day, month = (a, b) if a >= b else (b, a)
            return _date(t, year, month, day)
        if a <= 12 and b <= 12 and len(year) == 4:
            first, second = _date(t, year, b, a), _date(t, year, a, b)
            raise DateInputError(tr("{text} could be {first} or {second}. Type it as day.month.year, "
                                    "e.g. {example}.").format(text=t, first=spelled(first), second=spelled(second),
                                                              example=first.strftime("%d.%m.%Y")))
        return _date(t, year, b, a)  # neither reading is a date: says so
    raise DateInputError(tr("Type a date as day.month.year or year-month-day, e.g. 14.03.1975 or 1975-03-14."))
