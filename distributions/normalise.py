"""Normalisation: the first step of matching. Pure functions, each testable alone.

Names: every spelling of a name, in Cyrillic or Latin, Ukrainian or Russian, official
or old transliteration, is *folded* to one Latin key (``oleksandr`` for Олександр,
Александр, Aleksandr, Olexandr, Alexander). Folding is

1. clean-up: NFKC, lower case, the four apostrophe shapes dropped, Latin look-alike
   letters inside a Cyrillic word turned back into Cyrillic;
2. Russian-only letters (ы э ё ъ) mapped to their Ukrainian spelling;
3. Cyrillic transliterated by the official 2010 scheme (Cabinet of Ministers
   Resolution 55/2010) with ``translitua``, a maintained implementation of exactly
   that table, rather than a hand-copied one;
4. spelling differences between transliteration schemes erased (x -> ks, g -> h,
   kh -> h, y/j -> i, ie -> e, doubled letters once);
5. a given name's Russian form replaced by the Ukrainian one (table in names.py).

Dates, phones and documents are normalised to one form each, or ``None`` with a
reason when they cannot be read (a bad value is never guessed silently).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from translitua import translit

from . import names as _names

# -- names --------------------------------------------------------------------

_APOSTROPHES = "'’ʼ`ʹ‘′\u02bb"
_DROP = str.maketrans("", "", _APOSTROPHES + "ъЪ")
_RUSSIAN = str.maketrans({"ы": "и", "э": "е", "ё": "е"})
# Latin letters that look like Cyrillic ones, typed inside a Cyrillic word.
_LOOKALIKE_TO_CYR = str.maketrans({
    "a": "а", "e": "е", "i": "і", "o": "о", "c": "с", "p": "р", "x": "х", "y": "у",
    "k": "к", "m": "м", "t": "т", "h": "н", "b": "в",
})
_CYR = re.compile(r"[\u0400-\u04ff]")
_LAT = re.compile(r"[a-z]")
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[^\W\d_]")
_TOKENS = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)(\.?)")
# Polish spellings (lists made in Poland, or by Polish-speaking staff): Szewczenko,
# Kowalenko, Charczenko, Ołeksandr. A word with a Polish letter pair is read by them.
_POLISH_LETTERS = str.maketrans({"ł": "l", "ż": "zh", "ź": "z", "ś": "s", "ć": "ts", "ń": "n"})
_POLISH_HINT = re.compile(r"sz|cz|rz|ł|ż|w")
_POLISH_RULES = (("ch", "h"), ("szcz", "shch"), ("cz", "ch"), ("sz", "sh"), ("rz", "zh"), ("c", "ts"),
                 ("tsh", "ch"))
_LATIN_RULES = (
    ("tsch", "ch"), ("sch", "sh"), ("tch", "ch"), ("x", "ks"), ("kh", "h"), ("gh", "h"), ("g", "h"),
    ("w", "v"), ("ph", "f"), ("ck", "k"), ("q", "k"), ("tz", "ts"), ("j", "i"), ("y", "i"),
    ("ie", "e"), ("ei", "ei"),
)
_VOWELS = set("aeiou")
_BARE_C = re.compile(r"c(?![hk])")
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ivna", "ichna", "ilich", "inichna")


def clean(text: str) -> str:
    """NFKC, lower case, apostrophes gone, look-alike Latin letters inside Cyrillic words fixed."""
    s = unicodedata.normalize("NFKC", str(text)).lower().translate(_DROP)
    return " ".join(_fix_word(w) for w in s.split())


def _fix_word(word: str) -> str:
    # A mostly Cyrillic word with a few Latin letters had look-alikes typed into it; a
    # mostly Latin one with a Cyrillic letter is left for transliteration to finish.
    if _CYR.search(word) and _LAT.search(word) and len(_CYR.findall(word)) >= len(_LAT.findall(word)):
        return word.translate(_LOOKALIKE_TO_CYR)
    return word


def words(text: str) -> list[str]:
    """The words of a name after clean-up (hyphenated surnames stay one word)."""
    return _WORDS.findall(clean(text))


@functools.lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """One cleaned word to its scheme-free Latin key (no Russian-to-Ukrainian mapping)."""
    if _CYR.search(word):
        word = translit(word.translate(_RUSSIAN)).lower()
    elif _POLISH_HINT.search(word):
        word = word.translate(_POLISH_LETTERS)
        for old, new in _POLISH_RULES:
            word = word.replace(old, new)
    word = unicodedata.normalize("NFKD", word)
    word = "".join(c for c in word if "a" <= c <= "z" or c == "-")
    for old, new in _LATIN_RULES:
        word = word.replace(old, new)
    # The official scheme never writes a bare "c": where one stands (Stecan, Hrycan, as
    # Polish and Czech write ц), it is "ts".
    word = _BARE_C.sub("ts", word)
    out = []
    for c in word:  # doubled letters once: Nataliia = Natalia, Hanna = Hana
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=200_000)
def skeleton(key: str) -> str:
    """Consonants only, plus a final ``a`` (feminine endings): a coarse key for blocking."""
    cons = "".join(c for c in key if c not in _VOWELS and c != "-")
    return cons + ("a" if key.endswith("a") else "")


def _build_given() -> tuple[dict[str, str], dict[str, str], dict[str, bool]]:
    canon: dict[str, str] = {}  # folded spelling -> folded Ukrainian form
    display: dict[str, str] = {}  # folded Ukrainian form -> Cyrillic Ukrainian name
    female: dict[str, bool] = {}
    for table, fem in ((_names.MALE, False), (_names.FEMALE, True)):
        for uk, ru, _ in table:
            key = fold_word(clean(uk))
            canon[key] = key
            canon.setdefault(fold_word(clean(ru)), key)
            display[key] = uk
            female[key] = fem
    for latin, uk in _names.EXTRA_LATIN.items():
        canon.setdefault(fold_word(clean(latin)), fold_word(clean(uk)))
    return canon, display, female


GIVEN, GIVEN_DISPLAY, GIVEN_FEMALE = _build_given()
_GIVEN_KEYS = list(GIVEN)


@functools.lru_cache(maxsize=200_000)
def given_form(key: str) -> tuple[str, bool]:
    """(canonical key, known) for a folded word: the Ukrainian form of a known given name,
    the nearest known name for a word one or two typing errors away from one, or the word."""
    hit = GIVEN.get(key)
    if hit is not None:
        return hit, True
    if len(key) >= 4:
        # Levenshtein over the folded forms: rapidfuzz's C++ scorer, with a cut-off, keeps
        # this to microseconds per word even against the whole table.
        best = process.extractOne(key, _GIVEN_KEYS, scorer=Levenshtein.distance,
                                  score_cutoff=1 if len(key) < 7 else 2)
        if best is not None:
            return GIVEN[best[0]], False
    return key, False


_SURNAME_ENDINGS = ("enko", "uk", "chuk", "ski", "tski", "zki", "ov", "ev", "in", "ishin", "iak", "ko", "ich",
                    "iv", "ets", "ak", "ar", "un", "ai")


def looks_like_surname(key: str) -> bool:
    """A folded word with a common Ukrainian surname ending (-енко, -чук, -ський, -ів...)."""
    return len(key) > 4 and key.endswith(_SURNAME_ENDINGS) and key not in GIVEN


@functools.lru_cache(maxsize=200_000)  # called for every word of every name; the words repeat
def is_patronymic(key: str) -> bool:
    return any(key.endswith(e) and len(key) - len(e) >= 2 for e in _PATRONYMIC_ENDINGS)


@dataclass(frozen=True, slots=True)
class Name:
    """A name split into parts. Keys are folded; ``given`` is the canonical (Ukrainian) form."""

    surname: str | None
    given: str | None
    given_known: bool
    patronymic: str | None
    initials: tuple[str, ...]
    raw_given: str | None  # the word as written, for reasons
    cyrillic: bool


def _is_initial(word: str, dot: str) -> bool:
    # An initial is one letter, or a Latin digraph standing for one (Yu. for Ю., Zh. for Ж.).
    return len(word) == 1 or bool(dot and len(word) <= 4)


def _take_patronymic(keys: list[str], full: list[str], candidates: list[tuple[str, bool]]) -> tuple[str | None,
                                                                                                   int | None]:
    """Take the patronymic out of the three lists, if there is one: (patronymic, where the
    given name then is, if that follows from it)."""
    if len(keys) < 3:
        return None, None
    # Surnames end in -ович too (Ярошевич): the patronymic is the word right after a
    # known given name, else the last patronymic-like word that is not the first.
    pats = [i for i, k in enumerate(keys) if is_patronymic(k)]
    if not pats:
        return None, None
    after = [i for i in pats if i > 0 and candidates[i - 1][1] and i - 1 not in pats]
    later = [i for i in pats if i != 0]
    at = after[0] if after else (later[-1] if later else pats[-1])
    patronymic = keys.pop(at)
    full.pop(at)
    candidates.pop(at)
    # The given name comes right before the patronymic, in either order:
    # "Прізвище Ім'я По батькові" and "Ім'я По батькові Прізвище".
    return patronymic, (at - 1 if at >= 1 else None)


def _given_position(keys: list[str], candidates: list[tuple[str, bool]]) -> int | None:
    """Which word is the given name: a known name, else one near a known name, else the one
    of two words that does not look like a surname."""
    exact = [i for i, (_, known) in enumerate(candidates) if known]
    near = [i for i, (canon, _) in enumerate(candidates) if canon in GIVEN_DISPLAY]
    for found in (exact, near):
        if found:
            return found[0]
    if len(keys) == 2 and looks_like_surname(keys[0]) != looks_like_surname(keys[1]):
        return 1 if looks_like_surname(keys[0]) else 0
    return None


@functools.lru_cache(maxsize=400_000)
def parse_name(text: str) -> Name:
    """Split a full name in any order ("Прізвище Ім'я По батькові", "Ім'я Прізвище",
    initials, no patronymic) into its parts."""
    tokens = _TOKENS.findall(clean(text))
    cyr = any(_CYR.search(w) for w, _ in tokens)
    initials = tuple(fold_word(w) for w, dot in tokens if _is_initial(w, dot))
    full = [w for w, dot in tokens if not _is_initial(w, dot)]
    keys = [fold_word(w) for w in full]
    candidates = [given_form(k) for k in keys]
    patronymic, pick = _take_patronymic(keys, full, candidates)
    if pick is None:
        pick = _given_position(keys, candidates)
    given = raw_given = surname = None
    known = False
    if pick is not None and (len(keys) > 1 or (not initials and patronymic is not None)):
        given, known = candidates[pick]
        raw_given = full[pick]
        rest = [k for i, k in enumerate(keys) if i != pick]
        surname = rest[0] if rest else None
    elif len(keys) > 1:
        # No known given name: the official order, surname first.
        surname, given, raw_given = keys[0], keys[1], full[1]
    elif keys:
        surname = keys[0]
    return Name(surname, given, known, patronymic, initials, raw_given, cyr)


def name_key(name: Name) -> str | None:
    """The cross-script name key: surname skeleton + canonical given name."""
    if not name.surname or not name.given:
        return None
    return f"{skeleton(name.surname)}|{name.given}"


# -- dates --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: dt.date | None
    ambiguous: bool = False
    problem: str | None = None


_ISO = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T].*)?$")
_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _year(y: str, today: dt.date) -> int:
    if len(y) == 4:
        return int(y)
    n = int(y)  # two digits: a birth date is never in the future
    return 2000 + n if 2000 + n <= today.year else 1900 + n


def parse_date(value: object, *, today: dt.date | None = None) -> ParsedDate:
    """Read a date as registration lists write it: 1975-03-14, 14.03.1975, 14.03.75,
    3/14/1975 (month first, as spreadsheets export), a spreadsheet serial number, or a
    date object. ``ambiguous`` is set when both day and month are 12 or less in a
    slash date: it is read month first, and a caller must flag it, not trust it."""
    today = today or dt.date.today()
    if value is None or value == "":
        return ParsedDate(None)
    if isinstance(value, dt.datetime):
        return ParsedDate(value.date())
    if isinstance(value, dt.date):
        return ParsedDate(value)
    s = str(value).strip()
    if re.fullmatch(r"\d{4,5}(\.0+)?", s):
        serial = int(float(s))
        if 1 <= serial <= 80000:
            return ParsedDate(_EXCEL_EPOCH + dt.timedelta(days=serial))
    ambiguous = False
    if m := _ISO.match(s):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DOTS.match(s):
        d, mo, y = int(m[1]), int(m[2]), _year(m[3], today)
    elif m := _SLASH.match(s):
        a, b, y = int(m[1]), int(m[2]), _year(m[3], today)
        if a > 12 and b <= 12:
            d, mo = a, b
        else:
            mo, d = a, b
            ambiguous = a <= 12 and b <= 12 and a != b
    else:
        return ParsedDate(None, problem="not a date in a known format")
    try:
        date = dt.date(y, mo, d)
    except ValueError:
        return ParsedDate(None, problem="no such day")
    if date > today or date.year < 1900:
        return ParsedDate(None, problem="out of range")
    return ParsedDate(date, ambiguous)


# -- phones -------------------------------------------------------------------

_NON_DIGIT = re.compile(r"\D+")
_PHONE_SEPARATORS = re.compile(r"[,;\n]|\s(?:або|or|чи)\s", re.IGNORECASE)


def phones(value: object) -> list[str]:
    """Every phone in a cell (lists put two in one: "067 123 45 67, 050 ...")."""
    if value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = [phone(part) for part in _PHONE_SEPARATORS.split(str(value))]
    return [p for p in found if p]


def phone(value: object) -> str | None:
    """A Ukrainian mobile or landline number as +380XXXXXXXXX, or None when it is not one
    (too short, a placeholder such as 0000000000)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet read the number as a number
    text = str(value)
    if _PHONE_SEPARATORS.search(text):
        # Two numbers in one cell ("067 123 45 67, 050 ..."): the first that is a phone.
        for part in _PHONE_SEPARATORS.split(text):
            found = phone(part)
            if found:
                return found
        return None
    digits = _NON_DIGIT.sub("", text)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 12 and digits.startswith("380"):
        national = digits[3:]
    elif len(digits) == 11 and digits.startswith("80"):
        national = digits[2:]
    elif len(digits) == 10 and digits.startswith("0"):
        national = digits[1:]
    elif len(digits) == 9 and not digits.startswith("0"):
        national = digits  # a spreadsheet dropped the leading 0
    else:
        return None
    if len(set(national[2:])) <= 1:
        return None  # a placeholder such as 0670000000
    return "+380" + national


# -- documents ----------------------------------------------------------------

# Old passport series letters, typed in Latin by look-alike (EH) or by sound (EN).
_SERIES_TO_CYR = str.maketrans({
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р",
    "T": "Т", "X": "Х", "I": "І", "Y": "У", "N": "Н", "S": "С", "V": "В", "R": "Р", "D": "Д",
    "Z": "З", "L": "Л", "U": "У", "G": "Г", "F": "Ф",
})
_DOC_DROP = re.compile(r"[\s\-./\\_№#]+")
_PASSPORT = re.compile(r"^([А-ЯІЇЄҐ]{2})(\d{6})$")


def document(value: object) -> tuple[str, str] | None:
    """(type, normalised number) for a passport booklet (two Cyrillic letters + six digits;
    Latin look-alikes mapped back), an ID card (nine digits), or a tax number (ten digits,
    returned only when its check digit is right); None otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # "№" goes before NFKC, which would spell it "No".
    s = unicodedata.normalize("NFKC", str(value).replace("№", " ")).upper()
    s = _DOC_DROP.sub("", s).translate(_SERIES_TO_CYR)
    if m := _PASSPORT.match(s):
        return "passport", m[1] + m[2]
    if s.isdigit():
        if len(s) == 9 and len(set(s)) > 1:
            return "id_card", s
        if len(s) == 10 and rnokpp_valid(s):
            return "rnokpp", s
    return None


_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
_RNOKPP_EPOCH = dt.date(1899, 12, 31)


def rnokpp_check_digit(first_nine: str) -> int:
    return sum(int(d) * w for d, w in zip(first_nine, _RNOKPP_WEIGHTS)) % 11 % 10


def rnokpp_valid(value: str) -> bool:
    """Ten digits whose last is the check digit of the first nine (not all one digit)."""
    return (len(value) == 10 and value.isdigit() and len(set(value)) > 1
            and rnokpp_check_digit(value[:9]) == int(value[9]))


def rnokpp_birth_date(value: str) -> dt.date | None:
    """The first five digits count days from 31.12.1899 to the birth date."""
    if not rnokpp_valid(value):
        return None
    return _RNOKPP_EPOCH + dt.timedelta(days=int(value[:5]))


def rnokpp_female(value: str) -> bool:
    """The ninth digit is even for a woman, odd for a man."""
    return int(value[8]) % 2 == 0


def make_rnokpp(birth: dt.date, serial: int, female: bool) -> str:
    """A well-formed tax number for a birth date (for synthetic data and tests)."""
    days = (birth - _RNOKPP_EPOCH).days
    digit9 = (serial % 5) * 2 + (0 if female else 1)
    first = f"{days:05d}{(serial // 5) % 1000:03d}{digit9}"
    return first + str(rnokpp_check_digit(first))
