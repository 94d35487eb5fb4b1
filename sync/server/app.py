"""The HTTP app: ``create_app(settings)`` for uvicorn. It only assembles; routes are thin and
the Hub does the work.

    GET  /v1/health    is the server up? (the laptops' connectivity probe)     routes/health.py
    POST /v1/enroll    JSON: a laptop's keys with a MAC keyed by its one-time code    routes/enroll.py
    POST /v1/sync      a bundle sealed to the server -> a bundle sealed to the device  routes/sync.py
    POST /v1/forward   a bundle carried for another laptop (store and forward)  routes/forward.py

Errors are JSON ``{"error": type, "message": sentence}``; the message never holds a value
(deps.py maps each typed error to its status). Every body has a size limit, checked before it
is read (guard.py); no body is ever logged.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import protocol
from .guard import RequestGuard
from .hub import Hub
from .routes import ROUTERS
from .settings import Settings

log = logging.getLogger("fieldbook.server")


def create_app(settings: Settings, hub: Hub | None = None) -> FastAPI:
    hub = hub or Hub(settings)
    app = FastAPI(title="Fieldbook sync server", version=str(protocol.PROTOCOL_VERSION),
                  description="Enrollment and delta sync for Fieldbook laptops. The protocol is specified in docs/sync.md.")
    app.state.hub = hub  # what the routes get through deps.get_hub
    bundle_paths = frozenset(f"{protocol.API_PREFIX}/{name}" for name in ("sync", "forward"))
    limits = {f"{protocol.API_PREFIX}/enroll": protocol.MAX_ENROLL_BYTES, **dict.fromkeys(bundle_paths, settings.max_bundle_bytes)}
    app.add_middleware(RequestGuard, limits=limits, default_limit=settings.max_request_bytes, bundle_paths=bundle_paths)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:  # 404, 405: in the documented shape
        return JSONResponse({"error": "HTTPError", "message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:  # never echo the input back
        return JSONResponse({"error": "ProtocolError", "message": "The request is malformed; nothing was changed."},
                            status_code=400)

    for router in ROUTERS:
        app.include_router(router)

    from .console import mount as mount_console  # the hub console's pages, at /console/

    mount_console(app, hub)
    from .api import mount as mount_api  # the analyst API (tokens, OData, CSV/JSON), at /api/v1/

    mount_api(app, hub)
    return app
