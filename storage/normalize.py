"""Normalisation before blind indexing, so that exact search forgives formatting.

``text``: Unicode NFKC, case-folded, inner whitespace collapsed.
``id``:   a document number; case, spaces, dashes, dots and slashes dropped, and
          Cyrillic letters that look like Latin ones (old Ukrainian passport
          series such as "КН" typed with a Latin keyboard) mapped to Latin.
``phone``: digits only; an international ``00`` prefix dropped; a national
          number with a trunk ``0`` gets the default country code (380).
"""
from __future__ import annotations

import re
import unicodedata

DEFAULT_COUNTRY_CODE = "380"

_HOMOGLYPHS = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
        "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "У": "Y", "Ї": "I",
    }
)
_SPACES = re.compile(r"\s+")
_ID_DROP = re.compile(r"[\s\-./\\_№#]+")
_NON_DIGIT = re.compile(r"\D+")


def text(value: object) -> str:
    s = unicodedata.normalize("NFKC", str(value)).casefold()
    return _SPACES.sub(" ", s).strip()


def document_id(value: object) -> str:
    s = unicodedata.normalize("NFKC", str(value)).upper()
    s = _ID_DROP.sub("", s)
    return s.translate(_HOMOGLYPHS)


def phone(value: object, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    raw = str(value).strip()
    digits = _NON_DIGIT.sub("", raw)
    if raw.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0") and len(digits) == 10:
        return country_code + digits[1:]
    return digits


NORMALISERS = {"text": text, "id": document_id, "phone": phone}
