"""The HTTP app: ``create_app(settings)`` for uvicorn. Routes are thin; the Hub does the work.

    GET  /v1/health    is the server up? (the laptops' connectivity probe)
    POST /v1/enroll    JSON: a laptop's keys with a MAC keyed by its one-time code
    POST /v1/sync      a bundle sealed to the server -> a bundle sealed to the device
    POST /v1/forward   a bundle carried for another laptop (store and forward)

Errors are JSON ``{"error": type, "message": sentence}``; the message never holds a value.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .. import protocol
from ..errors import (
    BundleError,
    BundleReplayed,
    BundleTooLarge,
    DeviceRevoked,
    EnrollmentRefused,
    SyncError,
    UnknownSender,
)
from ..bundle import peek_header
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


def _problem(status: int, exc: Exception, **extra) -> JSONResponse:
    return JSONResponse({"error": type(exc).__name__, "message": str(exc), **extra}, status_code=status)


def create_app(settings: Settings, hub: Hub | None = None) -> FastAPI:
    hub = hub or Hub(settings)
    app = FastAPI(title="Fieldbook sync server", version=str(protocol.PROTOCOL_VERSION),
                  description="Enrollment and delta sync for Fieldbook laptops. The protocol is specified in docs/sync.md.")
    app.state.hub = hub
    limit = settings.max_bundle_bytes
    bundle_body = {"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}

    async def read_bundle(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BundleTooLarge("bundle", int(declared), limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BundleTooLarge("bundle", None, limit)
            chunks.append(chunk)
        return b"".join(chunks)

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
            return _problem(413, exc)
        except BundleReplayed as exc:
            return _problem(409, exc, bundle_id=exc.bundle_id)
        except (DeviceRevoked, UnknownSender) as exc:
            notice = revoked_response(data) if isinstance(data, bytes) else None
            return notice or _problem(403, exc)
        except (BundleError, protocol.ProtocolError, EnrollmentRefused) as exc:
            return _problem(400, exc)
        except SyncError as exc:
            log.error("request failed: %s", type(exc).__name__)
            return _problem(500, exc)

    @app.get(f"{protocol.API_PREFIX}/health", response_model=Health)
    def health() -> dict:
        return {"status": "ok", "server_id": hub.server_id, "protocol": protocol.PROTOCOL_VERSION}

    @app.post(f"{protocol.API_PREFIX}/enroll", response_model=EnrollReply, responses={400: {"model": Problem}})
    async def enroll(body: EnrollRequest):
        async def data():
            return body.model_dump()
        return await guarded(data, hub.enroll)

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
    return app
