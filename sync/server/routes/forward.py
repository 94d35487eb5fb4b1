"""POST /v1/forward: a bundle carried for another laptop (store and forward)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ... import protocol
from ..deps import BUNDLE_BODY, Problem, get_hub, guarded, read_bundle
from ..hub import Hub

router = APIRouter()


class ForwardReply(BaseModel):
    new: int
    duplicates: int


@router.post(f"{protocol.API_PREFIX}/forward", response_model=ForwardReply, openapi_extra=BUNDLE_BODY,
             responses={400: {"model": Problem}, 403: {"model": Problem}, 409: {"model": Problem}, 413: {"model": Problem}})
async def forward(request: Request, hub: Hub = Depends(get_hub)):
    result = await guarded(hub, lambda: read_bundle(request), hub.forward)
    if isinstance(result, JSONResponse):
        return result
    return {"new": result.new, "duplicates": result.duplicates}
