"""A duplicate decision's shape: one rule for a lead's decision on a laptop and at the hub.

A candidate pair is two households, ``a`` the older registration and ``b`` the newer
(record ids are UUIDv7, so text order is time order). A decision is written as:

* a ``dedup_decision`` record (``decision_fields``): both households, the verdict,
  the reason, who and when, the matcher's score and reasons at the time, and for
  ``same`` the household kept;
* the verdict on household ``b``, in the field ``dedup/<a's id>``, with the decision's
  record id, together with ``b``'s ``duplicate_of`` link in the same change; and, when
  ``a`` is the one that goes, ``a``'s link (``link_changes``).

distributions/review.py writes it on a laptop, sync/server/hub_decisions.py at the hub:
both build it here, so every replica reads a decision made anywhere the same way.
Imports nothing but the standard library (see the package docstring).
"""
from __future__ import annotations

from typing import Callable, Mapping

from .domain import LINK_FIELD

KIND = "dedup_decision"
VERDICTS = ("same", "different", "unsure")
FINAL = frozenset({"same", "different"})  # a pair with one of these is never proposed again
PAIR_FIELD = "dedup/"  # + the older household's record id, on the newer household
MAX_REASON = 500


class BadDecision(ValueError):
    """A decision that cannot be recorded; ``str()`` names no value."""


def pair_field(older_id: str) -> str:
    return PAIR_FIELD + older_id


def ordered(x: str, y: str) -> tuple[str, str]:
    """(older, newer): UUIDv7 ids sort in time order."""
    return (x, y) if x < y else (y, x)


def verdict_of(newer_fields: Mapping, older_id: str) -> str | None:
    value = newer_fields.get(pair_field(older_id))
    if isinstance(value, dict) and value.get("verdict") in VERDICTS:
        return value["verdict"]
    return None


def checked_request(first: str, second: str, verdict: str, reason: str, keep: str | None) -> tuple[str, str, str]:
    """The pair (older, newer) and the tidied reason of a decision, or BadDecision."""
    if verdict not in VERDICTS:
        raise BadDecision(f"A decision is one of: {', '.join(VERDICTS)}.")
    reason = " ".join((reason or "").split())
    if verdict in FINAL and not reason:
        raise BadDecision(f"Give a reason for deciding '{verdict}'.")
    if len(reason) > MAX_REASON:
        raise BadDecision(f"A reason is at most {MAX_REASON} characters.")
    if first == second:
        raise BadDecision("A pair needs two different households.")
    a, b = ordered(first, second)
    if keep is not None and keep not in (a, b):
        raise BadDecision("The household to keep must be one of the pair.")
    return a, b, reason


def decision_fields(a: str, b: str, ref_a: str, ref_b: str, verdict: str, reason: str, *, by: str, at: str,
                    survivor: str, score: float | None, reasons: str) -> dict:
    """The ``dedup_decision`` record's fields (``at``: ISO 8601 in UTC, to the second)."""
    decision = {
        "households": [a, b],
        "refs": [ref_a or a, ref_b or b],
        "verdict": verdict,
        "reason": reason,
        "by": by,
        "at": at,
        "score": score,
        "matcher_reasons": reasons,
    }
    if verdict == "same":
        decision["kept"] = survivor
    return decision


def link_changes(a: str, b: str, a_link: object, b_link: object, verdict: str, gone: str,
                 decision_id: str) -> dict[str, dict]:
    """The fields a decision writes: ``{record id: fields}``, ``b``'s first.

    The verdict and ``b``'s link go in ONE change: a merge then keeps both from the same
    decision (last writer wins by one stamp for the pair of fields), so two leads'
    opposite decisions never leave "different" with a link."""
    on_b: dict = {pair_field(a): {"verdict": verdict, "decision": decision_id}}
    if verdict == "same" and gone == b:
        on_b[LINK_FIELD] = a
    elif b_link is None or b_link == a:
        on_b[LINK_FIELD] = None  # written even when absent, for the reason above
    out = {b: on_b}
    if verdict == "same" and gone == a:
        out[a] = {LINK_FIELD: b}
    elif a_link == b:
        out[a] = {LINK_FIELD: None}  # a decision that takes "same" back
    return out


LOOP_MESSAGE = ("These two households are already linked the other way round; "
                "decide the pair with the other household kept.")


def links_back(survivor: str, gone: str, link_of: Callable[[str], object]) -> bool:
    """Whether linking ``gone`` to ``survivor`` would close a loop: ``survivor``'s own chain of
    links leads back to ``gone``. ``link_of(id)`` is a household's link, or None where the
    replica does not hold it (another team's household ends the chain there)."""
    target, seen = survivor, {gone}
    while target not in seen:
        seen.add(target)
        nxt = link_of(target)
        if not isinstance(nxt, str):
            return False
        target = nxt
    return True
