"""The server in a background thread of this process: for self-test, tests and demos.

    with EmbeddedServer(hub) as server:      # 127.0.0.1, a free port
        client.enroll(server.url, code)
"""
from __future__ import annotations

import threading
import time
import urllib.request

from .hub import Hub


class EmbeddedServer:
    def __init__(self, hub: Hub, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        from .app import create_app

        self.hub = hub
        config = uvicorn.Config(create_app(hub.settings, hub), host=host, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fieldbook-server", daemon=True)
        self.url = ""

    def __enter__(self) -> "EmbeddedServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not (self.server.started and self.server.servers):
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the embedded server did not start")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        wait_until_responds(self.url + "/v1/health")
        return self

    def __exit__(self, *exc: object) -> None:
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
