"""Names every replica reads the same way: field names, record kinds, the kinds that never
leave a laptop, and the shapes of the ids and stamps a change carries.

The store checks them at save time, the sync protocol on every message, the server on
every push: one definition, so that a record one side takes is never refused by another.
Imports nothing but the standard library (see the package docstring).
"""
from __future__ import annotations

import re

# A field name: a letter or underscore, then ASCII letters, digits, '_', '-', '.' or '/'.
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]{0,199}")
# A record kind: a short lowercase name such as 'submission' or 'household'.
KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
# A device id, as the store makes them (16 hex digits) and as older or other tools may.
DEVICE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
# A hybrid logical clock value: 48-bit milliseconds and a 16-bit counter, 16 hex digits.
HLC = re.compile(r"[0-9a-f]{16}")
# A field's stamp: the clock value and the device that wrote it.
STAMP = re.compile(r"[0-9a-f]{16}@[A-Za-z0-9_.\-]{1,64}")
# A record id: a UUID in its canonical lowercase text form (records use UUIDv7).
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The clock key that stamps a delete; no field may be called this.
DELETED = "_deleted"

# Kinds whose records never leave the laptop that made them. Saving, editing and
# deleting one writes the record and the audit chain but no outbox change; changes of
# these kinds that arrive from elsewhere are skipped, and a hub refuses them (from a
# laptop older than store schema 0007). Adding a kind here needs a store migration like
# 0007, which withdraws the kind's existing records from the outbox.
#   draft: an unfinished form; finalising writes a submission and deletes the draft.
#   draft_file: one part of a file (a photo, a recording) a draft's answer names, cut as an
#     ``attachment`` is (forms/media.py) with ``record`` = the draft's id (store 0010);
#     finalising copies it to an ``attachment`` of the finished record and deletes it.
DRAFT = "draft"
DRAFT_FILE = "draft_file"
LOCAL_KINDS = frozenset({DRAFT, DRAFT_FILE})


# Built-in forms whose finalising stores no ``submission``: the household registration form
# registers a ``household`` (distributions/regform.py). Such a form has nothing to export
# as a form: the exports (laptop and hub) and the hub's lists of exportable forms leave it
# out and say where its households are.
REGISTRATION_FORMS = frozenset({"household_registration"})


def is_local_kind(kind: str) -> bool:
    """True for records that stay on the laptop that made them (see ``LOCAL_KINDS``)."""
    return kind in LOCAL_KINDS
