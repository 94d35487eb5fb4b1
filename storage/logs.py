"""The profile's log file: ``DIR/logs/fieldbook.log``, rotated, owner-only.

Log lines carry ids, kinds, counts and field names, never a field's value:
every message is written by our own code, and the canary test reads this file.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

_attached: dict[Path, logging.Handler] = {}


def attach_profile_log(directory: Path, level: int = logging.INFO) -> Path | None:
    """Send the ``fieldbook`` loggers to the profile's log file. Safe to call twice."""
    directory = Path(directory)
    if directory in _attached:
        return directory / "logs" / "fieldbook.log"
    logs = directory / "logs"
    try:
        logs.mkdir(mode=0o700, exist_ok=True)
        path = logs / "fieldbook.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=False)
        os.chmod(path, 0o600)
    except OSError:
        return None  # a log we cannot write must never stop the work
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root = logging.getLogger("fieldbook")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _attached[directory] = handler
    return path


def detach_profile_log(directory: Path) -> None:
    handler = _attached.pop(Path(directory), None)
    if handler is not None:
        logging.getLogger("fieldbook").removeHandler(handler)
        try:
            handler.close()
        except OSError:
            pass  # its last flush failed (a full disk): the log is lost, the work is not
