"""How much one sync request carries: what the link has shown it can take."""
from __future__ import annotations

from . import protocol


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
