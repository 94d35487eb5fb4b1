"""What the sync API's routes depend on: the hub, the bundle body, and one error mapping.

Each route (routes/, one module per resource) reads its body, hands the work to the Hub in a
worker thread through :func:`guarded`, and returns the reply; every typed error becomes the
documented JSON problem here, in one place.
"""
from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .. import protocol
from ..bundle import peek_header
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
from .db import DatabaseError
from .guard import problem, unexpected
from .hub import Hub


class Problem(BaseModel):
    error: str
    message: str


# The OpenAPI description of a sealed bundle as a request body (POST /v1/sync and /v1/forward).
BUNDLE_BODY = {"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


def get_hub(request: Request) -> Hub:
    """The hub that create_app put on the app."""
    return request.app.state.hub


async def read_bundle(request: Request) -> bytes:
    return await request.body()  # RequestGuard holds it to settings.max_bundle_bytes


def revoked_response(hub: Hub, data: bytes) -> JSONResponse | None:
    try:
        sender = peek_header(data).sender_id
    except BundleError:
        return None
    notice = hub.revocation_notice(sender)
    return JSONResponse(notice, status_code=403) if notice else None


async def guarded(hub: Hub, data_fn, work):
    """Read the body with ``data_fn``, run ``work(data)`` off the event loop, and turn each
    typed error into its HTTP problem."""
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
        notice = revoked_response(hub, data) if isinstance(data, bytes) else None
        return notice or problem(403, exc)
    except (BundleError, protocol.ProtocolError, EnrollmentRefused) as exc:
        return problem(400, exc)
    except (SyncError, DatabaseError) as exc:
        return unexpected(exc)
