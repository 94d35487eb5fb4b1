"""The analyst API: a form's data for scripts, spreadsheets and BI tools, read with a token.

    mount(app, hub)      # create_app does this: /api/v1/... beside the sync API and the console

    GET /api/v1/forms                                   the forms this token reads (JSON)
    GET /api/v1/forms/{form}.svc                        OData service document
    GET /api/v1/forms/{form}.svc/$metadata              OData CSDL (XML)
    GET /api/v1/forms/{form}.svc/{set}[/$count]         an entity set: Submissions, Submissions.REPEAT...
    GET /api/v1/forms/{form}/submissions.csv            one table of the export layout, streamed
    GET /api/v1/forms/{form}/submissions.json           every submission as JSON, streamed

A token (tokens.py) comes as ``Authorization: Bearer TOKEN``, or as the password of Basic
authentication (any user name), which is what spreadsheet OData connectors send. Nothing
else opens these endpoints: not a console session cookie, not a device key. Every use is
written to the server's audit log with the token's public id. Finished submissions only,
of the token's teams and forms. No answer's value is ever in a URL this API makes, an
error, or the log.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
from typing import Iterator
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from forms.errors import FormError, UnknownForm
from forms.sinks import _csv_cell  # the export's formula guard: one rule for every CSV the hub writes

from ... import protocol
from ..console.audit import audit
from ..console.data import id_time_ms, parse_day
from ..console.exports import hub_form, known_form_ids
from ..hub import Hub
from . import odata, tokens
from .throttle import RefusalThrottle
from .feed import MAIN, Feed, Window, _iso_ms, count, records
from .odata import ODataError

PREFIX = "/api/v1"
_REALM = 'Basic realm="Fieldbook analyst API", Bearer realm="Fieldbook analyst API"'
_feeds: dict[tuple[str, int], Feed] = {}


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return value
    if scheme == "basic":
        try:
            _, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return password
    return None


def _refuse(status: int, code: str, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": _REALM} if status == 401 else {}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={**headers, "Cache-Control": "no-store"})


class Api:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.throttle = RefusalThrottle()

    def token(self, request: Request) -> tokens.ApiToken:
        source = request.client.host if request.client else None
        wait = self.throttle.wait_s(source)
        if wait:  # answered before any token check or audit row (throttle.py)
            raise Throttled(wait)
        presented = presented_token(request)
        token = tokens.authenticate(self.hub.db, presented)
        if token is None:
            tid = tokens.token_id_of(presented)
            audit(self.hub.db, "api_refused", actor=f"token {tid}" if tid else None,
                  detail=f"{_what(request)}: {'unknown, revoked or expired token' if presented else 'no token'}")
            if self.throttle.refused(source):
                audit(self.hub.db, "api_throttled", actor=None,
                      detail=f"{self.throttle.free} refused requests from one address; later ones wait")
            raise ODataError(401, "Unauthorized", "This API needs a live analyst token: 'Authorization: Bearer TOKEN', "
                                                  "or the token as the password. An administrator makes one.")
        self.throttle.succeeded(source)
        return token

    def form(self, token: tokens.ApiToken, form_id: str, request: Request):
        if not token.may_read(form_id):
            audit(self.hub.db, "api_refused", actor=token.actor, detail=f"{_what(request)}: form outside the token's scope")
            raise ODataError(403, "Forbidden", "This token does not read that form.")
        try:
            form = hub_form(self.hub, form_id)
        except (UnknownForm, FormError):
            raise ODataError(404, "NotFound", "The hub has no such form.") from None
        return form

    def feed(self, form) -> Feed:
        key = (form.form_id, id(form))
        if key not in _feeds:
            if len(_feeds) > 64:  # forms republished many times: keep the cache small
                _feeds.clear()
            _feeds[key] = Feed(form)
        return _feeds[key]


class Throttled(ODataError):
    def __init__(self, wait_s: int) -> None:
        super().__init__(429, "TooManyRequests", f"Too many refused requests from this address: wait {wait_s} s, "
                                                 "then send a live analyst token.")
        self.retry_after = wait_s


def _what(request: Request) -> str:
    """The endpoint asked for, for the audit log: the route and a well-formed form id, never the
    rest of a URL a client typed (it could hold anything)."""
    route = getattr(request.scope.get("route"), "path", "?")
    form_id = request.path_params.get("form_id", "")
    return f"{route} ({form_id})" if tokens._FORM.fullmatch(form_id or "") else route


def _base(request: Request, form_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}{PREFIX}/forms/{form_id}.svc"


def mount(app: FastAPI, hub: Hub) -> Api:
    api = Api(hub)
    router = APIRouter()

    @app.exception_handler(ODataError)
    def odata_error(request: Request, exc: ODataError):
        return _refuse(exc.status, exc.code, str(exc), getattr(exc, "retry_after", None))

    @router.get(PREFIX + "/forms")
    def form_list(request: Request):
        token = api.token(request)
        ids = [f for f in known_form_ids(hub) if token.may_read(f) and not f.startswith("round.")]
        audit(hub.db, "api_read", actor=token.actor, detail="form list")
        return JSONResponse({"value": [{"form_id": f, "odata": f"{PREFIX}/forms/{f}.svc",
                                        "csv": f"{PREFIX}/forms/{f}/submissions.csv",
                                        "json": f"{PREFIX}/forms/{f}/submissions.json"} for f in ids]},
                            headers={"Cache-Control": "no-store"})

    @router.get(PREFIX + "/forms/{form_id}.svc")
    @router.get(PREFIX + "/forms/{form_id}.svc/")  # some connectors ask for the root with its slash
    def service(form_id: str, request: Request):
        token = api.token(request)
        feed = api.feed(api.form(token, form_id, request))
        audit(hub.db, "api_read", actor=token.actor, detail=f"{form_id} service document")
        return _odata_json(odata.service_document(feed, _base(request, form_id)))

    @router.get(PREFIX + "/forms/{form_id}.svc/$metadata")
    def metadata(form_id: str, request: Request):
        token = api.token(request)
        feed = api.feed(api.form(token, form_id, request))
        audit(hub.db, "api_read", actor=token.actor, detail=f"{form_id} $metadata")
        return Response(odata.metadata_xml(feed, form_id), media_type="application/xml",
                        headers={"OData-Version": "4.0", "Cache-Control": "no-store"})

    @router.get(PREFIX + "/forms/{form_id}.svc/{entity_set}/$count")
    def set_count(form_id: str, entity_set: str, request: Request):
        token = api.token(request)
        feed = api.feed(api.form(token, form_id, request))
        es = _entity_set(feed, entity_set)
        query, _ = odata.parse_query(dict(request.query_params), es, token.scope(), None)
        n = _count(hub, feed, es, form_id, query.window)
        audit(hub.db, "api_read", actor=token.actor, detail=f"{form_id} {es.name} $count")
        return Response(str(n), media_type="text/plain", headers={"OData-Version": "4.0", "Cache-Control": "no-store"})

    @router.get(PREFIX + "/forms/{form_id}.svc/{entity_set}")
    def entity_set_page(form_id: str, entity_set: str, request: Request):
        token = api.token(request)
        feed = api.feed(api.form(token, form_id, request))
        es = _entity_set(feed, entity_set)
        params = dict(request.query_params)
        query, applied = odata.parse_query(params, es, token.scope(), request.headers.get("prefer"))
        page = _page(hub, feed, es, form_id, query, params, _base(request, form_id))
        audit(hub.db, "api_read", actor=token.actor,
              detail=f"{form_id} {es.name}: {len(page['value'])} row(s){' (filtered by time)' if query.filtered else ''}")
        headers = {"Preference-Applied": f"odata.maxpagesize={query.page}"} if applied else {}
        return _odata_json(page, headers)

    @router.get(PREFIX + "/forms/{form_id}/submissions.csv")
    def submissions_csv(form_id: str, request: Request, table: str = MAIN, since: str = "", until: str = "", team: str = ""):
        token = api.token(request)
        form = api.form(token, form_id, request)
        feed = api.feed(form)
        name = table if table.startswith(MAIN) else f"{MAIN}.{table}"
        es = _entity_set(feed, name)
        window = _window(token, since, until, team)
        audit(hub.db, "api_read", actor=token.actor, detail=f"{form_id} {es.name} csv")
        return StreamingResponse(_csv_stream(hub, feed, es, form_id, window), media_type="text/csv; charset=utf-8",
                                 headers={"Cache-Control": "no-store",
                                          "Content-Disposition": f'attachment; filename="{form_id}-{es.type_name}.csv"'})

    @router.get(PREFIX + "/forms/{form_id}/submissions.json")
    def submissions_json(form_id: str, request: Request, since: str = "", until: str = "", team: str = ""):
        token = api.token(request)
        api.form(token, form_id, request)
        window = _window(token, since, until, team)
        audit(hub.db, "api_read", actor=token.actor, detail=f"{form_id} json")
        return StreamingResponse(_json_stream(hub, form_id, window), media_type="application/json",
                                 headers={"Cache-Control": "no-store"})

    app.include_router(router, include_in_schema=False)
    app.state.api = api
    return api


def _odata_json(body: dict, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), media_type="application/json;odata.metadata=minimal",
                    headers={"OData-Version": "4.0", "Cache-Control": "no-store", **(headers or {})})


def _entity_set(feed: Feed, name: str):
    es = feed.sets.get(name)
    if es is None:
        raise ODataError(404, "NotFound", "The form has no such entity set; the service document lists them.")
    return es


def _window(token: tokens.ApiToken, since: str, until: str, team: str) -> Window:
    try:
        lo, hi = parse_day(since), parse_day(until, end=True)
    except ValueError:
        raise ODataError(400, "BadQuery", "since and until are dates: YYYY-MM-DD (until is included).") from None
    teams = token.scope()
    if team:
        if not protocol.valid_team(team) or (teams is not None and team not in teams):
            raise ODataError(403, "Forbidden", "This token does not read that team.")
        teams = (team,)
    return Window(teams, lo, hi)


MAX_REPEAT_COUNT = 100_000


def _count(hub: Hub, feed: Feed, es, form_id: str, window: Window) -> int:
    """Submissions are counted from their keys; a repeat's rows only by reading the submissions,
    so that is refused over more than MAX_REPEAT_COUNT of them (a page asking for $count=true
    would otherwise read the whole form each time)."""
    submissions = count(hub, form_id, window)
    if es.name == MAIN:
        return submissions
    if submissions > MAX_REPEAT_COUNT:
        raise ODataError(501, "NotImplemented", f"Counting a repeat's rows reads every submission: filter on __submissionDate "
                                                f"to {MAX_REPEAT_COUNT:,} submissions or fewer first.")
    return sum(len(feed.rows(es, r)) for r in records(hub, form_id, window))


def _page(hub: Hub, feed: Feed, es, form_id: str, q: odata.Query, params: dict, base: str) -> dict:
    """One page: ``$skip`` rows passed over (first page only), then up to the page size or what is
    left of ``$top``. A ``$skiptoken`` is (record id, row): the page starts at that row of that record."""
    want = q.page if q.top is None else min(q.page, q.top)
    skip = 0 if q.after else q.skip
    after = ""
    if es.name == MAIN and skip and not q.after:
        after, skip = _skip_by_key(hub, form_id, q.window, skip)
        if skip:
            want = 0  # fewer submissions than $skip: an empty page
    rows, resume = _gather(hub, feed, es, form_id, q, want, skip, after) if want else ([], None)
    next_link = _next_link(base, es, q, params, rows, resume) if resume else None
    return _page_body(base, es, q, rows, next_link, hub, feed, form_id)


def _skip_by_key(hub: Hub, form_id: str, window: Window, skip: int) -> tuple[str, int]:
    """Pass over ``skip`` submissions by key alone: nothing is decrypted for the rows skipped.
    Returns the last id passed over, and how many were left to skip (0 unless too few)."""
    after = ""
    for r in records(hub, form_id, window, decrypt=False, batch=10_000):
        after, skip = r["id"], skip - 1
        if skip == 0:
            break
    return after, skip


def _gather(hub: Hub, feed: Feed, es, form_id: str, q: odata.Query, want: int, skip: int,
            after: str) -> tuple[list[dict], tuple[str, int] | None]:
    """Up to ``want`` rows, ``skip`` passed over first; and where the next page resumes, if any."""
    rows: list[dict] = []
    for record in records(hub, form_id, q.window, after=after, start=q.after or None):
        entity_rows = feed.rows(es, record)
        first = q.inside if record["id"] == q.after else 0
        for i in range(first, len(entity_rows)):
            if skip:
                skip -= 1
                continue
            if len(rows) == want:
                return rows, (record["id"], i)
            rows.append(entity_rows[i])
        if q.top is not None and len(rows) == q.top:
            break
    return rows, None


def _next_link(base: str, es, q: odata.Query, params: dict, rows: list, resume: tuple[str, int]) -> str:
    query = {k: v for k, v in params.items() if k not in ("$skip", "$skiptoken", "$top")}
    if q.top is not None:
        query["$top"] = str(q.top - len(rows))
    query["$skiptoken"] = odata.skiptoken(*resume)
    return f"{base}/{es.name}?{urlencode(query)}"


def _page_body(base: str, es, q: odata.Query, rows: list, next_link: str | None, hub, feed, form_id) -> dict:
    if q.select:
        rows = [{k: r[k] for k in q.select} for r in rows]
    body: dict = {"@odata.context": f"{base}/$metadata#{es.name}" + (f"({','.join(q.select)})" if q.select else "")}
    if q.count:
        body["@odata.count"] = _count(hub, feed, es, form_id, q.window)
    body["value"] = rows
    if next_link:
        body["@odata.nextLink"] = next_link
    return body


def _csv_stream(hub: Hub, feed: Feed, es, form_id: str, window: Window) -> Iterator[bytes]:
    columns = es.table.columns
    header = [("_" + p.name[2:] if p.column is None else columns[p.column].name) for p in es.props]
    names = es.prop_names()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode()
    buf.seek(0)
    buf.truncate()
    n = 0
    for record in records(hub, form_id, window):
        for row in feed.rows(es, record):
            w.writerow([_csv_cell(row[k]) for k in names])
        n += 1
        if n % 200 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def _json_stream(hub: Hub, form_id: str, window: Window) -> Iterator[bytes]:
    yield b'{"form_id":' + orjson.dumps(form_id) + b',"submissions":['
    chunk: list[bytes] = []
    first = True
    for record in records(hub, form_id, window):
        made = id_time_ms(record["id"])
        item = orjson.dumps({"id": record["id"], "team": record["team"], "form_version": record["form_version"],
                             "submission_date": _iso_ms(made) if made is not None else None, "fields": record["fields"]})
        chunk.append(item if first else b"," + item)
        first = False
        if len(chunk) >= 200:
            yield b"".join(chunk)
            chunk = []
    chunk.append(b"]}")
    yield b"".join(chunk)


__all__ = ["mount", "presented_token"]
