"""The background sync loop: syncs by itself, backs off while offline, and says its state."""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from storage.errors import StorageError

from .errors import BundleError, DeviceRevoked, NotEnrolled, ServerUnreachable, SyncError

if TYPE_CHECKING:
    from .client import SyncClient

log = logging.getLogger("fieldbook.sync")


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
