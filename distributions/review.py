"""Duplicate review: a team lead's decision on a candidate pair, kept as synced records.

A candidate pair (matching.py) is two households, ``a`` the older registration and ``b``
the newer (record ids are time-ordered). A decision is ``same``, ``different`` or
``unsure``, with a reason, and it is written in one transaction in two places:

* a new ``dedup_decision`` record: both households, the verdict, the reason, who and
  when, the score and the matcher's reasons at the time. It syncs and is audited like
  any record: the pair's history, decision by decision.
* the verdict on household ``b``, in the field ``dedup/<a's id>``:
  ``{"verdict": ..., "decision": <the decision record's id>}``. Every lead who decides
  the pair writes that one field of that one record, so two leads who decide the same
  pair differently while offline meet in the merge like any two edits of one field:
  one verdict wins the same way on every replica and the other is kept as a conflict
  for review (docs/sync.md). The pair comes back to the review queue, marked as
  disputed, until a lead decides it again.

``same`` links the two: the household that is not kept gets ``duplicate_of`` (the
survivor's id; rules/domain.py counts linked households as one). Nothing is deleted.
``different`` (or ``unsure``) after an earlier ``same`` takes the link away again.
A pair decided ``same`` or ``different`` is not proposed again; ``unsure`` stays in the
queue, after the undecided pairs.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from rules import dedup, domain
from storage import Store
from storage.errors import UnknownRecord

from . import matching
from .errors import LinkLoop, ReviewError
from .registry import KIND as HOUSEHOLD, households_for_matching

log = logging.getLogger("fieldbook.distributions")

# The decision's shape is shared with the hub's decisions (rules/dedup.py).
KIND = dedup.KIND
VERDICTS = dedup.VERDICTS
FINAL = dedup.FINAL
PAIR_FIELD = dedup.PAIR_FIELD
MAX_REASON = dedup.MAX_REASON
pair_field = dedup.pair_field
ordered = dedup.ordered
verdict_of = dedup.verdict_of
Progress = Callable[[str, int, int], None]


@dataclass
class ReviewPair:
    """One pair in the queue: both households (decrypted; memory only) and why they match."""

    a: str  # the older registration's record id
    b: str
    household_a: dict
    household_b: dict
    score: float | None
    evidence: list[matching.Evidence] = field(default_factory=list)
    verdict: str | None = None  # unsure, or the current verdict of a disputed pair
    disputed: bool = False  # two leads decided it differently (an open conflict)

    @property
    def reasons(self) -> str:
        return "; ".join(e.reason for e in self.evidence if e.reason)

    @property
    def ref_a(self) -> str:
        return self.household_a.get("external_ref") or self.a

    @property
    def ref_b(self) -> str:
        return self.household_b.get("external_ref") or self.b


def disputed_fields(store: Store) -> set[tuple[str, str]]:
    """(record id, field) of every open conflict on a pair's verdict."""
    return {(c.record_id, c.field) for c in store.conflicts() if c.kind == HOUSEHOLD and c.field.startswith(PAIR_FIELD)}


def review_queue(store: Store, *, min_score: float = matching.THRESHOLD, progress: Progress | None = None,
                 include_unsure: bool = True) -> list[ReviewPair]:
    """The pairs a lead should look at, best first: candidates with no final verdict (then
    the ``unsure`` ones), and every pair two leads decided differently."""
    households = {r.id: r.fields for r in store.list_records(HOUSEHOLD)}
    return queue_from(households, disputed_fields(store), min_score=min_score, progress=progress,
                      include_unsure=include_unsure)


def queue_from(households: dict[str, dict], disputed: set[tuple[str, str]], *, min_score: float = matching.THRESHOLD,
               progress: Progress | None = None, include_unsure: bool = True) -> list[ReviewPair]:
    """``review_queue`` over households already read (id -> fields): no store needed, so
    the app matches on a worker of its own while the store serves others."""
    rows = list(households_for_matching(None, records=households))
    ids = [row["id"] for row in rows]
    candidates = matching.find_duplicates(rows, threshold=min_score, progress=progress)
    queue: list[ReviewPair] = []
    unsure: list[ReviewPair] = []
    seen: set[tuple[str, str]] = set()
    links = {rid: f[domain.LINK_FIELD] for rid, f in households.items() if isinstance(f.get(domain.LINK_FIELD), str)}
    for c in candidates:
        a, b = ordered(ids[c.a], ids[c.b])
        seen.add((a, b))
        fa, fb = households[a], households[b]
        is_disputed = (b, pair_field(a)) in disputed
        verdict = verdict_of(fb, a)
        if not is_disputed:
            if verdict in FINAL:
                continue
            if domain.survivor(a, links) == domain.survivor(b, links) and (a in links or b in links):
                continue  # already linked (for example through a third registration)
        pair = ReviewPair(a, b, fa, fb, c.score, list(c.evidence), verdict, is_disputed)
        (unsure if verdict == "unsure" and not is_disputed else queue).append(pair)
    # A disputed pair comes back even when the matcher no longer proposes it.
    for rid, name in sorted(disputed):
        a = name[len(PAIR_FIELD):]
        if (a, rid) in seen or a not in households or rid not in households:
            continue
        queue.append(ReviewPair(a, rid, households[a], households[rid], None, [], verdict_of(households[rid], a), True))
    matching.let_go(rows)
    queue.sort(key=lambda p: (not p.disputed, -(p.score or 0)))
    return queue + (unsure if include_unsure else [])


def decided_pairs(store: Store) -> dict[tuple[str, str], str]:
    """(older id, newer id) -> verdict, for every pair with a verdict."""
    out = {}
    for record in store.list_records(HOUSEHOLD):
        for name, value in record.fields.items():
            if name.startswith(PAIR_FIELD) and isinstance(value, dict) and value.get("verdict") in VERDICTS:
                out[(name[len(PAIR_FIELD):], record.id)] = value["verdict"]
    return out


def _household(store: Store, record_id: str):
    try:
        record = store.get_record(record_id)
    except UnknownRecord:
        raise ReviewError(f"There is no household {record_id} in this profile.") from None
    if record.kind != HOUSEHOLD or record.deleted:
        raise ReviewError(f"Record {record_id} is not a registered household.")
    return record


def _checked_request(first: str, second: str, verdict: str, reason: str, keep: str | None) -> tuple[str, str, str]:
    """The pair (older, newer) and the tidied reason of a decision, or a ReviewError."""
    try:
        return dedup.checked_request(first, second, verdict, reason, keep)
    except dedup.BadDecision as e:
        raise ReviewError(str(e)) from None


def _refuse_link_loop(store: Store, survivor: str, gone: str) -> None:
    def link_of(rid: str) -> object:
        try:
            return store.get_record(rid).fields.get(domain.LINK_FIELD)
        except UnknownRecord:
            return None  # another team's household (a decision made at the hub): the chain ends there

    if dedup.links_back(survivor, gone, link_of):
        raise LinkLoop(dedup.LOOP_MESSAGE)


def _decision_fields(store: Store, ra, rb, verdict: str, reason: str, survivor: str, score: float | None,
                     reasons: str) -> dict:
    return dedup.decision_fields(ra.id, rb.id, ra.fields.get("external_ref") or ra.id,
                                 rb.fields.get("external_ref") or rb.id, verdict, reason, by=store.user_name or "",
                                 at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), survivor=survivor,
                                 score=score, reasons=reasons)


def _write_verdict_and_links(store: Store, ra, rb, verdict: str, gone: str, decision_id: str) -> None:
    changes = dedup.link_changes(ra.id, rb.id, ra.fields.get(domain.LINK_FIELD), rb.fields.get(domain.LINK_FIELD),
                                 verdict, gone, decision_id)
    for record_id, fields in changes.items():  # b's change first, as before
        store.edit_record(record_id, fields)


def _settle_dispute(store: Store, a: str, b: str) -> None:
    """Deciding a disputed pair again settles the dispute: the open conflict is kept as decided now."""
    for c in store.conflicts(record_id=b):
        if c.field == pair_field(a) or (c.field == domain.LINK_FIELD and c.value in (None, a)):
            store.resolve_conflict(c.id, restore=False)


def decide(store: Store, first: str, second: str, verdict: str, reason: str = "", *, keep: str | None = None,
           score: float | None = None, reasons: str = "") -> str:
    """Record a lead's decision on a pair of households (record ids); return the decision's id.

    ``keep``: for ``same``, the household that survives (default: the older registration).
    Refused with a ReviewError, and nothing saved: an unknown household, a pair of one,
    an unknown verdict, no reason for ``same`` or ``different``, a ``keep`` outside the
    pair, and a link that would go round in a circle."""
    a, b, reason = _checked_request(first, second, verdict, reason, keep)
    with store.atomic():
        ra, rb = _household(store, a), _household(store, b)
        survivor = keep or a
        gone = b if survivor == a else a
        if verdict == "same":
            _refuse_link_loop(store, survivor, gone)
        decision_id = store.save_record(KIND, _decision_fields(store, ra, rb, verdict, reason, survivor, score,
                                                               reasons))
        _write_verdict_and_links(store, ra, rb, verdict, gone, decision_id)
        _settle_dispute(store, a, b)
        store.log_event("dedup_decision")
    log.info("dedup decision %s on a pair of households (%s)", decision_id, verdict)
    return decision_id


def pair_score(store: Store, first: str, second: str) -> tuple[float | None, str]:
    """The matcher's score and reasons for two households compared on their own (a common
    surname's weight then reads as in a small list)."""
    if first == second:
        return None, ""
    records = {rid: _household(store, rid).fields for rid in (first, second)}
    rows = list(households_for_matching(store, records=records))
    prepared = [matching.prepare(i, row) for i, row in enumerate(rows)]
    evidence = matching.compare_pair(prepared[0], prepared[1], matching.Stats.of(prepared))
    found = matching.decide(prepared[0], prepared[1], evidence, threshold=float("-inf"))
    return (found.score, found.reasons) if found else (None, "")


def decisions(store: Store, household_id: str | None = None) -> list[dict]:
    """Every decision (or those about one household), oldest first, with ``id``."""
    out = []
    for record in store.list_records(KIND):
        if household_id is None or household_id in (record.fields.get("households") or []):
            out.append({"id": record.id, **record.fields})
    return out


def household_by_ref(store: Store, ref: str) -> str:
    """The record id of the household with this external reference (or record id)."""
    found = store.find_records(HOUSEHOLD, "import_key", "ref:" + ref) if HOUSEHOLD in _declared(store) else []
    found = [r for r in found if not r.deleted]
    if len(found) == 1:
        return found[0].id
    if len(found) > 1:
        raise ReviewError(f"Reference {ref} names {len(found)} households; give a record id instead.")
    return _household(store, ref).id


def _declared(store: Store) -> Iterable[str]:
    return [HOUSEHOLD] if store.indexed_fields(HOUSEHOLD).get("import_key") else []
