"""The laptop's side of sync: enroll, push and pull, USB bundles, and the background loop.

Plain Python, no Qt: the desktop app and the command line share it. The store is
touched only under ``lock`` (the app passes the lock its store worker uses), and
never while waiting on the network, so typing never waits for a slow server.

Every reply from the server is a bundle signed with the key pinned at
enrollment; the cursor and the acknowledgement it carries are committed in the
same transaction as the changes it brings (storage.Store.apply_changes, storage/replica.py),
so killing the process at any moment loses nothing and duplicates nothing.
"""
from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import os
import random
import shutil
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import protocol
from .bundle import MAX_BUNDLE_BYTES, Identity, PublicKeys, open_bundle, peek_header, seal
from .errors import (
    BadServerAddress,
    BundleError,
    BundleFolderMissing,
    BundleReplayed,
    DeviceRevoked,
    EnrollmentRefused,
    EnrollmentThrottled,
    MistypedEnrollmentCode,
    NotEnrolled,
    ServerMismatch,
    ServerRefused,
    ServerUnreachable,
    SyncError,
    WrongRecipient,
)
from rules import limits
from storage.errors import StorageError

from .files import read_bundle_file, write_atomically
from .merge import merge_change

log = logging.getLogger("fieldbook.sync")

USER_AGENT = "Fieldbook-sync/1"

# progress(stage, done, total): what a long operation has done so far (see the USB section).
StageProgress = Callable[[str, int, int], None]


# --- HTTP ----------------------------------------------------------------------------------
class _RevokedNotice(Exception):
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
            raise _RevokedNotice(detail)
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


# --- results -----------------------------------------------------------------------------
@dataclass
class SyncResult:
    pushed: int = 0          # our changes the server now holds
    pulled: int = 0          # changes from others applied here
    conflicts: int = 0
    forwarded: int = 0       # other laptops' bundles uploaded for them, and taken by the server
    forward_refused: list = field(default_factory=list)  # [{bundle_id, device_id, reason}]: carried, refused for good
    refused: list = field(default_factory=list)  # our changes the server refused for good: now set aside
    warning: str | None = None         # a sentence (English), for the log and the command line
    warning_code: str = ""             # a SyncLoop reason code for it: see REASON_CODES
    forms_changed: bool = False  # the hub published or withdrew a form for this team
    clock: str = "ok"                  # this laptop's wall clock against the server's: ok, ahead or behind
    clock_skew_ms: int = 0             # this laptop's wall clock minus the server's, as measured
    restamped: int = 0                 # unsent changes re-stamped after a clock that was far ahead

    def to_json(self) -> dict:
        return {"pushed": self.pushed, "pulled": self.pulled, "conflicts": self.conflicts,
                "forwarded": self.forwarded, "forward_refused": len(self.forward_refused),
                "refused": len(self.refused), "set_aside": len(self.refused),
                "restamped": self.restamped, "clock": self.clock, "warning": self.warning,
                "forms_changed": self.forms_changed}


@dataclass
class ImportResult:
    kind: str                 # "applied" (a reply for this laptop) or "forward" (kept for the server)
    new: int = 0
    duplicates: int = 0
    conflicts: int = 0
    acked: int = 0
    forms_changed: bool = False

    def to_json(self) -> dict:
        return {"kind": self.kind, "new": self.new, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "acked": self.acked, "forms_changed": self.forms_changed}


# --- how much one request carries ----------------------------------------------------------
MAX_CUTS_PER_SYNC = 24  # failures midway in a row before one sync gives up (from 8 MiB, halving reaches one change in ~16)


class _Adaptive:
    """A size that halves below what failed, and after a success grows (at most doubling)
    up to a ceiling. The ceiling sits below the last failure and creeps up a tenth per
    full success, so a link that cuts at a fixed size fails about once in ten requests,
    not every other one."""

    def __init__(self, high: int, low: int = 1) -> None:
        self.high, self.low = high, low
        self.value = self.ceiling = high

    def failed(self, used: int) -> bool:
        """False when ``used`` was already the smallest: nothing left to shrink."""
        if used <= self.low:
            return False
        self.value = max(self.low, used // 2)
        self.ceiling = max(self.low, used * 3 // 4)
        return True

    def succeeded(self, used: int, full: bool, fit: int | None = None) -> None:
        if not full:
            return  # carried all there was: says nothing about how much more the link takes
        self.ceiling = min(self.high, max(self.ceiling, used) + max(1, self.ceiling // 10))
        grown = min(self.ceiling, max(self.value, 2 * used))
        if fit is not None:
            grown = min(grown, max(used, fit))
        self.value = grown


class LinkBudget:
    """What one sync request may carry on this link: ``push`` in payload bytes of changes
    (never fewer than one change), ``pull`` in changes asked back (never fewer than one).

    Both start at the protocol's bounds (docs/sync.md, "Batches and slow links"). After a
    request that failed midway both halve; after a success each grows again, and the push
    is also held to what the measured rate moves in half the timeout."""

    def __init__(self, pull_limit: int = protocol.DEFAULT_PULL_LIMIT) -> None:
        self.push = _Adaptive(protocol.MAX_PUSH_BYTES, low=1)
        self.pull = _Adaptive(pull_limit, low=1)

    def failed(self, payload: int, changes: int, pull: int) -> bool:
        """Shrink after a request that failed midway; False when nothing could shrink."""
        pushed = changes > 1 and self.push.failed(payload)
        pulled = self.pull.failed(pull)
        return pushed or pulled

    def succeeded(self, payload: int, *, push_full: bool, pulled_full: bool, pull: int, wire: int, elapsed: float,
                  timeout: float | None) -> None:
        fit = None
        if payload and timeout and elapsed > 0 and wire > 0:
            # Bytes the link moved per second, payload bytes per wire byte: aim at half the timeout.
            fit = int(wire / elapsed * timeout / 2 * payload / wire)
        self.push.succeeded(payload, push_full, fit)
        self.pull.succeeded(pull, pulled_full)


# --- the client ----------------------------------------------------------------------------
@dataclass
class _Batch:
    """What one request carries, and the store's state when it was read."""

    changes: list      # our unsent changes, as JSON
    cursor: int        # how far we have pulled
    total: int         # how many changes wait to be sent
    before: int        # the highest of ours the server had acknowledged
    clock: int         # our clock's last stamp
    held: object       # the published forms we hold
    pull: int          # at most this many changes back


def _stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ServerUnreachable("Sync was stopped.")


def _forward_one(transport, data: bytes) -> str | None:
    """Upload one carried bundle; returns why the server refused it for good, or None."""
    try:
        transport.forward(data)
    except BundleReplayed:
        pass  # the hub already has it: done either way
    except _RevokedNotice:
        # The carried bundle's sender was revoked: the hub keeps nothing of it. The notice
        # is for that laptop, never for this one. Said, not counted as delivered.
        return "the laptop that made it was revoked at the hub"
    except ServerRefused as exc:
        return str(exc)
    return None


def _tally(result: SyncResult, reply: protocol.SyncReply, applied, before: int, held_back: bool) -> None:
    """Count one reply into ``result``, and word the first warning it brings."""
    result.pushed += max(0, reply.acked - before)
    result.pulled += applied.new
    result.conflicts += applied.conflicts
    result.refused += [r for r in reply.refused if r.get("seq") in applied.set_aside]  # new ones only
    if result.refused and not result.warning_code:
        result.warning_code = "set_aside"
        result.warning = (f"The server refused {len(result.refused)} change(s) for good; they are set aside so "
                          "that the others flow. 'sync set-aside' lists them.")
    if reply.warning and not result.warning_code:
        # The server holds changes back for a clock far ahead (docs/sync.md), and the
        # laptop says so itself above; any other note is passed on as the server's own.
        result.warning = reply.warning
        result.warning_code = "clock_ahead" if held_back else "server_warning"


class SyncClient:
    def __init__(self, store, *, transport: Callable[[str], object] = HttpTransport, lock=None,
                 batch: int = protocol.DEFAULT_BATCH, pull_limit: int = protocol.DEFAULT_PULL_LIMIT,
                 max_clock_skew_ms: int = limits.DEFAULT_MAX_CLOCK_SKEW_MS) -> None:
        self.store = store
        self._transport_for = transport
        self.lock = lock or threading.RLock()
        self.batch = batch
        self.pull_limit = pull_limit
        self.max_clock_skew_ms = max_clock_skew_ms  # the server's bound (docs/sync.md, "Stamps and clocks")
        self.link = LinkBudget()  # what one request may carry; learnt from the link, kept across syncs
        self._active = None  # the transport of the sync in progress, for abort()

    # -- identity and enrollment ----------------------------------------------------------
    def identity(self) -> Identity:
        with self.lock:
            raw = self.store.device_secret()
            if raw is None:
                ident = Identity.generate()
                self.store.set_device_secret(ident.private_bytes())
                return ident
        return Identity.from_private_bytes(raw)

    def settings(self) -> dict:
        with self.lock:
            settings = self.store.sync_settings()
        if not settings:
            raise NotEnrolled()
        return settings

    def enroll(self, server_url: str, code: str) -> dict:
        """Send our public keys with a one-time code; pin the server's keys from its MAC'd answer.

        ``server_url`` may be typed without a scheme (``normalise_server_url``); the
        settings returned and kept hold the address actually used."""
        server_url = normalise_server_url(server_url).url
        try:
            cid, mac_key = protocol.code_keys(code)
        except protocol.ProtocolError:
            raise MistypedEnrollmentCode() from None
        ident = self.identity()
        device_id = self.store.device_id
        keys = ident.public().to_json()
        request = {"v": protocol.PROTOCOL_VERSION, "device_id": device_id, "code_id": cid, "keys": keys,
                   "mac": protocol.enroll_request_mac(mac_key, device_id, keys)}
        try:
            reply = self._transport_for(server_url).enroll(request)
        except ServerRefused as exc:
            raise EnrollmentRefused(str(exc)) from None
        try:
            server_id, server_keys, team = reply["server_id"], protocol.check_keys(reply["keys"], "server's reply"), reply["team"]
            ok = protocol.macs_equal(reply.get("mac"), protocol.enroll_reply_mac(mac_key, device_id, server_id, server_keys, team))
        except (KeyError, TypeError, protocol.ProtocolError):
            ok = False
        if not ok:
            raise ServerMismatch(
                "The server's answer did not verify against the enrollment code: something between this laptop and the "
                "server may have changed it. Nothing was saved. Check the server address and try again with a new code."
            )
        settings = {"server_url": server_url.rstrip("/"), "server_id": server_id, "server_keys": server_keys,
                    "team": team, "enrolled_at": int(time.time())}
        with self.lock:
            self.store.save_sync_settings(settings)
        log.info("enrolled with %s in team %s", server_id, team)
        return settings

    # -- one sync -----------------------------------------------------------------------------
    def _pinned(self, settings: dict) -> PublicKeys:
        return PublicKeys.from_json(settings["server_keys"])

    def _request_bundle(self, ident: Identity, settings: dict, changes: list, cursor: int, limit: int, clock: int,
                        forms: dict[str, str] | None = None, progress: Callable[[int, int], None] | None = None,
                        after: int | None = None) -> tuple[bytes, int]:
        """Seal a sync request; returns the bundle and its payload's size. Pure CPU work:
        callers run it outside the store lock."""
        device_id = self.store.device_id
        request = protocol.SyncRequest(device_id, changes, cursor, limit, f"{clock:016x}", forms or {}, after=after)
        payload = request.encode()
        # The bundle's creation time is this laptop's wall clock, the one its stamps come
        # from: the server compares it with its own to tell a clock far behind.
        return seal(payload, sender=ident, sender_id=device_id, recipient=self._pinned(settings),
                    recipient_id=settings["server_id"], kind="sync", progress=progress,
                    _created_ms=self.store.clock.now_ms()), len(payload)

    def _open_reply(self, ident: Identity, settings: dict, data: bytes,
                    progress: Callable[[int, int], None] | None = None) -> tuple[str, protocol.SyncReply]:
        bundle_id, _, reply = self._open_reply_timed(ident, settings, data, progress)
        return bundle_id, reply

    def _open_reply_timed(self, ident: Identity, settings: dict, data: bytes,
                          progress: Callable[[int, int], None] | None = None) -> tuple[str, int, protocol.SyncReply]:
        """The reply, with its creation time: the server's wall clock when it answered."""
        pinned = self._pinned(settings)
        opened = open_bundle(data, recipient=ident, recipient_id=self.store.device_id,
                             sender_key=lambda sid: pinned if sid == settings["server_id"] else None, progress=progress)
        return opened.bundle_id, opened.created_ms, protocol.SyncReply.decode(opened.payload)

    def _check_clock(self, result: "SyncResult", server_ms: int, server_hlc: str, held_back: bool) -> bool:
        """Compare this laptop's wall clock with the server's, from a reply just received
        (call under the lock). A clock far ahead or behind is said; once the clock is
        right, unsent changes stamped beyond the bound are re-stamped (see
        ``Store.restamp_ahead``). Returns whether any were, so the caller sends them."""
        skew = self.store.clock.now_ms() - server_ms
        bound = self.max_clock_skew_ms
        state = "ahead" if skew > bound else "behind" if skew < -bound else "ok"
        result.clock, result.clock_skew_ms = state, skew
        if state == "behind" and int(server_hlc, 16) >> 16 <= server_ms + bound:
            # Our own receive rule refuses the server's clock as "far ahead" of ours; but the
            # server's is the right one (pinned, signed, and bounded by its own wall clock),
            # so take it: stamps made here then still come after everything seen, and an
            # edit made now does not lose to an older one. The warning stays until the date
            # is fixed, because a laptop offline keeps stamping from its own wrong date.
            self.store.clock.observe(int(server_hlc, 16))
        self.store.note_clock_check(state, skew)  # also persists the clock
        if state == "ahead":
            result.warning_code = "clock_ahead"
            result.warning = (f"This laptop's clock is {_span(skew)} ahead of the server's. Set the correct date and "
                              "time; changes made meanwhile wait, and are re-stamped and sent once the date is right.")
            return False
        if state == "behind":
            result.warning_code = "clock_behind"
            result.warning = (f"This laptop's clock is {_span(-skew)} behind the server's. Set the correct date and "
                              "time: while it is wrong, this laptop's edits can lose to older ones.")
            return False
        if not held_back and self.store.clock.ahead_ms() <= bound:
            return False
        note = self.store.restamp_ahead(bound_ms=bound, floor=server_hlc)
        if note is None:
            return False
        result.restamped += note["changes"]
        result.warning_code = "clock_restamped"
        result.warning = (f"This laptop's date was wrong earlier ({_span(note['ahead_ms'])} ahead). "
                          f"{result.restamped} change(s) made then were re-stamped with the current time and sent; "
                          "their values are unchanged.")
        return True

    def _receive_forms(self, reply: protocol.SyncReply) -> bool:
        """Keep the forms the hub publishes to this team (call under the lock)."""
        if reply.catalogue is None:
            return False
        seq, entries = reply.catalogue
        files = [{"form_id": f.form_id, "version": f.version, "digest": f.digest, "title": f.title,
                  "xlsx": f.xlsx, "media": f.media} for f in reply.forms]
        return self.store.receive_forms(seq, {e.form_id: e.digest for e in entries}, files)

    def sync_now(self, progress: Callable[[str, int, int], None] | None = None, *,
                 cancel: threading.Event | None = None) -> SyncResult:
        """Upload forwarded bundles, then push our changes in batches, then pull until up to date.

        Each request carries what the link has shown it can carry (``self.link``): after a
        timeout or a cut the next one carries half, after a success more. ``cancel`` (set
        from another thread, with ``abort()`` to cut a request in flight) stops between
        requests with ServerUnreachable; what was acknowledged stays acknowledged."""
        settings = self.settings()
        ident = self.identity()
        transport = self._transport_for(settings["server_url"])
        self._active = transport
        try:
            return self._sync(settings, ident, transport, progress, cancel)
        finally:
            self._active = None

    def abort(self) -> None:
        """Cut the request in flight, if the transport can (any thread)."""
        transport = self._active
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()

    def _sync(self, settings: dict, ident: Identity, transport, progress, cancel) -> SyncResult:
        result = SyncResult()
        self._forward_queued(transport, result, cancel)
        link = self.link
        timeout = getattr(transport, "timeout", None)
        cuts = 0
        while True:
            _stop_if_cancelled(cancel)
            batch = self._next_batch(link)
            bundle, payload = self._request_bundle(ident, settings, batch.changes, batch.cursor, batch.pull,
                                                   batch.clock, batch.held)
            if progress:
                progress("push" if batch.changes else "pull", result.pushed + result.pulled, batch.total)
            started = time.monotonic()
            try:
                data = self._send(settings, transport, bundle)
            except ServerUnreachable as exc:
                cuts += 1
                self._shrink_after_cut(exc, cancel, cuts, link, payload, batch)
                continue
            elapsed = time.monotonic() - started
            cuts = 0
            _, server_ms, reply = self._open_reply_timed(ident, settings, data)
            held_back = bool(batch.changes) and reply.acked <= batch.before
            applied, restamped = self._take_reply(result, reply, server_ms, held_back)
            link.succeeded(payload if batch.changes else 0, push_full=batch.total > len(batch.changes),
                           pulled_full=reply.more, pull=batch.pull, wire=len(bundle) + len(data), elapsed=elapsed,
                           timeout=timeout)
            _tally(result, reply, applied, batch.before, held_back)
            if not self._go_on(reply, restamped, held_back):
                break
        with self.lock:
            self.store.record_sync_time(time.time())
        log.info("sync: %d pushed, %d pulled, %d conflict(s)", result.pushed, result.pulled, result.conflicts)
        return result

    def _forward_queued(self, transport, result: SyncResult, cancel) -> None:
        """Upload the bundles carried for other laptops, each once: delivered or refused for good."""
        with self.lock:
            queued = self.store.forward_queue()
        for bundle_id, sender, data in queued:
            _stop_if_cancelled(cancel)
            refused = _forward_one(transport, data)
            if refused is not None:
                log.warning("a bundle carried for device %s was refused by the server: %s", sender, refused)
                result.forward_refused.append({"bundle_id": bundle_id, "device_id": sender, "reason": refused})
            with self.lock:
                self.store.forwarded(bundle_id)  # refused for good: carrying it again would change nothing
            if refused is None:
                result.forwarded += 1

    def _next_batch(self, link: LinkBudget) -> _Batch:
        """What the next request carries, read from the store (under the lock)."""
        with self.lock:
            return _Batch(
                changes=[c.to_json() for c in self.store.pending_changes(limit=self.batch, max_bytes=link.push.value)],
                cursor=self.store.pull_cursor(),
                total=self.store.pending_count(),
                before=self.store.acknowledged_seq(),
                clock=self.store.clock.last,
                held=self.store.published_forms(),
                pull=min(link.pull.value, self.pull_limit),
            )

    def _send(self, settings: dict, transport, bundle: bytes) -> bytes:
        """One request; a revocation notice is acted on (``_revoked`` always raises)."""
        try:
            return transport.sync(bundle)
        except _RevokedNotice as notice:
            self._revoked(settings, notice.notice)
            raise  # not reached: _revoked raises

    def _shrink_after_cut(self, exc: ServerUnreachable, cancel, cuts: int, link: LinkBudget, payload: int,
                          batch: _Batch) -> None:
        """After a failed request: re-raise ``exc``, or shrink the next request to try again at once.

        A link that failed midway may carry a smaller request: try one at once, as long as
        there is something left to make smaller. A link that never connected (or a stop)
        ends this sync; the loop backs off."""
        stopping = cancel is not None and cancel.is_set()
        if stopping or not exc.midway or cuts > MAX_CUTS_PER_SYNC or not link.failed(payload, len(batch.changes),
                                                                                     batch.pull):
            raise exc
        log.info("sync: the link failed midway (%s); next request: at most %d bytes of changes, %d back",
                 exc.midway, link.push.value, link.pull.value)

    def _take_reply(self, result: SyncResult, reply: protocol.SyncReply, server_ms: int,
                    held_back: bool) -> tuple[object, bool]:
        """Apply a reply in one transaction (under the lock); returns what was applied, and
        whether unsent changes were re-stamped (so they go at once)."""
        with self.lock:
            applied = self.store.apply_changes(reply.changes, merge=merge_change, cursor=reply.cursor, acked=reply.acked,
                                               refused=reply.refused)
            with contextlib.suppress(ValueError):
                self.store.clock.receive(reply.hlc)
            result.forms_changed |= self._receive_forms(reply)
            restamped = not result.restamped and self._check_clock(result, server_ms, reply.hlc, held_back)
        return applied, restamped

    def _go_on(self, reply: protocol.SyncReply, restamped: bool, held_back: bool) -> bool:
        """Whether another request follows this reply."""
        if restamped:
            return True  # the re-stamped changes go now
        if held_back:
            return False  # the server holds the rest back (see the warning); the next sync tries again
        if reply.more:
            return True
        with self.lock:
            return self.store.pending_count() != 0

    def last_sync(self) -> float | None:
        """When the last complete sync with the server ended (epoch seconds), or None."""
        with self.lock:
            return self.store.last_sync_time()

    def _revoked(self, settings: dict, notice: dict) -> None:
        """Act on a revocation only if the pinned server key signed it."""
        wipe = bool(notice.get("wipe"))
        statement = protocol.revocation_statement(self.store.device_id, settings["server_id"], wipe)
        try:
            sig = base64.urlsafe_b64decode(notice.get("signature", "") + "==")
            Ed25519PublicKey.from_public_bytes(self._pinned(settings).sign).verify(sig, statement)
        except (InvalidSignature, ValueError, TypeError):
            raise ServerMismatch("The server claims this laptop was revoked, but the claim is not signed by the pinned "
                                 "server key; nothing was done. Tell your administrator.") from None
        if wipe:
            log.warning("revoked by the hub with an erase order: wiping this profile")
            with self.lock:
                self.store.wipe()
            raise DeviceRevoked("The hub revoked this laptop and asked it to erase its data: the profile has been erased.",
                                erased=True)
        raise DeviceRevoked("The hub revoked this laptop: it can no longer sync. Its data stays here; contact your hub.")

    def probe(self) -> bool:
        """Is the server answering? (Cheap: no store access, no bundle.)"""
        try:
            self._transport_for(self.settings()["server_url"]).health()
            return True
        except (ServerUnreachable, ServerRefused, protocol.ProtocolError):
            return False

    def reachable(self) -> bool | None:
        """Can a connection to the server be opened? Cheaper than ``probe``: no request, no
        reply, a few hundred bytes on the wire. None when the transport cannot tell."""
        try:
            url = self.settings()["server_url"]
        except NotEnrolled:
            return None
        check = getattr(self._transport_for(url), "reachable", None)
        return check() if check is not None else None

    # -- USB ----------------------------------------------------------------------------------
    # ``progress(stage, done, total)``, as for ``sync_now``: the stage says what the
    # numbers count. Export: "reading" (changes read from the outbox), "sealing"
    # (payload bytes compressed and encrypted), "writing" (bundle bytes on the stick).
    # Import: "checking" (bundle content bytes verified and opened), "applying" (changes
    # merged into the store). Each stage starts with (0, 0), "begun, size not yet
    # known", never counts backwards, and ends with done == total.
    def export_bundle(self, path: str | os.PathLike, progress: StageProgress | None = None) -> int:
        """Write every unacknowledged change, sealed to the server, to ``path``. Returns how many.

        An outbox too large for one bundle goes into parts (``export_parts``)."""
        return sum(count for _, count in self.export_parts(path, progress))

    def export_parts(self, path: str | os.PathLike, progress: StageProgress | None = None, *,
                     part_bytes: int | None = None) -> list[tuple[Path, int]]:
        """Write the outbox as one bundle at ``path`` or, when its changes come to more than
        ``part_bytes``, as parts beside it: ``NAME-part1of3.fbb`` and so on. Returns each
        file with its number of changes.

        Each part after the first says which change it follows (``after``), so the hub
        imports the parts in any order, each as often as it likes (docs/sync.md). The
        outbox is read a part at a time: memory stays near one part, whatever its size."""
        settings = self.settings()
        if not Path(path).parent.is_dir():  # a stick not mounted: say so before sealing anything
            raise BundleFolderMissing(str(path), "write")
        ident = self.identity()
        target = Path(path)
        part_bytes = part_bytes or protocol.MAX_PART_BYTES
        if progress:
            progress("reading", 0, 0)
        with self.lock:
            total = self.store.pending_count()
            cursor, clock = self.store.pull_cursor(), self.store.clock.last
        done, after, sealed = 0, 0, []
        spill: Path | None = None
        try:
            while True:
                with self.lock:
                    batch = self.store.pending_changes(after_seq=after, max_bytes=part_bytes)
                changes = [c.to_json() for c in batch]
                del batch
                done += len(changes)
                if progress:
                    progress("reading", done, total)
                bundle, _ = self._request_bundle(ident, settings, changes, cursor, protocol.DEFAULT_PULL_LIMIT, clock,
                                                 progress=_stage(progress, "sealing"), after=after if sealed else None)
                last = changes[-1]["seq"] if changes else after
                with self.lock:
                    more = bool(changes) and bool(self.store.pending_changes(limit=1, after_seq=last))
                if not sealed and not more:
                    write_atomically(target, bundle, progress=_stage(progress, "writing"))
                    result = [(target, len(changes))]
                    break
                # Parts: each one is written to a temporary name at once (memory holds one
                # part), and all get their final names once the part count is known.
                spill = spill or Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
                part = spill / f"{len(sealed) + 1}"
                write_atomically(part, bundle, progress=_stage(progress, "writing"))
                sealed.append((part, len(changes)))
                del bundle, changes
                after = last
                if not more:
                    n = len(sealed)
                    result = []
                    for i, (tmp, count) in enumerate(sealed, 1):
                        final = target.with_name(f"{target.stem}-part{i}of{n}{target.suffix}")
                        os.replace(tmp, final)
                        result.append((final, count))
                    break
        except OSError as exc:
            raise SyncError(f"Cannot write the bundle beside {target}: {exc.strerror}. Nothing was lost; free space "
                            "or choose another place.") from None
        finally:
            if spill is not None:
                shutil.rmtree(spill, ignore_errors=True)
        with self.lock:
            self.store.log_event("bundle_exported")
        return result

    def import_bundle(self, path: str | os.PathLike, progress: StageProgress | None = None) -> ImportResult:
        """A reply from the hub is applied; a bundle sealed to the server by another laptop is
        kept (unreadable) and uploaded at the next sync; anything else is refused."""
        settings = self.settings()
        data = read_bundle_file(Path(path))
        header = peek_header(data)
        me = self.store.device_id
        if header.recipient_id == settings["server_id"]:
            if header.sender_id == me:
                raise WrongRecipient(header.recipient_id, me)
            with self.lock:
                self.store.queue_forward(header.bundle_id, header.sender_id, data)
            if progress:
                progress("checking", len(data), len(data))  # kept whole, unread: nothing more to check here
            return ImportResult("forward")
        ident = self.identity()
        checking = _stage(progress, "checking")
        bundle_id, reply = self._open_reply(ident, settings, data, progress=checking)
        with self.lock:
            if self.store.bundle_seen(bundle_id):
                raise BundleReplayed(bundle_id)
            applied = self.store.apply_changes(reply.changes, merge=merge_change, cursor=reply.cursor, acked=reply.acked,
                                               bundle=(bundle_id, header.sender_id),
                                               progress=_stage(progress, "applying"), refused=reply.refused)
            forms_changed = self._receive_forms(reply)
        if progress:  # also when the reply carried no changes: the stage still ends
            progress("applying", len(reply.changes), len(reply.changes))
        return ImportResult("applied", applied.new, applied.duplicates, applied.conflicts, reply.acked, forms_changed)


def clock_note(status: dict, bound_ms: int = limits.DEFAULT_MAX_CLOCK_SKEW_MS) -> tuple[str, str | None]:
    """This laptop's clock in words, from ``Store.clock_status()``: ``(state, sentence)``.

    ``state``: ``ok``; ``ahead`` / ``behind`` (the last sync found this laptop's date far
    from the server's); ``stored_ahead`` (its date looks right, but it once ran far
    ahead: the next sync re-stamps what was made then); ``restamped`` (that was done)."""
    check, restamp = status.get("check") or {}, status.get("restamp")
    if check.get("state") == "ahead":
        return "ahead", (f"At the last sync this laptop's clock was {_span(check['skew_ms'])} ahead of the server's. "
                         "Set the correct date and time; changes made meanwhile wait, then are re-stamped and sent.")
    if check.get("state") == "behind":
        return "behind", (f"At the last sync this laptop's clock was {_span(-check['skew_ms'])} behind the server's. "
                          "Set the correct date and time: while it is wrong, this laptop's edits can lose to older ones.")
    if status.get("stored_ahead_ms", 0) > bound_ms:
        return "stored_ahead", (f"This laptop's clock once ran {_span(status['stored_ahead_ms'])} ahead. If today's date "
                                "is right now, the next sync re-stamps the changes made then and sends them.")
    if restamp:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(restamp["at_ms"] / 1000))
        return "restamped", (f"On {when} this laptop's date was found to have been {_span(restamp['ahead_ms'])} ahead; "
                             f"{restamp['changes']} change(s) made then were re-stamped with the current time and sent. "
                             "Their values are unchanged.")
    return "ok", None


def _span(ms: float) -> str:
    """A clock difference in words: hours up to two days, then days."""
    hours = ms / 3_600_000
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def _stage(progress: StageProgress | None, stage: str) -> Callable[[int, int], None] | None:
    """Bind a stage name, for the layers below that count (done, total) only."""
    if progress is None:
        return None
    progress(stage, 0, 0)  # the stage has begun (total 0: not yet known); counts follow
    return lambda done, total: progress(stage, done, total)


# --- the background loop --------------------------------------------------------------------
# Why the loop is in its state, as stable codes: the app shows each in the person's
# language (gui/screens/sync.py reason_text), and ``detail`` keeps the English
# sentence for logs and diagnosis. A test fails when a code has no translation.
REASON_CODES = (
    "server_silent",        # offline: the server did not answer the probe
    "server_unreachable",   # offline: a sync could not reach the server (``error`` says how)
    "device_revoked",       # error: the hub revoked this laptop (``error.erased``: profile erased)
    "sync_error",           # error: a typed sync error; ``error`` is it
    "store_error",          # error: a typed storage error while syncing (disk full, store busy); ``error`` is it
    "unexpected",           # error: a bug; ``detail`` names its type only
    "clock_ahead",          # up to date, but the server holds changes back: this clock is ahead
    "clock_behind",         # up to date, but this clock is far behind the server's: edits may lose to older ones
    "clock_restamped",      # up to date: changes made while the clock was far ahead were re-stamped and sent
    "set_aside",            # up to date, but the server refused some changes for good: set aside (``sync set-aside``)
    "server_warning",       # up to date, with a note from the server (``detail``)
)


@dataclass
class SyncState:
    """What the status bar shows. ``state``: not_enrolled | offline | syncing | up_to_date | error.

    ``reason`` is one of REASON_CODES (or empty); ``error`` the typed error behind it,
    whose type and attributes (never field values) let the app word it."""

    state: str
    detail: str = ""
    last_sync: float | None = None   # epoch seconds of the last complete sync
    pending: int = 0
    next_try_s: float | None = None
    reason: str = ""
    error: Exception | None = None
    set_aside: int = 0               # our changes the server refused for good (``sync set-aside`` lists them)


class SyncLoop:
    """Syncs by itself: at start, when woken (a local save, "Sync now"), and every ``interval``.

    Offline, it probes the server with backoff and full jitter (``min_backoff`` seconds
    at first, doubling to at most ``max_backoff``, 15 minutes), and syncs as soon as
    the server answers. A server that vanishes mid-sync is just "offline".

    While it backs off, a local save does not cut the wait short (``wake()``); only the
    person's "Sync now" does (``wake(now=True)``). Every ``watch_interval`` seconds it
    makes a cheap check (a TCP connect, no request) and tries at once when the server,
    out of reach until then, can be reached again: a returning network is noticed in
    seconds, not after a 15-minute back-off."""

    def __init__(self, client: SyncClient, on_state: Callable[[SyncState], None], *, interval: float = 300.0,
                 min_backoff: float = 2.0, max_backoff: float = 900.0, watch_interval: float = 15.0,
                 rng: random.Random | None = None) -> None:
        self.client = client
        self.on_state = on_state
        self.interval, self.min_backoff, self.max_backoff = interval, min_backoff, max_backoff
        self.watch_interval = watch_interval
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_sync: float | None = None
        self.failures = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fieldbook-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop, cutting a request in flight; wait at most ``timeout`` seconds for the loop
        to end. True once it has: no sync runs after that. What a cut request had sent is
        either acknowledged at the next sync or sent again; nothing is lost."""
        self._stop.set()
        self._wake.set()
        self.client.abort()
        if self._thread:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def wake(self, *, now: bool = False) -> None:
        """Sync soon: after a local save, unless the loop is backing off from failures
        (saves must not defeat the back-off); with ``now`` (the person asked), always."""
        if now or not self.failures:
            self._wake.set()

    def backoff(self) -> float:
        """Full jitter over an exponentially growing ceiling."""
        ceiling = min(self.max_backoff, self.min_backoff * (2 ** min(self.failures, 20)))
        return self._rng.uniform(self.min_backoff / 2, ceiling)

    def _pending(self) -> int:
        try:
            with self.client.lock:
                return self.client.store.pending_count()
        except Exception:  # a locked or closed store: the count is cosmetic
            return 0

    def _set_aside(self) -> int:
        try:
            with self.client.lock:
                return self.client.store.set_aside_count()
        except Exception:  # a locked or closed store: the count is cosmetic
            return 0

    def _emit(self, state: str, detail: str = "", next_try: float | None = None, *, reason: str = "",
              error: Exception | None = None) -> None:
        if error is not None:
            error = error.with_traceback(None)  # the state outlives the sync: keep no frames alive
        self.on_state(SyncState(state, detail, self.last_sync, self._pending(), next_try, reason, error, self._set_aside()))

    def run_once(self) -> float:
        """One attempt; returns how long to wait before the next."""
        try:
            self.client.settings()
        except NotEnrolled:
            self._emit("not_enrolled")
            return self.interval
        if self.failures and not self.client.probe():
            self.failures += 1
            wait = self.backoff()
            self._emit("offline", "The server does not answer.", wait, reason="server_silent")
            return wait
        self._emit("syncing")
        try:
            result = self.client.sync_now(cancel=self._stop)
        except ServerUnreachable as exc:
            if self._stop.is_set():
                return 0.0  # stopped mid-sync: nothing to report
            self.failures += 1
            wait = self.backoff()
            self._emit("offline", str(exc), wait, reason="server_unreachable", error=exc)
            return wait
        except DeviceRevoked as exc:
            self._emit("error", str(exc), reason="device_revoked", error=exc)
            self._stop.set()
            return self.interval
        except (SyncError, BundleError) as exc:
            self.failures += 1
            wait = self.backoff()
            self._emit("error", str(exc), wait, reason="sync_error", error=exc)
            return wait
        except StorageError as exc:  # a full disk or a busy store while applying: typed, so worded for the person
            self.failures += 1
            wait = self.backoff()
            self._emit("error", str(exc), wait, reason="store_error", error=exc)
            return wait
        self.failures = 0
        self.last_sync = time.time()
        self._emit("up_to_date", result.warning or "", reason=result.warning_code)
        return self.interval

    def _run(self) -> None:
        try:
            # The store keeps it: after a restart offline, the status still says when the last sync was.
            self.last_sync = self.last_sync or self.client.last_sync()
        except Exception:  # a locked or closed store: the loop stops or reports on its first run
            pass
        while not self._stop.is_set():
            try:
                wait = self.run_once()
            except Exception as exc:  # the loop must outlive any one failure
                if self._stop.is_set():
                    break
                log.error("sync loop: %s", type(exc).__name__)
                self.failures += 1
                wait = self.backoff()
                self._emit("error", f"Sync failed unexpectedly ({type(exc).__name__}); it will try again.", wait,
                           reason="unexpected")
            self._sleep(wait)
            self._wake.clear()

    def _sleep(self, wait: float) -> None:
        """Wait ``wait`` seconds or until woken; while backing off, also until the server,
        out of reach at the last check, can be reached again."""
        if not self.failures or self.watch_interval <= 0:
            self._wake.wait(wait)
            return
        end = time.monotonic() + wait
        was = self.client.reachable()
        while not self._stop.is_set():
            left = end - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, self.watch_interval)):
                return
            now = self.client.reachable()
            if now and was is False:
                log.info("sync: the server can be reached again; trying now")
                return
            was = now
