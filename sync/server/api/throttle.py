"""Refused API requests, counted per client address: a flood of bad tokens waits, unchecked.

A token is 256 random bits, so guessing one is hopeless; what a flood of wrong or missing
tokens can do is cost work and fill the audit log (each refusal is an audited row). So, per
source address: the first ``free`` refusals are answered and audited as usual; after that
the address waits 2, 4, 8 ... seconds (at most ``max_wait_s``) between requests that are
checked at all. A request that comes while the address must wait gets 429 with Retry-After
at once, without a token check and without an audit row of its own: the audit log gets one
``api_throttled`` entry when the wait begins. Refusals older than ``forget_s`` (with none
since) are forgotten, and so is an address whose token then works.

Kept in the process's memory, not in the database (unlike enrollment's throttle): nothing
is guessed here, and a request refused without touching the database is the point. With
several worker processes, each counts its own; the bound per process is what matters.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Source:
    failures: int
    last: float
    next_try: float


class RefusalThrottle:
    def __init__(self, *, free: int = 5, max_wait_s: int = 60, forget_s: int = 15 * 60,
                 max_sources: int = 10_000, clock=time.monotonic) -> None:
        self.free, self.max_wait_s, self.forget_s = free, max_wait_s, forget_s
        self.max_sources = max_sources  # memory stays bounded whatever the number of addresses
        self._clock = clock
        self._sources: OrderedDict[str, _Source] = OrderedDict()

    def wait_s(self, source: str | None) -> int:
        """Seconds ``source`` must still wait before a request of its is checked (0: check it)."""
        entry = self._sources.get(source or "?")
        if entry is None:
            return 0
        now = self._clock()
        if now - entry.last > self.forget_s:
            del self._sources[source or "?"]
            return 0
        return max(0, -int(-(entry.next_try - now) // 1))

    def refused(self, source: str | None) -> bool:
        """Count a refusal; True when this one starts a wait (the caller audits that once)."""
        key, now = source or "?", self._clock()
        entry = self._sources.pop(key, None)
        if entry is None or now - entry.last > self.forget_s:
            entry = _Source(0, now, now)
        entry.failures += 1
        entry.last = now
        extra = entry.failures - self.free
        entry.next_try = now + (min(2 ** extra, self.max_wait_s) if extra > 0 else 0)
        self._sources[key] = entry  # newest last: the oldest is dropped first when full
        while len(self._sources) > self.max_sources:
            self._sources.popitem(last=False)
        return extra == 1

    def succeeded(self, source: str | None) -> None:
        self._sources.pop(source or "?", None)
