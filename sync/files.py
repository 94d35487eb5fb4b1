"""Files that sync writes and reads: bundles on a USB stick, the server's key file.

Writes are atomic (temp file beside the target, fsync, rename), so a pulled stick
or a power cut never leaves half a file under the final name.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path
from typing import Callable

from .bundle import MAX_BUNDLE_BYTES
from .errors import BundleFileError, BundleFileMissing, BundleFolderMissing, BundleTooLarge, SyncError


def file_error(path: Path, action: str, exc: OSError) -> BundleFileError:
    """The typed error for a file system refusal: what happened, in words a person can act on."""
    if isinstance(exc, FileNotFoundError):
        # Writing, the file need not exist: only a missing folder makes it fail.
        if action == "write" or not path.parent.is_dir():
            return BundleFolderMissing(str(path), action)
        return BundleFileMissing(str(path))
    if isinstance(exc, IsADirectoryError) or (action == "read" and path.is_dir()):
        return BundleFileError(str(path), action, "is_folder")
    kind = {errno.EACCES: "denied", errno.EPERM: "denied", errno.ENOSPC: "full", errno.EROFS: "read_only",
            errno.EISDIR: "is_folder"}.get(exc.errno, "other")
    return BundleFileError(str(path), action, kind, exc.strerror or type(exc).__name__)


BUNDLE_SUFFIX = ".fbb"


def bundle_paths(names: list[str]) -> list[Path]:
    """The bundle files named, a folder standing for the ``.fbb`` files in it: the parts of
    a large USB export import as a set. Sorted so that parts come in order (``part2``
    before ``part10``), though any order gives the same result."""
    out: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = [p for p in path.iterdir() if p.suffix == BUNDLE_SUFFIX and not p.name.startswith(".") and p.is_file()]
            if not found:
                raise SyncError(f"The folder {path} holds no {BUNDLE_SUFFIX} bundle; nothing was imported.")
            out += sorted(found, key=_natural)
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _natural(path: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def read_bundle_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleTooLarge("bundle", size, MAX_BUNDLE_BYTES)
        return path.read_bytes()
    except OSError as exc:
        raise file_error(path, "read", exc) from None


WRITE_PIECE = 1024 * 1024  # progress granularity: a USB stick writes a megabyte in ~0.1 s


def write_atomically(path: Path, data: bytes, progress: Callable[[int, int], None] | None = None) -> None:
    """Temp file beside the target, fsync, rename: a pulled USB stick never holds half a bundle.

    ``progress(done, total)`` counts bytes written; the last call, ``done == total``,
    comes after the fsync and the rename (on a stick, the fsync is the slow part)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    total = len(data)
    view = memoryview(data)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            for start in range(0, total, WRITE_PIECE):
                fh.write(view[start : start + WRITE_PIECE])
                if progress is not None and start + WRITE_PIECE < total:
                    progress(start + WRITE_PIECE, total)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise file_error(path, "write", exc) from None
    if progress is not None:
        progress(total, total)
