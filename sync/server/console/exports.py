"""Forms and exports at the hub: the laptop export's layout (forms/export.py), from the server's records.

The server may use the form engine (forms/) but not the store, so the ``exporting`` package
(which opens a laptop's store) is not used; its layout code lives in forms/export.py, and
that is what both call. A form is the newest one the hub published under that id, else the
built-in form of that id.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import orjson

import forms
from forms.errors import ExportError, UnknownForm
from forms.export import ExportSummary, export_format, export_records, resolve_language
from rules import names, outputs
from forms.model import Form
from resources import resource_path

from ... import protocol
from ..hub import Hub
from . import sensitive
from .audit import audit
from .data import parse_day
from .media import MediaNames, write_media

_FORM_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,99}")
_cache: dict[tuple[str, str], Form] = {}


def hub_form(hub: Hub, form_id: str) -> Form:
    """The form the hub knows by this id (published, newest first; else built in)."""
    if not isinstance(form_id, str) or not _FORM_ID.fullmatch(form_id):
        raise UnknownForm("That is not a form id.")
    rows = hub.db.execute("SELECT sha256, files FROM forms WHERE form_id = ? AND files IS NOT NULL ORDER BY id DESC LIMIT 1",
                          (form_id,))
    if rows:
        digest, blob = rows[0]
        key = (form_id, digest)
        if key not in _cache:
            published = protocol.PublishedForm.from_json(orjson.loads(hub.unseal(f"form|{form_id}|{digest}", blob)), files=True)
            _cache[key] = forms.load_form_bytes(published.xlsx, name=f"{form_id}.xlsx", media=published.media)
        return _cache[key]
    path = resource_path("forms", f"{form_id}.xlsx")
    if path.is_file():
        key = (form_id, "builtin")
        if key not in _cache:
            _cache[key] = forms.load_form(path)
        return _cache[key]
    raise UnknownForm(f"The hub has no form '{form_id}': neither published nor built in.")


def known_form_ids(hub: Hub) -> list[str]:
    """The forms whose submissions the console lists and exports: not a registration form
    (``check_exportable``)."""
    published = {r[0] for r in hub.db.execute("SELECT DISTINCT form_id FROM forms WHERE files IS NOT NULL")}
    builtin = {p.stem for p in resource_path("forms").glob("*.xlsx")}
    return sorted((published | builtin) - names.REGISTRATION_FORMS)


def check_exportable(form_id: str) -> None:
    """A registration form stores households, not submissions: its export would be empty."""
    if form_id in names.REGISTRATION_FORMS:
        raise ExportError(
            f"The form {form_id} registers households: at the hub they are household records, not submissions, so "
            "the form has no export. 'server duplicates' compares the households of every team (the console's "
            "Review page shows the pairs).")


@dataclass
class ExportRequest:
    form_id: str
    fmt: str
    teams: tuple[str, ...] | None = None   # None: every team
    lang: str | None = None
    since: str | None = None               # YYYY-MM-DD
    sensitive: bool = False                # include the answers the form marks sensitive (console/sensitive.py)


def export_submissions(hub: Hub, req: ExportRequest, out: Path, *, actor: str,
                       progress: Callable[[int], None] | None = None, media: dict | None = None) -> ExportSummary:
    """Write the form's finished submissions to ``out`` in the laptop export's layout, streamed
    (one batch of records in memory), and audit it. Checks everything before reading a record.
    ``progress(n)`` is called with the number of submissions read so far, every 1,000.

    The files their answers name (photos, recordings) go beside the sheet, in
    ``OUT_media/<record id>/<file name>`` (console/media.py), owner-only; the folder is then
    among ``summary.files``. ``media``, when given, is filled with ``written`` (how many files)
    and ``incomplete`` ("record/name" of files whose parts have not all arrived)."""
    check_exportable(req.form_id)
    form = hub_form(hub, req.form_id)
    fmt = export_format(out, req.fmt)
    lang = resolve_language(form, req.lang) if req.lang else None
    for team in req.teams or ():
        if not protocol.valid_team(team):
            raise ExportError("A team name is 1-64 letters, digits, '_', '.' or '-'.")
    try:
        since_ms = parse_day(req.since)
    except ValueError:
        raise ExportError("--since is a date: YYYY-MM-DD.") from None
    from ..api.feed import Window, records as read_records

    # Keys first, bodies only of the team's submissions: a team's export no longer reads
    # (and an export never decrypts) another team's records.
    records = read_records(hub, form.form_id, Window(req.teams, since_ms), batch=1000)
    hidden = sensitive.names(form)
    if hidden and not req.sensitive:
        form = sensitive.without(form)
        records = ({**r, "fields": sensitive.strip(r["fields"], hidden)} for r in records)
    if progress is not None:
        records = _counted(records, progress)
    names = MediaNames(form)
    summary = export_records(form, names.watch(records), out, fmt=fmt, lang=lang, labels=lang is not None)
    files = None
    if names.by_record:
        files = write_media(hub, form.form_id, names.by_record, out.with_name(f"{out.stem}_media"), teams=req.teams)
        if files.written:
            summary.files.append(files.folder)
        if media is not None:
            media.update(written=len(files.written), incomplete=list(files.incomplete))
    detail = f"{form.form_id} {fmt}: {summary.records} record(s)"
    if req.teams:
        detail += f", team {','.join(req.teams)}"
    if req.since:
        detail += f", since {req.since}"
    if hidden:
        detail += ", with sensitive answers" if req.sensitive else ", sensitive answers left out"
    if files is not None:
        detail += f", {len(files.written)} file(s)" + (f" ({len(files.incomplete)} incomplete, left out)"
                                                       if files.incomplete else "")
    audit(hub.db, "export", actor=actor, detail=detail)
    return summary


def _counted(records: Iterator[dict], progress: Callable[[int], None]) -> Iterator[dict]:
    n = 0
    for n, record in enumerate(records, 1):
        if n % 1000 == 0:
            progress(n)
        yield record
    progress(n)


def count_submissions(hub: Hub, req: ExportRequest) -> int:
    """How many submissions an export will write (from the keys: nothing is decrypted)."""
    from ..api.feed import Window, count

    return count(hub, req.form_id, Window(req.teams, parse_day(req.since)))


def check_out(out: str | os.PathLike, data_dir: Path) -> Path:
    return outputs.checked_destination(
        out, data_dir, error=ExportError,
        refusal="The export file must be outside the server's data folder: it holds readable data.")
