"""GET /v1/health: is the server up? (the laptops' connectivity probe)"""
from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ... import protocol
from ..deps import get_hub
from ..hub import Hub

router = APIRouter()


class Health(BaseModel):
    status: str
    server_id: str
    protocol: int


@router.get(f"{protocol.API_PREFIX}/health", response_model=Health)
def health(hub: Hub = Depends(get_hub)) -> dict:
    return {"status": "ok", "server_id": hub.server_id, "protocol": protocol.PROTOCOL_VERSION}
