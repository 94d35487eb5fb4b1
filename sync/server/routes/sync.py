"""POST /v1/sync: a bundle sealed to the server -> a bundle sealed to the device."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ... import protocol
from ..deps import BUNDLE_BODY, Problem, get_hub, guarded, read_bundle
from ..hub import Hub

router = APIRouter()


@router.post(f"{protocol.API_PREFIX}/sync", response_class=Response, openapi_extra=BUNDLE_BODY,
             responses={200: {"content": {"application/octet-stream": {}}, "description": "a bundle sealed to the device"},
                        400: {"model": Problem}, 403: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem}})
async def sync(request: Request, hub: Hub = Depends(get_hub)):
    result = await guarded(hub, lambda: read_bundle(request), hub.sync)
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    return result
