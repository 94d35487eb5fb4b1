"""The HTTP app: ``create_app(settings)`` for uvicorn. Routes are thin; the Hub does the work.

    GET  /v1/health    is the server up? (the laptops' connectivity probe)
    POST /v1/enroll    JSON: a laptop's keys with a MAC keyed by its one-time code
    POST /v1/sync      a bundle sealed to the server -> a bundle sealed to the device
    POST /v1/forward   a bundle carried for another laptop (store and forward)

Errors are JSON ``{"error": type, "message": sentence}``; the message never holds a value.
Every body has a size limit, checked before it is read (guard.py); no body is ever logged.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from .. import protocol
from ..errors import (
    BundleError,
    BundleReplayed,
    BundleTooLarge,
    DeviceRevoked,
    EnrollmentRefused,
    EnrollmentThrottled,
    SyncError,
    UnknownSender,
)
from ..bundle import peek_header
from .db import DatabaseError
from .guard import RequestGuard, problem, unexpected
from .hub import Hub
from .settings import Settings

log = logging.getLogger("fieldbook.server")


class Health(BaseModel):
    status: str
    server_id: str
    protocol: int


class EnrollRequest(BaseModel):
    v: int
    device_id: str
    code_id: str
    keys: dict[str, str]
    mac: str


class EnrollReply(BaseModel):
    v: int
    server_id: str
    keys: dict[str, str]
    team: str
    mac: str


class ForwardReply(BaseModel):
    new: int
    duplicates: int


class Problem(BaseModel):
    error: str
    message: str


def create_app(settings: Settings, hub: Hub | None = None) -> FastAPI:
    hub = hub or Hub(settings)
    app = FastAPI(title="Fieldbook sync server", version=str(protocol.PROTOCOL_VERSION),
                  description="Enrollment and delta sync for Fieldbook laptops. The protocol is specified in docs/sync.md.")
    app.state.hub = hub
    bundle_paths = frozenset(f"{protocol.API_PREFIX}/{name}" for name in ("sync", "forward"))
    limits = {f"{protocol.API_PREFIX}/enroll": protocol.MAX_ENROLL_BYTES, **dict.fromkeys(bundle_paths, settings.max_bundle_bytes)}
    app.add_middleware(RequestGuard, limits=limits, default_limit=settings.max_request_bytes, bundle_paths=bundle_paths)
    bundle_body = {"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}
    enroll_body = {"requestBody": {"required": True, "content": {"application/json": {"schema": EnrollRequest.model_json_schema()}}}}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:  # 404, 405: in the documented shape
        return JSONResponse({"error": "HTTPError", "message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:  # never echo the input back
        return JSONResponse({"error": "ProtocolError", "message": "The request is malformed; nothing was changed."},
                            status_code=400)

    async def read_bundle(request: Request) -> bytes:
        return await request.body()  # RequestGuard holds it to settings.max_bundle_bytes

    def revoked_response(data: bytes) -> JSONResponse | None:
        try:
            sender = peek_header(data).sender_id
        except BundleError:
            return None
        notice = hub.revocation_notice(sender)
        return JSONResponse(notice, status_code=403) if notice else None

    async def guarded(data_fn, work):
        data = None
        try:
            data = await data_fn()
            return await run_in_threadpool(work, data)
        except BundleTooLarge as exc:
            return problem(413, exc)
        except EnrollmentThrottled as exc:
            return problem(429, exc, headers={"Retry-After": str(exc.retry_after_s)}, retry_after=exc.retry_after_s,
                            locked=exc.locked)
        except BundleReplayed as exc:
            return problem(409, exc, bundle_id=exc.bundle_id)
        except (DeviceRevoked, UnknownSender) as exc:
            notice = revoked_response(data) if isinstance(data, bytes) else None
            return notice or problem(403, exc)
        except (BundleError, protocol.ProtocolError, EnrollmentRefused) as exc:
            return problem(400, exc)
        except (SyncError, DatabaseError) as exc:
            return unexpected(exc)

    @app.get(f"{protocol.API_PREFIX}/health", response_model=Health)
    def health() -> dict:
        return {"status": "ok", "server_id": hub.server_id, "protocol": protocol.PROTOCOL_VERSION}

    @app.post(f"{protocol.API_PREFIX}/enroll", response_model=EnrollReply, openapi_extra=enroll_body,
              responses={400: {"model": Problem}, 413: {"model": Problem}, 429: {"model": Problem}})
    async def enroll(request: Request):
        # Parsed here rather than by a body model: strictly (no NaN, UTF-8 only, bounded
        # depth), and so that a refusal never quotes the body back or into the log.
        source = request.client.host if request.client else None

        async def data():
            return protocol.parse_json(await request.body(), "enrollment request")
        return await guarded(data, lambda body: hub.enroll(body, source=source))

    @app.post(f"{protocol.API_PREFIX}/sync", response_class=Response, openapi_extra=bundle_body,
              responses={200: {"content": {"application/octet-stream": {}}, "description": "a bundle sealed to the device"},
                         400: {"model": Problem}, 403: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem}})
    async def sync(request: Request):
        result = await guarded(lambda: read_bundle(request), hub.sync)
        if isinstance(result, bytes):
            return Response(result, media_type="application/octet-stream")
        return result

    @app.post(f"{protocol.API_PREFIX}/forward", response_model=ForwardReply, openapi_extra=bundle_body,
              responses={400: {"model": Problem}, 403: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem}})
    async def forward(request: Request):
        result = await guarded(lambda: read_bundle(request), hub.forward)
        if isinstance(result, JSONResponse):
            return result
        return {"new": result.new, "duplicates": result.duplicates}

    from .console import mount as mount_console  # the hub console's pages, at /console/

    mount_console(app, hub)
    from .api import mount as mount_api  # the analyst API (tokens, OData, CSV/JSON), at /api/v1/

    mount_api(app, hub)
    return app
