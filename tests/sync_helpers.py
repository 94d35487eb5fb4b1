"""Helpers shared by the sync tests: an in-process transport to a real Hub (unit tier)
and a real uvicorn server on 127.0.0.1, port 0 (integration tier)."""
from __future__ import annotations

import json
from pathlib import Path

from sync.errors import DeviceRevoked, ServerRefused, ServerUnreachable, UnknownSender
from sync.server.embedded import EmbeddedServer
from sync.server.hub import Hub
from sync.server.settings import Settings


class HubTransport:
    """Calls the hub's service directly, as the HTTP routes do (no network in unit tests)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.down = False

    def __call__(self, url: str) -> "HubTransport":
        return self

    def _check(self) -> None:
        if self.down:
            raise ServerUnreachable("The server cannot be reached (test: down).")

    def reachable(self) -> bool:
        return not self.down

    def health(self) -> dict:
        self._check()
        return {"status": "ok"}

    def enroll(self, request: dict) -> dict:
        self._check()
        from sync.errors import EnrollmentRefused

        try:
            return self.hub.enroll(json.loads(json.dumps(request)))
        except EnrollmentRefused as exc:
            raise ServerRefused(str(exc)) from None

    def _revocable(self, fn, data):
        from sync.client import _RevokedNotice
        from sync.bundle import peek_header

        try:
            return fn(data)
        except (DeviceRevoked, UnknownSender):
            notice = self.hub.revocation_notice(peek_header(data).sender_id)
            if notice:
                raise _RevokedNotice(notice) from None
            raise

    def sync(self, bundle: bytes) -> bytes:
        self._check()
        return self._revocable(self.hub.sync, bundle)

    def forward(self, bundle: bytes) -> dict:
        self._check()
        r = self._revocable(self.hub.forward, bundle)
        return {"new": r.new, "duplicates": r.duplicates}


def make_hub(path: Path, db_url: str | None = None, **settings) -> Hub:
    return Hub(Settings(data_dir=path, db_url=db_url, **settings))


class LiveServer(EmbeddedServer):
    """uvicorn in a thread on 127.0.0.1 with port 0; ``url`` once it answers."""
