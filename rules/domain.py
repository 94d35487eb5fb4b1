"""The domain checks run after every merge: one rule, shared by the laptops and the hub.

Two offline teams can both serve one household. Neither can see it at its desk; it
shows only once their receipts meet, which happens in a merge: a pull, a USB import,
or the hub applying a push. After each, the replica runs ``double_distributions``
over every receipt it holds and keeps the result as its open review items. The rule
is a pure function of the receipts (and of which households are linked as
duplicates), with a sorted result, so every replica that holds the same records
finds the same set, and a void that reaches a replica closes the item there.

Imports nothing: see the package docstring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

RECEIPT = "receipt"
HOUSEHOLD = "household"
# A merge that brings a change of one of these kinds re-runs the check.
WATCHED_KINDS = frozenset({RECEIPT, HOUSEHOLD})
# A household linked as a duplicate names the household that survives in this field.
LINK_FIELD = "duplicate_of"
DOUBLE_DISTRIBUTION = "double_distribution"


@dataclass(frozen=True)
class ReviewItem:
    """One (round, household) served more than once: ``receipts`` are the live ones, oldest first."""

    kind: str
    round: str
    household: str  # the surviving household's record id
    receipts: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.round}|{self.household}"

    def to_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "round": self.round, "household": self.household,
                "receipts": list(self.receipts)}


def is_live(fields: Mapping, deleted: bool = False) -> bool:
    """A receipt counts unless it was deleted or voided."""
    return not deleted and not fields.get("voided")


def survivor(household: str, links: Mapping[str, str]) -> str:
    """Follow duplicate links to the household that survives (a cycle stops at its smallest id)."""
    seen = [household]
    while household in links and links[household] not in seen:
        household = links[household]
        seen.append(household)
    if household in links:  # a cycle: every replica picks the same member
        return min(seen)
    return household


def double_distributions(receipts: Iterable[tuple[str, Mapping, bool]],
                         links: Mapping[str, str] | None = None) -> list[ReviewItem]:
    """Every (round, household) with more than one live receipt, sorted by key.

    ``receipts``: ``(record id, fields, deleted)`` of every receipt held; the fields
    used are ``round``, ``household`` and ``at`` (and ``voided``). ``links``: household
    id -> the id of the household it duplicates, so that linked households count as one.
    """
    links = links or {}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for rid, fields, deleted in receipts:
        if not is_live(fields, deleted):
            continue
        round_id, household = fields.get("round"), fields.get("household")
        if not isinstance(round_id, str) or not isinstance(household, str):
            continue
        key = (round_id, survivor(household, links))
        groups.setdefault(key, []).append((str(fields.get("at") or ""), rid))
    items = [ReviewItem(DOUBLE_DISTRIBUTION, r, h, tuple(rid for _, rid in sorted(found)))
             for (r, h), found in groups.items() if len(found) > 1]
    return sorted(items, key=lambda i: i.key)


def diff(before: Iterable[str], after: Iterable[str]) -> tuple[list[str], list[str]]:
    """(keys raised, keys closed) between two sets of open review-item keys."""
    b, a = set(before), set(after)
    return sorted(a - b), sorted(b - a)
