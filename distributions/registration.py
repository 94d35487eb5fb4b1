"""Registering one household, with the duplicate check done before it is saved.

``LocalRegistry`` holds the laptop's households prepared for matching (decrypted, in
memory only, after unlock) and filed under the same blocking keys as the batch
matcher (matching.blocking_keys). Loading it costs one pass over the registry; after
that a check compares the new household only with the few registered ones that share
a key with it: milliseconds at 100,000 households (bench/registry.py measures both).

A check finds:
* **exact** matches: the same tax number, passport or ID card number, or card code.
  They block the save: the household is already registered, and the desk is shown it.
* **likely** duplicates: a fuzzy match scoring at least ``LIKELY`` (the batch
  threshold). The person is shown them and asked; the save goes ahead only when they
  confirm.

The same rules as the batch matcher, so a household that registration lets through
after a confirmation is still proposed for review later (and vice versa).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from storage import Store

from . import matching
from . import normalise as N
from .cards import new_card_code, read_card_code
from .errors import InvalidCardCode, InvalidHousehold, RegistryError
from .registry import KIND, ImportReport, ensure_indexes, household_from_row, households_for_matching

Progress = Callable[[str, int, int], None]
LIKELY = matching.THRESHOLD
MAX_SHOWN = 5  # likely duplicates shown to the person registering
# Fields a registration may carry besides the list columns (registry.COLUMNS).
EXTRA_FIELDS = ("members", "consent", "consent_date", "consent_purpose", "address_note")


class DuplicateFound(RegistryError):
    """The household is already registered (same tax number, document or card): not saved."""

    def __init__(self, check: "Check") -> None:
        self.check = check
        first = check.exact[0]
        super().__init__(f"This household is already registered as {first.ref} ({first.why}); nothing was saved.")


class LikelyDuplicate(RegistryError):
    """The household may already be registered; saved only when the person confirms."""

    def __init__(self, check: "Check") -> None:
        self.check = check
        refs = ", ".join(m.ref for m in check.likely[:MAX_SHOWN])
        super().__init__(f"This household may already be registered ({refs}); nothing was saved. "
                         "Look at them, then confirm to register it anyway.")


@dataclass
class Match:
    id: str
    ref: str
    score: float
    why: str  # the strongest reason, in words without values ("same tax number")
    evidence: list[matching.Evidence] = field(default_factory=list)

    @property
    def reasons(self) -> str:
        return "; ".join(e.reason for e in self.evidence if e.reason)


@dataclass
class Check:
    exact: list[Match] = field(default_factory=list)
    likely: list[Match] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not self.exact and not self.likely


_EXACT = {("tax", matching.WEIGHTS["tax_same"]), ("document", matching.WEIGHTS["doc_same"])}


class LocalRegistry:
    """The laptop's households, prepared once for checks at registration time."""

    def __init__(self, households: Iterable[Mapping] = (), progress: Progress | None = None) -> None:
        self.rows: list[matching.Prepared] = []
        self.ids: list[str] = []
        self.blocks: dict[tuple, list[int]] = {}
        self.cards: dict[str, str] = {}
        self.surnames: dict[str, list[int]] = {}
        for n, h in enumerate(households):
            self._add(h)
            if progress and n % 5000 == 0:
                progress("prepared", n, 0)
        self.stats = matching.Stats.of(self.rows)
        if progress:
            progress("prepared", len(self.rows), len(self.rows))

    @classmethod
    def load(cls, store: Store, progress: Progress | None = None) -> "LocalRegistry":
        """Read every household of the unlocked store (on a worker in the app)."""
        records = {r.id: r.fields for r in store.list_records(KIND)}
        reg = cls(households_for_matching(store, records=records), progress)
        reg.cards = {f["card_code"]: rid for rid, f in records.items() if f.get("card_code")}
        return reg

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, text: str, limit: int = 200) -> list[str]:
        """Record ids of the households a desk is looking for: by card code, phone, document
        or tax number (exact), or by name in either script and any order (the cross-script
        name key; one word: the surname), best first."""
        text = " ".join(str(text).split())
        if not text:
            return []
        found: list[int] = []
        try:
            rid = self.cards.get(read_card_code(text))
            if rid is not None:
                return [rid]
        except InvalidCardCode:
            pass
        digits = "".join(c for c in text if c.isdigit())
        if digits and len(digits) >= 6 and len(digits) >= len(text.replace(" ", "")) - 4:
            keys = [("p", ph) for ph in N.phones(text)]
            doc = N.document(text)
            if doc is not None:
                keys.append(("t" if doc[0] == "rnokpp" else "d", doc[1]))
            for key in keys:
                found += self.blocks.get(key, [])
        else:
            name = N.parse_name(text)
            key = N.name_key(name)
            if key:
                found += self.blocks.get(("n", key), [])
            elif name.surname:
                found += self.surnames.get(N.skeleton(name.surname), [])
        return [self.ids[i] for i in dict.fromkeys(found)][:limit]

    def _add(self, household: Mapping) -> None:
        p = matching.prepare(len(self.rows), household)
        self.rows.append(p)
        self.ids.append(str(household.get("id") or p.ref))
        for key in matching.blocking_keys(p):
            self.blocks.setdefault(key, []).append(p.index)
        if p.name.surname:
            self.surnames.setdefault(N.skeleton(p.name.surname), []).append(p.index)

    def add(self, record_id: str, fields: Mapping) -> None:
        """A household just registered joins the index (the statistics stay as loaded)."""
        self._add({**_for_matching(fields), "id": record_id, "ref": fields.get("external_ref") or record_id})
        if fields.get("card_code"):
            self.cards[fields["card_code"]] = record_id

    def check(self, fields: Mapping, *, threshold: float = LIKELY) -> Check:
        """Exact and likely matches for a household about to be registered (not yet saved)."""
        new = matching.prepare(-1, {**_for_matching(fields), "ref": "new"})
        result = Check()
        card = fields.get("card_code")
        if card:
            try:
                known = self.cards.get(read_card_code(card))
            except InvalidCardCode:
                known = None
            if known is not None:
                result.exact.append(Match(known, self._ref(known), 99.0, "same card code"))
        near: set[int] = set()
        for key in matching.blocking_keys(new):
            members = self.blocks.get(key)
            if not members:
                continue
            if key[0] == "n" and new.dob is not None:
                members = [i for i in members if self.rows[i].dob is None]  # as candidate_pairs does
            if len(members) > matching.MAX_BLOCK and key[0] not in ("t", "d"):
                continue  # an office phone: says nothing (documents always count)
            near.update(members)
        for i in near:
            old = self.rows[i]
            evidence = matching.compare_pair(new, old, self.stats)
            exact = next((e for e in evidence if (e.field, e.weight) in _EXACT), None)
            score = round(sum(e.weight for e in evidence), 1)
            ordered = sorted(evidence, key=lambda e: -e.weight)
            if exact is not None:
                result.exact.append(Match(self.ids[i], old.ref, score, exact.reason, ordered))
            elif score >= threshold:
                result.likely.append(Match(self.ids[i], old.ref, score, ordered[0].reason if ordered else "", ordered))
        result.exact.sort(key=lambda m: -m.score)
        result.likely.sort(key=lambda m: -m.score)
        return result

    def _ref(self, record_id: str) -> str:
        try:
            return self.rows[self.ids.index(record_id)].ref
        except ValueError:
            return record_id


class FreshRegistry:
    """A LocalRegistry kept in step with the store from one registration to the next.

    Reading and preparing the whole registry costs about a second per 10,000 households;
    a form finalised every few minutes must not pay that each time, yet must see what sync
    brought in meanwhile. Each :meth:`get` reads the households' ``(id, stamp)`` pairs (no
    decryption): households that are new since the last call are added, and any edit or
    deletion reloads the whole registry (an edit may have changed a matching key, and the
    index cannot take a household out). Use it from one thread (the app's store worker),
    and :meth:`clear` it on lock: it holds decrypted names in memory."""

    def __init__(self) -> None:
        self.index: LocalRegistry | None = None
        self.stamps: dict[str, str] = {}
        self.loads = 0  # full loads, for tests and figures

    def clear(self) -> None:
        self.index, self.stamps = None, {}

    def get(self, store: Store) -> LocalRegistry:
        stamps = dict(store.record_stamps(KIND))
        index = self.index
        if index is None or any(stamps.get(rid) != stamp for rid, stamp in self.stamps.items()):
            index = LocalRegistry.load(store)
            self.loads += 1
        else:
            for rid in stamps.keys() - self.stamps.keys():
                index.add(rid, store.get_record(rid).fields)
        self.index, self.stamps = index, stamps
        return index

    def register(self, store: Store, entry: Mapping, **kwargs) -> tuple[str, Check]:
        """:func:`register` against the kept registry; the new household joins it."""
        index = self.get(store)
        rid, check = register(store, entry, index=index, **kwargs)
        self.stamps = dict(store.record_stamps(KIND))  # the new one is in the index already
        return rid, check


def _for_matching(fields: Mapping) -> dict:
    return {"head_name": fields.get("head_name"), "dob": fields.get("dob"), "phone": fields.get("phone"),
            "phone_other": fields.get("phone_other"), "doc_number": fields.get("doc_number"),
            "tax_number": fields.get("tax_number"), "settlement": fields.get("settlement"),
            "members": fields.get("members")}  # a spouse registering instead of the head (matching.py)


def validate(entry: Mapping, *, today: dt.date | None = None) -> dict:
    """The household fields for what a person entered (list column names, plus members and
    consent), or ImportFailed naming each bad field (never its value)."""
    today = today or dt.date.today()
    columns = {k: v for k, v in entry.items() if k not in EXTRA_FIELDS and k != "card_code"}
    unknown = sorted(set(columns) - set(household_columns()))
    if unknown:
        raise InvalidHousehold(f"Unknown household field(s): {', '.join(unknown)}.", unknown)
    report = ImportReport()
    fields = household_from_row(1, columns, report, today=today)
    if fields is None:
        problems = [p.split(", ", 1)[1].replace("column ", "") for p in report.problems]
        raise InvalidHousehold("Not registered: " + "; ".join(problems) + ".",
                               list(dict.fromkeys(p.split(":")[0] for p in problems)))
    if fields["import_key"].startswith("row:"):
        # A household registered by hand has no list row: its key is its own (never a clash).
        import uuid

        fields["import_key"] = "new:" + uuid.uuid4().hex
    consent = entry.get("consent")
    if consent not in (None, "", True, False, "yes", "no"):
        raise InvalidHousehold("Not registered: consent is yes or no.", ["consent"])
    if consent not in (None, ""):
        fields["consent"] = consent in (True, "yes")
    for name in ("consent_date", "consent_purpose", "address_note"):
        if entry.get(name):
            fields[name] = str(entry[name]).strip()
    members = entry.get("members")
    if members not in (None, ""):
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise InvalidHousehold("Not registered: members is a list of objects (name, sex, dob, relation, disabled).",
                               ["members"])
        fields["members"] = members
    if entry.get("card_code"):
        fields["card_code"] = read_card_code(entry["card_code"])
    return fields


def household_columns() -> tuple[str, ...]:
    from .registry import COLUMNS, EXTRA

    return COLUMNS + EXTRA


def register(store: Store, entry: Mapping, *, index: LocalRegistry | None = None, confirm: bool = False,
             today: dt.date | None = None, form_id: str | None = None, form_version: str | None = None,
             draft_id: str | None = None) -> tuple[str, Check]:
    """Check, then save one household; return its record id and the check.

    Refused, nothing saved: a bad field (ImportFailed), an exact match (DuplicateFound),
    a likely duplicate without ``confirm`` (LikelyDuplicate). ``index``: the loaded
    LocalRegistry (the app keeps one); without it the registry is loaded now.
    A household registered through a form (distributions.regform) records the form's id and
    version, and its draft ``draft_id`` is deleted in the same transaction as the save: a
    refused registration leaves the draft as it was."""
    fields = validate(entry, today=today)
    ensure_indexes(store)
    index = index if index is not None else LocalRegistry.load(store)
    check = index.check(fields)
    if check.exact:
        raise DuplicateFound(check)
    if check.likely and not confirm:
        raise LikelyDuplicate(check)
    if "card_code" not in fields:
        code = new_card_code()
        while code in index.cards:
            code = new_card_code()
        fields["card_code"] = code
    fields.setdefault("registered_at", (today or dt.date.today()).isoformat())
    with store.atomic():
        rid = store.save_record(KIND, fields, form_id=form_id, form_version=form_version)
        if check.likely:
            store.log_event("household_registered_despite_likely_duplicate")
        if draft_id is not None:
            store.delete_record(draft_id)
    index.add(rid, fields)
    return rid, check
