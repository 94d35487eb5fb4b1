"""The encrypted local store. Pure Python: no Qt, nothing from sync/ or gui/."""
from __future__ import annotations

from .errors import StorageError
from .store import Change, Record, Store, VerifyReport

__all__ = ["Change", "Record", "StorageError", "Store", "VerifyReport"]
