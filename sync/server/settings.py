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
