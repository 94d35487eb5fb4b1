"""The sync API's routes, one module per resource; app.py includes them in this order."""
from __future__ import annotations

from . import enroll, forward, health, sync

ROUTERS = (health.router, enroll.router, sync.router, forward.router)
