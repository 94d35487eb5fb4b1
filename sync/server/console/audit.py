"""Console actions go to the server's audit log (the ``events`` table), with the web user.

Details hold ids, counts, teams and field names; never an answer's value.
"""
from __future__ import annotations

import logging
import time

from ..db import Database

log = logging.getLogger("fieldbook.server.console")


def audit(db: Database, event: str, *, actor: str | None, device_id: str | None = None, detail: str | None = None) -> None:
    db.execute("INSERT INTO events (at, device_id, event, detail, actor) VALUES (?, ?, ?, ?, ?)",
               (time.time_ns() // 1_000_000, device_id, event, detail, actor))
    log.info("%s by %s%s", event, actor or "-", f": {detail}" if detail else "")


def recent(db: Database, *, events: tuple[str, ...], limit: int = 10) -> list[dict]:
    marks = ",".join("?" * len(events))
    rows = db.execute(f"SELECT at, device_id, event, detail, actor FROM events WHERE event IN ({marks}) ORDER BY id DESC LIMIT ?",
                      (*events, limit))
    return [{"at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(at / 1000)), "device_id": dev, "event": ev,
             "detail": detail, "actor": actor} for at, dev, ev, detail, actor in rows]
