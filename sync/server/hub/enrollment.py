"""Enrollment and devices: one-time codes, the keys exchanged with them, the throttle on
refused attempts, revocation."""
from __future__ import annotations

import base64
import logging

from ... import protocol
from ...bundle import PublicKeys
from ...errors import EnrollmentRefused, EnrollmentThrottled, UnknownDevice
from . import core
from .core import Part, iso

log = logging.getLogger("fieldbook.server")


class Enrollment(Part):
    # -- enrollment --------------------------------------------------------------------
    def new_enroll_code(self, team: str, *, ttl_s: int | None = None) -> str:
        if not protocol.valid_team(team):
            raise EnrollmentRefused("A team name is 1-64 letters, digits, '_', '.' or '-'.")
        code = protocol.new_enroll_code()
        now = core.now_ms()
        ttl = self.settings.code_ttl_s if ttl_s is None else ttl_s
        cid, mac_key = protocol.code_keys(code)
        with self.db.transaction():
            self.db.execute("INSERT INTO enroll_codes (code_id, mac_key, team, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                            (cid, self._sealer.seal(f"enroll|{cid}", mac_key), team, now, now + ttl * 1000))
            self._event("enroll_code_created", None, team)
        return code

    def enroll(self, request: dict, *, source: str | None = None) -> dict:
        """A laptop presents a one-time code's id, its keys and a MAC keyed by the code.

        ``source`` is the client's address (HTTP); refusals are counted per source and
        slow it down, then lock it out for a while (``_enroll_wait``). A refusal is
        committed in its own transaction, with nothing else in it."""
        if not isinstance(request, dict) or request.get("v") != protocol.PROTOCOL_VERSION:
            raise EnrollmentRefused("The enrollment request is malformed or from an incompatible Fieldbook.")
        device_id, cid, mac = request.get("device_id"), request.get("code_id"), request.get("mac")
        if not isinstance(device_id, str) or not protocol._ID.fullmatch(device_id) or not isinstance(cid, str):
            raise EnrollmentRefused("The enrollment request is malformed.")
        keys = protocol.check_keys(request.get("keys"), "enrollment request")
        now = core.now_ms()
        if source is not None:
            self._enroll_wait(source, now)  # a read: a locked-out flood never takes the write lock
        with self.db.transaction():
            if source is not None:
                self._enroll_wait(source, now)  # again under the write lock: other server processes count too
            refusal, team, mac_key = self._check_code(cid, device_id, keys, mac, now)
            if refusal is None:
                self.db.execute("UPDATE enroll_codes SET used_at = ?, used_by = ? WHERE code_id = ?", (now, device_id, cid))
                self.db.execute(
                    "INSERT INTO devices (device_id, team, sign_key, box_key, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                    (device_id, team, keys["sign"], keys["box"], now),
                )
                self._event("enrolled", device_id, team, source)
                if source is not None:
                    self.db.execute("DELETE FROM enroll_sources WHERE source = ?", (source,))
            else:
                reason, _ = refusal
                self._event("enroll_refused", device_id, reason, source)
                if source is not None:
                    self._count_refusal(source, now)
        if refusal is not None:
            log.warning("enrollment refused (%s) for device %s from %s", refusal[0], device_id, source or "the command line")
            raise EnrollmentRefused(refusal[1])
        server_keys = self.core.public_keys().to_json()
        log.info("device %s enrolled in team %s", device_id, team)
        return {
            "v": protocol.PROTOCOL_VERSION, "server_id": self.server_id, "keys": server_keys, "team": team,
            "mac": protocol.enroll_reply_mac(mac_key, device_id, self.server_id, server_keys, team),
        }

    def _check_code(self, cid: str, device_id: str, keys: dict, mac: object,
                    now: int) -> tuple[tuple[str, str] | None, str | None, bytes | None]:
        """``(refusal, team, mac_key)``; a refusal is ``(reason for the log, sentence for the laptop)``."""
        rows = self.db.execute("SELECT team, expires_at, used_at, mac_key FROM enroll_codes WHERE code_id = ?", (cid,))
        if not rows:
            return ("unknown code", "That enrollment code is not known to this server. Check it, or ask the hub for a "
                    "new one."), None, None
        team, expires_at, used_at, sealed_key = rows[0]
        if used_at is not None:
            return ("code reused", "That enrollment code was already used. Each code works once: ask the hub for a "
                    "new one."), None, None
        if now > expires_at:
            return ("code expired", "That enrollment code has expired. Ask the hub for a new one."), None, None
        if self.db.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)):
            return ("device already enrolled", f"Device {device_id} is already enrolled (or was revoked) on this "
                    "server."), None, None
        mac_key = self._sealer.open(f"enroll|{cid}", sealed_key)
        if not protocol.macs_equal(mac, protocol.enroll_request_mac(mac_key, device_id, keys)):
            return ("bad mac", "The enrollment request did not verify against its code; nothing was changed. "
                    "Enroll again."), None, None
        return None, team, mac_key

    def _enroll_wait(self, source: str, now: int) -> None:
        """Raise EnrollmentThrottled while ``source`` must wait or is locked out."""
        rows = self.db.execute("SELECT next_try, locked_until FROM enroll_sources WHERE source = ?", (source,))
        if not rows:
            return
        next_try, locked_until = rows[0]
        if locked_until is not None and now < locked_until:
            raise EnrollmentThrottled(-(-(locked_until - now) // 1000), locked=True)
        if now < next_try:
            raise EnrollmentThrottled(-(-(next_try - now) // 1000), locked=False)

    def _count_refusal(self, source: str, now: int) -> None:
        """Count a refused enrollment from ``source`` (inside the refusal's transaction)."""
        st = self.settings
        rows = self.db.execute("SELECT failures, first_failure, last_failure, locked_until FROM enroll_sources WHERE source = ?",
                               (source,))
        failures, first = 1, now
        if rows:
            old_failures, old_first, last, locked_until = rows[0]
            lock_over = locked_until is not None and now >= locked_until
            if not lock_over and now - last <= st.enroll_forget_s * 1000:
                failures, first = old_failures + 1, old_first
        locked = now + st.enroll_lockout_s * 1000 if failures >= st.enroll_lockout_failures else None
        extra = failures - st.enroll_free_failures
        wait_s = min(2 ** extra, st.enroll_max_wait_s) if extra > 0 else 0
        self.db.execute(
            "INSERT INTO enroll_sources (source, failures, first_failure, last_failure, next_try, locked_until) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET failures = excluded.failures, "
            "first_failure = excluded.first_failure, last_failure = excluded.last_failure, next_try = excluded.next_try, "
            "locked_until = excluded.locked_until",
            (source, failures, first, now, now + wait_s * 1000, locked))
        if locked is not None:
            self._event("enroll_locked_out", None, f"{failures} refusals; {st.enroll_lockout_s // 60} min", source)
            log.warning("enrollment from %s locked out for %d min after %d refusals", source, st.enroll_lockout_s // 60, failures)

    def enroll_log(self, *, limit: int = 200) -> list[dict]:
        """The newest enrollment events (codes made, laptops enrolled, refusals, lockouts), oldest first."""
        rows = self.db.execute(
            "SELECT at, event, source, device_id, detail FROM events WHERE event IN "
            "('enroll_code_created', 'enrolled', 'enroll_refused', 'enroll_locked_out', 'enroll_unlocked') "
            "ORDER BY id DESC LIMIT ?", (limit,))
        return [{"at": iso(at), "event": event, "source": source, "device_id": dev, "detail": detail}
                for at, event, source, dev, detail in reversed(rows)]

    def enroll_sources(self) -> list[dict]:
        """Addresses with refused enrollments on record, and whether they must wait now."""
        now = core.now_ms()
        out = []
        for source, failures, first, last, next_try, locked_until in self.db.execute(
                "SELECT source, failures, first_failure, last_failure, next_try, locked_until FROM enroll_sources "
                "ORDER BY last_failure DESC"):
            locked = locked_until is not None and now < locked_until
            out.append({"source": source, "refusals": failures, "first_refusal": iso(first), "last_refusal": iso(last),
                        "locked_out": locked, "locked_until": iso(locked_until) if locked else None,
                        "wait_s": max(0, -(-((locked_until if locked else next_try) - now) // 1000))})
        return out

    def enroll_unlock(self, source: str) -> bool:
        """Forget the refusals counted for ``source`` (a laptop behind the same address as a
        mistyping colleague). Returns False when none were on record."""
        with self.db.transaction():
            if not self.db.execute("SELECT 1 FROM enroll_sources WHERE source = ?", (source,)):
                return False
            self.db.execute("DELETE FROM enroll_sources WHERE source = ?", (source,))
            self._event("enroll_unlocked", None, None, source)
        return True

    # -- devices -----------------------------------------------------------------------
    def devices(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT device_id, team, enrolled_at, last_seen, last_seq, cursor, revoked_at, wipe, sign_key, box_key "
            "FROM devices ORDER BY enrolled_at"
        )
        out = []
        for dev, team, enrolled, seen, last_seq, cursor, revoked, wipe, sign, box in rows:
            out.append({
                "device_id": dev, "team": team, "enrolled_at": iso(enrolled), "last_seen": iso(seen),
                "last_seq": last_seq, "cursor": cursor, "revoked": revoked is not None,
                "revoked_at": iso(revoked), "wipe": bool(wipe),
                "fingerprint": PublicKeys.from_json({"sign": sign, "box": box}).fingerprint(),
            })
        return out

    def revoke(self, device_id: str, *, wipe: bool = False) -> None:
        with self.db.transaction():
            if not self.db.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)):
                raise UnknownDevice(f"There is no device {device_id} on this server; 'server devices' lists them.")
            self.db.execute("UPDATE devices SET revoked_at = coalesce(revoked_at, ?), wipe = ? WHERE device_id = ?",
                            (core.now_ms(), int(wipe), device_id))
            self._event("revoked", device_id, "wipe" if wipe else None)
        log.warning("device %s revoked%s", device_id, " with wipe" if wipe else "")

    def revocation_notice(self, device_id: str) -> dict | None:
        """For a revoked device: a statement signed by the server, which its laptop can trust."""
        dev = self.core.device(device_id)
        if dev is None or dev[3] is None:
            return None
        wipe = bool(dev[4])
        signature = self.keys.identity._sign.sign(protocol.revocation_statement(device_id, self.server_id, wipe))
        return {"error": "revoked", "device_id": device_id, "server_id": self.server_id, "wipe": wipe,
                "signature": base64.urlsafe_b64encode(signature).decode().rstrip("="),
                "message": "This laptop has been revoked by the hub" + (" and told to erase its data." if wipe else ".")}
