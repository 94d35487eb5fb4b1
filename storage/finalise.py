"""Saving a finished interview: the submission, and its draft gone, in one transaction.

The desktop app's Finalise and ``forms submit`` both store a checked record here
(``forms.finalise.finalised`` checks it first), so a submission is stored the same way
whoever makes it:

    rid = save_finalised(store, record)      # the submission, and the draft gone, in one transaction

A draft keeps the files its answers name as ``draft_file`` records (a local kind: they never
sync), sealed parts cut as an ``attachment``'s are (forms/media.py) with ``record`` = the
draft's id, so a draft reopened after a crash, a lock or a restart still has its photos:

    did = save_draft(store, did, fields, form_id=..., form_version=..., files=parts, drop=gone)
    for part in record_files(store, did, kind=DRAFT_FILE): ...     # one part decrypted at a time
    delete_draft(store, did)                                        # the draft and its files

Finalising copies the files the finished record names to ``attachment`` records and deletes
the draft's, in the same transaction as the record. An edit deletes the parts of the files
its answers no longer name (a photo replaced or cleared), and ``store.delete_record`` of a
submission deletes its parts (storage/records.py): each a synced delete, in the same
transaction, so the hub and the other laptops drop the file too.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from rules.names import DRAFT, DRAFT_FILE

from .records import ATTACHMENT, is_file_name

if TYPE_CHECKING:
    from . import Store
    from .records import Record

Parts = Callable[[str], Iterable[dict]]


def record_files(store: Store, record_id: str, *, kind: str = ATTACHMENT, form_id: str | None = None) -> Iterator[Record]:
    """The parts of the files of one record (``kind`` ``attachment``, or ``draft_file`` for a
    draft's), found through the blind index on ``record`` (store 0010) and decrypted one at a
    time, in the order they were saved. With ``form_id``, attachments saved before 0010 (no
    token) are found by a scan of that form's parts when the index has none."""
    found = False
    for rid in store.find_record_ids(kind, "record", record_id):
        part = store.get_record(rid)
        if part.fields.get("record") == record_id:  # a truncated token can collide
            found = True
            yield part
    if not found and form_id is not None and kind == ATTACHMENT:
        for part in store.list_records(ATTACHMENT, form_id=form_id):
            if part.fields.get("record") == record_id:
                yield part


def _strings(fields: dict) -> set[str]:
    """Every text answer, in repeats too: the file names an old version of a record may hold."""
    out: set[str] = set()
    for value in fields.values():
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    out |= _strings(entry)
    return out


def save_draft(store: Store, draft_id: str | None, fields: dict, *, form_id: str | None, form_version: str | None,
               old: dict | None = None, files: Parts | None = None, drop: Collection[str] = ()) -> str:
    """Save a draft's answers and its files in one transaction; returns the draft's id (new
    on the first save). ``files(draft_id)`` gives the parts of files attached since the last
    save (``attachment_parts`` fields); the draft's files named in ``drop`` (answers that no
    longer name them) are deleted. ``old``: the fields last saved, if known (saves a read)."""
    with store.atomic():
        if draft_id is None:
            draft_id = store.save_record(DRAFT, fields, form_id=form_id, form_version=form_version)
        else:
            old = store.get_record(draft_id).fields if old is None else old
            store.edit_record(draft_id, {**{k: None for k in old if k not in fields}, **fields})
        if drop:
            for part in record_files(store, draft_id, kind=DRAFT_FILE):
                if part.fields.get("name") in drop:
                    store.delete_record(part.id)
        for part in files(draft_id) if files is not None else ():
            store.save_record(DRAFT_FILE, part, form_id=form_id, form_version=form_version)
    return draft_id


def delete_draft(store: Store, draft_id: str) -> None:
    """Delete a draft and every file it kept, in one transaction."""
    with store.atomic():
        for part in record_files(store, draft_id, kind=DRAFT_FILE):
            store.delete_record(part.id)
        store.delete_record(draft_id)


def _draft_files_to(store: Store, draft_id: str, rid: str, record: dict) -> None:
    """The draft's files that the finished record names become its attachments; all go from the draft."""
    keep = set(record.get("file_names", ())) - {f["name"] for f in record.get("files", ())}
    for part in record_files(store, draft_id, kind=DRAFT_FILE):
        if part.fields.get("name") in keep:
            store.save_record(ATTACHMENT, {**part.fields, "record": rid}, form_id=record["form_id"],
                              form_version=record["form_version"])
        store.delete_record(part.id)


def save_finalised(store: Store, record: dict, *, draft_id: str | None = None, editing: str | None = None,
                   attachments: Callable[[str], Iterable[tuple[str, dict]]] | None = None) -> str:
    """Store a finalised record: a new submission, or the edited one (fields no longer answered
    are cleared); the draft it came from is deleted in the same transaction. Returns its id.

    ``attachments(rid)`` gives the (kind, fields) records of its attached files (the form engine
    cuts them: ``forms.finalise.attachments``), saved in the same transaction. A record that
    holds files must come with it, so no photo is dropped unnoticed. The draft's own files
    (``save_draft``) named in ``record["file_names"]`` and not held in ``files`` (a reopened
    draft's) are copied to attachments of the record; the rest of the draft's files go."""
    if record.get("files") and attachments is None:
        raise TypeError("save_finalised: this record holds files; pass attachments= to store them")
    with store.atomic():
        if editing:
            old = store.get_record(editing).fields
            store.edit_record(editing, {**{k: None for k in old if k not in record["fields"]}, **record["fields"]})
            rid = editing
            gone = _strings(old) - _strings(record["fields"])
            if "file_names" in record and any(is_file_name(v) for v in gone):
                # A photo replaced or cleared loses its parts (synced deletes).
                named = set(record["file_names"])
                for part in list(record_files(store, rid, form_id=record["form_id"])):
                    if part.fields.get("name") not in named:
                        store.delete_record(part.id)
        else:
            rid = store.save_record(record["kind"], record["fields"], form_id=record["form_id"],
                                    form_version=record["form_version"])
        for kind, fields in attachments(rid) if attachments is not None else ():
            store.save_record(kind, fields, form_id=record["form_id"], form_version=record["form_version"])
        if draft_id is not None:
            _draft_files_to(store, draft_id, rid, record)
            store.delete_record(draft_id)
    return rid
