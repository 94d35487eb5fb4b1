"""Built-in forms, translations and icons, and the one helper that finds them.

Frozen (a packaged build) the files live under ``sys._MEIPASS``; from source,
beside this file. Every resource is resolved through :func:`resource_path`.
"""
from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("forms", "household.xlsx")``."""
    return resource_root().joinpath(*parts)
