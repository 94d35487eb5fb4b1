"""Exports: the one place where the store and the form engine meet, outside the GUI.

Why a package of its own: ``forms/`` must import nothing of ours and ``storage/``
nothing of ``forms/`` (ARCHITECTURE.md, enforced by the import-linter contracts in pyproject.toml).
An export needs both: the store decrypts records in memory, the form says how to
lay them out. Registering the command from ``storage/cli.py`` would have made
storage reach into forms, an exception to the rule; this small layer sits above
both (``exporting -> (forms, storage, resources)``), as ``gui/`` does, and the GUI
can call :func:`export_form` too. The layout itself lives in ``forms/export.py``.

``forms submit`` is the other command that needs both: :func:`find_form` (a form this
profile offers: published or built-in) and :func:`submit`, which checks the answers as the
app's Finalise does (``forms/finalise.py``) and stores them (``storage/finalise.py``).
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Iterator

from forms import Session, load_form, load_form_bytes
from forms.errors import ExportError, UnknownForm
from forms.export import ExportSummary, export_records
from forms.finalise import attachments, finalised
from forms.media import ATTACHMENT_KIND, AttachmentFolder, answered_names
from forms.model import MEDIA_TYPES, Form
from resources import resource_path
from rules import names, outputs
from storage import Store
from storage.finalise import save_finalised

log = logging.getLogger("fieldbook.export")
_FORM_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def builtin_form_ids() -> list[str]:
    """The ids of the forms shipped in resources/forms/ (each file is named after its form id)."""
    return sorted(p.stem for p in resource_path("forms").glob("*.xlsx"))


def find_builtin_form(form_id: str) -> Form:
    """Load a built-in form by its id; UnknownForm names the ids there are."""
    path = resource_path("forms", f"{form_id}.xlsx")
    if _FORM_ID.match(form_id) and ".." not in form_id and path.is_file():
        form = load_form(path)
        if form.form_id == form_id:
            return form
    raise UnknownForm(f"There is no built-in form '{form_id}'; the forms are: {', '.join(builtin_form_ids())}.")


def find_form(store: Store, form_id: str) -> Form:
    """A form this profile offers: one the hub published to it (which replaces a built-in form
    of the same id, as on Home), else a built-in one. UnknownForm names those there are."""
    for f in store.published_form_files():
        if f["form_id"] == form_id and not form_id.startswith("round."):  # rounds travel as published items too
            return load_form_bytes(f["xlsx"], name=f"{form_id}.xlsx", media=f["media"])
    try:
        return find_builtin_form(form_id)
    except UnknownForm:
        published = sorted(f for f in store.published_forms() if not f.startswith("round."))
        there = ", ".join([*builtin_form_ids(), *published])
        raise UnknownForm(f"This profile has no form '{form_id}'; its forms are: {there}.") from None



# -- forms submit: the app's Finalise, from the command line (forms checks, storage saves) --

def submit(store: Store, form: Form, answers: dict, *, lang: str | None = None) -> str:
    """Check ``answers`` against ``form`` as the app's Finalise does and save the submission."""
    session = Session(form, answers, lang=lang, device_id=store.device_id, username=store.user_name or "")
    return save_submission(store, finalised(session))


def save_submission(store: Store, record: dict, *, draft_id: str | None = None, editing: str | None = None) -> str:
    """Store a finalised record and its attached files in one transaction (storage.finalise),
    the files cut into parts by the form engine (forms.finalise.attachments)."""
    return save_finalised(store, record, draft_id=draft_id, editing=editing, attachments=attachments(record))


def check_exportable(form_id: str) -> None:
    """Refuse a form whose finalising stores no submission (``rules.names.REGISTRATION_FORMS``):
    its export would always be empty, which reads as if no one had registered anyone."""
    if form_id in names.REGISTRATION_FORMS:
        raise ExportError(
            f"The form {form_id} registers households: what it collects is kept as the registry's household "
            "records, not as submissions, so it has no form export. List the households with 'record list --kind "
            "household'; 'registry duplicates' writes the likely duplicates (at the hub, 'server duplicates' across "
            "every team).")


def check_destination(out: str | os.PathLike, profile: str | os.PathLike) -> Path:
    """Refuse, before anything is decrypted, an output the export cannot or must not write."""
    return outputs.checked_destination(
        out, profile, error=ExportError, writable=True,
        refusal="The export file must be outside the profile folder: it holds readable data.")


# Finished work only: drafts (and any other local kind) never reach an export, as they
# never reach the hub. Chosen in SQL, so a draft is not even decrypted.
EXPORTED_KIND = "submission"


def _plain_records(store: Store, form_id: str, files: dict[str, set[str]] | None = None,
                   media: set[str] = frozenset()) -> Iterator[dict]:
    # Decrypted one at a time and dropped after its rows are written: memory stays flat.
    for record in store.list_records(EXPORTED_KIND, form_id=form_id):
        if files is not None:
            files[record.id] = set(answered_names(record.fields, media))
        yield {"id": record.id, "form_version": record.form_version, "fields": record.fields}


def _export_files(store: Store, form: Form, out: Path, ids: dict[str, set[str]]) -> Path | None:
    """The exported records' photos and other files beside the sheet, in OUT_media/<record id>/<name>
    (the names are in the sheet's cells), one part in memory at a time."""
    folder = out.with_name(f"{out.stem}_media")
    with AttachmentFolder(folder, records=ids) as files:
        for part in store.list_records(ATTACHMENT_KIND, form_id=form.form_id):
            files.add(part.fields)
    if files.incomplete:
        log.warning("%d attached file(s) not exported: parts still to arrive or damaged", len(files.incomplete))
    return folder if files.written else None


def export_form(store: Store, form: Form, out: str | os.PathLike, *, fmt: str | None = None,
                lang: str | None = None, labels: bool = False) -> ExportSummary:
    """Write every finished record (kind ``submission``) of ``form`` in the unlocked ``store``
    to ``out``; drafts stay out. Audit the export. A registration form is refused (``check_exportable``)."""
    check_exportable(form.form_id)
    media = {q.name for q in form.walk() if q.type in MEDIA_TYPES}
    exported: dict[str, set[str]] | None = {} if media else None
    records = _plain_records(store, form.form_id, exported, media)
    summary = export_records(form, records, out, fmt=fmt, lang=lang, labels=labels)
    if exported is not None:
        folder = _export_files(store, form, Path(out), exported)
        if folder is not None:
            summary.files.append(folder)
    store.log_event("export")
    log.info("exported %d record(s) of form %s (%s)", summary.records, form.form_id,
             ", ".join(f"{name}: {n} row(s)" for name, n in summary.rows.items()))
    return summary


__all__ = ["builtin_form_ids", "check_destination", "check_exportable", "export_form", "find_builtin_form", "find_form", "save_submission", "submit"]
