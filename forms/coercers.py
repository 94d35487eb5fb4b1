"""One coercer per stored type: an answer as given (typed text, a number, a list) turned into
the value the question stores, or ValueError when it cannot be one. A type not in ``COERCERS``
stores its answer as text."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

from . import media
from .model import Question


def _integer(q: Question, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError
    return int(value) if isinstance(value, (int, float)) else int(str(value).strip())


def _decimal(q: Question, value: Any) -> float | int:
    number = value if isinstance(value, (int, float)) else float(str(value).replace(",", "."))
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        raise ValueError
    return number


def _range(q: Question, value: Any) -> float | int:
    number = _decimal(q, value)
    start = float(q.parameters.get("start", 1))
    end = float(q.parameters.get("end", 10))
    step = float(q.parameters.get("step", 1))
    steps = (float(number) - start) / step
    if not start <= float(number) <= end or abs(steps - round(steps)) > 1e-9:
        raise ValueError
    return number


def _date(q: Question, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _time(q: Question, value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def _datetime(q: Question, value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _geopoint(q: Question | None, value: Any) -> str:
    parts = list(value) if isinstance(value, (list, tuple)) else str(value).split()
    if not 2 <= len(parts) <= 4:
        raise ValueError
    nums = [float(p) for p in parts]
    if not (-90 <= nums[0] <= 90 and -180 <= nums[1] <= 180):
        raise ValueError
    if len(nums) == 4 and not nums[3] >= 0:  # accuracy is a distance in metres
        raise ValueError
    return " ".join(_fmt(n) for n in nums)


def _points(value: Any) -> list[str]:
    """A line or shape as its points, each "lat lon [alt [accuracy]]"; ';' separates points."""
    points = list(value) if isinstance(value, (list, tuple)) else [p for p in str(value).split(";") if p.strip()]
    return [_geopoint(None, p) for p in points]


def _geotrace(q: Question, value: Any) -> str:
    points = _points(value)
    if len(points) < 2:
        raise ValueError
    return "; ".join(points)


def _geoshape(q: Question, value: Any) -> str:
    """At least three distinct points; closed as ODK closes it, back to the first point."""
    points = _points(value)
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len({" ".join(p.split()[:2]) for p in points}) < 3:
        raise ValueError
    return "; ".join(points)


def _select_multiple(q: Question, value: Any) -> str:
    items = value if isinstance(value, (list, tuple)) else str(value).split()
    return " ".join(dict.fromkeys(str(i) for i in items))


def _acknowledge(q: Question, value: Any) -> str:
    return "OK" if value in (True, "OK", "ok", "yes", "true", 1) else ""


def _media(q: Question, value: Any) -> str:
    return media.check_name(q.type, str(value).strip())


# One coercer per stored type; a type not named here stores its answer as text.
COERCERS: dict[str, Callable[[Question, Any], Any]] = {
    "integer": _integer,
    "decimal": _decimal,
    "range": _range,
    "date": _date, "today": _date,
    "time": _time,
    "datetime": _datetime, "start": _datetime, "end": _datetime,
    "geopoint": _geopoint,
    "select_multiple": _select_multiple, "select_multiple_from_file": _select_multiple, "rank": _select_multiple,
    "geotrace": _geotrace, "geoshape": _geoshape,
    "acknowledge": _acknowledge,
    "image": _media, "audio": _media, "video": _media, "file": _media, "osm": _media,
}


def coerce(q: Question, value: Any) -> Any:
    """Turn an answer into the type the question stores; ValueError when it cannot be."""
    if value is None or value == "":
        return ""
    coercer = COERCERS.get(q.type)
    return coercer(q, value) if coercer is not None else str(value)


def _fmt(n: float) -> str:
    return str(int(n)) if n.is_integer() else repr(n)
