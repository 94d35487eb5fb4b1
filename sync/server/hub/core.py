"""What every part of the hub shares: settings, the database, the keys, the clock, the event log."""
from __future__ import annotations

import contextlib
import gc
import time

from ...bundle import PublicKeys
from ..db import Database
from ..settings import Settings
from .keys import Sealer, ServerKeys


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def hlc_now() -> int:
    return now_ms() << 16


class HubCore:
    """The state the hub's parts share. Each part takes it, never another part's private names."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, settings.data_dir)
        self.keys = ServerKeys.load_or_create(settings.data_dir)
        self.sealer = Sealer(self.keys.data_key)
        self.db.migrate()
        self.hlc = 0

    @property
    def server_id(self) -> str:
        return self.keys.server_id

    def public_keys(self) -> PublicKeys:
        return self.keys.identity.public()

    def event(self, event: str, device_id: str | None = None, detail: str | None = None, source: str | None = None) -> None:
        self.db.execute("INSERT INTO events (at, device_id, event, detail, source) VALUES (?, ?, ?, ?, ?)",
                        (now_ms(), device_id, event, detail, source))

    def tick(self, seen_hlc: str | None = None) -> str:
        """The server's clock: never behind a stamp it accepted, never behind the wall clock."""
        seen = int(seen_hlc, 16) if seen_hlc else 0
        self.hlc = max(self.hlc + 1, hlc_now(), seen)
        return f"{self.hlc:016x}"

    def device(self, device_id: str) -> tuple | None:
        """``(team, sign_key, box_key, revoked_at, wipe, cursor)``, or None for a device never enrolled."""
        rows = self.db.execute("SELECT team, sign_key, box_key, revoked_at, wipe, cursor FROM devices WHERE device_id = ?", (device_id,))
        return rows[0] if rows else None


class Part:
    """One concern of the hub, over the shared core."""

    def __init__(self, core: HubCore) -> None:
        self.core = core
        self.db = core.db
        self.settings = core.settings
        self.keys = core.keys
        self._sealer = core.sealer

    @property
    def server_id(self) -> str:
        return self.core.server_id

    def _event(self, event: str, device_id: str | None = None, detail: str | None = None, source: str | None = None) -> None:
        self.core.event(event, device_id, detail, source)


@contextlib.contextmanager
def gc_paused():
    """A big USB bundle holds 100,000 live records in memory at once; the cycle
    collector would rescan them again and again (a third of the import's time) though
    applying a push makes no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def span(hours: float) -> str:
    """A clock difference in words: hours up to two days, then days."""
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
