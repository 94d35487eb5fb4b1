"""The store's side of sync: apply other devices' changes, acknowledge our own, keep conflicts.

The merge rule itself (per-field last writer wins, with concurrent losers kept)
lives in sync/merge.py and is passed in. This module does what only the store
can: read and write sealed records, and commit the changes, the pull cursor, the
acknowledgement and the bundle id in one transaction.

Changes from each origin device arrive in sequence order (docs/sync.md), so
``peers`` (the highest sequence number applied per origin) makes every apply
idempotent. A value that lost goes to ``conflicts``, sealed like a record body.
"""
from __future__ import annotations

import base64

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

import orjson

from rules import changes as changes_rule
from rules import domain

from . import crypto, hlc
from .errors import DamagedRecord, InvalidRecord, UnknownRecord

if TYPE_CHECKING:
    from .store import Record

log = logging.getLogger("fieldbook.storage")

_dumps = orjson.dumps
_loads = orjson.loads
_PREFETCH = 400


def _iso_ms(ms: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
Merge = Callable[["Record", dict], tuple]


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
    record: "Record | None"
    exists: bool
    old_fields: dict = field(default_factory=dict)
    changed: set = field(default_factory=set)
    ref: int | None = None          # records.ref, the blind index's handle
    outbox_seq: int | None = None   # our creation change still reading this row (see Store._keep_creation)
    origins: list = field(default_factory=list)  # (device, hlc, fields it changed, deleted, author) of each change applied


def _origin_detail(device: str, stamp: str, fields: list, deleted: bool, author: str | None) -> dict:
    """One applied change, as a sync entry's sealed audit detail keeps it."""
    out = {"device": device, "hlc": stamp, "fields": fields, "deleted": deleted}
    if author:
        out["author"] = author
    return out


def check_change(c: object) -> dict:
    """Refuse a malformed change before anything is written (``rules.changes``; the message
    names no value). Returns it normalised."""
    try:
        return changes_rule.check_change(c)
    except changes_rule.InvalidChange as exc:
        raise InvalidRecord(str(exc)) from None


class ReplicaMixin:
    """Sync operations of :class:`storage.Store` (kept apart so the store file stays readable)."""

    # -- settings kept in the store ----------------------------------------------
    def sync_settings(self) -> dict | None:
        """The enrollment (server URL, ids, pinned keys, team), or None before enrolling. Plaintext: no personal data."""
        row = self._query_one("SELECT value FROM meta WHERE key = 'sync'")
        return _loads(row[0]) if row else None

    def save_sync_settings(self, settings: dict | None) -> None:
        self._need_key()
        with self.atomic():
            if settings is None:
                self._conn.execute("DELETE FROM meta WHERE key = 'sync'")
            else:
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('sync', ?)", (_dumps(settings).decode(),))
            self._audit("sync_settings")

    def device_secret(self) -> bytes | None:
        """This device's private sync keys, sealed under the data key (a wipe destroys them too)."""
        sealer = self._need_key()
        row = self._query_one("SELECT value FROM meta WHERE key = 'device_secret'")
        if row is None:
            return None
        try:
            return sealer.open("device_secret", self.device_id, bytes.fromhex(row[0]))
        except (crypto.AuthenticationFailed, ValueError):
            raise DamagedRecord("device keys", "sealed") from None

    def set_device_secret(self, raw: bytes) -> None:
        sealer = self._need_key()
        blob = sealer.seal("device_secret", self.device_id, raw).hex()
        with self.atomic():
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('device_secret', ?)", (blob,))
            self._audit("device_keys_created")

    def last_sync_time(self) -> float | None:
        """When this laptop last completed a sync with its server (epoch seconds), or None.
        Kept with the rest of the sync state, so the status survives a restart offline."""
        row = self._query_one("SELECT value FROM meta WHERE key = 'last_sync'")
        try:
            return float(row[0]) if row else None
        except ValueError:
            return None

    def record_sync_time(self, when: float) -> None:
        """A sync with the server completed at ``when`` (epoch seconds). Plaintext, like the
        cursor: a time, no personal data."""
        self._need_key()
        with self.atomic():
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_sync', ?)", (f"{float(when):.3f}",))

    def pull_cursor(self) -> int:
        row = self._query_one("SELECT value FROM meta WHERE key = 'pull_cursor'")
        return int(row[0]) if row else 0

    def last_seq(self) -> int:
        return self._meta_int("last_seq", 0)

    def acknowledged_seq(self) -> int:
        row = self._query_one("SELECT max(seq) FROM changes WHERE device_id = ? AND acked = 1", (self.device_id,))
        # Schema 0007 removed draft changes from the outbox, acknowledged ones included;
        # it kept the highest acknowledged sequence in meta, so this never goes back.
        floor = self._query_one("SELECT value FROM meta WHERE key = 'acked_floor'")
        return max(row[0] or 0 if row else 0, int(floor[0]) if floor else 0)

    def peer_seqs(self) -> dict[str, int]:
        with self._errors():
            return dict(self._conn.execute("SELECT device_id, seq FROM peers"))

    # -- the outbox ----------------------------------------------------------------
    def acknowledge(self, upto_seq: int) -> int:
        """The server holds our changes up to ``upto_seq``: they leave the outbox. Returns how many."""
        with self.atomic():
            return self._acknowledge(upto_seq)

    def _acknowledge(self, upto_seq: int) -> int:
        cur = self._conn.execute(
            "UPDATE changes SET acked = 1 WHERE device_id = ? AND seq <= ? AND acked = 0", (self.device_id, int(upto_seq))
        )
        return cur.rowcount

    # -- bundles ---------------------------------------------------------------------
    def bundle_seen(self, bundle_id: str) -> str | None:
        """When a bundle with this id was imported here (HLC), or None."""
        row = self._query_one("SELECT at FROM seen_bundles WHERE bundle_id = ?", (bundle_id,))
        return row[0] if row else None

    def queue_forward(self, bundle_id: str, sender: str, data: bytes) -> bool:
        """Keep a bundle sealed to the server (unreadable here) to upload at the next sync."""
        self._need_key()
        with self.atomic():
            cur = self._conn.execute("INSERT OR IGNORE INTO forward_bundles VALUES (?, ?, ?)", (bundle_id, sender, data))
            if cur.rowcount:
                self._audit("bundle_queued_for_forwarding")
            return bool(cur.rowcount)

    def forward_queue(self) -> list[tuple[str, str, bytes]]:
        with self._errors():
            return list(self._conn.execute("SELECT bundle_id, sender, data FROM forward_bundles ORDER BY rowid"))

    def forwarded(self, bundle_id: str) -> None:
        with self.atomic():
            self._conn.execute("DELETE FROM forward_bundles WHERE bundle_id = ?", (bundle_id,))

    # -- forms published by the hub --------------------------------------------------------
    def published_forms(self) -> dict[str, str]:
        """The published forms held here: form id -> digest of its files."""
        with self._errors():
            return dict(self._conn.execute("SELECT form_id, sha256 FROM published_forms"))

    def published_form_files(self) -> list[dict]:
        """Every published form held here, decrypted: ``{form_id, version, title, xlsx, media}``."""
        sealer = self._need_key()
        out = []
        with self._errors():
            rows = list(self._conn.execute("SELECT form_id, version, sha256, body FROM published_forms ORDER BY form_id"))
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
        sealer = self._need_key()
        with self.atomic():
            if seq < self._meta_int("forms_catalogue_seq", 0):
                return False  # an older return bundle imported after a newer one
            held = dict(self._conn.execute("SELECT form_id, sha256 FROM published_forms"))
            changed = False
            for form_id in set(held) - set(listed):
                self._conn.execute("DELETE FROM published_forms WHERE form_id = ?", (form_id,))
                changed = True
            for f in files:
                if listed.get(f["form_id"]) != f["digest"] or held.get(f["form_id"]) == f["digest"]:
                    continue
                body = _dumps({"title": f["title"], "xlsx": base64.b64encode(f["xlsx"]).decode(),
                               "media": {k: base64.b64encode(v).decode() for k, v in f["media"].items()}})
                self._conn.execute("INSERT OR REPLACE INTO published_forms VALUES (?, ?, ?, ?)",
                                   (f["form_id"], f["version"], f["digest"],
                                    sealer.seal("published_form", f"{f['form_id']}|{f['digest']}", body)))
                changed = True
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('forms_catalogue_seq', ?)", (str(int(seq)),))
            if changed:
                self._audit("forms_received", detail={"forms": sorted(listed)})
            return changed

    # -- domain checks after a merge (rules/domain.py) -----------------------------------
    def domain_reviews(self) -> list[dict]:
        """The open review items the last domain check found (record ids and round ids only)."""
        with self._errors():
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'domain_reviews'").fetchone()
        return _loads(row[0]) if row else []

    def check_domain(self) -> tuple[list[str], list[str]]:
        """Run the shared check over every receipt held; keep its items as the open review
        items, and audit each raised and each closed. Returns (raised keys, closed keys)."""
        with self.atomic():
            receipts = [(r.id, r.fields, r.deleted) for r in self.list_records(domain.RECEIPT)]
            links: dict[str, str] = {}
            for hid in sorted({f.get("household") for _, f, _ in receipts if isinstance(f.get("household"), str)}):
                try:
                    target = self.get_record(hid).fields.get(domain.LINK_FIELD)
                except UnknownRecord:
                    continue  # the household has not arrived yet: it counts as itself
                if isinstance(target, str):
                    links[hid] = target
            items = domain.double_distributions(receipts, links)
            before = [i["key"] for i in self.domain_reviews()]
            raised, closed = domain.diff(before, [i.key for i in items])
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('domain_reviews', ?)",
                               (_dumps([i.to_json() for i in items]).decode(),))
            for key in raised:
                self._audit("review_raised", detail={"key": key})
            for key in closed:
                self._audit("review_closed", detail={"key": key})
        if raised or closed:
            log.info("domain check: %d review item(s) raised, %d closed", len(raised), len(closed))
        return raised, closed

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
        the acknowledgement that takes them out of the outbox, so none is lost unseen."""
        sealer = self._need_key()
        batch = [check_change(c) for c in changes]
        result = ApplyResult(received=len(batch))
        from .store import translate_errors

        with self.atomic(), translate_errors():
            conn = self._conn
            if bundle is not None:
                bundle_id, sender = bundle
                conn.execute(
                    "INSERT INTO seen_bundles VALUES (?, ?, ?)", (bundle_id, sender, hlc.encode(self.clock.last))
                )
            peers = dict(conn.execute("SELECT device_id, seq FROM peers"))
            for start in range(0, len(batch), _PREFETCH):
                self._apply_slice(sealer, batch[start:start + _PREFETCH], peers, result, merge)
                if progress is not None:
                    progress(min(start + _PREFETCH, len(batch)), len(batch))
            conn.executemany("INSERT OR REPLACE INTO peers VALUES (?, ?)", list(peers.items()))
            if cursor is not None:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('pull_cursor', ?)", (str(int(cursor)),))
            if acked is not None:
                self._acknowledge(acked)
            if refused:
                result.set_aside = self._set_aside(refused)
            if result.new or bundle is not None:
                self._audit("sync_applied", detail={"new": result.new, "conflicts": result.conflicts})
            if result.new and any(c["kind"] in domain.WATCHED_KINDS for c in batch):
                self.check_domain()  # in the same transaction: the merge and its review items together
        if result.new:
            log.info("applied %d change(s) to %d record(s), %d conflict(s)", result.new, result.records, result.conflicts)
        return result

    def _apply_slice(self, sealer: crypto.Sealer, batch: list[dict], peers: dict, result: ApplyResult, merge: Merge) -> None:
        from .store import _CLOCKS, LOCAL_KINDS, Record

        conn = self._conn
        me = self.device_id
        ids = list({c["record_id"] for c in batch})
        rows = {}
        marks = ",".join("?" * len(ids))
        for row in conn.execute(
            f"SELECT id, kind, form_id, form_version, {_CLOCKS}, deleted, body, ref, outbox_seq FROM records WHERE id IN ({marks})", ids
        ):
            rows[row[0]] = row
        pending: dict[str, _Pending] = {}
        for c in batch:
            dev, seq, rid = c["device_id"], c["seq"], c["record_id"]
            if dev == me or seq <= peers.get(dev, 0):
                result.duplicates += 1
                continue
            peers[dev] = seq
            if c["kind"] in LOCAL_KINDS:
                # A replica that still sends its drafts (one older than schema 0007, or a
                # forged change) must not put them here: skipped, but counted as seen so
                # that the origin's sequence stays in step.
                result.ignored += 1
                log.warning("change %s:%d is of local-only kind %s; not applied", dev, seq, c["kind"])
                continue
            p = pending.get(rid)
            if p is None:
                row = rows.get(rid)
                if row is None:
                    if not c.get("deleted"):
                        # A record new here (every record of an initial pull): its first change
                        # is the whole of it, one stamp for every field, as a local save stores it.
                        self._receive(c, result)
                        rec = Record(rid, c["kind"], c.get("form_id"), c.get("form_version"), dict(c["fields"]),
                                     f"{c['hlc']}@{dev}", False)
                        pending[rid] = _Pending(rec, False, changed=set(c["fields"]) or {"_created"},
                                                origins=[(dev, c["hlc"], sorted(c["fields"]), False, c.get("author"))])
                        continue
                    rec = Record(rid, c["kind"], c.get("form_id"), c.get("form_version"), {}, {}, False)
                    p = _Pending(rec, False)
                else:
                    rec = self._decode(sealer, row)
                    p = _Pending(rec, True, dict(rec.fields), ref=row[7], outbox_seq=row[8])
                pending[rid] = p
            rec = p.record
            if rec.kind != c["kind"]:
                # Seen (the origin's sequence stays in step) but not applied, so not new.
                result.ignored += 1
                log.warning("change %s:%d names another kind for record %s; not applied", dev, seq, rid)
                continue
            self._receive(c, result)
            changed, lost = merge(rec, c)
            p.changed |= changed
            if changed:
                p.origins.append((dev, c["hlc"], sorted(f for f in changed if f != "_deleted"), bool(c.get("deleted")),
                                  c.get("author")))
            for item in lost:
                # The losing value is this change's own (it came too late), or one held here.
                author = c.get("author") if item.stamp == f"{c['hlc']}@{dev}" else None
                result.conflicts += self._conflict(sealer, rec, item.field, item.value, item.stamp, item.winner, author)
            for r in c.get("resolves") or ():
                # Another replica resolved a conflict: it is closed here too. Delivery order
                # brings the changes that made the conflict before the resolution.
                conn.execute("UPDATE conflicts SET resolution = ? WHERE record_id = ? AND field = ? AND stamp = ? "
                             "AND resolution IS NULL", (r["resolution"], rid, r["field"], r["stamp"]))
        from .store import _encode_clocks

        from .store import _AUDIT_INSERT, ORIGIN_PREFIX

        new_rows, new_live, audit_rows = [], [], []
        for rid, p in pending.items():
            rec = p.record
            if not p.changed:
                continue
            result.records += 1
            if type(rec._clocks) is str:  # untouched since the fast path: one stamp, clocks stay NULL
                newest, stored_clocks = rec._clocks, None
            else:
                newest = max(rec.clocks.values())
                stored_clocks = _encode_clocks(rec.clocks, rec.fields)
            if p.exists:
                # Our own creation change may still read this row: give it its own copy first.
                as_read = Record(rid, rec.kind, rec.form_id, rec.form_version, p.old_fields, {}, False)
                self._keep_creation(sealer, as_read, p.outbox_seq)
                self._write_record(sealer, rec, newest)
            else:
                new_rows.append((rid, rec.kind, rec.form_id, rec.form_version, stored_clocks, newest,
                                 int(rec.deleted), sealer.seal("record", rid, _dumps(rec.fields))))
            if rec.deleted:
                if p.exists:
                    gone = self._tokens(rec.kind, p.old_fields)
                    conn.executemany("DELETE FROM blind_index WHERE token = ? AND ref = ?", [(t, p.ref) for t in gone])
            elif not p.exists:
                new_live.append(rec)
            else:
                self._reindex(rec, p.ref, p.old_fields, p.changed)
            # Credited to the laptop the change came from, not to whoever is unlocked here.
            # An edit keeps what changed, when and where (sealed); a record new here needs
            # none: its id says when it was made.
            # The author's name, when the change carried one, is in the sealed detail only.
            dev = p.origins[-1][0] if p.origins else "?"
            detail = None
            if p.exists:
                detail = {"changes": [_origin_detail(*o) for o in p.origins]}
            elif p.origins and p.origins[0][4]:
                detail = {"author": p.origins[0][4], "hlc": p.origins[0][1]}
            audit_rows.append(self._audit_row("sync_edit", rid, detail=detail, author=ORIGIN_PREFIX + dev))
        if new_rows:
            conn.executemany(
                "INSERT INTO records (id, kind, form_id, form_version, clocks, updated, deleted, body) VALUES (?,?,?,?,?,?,?,?)",
                new_rows,
            )
        if new_live:
            ids = [r.id for r in new_live]
            refs = dict(conn.execute(f"SELECT id, ref FROM records WHERE id IN ({','.join('?' * len(ids))})", ids))
            conn.executemany("INSERT OR IGNORE INTO blind_index VALUES (?, ?)", sorted(self._index_rows(new_live, refs)))
        conn.executemany(_AUDIT_INSERT, audit_rows)

    def _receive(self, c: dict, result: ApplyResult) -> None:
        """Count a change about to be applied, and take its stamp into our clock."""
        result.new += 1
        try:
            self.clock.receive(c["hlc"])
        except hlc.ClockTooFarAhead:
            # The server bounds clocks; this is a second line of defence. Apply the
            # change, but never let it drag our clock into the future.
            result.clock_warnings += 1
            log.warning("a change from device %s is stamped far ahead of this clock", c["device_id"])

    def _index_rows(self, records: list, refs: dict) -> list[tuple[bytes, int]]:
        """Blind-index rows for new records, a (kind, field) at a time as a bulk save makes them."""
        from . import normalize

        rows: list[tuple[bytes, int]] = []
        by_kind: dict[str, list] = {}
        for rec in records:
            by_kind.setdefault(rec.kind, []).append(rec)
        for kind, recs in by_kind.items():
            for name, normaliser in self._indexed(kind).items():
                norm = normalize.NORMALISERS[normaliser]
                present = [(refs[r.id], r.fields[name]) for r in recs if r.fields.get(name) not in (None, "")]
                tokens = crypto.blind_tokens(self._keys.blind_index, crypto.blind_prefix(kind, name), [norm(v) for _, v in present])
                rows += zip(tokens, [ref for ref, _ in present])
        return rows

    def _conflict(self, sealer: crypto.Sealer, rec: "Record", name: str, value: object, stamp: str, winner: str,
                  author: str | None = None) -> int:
        kept = {"value": value, "author": author} if author else {"value": value}
        body = sealer.seal("conflict", f"{rec.id}|{name}|{stamp}", _dumps(kept))
        cur = self._conn.execute(
            "INSERT OR IGNORE INTO conflicts (record_id, kind, field, stamp, winner, found, body) VALUES (?,?,?,?,?,?,?)",
            (rec.id, rec.kind, name, stamp, winner, hlc.encode(self.clock.last), body),
        )
        return cur.rowcount

    # -- conflicts, for review -----------------------------------------------------------
    def conflicts(self, *, include_resolved: bool = False, record_id: str | None = None) -> list[Conflict]:
        """Values that lost a concurrent write, newest first."""
        sealer = self._need_key()
        sql = "SELECT id, record_id, kind, field, stamp, winner, found, resolution, body FROM conflicts"
        where, args = [], []
        if not include_resolved:
            where.append("resolution IS NULL")
        if record_id is not None:
            where.append("record_id = ?")
            args.append(record_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        out = []
        with self._errors():
            rows = self._conn.execute(sql + " ORDER BY id DESC", args).fetchall()
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
        row = self._query_one("SELECT count(*) FROM conflicts WHERE resolution IS NULL")
        return row[0] if row else 0

    def resolve_conflict(self, conflict_id: int, *, restore: bool) -> None:
        """Close a conflict. ``restore`` writes the losing value back as a new edit, which then wins everywhere."""
        matches = [c for c in self.conflicts(include_resolved=True) if c.id == conflict_id]
        if not matches:
            raise UnknownRecord(f"There is no conflict {conflict_id} in this profile.")
        conflict = matches[0]
        if conflict.resolution is not None:
            raise InvalidRecord(f"Conflict {conflict_id} was already resolved ({conflict.resolution}).")
        from .store import _MISSING, LOCAL_KINDS

        resolution = "restored" if restore else "kept"
        # The resolution is a change: it syncs, and every replica (the hub, the other
        # laptops, one enrolled later) closes the same conflict, named by its record,
        # field and losing stamp (docs/sync.md, "Resolving a conflict").
        resolves = [{"field": conflict.field, "stamp": conflict.stamp, "resolution": resolution}]
        sealer = self._need_key()
        with self.atomic():
            record = self._decode(sealer, self._row(conflict.record_id))
            if restore and record.fields.get(conflict.field, _MISSING) != conflict.value:
                self.edit_record(conflict.record_id, {conflict.field: conflict.value}, _resolves=resolves)
            elif record.kind not in LOCAL_KINDS:
                # Keep (or a restore whose value is already current): a change with no
                # fields, which changes no record anywhere and closes the conflict.
                self._append_change(sealer, record, self.clock.tick(), {}, None, resolves, deleted=False)
            self._conn.execute("UPDATE conflicts SET resolution = ? WHERE id = ?", (resolution, conflict_id))
            self._audit("conflict_restored" if restore else "conflict_kept", conflict.record_id,
                        detail={"field": conflict.field})

    # -- changes the server refused for good: set aside ---------------------------------
    def _set_aside(self, refused: list[dict]) -> list[int]:
        """Keep the server's refusals, ``[{seq, reason}]`` (call inside a transaction).

        The changes stay in the outbox table, acknowledged (so they no longer hold
        back the ones after them), with their sealed values; the list lives in
        ``meta`` (ids, numbers and the server's reason: no values)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'set_aside'").fetchone()
        kept = {e["seq"]: e for e in (_loads(row[0]) if row else [])}
        now = self.clock.now_ms()
        added = []
        issued = self._tx.last_seq if self._tx is not None else self.last_seq()
        for r in refused:
            seq, reason = r.get("seq"), r.get("reason")
            if type(seq) is not int or seq in kept or seq > issued:
                continue
            reason = reason if isinstance(reason, str) else "refused"
            kept[seq] = {"seq": seq, "reason": reason[:200], "at_ms": now}
            added.append(seq)
        if added:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('set_aside', ?)",
                               (_dumps(sorted(kept.values(), key=lambda e: e["seq"])).decode(),))
            self._audit("changes_set_aside", detail={"seqs": added})
            log.warning("%d change(s) refused by the server for good; set aside", len(added))
        return added

    def set_aside_count(self) -> int:
        row = self._query_one("SELECT value FROM meta WHERE key = 'set_aside'")
        return len(_loads(row[0])) if row else 0

    def set_aside(self, *, values: bool = False) -> list[dict]:
        """Our changes the server refused for good, oldest first: ``{seq, record_id, kind,
        form_id, hlc, reason, set_aside_at, fields}`` where ``fields`` is the number of
        fields, or with ``values`` the fields themselves (personal data: for a deliberate
        support export only)."""
        sealer = self._need_key()
        row = self._query_one("SELECT value FROM meta WHERE key = 'set_aside'")
        entries = _loads(row[0]) if row else []
        out = []
        me = self.device_id
        for e in entries:
            with self._errors():
                got = self._conn.execute(
                    "SELECT c.record_id, c.kind, c.form_id, c.form_version, c.hlc, c.deleted, c.body, r.outbox_seq, r.updated, r.body "
                    "FROM changes c LEFT JOIN records r ON c.body IS NULL AND r.id = c.record_id "
                    "WHERE c.device_id = ? AND c.seq = ?", (me, e["seq"])).fetchone()
            if got is None:
                continue
            rid, kind, fid, fver, h, deleted, body, outbox_seq, updated, record_body = got
            try:
                if body is not None:
                    fields = _loads(sealer.open("change", f"{me}|{e['seq']}|{rid}", body))
                elif outbox_seq == e["seq"] and updated == f"{h}@{me}" and record_body is not None:
                    fields = _loads(sealer.open("record", rid, record_body))
                else:
                    raise crypto.AuthenticationFailed()
            except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                raise DamagedRecord(rid, "change for record") from None
            out.append({"seq": e["seq"], "record_id": rid, "kind": kind, "form_id": fid, "form_version": fver, "hlc": h,
                        "deleted": bool(deleted), "reason": e["reason"], "set_aside_at": _iso_ms(e["at_ms"]),
                        "fields": fields if values else len(fields)})
        return out

    # -- a clock that was once far ahead -------------------------------------------------
    def clock_status(self) -> dict:
        """What is known of this laptop's clock: how far its stored clock is ahead of its
        own date now, the last check against the server, and the last re-stamping."""
        row = self._query_one("SELECT value FROM meta WHERE key = 'hlc'")
        stored = hlc.decode(row[0]) if row else 0
        check = self._query_one("SELECT value FROM meta WHERE key = 'clock_check'")
        restamp = self._query_one("SELECT value FROM meta WHERE key = 'clock_restamp'")
        return {"stored_ahead_ms": max(0, (max(stored, self.clock.last) >> hlc.COUNTER_BITS) - self.clock.now_ms()),
                "check": _loads(check[0]) if check else None, "restamp": _loads(restamp[0]) if restamp else None}

    def note_clock_check(self, state: str, skew_ms: int) -> None:
        """Remember the last comparison with the server's clock (``state``: ok, ahead or
        behind; ``skew_ms``: this laptop's wall clock minus the server's). Written only
        when the state changes, so a normal sync costs no extra write."""
        row = self._query_one("SELECT value FROM meta WHERE key = 'clock_check'")
        if row and _loads(row[0]).get("state") == state == "ok":
            return
        with self.atomic():
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('clock_check', ?)",
                               (_dumps({"state": state, "skew_ms": int(skew_ms), "at_ms": self.clock.now_ms()}).decode(),))

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
        self._need_key()
        me = self.device_id
        with self.atomic():
            conn = self._conn
            now = self.clock.now_ms()
            limit = ((now + bound_ms) << hlc.COUNTER_BITS) | ((1 << hlc.COUNTER_BITS) - 1)
            cutoff = hlc.encode(limit)
            if self.clock.last <= limit:
                return None
            ahead_ms = (self.clock.last >> hlc.COUNTER_BITS) - now
            with self._errors():
                first = conn.execute("SELECT min(seq) FROM changes WHERE device_id = ? AND acked = 0 AND hlc > ?",
                                     (me, cutoff)).fetchone()[0]
                rows = [] if first is None else conn.execute(
                    "SELECT seq, record_id, hlc, bases FROM changes WHERE device_id = ? AND acked = 0 AND seq >= ? "
                    "ORDER BY seq", (me, first)).fetchall()
                kept = conn.execute("SELECT max(substr(updated, 1, 16)) FROM records WHERE substr(updated, 1, 16) <= ?",
                                    (cutoff,)).fetchone()[0]
                sent = conn.execute("SELECT max(hlc) FROM changes WHERE device_id = ? AND hlc <= ? AND (acked = 1 OR seq < ?)",
                                    (me, cutoff, first if first is not None else 1 << 62)).fetchone()[0]
            start = max([now << hlc.COUNTER_BITS] + [hlc.decode(v) for v in (floor, kept, sent) if v and hlc.decode(v) <= limit])
            self.clock.last = start
            fresh = self.clock.ticks(len(rows)) if rows else []
            moved = {f"{old}@{me}": f"{new}@{me}" for (_seq, _rid, old, _b), new in zip(rows, fresh)}

            def remap(stamp: str) -> str:
                return moved.get(stamp, stamp)

            with self._errors():
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
                note = {"changes": len(rows), "ahead_ms": int(ahead_ms), "at_ms": now}
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('clock_restamp', ?)", (_dumps(note).decode(),))
            self._audit("clock_restamped", detail={"changes": len(rows), "ahead_hours": round(ahead_ms / 3_600_000, 1)})
        log.warning("clock was %.1f h ahead; %d unsent change(s) re-stamped", ahead_ms / 3_600_000, len(rows))
        return note

    # -- helpers ------------------------------------------------------------------------
    def _errors(self):
        from .store import translate_errors

        return translate_errors()

    def _query_one(self, sql: str, args: tuple = ()) -> tuple | None:
        with self._errors():
            return self._conn.execute(sql, args).fetchone()
