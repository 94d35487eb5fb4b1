"""A fault-injecting TCP proxy on loopback, for the sync tests and bench/sync_links.py.

    with FaultyLink(("127.0.0.1", server_port), rate=1500) as link:
        client = SyncClient(store, transport=...)   # point it at link.url

It listens on 127.0.0.1, port 0, and forwards each connection to ``target``, with:

- ``rate``: at most this many bytes per second in each direction of a connection;
- ``cut_after``: close the connection (a clean close, or a reset with ``reset=True``)
  once this many bytes have crossed it, both directions counted;
- ``latency``: seconds added before each piece is passed on;
- ``down``: refuse new connections (a black-holed server: accepted, then closed at once).

Settings can change while it runs; a connection takes them when it opens. ``connections``
and ``cuts`` count what happened. Hand-written: what the tests need is four faults on
loopback with exact byte counts, which a few dozen lines of sockets and threads give.
"""
from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

PIECE = 1024


class FaultyLink:
    def __init__(self, target: tuple[str, int], *, rate: float | None = None, cut_after: int | None = None,
                 latency: float = 0.0, reset: bool = False) -> None:
        self.target = target
        self.rate, self.cut_after, self.latency, self.reset = rate, cut_after, latency, reset
        self.down = False
        self.connections = 0
        self.cuts = 0
        self.bytes_up = 0      # client -> server, all connections
        self.bytes_down = 0    # server -> client
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closing = False
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="faulty-link", daemon=True)

    def __enter__(self) -> "FaultyLink":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone does not
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            socks = list(self._open)
        for s in socks:
            _kill(s, reset=False)
        self._thread.join(5)

    # -- internals -------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if self.down:
                _kill(client, reset=True)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _kill(client, reset=True)
                continue
            Conn(self, client, upstream).start()


class Conn:
    """One proxied connection: two pumps sharing a byte budget."""

    def __init__(self, link: FaultyLink, client: socket.socket, upstream: socket.socket) -> None:
        self.link, self.client, self.upstream = link, client, upstream
        self.rate, self.cut_after, self.latency, self.reset = link.rate, link.cut_after, link.latency, link.reset
        self.crossed = 0
        self.dead = False
        self.finished = 0  # directions that ended normally
        self.lock = threading.Lock()
        with link._lock:
            link._open.update((client, upstream))

    def start(self) -> None:
        for src, dst, up in ((self.client, self.upstream, True), (self.upstream, self.client, False)):
            threading.Thread(target=self._pump, args=(src, dst, up), daemon=True, name="faulty-link-pump").start()

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        started, sent = time.monotonic(), 0
        piece = PIECE if self.rate is None else max(1, min(PIECE, int(self.rate // 10) or 1))
        try:
            while not self.dead:
                data = src.recv(piece)
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    with self.lock:
                        self.finished += 1
                        both = self.finished == 2
                    if both:
                        self._end(cut=False)
                    return
                if self.latency:
                    time.sleep(self.latency)
                with self.lock:
                    if self.cut_after is not None:
                        room = self.cut_after - self.crossed
                        if room < len(data):
                            data = data[:max(room, 0)]
                    self.crossed += len(data)
                    cut = self.cut_after is not None and self.crossed >= self.cut_after
                if data:
                    if self.rate is not None:
                        sent += len(data)
                        wait = started + sent / self.rate - time.monotonic()
                        if wait > 0:
                            time.sleep(wait)
                    dst.sendall(data)
                    with self.link._lock:
                        if up:
                            self.link.bytes_up += len(data)
                        else:
                            self.link.bytes_down += len(data)
                if cut:
                    self._end(cut=True)
                    return
        except OSError:
            self._end(cut=False)

    def _end(self, *, cut: bool) -> None:
        with self.lock:
            if self.dead:
                return
            self.dead = True
        if cut:
            with self.link._lock:
                self.link.cuts += 1
        for s in (self.client, self.upstream):
            _kill(s, reset=self.reset and cut)
            with self.link._lock:
                self.link._open.discard(s)


def _kill(sock: socket.socket, *, reset: bool) -> None:
    with contextlib.suppress(OSError):
        if reset:
            # RST instead of FIN: linger on, zero seconds. SHUT_RD wakes a pump blocked in
            # recv on this socket, so the close really happens now (and sends the RST).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
        else:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
