"""POST /v1/enroll: a laptop's keys with a MAC keyed by its one-time code."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ... import protocol
from ..deps import Problem, get_hub, guarded
from ..hub import Hub

router = APIRouter()


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


ENROLL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": EnrollRequest.model_json_schema()}}}}


@router.post(f"{protocol.API_PREFIX}/enroll", response_model=EnrollReply, openapi_extra=ENROLL_BODY,
             responses={400: {"model": Problem}, 413: {"model": Problem}, 429: {"model": Problem}})
async def enroll(request: Request, hub: Hub = Depends(get_hub)):
    # Parsed here rather than by a body model: strictly (no NaN, UTF-8 only, bounded
    # depth), and so that a refusal never quotes the body back or into the log.
    source = request.client.host if request.client else None

    async def data():
        return protocol.parse_json(await request.body(), "enrollment request")
    return await guarded(hub, data, lambda body: hub.enroll(body, source=source))
