"""Where a readable file may be written, and how: the one rule for every plaintext output.

Exports, pairs files and reports hold readable names. Each is refused, before anything is
decrypted, when it would land inside the protected folder (a laptop's profile or the hub's
data folder, which hold only ciphertext and are what gets backed up or wiped), and each is
written owner-only, whole or not at all. The laptop's commands and the hub's share this
module, since the server may import neither distributions/ nor exporting/.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def checked_destination(out: str | os.PathLike, protected: str | os.PathLike | None, *,
                        error: type[Exception], refusal: str, writable: bool = False) -> Path:
    """``out`` as a Path, or ``error`` with a sentence saying what to do.

    ``refusal`` is the sentence for a file inside ``protected``; ``writable`` also checks that
    the folder may be written (for outputs that are costly to produce before the write).
    """
    out = Path(out).expanduser()
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise error(f"Cannot write {out}: the folder {out.parent} does not exist.")
    if out.is_dir():
        raise error(f"Cannot write {out}: it is a folder; give a file name.")
    if writable and not os.access(folder, os.W_OK):
        raise error(f"Cannot write {out}: the folder {out.parent} is not writable.")
    if protected is not None and inside(folder, protected):
        raise error(refusal)
    return out


def inside(folder: str | os.PathLike, protected: str | os.PathLike) -> bool:
    """Whether ``folder`` is ``protected`` or lies anywhere below it (symlinks resolved)."""
    folder = Path(folder).expanduser().resolve()
    protected = Path(protected).expanduser().resolve()
    return folder == protected or protected in folder.parents


@contextmanager
def owner_only_path(out: Path) -> Iterator[Path]:
    """A temporary, owner-only path beside ``out``, moved onto it when the block ends cleanly.

    For writers that take a path (a workbook). Nothing is left behind when the block fails.
    """
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        yield tmp
        os.chmod(tmp, 0o600)  # a writer that replaced the file may have widened it
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def owner_only_text(out: Path) -> Iterator[IO[str]]:
    """A text file (UTF-8, newline="" for CSV) that appears at ``out`` whole, synced, or not at all."""
    with owner_only_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
