"""Files that sync writes and reads: bundles on a USB stick, the server's key file.

Writes are atomic (temp file beside the target, fsync, rename), so a pulled stick
or a power cut never leaves half a file under the final name.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .bundle import MAX_BUNDLE_BYTES
from .errors import BundleTooLarge, SyncError


def read_bundle_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleTooLarge("bundle", size, MAX_BUNDLE_BYTES)
        return path.read_bytes()
    except OSError as exc:
        raise SyncError(f"Cannot read {path}: {exc.strerror}.") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file beside the target, fsync, rename: a pulled USB stick never holds half a bundle."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = "the disk is full" if exc.errno == 28 else exc.strerror
        raise SyncError(f"Cannot write {path}: {reason}. Nothing was written; free space or choose another place.") from None
