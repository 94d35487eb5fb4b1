"""The change log: bundles in (push, apply, merge, conflicts), changes out (pull, the reply), review.

Field values are sealed at rest with the server's data key: a copied database or
backup shows ids, kinds, clocks and counts, never what a person typed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import orjson

from rules import domain, limits

from ... import protocol
from ...bundle import PublicKeys, open_bundle, peek_header, seal
from ...errors import BundleError, BundleReplayed, DeviceRevoked, UnknownDevice, UnknownSender
from ...merge import merge_change
from . import core
from .core import HubCore, Part, gc_paused, iso, span

log = logging.getLogger("fieldbook.server")

MAX_REFUSALS = 10_000  # refusals repeated in one reply (a device with more learns them as older ones age out)
_PULL_PAGE = 200  # changes read from the database at a time when pulling
_dumps = orjson.dumps
_loads = orjson.loads


class _State:
    """A record as the merge rule sees it."""

    __slots__ = ("kind", "fields", "clocks", "deleted")

    def __init__(self, kind: str, fields: dict, clocks: dict, deleted: bool) -> None:
        self.kind, self.fields, self.clocks, self.deleted = kind, fields, clocks, deleted


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


def served_head(device_id: str, seq: int, record_id: str, kind: str, form_id: str | None, form_version: str | None,
                hlc: str, deleted: bool, bases: dict | None, resolves: list | None) -> bytes:
    """A change as a reply carries it, up to its values: ``{...,"fields":``. Ids, clocks and
    flags only (each is a plaintext column already); the values stay sealed in ``body``."""
    change = {"device_id": device_id, "seq": seq, "record_id": record_id, "kind": kind, "form_id": form_id,
              "form_version": form_version, "hlc": hlc, "deleted": bool(deleted), "bases": bases or {}}
    if resolves:
        change["resolves"] = resolves
    return _dumps(change)[:-1] + _FIELDS


_FIELDS = b',"fields":'
_BACKFILL_BATCH = 5_000


def _head_of(row: tuple) -> bytes:
    """``served_head`` from a log row's columns (device_id ... resolves, as stored)."""
    dev, seq, rid, kind, fid, fver, h, deleted, bases, resolves = row
    return served_head(dev, seq, rid, kind, fid, fver, h, bool(deleted), _loads(bases) if bases else {},
                       _loads(resolves) if resolves else None)


class ChangeLog(Part):
    def __init__(self, core: HubCore, publishing, domain_checks) -> None:
        super().__init__(core)
        self.publishing = publishing
        self.domain = domain_checks

    def _sender_key(self, sender_id: str) -> PublicKeys | None:
        dev = self.core.device(sender_id)
        if dev is None or dev[3] is not None:
            return None
        return PublicKeys.from_json({"sign": dev[1], "box": dev[2]})

    # -- bundles in ------------------------------------------------------------------------
    def open_incoming(self, data: bytes) -> tuple[str, protocol.SyncRequest, str]:
        """Open a bundle sealed to this server; refuse revoked senders and replays. Changes nothing."""
        header = peek_header(data, max_bytes=self.settings.max_bundle_bytes)
        dev = self.core.device(header.sender_id)
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
        with gc_paused():  # decoding builds as many objects as applying does
            bundle_id, request, team = self.open_incoming(data)
        if request.after is not None:
            last_seq = self.db.execute("SELECT last_seq FROM devices WHERE device_id = ?", (request.device_id,))[0][0]
            if request.after > last_seq:
                self.db.execute(
                    "INSERT INTO parked_bundles (bundle_id, device_id, after, data, received_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (bundle_id) DO NOTHING", (bundle_id, request.device_id, request.after, data, core.now_ms()))
                self._event("part_waiting", request.device_id, f"after seq {request.after}; have {last_seq}")
                return PushResult(received=len(request.changes), acked=last_seq, waiting=True), request
        # A request made ahead (the laptop still applies the page before) does not hold
        # ``cursor`` yet: the device's recorded cursor stays where it reported holding.
        result = self.push(request.device_id, team, request.changes, bundle_id=bundle_id,
                           cursor=None if request.ahead else request.cursor, device_hlc=request.hlc)
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
                with gc_paused():
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
        with gc_paused():
            return self._push(device_id, team, changes, bundle_id=bundle_id, cursor=cursor, device_hlc=device_hlc)

    def _push(self, device_id: str, team: str, changes: list[dict], *, bundle_id: str | None,
              cursor: int | None, device_hlc: str | None) -> PushResult:
        result = PushResult(received=len(changes))
        now = core.now_ms()
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
                    result.warning = (f"This laptop's clock is {span(ahead_h)} ahead of the server's. Set the correct "
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
                self.domain.after_push(now, [c["record_id"] for c in fresh if c["kind"] in domain.WATCHED_KINDS])
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
        self.core.tick(f"{newest:016x}" if newest else None)
        return result

    def apply(self, device_id: str, team: str, changes: list[dict], result: PushResult, now: int) -> None:
        """Merge checked changes into the log and the records, inside the caller's transaction:
        the push path's own step, which the hub's own edits (hub_edits.py) go through too."""
        self._apply(device_id, team, changes, result, now)

    def _apply(self, device_id: str, team: str, changes: list[dict], result: PushResult, now: int) -> None:
        pending: dict[str, list] = {}  # record_id -> [state, changed, record team, (form id, version) if new]
        for start in range(0, len(changes), 500):
            chunk = changes[start:start + 500]
            self._load_records(chunk, pending)
            log_rows, conflict_rows, resolutions = [], [], []
            for c in chunk:
                plain = self._admissible(device_id, c, result)
                if plain is None:
                    continue
                rid = c["record_id"]
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
                conflict_rows += [(rid, team, state.kind, item.field, item.stamp, item.winner, now,
                                   self._sealer.seal(f"conflict|{rid}|{item.field}|{item.stamp}", _dumps({"value": item.value})))
                                  for item in lost]
                log_rows.append(self._log_row(c, team, now, plain))
                entry[1] = True
            self._write_chunk(log_rows, conflict_rows, resolutions, result)
        self._write_records(pending)

    def _load_records(self, chunk: list[dict], pending: dict[str, list]) -> None:
        """Read the records a chunk of changes touches that are not in ``pending`` yet."""
        ids = list({c["record_id"] for c in chunk if c["record_id"] not in pending})  # not set(pending): O(n) per chunk
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        for rid, rteam, kind, clocks, deleted, body in self.db.execute(
            f"SELECT record_id, team, kind, clocks, deleted, body FROM records WHERE record_id IN ({marks})", ids
        ):
            fields = _loads(self._sealer.open(f"record|{rid}", body))
            pending[rid] = [_State(kind, fields, _loads(clocks), bool(deleted)), False, rteam, None]

    def _admissible(self, device_id: str, c: dict, result: PushResult) -> bytes | None:
        """The change's values as JSON, or None when it is refused for good (noted in ``result``)."""
        if c["kind"] in protocol.LOCAL_KINDS:
            # A draft is unfinished work that stays on its laptop: team leads and
            # exports see finished records only. Acknowledged (the laptop must not
            # resend it), not kept, and never passed on to other laptops.
            result.refused.append({"seq": c["seq"], "reason": "local-only kind"})
            return None
        plain = _dumps(c["fields"])
        too_big = limits.too_many_fields(len(c["fields"])) or limits.too_large(len(plain))
        if too_big:
            # Refused for good, alone (rules/limits.py): acknowledged so the changes
            # after it flow; the laptop sets it aside for the person to see.
            result.refused.append({"seq": c["seq"], "reason": too_big})
            log.warning("device %s: change %d refused: %s", device_id, c["seq"], too_big)
            self._event("change_refused", device_id, f"{c['seq']}: {too_big}")
            return None
        return plain

    def _write_chunk(self, log_rows: list, conflict_rows: list, resolutions: list, result: PushResult) -> None:
        db = self.db
        db.executemany(
            "INSERT INTO changes (device_id, seq, record_id, team, kind, form_id, form_version, hlc, deleted, bases, body, received_at, "
            "resolves, head, author) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (device_id, seq) DO NOTHING", log_rows)
        # The rows it added, not a count(*) before and after: that scanned the whole table twice.
        result.conflicts += db.executemany(
            "INSERT INTO conflicts (record_id, team, kind, field, stamp, winner, found_at, body) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (record_id, field, stamp) DO NOTHING", conflict_rows)
        if resolutions:
            # After the conflicts this chunk found: a resolution comes after what it resolves.
            db.executemany("UPDATE conflicts SET resolution = ? WHERE record_id = ? AND field = ? AND stamp = ? "
                           "AND resolution IS NULL", resolutions)

    def _write_records(self, pending: dict[str, list]) -> None:
        rows = []
        for rid, (state, changed, rteam, form) in pending.items():
            if not changed:
                continue  # only read, or every change to it was refused
            form_id, form_version = form or (None, None)
            rows.append((rid, rteam, state.kind, form_id, form_version, _dumps(state.clocks).decode(), int(state.deleted),
                         self._sealer.seal(f"record|{rid}", _dumps(state.fields))))
        self.db.executemany(
            "INSERT INTO records (record_id, team, kind, form_id, form_version, clocks, deleted, body) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (record_id) DO UPDATE SET clocks = excluded.clocks, deleted = excluded.deleted, body = excluded.body",
            rows)

    def _log_row(self, c: dict, team: str, now: int, plain: bytes) -> tuple:
        bases = _dumps(c["bases"]).decode() if c["bases"] else None
        resolves = _dumps(c["resolves"]).decode() if c.get("resolves") else None
        return (c["device_id"], c["seq"], c["record_id"], team, c["kind"], c["form_id"], c["form_version"], c["hlc"],
                int(c["deleted"]), bases, self._sealer.seal(f"change|{c['device_id']}|{c['seq']}", plain), now, resolves,
                served_head(c["device_id"], c["seq"], c["record_id"], c["kind"], c["form_id"], c["form_version"], c["hlc"],
                            c["deleted"], c["bases"], c.get("resolves")),
                # Who made it: a person's name, so sealed like the values and never in the head.
                self._sealer.seal(f"author|{c['device_id']}|{c['seq']}", c["author"].encode()) if c.get("author") else None)

    # -- changes out ---------------------------------------------------------------------
    def pull(self, device_id: str, team: str, cursor: int, limit: int,
             max_bytes: int = protocol.MAX_PUSH_BYTES) -> tuple[list[orjson.Fragment], int, bool]:
        """The team's changes after ``cursor``, except the device's own, oldest first: at most
        ``limit`` of them and, past the first, about ``max_bytes`` of values. Read a page at a
        time, so that 2,000 large values are never in memory at once.

        Each change comes as the JSON a reply carries (an ``orjson.Fragment``), put together
        from its stored head and its opened values: served without parsing or encoding it
        again, so that the cost of a pulled change is one decryption and a copy, the same
        for a team of 5 as for a team of 50."""
        out: list[orjson.Fragment] = []
        size, scanned = 0, 0
        opener, author_of = self._sealer.opener("change"), self._sealer.opener("author")
        fragment = orjson.Fragment
        while scanned < limit:
            page = min(_PULL_PAGE, limit - scanned)
            rows = self.db.execute(
                # Ordered by (team, server_seq), the team index's order, though the team is fixed:
                # by server_seq alone PostgreSQL walks the primary key and filters on the team,
                # which reads every other team's changes too (EXPLAIN: bench/hub_explain.py).
                "SELECT server_seq, device_id, seq, head, body, author FROM changes WHERE team = ? AND server_seq > ? "
                "ORDER BY team, server_seq LIMIT ?", (team, cursor, page), binary=True)
            for sseq, dev, seq, head, body, author in rows:
                if dev != device_id:
                    size += len(body) + 256  # the sealed body is the values' JSON plus 29 bytes; 256 for the rest
                    if out and size > max_bytes:
                        return out, cursor, True
                    if head is None:
                        head = self._head_before_0010(sseq)
                    if author is not None:  # opened here: the stored head holds no name
                        head = b"".join((head[:-len(_FIELDS)], b',"author":', _dumps(author_of(f"{dev}|{seq}", author).decode()),
                                         _FIELDS))
                    out.append(fragment(b"".join((head, opener(f"{dev}|{seq}", body), b"}"))))
                cursor = sseq
            scanned += len(rows)
            if len(rows) < page:
                return out, cursor, False
        return out, cursor, True

    def backfill_heads(self, batch: int = _BACKFILL_BATCH) -> int:
        """Store the served head of each change kept before migration 0010, ``batch`` changes
        per transaction, with progress in the log; return how many. Run at start. Stopped
        midway, it keeps what it did and goes on at the next start; two processes at once
        write the same heads. Until it is done, such a change is put together when served."""
        db = self.core.db
        if not db.execute("SELECT 1 FROM schema_migrations WHERE name = '0016_heads_to_backfill'"):
            return 0  # a database held back at an older migration (tests of upgrades)
        missing = db.execute("SELECT count(*) FROM changes WHERE head IS NULL")[0][0]
        if not missing:
            return 0
        log.info("served heads: filling in %d change(s) stored before migration 0010", missing)
        done, after = 0, 0
        while True:
            with db.transaction():
                rows = db.execute(
                    "SELECT server_seq, device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, bases, "
                    "resolves FROM changes WHERE head IS NULL AND server_seq > ? ORDER BY server_seq LIMIT ?",
                    (after, batch))
                db.executemany("UPDATE changes SET head = ? WHERE server_seq = ? AND head IS NULL",
                               [(_head_of(row[1:]), row[0]) for row in rows])
            if not rows:
                break
            done, after = done + len(rows), rows[-1][0]
            log.info("served heads: %d of %d filled in", done, missing)
        return done

    def _head_before_0010(self, server_seq: int) -> bytes:
        """The served head of a change stored before migration 0010 kept it."""
        return _head_of(self.db.execute(
            "SELECT device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, bases, resolves FROM changes "
            "WHERE server_seq = ?", (server_seq,))[0])

    def reply_bundle(self, device_id: str, *, cursor: int | None = None, limit: int | None = None,
                     push: PushResult | None = None, held_forms: dict[str, str] | None = None,
                     max_bytes: int = protocol.MAX_PART_BYTES) -> tuple[bytes, protocol.SyncReply]:
        """A bundle sealed to the device: what the server holds of it, its team's changes, its
        team's form catalogue, and the files of the forms it does not hold (all of them when
        ``held_forms`` is unknown, as for a USB reply)."""
        dev = self.core.device(device_id)
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
        catalogue = self.publishing.catalogue(team)
        held = held_forms or {}
        wanted = [(e.form_id, e.digest) for e in catalogue[1] if held.get(e.form_id) != e.digest]
        reply = protocol.SyncReply(acked=acked, changes=changes, cursor=new_cursor, more=more, hlc=self.core.tick(),
                                   refused=refused, warning=push.warning if push else None,
                                   catalogue=catalogue, forms=[self.publishing.form_files(fid, digest) for fid, digest in wanted])
        data = seal(reply.encode(), sender=self.keys.identity, sender_id=self.server_id,
                    recipient=PublicKeys.from_json({"sign": sign, "box": box}), recipient_id=device_id, kind="reply")
        return data, reply

    def sync(self, data: bytes) -> bytes:
        """One HTTP round trip: apply the push, answer with acknowledgement and pull."""
        result, request = self.receive(data)
        # A request over HTTP is sealed moments ago, so its creation time is the laptop's
        # wall clock (a USB bundle's is not: it may have waited days). A clock far behind
        # is said as plainly as one far ahead: its edits would lose to older ones.
        behind_h = (core.now_ms() - request.sent_ms) / 3_600_000 if request.sent_ms else 0.0
        if behind_h * 3_600_000 > self.settings.max_clock_ahead_ms and result.warning is None:
            result.warning = (f"This laptop's clock is {span(behind_h)} behind the server's. Set the correct date and "
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
                        "stamp": stamp, "winner": winner, "found_at": iso(found), "resolution": resolution})
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

    def counts(self) -> dict:
        q = self.db.execute
        return {"devices": q("SELECT count(*) FROM devices")[0][0], "records": q("SELECT count(*) FROM records")[0][0],
                "changes": q("SELECT count(*) FROM changes")[0][0], "conflicts": q("SELECT count(*) FROM conflicts")[0][0]}
