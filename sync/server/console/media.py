"""Photos and other files in a hub export: written beside the sheet as NAME_media/<record>/<file>,
the layout of the laptop's export and of ODK's and Kobo's (the sheet's cells hold the names).

The hub holds a file as the ``attachment`` records a laptop pushed (forms/media.py: one sealed
record per 1 MiB part). They are read by keyset over ``records_form``, a few parts at a time,
each decrypted only when its row is read, and written at its place in the file
(``forms.media.AttachmentFolder``): memory holds a few parts whatever the number or size of
the files. Only the files of the exported submissions that their answers still name are
written (a team's export, a date range, answers left out as sensitive leave their files out);
parts of another team are not even read.

    names = MediaNames(form)                       # wraps the exported records: which files each names
    records = names.watch(records)
    ... export_records(form, records, out) ...
    written = write_media(hub, form.form_id, names.by_record, folder, teams=...)
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from forms.finalise import media_questions
from forms.media import ATTACHMENT_KIND, AttachmentFolder, answered_names
from forms.model import Form

from ..hub import Hub

PART_BATCH = 2  # attachment rows read at once: about 3 MB of sealed parts


class MediaNames:
    """The file names each exported submission's answers hold, gathered as they stream past."""

    def __init__(self, form: Form) -> None:
        self.media = media_questions(form)
        self.by_record: dict[str, set[str]] = {}

    def watch(self, records: Iterable[dict]) -> Iterator[dict]:
        for record in records:
            if self.media:
                names = set(answered_names(record["fields"], self.media))
                if names:
                    self.by_record[record["id"]] = names
            yield record


def attachment_parts(hub: Hub, form_id: str, teams: tuple[str, ...] | None = None) -> Iterator[dict]:
    """The fields of the form's live attachment parts (of these teams), in record-id order, a
    few rows read and decrypted at a time."""
    last = ""
    while True:
        sql = "SELECT record_id, body FROM records WHERE form_id = ? AND kind = ? AND deleted = 0 AND record_id > ?"
        args: list = [form_id, ATTACHMENT_KIND, last]
        if teams is not None:
            sql += f" AND team IN ({','.join('?' * len(teams))})"
            args += list(teams)
        rows = hub.db.execute(sql + " ORDER BY record_id LIMIT ?", (*args, PART_BATCH))
        for rid, body in rows:
            yield orjson.loads(hub.unseal(f"record|{rid}", body))
        if len(rows) < PART_BATCH:
            return
        last = rows[-1][0]


def write_media(hub: Hub, form_id: str, by_record: dict[str, set[str]], folder: Path, *,
                teams: tuple[str, ...] | None = None) -> AttachmentFolder:
    """Write the named files of the exported records into ``folder``/<record>/<name>, owner-only;
    returns the folder writer (``written``: paths, ``incomplete``: "record/name" of files whose
    parts have not all arrived or do not match). Nothing is read when no record names a file."""
    files = AttachmentFolder(folder, records=by_record, private=True)
    with files:
        if by_record:
            for part in attachment_parts(hub, form_id, teams):
                files.add(part)
    return files
