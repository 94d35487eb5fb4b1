"""The replica room: apply other devices' changes, keep the values that lost, run the
shared domain checks after a merge.

The merge rule itself (per-field last writer wins, with concurrent losers kept)
lives in sync/merge.py and is passed in. This room does what only the store
can: read and write sealed records, and commit the changes, the pull cursor, the
acknowledgement and the bundle id in one transaction.

Changes from each origin device arrive in sequence order (docs/sync.md), so
``peers`` (the highest sequence number applied per origin) makes every apply
idempotent. A value that lost goes to ``conflicts``, sealed like a record body.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

import orjson

from rules import changes as changes_rule
from rules import domain
from rules.names import DELETED, LOCAL_KINDS

from . import crypto, hlc
from .audit import ORIGIN_PREFIX, AuditLog, pack_pulled
from .core import Core, translate_errors
from .errors import DamagedRecord, InvalidRecord, UnknownRecord
from .ids import uuid_bytes
from .index import BlindIndex
from .outbox import Outbox
from .records import MISSING, OUTBOX_SEQ, REF, Record, Records, decode, encode_clocks

log = logging.getLogger("fieldbook.storage")

_dumps = orjson.dumps
_loads = orjson.loads
_PREFETCH = 400
_DOMAIN_CHECK_OWED = "domain_check_owed"  # meta: a pulled page's domain check was left to the pull's last page
Merge = Callable[[Record, dict], tuple]


@dataclass
class ApplyResult:
    """What one apply did. ``new`` counts changes this replica had not applied before."""

    received: int = 0
    new: int = 0
    duplicates: int = 0
    ignored: int = 0       # seen, not applied: a local-only kind (another replica's drafts), or a change naming another kind
    conflicts: int = 0
    records: int = 0
    clock_warnings: int = 0
    set_aside: list = field(default_factory=list)  # seqs of our changes newly set aside (refused for good)


@dataclass
class Conflict:
    id: int
    record_id: str
    kind: str
    field: str
    value: object
    stamp: str
    winner: str
    found: str
    resolution: str | None
    author: str | None = None  # who made the losing value, when it came with a name (schema 0009 on)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _Pending:
    record: Record
    exists: bool
    old_fields: dict = field(default_factory=dict)
    changed: set = field(default_factory=set)
    ref: int | None = None          # records.ref, the blind index's handle
    outbox_seq: int | None = None   # our creation change still reading this row (see Outbox.keep_creation)
    origins: list = field(default_factory=list)  # (device, hlc, fields it changed, deleted, author) of each change applied


def _origin_detail(device: str, stamp: str, fields: list, deleted: bool, author: str | None) -> dict:
    """One applied change, as a sync entry's sealed audit detail keeps it."""
    out = {"device": device, "hlc": stamp, "fields": fields, "deleted": deleted}
    if author:
        out["author"] = author
    return out


def _pulled_entry(dev: str, made: list[tuple[bytes, str | None, str]]) -> tuple:
    """One audit entry for the records new here that one laptop made, in a slice of a pulled
    page (``AuditLog.rows``): their ids packed (``pack_pulled``), and sealed, by position, the
    author and stamp of those whose change named its author (as ``_audit_row`` keeps one
    record's). One entry instead of one per record: a million-change pull writes a few
    thousand."""
    authors = {str(i): {"author": a, "hlc": h} for i, (_raw, a, h) in enumerate(made) if a}
    return ("sync_edit", None, authors or None, ORIGIN_PREFIX + dev, pack_pulled([raw for raw, _a, _h in made]))


def check_change(c: object) -> dict:
    """Refuse a malformed change before anything is written (``rules.changes``; the message
    names no value). Returns it normalised."""
    try:
        return changes_rule.check_change(c)
    except changes_rule.InvalidChange as exc:
        raise InvalidRecord(str(exc)) from None


class Replica:
    def __init__(self, core: Core, records: Records, index: BlindIndex, outbox: Outbox, audit: AuditLog) -> None:
        self._core, self._records, self._index, self._outbox, self._audit = core, records, index, outbox, audit

    # -- applying remote changes -------------------------------------------------------
    def apply_changes(
        self,
        changes: Iterable[dict],
        *,
        merge: Merge,
        cursor: int | None = None,
        acked: int | None = None,
        bundle: tuple[str, str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        refused: list[dict] | None = None,
        domain_check: bool = True,
    ) -> ApplyResult:
        """Apply other devices' changes in one transaction, with the pull cursor, our
        acknowledged sequence and the bundle id that brought them, so an interrupted
        sync resumes exactly: it is all there, or none of it is.

        ``merge(record, change) -> (changed fields, lost values)`` is the merge rule
        (``sync.merge.merge_change``); it is passed in because the rule belongs to
        sync, which the server shares, and storage imports nothing of sync.

        ``progress(done, total)`` is told the changes applied after each slice of
        ``_PREFETCH`` (a big USB import takes seconds); the last call, ``done == total``,
        comes before the commit, so it means "all applied, committing".

        ``refused``: the server's ``[{seq, reason}]`` for our changes it took but will
        never apply; they are set aside (``set_aside``) in the same transaction as
        the acknowledgement that takes them out of the outbox, so none is lost unseen.

        ``domain_check=False`` (a pulled page with more to come) leaves the domain check
        to the apply that ends the pull: it reads every receipt held, so running it after
        each page of a long initial pull would cost time that grows with the pull. A
        check left owed is kept in ``meta`` with the page, so the next apply that checks
        runs it even if its own changes watch nothing."""
        core = self._core
        sealer = core.need_key()
        batch = [check_change(c) for c in changes]
        result = ApplyResult(received=len(batch))
        # Everything here can be fetched again (the cursor and the bundle id commit with it),
        # so the commit does not wait for the disk (Core.atomic).
        with core.atomic(wait_for_disk=False), translate_errors():
            conn = core.conn
            if bundle is not None:
                conn.execute("INSERT INTO seen_bundles VALUES (?, ?, ?)", (*bundle, hlc.encode(core.clock.last)))
            peers = dict(conn.execute("SELECT device_id, seq FROM peers"))
            for start in range(0, len(batch), _PREFETCH):
                self._apply_slice(sealer, batch[start:start + _PREFETCH], peers, result, merge)
                if progress is not None:
                    progress(min(start + _PREFETCH, len(batch)), len(batch))
            conn.executemany("INSERT OR REPLACE INTO peers VALUES (?, ?)", list(peers.items()))
            self._finish(batch, result, cursor=cursor, acked=acked, refused=refused, bundled=bundle is not None)
            self._domain_after(batch, result, domain_check)
        if result.new:
            log.info("applied %d change(s) to %d record(s), %d conflict(s)", result.new, result.records, result.conflicts)
        return result

    def _finish(self, batch: list[dict], result: ApplyResult, *, cursor: int | None, acked: int | None,
                refused: list[dict] | None, bundled: bool) -> None:
        """What commits with the applied changes: the cursor, the acknowledgement, the set-aside
        refusals, the audit entry and the domain check."""
        if cursor is not None:
            self._core.set_meta("pull_cursor", str(int(cursor)))
        if acked is not None:
            self._outbox.acknowledge(acked)
        if refused:
            result.set_aside = self._outbox.record_refusals(refused)
        if result.new or bundled:
            self._audit.add("sync_applied", detail={"new": result.new, "conflicts": result.conflicts})

    def _domain_after(self, batch: list[dict], result: ApplyResult, domain_check: bool) -> None:
        """The domain check, in the same transaction: the merge and its review items together."""
        watched = bool(result.new) and any(c["kind"] in domain.WATCHED_KINDS for c in batch)
        if not domain_check:
            if watched:
                self._core.set_meta(_DOMAIN_CHECK_OWED, "1")
        elif watched or self._core.query_one(f"SELECT 1 FROM meta WHERE key = '{_DOMAIN_CHECK_OWED}'"):
            self.check_domain()

    def _apply_slice(self, sealer: crypto.Sealer, batch: list[dict], peers: dict, result: ApplyResult, merge: Merge) -> None:
        rows = self._records.rows(list({c["record_id"] for c in batch}))
        pending: dict[str, _Pending] = {}
        for c in batch:
            if self._seen(c, peers, result):
                continue
            p = pending.get(c["record_id"])
            if p is None:
                p = pending[c["record_id"]] = self._pending(sealer, c, rows.get(c["record_id"]), result)
                if p.changed:  # a record new here: its first change is the whole of it
                    continue
            if p.record.kind != c["kind"]:
                # Seen (the origin's sequence stays in step) but not applied, so not new.
                result.ignored += 1
                log.warning("change %s:%d names another kind for record %s; not applied", c["device_id"], c["seq"],
                            c["record_id"])
                continue
            self._receive(c, result)
            self._merge(sealer, p, c, result, merge)
        self._write(sealer, pending, result)

    def _seen(self, c: dict, peers: dict, result: ApplyResult) -> bool:
        """Whether ``c`` is to be skipped: already applied here, our own, or of a local-only
        kind. Moves the origin's high-water mark."""
        dev, seq = c["device_id"], c["seq"]
        if dev == self._core.device_id or seq <= peers.get(dev, 0):
            result.duplicates += 1
            return True
        peers[dev] = seq
        if c["kind"] in LOCAL_KINDS:
            # A replica that still sends its drafts (one older than schema 0007, or a
            # forged change) must not put them here: skipped, but counted as seen so
            # that the origin's sequence stays in step.
            result.ignored += 1
            log.warning("change %s:%d is of local-only kind %s; not applied", dev, seq, c["kind"])
            return True
        return False

    def _pending(self, sealer: crypto.Sealer, c: dict, row: tuple | None, result: ApplyResult) -> _Pending:
        """The record ``c`` applies to, as read (or as new here)."""
        rid, dev = c["record_id"], c["device_id"]
        if row is not None:
            rec = decode(sealer, row)
            return _Pending(rec, True, dict(rec.fields), ref=row[REF], outbox_seq=row[OUTBOX_SEQ])
        if c["deleted"]:
            return _Pending(Record(rid, c["kind"], c["form_id"], c["form_version"], {}, {}, False), False)
        # A record new here (every record of an initial pull): its first change is the
        # whole of it, one stamp for every field, as a local save stores it.
        self._receive(c, result)
        rec = Record(rid, c["kind"], c["form_id"], c["form_version"], dict(c["fields"]), f"{c['hlc']}@{dev}", False)
        return _Pending(rec, False, changed=set(c["fields"]) or {"_created"},
                        # Its audit entry keeps only the author and the stamp (``_audit_row``).
                        origins=[(dev, c["hlc"], (), False, c.get("author"))])

    def _receive(self, c: dict, result: ApplyResult) -> None:
        """Count a change about to be applied, and take its stamp into our clock."""
        result.new += 1
        try:
            self._core.clock.receive(c["hlc"])
        except hlc.ClockTooFarAhead:
            # The server bounds clocks; this is a second line of defence. Apply the
            # change, but never let it drag our clock into the future.
            result.clock_warnings += 1
            log.warning("a change from device %s is stamped far ahead of this clock", c["device_id"])

    def _merge(self, sealer: crypto.Sealer, p: _Pending, c: dict, result: ApplyResult, merge: Merge) -> None:
        rec, dev, rid = p.record, c["device_id"], c["record_id"]
        changed, lost = merge(rec, c)
        p.changed |= changed
        if changed:
            p.origins.append((dev, c["hlc"], sorted(f for f in changed if f != DELETED), c["deleted"], c.get("author")))
        for item in lost:
            # The losing value is this change's own (it came too late), or one held here.
            author = c.get("author") if item.stamp == f"{c['hlc']}@{dev}" else None
            result.conflicts += self._conflict(sealer, rec, item.field, item.value, item.stamp, item.winner, author)
        for r in c.get("resolves") or ():
            # Another replica resolved a conflict: it is closed here too. Delivery order
            # brings the changes that made the conflict before the resolution.
            self._core.conn.execute("UPDATE conflicts SET resolution = ? WHERE record_id = ? AND field = ? AND stamp = ? "
                                    "AND resolution IS NULL", (r["resolution"], rid, r["field"], r["stamp"]))

    def _write(self, sealer: crypto.Sealer, pending: dict[str, _Pending], result: ApplyResult) -> None:
        """Write every record the slice changed, with its index tokens and audit entries."""
        new_rows, new_live, audit_rows = [], [], []
        pulled: dict[str, list] = {}  # device -> [(id bytes, author, stamp)] of the records new here it made
        for rid, p in pending.items():
            if not p.changed:
                continue
            result.records += 1
            rec = p.record
            newest = rec.compact_stamp
            stored_clocks = None if newest is not None else encode_clocks(rec.clocks, rec.fields)
            newest = newest or max(rec.clocks.values())
            if p.exists:
                self._rewrite(sealer, p, newest)
                audit_rows.append(self._audit_row(p))
                continue
            new_rows.append((rid, rec.kind, rec.form_id, rec.form_version, stored_clocks, newest,
                             int(rec.deleted), sealer.seal("record", rid, _dumps(rec.fields))))
            if not rec.deleted:
                new_live.append(rec)
            if p.origins:
                # Credited as ``_audit_row`` credits it: to the last change's laptop, with the first's author.
                first = p.origins[0]
                pulled.setdefault(p.origins[-1][0], []).append((uuid_bytes(rid), first[4], first[1]))
            else:
                audit_rows.append(self._audit_row(p))
        refs = self._records.insert_pulled(new_rows)
        for kind in {r.kind for r in new_live}:
            self._index.insert(self._index.rows_for(kind, [(refs[r.id], r.fields) for r in new_live if r.kind == kind]))
        audit_rows += [_pulled_entry(dev, made) for dev, made in pulled.items()]
        self._audit.add_rows(self._audit.rows(audit_rows))

    def _rewrite(self, sealer: crypto.Sealer, p: _Pending, newest: str) -> None:
        rec = p.record
        # Our own creation change may still read this row: give it its own copy first.
        as_read = Record(rec.id, rec.kind, rec.form_id, rec.form_version, p.old_fields, {}, False)
        self._outbox.keep_creation(sealer, as_read, p.outbox_seq)
        self._records.write(sealer, rec, newest)
        if rec.deleted:
            self._index.remove(rec.kind, p.old_fields, p.ref)
        else:
            self._index.reindex(rec, p.ref, p.old_fields, p.changed)

    @staticmethod
    def _audit_row(p: _Pending) -> tuple:
        """The record's audit entry, for ``AuditLog.rows``. Credited to the laptop the change came from, not to whoever is unlocked here.
        An edit keeps what changed, when, where and by whom (sealed); a record new here
        keeps only its author, when the change named one: its id says when it was made."""
        dev = p.origins[-1][0] if p.origins else "?"
        detail = None
        if p.exists:
            detail = {"changes": [_origin_detail(*o) for o in p.origins]}
        elif p.origins and p.origins[0][4]:
            detail = {"author": p.origins[0][4], "hlc": p.origins[0][1]}
        return ("sync_edit", p.record.id, detail, ORIGIN_PREFIX + dev, None)

    # -- conflicts, for review -----------------------------------------------------------
    def _conflict(self, sealer: crypto.Sealer, rec: Record, name: str, value: object, stamp: str, winner: str,
                  author: str | None = None) -> int:
        kept = {"value": value, "author": author} if author else {"value": value}
        body = sealer.seal("conflict", f"{rec.id}|{name}|{stamp}", _dumps(kept))
        cur = self._core.conn.execute(
            "INSERT OR IGNORE INTO conflicts (record_id, kind, field, stamp, winner, found, body) VALUES (?,?,?,?,?,?,?)",
            (rec.id, rec.kind, name, stamp, winner, hlc.encode(self._core.clock.last), body),
        )
        return cur.rowcount

    def conflicts(self, *, include_resolved: bool = False, record_id: str | None = None) -> list[Conflict]:
        """Values that lost a concurrent write, newest first."""
        sealer = self._core.need_key()
        sql = "SELECT id, record_id, kind, field, stamp, winner, found, resolution, body FROM conflicts"
        where, args = [], []
        if not include_resolved:
            where.append("resolution IS NULL")
        if record_id is not None:
            where.append("record_id = ?")
            args.append(record_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with translate_errors():
            rows = self._core.conn.execute(sql + " ORDER BY id DESC", args).fetchall()
        out = []
        for cid, rid, kind, name, stamp, winner, found, resolution, body in rows:
            try:
                kept = _loads(sealer.open("conflict", f"{rid}|{name}|{stamp}", body))
                value = kept["value"]
            except (crypto.AuthenticationFailed, orjson.JSONDecodeError, KeyError, TypeError):
                raise DamagedRecord(rid, "conflict for record") from None
            author = kept.get("author")
            out.append(Conflict(cid, rid, kind, name, value, stamp, winner, found, resolution,
                                author if isinstance(author, str) else None))
        return out

    def open_conflict_count(self) -> int:
        """How many conflicts wait for review (plaintext: nothing is decrypted)."""
        row = self._core.query_one("SELECT count(*) FROM conflicts WHERE resolution IS NULL")
        return row[0] if row else 0

    def resolve_conflict(self, conflict_id: int, *, restore: bool) -> None:
        """Close a conflict. ``restore`` writes the losing value back as a new edit, which then wins everywhere."""
        matches = [c for c in self.conflicts(include_resolved=True) if c.id == conflict_id]
        if not matches:
            raise UnknownRecord(f"There is no conflict {conflict_id} in this profile.")
        conflict = matches[0]
        if conflict.resolution is not None:
            raise InvalidRecord(f"Conflict {conflict_id} was already resolved ({conflict.resolution}).")
        resolution = "restored" if restore else "kept"
        # The resolution is a change: it syncs, and every replica (the hub, the other
        # laptops, one enrolled later) closes the same conflict, named by its record,
        # field and losing stamp (docs/sync.md, "Resolving a conflict").
        resolves = [{"field": conflict.field, "stamp": conflict.stamp, "resolution": resolution}]
        core = self._core
        sealer = core.need_key()
        with core.atomic():
            record = decode(sealer, self._records.row(conflict.record_id))
            if restore and record.fields.get(conflict.field, MISSING) != conflict.value:
                self._records.edit(conflict.record_id, {conflict.field: conflict.value}, resolves=resolves)
            elif record.kind not in LOCAL_KINDS:
                # Keep (or a restore whose value is already current): a change with no
                # fields, which changes no record anywhere and closes the conflict.
                self._outbox.append(sealer, record, core.clock.tick(), {}, None, resolves, deleted=False)
            with translate_errors():
                core.conn.execute("UPDATE conflicts SET resolution = ? WHERE id = ?", (resolution, conflict_id))
            self._audit.add("conflict_restored" if restore else "conflict_kept", conflict.record_id,
                            detail={"field": conflict.field})

    # -- domain checks after a merge (rules/domain.py) -----------------------------------
    def domain_reviews(self) -> list[dict]:
        """The open review items the last domain check found (record ids and round ids only)."""
        row = self._core.query_one("SELECT value FROM meta WHERE key = 'domain_reviews'")
        return _loads(row[0]) if row else []

    def check_domain(self) -> tuple[list[str], list[str]]:
        """Run the shared check over every receipt held; keep its items as the open review
        items, and audit each raised and each closed. Returns (raised keys, closed keys)."""
        with self._core.atomic():
            receipts = [(r.id, r.fields, r.deleted) for r in self._records.list(domain.RECEIPT)]
            links: dict[str, str] = {}
            households: set[str] = {f["household"] for _, f, _ in receipts if isinstance(f.get("household"), str)}
            for hid in sorted(households):
                try:
                    target = self._records.get(hid).fields.get(domain.LINK_FIELD)
                except UnknownRecord:
                    continue  # the household has not arrived yet: it counts as itself
                if isinstance(target, str):
                    links[hid] = target
            items = domain.double_distributions(receipts, links)
            before = [i["key"] for i in self.domain_reviews()]
            raised, closed = domain.diff(before, [i.key for i in items])
            self._core.set_meta("domain_reviews", _dumps([i.to_json() for i in items]).decode())
            self._core.conn.execute("DELETE FROM meta WHERE key = ?", (_DOMAIN_CHECK_OWED,))
            for key in raised:
                self._audit.add("review_raised", detail={"key": key})
            for key in closed:
                self._audit.add("review_closed", detail={"key": key})
        if raised or closed:
            log.info("domain check: %d review item(s) raised, %d closed", len(raised), len(closed))
        return raised, closed
