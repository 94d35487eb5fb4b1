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

from .desk_errors import DistributionError
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


# -- printing (the pure part; gui/cards_pdf.py draws the sheets) ------------------------------

# What a card may show beside its code, as the team chooses (``card print --show``). The
# code itself carries nothing about the household.
CARD_FIELDS = ("external_ref", "head_name", "settlement", "hromada", "raion", "oblast", "hh_size")
DEFAULT_SHOW = ("external_ref",)


def parse_show(value: str | None) -> tuple[str, ...]:
    """``--show a,b``: the household fields printed on each card, from ``CARD_FIELDS``."""
    if value is None:
        return DEFAULT_SHOW
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    bad = [n for n in names if n not in CARD_FIELDS]
    if bad:
        raise DistributionError(f"--show takes field names from: {', '.join(CARD_FIELDS)}; not {', '.join(bad)}.")
    return names


def qr_modules(code: str) -> list[list[bool]]:
    """The QR code of a card (segno; error correction M survives a worn or creased card):
    rows of dark (True) and light modules, without the quiet zone."""
    import segno  # a well-kept pure-Python QR encoder (already used for enrollment codes)

    qr = segno.make(code, error="m", micro=False)  # segno raises the level when it fits the same size
    return [[bool(v) for v in row] for row in qr.matrix]


def cards_to_print(store, rnd, *, team: str | None, reprint: bool = False,
                   refs: list[str] | None = None, pace=iter) -> tuple[list[tuple[str, dict]], int]:
    """The households of round ``rnd`` this team serves (on its list, eligible) that have no
    card yet; each gets a new code now (an edit: it syncs and is audited). With ``reprint``,
    those that have one too; with ``refs``, only those households (a lost card). Returns
    ``([(code, fields)], how many got a new code)``, in reference order. ``pace`` wraps the
    loop over every household (the GUI's worker lets its thread breathe)."""
    from .rounds import eligible

    wanted = set(refs) if refs else None
    chosen = []
    for r in pace(store.list_records("household")):
        f = r.fields
        ref = str(f.get("external_ref") or r.id)
        if wanted is not None and ref not in wanted:
            continue
        if not rnd.on_list(team, f.get("external_ref")) or not eligible(rnd, f):
            continue
        if f.get("card_code") and not (reprint or wanted is not None):
            continue
        chosen.append((ref, r.id, f))
    if wanted is not None:
        missing = wanted - {ref for ref, _, _ in chosen}
        if missing:
            raise DistributionError(f"{len(missing)} of the households named are not registered here, or not served "
                                  f"by this team in round {rnd.round_id}: {', '.join(sorted(missing)[:5])}.")
    out, new = [], 0
    with store.atomic():
        for ref, rid, f in sorted(chosen, key=lambda c: c[0]):
            code = f.get("card_code")
            if not code:
                code = new_card_code()
                store.edit_record(rid, {"card_code": code})
                new += 1
            out.append((code, {**f, "external_ref": ref}))
    return out, new
