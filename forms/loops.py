"""'begin loop over LIST' rows, read as the reference converter reads them (see
``_Builder.expand_loops`` in forms/loader.py, which reports what cannot be expanded)."""
from __future__ import annotations

import re

from .headers import split_header
from .model import FIELD_REFERENCE, Choice


def raw_get(raw: dict, column: str):
    for header, value in raw.items():
        if header is not None and split_header(str(header))[0] == column:
            return value
    return None


def raw_type(raw: dict) -> str:
    return re.sub(r"\s+", " ", str(raw_get(raw, "type") or "").strip().lower())


def loop_list(raw: dict) -> str | None:
    m = re.fullmatch(r"begin loop over (\S+)", raw_type(raw))
    return m.group(1) if m else None


def is_label(header) -> bool:
    return header is not None and split_header(str(header))[0] == "label"


def loop_cell(header, value, choice: Choice, names: set[str], suffix: str):
    """One cell of a loop's row for one choice: the choice's name and label in, names made unique."""
    if not isinstance(value, str):
        return value
    base, lang = split_header(str(header)) if header is not None else ("", None)
    if base == "name" and value in names:
        return value + suffix
    text = value.replace("%(name)s", choice.name).replace("%(label)s", choice.labels.get(lang or "", "")
                                                                      or choice.label(lang))
    return FIELD_REFERENCE.sub(lambda m: "${" + m.group(1) + (suffix if m.group(1) in names else "") + "}", text)
