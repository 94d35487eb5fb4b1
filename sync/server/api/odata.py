"""OData v4 (JSON, minimal metadata) over a form's feed: the service document, ``$metadata``
(CSDL XML), and pages of an entity set with ``$top``, ``$skip``, ``$filter`` on the submission
time, ``$select``, ``$count`` and server-driven paging (``@odata.nextLink`` with a
``$skiptoken``), which is what the OData connectors of spreadsheets and BI tools ask for.

Why written here rather than with an OData server library: the feed is read-only, its
rows come from sealed records read by keyset in id order, and only these few query
options are needed; the libraries available build on an ORM's query objects, which the
hub's database layer does not have. The grammar accepted for ``$filter`` is small and
stated in ``parse_filter``; anything else is refused with a 501 that says what is supported.
"""
from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from .feed import MAIN, EntitySet, Feed, Window, identifier

DEFAULT_PAGE = 1000
MAX_PAGE = 10_000
_DATE_PROPS = ("__submissionDate", "__system/submissionDate")


class ODataError(Exception):
    """A request the feed cannot answer; ``status`` and a message with no value in it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(message)

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": str(self)}}


# -- $metadata ------------------------------------------------------------------------------------
def namespace(form_id: str) -> str:
    return "fieldbook.form." + ".".join(identifier(part) for part in form_id.split("."))


def metadata_xml(feed: Feed, form_id: str) -> str:
    ns = namespace(form_id)
    types = []
    for es in feed.sets.values():
        props = "".join(f'<Property Name={quoteattr(p.name)} Type="{p.type}"{" Nullable=" + chr(34) + "false" + chr(34) if p.name == "__id" else ""}/>'
                        for p in es.props)
        types.append(f'<EntityType Name={quoteattr(es.type_name)}><Key><PropertyRef Name="__id"/></Key>{props}</EntityType>')
    sets = "".join(f'<EntitySet Name={quoteattr(es.name)} EntityType={quoteattr(ns + "." + es.type_name)}/>'
                   for es in feed.sets.values())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>'
            f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(ns)}>'
            + "".join(types)
            + f'<EntityContainer Name={quoteattr(identifier(form_id))}>{sets}</EntityContainer>'
            '</Schema></edmx:DataServices></edmx:Edmx>')


def service_document(feed: Feed, base: str) -> dict:
    return {"@odata.context": f"{base}/$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in feed.sets]}


# -- query options -------------------------------------------------------------------------------
_CMP = re.compile(r"\s*\(*\s*([A-Za-z_][A-Za-z0-9_/]*)\s+(eq|ne|gt|ge|lt|le)\s+([^\s()']+|'[^']*')\s*\)*\s*")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _when_ms(text: str) -> tuple[int, int]:
    """An OData date or date-time literal -> (its first ms, the ms just after it)."""
    text = text.strip("'")
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            start = int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
            return start, start + 1
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ODataError(400, "BadFilter", "A time in $filter is written 2026-11-28T09:30:00Z (or a date: 2026-11-28).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    us = int(moment.timestamp() * 1_000_000)
    start = -(-us // 1000)  # the first whole ms at or after the moment
    return start, start + 1


def parse_filter(text: str | None) -> tuple[int | None, int | None]:
    """``$filter``: comparisons of ``__submissionDate`` (or Central's ``__system/submissionDate``)
    with ``eq``, ``gt``, ``ge``, ``lt`` or ``le`` and a date-time, joined by ``and``, in parentheses
    or not. Returns the [from, to) range in ms."""
    if not text or not text.strip():
        return None, None
    lo: int | None = None
    hi: int | None = None
    for part in _AND.split(text.strip()):
        m = _CMP.fullmatch(part)
        if not m or m.group(1) not in _DATE_PROPS or m.group(2) == "ne" or part.count("(") != part.count(")"):
            raise ODataError(501, "NotImplemented", "$filter supports only __submissionDate compared with eq, gt, ge, lt or le "
                                                    "to a date-time, joined by 'and'.")
        op, (start, after) = m.group(2), _when_ms(m.group(3))
        # Each comparison narrows [lo, hi): ms precision, as the ids carry.
        exact = _exact(m.group(3))
        low, high = {"eq": (start, after if exact else start), "gt": (after if exact else start, None), "ge": (start, None),
                     "lt": (None, start), "le": (None, after if exact else start)}[op]
        if low is not None:
            lo = low if lo is None else max(lo, low)
        if high is not None:
            hi = high if hi is None else min(hi, high)
    return lo, hi


def _exact(literal: str) -> bool:
    """Does the literal name a whole millisecond (so that 'gt' must step past it)?"""
    text = literal.strip("'")
    if len(text) == 10:
        return True
    frac = re.search(r"\.(\d+)", text)
    return not frac or len(frac.group(1).rstrip("0")) <= 3


def _int_option(value: str | None, name: str, *, low: int = 0, high: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or (high is not None and int(value) > high) or int(value) < low:
        raise ODataError(400, "BadQuery", f"{name} is a whole number" + (f" from {low} to {high}." if high else "."))
    return int(value)


@dataclass
class Query:
    top: int | None
    skip: int
    window: Window
    select: list[str] | None
    count: bool
    after: str           # $skiptoken: the last record whose rows were all given ...
    inside: int          # ... or, with a record id, how many of its rows were given already
    page: int

    @property
    def filtered(self) -> bool:
        return self.window.from_ms is not None or self.window.to_ms is not None


_SKIPTOKEN = re.compile(r"[A-Za-z0-9_\-]{1,120}")


def skiptoken(after: str, inside: int) -> str:
    return base64.urlsafe_b64encode(f"{after}~{inside}".encode()).decode().rstrip("=")


def parse_query(params: dict[str, str], es: EntitySet, scope: tuple[str, ...] | None, prefer: str | None) -> tuple[Query, bool]:
    """The request's options for this entity set; and whether a page size preference was applied."""
    _check_options(params)
    top = _int_option(params.get("$top"), "$top")
    skip = _int_option(params.get("$skip"), "$skip") or 0
    lo, hi = parse_filter(params.get("$filter"))
    select = _select(params.get("$select"), es)
    count = (params.get("$count") or "").lower()
    if count not in ("", "true", "false"):
        raise ODataError(400, "BadQuery", "$count is true or false.")
    after, inside = _parse_skiptoken(params.get("$skiptoken"))
    page, applied = _page_size(prefer)
    return Query(top, skip, Window(scope, lo, hi), select, count == "true", after, inside, page), applied


def _check_options(params: dict[str, str]) -> None:
    """Refuse the options this feed does not answer: unknown ones, $expand, another format, another order."""
    known = {"$top", "$skip", "$filter", "$select", "$count", "$skiptoken", "$format", "$orderby", "$wkt", "$expand"}
    for key in params:
        if key.startswith("$") and key not in known:
            raise ODataError(501, "NotImplemented", "Supported query options: $top, $skip, $filter, $select, $count, $orderby "
                                                    "(by __id or __submissionDate, ascending).")
    if params.get("$expand"):
        raise ODataError(501, "NotImplemented", "$expand is not supported: read each repeat's entity set, joined on __Submissions_id.")
    fmt = params.get("$format")
    if fmt and fmt.split(";")[0].strip().lower() not in ("json", "application/json"):
        raise ODataError(406, "NotAcceptable", "This feed answers in JSON only.")
    order = (params.get("$orderby") or "").strip()
    if order and order.lower() not in ("__id", "__id asc", "__submissiondate", "__submissiondate asc"):
        raise ODataError(501, "NotImplemented", "Rows come in submission order; $orderby can only ask for that (__id asc).")


def _select(value: str | None, es: EntitySet) -> list[str] | None:
    """The properties ``$select`` names, or None for all of them."""
    if not value or value.strip() == "*":
        return None
    select = [s.strip() for s in value.split(",") if s.strip()]
    names = set(es.prop_names())
    if any(s not in names for s in select):
        raise ODataError(400, "BadQuery", "$select names a property this entity set does not have; $metadata lists them.")
    return select


def _parse_skiptoken(token: str | None) -> tuple[str, int]:
    """A ``$skiptoken`` this feed made (see ``skiptoken``): (record id, rows of it given)."""
    if not token:
        return "", 0
    try:
        if not _SKIPTOKEN.fullmatch(token):
            raise ValueError
        after, _, n = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition("~")
        inside = int(n)
        if len(after) > 64 or inside < 0:
            raise ValueError
    except ValueError:
        raise ODataError(400, "BadQuery", "The $skiptoken is not one this feed made; start again from the first page.") from None
    return after, inside


def _page_size(prefer: str | None) -> tuple[int, bool]:
    """The page size, and whether a ``Prefer: odata.maxpagesize`` set it."""
    m = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer or "")
    if m:
        return max(1, min(MAX_PAGE, int(m.group(1)))), True
    return DEFAULT_PAGE, False


def is_main(es: EntitySet) -> bool:
    return es.name == MAIN
