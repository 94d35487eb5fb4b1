"""Changes made at the hub itself: data cleaning, and conflicts resolved once for everyone.

An edit at the hub is a change like any other (docs/sync.md, "Changes made at the hub"):
it carries the hub's own origin id (the server id) and the next sequence number of that
origin, a stamp from the hub's clock that is past every stamp the record holds, and the
``bases`` it overwrote. It goes through the same merge as a laptop's push
(``Hub._apply``), enters the change log, and reaches the team's laptops at their next pull,
where it is applied like any other device's change: a laptop that edited the same field
meanwhile keeps the losing value for review, as for any concurrent write.

A resolution made at the hub is the change session 5 made a laptop's resolution: no fields
(keep) or the lost value written back (restore), with ``resolves`` naming the conflict by
record, field and losing stamp. Every replica closes that conflict when the change reaches
it, so a team lead decides once, at the hub or on a laptop.

Who made each hub change is kept in ``hub_changes`` (web user or "(command line)"), and
each one is audited in ``events``; neither holds a value.
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from rules import domain

from ..errors import SyncError
from .hub import Hub, PushResult


class HubEditRefused(SyncError):
    """An edit or a resolution at the hub that cannot be made; nothing was changed."""


class UnknownConflict(HubEditRefused):
    """No conflict has that id."""


@dataclass
class HubChange:
    seq: int
    record_id: str
    fields: list[str]          # names only
    resolved: list[int]        # conflict ids closed by it


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def origin(hub: Hub) -> str:
    """The device id the hub's own changes carry: its server id (never a laptop's)."""
    return hub.server_id


def edit_record(hub: Hub, record_id: str, fields: dict[str, Any], *, actor: str) -> HubChange:
    """Change ``fields`` of a record at the hub, as a synced change. Fields whose value is
    already the current one are left out; with nothing left, nothing is written."""
    if not isinstance(fields, dict) or not fields:
        raise HubEditRefused("Give at least one answer to change.")
    with hub.db.transaction():
        current = _record(hub, record_id)
        changed = {k: v for k, v in fields.items() if current["fields"].get(k) != v}
        if not changed:
            return HubChange(0, record_id, [], [])
        seq = _write(hub, current, changed, [], actor=actor)
        _audit(hub, "hub_edit", f"{record_id} #{seq}: {', '.join(sorted(changed))}", actor)
    return HubChange(seq, record_id, sorted(changed), [])


def add_record(hub: Hub, team: str, kind: str, fields: dict[str, Any], *, actor: str) -> HubChange:
    """Make a new record at the hub, in ``team`` (whose laptops receive it at their next pull),
    as a synced change, inside the caller's transaction (a decision writes several changes)."""
    if not isinstance(fields, dict) or not fields:
        raise HubEditRefused("A new record needs at least one answer.")
    record_id = new_record_id()
    record = {"record_id": record_id, "team": team, "kind": kind, "form_id": None, "form_version": None,
              "clocks": {}, "deleted": False, "fields": {}}
    seq = _write(hub, record, fields, [], actor=actor)
    _audit(hub, "hub_record", f"{record_id} ({kind}) #{seq}", actor)
    return HubChange(seq, record_id, sorted(fields), [])


def change_record(hub: Hub, record_id: str, fields: dict[str, Any], resolves: list[dict], *, actor: str,
                  event: str = "hub_edit") -> HubChange:
    """One change to an existing record inside the caller's transaction, written even when a
    value is already the current one (a decision's verdict and link travel together)."""
    current = _record(hub, record_id)
    seq = _write(hub, current, fields, resolves, actor=actor)
    _audit(hub, event, f"{record_id} #{seq}: {', '.join(sorted(fields))}", actor)
    return HubChange(seq, record_id, sorted(fields), [])


def new_record_id() -> str:
    """A UUIDv7 (RFC 9562), as the laptops' record ids are: time-ordered text.
    Written here because the server does not import the store's id maker, and the
    standard library's uuid has no version 7 before Python 3.14."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def resolve_conflicts(hub: Hub, conflict_ids: list[int], *, restore: bool, actor: str) -> list[HubChange]:
    """Close these open conflicts everywhere: keep the current value, or restore the lost one.
    All or nothing: an unknown or already closed conflict refuses the whole set."""
    if not conflict_ids:
        raise HubEditRefused("Choose at least one conflict.")
    resolution = "restored" if restore else "kept"
    done = []
    with hub.db.transaction():
        rows = []
        for cid in dict.fromkeys(conflict_ids):
            found = hub.db.execute("SELECT record_id, field, stamp, resolution, body FROM conflicts WHERE id = ?", (cid,))
            if not found:
                raise UnknownConflict(f"There is no conflict {cid} on this server; 'server conflicts' lists them.")
            rid, name, stamp, closed, body = found[0]
            if closed is not None:
                raise HubEditRefused(f"Conflict {cid} was already resolved ({closed}); nothing was changed.")
            rows.append((cid, rid, name, stamp, body))
        if restore:
            fields_seen: dict[tuple[str, str], int] = {}
            for cid, rid, name, _, _ in rows:
                if (rid, name) in fields_seen:
                    raise HubEditRefused(f"Conflicts {fields_seen[(rid, name)]} and {cid} are two lost values of one answer; "
                                         "restore one of them (nothing was changed).")
                fields_seen[(rid, name)] = cid
        for cid, rid, name, stamp, body in rows:
            current = _record(hub, rid, allow_deleted=not restore)
            value = orjson.loads(hub.unseal(f"conflict|{rid}|{name}|{stamp}", body))["value"]
            fields = {name: value} if restore and current["fields"].get(name, _MISSING) != value else {}
            if restore and current["deleted"]:
                raise HubEditRefused(f"Record {rid} was deleted; its lost value cannot be restored (nothing was changed).")
            resolves = [{"field": name, "stamp": stamp, "resolution": resolution}]
            seq = _write(hub, current, fields, resolves, actor=actor)
            _audit(hub, "conflict_" + resolution, f"{rid} {name} (conflict {cid}) #{seq}", actor)
            done.append(HubChange(seq, rid, sorted(fields), [cid]))
    return done


def authors(hub: Hub) -> dict[int, str]:
    """Who made each of the hub's own changes (its sequence number -> web user)."""
    return {seq: actor for seq, actor in hub.db.execute("SELECT seq, actor FROM hub_changes")}


_MISSING = object()


def _audit(hub: Hub, event: str, detail: str, actor: str) -> None:
    hub.db.execute("INSERT INTO events (at, device_id, event, detail, actor) VALUES (?, ?, ?, ?, ?)",
                   (_now_ms(), origin(hub), event, detail, actor))


def _record(hub: Hub, record_id: str, *, allow_deleted: bool = False) -> dict:
    rows = hub.db.execute("SELECT team, kind, form_id, form_version, clocks, deleted, body FROM records WHERE record_id = ?",
                          (record_id,))
    if not rows:
        raise HubEditRefused(f"There is no record {record_id} on this server.")
    team, kind, form_id, version, clocks, deleted, body = rows[0]
    if deleted and not allow_deleted:
        raise HubEditRefused(f"Record {record_id} was deleted; it cannot be edited (nothing was changed).")
    return {"record_id": record_id, "team": team, "kind": kind, "form_id": form_id, "form_version": version,
            "clocks": orjson.loads(clocks), "deleted": bool(deleted),
            "fields": orjson.loads(hub.unseal(f"record|{record_id}", body))}


def _write(hub: Hub, record: dict, fields: dict, resolves: list[dict], *, actor: str) -> int:
    """Apply one hub change through the hub's merge, inside the caller's transaction."""
    db, me = hub.db, origin(hub)
    clocks = record["clocks"]
    # Past every stamp the record holds, so the edit wins here whatever the laptops' clocks
    # said (within the bound the hub enforces); and past the hub's own last stamp.
    newest = max((st.partition("@")[0] for st in clocks.values()), default=None)
    hlc = hub._tick(newest)
    seq = (db.execute("SELECT max(seq) FROM changes WHERE device_id = ?", (me,))[0][0] or 0) + 1
    change = {"device_id": me, "seq": seq, "record_id": record["record_id"], "kind": record["kind"],
              "form_id": record["form_id"], "form_version": record["form_version"], "hlc": hlc, "deleted": False,
              "bases": {k: clocks[k] for k in fields if k in clocks}, "fields": fields}
    if resolves:
        change["resolves"] = resolves
    result = PushResult(received=1)
    now = _now_ms()
    hub.changes.apply(me, record["team"], [change], result, now)
    if result.refused:
        raise HubEditRefused(f"The change to record {record['record_id']} was refused: {result.refused[0]['reason']} "
                             "(nothing was changed).")
    if record["kind"] in domain.WATCHED_KINDS:
        hub.domain.after_push(now, [record["record_id"]])
    db.execute("INSERT INTO hub_changes (seq, record_id, actor, at) VALUES (?, ?, ?, ?)", (seq, record["record_id"], actor, now))
    return seq
