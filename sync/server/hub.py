"""The hub's service: enrollment, devices, applying pushes, serving pulls, USB bundles.

Everything the HTTP routes and the ``server`` commands do goes through here.
Field values are sealed at rest with the server's data key (``server-keys.json``
in the data directory, owner-only): a copied database or backup shows ids,
kinds, clocks and counts, never what a person typed.
"""
from __future__ import annotations

import base64
import contextlib
import gc
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rules import domain, limits

from .. import protocol
from ..bundle import Identity, PublicKeys, open_bundle, peek_header, seal
from ..errors import (
    BundleError,
    BundleReplayed,
    DeviceRevoked,
    EnrollmentRefused,
    EnrollmentThrottled,
    FormNotPublished,
    SyncError,
    UnknownDevice,
    UnknownSender,
)
from ..files import write_atomically
from ..merge import merge_change
from . import domain_keys
from .db import Database
from .settings import Settings

log = logging.getLogger("fieldbook.server")

KEYS_FILE = "server-keys.json"
MAX_REFUSALS = 10_000  # refusals repeated in one reply (a device with more learns them as older ones age out)
_dumps = orjson.dumps
_loads = orjson.loads


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _hlc_now() -> int:
    return _now_ms() << 16


# --- the server's keys ------------------------------------------------------------------
@dataclass
class ServerKeys:
    server_id: str
    identity: Identity
    data_key: bytes

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "ServerKeys":
        path = data_dir / KEYS_FILE
        if path.exists():
            try:
                d = json.loads(path.read_text())
                return cls(d["server_id"], Identity.from_private_bytes(bytes.fromhex(d["identity"])), bytes.fromhex(d["data_key"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise SyncError(f"The server's key file {path} is damaged ({type(exc).__name__}); restore it from a backup.") from None
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys = cls(f"server-{secrets.token_hex(8)}", Identity.generate(), AESGCM.generate_key(bit_length=256))
        text = json.dumps({"format": "fieldbook-server-keys", "version": 1, "server_id": keys.server_id,
                           "identity": keys.identity.private_bytes().hex(), "data_key": keys.data_key.hex()})
        write_atomically(path, text.encode())
        log.info("server keys created (%s)", keys.server_id)
        return keys


class _Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, place: str, plain: bytes) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, plain, place.encode())

    def open(self, place: str, blob: bytes) -> bytes:
        blob = bytes(blob)
        if not blob or blob[0] != 1:
            raise SyncError(f"A sealed value in the server database is damaged ({place.split('|')[0]}).")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], place.encode())
        except InvalidTag:
            raise SyncError(f"A sealed value in the server database is damaged ({place.split('|')[0]}).") from None


class _State:
    """A record as the merge rule sees it."""

    __slots__ = ("kind", "fields", "clocks", "deleted")

    def __init__(self, kind: str, fields: dict, clocks: dict, deleted: bool) -> None:
        self.kind, self.fields, self.clocks, self.deleted = kind, fields, clocks, deleted


_PULL_PAGE = 200  # changes read from the database at a time when pulling


@dataclass
class PushResult:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    conflicts: int = 0
    refused: list = field(default_factory=list)  # [{seq, reason}]: taken, logged, not applied
    acked: int = 0
    warning: str | None = None
    waiting: bool = False   # a part of a USB export that follows one not yet received: kept, applied later
    unparked: int = 0       # kept parts this bundle let through (their changes are counted above)


class Hub:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.db_url, settings.data_dir)
        self.keys = ServerKeys.load_or_create(settings.data_dir)
        self._sealer = _Sealer(self.keys.data_key)
        self.db.migrate()
        self._hlc = 0

    @property
    def server_id(self) -> str:
        return self.keys.server_id

    def public_keys(self) -> PublicKeys:
        return self.keys.identity.public()

    def close(self) -> None:
        self.db.close()

    def _event(self, event: str, device_id: str | None = None, detail: str | None = None, source: str | None = None) -> None:
        self.db.execute("INSERT INTO events (at, device_id, event, detail, source) VALUES (?, ?, ?, ?, ?)",
                        (_now_ms(), device_id, event, detail, source))

    def _tick(self, seen_hlc: str | None = None) -> str:
        """The server's clock: never behind a stamp it accepted, never behind the wall clock."""
        seen = int(seen_hlc, 16) if seen_hlc else 0
        self._hlc = max(self._hlc + 1, _hlc_now(), seen)
        return f"{self._hlc:016x}"

    # -- enrollment --------------------------------------------------------------------
    def new_enroll_code(self, team: str, *, ttl_s: int | None = None) -> str:
        if not protocol.valid_team(team):
            raise EnrollmentRefused("A team name is 1-64 letters, digits, '_', '.' or '-'.")
        code = protocol.new_enroll_code()
        now = _now_ms()
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
        now = _now_ms()
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
        server_keys = self.public_keys().to_json()
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
        return [{"at": _iso(at), "event": event, "source": source, "device_id": dev, "detail": detail}
                for at, event, source, dev, detail in reversed(rows)]

    def enroll_sources(self) -> list[dict]:
        """Addresses with refused enrollments on record, and whether they must wait now."""
        now = _now_ms()
        out = []
        for source, failures, first, last, next_try, locked_until in self.db.execute(
                "SELECT source, failures, first_failure, last_failure, next_try, locked_until FROM enroll_sources "
                "ORDER BY last_failure DESC"):
            locked = locked_until is not None and now < locked_until
            out.append({"source": source, "refusals": failures, "first_refusal": _iso(first), "last_refusal": _iso(last),
                        "locked_out": locked, "locked_until": _iso(locked_until) if locked else None,
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
                "device_id": dev, "team": team, "enrolled_at": _iso(enrolled), "last_seen": _iso(seen),
                "last_seq": last_seq, "cursor": cursor, "revoked": revoked is not None,
                "revoked_at": _iso(revoked), "wipe": bool(wipe),
                "fingerprint": PublicKeys.from_json({"sign": sign, "box": box}).fingerprint(),
            })
        return out

    def revoke(self, device_id: str, *, wipe: bool = False) -> None:
        with self.db.transaction():
            if not self.db.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)):
                raise UnknownDevice(f"There is no device {device_id} on this server; 'server devices' lists them.")
            self.db.execute("UPDATE devices SET revoked_at = coalesce(revoked_at, ?), wipe = ? WHERE device_id = ?",
                            (_now_ms(), int(wipe), device_id))
            self._event("revoked", device_id, "wipe" if wipe else None)
        log.warning("device %s revoked%s", device_id, " with wipe" if wipe else "")

    def _device(self, device_id: str) -> tuple | None:
        rows = self.db.execute("SELECT team, sign_key, box_key, revoked_at, wipe, cursor FROM devices WHERE device_id = ?", (device_id,))
        return rows[0] if rows else None

    def revocation_notice(self, device_id: str) -> dict | None:
        """For a revoked device: a statement signed by the server, which its laptop can trust."""
        dev = self._device(device_id)
        if dev is None or dev[3] is None:
            return None
        wipe = bool(dev[4])
        signature = self.keys.identity._sign.sign(protocol.revocation_statement(device_id, self.server_id, wipe))
        return {"error": "revoked", "device_id": device_id, "server_id": self.server_id, "wipe": wipe,
                "signature": base64.urlsafe_b64encode(signature).decode().rstrip("="),
                "message": "This laptop has been revoked by the hub" + (" and told to erase its data." if wipe else ".")}

    def _sender_key(self, sender_id: str) -> PublicKeys | None:
        dev = self._device(sender_id)
        if dev is None or dev[3] is not None:
            return None
        return PublicKeys.from_json({"sign": dev[1], "box": dev[2]})

    # -- bundles in ------------------------------------------------------------------------
    def open_incoming(self, data: bytes) -> tuple[str, protocol.SyncRequest, str]:
        """Open a bundle sealed to this server; refuse revoked senders and replays. Changes nothing."""
        header = peek_header(data, max_bytes=self.settings.max_bundle_bytes)
        dev = self._device(header.sender_id)
        if dev is not None and dev[3] is not None:
            raise DeviceRevoked(f"Device {header.sender_id} was revoked; its bundles are refused.")
        opened = open_bundle(data, recipient=self.keys.identity, recipient_id=self.server_id,
                             sender_key=self._sender_key, max_bytes=self.settings.max_bundle_bytes)
        if self.db.execute("SELECT 1 FROM seen_bundles WHERE bundle_id = ?", (opened.bundle_id,)):
            raise BundleReplayed(opened.bundle_id)
        request = protocol.SyncRequest.decode(opened.payload)
        request.sent_ms = opened.created_ms
        if request.device_id != opened.sender_id:
            raise protocol.ProtocolError("The bundle's sender and the changes' device differ; nothing was applied.")
        return opened.bundle_id, request, dev[0]

    def receive(self, data: bytes) -> tuple[PushResult, protocol.SyncRequest]:
        """Apply a device's bundle (from HTTP, USB or a forwarding laptop).

        A part of a USB export whose ``after`` lies beyond what the server holds of its
        device is kept, sealed, and applied as soon as the parts before it are: the parts
        import in any order, each as often as the person likes."""
        with _gc_paused():  # decoding builds as many objects as applying does
            bundle_id, request, team = self.open_incoming(data)
        if request.after is not None:
            last_seq = self.db.execute("SELECT last_seq FROM devices WHERE device_id = ?", (request.device_id,))[0][0]
            if request.after > last_seq:
                self.db.execute(
                    "INSERT INTO parked_bundles (bundle_id, device_id, after, data, received_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (bundle_id) DO NOTHING", (bundle_id, request.device_id, request.after, data, _now_ms()))
                self._event("part_waiting", request.device_id, f"after seq {request.after}; have {last_seq}")
                return PushResult(received=len(request.changes), acked=last_seq, waiting=True), request
        result = self.push(request.device_id, team, request.changes, bundle_id=bundle_id,
                           cursor=request.cursor, device_hlc=request.hlc)
        self._unpark(request.device_id, result)
        return result, request

    def _unpark(self, device_id: str, result: PushResult) -> None:
        """Apply the kept parts that now follow on what the server holds of the device."""
        while True:
            rows = self.db.execute(
                "SELECT bundle_id, data FROM parked_bundles WHERE device_id = ? AND after <= "
                "(SELECT last_seq FROM devices WHERE device_id = ?) ORDER BY after LIMIT 1", (device_id, device_id))
            if not rows:
                return
            bundle_id, data = rows[0]
            try:
                with _gc_paused():
                    _, request, team = self.open_incoming(bytes(data))
                more = self.push(device_id, team, request.changes, bundle_id=bundle_id, cursor=request.cursor,
                                 device_hlc=request.hlc)
                result.new += more.new
                result.duplicates += more.duplicates
                result.conflicts += more.conflicts
                result.refused += more.refused
                result.acked = more.acked
                result.warning = more.warning or result.warning
                result.unparked += 1
            except BundleReplayed:
                pass  # applied already (a crash between applying and forgetting it): forget it now
            except (DeviceRevoked, UnknownSender, BundleError, protocol.ProtocolError) as exc:
                log.warning("a kept part from %s was dropped: %s", device_id, type(exc).__name__)
            self.db.execute("DELETE FROM parked_bundles WHERE bundle_id = ?", (bundle_id,))

    def push(self, device_id: str, team: str, changes: list[dict], *, bundle_id: str | None = None,
             cursor: int | None = None, device_hlc: str | None = None) -> PushResult:
        with _gc_paused():
            return self._push(device_id, team, changes, bundle_id=bundle_id, cursor=cursor, device_hlc=device_hlc)

    def _push(self, device_id: str, team: str, changes: list[dict], *, bundle_id: str | None,
              cursor: int | None, device_hlc: str | None) -> PushResult:
        result = PushResult(received=len(changes))
        now = _now_ms()
        limit = (now + self.settings.max_clock_ahead_ms) << 16
        with self.db.transaction():
            db = self.db
            if bundle_id is not None:
                if db.execute("SELECT 1 FROM seen_bundles WHERE bundle_id = ?", (bundle_id,)):
                    raise BundleReplayed(bundle_id)  # a concurrent upload of the same bundle
                db.execute("INSERT INTO seen_bundles VALUES (?, ?, ?)", (bundle_id, device_id, now))
            last_seq = db.execute("SELECT last_seq FROM devices WHERE device_id = ?", (device_id,))[0][0]
            fresh = []
            newest = 0  # the newest stamp taken: the server's clock moves past it, never past a refused one
            for c in changes:
                if c["seq"] <= last_seq:
                    result.duplicates += 1
                    continue
                if int(c["hlc"], 16) > limit:
                    ahead_h = ((int(c["hlc"], 16) >> 16) - now) / 3_600_000
                    result.warning = (f"This laptop's clock is {_span(ahead_h)} ahead of the server's. Set the correct "
                                      "date and time; its newer changes wait until then, and are re-stamped and sent once "
                                      "the date is right.")
                    log.warning("device %s: change %d stamped %.1f h ahead; refused with what follows", device_id, c["seq"], ahead_h)
                    self._event("clock_ahead", device_id, f"{ahead_h:.1f} h")
                    break
                fresh.append(c)
                last_seq = c["seq"]
                newest = max(newest, int(c["hlc"], 16))
            self._apply(device_id, team, fresh, result, now)
            if result.new and any(c["kind"] in domain.WATCHED_KINDS for c in fresh):
                # In the push's transaction: the merge and its review items together; only the touched groups.
                domain_keys.after_push(self, now, [c["record_id"] for c in fresh if c["kind"] in domain.WATCHED_KINDS])
            if result.refused:
                db.executemany("INSERT INTO refusals (device_id, seq, reason, refused_at) VALUES (?, ?, ?, ?) "
                               "ON CONFLICT (device_id, seq) DO NOTHING",
                               [(device_id, r["seq"], r["reason"], now) for r in result.refused])
            db.execute("UPDATE devices SET last_seq = ?, last_seen = ?, cursor = coalesce(?, cursor) WHERE device_id = ?",
                       (last_seq, now, cursor, device_id))
            if result.new or result.refused:
                self._event("pushed", device_id, f"{result.new} new, {result.duplicates} duplicate, {len(result.refused)} refused")
            result.acked = last_seq
        # The device's own clock counts only within the bound: a laptop a year ahead
        # must not drag the server's clock, and through its replies every other
        # laptop's, into the future (its changes were refused just above).
        if device_hlc is not None and int(device_hlc, 16) <= limit:
            newest = max(newest, int(device_hlc, 16))
        self._tick(f"{newest:016x}" if newest else None)
        return result

    def _apply(self, device_id: str, team: str, changes: list[dict], result: PushResult, now: int) -> None:
        db, sealer = self.db, self._sealer
        pending: dict[str, list] = {}  # record_id -> [state, changed, record team, (form id, version) if new]
        for start in range(0, len(changes), 500):
            chunk = changes[start:start + 500]
            ids = list({c["record_id"] for c in chunk if c["record_id"] not in pending})  # not set(pending): O(n) per chunk
            if ids:
                marks = ",".join("?" * len(ids))
                for rid, rteam, kind, clocks, deleted, body in db.execute(
                    f"SELECT record_id, team, kind, clocks, deleted, body FROM records WHERE record_id IN ({marks})", ids
                ):
                    fields = _loads(sealer.open(f"record|{rid}", body))
                    pending[rid] = [_State(kind, fields, _loads(clocks), bool(deleted)), False, rteam, None]
            log_rows, conflict_rows, resolutions = [], [], []
            for c in chunk:
                rid = c["record_id"]
                if c["kind"] in protocol.LOCAL_KINDS:
                    # A draft is unfinished work that stays on its laptop: team leads and
                    # exports see finished records only. Acknowledged (the laptop must not
                    # resend it), not kept, and never passed on to other laptops.
                    result.refused.append({"seq": c["seq"], "reason": "local-only kind"})
                    continue
                plain = _dumps(c["fields"])
                too_big = limits.too_many_fields(len(c["fields"])) or limits.too_large(len(plain))
                if too_big:
                    # Refused for good, alone (rules/limits.py): acknowledged so the changes
                    # after it flow; the laptop sets it aside for the person to see.
                    result.refused.append({"seq": c["seq"], "reason": too_big})
                    log.warning("device %s: change %d refused: %s", device_id, c["seq"], too_big)
                    self._event("change_refused", device_id, f"{c['seq']}: {too_big}")
                    continue
                entry = pending.get(rid)
                if entry is None:
                    if not c["deleted"]:
                        # New to the server (every record of an initial push): the change is the record.
                        fields = dict(c["fields"])
                        state = _State(c["kind"], fields, dict.fromkeys(fields, f"{c['hlc']}@{c['device_id']}"), False)
                        pending[rid] = [state, True, team, (c["form_id"], c["form_version"])]
                        result.new += 1
                        log_rows.append(self._log_row(c, team, now, plain))
                        continue
                    entry = pending[rid] = [_State(c["kind"], {}, {}, False), False, team, (c["form_id"], c["form_version"])]
                state, _, rteam, _ = entry
                if rteam != team or state.kind != c["kind"]:
                    # A device may only write its own team's records; the change is acknowledged
                    # (so the laptop does not resend it forever) but not applied, and logged.
                    result.refused.append({"seq": c["seq"], "reason": "record belongs to another team" if rteam != team else "kind differs"})
                    log.warning("device %s wrote record %s outside its team; refused", device_id, rid)
                    continue
                result.new += 1
                resolutions += [(r["resolution"], rid, r["field"], r["stamp"]) for r in c.get("resolves") or ()]
                _, lost = merge_change(state, c)
                for item in lost:
                    body = sealer.seal(f"conflict|{rid}|{item.field}|{item.stamp}", _dumps({"value": item.value}))
                    conflict_rows.append((rid, team, state.kind, item.field, item.stamp, item.winner, now, body))
                log_rows.append(self._log_row(c, team, now, plain))
                entry[1] = True
            db.executemany(
                "INSERT INTO changes (device_id, seq, record_id, team, kind, form_id, form_version, hlc, deleted, bases, body, received_at, resolves) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (device_id, seq) DO NOTHING", log_rows)
            if conflict_rows:
                before = db.execute("SELECT count(*) FROM conflicts")[0][0]
                db.executemany(
                    "INSERT INTO conflicts (record_id, team, kind, field, stamp, winner, found_at, body) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (record_id, field, stamp) DO NOTHING", conflict_rows)
                result.conflicts += db.execute("SELECT count(*) FROM conflicts")[0][0] - before
            if resolutions:
                # After the conflicts this chunk found: a resolution comes after what it resolves.
                db.executemany("UPDATE conflicts SET resolution = ? WHERE record_id = ? AND field = ? AND stamp = ? "
                               "AND resolution IS NULL", resolutions)
        rows = []
        for rid, (state, changed, rteam, form) in pending.items():
            if not changed:
                continue  # only read, or every change to it was refused
            form_id, form_version = form or (None, None)
            rows.append((rid, rteam, state.kind, form_id, form_version, _dumps(state.clocks).decode(), int(state.deleted),
                         sealer.seal(f"record|{rid}", _dumps(state.fields))))
        db.executemany(
            "INSERT INTO records (record_id, team, kind, form_id, form_version, clocks, deleted, body) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (record_id) DO UPDATE SET clocks = excluded.clocks, deleted = excluded.deleted, body = excluded.body",
            rows)

    def _log_row(self, c: dict, team: str, now: int, plain: bytes) -> tuple:
        return (c["device_id"], c["seq"], c["record_id"], team, c["kind"], c["form_id"], c["form_version"], c["hlc"],
                int(c["deleted"]), _dumps(c["bases"]).decode() if c["bases"] else None,
                self._sealer.seal(f"change|{c['device_id']}|{c['seq']}", plain), now,
                _dumps(c["resolves"]).decode() if c.get("resolves") else None)

    # -- changes out ---------------------------------------------------------------------
    def pull(self, device_id: str, team: str, cursor: int, limit: int,
             max_bytes: int = protocol.MAX_PUSH_BYTES) -> tuple[list[dict], int, bool]:
        """The team's changes after ``cursor``, except the device's own, oldest first: at most
        ``limit`` of them and, past the first, about ``max_bytes`` of values. Read a page at a
        time, so that 2,000 large values are never in memory at once."""
        out, size, scanned = [], 0, 0
        while scanned < limit:
            page = min(_PULL_PAGE, limit - scanned)
            rows = self.db.execute(
                "SELECT server_seq, device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, bases, body, resolves "
                "FROM changes WHERE team = ? AND server_seq > ? ORDER BY server_seq LIMIT ?",
                (team, cursor, page),
            )
            for sseq, dev, seq, rid, kind, fid, fver, h, deleted, bases, body, resolves in rows:
                if dev != device_id:
                    # The sealed body is the values' JSON plus 28 bytes; 256 for the rest.
                    size += len(body) + 256
                    if out and size > max_bytes:
                        return out, cursor, True
                    change = {"device_id": dev, "seq": seq, "record_id": rid, "kind": kind, "form_id": fid,
                              "form_version": fver, "hlc": h, "deleted": bool(deleted),
                              "bases": _loads(bases) if bases else {},
                              "fields": _loads(self._sealer.open(f"change|{dev}|{seq}", body))}
                    if resolves:
                        change["resolves"] = _loads(resolves)
                    out.append(change)
                cursor = sseq
            scanned += len(rows)
            if len(rows) < page:
                return out, cursor, False
        return out, cursor, True

    def reply_bundle(self, device_id: str, *, cursor: int | None = None, limit: int | None = None,
                     push: PushResult | None = None, held_forms: dict[str, str] | None = None,
                     max_bytes: int = protocol.MAX_PART_BYTES) -> tuple[bytes, protocol.SyncReply]:
        """A bundle sealed to the device: what the server holds of it, its team's changes, its
        team's form catalogue, and the files of the forms it does not hold (all of them when
        ``held_forms`` is unknown, as for a USB reply)."""
        dev = self._device(device_id)
        if dev is None:
            raise UnknownDevice(f"There is no device {device_id} on this server; 'server devices' lists them.")
        if dev[3] is not None:
            raise DeviceRevoked(f"Device {device_id} was revoked; nothing is sent to it.")
        team, sign, box, _, _, stored_cursor = dev
        since = stored_cursor if cursor is None else cursor
        changes, new_cursor, more = self.pull(device_id, team, since, limit or self.settings.pull_limit, max_bytes)
        acked = push.acked if push else self.db.execute("SELECT last_seq FROM devices WHERE device_id = ?", (device_id,))[0][0]
        # Every refusal of this device's changes, not only this push's: one pushed in a
        # USB or forwarded bundle is learnt here too. The laptop keeps each once.
        refused = [{"seq": seq, "reason": reason} for seq, reason in self.db.execute(
            "SELECT seq, reason FROM refusals WHERE device_id = ? ORDER BY seq LIMIT ?", (device_id, MAX_REFUSALS))]
        catalogue = self.catalogue(team)
        held = held_forms or {}
        wanted = [(e.form_id, e.digest) for e in catalogue[1] if held.get(e.form_id) != e.digest]
        reply = protocol.SyncReply(acked=acked, changes=changes, cursor=new_cursor, more=more, hlc=self._tick(),
                                   refused=refused, warning=push.warning if push else None,
                                   catalogue=catalogue, forms=[self.form_files(fid, digest) for fid, digest in wanted])
        data = seal(reply.encode(), sender=self.keys.identity, sender_id=self.server_id,
                    recipient=PublicKeys.from_json({"sign": sign, "box": box}), recipient_id=device_id, kind="reply")
        return data, reply

    def sync(self, data: bytes) -> bytes:
        """One HTTP round trip: apply the push, answer with acknowledgement and pull."""
        result, request = self.receive(data)
        # A request over HTTP is sealed moments ago, so its creation time is the laptop's
        # wall clock (a USB bundle's is not: it may have waited days). A clock far behind
        # is said as plainly as one far ahead: its edits would lose to older ones.
        behind_h = (_now_ms() - request.sent_ms) / 3_600_000 if request.sent_ms else 0.0
        if behind_h * 3_600_000 > self.settings.max_clock_ahead_ms and result.warning is None:
            result.warning = (f"This laptop's clock is {_span(behind_h)} behind the server's. Set the correct date and "
                              "time: while it is wrong, this laptop's edits can lose to older ones.")
            log.warning("device %s: clock %.1f h behind", request.device_id, behind_h)
            with self.db.transaction():
                self._event("clock_behind", request.device_id, f"{behind_h:.1f} h")
        reply, _ = self.reply_bundle(request.device_id, cursor=request.cursor, limit=request.limit, push=result,
                                     held_forms=request.forms, max_bytes=protocol.MAX_PUSH_BYTES)
        return reply

    def forward(self, data: bytes) -> PushResult:
        """A bundle carried by another laptop (store and forward): apply it, answer nothing readable."""
        result, _ = self.receive(data)
        return result

    # -- published forms -----------------------------------------------------------------------
    def publish_form(self, form: protocol.PublishedForm, *, team: str = "*") -> bool:
        """Publish a validated form (with its files) to one team or every team ('*').
        Returns False when that exact form is already published there. A version
        number means one content: republishing it with other files is refused."""
        if team != "*" and not protocol.valid_team(team):
            raise FormNotPublished("A team name is 1-64 letters, digits, '_', '.' or '-' (or leave --team out for every team).")
        blob = _dumps(form.package())  # the same encoding the reply carries
        with self.db.transaction():
            clash = self.db.execute("SELECT 1 FROM forms WHERE form_id = ? AND version = ? AND sha256 <> ? AND files IS NOT NULL",
                                    (form.form_id, form.version, form.digest))
            if clash:
                raise FormNotPublished(
                    f"Version {form.version} of form {form.form_id} was already published with other content. Raise the "
                    "version in the settings sheet, then publish again."
                )
            latest = self.db.execute("SELECT sha256 FROM forms WHERE form_id = ? AND team = ? ORDER BY id DESC LIMIT 1",
                                     (form.form_id, team))
            if latest and latest[0][0] == form.digest:
                return False
            self.db.execute(
                "INSERT INTO forms (form_id, team, version, title, sha256, files, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (form.form_id, team, form.version, form.title, form.digest,
                 self._sealer.seal(f"form|{form.form_id}|{form.digest}", blob), _now_ms()),
            )
            self._event("form_published", None, f"{form.form_id} {form.version} to {team}")
        log.info("form %s version %s published to %s", form.form_id, form.version, "every team" if team == "*" else team)
        return True

    def withdraw_form(self, form_id: str, *, team: str = "*") -> None:
        """Laptops of that team drop the form at their next sync; their records stay."""
        with self.db.transaction():
            latest = self.db.execute("SELECT files IS NULL FROM forms WHERE form_id = ? AND team = ? ORDER BY id DESC LIMIT 1",
                                     (form_id, team))
            if not latest or latest[0][0]:
                where = "every team" if team == "*" else f"team {team}"
                raise FormNotPublished(f"Form {form_id} is not published to {where}; 'server forms' lists what is.")
            self.db.execute("INSERT INTO forms (form_id, team, published_at) VALUES (?, ?, ?)", (form_id, team, _now_ms()))
            self._event("form_withdrawn", None, f"{form_id} from {team}")
        log.info("form %s withdrawn from %s", form_id, team)

    def published_forms(self) -> list[dict]:
        """What is published now, per form and team scope (for ``server forms``)."""
        latest: dict[tuple[str, str], tuple] = {}
        for row in self.db.execute("SELECT form_id, team, version, title, sha256, files IS NULL, published_at FROM forms ORDER BY id"):
            latest[(row[0], row[1])] = row
        return [{"form_id": fid, "team": team, "version": version, "title": title, "sha256": digest,
                 "published_at": _iso(at)}
                for fid, team, version, title, digest, withdrawn, at in latest.values() if not withdrawn]

    def catalogue(self, team: str) -> tuple[int, list[protocol.PublishedForm]]:
        """The forms a team's laptops should hold: per form id, the newest publication for
        the team or for every team, unless that newest row withdrew it. The sequence
        number grows with every change, so a laptop never takes an older catalogue."""
        rows = self.db.execute("SELECT id, form_id, version, title, sha256 FROM forms WHERE team IN (?, '*') ORDER BY id", (team,))
        latest = {fid: (version, title, digest) for _, fid, version, title, digest in rows}
        forms = [protocol.PublishedForm(fid, version, title, digest) for fid, (version, title, digest) in sorted(latest.items())
                 if digest is not None]
        return (rows[-1][0] if rows else 0), forms

    def last_published(self, form_id: str) -> protocol.PublishedForm | None:
        """The files of a form's (or a round's) latest publication to any team, withdrawn or not:
        a report on a round that has ended still needs its items."""
        rows = self.db.execute("SELECT sha256 FROM forms WHERE form_id = ? AND files IS NOT NULL ORDER BY id DESC LIMIT 1",
                               (form_id,))
        return self.form_files(form_id, rows[0][0]) if rows else None

    def form_files(self, form_id: str, digest: str) -> protocol.PublishedForm:
        rows = self.db.execute("SELECT files FROM forms WHERE form_id = ? AND sha256 = ? AND files IS NOT NULL "
                               "ORDER BY id DESC LIMIT 1", (form_id, digest))
        return protocol.PublishedForm.from_json(_loads(self._sealer.open(f"form|{form_id}|{digest}", rows[0][0])), files=True)

    # -- domain checks after a merge (rules/domain.py) -------------------------------------
    def check_domain(self, now: int | None = None) -> tuple[list[str], list[str]]:
        """Run the shared check over every team's receipts; keep open items, close the rest.
        Returns (raised keys, closed keys)."""
        with self.db.transaction():
            return self._check_domain(now or _now_ms())

    def _check_domain(self, now: int) -> tuple[list[str], list[str]]:
        db, sealer = self.db, self._sealer
        receipts, teams = [], {}
        for rid, team, deleted, body in db.execute(
                "SELECT record_id, team, deleted, body FROM records WHERE kind = ? ORDER BY record_id", (domain.RECEIPT,)):
            fields = _loads(sealer.open(f"record|{rid}", body))
            receipts.append((rid, fields, bool(deleted)))
            teams[rid] = team
        households = sorted({f.get("household") for _, f, _ in receipts if isinstance(f.get("household"), str)})
        links: dict[str, str] = {}
        for start in range(0, len(households), 500):
            ids = households[start:start + 500]
            for hid, body in db.execute(f"SELECT record_id, body FROM records WHERE kind = ? AND record_id IN "
                                        f"({','.join('?' * len(ids))})", (domain.HOUSEHOLD, *ids)):
                target = _loads(sealer.open(f"record|{hid}", body)).get(domain.LINK_FIELD)
                if isinstance(target, str):
                    links[hid] = target
        items = domain.double_distributions(receipts, links)
        before = [k for (k,) in db.execute("SELECT review_key FROM domain_reviews WHERE closed_at IS NULL")]
        raised, closed = domain.diff(before, [i.key for i in items])
        for item in items:
            if item.key in raised:
                db.execute("INSERT INTO domain_reviews (review_key, teams, body, found_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (review_key) DO UPDATE SET teams = excluded.teams, body = excluded.body, "
                           "found_at = excluded.found_at, closed_at = NULL",
                           (item.key, ",".join(sorted({teams[r] for r in item.receipts})), json.dumps(item.to_json()), now))
            else:
                db.execute("UPDATE domain_reviews SET body = ? WHERE review_key = ?", (json.dumps(item.to_json()), item.key))
        for key in closed:
            db.execute("UPDATE domain_reviews SET closed_at = ? WHERE review_key = ?", (now, key))
        for key in raised:
            self._event("review_raised", None, key)
        for key in closed:
            self._event("review_closed", None, key)
        if raised or closed:
            log.info("domain check: %d review item(s) raised, %d closed", len(raised), len(closed))
        return raised, closed

    def domain_reviews(self, *, include_closed: bool = False) -> list[dict]:
        """The review items the domain check raised (open ones only unless ``include_closed``)."""
        sql = "SELECT review_key, teams, body, found_at, closed_at FROM domain_reviews"
        if not include_closed:
            sql += " WHERE closed_at IS NULL"
        return [{**json.loads(body), "teams": teams.split(","), "found_at": _iso(found), "closed_at": _iso(closed)}
                for _, teams, body, found, closed in self.db.execute(sql + " ORDER BY review_key")]

    # -- review ----------------------------------------------------------------------------
    def conflicts(self, team: str | None = None, *, include_resolved: bool = False) -> list[dict]:
        """Values that lost a concurrent write; open ones only unless ``include_resolved``
        (a laptop's resolution closes a conflict here as everywhere)."""
        sql = "SELECT id, record_id, team, kind, field, stamp, winner, found_at, body, resolution FROM conflicts"
        where, args = [], []
        if team:
            where.append("team = ?")
            args.append(team)
        if not include_resolved:
            where.append("resolution IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        for cid, rid, t, kind, name, stamp, winner, found, body, resolution in self.db.execute(sql + " ORDER BY id", tuple(args)):
            value = _loads(self._sealer.open(f"conflict|{rid}|{name}|{stamp}", body))["value"]
            out.append({"id": cid, "record_id": rid, "team": t, "kind": kind, "field": name, "value": value,
                        "stamp": stamp, "winner": winner, "found_at": _iso(found), "resolution": resolution})
        return out

    def records(self, team: str | None = None) -> dict[str, dict]:
        """Every record the server holds, decrypted in memory (for exports and checks)."""
        sql = "SELECT record_id, team, kind, form_id, form_version, clocks, deleted, body FROM records"
        args: tuple = ()
        if team:
            sql, args = sql + " WHERE team = ?", (team,)
        return {
            rid: {"team": t, "kind": kind, "form_id": fid, "form_version": fver, "clocks": _loads(clocks),
                  "deleted": bool(deleted), "fields": _loads(self._sealer.open(f"record|{rid}", body))}
            for rid, t, kind, fid, fver, clocks, deleted, body in self.db.execute(sql, args)
        }

    def unseal(self, place: str, blob: bytes) -> bytes:
        """Open a value this hub sealed at rest (the console's reads: records, changes, conflicts)."""
        return self._sealer.open(place, blob)

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the data key (the console's blind index)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"fieldbook/server/{purpose}/v1".encode()
                    ).derive(self.keys.data_key)

    def counts(self) -> dict:
        q = self.db.execute
        return {"devices": q("SELECT count(*) FROM devices")[0][0], "records": q("SELECT count(*) FROM records")[0][0],
                "changes": q("SELECT count(*) FROM changes")[0][0], "conflicts": q("SELECT count(*) FROM conflicts")[0][0]}


@contextlib.contextmanager
def _gc_paused():
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


def _span(hours: float) -> str:
    """A clock difference in words: hours up to two days, then days."""
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
