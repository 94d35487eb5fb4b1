"""Several server processes behind one socket: ``server run --workers N``.

The process manager starts each worker afresh (it does not fork a running app),
so a worker builds its app from an import string, ``sync.server.workers:app``,
and reads its settings from the environment the parent set. Every worker opens
the same data folder (one key file) and the same database: they are stateless
apart from it, so any worker may take any request (docs/sync.md, "Scale-out").
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .settings import Settings

ENV = "FIELDBOOK_SERVER_SETTINGS"  # JSON of the Settings; set by 'server run' for its workers


def settings_to_env(settings: Settings) -> str:
    return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()})


def settings_from_env() -> Settings:
    raw = os.environ.get(ENV)
    if not raw:
        raise RuntimeError(f"{ENV} is not set: start workers with 'server run --workers N'.")
    values = json.loads(raw)
    values["data_dir"] = Path(values["data_dir"])
    return Settings(**values)


def app():
    """The app factory each worker calls."""
    from .app import create_app
    from .cli import _attach_log

    settings = settings_from_env()
    _attach_log(settings.data_dir)
    return create_app(settings)
