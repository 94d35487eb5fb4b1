"""The encrypted local store. Pure Python: no Qt, nothing from sync/ or gui/."""
from __future__ import annotations

from .errors import StorageError
from .store import LOCAL_KINDS, Change, Record, Store, VerifyReport, is_local_kind

__all__ = ["LOCAL_KINDS", "Change", "Record", "StorageError", "Store", "VerifyReport", "is_local_kind"]
