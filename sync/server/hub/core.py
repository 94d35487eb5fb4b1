"""What every part of the hub shares: settings, the database, the keys, the clock, the event log."""
from __future__ import annotations

import contextlib
import gc
import time

from ...bundle import PublicKeys
from ...errors import SyncError
from ..db import Database
from ..settings import Settings
from .keys import KEYS_FILE, Sealer, ServerKeys


class ServerKeysMismatch(SyncError):
    """The data folder's key file is not the one the database's sealed values need."""

    def __init__(self, needed: str | None, held: str, data_dir) -> None:
        whose = needed or "another server"
        super().__init__(
            f"This database belongs to {whose}, but {data_dir}/{KEYS_FILE} holds the keys of {held}. Every "
            f"server process on one database needs the same {KEYS_FILE}: copy it from the first server's data folder "
            f"(nothing was changed).")
        self.needed, self.held = needed, held


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
        self._check_keys_match()
        self.hlc = 0

    def _check_keys_match(self) -> None:
        """Stop a process whose key file is not the one this database's values were sealed with.

        Several processes share one database and must share one ``server-keys.json``; with
        another, enrollment codes and changes made through the first would be unreadable
        here (an error on each request). The first process records which keys the database
        needs; a database from before that record is checked against a value sealed in it."""
        db, keys = self.db, self.keys
        if not db.execute("SELECT 1 FROM server_identity"):
            self._check_a_sealed_value()
            db.execute("INSERT INTO server_identity (one, server_id, key_check, claimed_at) VALUES (1, ?, ?, ?) "
                       "ON CONFLICT (one) DO NOTHING", (keys.server_id, keys.check_value(), now_ms()))
        server_id, check = db.execute("SELECT server_id, key_check FROM server_identity")[0]
        if check != keys.check_value():
            raise ServerKeysMismatch(server_id, keys.server_id, self.settings.data_dir)

    def _check_a_sealed_value(self) -> None:
        rows = self.db.execute("SELECT device_id, seq, body FROM changes ORDER BY server_seq LIMIT 1")
        place = [(f"change|{dev}|{seq}", body) for dev, seq, body in rows]
        rows = self.db.execute("SELECT code_id, mac_key FROM enroll_codes LIMIT 1")
        place += [(f"enroll|{cid}", key) for cid, key in rows]
        for where, blob in place:
            try:
                self.sealer.open(where, blob)
            except SyncError:
                raise ServerKeysMismatch(None, self.keys.server_id, self.settings.data_dir) from None

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
