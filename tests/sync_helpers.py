"""Helpers shared by the sync tests: an in-process transport to a real Hub (unit tier)
and a real uvicorn server on 127.0.0.1, port 0 (integration tier)."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path

from sync.errors import BundleReplayed, DeviceRevoked, ServerRefused, ServerUnreachable, UnknownSender
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


class LiveServer:
    """uvicorn in a thread on 127.0.0.1 with port 0; ``url`` once it answers."""

    def __init__(self, hub: Hub) -> None:
        import uvicorn

        from sync.server.app import create_app

        self.hub = hub
        config = uvicorn.Config(create_app(hub.settings, hub), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not (self.server.started and self.server.servers):
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        wait_until_responds(self.url + "/v1/health")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wait_until_responds(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
