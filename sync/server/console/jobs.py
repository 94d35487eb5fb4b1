"""Exports in the background: the console starts one, shows its progress, and hands over the file.

A large export takes minutes; a request that waited for it would time out in the browser
or a proxy first. So the console writes a row in ``export_jobs``, runs the export in a
thread of the server process, and the progress page reads the row (the page reloads
itself every few seconds: no JavaScript). The file is written into the server's private
spool folder (``DATA/exports-in-progress``, owner-only), is given only to the user who
asked for it, once, and is removed after the download; an unfetched file is removed
after a day. Each start, finish and download is audited.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from pathlib import Path

from forms.errors import FormError

from ..hub import Hub
from .audit import audit
from .exports import ExportRequest, count_submissions, export_submissions

log = logging.getLogger("fieldbook.server.console")
KEEP_S = 24 * 3600
STALLED_S = 600   # a running export writes its progress every 1,000 submissions; its last step (repeat sheets) may take minutes
_JOB = "abcdefghijklmnopqrstuvwxyz0123456789"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def spool(hub: Hub) -> Path:
    folder = hub.settings.data_dir / "exports-in-progress"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    return folder


def start(hub: Hub, req: ExportRequest, *, user: str, lang_note: str = "") -> str:
    """Start an export in the background; returns the job's id. The request is checked first."""
    _sweep(hub)
    total = count_submissions(hub, req)
    job_id = "".join(secrets.choice(_JOB) for _ in range(20))
    detail = (f"teams {','.join(req.teams)}" if req.teams else "every team") + (f", labels {lang_note}" if lang_note else "")
    if req.sensitive:
        detail += ", with sensitive answers"
    now = _now_ms()
    hub.db.execute("INSERT INTO export_jobs (job_id, user_name, form_id, fmt, detail, state, done, total, started_at, heartbeat) "
                   "VALUES (?, ?, ?, ?, ?, 'running', 0, ?, ?, ?)", (job_id, user, req.form_id, req.fmt, detail, total, now, now))
    audit(hub.db, "export_started", actor=user, detail=f"{req.form_id} {req.fmt} ({detail}): job {job_id}, {total} submission(s)")
    threading.Thread(target=_run, args=(hub, job_id, req, user), name=f"export-{job_id}", daemon=True).start()
    return job_id


def _run(hub: Hub, job_id: str, req: ExportRequest, user: str) -> None:
    folder = spool(hub) / job_id
    folder.mkdir(mode=0o700)
    out = folder / f"{req.form_id}.{req.fmt}"
    last = [0.0]

    def progress(n: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            hub.db.execute("UPDATE export_jobs SET done = ?, heartbeat = ? WHERE job_id = ?", (n, _now_ms(), job_id))

    try:
        summary = export_submissions(hub, req, out, actor=user, progress=progress)
        if len(summary.files) > 1:  # csv with repeats, or a sheet and its media folder: one zip
            out = zip_files(folder / f"{req.form_id}-{req.fmt}.zip", summary.files)
        hub.db.execute("UPDATE export_jobs SET state = 'done', done = ?, file = ?, finished_at = ? WHERE job_id = ?",
                       (summary.records, out.name, _now_ms(), job_id))
    except FormError as exc:  # its message names files and fields, never a value
        _failed(hub, job_id, folder, str(exc))
    except Exception as exc:  # noqa: BLE001 - the page must say it failed, whatever it was
        log.error("export job %s failed: %s", job_id, type(exc).__name__)
        _failed(hub, job_id, folder, "The export failed; the server's log says why.")


def zip_files(bundle: Path, files: list[Path]) -> Path:
    """The export's files in one ZIP (a folder, NAME_media/, with its tree), each removed once in:
    written entry by entry in chunks, so memory holds a chunk whatever the files' sizes. Photos
    and recordings are compressed already: they are stored, not deflated again."""
    import os
    import zipfile

    fd = os.open(bundle, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for f in files:
            if f.is_dir():
                for path in sorted(p for p in f.rglob("*") if p.is_file()):
                    z.write(path, path.relative_to(f.parent).as_posix(), compress_type=zipfile.ZIP_STORED)
                    path.unlink()
                shutil.rmtree(f, ignore_errors=True)
            else:
                z.write(f, f.name)
                f.unlink()
    return bundle


def _failed(hub: Hub, job_id: str, folder: Path, message: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    hub.db.execute("UPDATE export_jobs SET state = 'failed', message = ?, finished_at = ? WHERE job_id = ?",
                   (message, _now_ms(), job_id))


def get(hub: Hub, job_id: str, user: str) -> dict | None:
    """The job, if it is this user's."""
    if not isinstance(job_id, str) or len(job_id) != 20 or any(c not in _JOB for c in job_id):
        return None
    rows = hub.db.execute("SELECT form_id, fmt, detail, state, done, total, file, message, started_at, finished_at, heartbeat "
                          "FROM export_jobs WHERE job_id = ? AND user_name = ?", (job_id, user))
    if not rows:
        return None
    form_id, fmt, detail, state, done, total, file, message, started, finished, heartbeat = rows[0]
    if state == "running" and _now_ms() - heartbeat > STALLED_S * 1000:
        # Its thread wrote nothing for minutes: the server stopped or restarted under it.
        message = "The export stopped before it was done (the server was probably restarted); start it again."
        hub.db.execute("UPDATE export_jobs SET state = 'failed', message = ?, finished_at = ? WHERE job_id = ? AND state = 'running'",
                       (message, _now_ms(), job_id))
        state, finished = "failed", _now_ms()
    elapsed = ((finished or _now_ms()) - started) / 1000
    return {"job_id": job_id, "form_id": form_id, "fmt": fmt, "detail": detail, "state": state, "done": done,
            "total": total or 0, "percent": min(100, int(100 * done / total)) if total else (100 if state == "done" else 0),
            "file": file, "message": message, "elapsed_s": round(elapsed, 1),
            "rate": int(done / elapsed) if elapsed > 0 and done else 0}


def take_file(hub: Hub, job_id: str) -> Path | None:
    """The finished file, once: the job is marked fetched, and the caller removes the folder after sending."""
    with hub.db.transaction():
        rows = hub.db.execute("SELECT file FROM export_jobs WHERE job_id = ? AND state = 'done'", (job_id,))
        if not rows or not rows[0][0]:
            return None
        hub.db.execute("UPDATE export_jobs SET state = 'fetched' WHERE job_id = ?", (job_id,))
    path = spool(hub) / job_id / rows[0][0]
    return path if path.is_file() else None


def _sweep(hub: Hub) -> None:
    """Remove the files of jobs finished more than a day ago and never fetched."""
    cutoff = _now_ms() - KEEP_S * 1000
    for (job_id,) in hub.db.execute("SELECT job_id FROM export_jobs WHERE state = 'done' AND finished_at < ?", (cutoff,)):
        shutil.rmtree(spool(hub) / job_id, ignore_errors=True)
        hub.db.execute("UPDATE export_jobs SET state = 'expired' WHERE job_id = ?", (job_id,))
