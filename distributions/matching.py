"""Duplicate detection: prepare -> block -> compare -> decide. Each step stands alone.

* ``prepare`` normalises one household (normalise.py) into a ``Prepared`` row.
* ``candidate_pairs`` blocks on normalised keys (tax number, document, phone, birth date
  with day and month in either order, the cross-script name key) so that only pairs
  sharing a key are compared: 100,000 households give a few hundred thousand pairs,
  not five billion.
* ``compare`` weighs each field of a pair and says why, in words, as a list of
  ``Evidence`` (a Fellegi-Sunter style weight per field: positive when the field
  agrees, negative when it disagrees in a way a duplicate would not).
* ``compare_household`` is the second way two registrations can be one household: a
  spouse registered it instead of the head. It looks for each head among the other's
  members (the spouse listed in one heads the other) and counts the members both list.
* ``decide`` sums the weights; pairs at or above the threshold become candidates for a
  reviewer. Nothing is merged here.

The weights are in ``WEIGHTS``, in one place, and docs/registry.md explains them.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from rapidfuzz.distance import Indel, Levenshtein

from . import normalise as N

WEIGHTS = {
    "tax_same": 10.0, "tax_differs": -10.0,
    "doc_same": 8.0, "doc_one_char": 2.0, "doc_differs": -4.0,
    "phone_same": 3.0, "phone_shared": 1.5, "phone_common": 0.5,
    "dob_same": 4.0, "dob_swap": 3.0, "dob_placeholder": 1.0, "dob_one_digit": 1.5,
    "dob_differs": -4.0, "dob_generation": -8.0,
    "given_same": 3.5, "given_near": 2.0, "given_unsure": -4.0, "given_initial": 1.0, "given_initial_differs": -3.0,
    "given_differs": -8.0,
    "surname_min": 1.5, "surname_max": 4.0, "surname_near": 2.0, "surname_differs": -3.0,
    "patronymic_same": 1.5, "patronymic_differs": -4.0,
    "sex_differs": -6.0,
    "settlement_same": 1.0,
    # A spouse registering instead of the head: the heads differ, the members overlap.
    "spouse_listed": 3.5, "listed_dob_agrees": 2.0, "member_is_head": 1.0,
    "member_shared": 2.5, "members_shared_max": 7.5, "children_differ": -4.0,
}
THRESHOLD = 8.0
GENERATION_YEARS = 14
SHARED_PHONE = 2  # a phone on more registrations than this is a family's or an office's
MAX_BLOCK = 400  # a key shared by more rows than this says nothing (an office phone)


@dataclass(frozen=True, slots=True)
class Member:
    """One member a household lists besides its head: the name and birth date as written,
    and the relation (spouse, child, parent, other, or None when not given). The name and
    date are parsed when first asked for: most households are never compared member by
    member, and parsing every member up front cost as much as the rest of matching."""

    raw: str
    dob_text: str | None
    relation: str | None

    @property
    def name(self) -> N.Name:
        return member_name(self.raw)

    @property
    def dob(self) -> dt.date | None:
        return _member_dob(self.dob_text) if self.dob_text else None


@dataclass(slots=True)
class Prepared:
    """One household, normalised for matching. Holds personal data: memory only."""

    index: int
    ref: str
    raw_name: str
    name: N.Name
    dob: dt.date | None
    dob_placeholder: bool
    phones: tuple[str, ...]
    docs: dict
    tax: str | None
    female: bool | None
    settlement: str | None
    members: tuple[Member, ...] = ()
    member_givens: frozenset = frozenset()  # the members' names' words as first names, for a quick no


@dataclass(frozen=True, slots=True)
class Evidence:
    field: str
    weight: float
    reason: str


@dataclass(slots=True)
class Candidate:
    """A pair that may be one household: refs, total score and the reasons."""

    a: int
    b: int
    ref_a: str
    ref_b: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def reasons(self) -> str:
        return "; ".join(e.reason for e in self.evidence if e.reason)


# -- prepare --------------------------------------------------------------------------

def _sex(name: N.Name, tax: str | None) -> bool | None:
    if tax:
        return N.rnokpp_female(tax)
    if name.given_known and name.given in N.GIVEN_FEMALE:
        return N.GIVEN_FEMALE[name.given]
    if name.patronymic:
        return name.patronymic.endswith(("vna", "chna"))
    return None


def prepare(index: int, household: Mapping) -> Prepared:
    """Normalise one household's head: name, birth date, phone, documents, settlement."""
    raw_name = str(household.get("head_name") or "")
    name = N.parse_name(raw_name)
    docs: dict[str, str] = {}
    tax = None
    for key in ("doc_number", "tax_number", "passport", "id_card"):
        parsed = N.document(household.get(key)) if household.get(key) not in (None, "") else None
        if parsed is None:
            continue
        kind, number = parsed
        if kind == "rnokpp":
            tax = number
        else:
            docs[kind] = number
    dob = N.parse_date(household.get("dob")).value
    if dob is None and tax:
        dob = N.rnokpp_birth_date(tax)
    settlement = household.get("settlement")
    members = read_members(household.get("members"))
    return Prepared(
        index=index,
        ref=str(household.get("ref") or household.get("reg_id") or household.get("id") or index),
        raw_name=raw_name,
        name=name,
        dob=dob,
        dob_placeholder=dob is not None and dob.day == 1 and dob.month == 1,
        phones=tuple(dict.fromkeys(
            ph for ph in N.phones(household.get("phone")) + N.phones(household.get("phone_other")))),
        docs=docs,
        tax=tax,
        female=_sex(name, tax),
        settlement=" ".join(N.fold_word(w) for w in N.words(settlement)) if settlement else None,
        members=members,
        member_givens=given_words(members),
    )


# Relation words as forms and lists write them (Ukrainian, Russian, English), by kind.
RELATIONS = {
    "spouse": ("дружина", "чоловік", "жінка", "жена", "муж", "супруг", "супруга", "співмешканець",
               "співмешканка", "wife", "husband", "spouse", "partner"),
    "child": ("син", "донька", "дочка", "дочь", "сын", "дитина", "ребенок", "son", "daughter", "child"),
    "parent": ("мати", "мама", "батько", "мать", "отец", "mother", "father", "parent"),
}
_RELATION_OF = {word: kind for kind, words in RELATIONS.items() for word in words}


@functools.lru_cache(maxsize=1000)
def _relation_word(text: str) -> str | None:
    words = N.clean(text).replace("/", " ").split()
    return _RELATION_OF.get(words[0], "other") if words else None


def relation_kind(value: object) -> str | None:
    """``spouse``, ``child``, ``parent``, ``other`` for any other relation, None when none is given."""
    return _relation_word(str(value)) if value not in (None, "") else None


@functools.lru_cache(maxsize=100_000)
def _member_dob(text: str) -> dt.date | None:
    return N.parse_date(text).value


@functools.lru_cache(maxsize=100_000)
def _word_given(word: str) -> tuple[str, bool]:
    """One word of a member's name as a first name's key, and whether it is a known name."""
    return N.given_form(N.fold_word(N.clean(word)))


@functools.lru_cache(maxsize=100_000)
def word_keys(text: str) -> frozenset:
    """Every word of a name as a first name's key."""
    return frozenset(_word_given(w)[0] for w in text.split())


def given_words(members: tuple[Member, ...]) -> frozenset:
    """Every word of the members' names as a first name's key: enough for a quick no
    (nobody here is named like that head) without parsing the names."""
    return frozenset().union(*(word_keys(m.raw) for m in members))


def member_givens(m: Member) -> tuple[str, ...]:
    """A member's first name's key: the one known first name among the words, without
    parsing the name; else the first name of each way of reading the name."""
    known = {canon for canon, ok in map(_word_given, m.raw.split()) if ok}
    if len(known) == 1:
        return tuple(known)
    return tuple(dict.fromkeys(n.given for n in readings(m.raw) if n.given))


@functools.lru_cache(maxsize=100_000)
def readings(text: str) -> tuple[N.Name, ...]:
    """The ways to read a member's name: as parsed, and for two words without a known first
    name, the other way round too ("Мирошак Еміль": the parser took Мирошак, two letters
    from Мирослав, for the first name)."""
    name = member_name(text)
    if name.given_known or not (name.surname and name.given and name.raw_given) or name.patronymic \
            or name.initials or len(text.split()) != 2:
        return (name,)
    given, known = N.given_form(name.surname)
    return name, N.Name(N.fold_word(N.clean(name.raw_given)), given, known, None, (),
                        next(w for w in text.split() if w != name.raw_given), name.cyrillic)


@functools.lru_cache(maxsize=200_000)
def member_name(text: str) -> N.Name:
    """A member's name: as a head's, except that one word is the first name ("Олена",
    "Орест"): members are often listed by first name alone, rarely by surname alone."""
    name = N.parse_name(text)
    if name.given is None and name.surname and not name.initials and name.patronymic is None:
        canon, known = N.given_form(name.surname)
        return N.Name(None, canon, known, None, (), text.strip(), name.cyrillic)
    return name


def read_members(value: object) -> tuple[Member, ...]:
    """The members of a household: a list of objects (name, relation, dob, sex), or that
    list as JSON text (a list's ``members`` column). Anything else lists nobody."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except ValueError:
            return ()
    if not isinstance(value, list):
        return ()
    out = []
    for m in value:
        raw = str(m.get("name") or "").strip() if isinstance(m, Mapping) else ""
        if not raw:
            continue
        dob = m.get("dob")
        out.append(Member(raw, str(dob).strip() if dob not in (None, "") else None, relation_kind(m.get("relation"))))
    return tuple(out)


# -- block ----------------------------------------------------------------------------

def blocking_keys(p: Prepared) -> list[tuple]:
    """The keys a row is filed under; two rows are compared when they share one."""
    keys: list[tuple] = []
    if p.tax:
        keys.append(("t", p.tax))
    for kind, number in p.docs.items():
        keys.append(("d", number))
    for ph in p.phones:
        keys.append(("p", ph))
    nk = N.name_key(p.name)
    if p.dob:
        lo, hi = sorted((p.dob.day, p.dob.month))
        keys.append(("b", p.dob.year, lo, hi))  # a day/month swap files under the same key
        if nk:
            # The name with the year, or with the day and month: a typo in one part of the
            # date still meets the other, and namesakes born years apart never meet.
            keys.append(("ny", nk, p.dob.year))
            keys.append(("nd", nk, lo, hi))
        if p.name.given and p.name.patronymic:
            # First name, father's name and year, without the surname: a typo in the
            # surname and one in the date no longer hide a pair from each other.
            keys.append(("gp", p.name.given, _patronymic_stem(p.name.patronymic), p.dob.year))
    if nk:
        # Rows without a birth date meet every row of the same name (see candidate_pairs).
        keys.append(("n", nk))
    keys += couple_keys(p)
    return keys


def couple_keys(p: Prepared) -> list[tuple]:
    """The couple's two first names (in either order) with the surname, with either
    spouse's first name and birth year, and, when the spouse's birth date is not listed,
    with the settlement: a household registered by the husband and again by the wife
    meets itself here, even under her maiden surname or after a move."""
    keys: list[tuple] = []
    if not p.name.given:
        return keys
    for m in p.members:
        for given in member_givens(m) if m.relation == "spouse" else ():
            couple = tuple(sorted((p.name.given, given)))
            if p.name.surname:
                keys.append(("c", couple, N.skeleton(p.name.surname)))
            # Each spouse's first name with their birth year: one listed birth date is enough.
            if p.dob:
                keys.append(("cp", couple, p.name.given, p.dob.year))
            if m.dob:
                keys.append(("cp", couple, given, m.dob.year))
            elif p.settlement:
                # No birth date listed here: if the other list has none either, the
                # settlement is what is left (couples of common names in a city are many).
                keys.append(("cs", couple, p.settlement))
    return keys


def candidate_pairs(rows: list[Prepared], *, max_block: int = MAX_BLOCK) -> tuple[set[tuple[int, int]], int]:
    """Pairs of row indexes that share at least one blocking key, and how many keys were
    too common to use (more than ``max_block`` rows)."""
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for p in rows:
        for key in blocking_keys(p):
            blocks[key].append(p.index)
    pairs: set[tuple[int, int]] = set()
    skipped = 0
    for key, members in blocks.items():
        n = len(members)
        if n < 2:
            continue
        if key[0] == "n":
            # The bare name key pairs only rows that lack a birth date with the others:
            # all namesakes against all would be most of the work and none of the finds.
            undated = [i for i in members if rows[i].dob is None]
            if len(undated) * n > max_block * max_block:
                skipped += 1
                continue
            for a in undated:
                for b in members:
                    if a != b:
                        pairs.add((a, b) if a < b else (b, a))
            continue
        if n > max_block:
            skipped += 1
            continue
        for i in range(n):
            a = members[i]
            for j in range(i + 1, n):
                b = members[j]
                pairs.add((a, b) if a < b else (b, a))
    return pairs, skipped


# -- compare --------------------------------------------------------------------------

@dataclass(slots=True)
class Stats:
    """Frequencies over the whole list: a shared phone or a common surname says less."""

    rows: int
    phones: Counter
    surnames: Counter

    @classmethod
    def of(cls, rows: list[Prepared]) -> "Stats":
        return cls(len(rows), Counter(ph for p in rows for ph in p.phones),
                   Counter(N.skeleton(p.name.surname) for p in rows if p.name.surname))

    def surname_weight(self, surname: str) -> float:
        # Term-frequency adjustment (as in Fellegi-Sunter tools): agreement on a rare
        # surname is stronger evidence than on Шевченко. A pseudo-count keeps a small
        # list from calling every surname common.
        share = (self.surnames[N.skeleton(surname)] + 1) / (self.rows + 2000)
        w = 0.4 * math.log2(1 / share)
        return max(WEIGHTS["surname_min"], min(WEIGHTS["surname_max"], w))


def _similar(a: str, b: str, cutoff: float = 0.8) -> bool:
    return Levenshtein.normalized_similarity(a, b) >= cutoff


def _closeness(a: str, b: str) -> float:
    # For given names only. Levenshtein forgives a wrong key; Indel (insertions and
    # deletions only) forgives a dropped letter better in a short name. Not for surnames
    # or patronymics, where shared endings (-енко, -івна) would make strangers look close.
    return max(Levenshtein.normalized_similarity(a, b), Indel.normalized_similarity(a, b))


def _pair_words(a: str, b: str) -> str:
    return f"{a.capitalize()} ↔ {b.capitalize()}"


def _same_given(a: N.Name, b: N.Name, ra: str, rb: str) -> Evidence:
    """Two first names with one canonical form."""
    W = WEIGHTS
    if a.given_known and b.given_known or N.fold_word(ra) == N.fold_word(rb):
        if ra == rb:
            return Evidence("given", W["given_same"], "same first name")
        if a.cyrillic != b.cyrillic:
            return Evidence("given", W["given_same"], "names match across scripts: " + _pair_words(ra, rb))
        return Evidence("given", W["given_same"], "one first name in two forms: " + _pair_words(ra, rb))
    return Evidence("given", W["given_near"], "first names nearly match (a typing error?): " + _pair_words(ra, rb))


def _other_given(a: N.Name, b: N.Name, ra: str, rb: str) -> Evidence:
    """Two first names with different canonical forms: two names, or one mistyped."""
    W = WEIGHTS
    if a.given_known and b.given_known and a.given in N.GIVEN_DISPLAY and b.given in N.GIVEN_DISPLAY:
        # Two different real names (twins, siblings): the strongest sign of two people.
        return Evidence("given", W["given_differs"], "different first names: " + _pair_words(ra, rb))
    closeness = _closeness(N.fold_word(ra), N.fold_word(rb))
    if len(a.given) >= 4 and closeness >= 0.8:
        return Evidence("given", W["given_near"], "first names nearly match (a typing error?): " + _pair_words(ra, rb))
    if closeness >= 0.7:
        # One of them is no name we know and it is not far from the other: maybe a
        # bad typing error, maybe a rare name. Weak evidence against.
        return Evidence("given", W["given_unsure"], "first names differ: " + _pair_words(ra, rb))
    return Evidence("given", W["given_differs"], "different first names: " + _pair_words(ra, rb))


def _given_and_initial(a: N.Name, b: N.Name) -> Evidence | None:
    """At most one first name written out: it against the other's initial, if any."""
    full, other = (a, b) if a.given else (b, a)
    if full.given and other.initials:
        spelled = (full.given, N.fold_word(N.clean(full.raw_given or "")))
        if any(word.startswith(other.initials[0]) for word in spelled):
            return Evidence("given", WEIGHTS["given_initial"], "first name matches an initial")
        return Evidence("given", WEIGHTS["given_initial_differs"], "first name and initial differ")
    return None


def compare_given(a: N.Name, b: N.Name) -> Evidence | None:
    # On the matcher's hot path: one branch here and one helper call per pair.
    if a.given and b.given:
        ra, rb = a.raw_given or a.given, b.raw_given or b.given
        if a.given == b.given:
            return _same_given(a, b, ra, rb)
        return _other_given(a, b, ra, rb)
    return _given_and_initial(a, b)


def compare_surname(a: N.Name, b: N.Name, stats: Stats) -> Evidence | None:
    W = WEIGHTS
    if not (a.surname and b.surname):
        return None
    if a.surname == b.surname or N.skeleton(a.surname) == N.skeleton(b.surname) and _similar(a.surname, b.surname, 0.7):
        return Evidence("surname", stats.surname_weight(a.surname), "same surname" if a.surname == b.surname
                        else "surnames match in two spellings")
    if _similar(a.surname, b.surname):
        return Evidence("surname", W["surname_near"], "surnames nearly match (a typing error?)")
    return Evidence("surname", W["surname_differs"], "different surnames")


@functools.lru_cache(maxsize=100_000)
def _patronymic_stem(key: str) -> str:
    """The father's name a patronymic is made from (Петрівна, Петровна -> Петро)."""
    for ending in N._PATRONYMIC_ENDINGS:
        if key.endswith(ending):
            stem = key[: -len(ending)]
            for guess in (stem, stem + "i", stem.rstrip("i")):
                canon, known = N.given_form(guess)
                if known:
                    return canon
            return N.given_form(stem)[0]
    return key


def compare_patronymic(a: N.Name, b: N.Name) -> Evidence | None:
    if not (a.patronymic and b.patronymic):
        return None
    pa, pb = a.patronymic, b.patronymic
    if pa == pb:
        return Evidence("patronymic", WEIGHTS["patronymic_same"], "same patronymic")
    if N.skeleton(pa) == N.skeleton(pb) or _patronymic_stem(pa) == _patronymic_stem(pb) or _similar(pa, pb):
        return Evidence("patronymic", WEIGHTS["patronymic_same"], "patronymics from the same father's name")
    return Evidence("patronymic", WEIGHTS["patronymic_differs"], "different patronymics")


def _one_digit(a: dt.date, b: dt.date) -> bool:
    """One digit mistyped, or a day or a year off by one (a slip, or a serial date off by one)."""
    sa, sb = a.strftime("%d%m%Y"), b.strftime("%d%m%Y")
    if sum(x != y for x, y in zip(sa, sb)) == 1 or abs((a - b).days) == 1:
        return True
    return (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) == 1


def compare_dob(a: Prepared, b: Prepared) -> Evidence | None:
    W = WEIGHTS
    da, db = a.dob, b.dob
    if da is None or db is None:
        return None
    if da == db:
        return Evidence("dob", W["dob_same"], "same birth date")
    if da.year == db.year and da.day == db.month and da.month == db.day:
        return Evidence("dob", W["dob_swap"], "birth dates differ by a day/month swap")
    if da.year == db.year and (a.dob_placeholder or b.dob_placeholder):
        return Evidence("dob", W["dob_placeholder"], "same birth year; one birth date is the 01.01 placeholder")
    years = abs(da.year - db.year)
    if years >= GENERATION_YEARS:  # before the one-digit test: 1955 and 1985 differ by one digit
        return Evidence("dob", W["dob_generation"], f"born {years} years apart")
    if _one_digit(da, db):
        return Evidence("dob", W["dob_one_digit"], "birth dates differ by one digit")
    return Evidence("dob", W["dob_differs"], "different birth dates")


def compare_documents(a: Prepared, b: Prepared) -> list[Evidence]:
    W = WEIGHTS
    out = []
    if a.tax and b.tax:
        if a.tax == b.tax:
            out.append(Evidence("tax", W["tax_same"], "same tax number"))
        else:
            out.append(Evidence("tax", W["tax_differs"], "different tax numbers"))
    label = {"passport": "passport", "id_card": "ID card"}
    for kind in a.docs.keys() & b.docs.keys():
        x, y = a.docs[kind], b.docs[kind]
        if x == y:
            out.append(Evidence("document", W["doc_same"], f"same {label[kind]} number"))
        elif Levenshtein.distance(x, y) == 1:
            out.append(Evidence("document", W["doc_one_char"], f"{label[kind]} numbers differ by one character"))
        else:
            out.append(Evidence("document", W["doc_differs"], f"different {label[kind]} numbers"))
    if not out and a.docs and b.docs and set(a.docs.values()) & set(b.docs.values()):
        out.append(Evidence("document", W["doc_same"], "same document number"))
    return out


def compare_phone(a: Prepared, b: Prepared, stats: Stats) -> Evidence | None:
    shared = [ph for ph in a.phones if ph in b.phones]
    if not shared:
        return None  # people change SIM cards: a different phone is no evidence
    n = min(stats.phones[ph] for ph in shared)
    if n <= SHARED_PHONE:
        return Evidence("phone", WEIGHTS["phone_same"], "same phone")
    if n <= 4:
        return Evidence("phone", WEIGHTS["phone_shared"], f"same phone (on {n} registrations)")
    return Evidence("phone", WEIGHTS["phone_common"], f"same phone, but it is on {n} registrations")


def _names(a: N.Name, b: N.Name, stats: Stats) -> list[Evidence]:
    found = [e for e in (compare_given(a, b), compare_surname(a, b, stats)) if e is not None]
    if a.given and b.given and a.surname and b.surname and sum(e.weight for e in found) < 0 \
            and not (a.given_known and b.given_known):
        # Two words with no name we know ("Захар Мельничук" / "Мельничук Захар"): the
        # order is a guess, so try the other one.
        swapped = N.Name(b.given, b.surname, False, b.patronymic, b.initials, b.surname, b.cyrillic)
        other = [e for e in (compare_given(a, swapped), compare_surname(a, swapped, stats)) if e is not None]
        if sum(e.weight for e in other) > sum(e.weight for e in found):
            found = other
    return found


def compare(a: Prepared, b: Prepared, stats: Stats) -> list[Evidence]:
    """Every field's evidence for one pair, strongest identifiers first."""
    out = compare_documents(a, b) + _names(a.name, b.name, stats)
    for ev in (compare_patronymic(a.name, b.name), compare_dob(a, b), compare_phone(a, b, stats)):
        if ev is not None:
            out.append(ev)
    if a.female is not None and b.female is not None and a.female != b.female:
        out.append(Evidence("sex", WEIGHTS["sex_differs"], "one is a man, the other a woman"))
    if a.settlement and a.settlement == b.settlement:
        out.append(Evidence("settlement", WEIGHTS["settlement_same"], "same settlement"))
    return out


# -- compare: a spouse registering instead of the head ----------------------------------

_RELATION_WORDS = {"child": "a child", "parent": "a parent", "other": "a member"}


def _dob_agrees(x: dt.date | None, y: dt.date | None) -> bool | None:
    """None when either is missing; True for the same date, a swap or one digit off."""
    if x is None or y is None:
        return None
    return x == y or (x.year == y.year and (x.day, x.month) == (y.month, y.day)) or _one_digit(x, y)


def _surnames_fit(a: N.Name, b: N.Name) -> bool:
    """Missing, or one surname in a man's and a woman's form (Лозовський / Лозовська), or a typo."""
    if not (a.surname and b.surname):
        return True
    return N.skeleton(a.surname).removesuffix("a") == N.skeleton(b.surname).removesuffix("a") \
        or _similar(a.surname, b.surname)


def _same_given_key(x: str | None, y: str | None) -> bool:
    return bool(x and y) and (x == y or len(x) >= 4 and _closeness(x, y) >= 0.85)


def _person_fits(name: N.Name, dob: dt.date | None, m: Member) -> tuple[bool, bool | None, bool]:
    """Whether a member can be this person: (fits, birth dates agree, surname differs).
    A surname that differs is allowed only with a birth date that agrees (a maiden name);
    a different patronymic or birth date is another person."""
    dob_ok = _dob_agrees(dob, m.dob)
    if dob_ok is False:  # before the name: most members tried are someone else, born another day
        return False, False, False
    for reading in readings(m.raw):
        if _same_given_key(name.given, reading.given):
            break
    else:
        return False, None, False
    patronymic = compare_patronymic(name, reading)
    if patronymic is not None and patronymic.weight < 0:
        return False, dob_ok, False
    other_surname = not _surnames_fit(name, reading)
    return (dob_ok is True or not other_surname), dob_ok, other_surname


@dataclass(frozen=True, slots=True)
class _Listed:
    """One household's head found among the other's members."""

    member: Member
    dob_agrees: bool
    other_surname: bool

    @property
    def as_spouse(self) -> bool:
        return self.member.relation in ("spouse", None)


def find_listed(head: Prepared, other: Prepared) -> _Listed | None:
    """``head``'s head among ``other``'s members: the best fit, a spouse first."""
    best = None
    given = head.name.given
    for m in other.members:
        if not any(_same_given_key(given, k) for k in word_keys(m.raw)):
            continue  # no word of the name is that first name: no need to parse it
        fits, dob_ok, other_surname = _person_fits(head.name, head.dob, m)
        if fits:
            found = _Listed(m, bool(dob_ok), other_surname)
            if best is None or (found.as_spouse, found.dob_agrees) > (best.as_spouse, best.dob_agrees):
                best = found
    return best


def _listed_evidence(head: Prepared, found: _Listed) -> Evidence:
    m = found.member
    if found.as_spouse:
        weight, words = WEIGHTS["spouse_listed"], "head of one is the spouse listed in the other"
        if m.relation is None:
            words = "head of one is listed in the other (no relation given)"
    else:
        weight, words = WEIGHTS["member_is_head"], f"head of one is listed in the other as {_RELATION_WORDS[m.relation]}"
    detail = ""
    if found.dob_agrees:
        weight += WEIGHTS["listed_dob_agrees"]
        detail = ", same birth date"
    if found.other_surname:
        detail += ", under another surname (a maiden name?)"
    return Evidence("household", weight, f"{words}: {m.raw} ↔ {head.raw_name.strip()}{detail}")


def shared_members(a: Prepared, b: Prepared, skip: tuple) -> tuple[int, int]:
    """(children, other members) both households list, leaving out the heads found."""
    children = others = 0
    theirs = [n for n in b.members if n not in skip]
    for m in a.members:
        if m in skip:
            continue
        for n in theirs:
            fits, _, _ = _person_fits(m.name, m.dob, n)
            if fits:
                theirs.remove(n)
                if "child" in (m.relation, n.relation):
                    children += 1
                else:
                    others += 1
                break
    return children, others


def _shared_evidence(a: Prepared, b: Prepared, skip: tuple, children: int, others: int) -> list[Evidence]:
    W = WEIGHTS
    out = []
    if children + others:
        words = [f"{children} {'child' if children == 1 else 'children'}" if children else "",
                 f"{others} other {'member' if others == 1 else 'members'}" if others else ""]
        weight = min(W["members_shared_max"], W["member_shared"] * (children + others))
        out.append(Evidence("members", weight, " and ".join(w for w in words if w) + " in both"))
    elif all(any(m.relation == "child" and m not in skip for m in h.members) for h in (a, b)):
        out.append(Evidence("members", W["children_differ"], "the children listed differ"))
    return out


def compare_household(a: Prepared, b: Prepared, stats: Stats) -> list[Evidence] | None:
    """The evidence that a spouse registered the household instead of the head: each
    head among the other's members, the members both list, phone and settlement. None
    when the lists do not fit that story: a head listed as the other's spouse, found both
    ways or with a member more in both; or, listed as anything else (an adult child who
    moved out), with at least two more members in both."""
    if not (a.members and b.members):
        return None
    ab, ba = find_listed(a, b), find_listed(b, a)
    if ab is None and ba is None:
        return None
    skip = tuple(x.member for x in (ab, ba) if x is not None)
    children, others = shared_members(a, b, skip)
    shared = children + others
    as_spouse = sum(1 for x in (ab, ba) if x is not None and x.as_spouse)
    if not (as_spouse and (as_spouse == 2 or shared)) and shared < 2:
        return None
    out = [_listed_evidence(h, x) for h, x in ((a, ab), (b, ba)) if x is not None]
    out += _shared_evidence(a, b, skip, children, others)
    for ev in (compare_phone(a, b, stats),):
        if ev is not None:
            out.append(ev)
    if a.settlement and a.settlement == b.settlement:
        out.append(Evidence("settlement", WEIGHTS["settlement_same"], "same settlement"))
    return out


def compare_pair(a: Prepared, b: Prepared, stats: Stats) -> list[Evidence]:
    """The stronger of the two explanations of a pair: the heads compared, or a spouse
    registering instead of the head (for showing a reviewer why a pair was proposed)."""
    heads = compare(a, b, stats)
    household = compare_household(a, b, stats)
    if household and sum(e.weight for e in household) > sum(e.weight for e in heads):
        return household
    return heads


# -- decide ---------------------------------------------------------------------------

def decide(a: Prepared, b: Prepared, evidence: list[Evidence], threshold: float = THRESHOLD) -> Candidate | None:
    """A candidate when the evidence adds up to the threshold; the reasons go with it."""
    score = round(sum(e.weight for e in evidence), 1)
    if score < threshold:
        return None
    return Candidate(a.index, b.index, a.ref, b.ref, score, sorted(evidence, key=lambda e: -e.weight))


def _different_people(a: Prepared, b: Prepared) -> bool:
    """Two different known first names and no shared document: no other field can add up
    to the threshold (checked against WEIGHTS by the caller)."""
    na, nb = a.name, b.name
    if not (na.given_known and nb.given_known) or na.given == nb.given:
        return False
    if a.tax and a.tax == b.tax or a.docs and set(a.docs.values()) & set(b.docs.values()):
        return False
    return na.given in N.GIVEN_DISPLAY and nb.given in N.GIVEN_DISPLAY


def find_duplicates(households: Iterable[Mapping], *, threshold: float = THRESHOLD,
                    progress: Callable[[str, int, int], None] | None = None) -> list[Candidate]:
    """Candidate pairs among households (mappings with head_name, dob, phone, doc_type,
    doc_number, tax_number, settlement, ref), best first."""
    rows = []
    for i, h in enumerate(households):
        rows.append(prepare(i, h))
        if progress and i % 5000 == 0:
            progress("prepared", i, 0)
    # Rows are indexed by position: candidate_pairs relies on rows[i].index == i.
    if progress:
        progress("prepared", len(rows), len(rows))
    stats = Stats.of(rows)
    pairs, _ = candidate_pairs(rows)
    if progress:
        progress("blocked", len(pairs), len(pairs))
    found = []
    best_rest = (WEIGHTS["surname_max"] + WEIGHTS["patronymic_same"] + WEIGHTS["dob_same"]
                 + WEIGHTS["phone_same"] + WEIGHTS["settlement_same"])
    hopeless = WEIGHTS["given_differs"] + best_rest < threshold
    # In set order, not sorted: sorting 200,000 pairs is one call that holds the interpreter
    # lock for a quarter of a second (the app runs this on a worker beside its GUI thread);
    # the result is sorted below, so the order of comparison changes nothing.
    for n, (i, j) in enumerate(pairs):
        cand = _judge(rows[i], rows[j], stats, threshold, hopeless)
        if cand is not None:
            found.append(cand)
        if progress and n % 50_000 == 0:
            progress("compared", n, len(pairs))
    found.sort(key=lambda c: (-c.score, c.ref_a, c.ref_b))
    let_go(pairs, rows)
    return found


def _judge(a: Prepared, b: Prepared, stats: Stats, threshold: float, hopeless: bool) -> Candidate | None:
    """The heads compared; when they are not one person, the households (a spouse
    registering instead of the head)."""
    if not (hopeless and _different_people(a, b)):  # a shortcut only: compare() would say the same, slower
        cand = decide(a, b, compare(a, b, stats), threshold)
        if cand is not None:
            return cand
    # A quick no first: most pairs list nobody named like the other's head.
    if a.members and b.members and (a.name.given in b.member_givens or b.name.given in a.member_givens):
        evidence = compare_household(a, b, stats)
        if evidence:
            return decide(a, b, evidence, threshold)
    return None


def let_go(*containers: list | set) -> None:
    """Empty big containers a piece at a time. Dropped whole, 100,000 prepared rows and a
    few hundred thousand pairs are freed in one call that holds the interpreter lock for
    a quarter of a second; the app matches on a worker beside its GUI thread, which
    would wait that long. Popping lets the interpreter switch threads between pieces."""
    for c in containers:
        while c:
            c.pop()
