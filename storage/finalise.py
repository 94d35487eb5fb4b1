"""Saving a finished interview: the submission, and its draft gone, in one transaction.

The desktop app's Finalise and ``forms submit`` both store a checked record here
(``forms.finalise.finalised`` checks it first), so a submission is stored the same way
whoever makes it:

    rid = save_finalised(store, record)      # the submission, and the draft gone, in one transaction
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store


def save_finalised(store: Store, record: dict, *, draft_id: str | None = None, editing: str | None = None,
                   attachments: Callable[[str], Iterable[tuple[str, dict]]] | None = None) -> str:
    """Store a finalised record: a new submission, or the edited one (fields no longer answered
    are cleared); the draft it came from is deleted in the same transaction. Returns its id.

    ``attachments(rid)`` gives the (kind, fields) records of its attached files (the form engine
    cuts them: ``forms.finalise.attachments``), saved in the same transaction. A record that
    holds files must come with it, so no photo is dropped unnoticed."""
    if record.get("files") and attachments is None:
        raise TypeError("save_finalised: this record holds files; pass attachments= to store them")
    with store.atomic():
        if editing:
            old = store.get_record(editing).fields
            store.edit_record(editing, {**{k: None for k in old if k not in record["fields"]}, **record["fields"]})
            rid = editing
        else:
            rid = store.save_record(record["kind"], record["fields"], form_id=record["form_id"],
                                    form_version=record["form_version"])
        for kind, fields in attachments(rid) if attachments is not None else ():
            store.save_record(kind, fields, form_id=record["form_id"], form_version=record["form_version"])
        if draft_id is not None:
            store.delete_record(draft_id)
    return rid
