"""The limits a change must keep to travel: one set, shared by the store and the server.

The store refuses at save time what the server would refuse on a push
(``storage.store``), and the server checks every change it receives against the
same numbers (``sync.protocol``, ``sync.server.hub``). Were the two to differ, a
record the store accepted would be refused on every push, and, queued in front
of them, hold back every change after it (docs/sync.md, "Limits").

Imports nothing: see the package docstring.
"""
from __future__ import annotations

# Fields one change may carry (a record's first change carries all of its fields).
MAX_FIELDS = 2000
# Bytes of one change's fields as compact JSON (UTF-8). Far under the 64 MiB
# bundle, so that any one change fits in a bundle even when it compresses badly.
MAX_CHANGE_BYTES = 16 * 1024 * 1024
# Lists and objects may nest this deep in a field value (a repeat group in a repeat is 4).
MAX_VALUE_DEPTH = 32
MAX_FORM_REF = 200  # characters of a form id or form version carried by a change
# Characters of a change's ``author``: the display name of the person who made it,
# as they chose it on their laptop. Longer names are cut to this when a change is
# written, so that a long name never gets a change refused.
MAX_AUTHOR = 100


def author_text(name: object) -> str | None:
    """The ``author`` a change carries for a person named ``name``: the name, trimmed and
    cut to ``MAX_AUTHOR`` characters, or None when there is no name."""
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip()[:MAX_AUTHOR]


def valid_author(author: object) -> bool:
    """Whether a change's ``author`` (when it has one) is acceptable."""
    return isinstance(author, str) and 0 < len(author) <= MAX_AUTHOR and author.isprintable()

# How far ahead of the server's wall clock a stamp may be (docs/sync.md, "Stamps
# and clocks"). The laptop uses the same bound to tell a clock far behind.
DEFAULT_MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000


def too_many_fields(count: int) -> str | None:
    """The refusal reason for a change of ``count`` fields, or None."""
    if count > MAX_FIELDS:
        return f"more than {MAX_FIELDS:,} fields ({count:,})"
    return None


def too_large(size: int) -> str | None:
    """The refusal reason for a change whose fields are ``size`` bytes of JSON, or None."""
    if size > MAX_CHANGE_BYTES:
        return f"larger than {MAX_CHANGE_BYTES // (1024 * 1024)} MiB ({size / (1024 * 1024):.1f} MiB)"
    return None
