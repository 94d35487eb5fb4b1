"""The server's settings, in one place."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..bundle import MAX_BUNDLE_BYTES
from ..protocol import DEFAULT_PULL_LIMIT

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str | None = None             # None: SQLite in data_dir/server.db
    max_clock_ahead_ms: int = DAY_MS      # stamps further ahead of the server's clock are refused
    code_ttl_s: int = 24 * 60 * 60        # one-time enrollment codes expire after this
    pull_limit: int = DEFAULT_PULL_LIMIT  # most changes in one reply
    max_bundle_bytes: int = MAX_BUNDLE_BYTES
    max_request_bytes: int = 64 * 1024    # any other endpoint's body (enrollment has its own, smaller cap)
    # Refused enrollments, counted per client address (docs/sync.md, "Enrollment"):
    enroll_free_failures: int = 3         # refusals before any wait: a mistyped code, a retry
    enroll_max_wait_s: int = 60           # then a wait of 2, 4, 8 ... seconds before the next check, at most this
    enroll_lockout_failures: int = 10     # this many refusals lock the address out ...
    enroll_lockout_s: int = 15 * 60       # ... for this long; then it starts afresh
    enroll_forget_s: int = 60 * 60        # refusals older than this (with none since) are forgotten
