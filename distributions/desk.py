"""The desk as a screen sees it: one line typed or scanned, the household, a verdict.

``receipts`` holds the rules (find, look up, record, void); this module adds what a
desk that serves person after person needs on top, and stays pure Python so the
GUI's store worker and the tests call the same functions:

- ``find`` reads one line the way a desk gets it: a scanned or typed card code, a
  phone, a document or tax number, or a name. A card is tried first; nine digits
  that are not a card's code are an ID card number.
- ``verdict`` says, before anything is saved, whether the household can be served,
  or why not (already served, not on the team's list, not eligible, nothing due),
  with the same checks ``receipts.record_receipt`` makes again when it saves.
- ``NameIndex`` finds households by the head's name in any script, for people who
  lost their card: the registry's normalisation (``normalise``) and its first-name
  comparison (``matching.compare_given``) are used as they are, read-only.
- ``summary`` gives the running counts and the stock of a round at this desk, from the
  receipts' facts ``stock.held_receipts`` keeps up to date (only new or changed ones are read).
- ``log_refusal`` counts a refusal in the audit log (round and kind, never a value),
  the way ``distribute`` does, so ``round report`` counts both.
"""
from __future__ import annotations

import datetime as dt
import re
import weakref
from dataclasses import dataclass, field
from typing import Callable, Iterable

from rapidfuzz import fuzz, process

from rules import domain
from storage import Record, Store

from . import matching, receipts, registry, report, stock
from . import normalise as N
from .cards import read_card_code
from .desk_errors import HouseholdNotFound, RoundError
from .errors import InvalidCardCode
from .rounds import Round

# Verdicts (codes; the screen words them in the person's language).
SERVE = "serve"
ALREADY = "already"
NOT_ON_LIST = "not_on_list"
NOT_ELIGIBLE = "not_eligible"
NOTHING_DUE = "nothing_due"

TALLY = report.TALLY

# The audit log's name of each refusal: the exception class ``distribute`` logs for it.
REFUSAL_NAMES = {ALREADY: "AlreadyReceived", NOT_ON_LIST: "NotEntitled", NOT_ELIGIBLE: "NotEntitled",
                 NOTHING_DUE: "NotEntitled"}

_CARD_SHAPE = re.compile(r"^[0-9A-Za-z]{4}-?[0-9A-Za-z]{5}$")
_DIGITS = re.compile(r"^[\d\s()+\-.]+$")
MAX_QUERY = 200
NAME_RESULTS = 20


@dataclass
class Found:
    """What one typed or scanned line found: one household, or several to choose from."""

    how: str  # card, phone, doc, name, id
    households: list[Record] = field(default_factory=list)
    matches: list["NameMatch"] = field(default_factory=list)


def _query(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise HouseholdNotFound("Scan a card, or type a card code, phone, document number or name.")
    if len(text) > MAX_QUERY:
        raise HouseholdNotFound(f"Type at most {MAX_QUERY} characters.")
    return text


def _by_card(store: Store, text: str) -> tuple[Found | None, InvalidCardCode | None]:
    """The households with this card, or the card code's error when the text has a card's shape."""
    if not _CARD_SHAPE.match(text.replace(" ", "")):
        return None, None
    try:
        code = read_card_code(text)
    except InvalidCardCode as exc:
        return None, exc
    hits = store.find_records(registry.KIND, "card_code", code)
    return (Found("card", hits) if hits else None), None


def _by_phone(store: Store, text: str) -> Found | None:
    if not _DIGITS.match(text) or not N.phone(text):
        return None
    hits = (store.find_records(registry.KIND, "phone", text)
            or store.find_records(registry.KIND, "phone_other", text))
    return Found("phone", hits) if hits else None


def _by_document(store: Store, text: str, card_error: InvalidCardCode | None) -> Found:
    hits = store.find_records(registry.KIND, "doc_number", text) or store.find_records(registry.KIND, "tax_number", text)
    if hits:
        return Found("doc", hits)
    if card_error is not None and any(c.isalpha() for c in text):
        raise card_error  # letters and digits in a card's shape: a mistyped card
    raise HouseholdNotFound("No registered household has this card code, phone or document number.")


def _by_name(store: Store, text: str, names: "NameIndex | None", refresh_names: bool) -> Found:
    index = names if names is not None else NameIndex.of(store, refresh=refresh_names)
    matches = index.search(text)
    if not matches:
        raise HouseholdNotFound("No registered household's head has a name like this.")
    return Found("name", matches=matches)


def find(store: Store, text: str, *, names: "NameIndex | None" = None, refresh_names: bool = True) -> Found:
    """One line from the desk's field: a card (scanned or typed), phone, document, or a name.

    Raises ``InvalidCardCode`` for what is shaped like a card code but fails its check
    character, and ``HouseholdNotFound`` when nothing matches."""
    text = _query(text)
    found, card_error = _by_card(store, text)
    if found is None:
        found = _by_phone(store, text)
    if found is not None:
        return found
    if any(c.isdigit() for c in text):
        return _by_document(store, text, card_error)
    if card_error is not None:
        raise card_error
    return _by_name(store, text, names, refresh_names)


# -- the verdict before saving -------------------------------------------------------------

def verdict(found: receipts.Lookup) -> str:
    """Whether the desk may serve this household now, in the order ``record_receipt`` checks."""
    if found.first is not None:
        return ALREADY
    if not found.on_list:
        return NOT_ON_LIST
    if not found.eligible:
        return NOT_ELIGIBLE
    if not any(found.entitlement.values()):
        return NOTHING_DUE
    return SERVE


def _tally(store: Store, round_id: str) -> Record | None:
    """This desk's tally of the round (a handful of tallies on a laptop: one per round and desk)."""
    for r in store.list_records(TALLY):
        if r.fields.get("round") == round_id and r.fields.get("desk") == store.device_id:
            return r
    return None


def still_held(store: Store, rnd: Round) -> None:
    """Refuse a round the hub withdrew since the desk opened it (a sync in the middle of the
    day). Reads the published items' ids only: nothing is decrypted."""
    if rnd.published_id not in store.published_forms():
        raise RoundError(f"Round {rnd.round_id} is not open on this laptop any more: the hub withdrew it.")


def log_refusal(store: Store, round_id: str, kind: str) -> None:
    """Count a refusal: in the audit chain (the round and the kind, no value a person typed),
    and in this desk's tally of the round, a synced record, so the hub's report counts the
    refusals of every desk. Only this desk writes its tally, so its counts never conflict."""
    name = REFUSAL_NAMES.get(kind, kind)
    with store.atomic():
        store.log_event(f"desk_refused|{round_id}|{name}")
        tally = _tally(store, round_id)
        counts = {k: int(v) for k, v in ((tally.fields.get("refusals") or {}) if tally else {}).items()}
        counts[name] = counts.get(name, 0) + 1
        if tally is None:
            store.save_record(TALLY, {"round": round_id, "desk": store.device_id, "refusals": counts})
        else:
            store.edit_record(tally.id, {"refusals": counts})


def refusal_count(store: Store, round_id: str) -> int:
    """Refusals of the round at every desk whose tally reached this laptop."""
    return report.tally_refusals((TALLY, r.fields, r.deleted) for r in store.list_records(TALLY)).get(round_id, 0)


# -- names ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NameMatch:
    household: str
    ref: str
    head_name: str
    dob: str
    settlement: str
    score: float


@dataclass
class _Entry:
    stamp: str
    name: N.Name
    ref: str
    head_name: str
    dob: str
    settlement: str


class NameIndex:
    """Households by the head's name, in memory only (names are decrypted after unlock and
    never written anywhere). Kept per store and brought up to date before each search:
    only households added or changed since are decrypted (their stamps are plaintext)."""

    _per_store: "weakref.WeakKeyDictionary[Store, NameIndex]" = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        # surname skeleton -> canonical first name ("" when none) -> households
        self.by_skeleton: dict[str, dict[str, set[str]]] = {}

    @classmethod
    def of(cls, store: Store, *, refresh: bool = True) -> "NameIndex":
        """The store's index; brought up to date first unless ``refresh`` is False (a caller
        that knows no household changed since: reading every stamp costs 0.1-0.2 s at 30,000)."""
        index = cls._per_store.get(store)
        if index is None:
            index = cls._per_store[store] = cls()
            refresh = True
        if refresh:
            index.refresh(store)
        return index

    def _drop(self, hid: str) -> None:
        entry = self.entries.pop(hid, None)
        if entry is not None and entry.name.surname:
            bucket = self.by_skeleton.get(N.skeleton(entry.name.surname), {}).get(entry.name.given or "")
            if bucket is not None:
                bucket.discard(hid)

    def refresh(self, store: Store) -> None:
        stamps = dict(store.record_stamps(registry.KIND))
        for hid in [h for h in self.entries if h not in stamps]:
            self._drop(hid)
        stale = [h for h, s in stamps.items() if h not in self.entries or self.entries[h].stamp != s]
        if not stale:
            return
        if len(stale) > len(stamps) // 2:
            fresh = ((r.id, r.fields) for r in store.list_records(registry.KIND))  # one pass beats many look-ups
        else:
            fresh = ((h, store.get_record(h).fields) for h in stale)
        for hid, f in fresh:
            if hid not in stamps:
                continue
            self._drop(hid)
            head = str(f.get("head_name") or "")
            name = N.parse_name(head)
            self.entries[hid] = _Entry(stamps[hid], name, str(f.get("external_ref") or hid), head,
                                       str(f.get("dob") or ""), str(f.get("settlement") or ""))
            if name.surname:
                self.by_skeleton.setdefault(N.skeleton(name.surname), {}).setdefault(name.given or "", set()).add(hid)

    def _candidates(self, by_given: dict[str, set[str]], query) -> Iterable[str]:
        """The households under one surname skeleton that may be the person asked for."""
        if query.given and query.given_known and by_given.get(query.given):
            # A known first name typed whole: its own households first, without comparing
            # every namesake of a common surname (thousands of Шевченко) one by one.
            return by_given[query.given]
        if query.initials and not query.given:
            return [h for g, hs in by_given.items() if g.startswith(query.initials[0]) or not g for h in hs]
        return [h for hs in by_given.values() for h in hs]

    def search(self, text: str, limit: int = NAME_RESULTS) -> list[NameMatch]:
        """The households whose head's name is like ``text``: same surname in any script or
        transliteration (or one typing error away), and a first name that matches, nearly
        matches or fits an initial. Best first."""
        query = N.parse_name(text)
        if not query.surname:
            return []
        skel = N.skeleton(query.surname)
        # A surname one typing error away: its consonant skeleton is close (rapidfuzz, in C++).
        near = process.extract(skel, list(self.by_skeleton), scorer=fuzz.ratio, score_cutoff=80, limit=8)
        out = []
        for key, similarity, _ in near:
            for hid in self._candidates(self.by_skeleton.get(key, {}), query):
                e = self.entries[hid]
                score = 2.0 if key == skel else similarity / 100.0
                if e.name.surname == query.surname:
                    score += 1.0
                if query.given or query.initials:
                    ev = matching.compare_given(query, e.name)
                    if ev is None or ev.weight < 0:
                        continue  # another first name: a namesake, not this person
                    score += ev.weight
                out.append(NameMatch(hid, e.ref, e.head_name, e.dob, e.settlement, score))
        out.sort(key=lambda m: (-m.score, m.ref))
        return out[:limit]


# -- running counts --------------------------------------------------------------------------

@dataclass
class RecentReceipt:
    receipt: str
    at: str
    ref: str
    head_name: str
    collector: str
    items: dict[str, int]
    voided: bool


@dataclass
class Summary:
    served: int = 0            # live receipts of the round held here (every desk's that reached this laptop)
    served_here: int = 0       # of them, this desk's
    proxies: int = 0
    voided: int = 0
    refusals: int = 0
    balances: dict[str, stock.Balance] = field(default_factory=dict)
    recent: list[RecentReceipt] = field(default_factory=list)  # this desk's newest first
    doubles: list[dict] = field(default_factory=list)  # open review items of this round


def summary(store: Store, rnd: Round, *, recent: int = 15, pace: Callable[[Iterable], Iterable] = iter) -> Summary:
    """The round's counts (on the store worker), stock and open review items. The receipts are
    read from ``stock.held_receipts``: only those written since the last count are decrypted,
    so counting again after a sync does not grow with the day's receipts. ``pace`` wraps the
    first count's loop over every receipt (the GUI's ``give_way``)."""
    s = Summary()
    mine = []
    for rid, h in stock.held_receipts(store, pace).items():
        if h.round != rnd.round_id:
            continue
        if not h.live:
            s.voided += 1
        else:
            s.served += 1
            s.proxies += h.collector == "proxy"
            s.served_here += h.desk == store.device_id
        if h.desk == store.device_id:
            mine.append((h.at, rid))
    mine.sort(reverse=True)
    for _, rid in mine[:recent]:
        s.recent.append(recent_receipt(store, store.get_record(rid)))
    s.refusals = refusal_count(store, rnd.round_id)
    s.balances = stock.store_balances(store, rnd)
    s.doubles = [d for d in store.domain_reviews() if d.get("round") == rnd.round_id]
    return s


def recent_receipt(store: Store, r: Record) -> RecentReceipt:
    f = r.fields
    try:
        h = store.get_record(f.get("household")).fields
    except Exception:  # the household has not reached this laptop
        h = {}
    return RecentReceipt(r.id, str(f.get("at", "")), str(h.get("external_ref") or f.get("household") or ""),
                         str(h.get("head_name") or ""), str(f.get("collector") or "head"),
                         dict(f.get("items") or {}), not domain.is_live(f))


def household(store: Store, household_id: str) -> Record:
    try:
        record = store.get_record(household_id)
    except Exception:
        raise HouseholdNotFound(f"No household {household_id} on this laptop.") from None
    if record.kind != registry.KIND or record.deleted:
        raise HouseholdNotFound(f"No household {household_id} on this laptop.")
    return record


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()
