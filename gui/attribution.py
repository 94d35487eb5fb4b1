"""Who did something, on which laptop, and when: one formatter for every screen that says so
(a record's history, the conflicts list).

A write is stamped ``hlc@device`` (storage), and the audit log names the person who was
unlocked on this laptop. A change that came by sync carries its author's name (the name
that person chose on their laptop) since schema 0009; an older one names only the laptop
it was made on, and nobody here is credited with it.
"""
from __future__ import annotations

import time

from storage.hlc import wall_ms

from .i18n import tr

SHORT_DEVICE = 8  # characters of a device id shown: enough to tell a team's laptops apart


def when_text(ts: float | None) -> str:
    """A moment to the minute, in local time ('' for none)."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def stamp_time(stamp: str) -> float:
    """Seconds since the epoch of an ``hlc`` or ``hlc@device`` stamp."""
    try:
        return wall_ms(stamp.split("@", 1)[0]) / 1000.0
    except (ValueError, AttributeError):
        return 0.0


def stamp_device(stamp: str) -> str:
    return stamp.split("@", 1)[1] if "@" in stamp else ""


def laptop_text(device: str | None, this_device: str) -> str:
    """'this laptop', or another one by the start of its id ('' when not known)."""
    if device is None or device == this_device:
        return tr("this laptop")
    if not device:
        return tr("another laptop")
    return tr("another laptop ({id})").format(id=device[:SHORT_DEVICE])


def who_text(user: str | None, device: str | None, this_device: str, *, user_id: str | None = None) -> str:
    """The person (when this laptop knows them) and the laptop: 'Olena K., this laptop'."""
    if user_id == "recovery":
        user = tr("someone with the recovery key")
    laptop = laptop_text(device, this_device)
    return tr("{person}, {laptop}").format(person=user, laptop=laptop) if user else laptop


def who_when(user: str | None, device: str | None, ts: float | None, this_device: str, *,
             user_id: str | None = None) -> str:
    """'Olena K., this laptop, 2026-11-27 14:05'."""
    who = who_text(user, device, this_device, user_id=user_id)
    return tr("{who}, {when}").format(who=who, when=when_text(ts)) if ts else who


def stamp_author(stamp: str, history: list, this_device: str) -> tuple[str | None, str | None, str | None]:
    """Who wrote the value stamped ``stamp`` (``hlc@device``), from the record's audit ``history``
    (``Store.audit_entries(record_id)``): ``(user name, user id, device)``.

    A stamp of this laptop belongs to the first local entry at or after its time (an edit's
    entry carries the edit's own stamp; a batch save's, the batch's last); another laptop's
    stamp is named by the change that brought it, when that change carried its author."""
    device = stamp_device(stamp)
    at = stamp.split("@", 1)[0]
    if device != this_device:
        return synced_author(at, device, history), None, device
    for e in history:
        if e.origin is None and e.hlc >= at and e.action in ("add", "edit", "conflict_restored"):
            return e.user_name, e.user_id, device
    return None, None, device


def synced_author(at: str, device: str, history: list) -> str | None:
    """The author's name of the change stamped ``at`` that came from ``device``, as the
    record's history keeps it (sealed audit details); None when it carried none."""
    for e in history:
        if e.origin != device or not e.detail:
            continue
        if e.detail.get("hlc") == at and e.detail.get("author"):
            return e.detail["author"]
        for c in e.detail.get("changes") or ():
            if c.get("hlc") == at and c.get("author"):
                return c["author"]
    return None
