"""The merge rule every replica runs: laptops (through storage) and the server alike.

Per field, the last writer wins by the stamp ``hlc@device_id``; stamps compare as
strings because the HLC part has a fixed width (docs/sync.md, "Merge"). A value
that loses to a *concurrent* write is returned as :class:`Lost`, for the
conflicts table; a value that loses to a write that had seen it is simply old.

A change carries ``bases``: the stamps its fields overwrote on the writer's
replica (for a delete: every clock it saw). A replica applies each origin
device's changes once, in sequence order, so:

- incoming stamp ``s`` beats local ``l``: the local value is a concurrent loser
  unless the writer had seen it (``l == base``) or something newer (``l < base``);
- incoming ``s`` loses to ``l``: the incoming value was never seen here, so it is
  a concurrent loser;
- a delete is final. Values it had not seen are kept as losers, whichever
  arrives first, so a late edit to a deleted record is never lost unseen;
- a tombstone's clocks are what the newest delete had seen, and its stamp. An
  edit that reaches a tombstone leaves them as they are, and so does a delete
  that arrives after an edit it had not seen: otherwise the laptop that made
  the edit would keep that edit's clock while every other replica kept the
  delete's, and replicas that hold the same values would disagree on clocks.

These rules rely on the delivery order docs/sync.md requires: each origin's
changes in sequence, and everything a writer had seen delivered before its write.

The functions are pure and work on any object with ``kind``, ``fields`` (dict),
``clocks`` (dict) and ``deleted`` (bool) attributes, which they change in place.
"""
from __future__ import annotations

from dataclasses import dataclass

DELETED = "_deleted"  # the clock key that stamps a delete (the same as storage's)


@dataclass(frozen=True)
class Lost:
    """A value that lost to a concurrent write: kept for review, never dropped."""

    field: str
    value: object
    stamp: str
    winner: str


def stamp_of(change: dict) -> str:
    return f"{change['hlc']}@{change['device_id']}"


def merge_change(rec, change: dict) -> tuple[set[str], list[Lost]]:
    """Apply one change to ``rec``; return the fields it changed and the values that lost."""
    st = stamp_of(change)
    fields = change.get("fields") or {}
    bases = change.get("bases") or {}
    if rec.deleted:
        return _onto_tombstone(rec, change, fields, bases, st)
    if change.get("deleted"):
        return _delete(rec, bases, st)
    return _edit(rec, fields, bases, st)


def _onto_tombstone(rec, change: dict, fields: dict, bases: dict, st: str) -> tuple[set[str], list[Lost]]:
    """A change reaching a deleted record: a newer delete restamps it, an edit is kept as lost."""
    clocks = rec.clocks
    if change.get("deleted"):
        changed: set[str] = set()
        if st > clocks.get(DELETED, ""):
            _tombstone_clocks(clocks, bases, st)  # the newest delete's, everywhere, whatever the order
            changed.add(DELETED)
        return changed, []
    # Changes arrive in an order that respects causality (each origin in sequence,
    # the server's log in commit order), so a delete that had seen this write
    # would have arrived after it. A write reaching a tombstone was therefore
    # concurrent with the delete, or lost to a write the delete saw: kept either way.
    return set(), [Lost(name, value, st, clocks[DELETED]) for name, value in fields.items()]


def _delete(rec, bases: dict, st: str) -> tuple[set[str], list[Lost]]:
    """A delete reaching a live record: the values it had not seen are kept as lost."""
    clocks = rec.clocks
    lost: list[Lost] = []
    for name, value in rec.fields.items():
        local = clocks.get(name)
        saw = bases.get(name)
        if local is not None and (saw is None or local > saw):
            lost.append(Lost(name, value, local, st))
    _tombstone_clocks(clocks, bases, st)
    rec.fields = {}
    rec.deleted = True
    return {DELETED}, lost


def _edit(rec, fields: dict, bases: dict, st: str) -> tuple[set[str], list[Lost]]:
    """An edit reaching a live record: field by field, the later stamp wins."""
    clocks = rec.clocks
    changed: set[str] = set()
    lost: list[Lost] = []
    for name, value in fields.items():
        local = clocks.get(name)
        if local is None or st > local:
            if local is not None and name in rec.fields and _concurrent(local, bases.get(name)):
                lost.append(Lost(name, rec.fields[name], local, st))
            rec.fields[name] = value
            clocks[name] = st
            changed.add(name)
        elif st < local:
            lost.append(Lost(name, value, st, local))
    return changed, lost


def _concurrent(local: str, base: str | None) -> bool:
    """Whether a local value overwritten by an incoming write had not been seen by its writer."""
    return local != base and (base is None or local > base)


def _tombstone_clocks(clocks: dict, bases: dict, st: str) -> None:
    """The clocks of a record deleted by the change stamped ``st`` that had seen ``bases``:
    the same on every replica, whichever edits reached it first (changed in place)."""
    clocks.clear()
    clocks.update((name, base) for name, base in bases.items() if name != DELETED)
    clocks[DELETED] = st
