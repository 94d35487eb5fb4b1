"""The laptop's HTTP(S) link to the server, and server addresses as typed.

Every network failure becomes ServerUnreachable; a revocation notice from the server
becomes ``RevokedNotice`` for the client to check (sync/client.py).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass

from . import protocol
from .bundle import MAX_BUNDLE_BYTES
from .errors import (
    BadServerAddress,
    BundleReplayed,
    EnrollmentThrottled,
    ServerRefused,
    ServerUnreachable,
)

USER_AGENT = "Fieldbook-sync/1"


# --- HTTP ----------------------------------------------------------------------------------
class RevokedNotice(Exception):
    """The server says the sender was revoked; ``notice`` is its signed statement."""

    def __init__(self, notice: dict) -> None:
        self.notice = notice


class HttpTransport:
    """Talks to the server over HTTP(S). Every network failure becomes ServerUnreachable.

    Plain http.client rather than urllib: ``abort()`` must be able to cut a request in
    flight from another thread (a stop on a slow link), which needs the connection."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._aborted = False
        self._guard = threading.Lock()

    def abort(self) -> None:
        """Cut the request in flight, if any, and refuse later ones (any thread)."""
        with self._guard:
            self._aborted = True
            conn = self._conn
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def reachable(self, timeout: float = 3.0) -> bool:
        """A TCP connect to the server, closed at once: no request, no authentication."""
        url = urllib.parse.urlsplit(self.base)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            with socket.create_connection((url.hostname, port), timeout=timeout):
                return True
        except (OSError, ValueError, TypeError):
            return False

    def _connect(self, url: urllib.parse.SplitResult) -> tuple[http.client.HTTPConnection, str]:
        """The connection and the request target. A proxy named in the environment
        (``http_proxy``/``https_proxy``, minus ``no_proxy``) is used as urllib would: an
        absolute URL through it for http, a CONNECT tunnel for https."""
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ServerUnreachable(f"The server address {self.base} is not an http:// or https:// address.")
        target = url.path + (f"?{url.query}" if url.query else "")
        proxy = urllib.request.getproxies().get(url.scheme)
        if proxy and urllib.request.proxy_bypass(url.hostname):
            proxy = None
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}") if proxy else None
        if url.scheme == "https":
            context = ssl.create_default_context()
            if via is None:
                return http.client.HTTPSConnection(url.hostname, url.port, timeout=self.timeout, context=context), target
            conn = http.client.HTTPSConnection(via.hostname, via.port or 8080, timeout=self.timeout, context=context)
            conn.set_tunnel(url.hostname, url.port or 443)
            return conn, target
        if via is None:
            return http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout), target
        return (http.client.HTTPConnection(via.hostname, via.port or 8080, timeout=self.timeout),
                urllib.parse.urlunsplit(url))

    def _call(self, method: str, path: str, body: bytes | None, content_type: str) -> tuple[bytes, str]:
        url = urllib.parse.urlsplit(self.base + protocol.API_PREFIX + path)
        conn, target = self._connect(url)
        with self._guard:
            if self._aborted:
                raise ServerUnreachable("Sync was stopped.")
            self._conn = conn
        phase = ""
        try:
            conn.connect()
            phase = "send"
            conn.request(method, target, body=body,
                         headers={"Content-Type": content_type, "User-Agent": USER_AGENT})
            phase = "receive"
            resp = conn.getresponse()
            if resp.status >= 400:
                self._refusal(resp.status, resp.read(64 * 1024))
            return _read_reply(resp), resp.headers.get("Content-Type", "")
        except _ShortReply as exc:
            raise ServerUnreachable(f"The connection to {self.base} was cut before the reply was through "
                                    f"({exc.have:,} of {exc.need:,} bytes); sync will try again.", midway="receive") from None
        except (http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError, OSError) as exc:
            if self._aborted:
                raise ServerUnreachable("Sync was stopped.") from None
            # ``phase`` is empty when no connection was made (refused, unknown host): nothing
            # was sent, and a smaller request would fare no better. Otherwise the link failed
            # after it had connected: a smaller request may get through.
            raise ServerUnreachable(f"The server at {self.base} cannot be reached ({_short(exc)}).", midway=phase) from None
        finally:
            with self._guard:
                self._conn = None
            conn.close()

    @staticmethod
    def _refusal(status: int, raw: bytes) -> None:
        try:
            detail = protocol.parse_json(raw, "server's error")  # strict and depth-bounded, like every reply
        except protocol.ProtocolError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        if detail.get("error") == "revoked":
            raise RevokedNotice(detail)
        message = detail.get("message") if isinstance(detail.get("message"), str) else None
        if status >= 500 or message is None:
            raise ServerUnreachable(f"The server had a problem (HTTP {status}); sync will try again later.")
        if detail.get("error") == "BundleReplayed":
            raise BundleReplayed(detail.get("bundle_id", "?"))
        if detail.get("error") == "EnrollmentThrottled" and type(detail.get("retry_after")) is int:
            raise EnrollmentThrottled(detail["retry_after"], locked=detail.get("locked") is True)
        raise ServerRefused(f"The server refused: {message}")

    def health(self) -> dict:
        data, _ = self._call("GET", "/health", None, "application/json")
        return protocol.parse_json(data, "server's reply")

    def enroll(self, request: dict) -> dict:
        data, _ = self._call("POST", "/enroll", json.dumps(request).encode(), "application/json")
        return protocol.parse_json(data, "server's reply")

    def sync(self, bundle: bytes) -> bytes:
        data, _ = self._call("POST", "/sync", bundle, "application/octet-stream")
        return data

    def forward(self, bundle: bytes) -> dict:
        data, _ = self._call("POST", "/forward", bundle, "application/octet-stream")
        return protocol.parse_json(data, "server's reply")


DEFAULT_SCHEME = "http"  # the hub's own server speaks plain HTTP unless it has a certificate (docs/sync.md)


@dataclass(frozen=True)
class ServerAddress:
    """A server address as typed, made usable. ``scheme_added``: none was typed, so
    ``DEFAULT_SCHEME`` was put in front (the app and the command line say so)."""

    url: str
    scheme_added: bool

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]


def normalise_server_url(text: str) -> ServerAddress:
    """``hub.example:8765`` -> ``http://hub.example:8765``; ``HTTPS://Hub/`` -> ``https://Hub``.
    Raises BadServerAddress for an address no laptop could use."""
    typed = (text or "").strip()
    if not typed:
        raise BadServerAddress(typed, "empty")
    added = "://" not in typed
    url = f"{DEFAULT_SCHEME}://{typed}" if added else typed
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise BadServerAddress(typed, "host") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadServerAddress(typed, "scheme")
    if not parts.hostname or any(ch.isspace() for ch in url):
        raise BadServerAddress(typed, "host")
    rest = url.split("://", 1)[1].rstrip("/")
    return ServerAddress(f"{parts.scheme.lower()}://{rest}", added)


class _ShortReply(Exception):
    def __init__(self, have: int, need: int) -> None:
        self.have, self.need = have, need


def _read_reply(resp) -> bytes:
    """The whole reply body, or _ShortReply. A size-limited read returns what came
    before a clean close without an error; a short body is a network failure, never a
    bundle for the bundle parser to call incomplete."""
    length = resp.headers.get("Content-Length")
    data = resp.read(MAX_BUNDLE_BYTES + 1)
    if length is not None and length.isdigit() and len(data) < int(length) <= MAX_BUNDLE_BYTES:
        raise _ShortReply(len(data), int(length))
    return data


def _short(reason: object) -> str:
    text = str(reason) or type(reason).__name__
    return text if len(text) < 120 else text[:117] + "..."
