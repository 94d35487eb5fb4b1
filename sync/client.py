"""The laptop's side of sync: enroll, push and pull, USB bundles, and the background loop.

Plain Python, no Qt: the desktop app and the command line share it. The store is
touched only under ``lock`` (the app passes the lock its store worker uses), and
never while waiting on the network, so typing never waits for a slow server.

Every reply from the server is a bundle signed with the key pinned at
enrollment; the cursor and the acknowledgement it carries are committed in the
same transaction as the changes it brings (storage.Store.apply_changes, storage/replica.py),
so killing the process at any moment loses nothing and duplicates nothing.
"""

import base64
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import protocol
from .bundle import Identity, PublicKeys, open_bundle, peek_header, seal
from .errors import (
    BundleFolderMissing,
    BundleReplayed,
    DeviceRevoked,
    EnrollmentRefused,
    MistypedEnrollmentCode,
    NotEnrolled,
    ServerMismatch,
    ServerRefused,
    ServerUnreachable,
    SyncError,
    WrongRecipient,
)
from rules import limits

from .files import read_bundle_file, write_atomically
from .link import MAX_CUTS_PER_SYNC, LinkBudget
from .loop import REASON_CODES, SyncLoop, SyncState
from .merge import merge_change
from .results import ImportResult, SyncResult, clock_note, span
from .transport import (
    DEFAULT_SCHEME,
    USER_AGENT,
    HttpTransport,
    RevokedNotice,
    ServerAddress,
    normalise_server_url,
)

# ``from sync.client import ...`` keeps working for every name that lived here before
# the link, the loop, the results and the transport had modules of their own.
__all__ = ["DEFAULT_SCHEME", "REASON_CODES", "USER_AGENT", "HttpTransport", "ImportResult", "LinkBudget",
           "MAX_CUTS_PER_SYNC", "ServerAddress", "StageProgress", "SyncClient", "SyncLoop", "SyncResult",
           "SyncState", "clock_note", "normalise_server_url", "read_bundle_file"]

log = logging.getLogger("fieldbook.sync")

# progress(stage, done, total): what a long operation has done so far (see the USB section).
StageProgress = Callable[[str, int, int], None]
_RevokedNotice = RevokedNotice  # the name tests/sync_helpers.py uses


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


@dataclass
class _Fetched:
    """A reply received and opened, with what the link budget learns from it."""

    reply: protocol.SyncReply
    server_ms: int     # the server's wall clock when it answered
    wire: int          # bytes both ways
    elapsed: float     # seconds the round trip took


@dataclass
class _Ahead:
    """The next page of a pull, being fetched while the page before is applied."""

    batch: _Batch
    payload: int
    future: Future


def _stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ServerUnreachable("Sync was stopped.")


def _forward_one(transport, data: bytes) -> str | None:
    """Upload one carried bundle; returns why the server refused it for good, or None."""
    try:
        transport.forward(data)
    except BundleReplayed:
        pass  # the hub already has it: done either way
    except RevokedNotice:
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
                 max_clock_skew_ms: int = limits.DEFAULT_MAX_CLOCK_SKEW_MS, fetch_ahead: bool = True) -> None:
        self.store = store
        self.fetch_ahead = fetch_ahead  # fetch a pull's next page while applying one (False: one after the other)
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
                        after: int | None = None, ahead: bool = False) -> tuple[bytes, int]:
        """Seal a sync request; returns the bundle and its payload's size. Pure CPU work:
        callers run it outside the store lock."""
        device_id = self.store.device_id
        request = protocol.SyncRequest(device_id, changes, cursor, limit, f"{clock:016x}", forms or {}, after=after,
                                           ahead=ahead)
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
            result.warning = (f"This laptop's clock is {span(skew)} ahead of the server's. Set the correct date and "
                              "time; changes made meanwhile wait, and are re-stamped and sent once the date is right.")
            return False
        if state == "behind":
            result.warning_code = "clock_behind"
            result.warning = (f"This laptop's clock is {span(-skew)} behind the server's. Set the correct date and "
                              "time: while it is wrong, this laptop's edits can lose to older ones.")
            return False
        if not held_back and self.store.clock.ahead_ms() <= bound:
            return False
        note = self.store.restamp_ahead(bound_ms=bound, floor=server_hlc)
        if note is None:
            return False
        result.restamped += note["changes"]
        result.warning_code = "clock_restamped"
        result.warning = (f"This laptop's date was wrong earlier ({span(note['ahead_ms'])} ahead). "
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
        # One thread fetches and opens the next page of a pull while this one applies the page
        # before (docs/sync.md, "Fetching ahead"): SQLite and zlib let go of the interpreter
        # lock, and the server's time overlaps the laptop's instead of adding to it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-ahead") as pool:
            try:
                self._requests(settings, ident, transport, progress, cancel, result, pool)
            except BaseException:
                # A page may be in flight on the thread (the error came while applying the one
                # before): cut it; leaving the pool waits for the thread, so nothing outlives the sync.
                self.abort()
                raise
        with self.lock:
            self.store.record_sync_time(time.time())
        log.info("sync: %d pushed, %d pulled, %d conflict(s)", result.pushed, result.pulled, result.conflicts)
        return result

    def _requests(self, settings: dict, ident: Identity, transport, progress, cancel, result: SyncResult,
                  pool: ThreadPoolExecutor) -> None:
        """Request after request until nothing is left to push or pull."""
        link = self.link
        timeout = getattr(transport, "timeout", None)
        cuts = 0
        ahead: _Ahead | None = None
        while True:
            _stop_if_cancelled(cancel)
            if ahead is None:
                batch = self._next_batch(link)
                bundle, payload = self._request_bundle(ident, settings, batch.changes, batch.cursor, batch.pull,
                                                       batch.clock, batch.held)
                fetch = functools.partial(self._round_trip, ident, settings, transport, bundle, payload)
            else:
                batch, payload, fetch = ahead.batch, ahead.payload, ahead.future.result
            ahead = None
            if progress:
                progress("push" if batch.changes else "pull", result.pushed + result.pulled, batch.total)
            try:
                fetched = self._fetched(settings, fetch)
            except ServerUnreachable as exc:
                cuts += 1
                self._shrink_after_cut(exc, cancel, cuts, link, payload, batch)
                continue
            cuts = 0
            reply = fetched.reply
            held_back = bool(batch.changes) and reply.acked <= batch.before
            link.succeeded(payload if batch.changes else 0, push_full=batch.total > len(batch.changes),
                           pulled_full=reply.more, pull=batch.pull, wire=fetched.wire, elapsed=fetched.elapsed,
                           timeout=timeout)
            ahead = self._fetch_ahead(settings, ident, transport, batch, reply, held_back, pool)
            applied, restamped = self._take_reply(result, reply, fetched.server_ms, held_back)
            _tally(result, reply, applied, batch.before, held_back)
            if not self._go_on(reply, restamped, held_back):
                return

    def _round_trip(self, ident: Identity, settings: dict, transport, bundle: bytes, payload: int) -> "_Fetched":
        """One request and its reply, opened. Reads nothing of the store, so that it may run
        on the thread that fetches ahead."""
        started = time.monotonic()
        data = transport.sync(bundle)
        elapsed = time.monotonic() - started
        _, server_ms, reply = self._open_reply_timed(ident, settings, data)
        return _Fetched(reply, server_ms, len(bundle) + len(data), elapsed)

    def _fetch_ahead(self, settings: dict, ident: Identity, transport, batch: _Batch, reply: protocol.SyncReply,
                     held_back: bool, pool: ThreadPoolExecutor) -> "_Ahead | None":
        """Start fetching the page after ``reply`` while it is applied, when the next request
        would only pull: the reply says more follows, nothing of ours waits to go, and the
        reply brings no form files (the next request names the forms held). The page is
        applied only after this one commits: the caller takes it on its next turn."""
        if not self.fetch_ahead or not reply.more or held_back or batch.changes or reply.forms:
            return None
        with self.lock:
            if self.store.pending_count():
                return None
            clock = self.store.clock.last
        nxt = _Batch(changes=[], cursor=reply.cursor, total=0, before=reply.acked, clock=clock, held=batch.held,
                     pull=min(self.link.pull.value, self.pull_limit))
        bundle, payload = self._request_bundle(ident, settings, [], nxt.cursor, nxt.pull, clock, nxt.held, ahead=True)
        return _Ahead(nxt, payload, pool.submit(self._round_trip, ident, settings, transport, bundle, payload))

    def _fetched(self, settings: dict, fetch: Callable[[], "_Fetched"]) -> "_Fetched":
        """A page fetched now or ahead; a revocation notice is acted on (``_revoked`` always raises)."""
        try:
            return fetch()
        except RevokedNotice as notice:
            self._revoked(settings, notice.notice)
            raise  # not reached: _revoked raises

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
            # The domain check reads every receipt held: once at the end of a pull, not per page.
            applied = self.store.apply_changes(reply.changes, merge=merge_change, cursor=reply.cursor, acked=reply.acked,
                                               refused=reply.refused, domain_check=not reply.more)
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


def _stage(progress: StageProgress | None, stage: str) -> Callable[[int, int], None] | None:
    """Bind a stage name, for the layers below that count (done, total) only."""
    if progress is None:
        return None
    progress(stage, 0, 0)  # the stage has begun (total 0: not yet known); counts follow
    return lambda done, total: progress(stage, done, total)
