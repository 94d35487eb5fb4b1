"""Card codes: short, random, with a check character; they carry no personal data.

A code is eight random symbols and one check symbol from Crockford's base-32 alphabet
(digits and capitals without I, L, O, U, so nothing reads as two things), printed as
``XXXX-XXXXX``. Reading forgives case, spaces and dashes, and the letters people
confuse with digits (O -> 0, I/L -> 1), as Crockford's scheme intends.

The check symbol is Luhn mod N (N = 32): it catches every single wrong symbol and
every swap of two neighbouring symbols, the two errors a desk makes when it types a
code from a card. (Luhn mod N is a few lines; no maintained library offers it over an
arbitrary alphabet, so it is written here and tested against both error kinds.)
32**8, about 10**12 codes, makes a guessed code a near-certain miss.
"""
from __future__ import annotations

import secrets

from .errors import InvalidCardCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_READ = str.maketrans({"O": "0", "I": "1", "L": "1"})
BODY = 8


def check_symbol(body: str) -> str:
    """Luhn mod 32 over ``body`` (already in the alphabet)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for c in reversed(body):
        addend = factor * _VALUE[c]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_card_code() -> str:
    """A fresh random code, formatted for printing."""
    n = secrets.randbits(5 * BODY)  # one draw from the OS for the whole code: 5 bits a symbol
    body = "".join(ALPHABET[(n >> (5 * i)) & 31] for i in range(BODY))
    return format_code(body + check_symbol(body))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def read_card_code(text: str) -> str:
    """The canonical code (``XXXX-XXXXX``) for what someone typed, or InvalidCardCode."""
    s = "".join(str(text).split()).replace("-", "").upper().translate(_READ)
    if len(s) != BODY + 1:
        raise InvalidCardCode(f"A card code has {BODY + 1} characters; this one has {len(s)}.")
    bad = [c for c in s if c not in _VALUE]
    if bad:
        raise InvalidCardCode("A card code uses digits and the letters A-Z without I, L, O and U.")
    if check_symbol(s[:-1]) != s[-1]:
        raise InvalidCardCode("This card code is mistyped: its check character does not match.")
    return format_code(s)
