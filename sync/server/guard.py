"""The outermost layer of the HTTP app: body-size limits and the last-resort error answer.

``RequestGuard`` is plain ASGI middleware, so it runs before any route touches a body:

- every request body has a limit, chosen by path: a ``Content-Length`` over it is
  refused with 413 before a byte of the body is read, and a body sent without one
  (chunked) is counted as it streams in and cut off at the limit, so no request can
  make the server hold more than its endpoint allows;
- an exception that no route turned into an answer still gets the documented JSON
  error shape (``{"error", "message"}``), with 507 for a full disk, and is logged by
  its type and place only: never its message or the request body, which may hold
  what a person typed (a validation error's message quotes its input).
"""
from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import BundleTooLarge, RequestTooLarge, SyncError
from .db import DatabaseError, DatabaseFull, _disk_full

log = logging.getLogger("fieldbook.server")


class _OverLimit(Exception):
    """Raised from ``receive`` once a streamed body passes its limit."""


def problem(status: int, exc: BaseException, headers: dict | None = None, **extra) -> JSONResponse:
    """The documented error answer. ``str(exc)`` must be one of our own sentences."""
    return JSONResponse({"error": type(exc).__name__, "message": str(exc), **extra}, status_code=status, headers=headers)


def unexpected(exc: BaseException) -> JSONResponse:
    """The answer for an exception no route handled, logged without its message."""
    if isinstance(exc, DatabaseFull) or _disk_full(exc):
        log.error("request failed: the disk is full (%s)", type(exc).__name__)
        return problem(507, exc if isinstance(exc, DatabaseFull) else DatabaseFull())
    if isinstance(exc, (DatabaseError, SyncError)):  # our own sentences
        log.error("request failed: %s", type(exc).__name__)
        return problem(503 if isinstance(exc, DatabaseError) else 500, exc)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"
    log.error("request failed: internal error %s at %s", type(exc).__name__, where)
    return JSONResponse({"error": "InternalError",
                         "message": f"The server hit an internal error ({type(exc).__name__}); nothing was changed. "
                                    "Tell the hub's administrator if it happens again."}, status_code=500)


class RequestGuard:
    def __init__(self, app: ASGIApp, *, limits: dict[str, int], default_limit: int, bundle_paths: frozenset[str]) -> None:
        self.app = app
        self.limits = limits
        self.default_limit = default_limit
        self.bundle_paths = bundle_paths

    def _too_large(self, path: str, size: int | None, limit: int) -> JSONResponse:
        exc = BundleTooLarge("bundle", size, limit) if path in self.bundle_paths else RequestTooLarge(size, limit)
        # Connection: close, since the rest of an oversized body is never read.
        return problem(413, exc, headers={"Connection": "close"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limits.get(path, self.default_limit)
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
        if declared is not None:
            if not declared.isdigit():
                bad = JSONResponse({"error": "ProtocolError", "message": "The request's Content-Length is not a number."},
                                   status_code=400, headers={"Connection": "close"})
                await bad(scope, receive, send)
                return
            if int(declared) > limit:
                await self._too_large(path, int(declared), limit)(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _OverLimit()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _OverLimit:
            if not started:
                await self._too_large(path, None, limit)(scope, receive, send)
        except Exception as exc:  # the last resort: the client still gets the documented shape
            response = unexpected(exc)
            if not started:
                await response(scope, receive, send)
