"""The sync-state room: what the sync client keeps in the store besides records and changes.

The enrollment, this device's sealed keys, the pull cursor and the last sync time, the
origin devices applied here, bundles seen and bundles to forward, the forms the hub
published, and the clock's story (checks against the server, and the recovery from a
clock that was once far ahead). Plaintext here is ids, stamps, times and counters; keys
and forms are sealed.
"""
from __future__ import annotations

import base64
import logging

import orjson

from . import crypto, hlc
from .audit import AuditLog
from .core import Core, translate_errors
from .errors import DamagedRecord

log = logging.getLogger("fieldbook.storage")

_dumps = orjson.dumps
_loads = orjson.loads


class SyncState:
    def __init__(self, core: Core, audit: AuditLog) -> None:
        self._core, self._audit = core, audit

    def _meta_json(self, key: str) -> object:
        row = self._core.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return _loads(row[0]) if row else None

    # -- settings kept in the store ----------------------------------------------
    def sync_settings(self) -> dict | None:
        """The enrollment (server URL, ids, pinned keys, team), or None before enrolling. Plaintext: no personal data."""
        settings = self._meta_json("sync")
        return settings if isinstance(settings, dict) else None

    def save_sync_settings(self, settings: dict | None) -> None:
        core = self._core
        core.need_key()
        with core.atomic():
            if settings is None:
                with translate_errors():
                    core.conn.execute("DELETE FROM meta WHERE key = 'sync'")
            else:
                core.set_meta("sync", _dumps(settings).decode())
            self._audit.add("sync_settings")

    def device_secret(self) -> bytes | None:
        """This device's private sync keys, sealed under the data key (a wipe destroys them too)."""
        sealer = self._core.need_key()
        row = self._core.query_one("SELECT value FROM meta WHERE key = 'device_secret'")
        if row is None:
            return None
        try:
            return sealer.open("device_secret", self._core.device_id, bytes.fromhex(row[0]))
        except (crypto.AuthenticationFailed, ValueError):
            raise DamagedRecord("device keys", "sealed") from None

    def set_device_secret(self, raw: bytes) -> None:
        core = self._core
        sealer = core.need_key()
        blob = sealer.seal("device_secret", core.device_id, raw).hex()
        with core.atomic():
            core.set_meta("device_secret", blob)
            self._audit.add("device_keys_created")

    def last_sync_time(self) -> float | None:
        """When this laptop last completed a sync with its server (epoch seconds), or None.
        Kept with the rest of the sync state, so the status survives a restart offline."""
        row = self._core.query_one("SELECT value FROM meta WHERE key = 'last_sync'")
        try:
            return float(row[0]) if row else None
        except ValueError:
            return None

    def record_sync_time(self, when: float) -> None:
        """A sync with the server completed at ``when`` (epoch seconds). Plaintext, like the
        cursor: a time, no personal data."""
        self._core.need_key()
        with self._core.atomic():
            self._core.set_meta("last_sync", f"{float(when):.3f}")

    def pull_cursor(self) -> int:
        return self._core.meta_int("pull_cursor", 0)

    def peer_seqs(self) -> dict[str, int]:
        with translate_errors():
            return dict(self._core.conn.execute("SELECT device_id, seq FROM peers"))

    # -- bundles ---------------------------------------------------------------------
    def bundle_seen(self, bundle_id: str) -> str | None:
        """When a bundle with this id was imported here (HLC), or None."""
        row = self._core.query_one("SELECT at FROM seen_bundles WHERE bundle_id = ?", (bundle_id,))
        return row[0] if row else None

    def queue_forward(self, bundle_id: str, sender: str, data: bytes) -> bool:
        """Keep a bundle sealed to the server (unreadable here) to upload at the next sync."""
        core = self._core
        core.need_key()
        with core.atomic(), translate_errors():
            cur = core.conn.execute("INSERT OR IGNORE INTO forward_bundles VALUES (?, ?, ?)", (bundle_id, sender, data))
            if cur.rowcount:
                self._audit.add("bundle_queued_for_forwarding")
            return bool(cur.rowcount)

    def forward_queue(self) -> list[tuple[str, str, bytes]]:
        with translate_errors():
            return list(self._core.conn.execute("SELECT bundle_id, sender, data FROM forward_bundles ORDER BY rowid"))

    def forwarded(self, bundle_id: str) -> None:
        with self._core.atomic(), translate_errors():
            self._core.conn.execute("DELETE FROM forward_bundles WHERE bundle_id = ?", (bundle_id,))

    # -- forms published by the hub --------------------------------------------------------
    def published_forms(self) -> dict[str, str]:
        """The published forms held here: form id -> digest of its files."""
        with translate_errors():
            return dict(self._core.conn.execute("SELECT form_id, sha256 FROM published_forms"))

    def published_form_files(self) -> list[dict]:
        """Every published form held here, decrypted: ``{form_id, version, title, xlsx, media}``."""
        sealer = self._core.need_key()
        out = []
        with translate_errors():
            rows = list(self._core.conn.execute("SELECT form_id, version, sha256, body FROM published_forms ORDER BY form_id"))
        for form_id, version, digest, body in rows:
            try:
                files = _loads(sealer.open("published_form", f"{form_id}|{digest}", body))
            except crypto.AuthenticationFailed:
                raise DamagedRecord("published form", "sealed") from None
            out.append({"form_id": form_id, "version": version, "title": files["title"],
                        "xlsx": base64.b64decode(files["xlsx"]),
                        "media": {k: base64.b64decode(v) for k, v in files["media"].items()}})
        return out

    def receive_forms(self, seq: int, listed: dict[str, str], files: list[dict]) -> bool:
        """Take the hub's form catalogue number ``seq``: ``listed`` (form id -> digest) is
        every form the team should hold, ``files`` the ``{form_id, version, digest, title,
        xlsx, media}`` of those that came with it. Forms no longer listed are dropped;
        a catalogue older than the one held is ignored. Returns whether anything changed."""
        core = self._core
        sealer = core.need_key()
        with core.atomic(), translate_errors():
            if seq < core.meta_int("forms_catalogue_seq", 0):
                return False  # an older return bundle imported after a newer one
            conn = core.conn
            held = dict(conn.execute("SELECT form_id, sha256 FROM published_forms"))
            dropped = set(held) - set(listed)
            conn.executemany("DELETE FROM published_forms WHERE form_id = ?", [(f,) for f in dropped])
            taken = [f for f in files if listed.get(f["form_id"]) == f["digest"] and held.get(f["form_id"]) != f["digest"]]
            for f in taken:
                body = _dumps({"title": f["title"], "xlsx": base64.b64encode(f["xlsx"]).decode(),
                               "media": {k: base64.b64encode(v).decode() for k, v in f["media"].items()}})
                conn.execute("INSERT OR REPLACE INTO published_forms VALUES (?, ?, ?, ?)",
                             (f["form_id"], f["version"], f["digest"],
                              sealer.seal("published_form", f"{f['form_id']}|{f['digest']}", body)))
            core.set_meta("forms_catalogue_seq", str(int(seq)))
            changed = bool(dropped or taken)
            if changed:
                self._audit.add("forms_received", detail={"forms": sorted(listed)})
            return changed

    # -- a clock that was once far ahead -------------------------------------------------
    def clock_status(self) -> dict:
        """What is known of this laptop's clock: how far its stored clock is ahead of its
        own date now, the last check against the server, and the last re-stamping."""
        core = self._core
        row = core.query_one("SELECT value FROM meta WHERE key = 'hlc'")
        stored = hlc.decode(row[0]) if row else 0
        return {"stored_ahead_ms": max(0, (max(stored, core.clock.last) >> hlc.COUNTER_BITS) - core.clock.now_ms()),
                "check": self._meta_json("clock_check"), "restamp": self._meta_json("clock_restamp")}

    def note_clock_check(self, state: str, skew_ms: int) -> None:
        """Remember the last comparison with the server's clock (``state``: ok, ahead or
        behind; ``skew_ms``: this laptop's wall clock minus the server's). Written only
        when the state changes, so a normal sync costs no extra write."""
        last = self._meta_json("clock_check")
        if isinstance(last, dict) and last.get("state") == state == "ok":
            return
        core = self._core
        with core.atomic():
            core.set_meta("clock_check", _dumps({"state": state, "skew_ms": int(skew_ms),
                                                 "at_ms": core.clock.now_ms()}).decode())

    def restamp_ahead(self, *, bound_ms: int, floor: str | None = None) -> dict | None:
        """Recover from a clock that was once far ahead, now that the wall clock is right.

        Unsent changes stamped more than ``bound_ms`` ahead of the wall clock (the
        server refused them and would go on refusing them until that date) get new
        stamps from now, and so do the unsent changes after them, so that this
        device's stamps still grow with its sequence. Values, sequence numbers and
        the audit chain stay; the records' clocks, the changes' bases and the
        conflicts' winners follow the new stamps, so this replica agrees with what
        the others will hold. The clock itself comes back to
        ``max(wall clock, floor, every stamp kept here within the bound)``:
        ``floor`` is the server's clock from the reply that showed this one is right.

        Returns ``{changes, ahead_ms, at_ms}``, or None when nothing was ahead."""
        core = self._core
        core.need_key()
        with core.atomic():
            now = core.clock.now_ms()
            limit = ((now + bound_ms) << hlc.COUNTER_BITS) | ((1 << hlc.COUNTER_BITS) - 1)
            if core.clock.last <= limit:
                return None
            ahead_ms = (core.clock.last >> hlc.COUNTER_BITS) - now
            rows, start = self._restamp_plan(now, limit, floor)
            core.clock.last = start
            fresh = core.clock.ticks(len(rows)) if rows else []
            me = core.device_id
            moved = {f"{old}@{me}": f"{new}@{me}" for (_seq, _rid, old, _b), new in zip(rows, fresh)}
            with translate_errors():
                self._restamp(rows, fresh, moved, hlc.encode(limit))
                note = {"changes": len(rows), "ahead_ms": int(ahead_ms), "at_ms": now}
                core.set_meta("clock_restamp", _dumps(note).decode())
            self._audit.add("clock_restamped", detail={"changes": len(rows), "ahead_hours": round(ahead_ms / 3_600_000, 1)})
        log.warning("clock was %.1f h ahead; %d unsent change(s) re-stamped", ahead_ms / 3_600_000, len(rows))
        return note

    def _restamp_plan(self, now: int, limit: int, floor: str | None) -> tuple[list[tuple], int]:
        """The unsent changes to re-stamp (from the first one beyond the bound), and the
        clock value to re-stamp them from."""
        conn, me, cutoff = self._core.conn, self._core.device_id, hlc.encode(limit)
        with translate_errors():
            first = conn.execute("SELECT min(seq) FROM changes WHERE device_id = ? AND acked = 0 AND hlc > ?",
                                 (me, cutoff)).fetchone()[0]
            rows = [] if first is None else conn.execute(
                "SELECT seq, record_id, hlc, bases FROM changes WHERE device_id = ? AND acked = 0 AND seq >= ? "
                "ORDER BY seq", (me, first)).fetchall()
            kept = conn.execute("SELECT max(substr(updated, 1, 16)) FROM records WHERE substr(updated, 1, 16) <= ?",
                                (cutoff,)).fetchone()[0]
            sent = conn.execute("SELECT max(hlc) FROM changes WHERE device_id = ? AND hlc <= ? AND (acked = 1 OR seq < ?)",
                                (me, cutoff, first if first is not None else 1 << 62)).fetchone()[0]
        candidates = [hlc.decode(v) for v in (floor, kept, sent) if v and hlc.decode(v) <= limit]
        return rows, max([now << hlc.COUNTER_BITS] + candidates)

    def _restamp(self, rows: list[tuple], fresh: list[str], moved: dict[str, str], cutoff: str) -> None:
        """Give the changes their new stamps, and make the records' clocks, the changes'
        bases and the conflicts' winners follow (inside a transaction)."""
        conn, me = self._core.conn, self._core.device_id

        def remap(stamp: str) -> str:
            return moved.get(stamp, stamp)

        for (seq, _rid, _old, bases), new in zip(rows, fresh):
            new_bases = {k: remap(v) for k, v in _loads(bases).items()} if bases else None
            conn.execute("UPDATE changes SET hlc = ?, bases = ? WHERE device_id = ? AND seq = ?",
                         (new, _dumps(new_bases).decode() if new_bases else None, me, seq))
        for rid in {r[1] for r in rows}:
            clocks, updated = conn.execute("SELECT clocks, updated FROM records WHERE id = ?", (rid,)).fetchone()
            if clocks is not None and clocks.startswith("{"):
                clocks = _dumps({k: remap(v) for k, v in _loads(clocks).items()}).decode()
            elif clocks is not None:
                clocks = remap(clocks)
            conn.execute("UPDATE records SET clocks = ?, updated = ? WHERE id = ?", (clocks, remap(updated), rid))
        for cid, winner in conn.execute("SELECT id, winner FROM conflicts WHERE winner > ?", (cutoff,)).fetchall():
            if winner in moved:
                conn.execute("UPDATE conflicts SET winner = ? WHERE id = ?", (moved[winner], cid))
