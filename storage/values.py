"""What a record may hold: checked at save time, so the store never keeps a record the
server would refuse (rules/names.py, rules/limits.py). Refused input raises InvalidRecord
and changes nothing; no message repeats a value."""
from __future__ import annotations

import math
from typing import Iterable

from rules import limits, names

from .errors import InvalidRecord

_NAME = names.FIELD_NAME
_KIND = names.KIND
DELETED = names.DELETED
# Lists and objects may nest this deep in a field value. A hub refuses deeper values
# (the same number, from rules/limits.py): refused here, at save time, such a record can
# never sit in the outbox blocking every sync.
MAX_VALUE_DEPTH = limits.MAX_VALUE_DEPTH
_NOT_JSON = "Field values must be text, numbers, true/false, null, lists or objects."
_NOT_FINITE = "Field values must be finite numbers; NaN and infinity cannot be stored."
_SCALARS = frozenset((str, int, bool, type(None)))
_SCALARS_AND_FLOAT = _SCALARS | {float}
_VALID_NAMES: set[str] = set()  # names already checked: records of a kind repeat them


def check_kind(kind: object) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise InvalidRecord("A record kind is a short lowercase name such as 'submission' or 'household'.")
    return kind


def check_form_refs(form_id: object, form_version: object) -> None:
    for value, what in ((form_id, "form id"), (form_version, "form version")):
        if value is not None and (not isinstance(value, str) or len(value) > limits.MAX_FORM_REF):
            raise InvalidRecord(f"A {what} is text of at most {limits.MAX_FORM_REF} characters.")


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidRecord(
            "Field names must start with a letter or underscore and use only ASCII letters, digits, '_', '-', '.' or '/'."
        )
    if name == DELETED:
        raise InvalidRecord(f"'{DELETED}' is reserved; use delete to remove a record.")


def check_fields(fields: object, *, allow_empty: bool = False, defer_floats: bool = False) -> bool:
    """Raise InvalidRecord unless ``fields`` is a JSON object of valid names and values.

    With ``defer_floats``, top-level floats may be left unchecked: then it returns
    True, and the caller must check ``serialised_floats_ok`` on the serialised form.
    """
    if type(fields) is not dict:
        raise InvalidRecord("Record fields must be a JSON object of field names and values.")
    if not fields and not allow_empty:
        raise InvalidRecord("No fields were given.")
    if limits.too_many_fields(len(fields)):
        # The server refuses a change with more (rules/limits.py): refused here, at save
        # time, rather than queued in front of every later change.
        raise InvalidRecord(f"A record or edit may have at most {limits.MAX_FIELDS:,} fields; this one has {len(fields):,}.")
    if not _VALID_NAMES.issuperset(fields):  # the common case, in one call: every name seen before
        for name in fields:
            if name not in _VALID_NAMES:
                _check_name(name)
                if len(_VALID_NAMES) < 10_000:
                    _VALID_NAMES.add(name)
    return check_values(fields.values(), defer_floats=defer_floats)


def check_values(values: Iterable, *, defer_floats: bool = False, depth: int = 1) -> bool:
    """Only what JSON carries exactly: no NaN or infinity (they would come back as null),
    and lists and objects nested at most ``MAX_VALUE_DEPTH`` deep.

    Returns True when it left top-level floats to ``serialised_floats_ok`` (``defer_floats``).
    """
    types = set(map(type, values))
    if types <= _SCALARS:  # the common case, without a Python-level loop
        return False
    if types <= _SCALARS_AND_FLOAT:
        if defer_floats:
            return True
        if any(type(v) is float and not math.isfinite(v) for v in values):
            raise InvalidRecord(_NOT_FINITE)
        return False
    for value in values:
        _check_value(value, depth)
    return False


def _check_value(value: object, depth: int) -> None:
    t = type(value)
    if t in _SCALARS:
        return
    if t is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise InvalidRecord(_NOT_FINITE)
    elif t is dict or t is list:
        if depth > MAX_VALUE_DEPTH:
            raise InvalidRecord(f"A field value nests lists or objects more than {MAX_VALUE_DEPTH} levels deep.")
        if t is list:
            check_values(value, depth=depth + 1)  # type: ignore[arg-type]
        elif not all(isinstance(k, str) for k in value):  # type: ignore[attr-defined]
            raise InvalidRecord("Nested objects need text keys.")
        else:
            check_values(value.values(), depth=depth + 1)  # type: ignore[attr-defined]
    else:
        raise InvalidRecord(_NOT_JSON)


def check_size(size: int) -> None:
    """Refuse what the server would refuse for its size (rules/limits.py)."""
    if limits.too_large(size):
        raise InvalidRecord(f"A record or edit may hold at most {limits.MAX_CHANGE_BYTES // (1024 * 1024)} MiB of values; "
                            f"this one holds {size / (1024 * 1024):.1f} MiB. Keep large files outside the record.")


def serialised_floats_ok(fields: dict, serialised: bytes) -> None:
    """The deferred float check: orjson writes NaN and infinity as ``null``, so without
    a ``null`` in the output (the usual case) every float was finite. Otherwise check
    exactly (a null value, or "null" inside a text, only costs the slow path)."""
    if b"null" in serialised:
        check_values(fields.values())


def not_json_error() -> InvalidRecord:
    return InvalidRecord(_NOT_JSON)
