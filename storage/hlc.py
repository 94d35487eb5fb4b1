"""Hybrid logical clock.

A timestamp packs 48 bits of wall-clock milliseconds and a 16-bit counter into
one 64-bit integer, written as 16 lowercase hex digits so that string order is
time order. A *stamp* adds the writer's device id after an ``@``: because the
clock part has a fixed width, comparing stamps as strings compares
``(hlc, device_id)``, which is the total order every replica uses to pick a
last writer.
"""
from __future__ import annotations

import time
from typing import Callable

from rules.limits import DEFAULT_MAX_CLOCK_SKEW_MS

COUNTER_BITS = 16
MAX_HLC = (1 << 64) - 1
DEFAULT_MAX_DRIFT_MS = DEFAULT_MAX_CLOCK_SKEW_MS


class ClockTooFarAhead(ValueError):
    """A remote timestamp is further ahead of our wall clock than the allowed drift."""


def encode(value: int) -> str:
    return f"{value:016x}"


def decode(text: str) -> int:
    if len(text) != 16:
        raise ValueError("an HLC timestamp has 16 hex digits")
    return int(text, 16)


def stamp(hlc: str, device_id: str) -> str:
    return f"{hlc}@{device_id}"


def wall_ms(hlc: str) -> int:
    return decode(hlc) >> COUNTER_BITS


class HybridClock:
    """Monotonic across restarts when seeded with the last persisted value."""

    def __init__(
        self,
        last: int = 0,
        *,
        now_ms: Callable[[], int] | None = None,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    ) -> None:
        self.last = last
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.max_drift_ms = max_drift_ms

    def now_ms(self) -> int:
        """This laptop's wall clock, in Unix milliseconds (the one the stamps are made from)."""
        return self._now_ms()

    def ahead_ms(self) -> int:
        """How far the last stamp issued or received is ahead of the wall clock (0 if not)."""
        return max(0, (self.last >> COUNTER_BITS) - self._now_ms())

    def observe(self, value: int) -> None:
        """Never go below a value this clock already issued (e.g. from another process)."""
        if value > self.last:
            self.last = value

    def tick(self) -> str:
        """A timestamp for a local event, greater than every one issued or received."""
        physical = self._now_ms() << COUNTER_BITS
        self.last = max(self.last + 1, physical)
        return encode(self.last)

    def ticks(self, n: int) -> list[str]:
        """``n`` timestamps for local events in one batch: what ``n`` calls of ``tick``
        would give within one millisecond (the first from the wall clock, then counting up)."""
        first = max(self.last + 1, self._now_ms() << COUNTER_BITS)
        self.last = first + n - 1
        return [f"{v:016x}" for v in range(first, first + n)]

    def receive(self, remote: str) -> str:
        """The receive rule: move past a remote timestamp, unless it is implausibly far ahead."""
        value = decode(remote)
        now = self._now_ms()
        if (value >> COUNTER_BITS) - now > self.max_drift_ms:
            raise ClockTooFarAhead(
                f"a timestamp is {((value >> COUNTER_BITS) - now) // 60000} minutes ahead of this clock"
            )
        self.last = max(self.last + 1, value + 1, now << COUNTER_BITS)
        return encode(self.last)
