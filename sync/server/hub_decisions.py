"""Duplicate decisions made at the hub: a lead's verdict on a candidate household pair.

The hub is where two teams' registration lists meet (``server duplicates``), so it is
where a pair of households registered by two teams can be decided. A decision here is
written exactly as a laptop writes one (rules/dedup.py, distributions/review.py), as
changes made at the hub (hub_edits.py): the hub's own origin, checked and merged like a
push, audited, and pulled by the laptops like any other change. So a laptop reads a
verdict made at the hub as it reads its own lead's.

A record belongs to one team, and a laptop pulls its own team's changes only
(docs/sync.md). For a pair whose households belong to two teams:

* the ``dedup_decision`` record is written once in each team (the same fields, two
  record ids), so both teams' laptops hold the decision in their household's history;
* the verdict goes on the newer household ``b`` (naming the copy in ``b``'s team), and
  a ``same`` link on the household that goes: each in its own team, so each laptop gets
  the part about its own household;
* a ``same`` link may point to a household the laptop does not hold (the other team's):
  laptops already treat a link to a household they have not received as the survivor
  itself (distributions/receipts.py, storage/replica.py), and the hub, which holds
  both, runs the double-distribution check across teams.

Deciding a pair again settles an open conflict on the pair's verdict (two leads who
decided it differently offline): the change closes it, here and on every laptop.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import orjson

from rules import dedup, domain

from . import hub_edits
from .hub import Hub
from .hub_edits import HubEditRefused

HOUSEHOLD = domain.HOUSEHOLD


class DecisionRefused(HubEditRefused):
    """A hub decision that cannot be made; nothing was changed. The message names no value."""


@dataclass
class HubDecision:
    a: str                      # the older household's record id
    b: str
    verdict: str
    kept: str | None            # for "same": the household that survives
    decisions: dict[str, str]   # team -> the dedup_decision record written in that team
    seqs: list[int]             # the hub changes written, in order


@dataclass
class Pair:
    """A stored candidate pair (the last ``server duplicates`` run over every team)."""

    a: str
    b: str
    team_a: str
    team_b: str
    score: float | None
    refs: list[str]
    reasons: str
    found_at: int

    @property
    def cross_team(self) -> bool:
        return self.team_a != self.team_b


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# -- the candidate pairs the hub keeps ---------------------------------------------------
def store_pairs(hub: Hub, rows: list[list]) -> int:
    """Replace the stored candidate pairs with this run's rows (``duplicates.COLUMNS``):
    the console lists them. The references and reasons are sealed at rest."""
    now = _now_ms()
    out = []
    for ref_a, ref_b, score, reasons, team_a, team_b, id_a, id_b in rows:
        (a, ra, ta), (b, rb, tb) = sorted([(id_a, ref_a, team_a), (id_b, ref_b, team_b)])
        body = hub.seal(f"duplicate_pair|{a}|{b}", orjson.dumps({"refs": [ra, rb], "reasons": reasons}))
        out.append((a, b, ta, tb, float(score) if score not in (None, "") else None, body, now))
    with hub.db.transaction():
        hub.db.execute("DELETE FROM duplicate_pairs")
        hub.db.executemany("INSERT INTO duplicate_pairs (a, b, team_a, team_b, score, body, found_at) "
                           "VALUES (?,?,?,?,?,?,?) ON CONFLICT (a, b) DO NOTHING", out)
    return len(out)


def stored_pairs(hub: Hub, teams: tuple[str, ...] | None = None, *, limit: int | None = None,
                 offset: int = 0) -> list[Pair]:
    """Stored pairs (best first) with at least one household in ``teams`` (None: every team)."""
    sql = "SELECT a, b, team_a, team_b, score, body, found_at FROM duplicate_pairs"
    args: list = []
    if teams is not None:
        if not teams:
            return []
        marks = ",".join("?" * len(teams))
        sql += f" WHERE team_a IN ({marks}) OR team_b IN ({marks})"
        args = [*teams, *teams]
    sql += " ORDER BY score DESC, a, b"
    if limit:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    out = []
    for a, b, ta, tb, score, body, found in hub.db.execute(sql, tuple(args)):
        plain = orjson.loads(hub.unseal(f"duplicate_pair|{a}|{b}", body))
        out.append(Pair(a, b, ta, tb, score, plain["refs"], plain["reasons"], found))
    return out


def stored_pair(hub: Hub, a: str, b: str) -> Pair | None:
    a, b = dedup.ordered(a, b)
    rows = hub.db.execute("SELECT a, b, team_a, team_b, score, body, found_at FROM duplicate_pairs WHERE a = ? AND b = ?",
                          (a, b))
    if not rows:
        return None
    a, b, ta, tb, score, body, found = rows[0]
    plain = orjson.loads(hub.unseal(f"duplicate_pair|{a}|{b}", body))
    return Pair(a, b, ta, tb, score, plain["refs"], plain["reasons"], found)


# -- finding households -------------------------------------------------------------------
def household_by_ref(hub: Hub, ref: str, households: dict[str, dict] | None = None) -> str:
    """The record id of the live household with this external reference (or this record id)."""
    if households is None:
        households = {rid: r["fields"] for rid, r in hub.records().items()
                      if r["kind"] == HOUSEHOLD and not r["deleted"]}
    if ref in households:
        return ref
    found = [rid for rid, f in households.items() if f.get("external_ref") == ref]
    if len(found) == 1:
        return found[0]
    if found:
        raise DecisionRefused(f"Reference {ref} names {len(found)} households; give a record id instead.")
    raise DecisionRefused(f"There is no household {ref} on this server.")


def _household(hub: Hub, record_id: str) -> dict:
    try:
        record = hub_edits._record(hub, record_id)
    except HubEditRefused:
        raise DecisionRefused(f"There is no household {record_id} on this server.") from None
    if record["kind"] != HOUSEHOLD:
        raise DecisionRefused(f"Record {record_id} is not a registered household.")
    return record


def _refuse_link_loop(hub: Hub, survivor: str, gone: str) -> None:
    def link_of(rid: str) -> object:
        rows = hub.db.execute("SELECT body FROM records WHERE record_id = ?", (rid,))
        if not rows:
            return None  # a household the hub has not received: the chain ends there
        return orjson.loads(hub.unseal(f"record|{rid}", rows[0][0])).get(domain.LINK_FIELD)

    if dedup.links_back(survivor, gone, link_of):
        raise DecisionRefused(dedup.LOOP_MESSAGE)


def _disputes(hub: Hub, a: str, b: str) -> list[dict]:
    """The open conflicts a new decision on (a, b) settles: on b's verdict, and on b's link
    when the lost value was no link or a link to a (as review.py settles them on a laptop)."""
    out = []
    for rid, name, stamp, body in hub.db.execute(
            "SELECT record_id, field, stamp, body FROM conflicts WHERE record_id = ? AND resolution IS NULL", (b,)):
        if name == dedup.pair_field(a):
            out.append({"field": name, "stamp": stamp, "resolution": "kept"})
        elif name == domain.LINK_FIELD:
            value = orjson.loads(hub.unseal(f"conflict|{rid}|{name}|{stamp}", body))["value"]
            if value in (None, a):
                out.append({"field": name, "stamp": stamp, "resolution": "kept"})
    return out


def verdict(hub: Hub, a: str, b: str) -> str | None:
    """The current verdict on the pair at the hub, or None."""
    a, b = dedup.ordered(a, b)
    rows = hub.db.execute("SELECT body FROM records WHERE record_id = ?", (b,))
    if not rows:
        return None
    return dedup.verdict_of(orjson.loads(hub.unseal(f"record|{b}", rows[0][0])), a)


# -- deciding -----------------------------------------------------------------------------
def decide(hub: Hub, first: str, second: str, verdict: str, reason: str = "", *, actor: str,
           keep: str | None = None, score: float | None = None, reasons: str | None = None) -> HubDecision:
    """Record a decision on a pair of households (record ids) made at the hub by ``actor``
    (the person, named in the decision as a laptop lead is). ``keep``: for ``same``, the
    household that survives (default: the older registration). ``score`` and ``reasons``
    default to the stored pair's (the last ``server duplicates`` run).

    Refused with DecisionRefused, and nothing written: an unknown or deleted household,
    a pair of one, an unknown verdict, no reason for ``same`` or ``different``, a ``keep``
    outside the pair, a link that would go round in a circle."""
    try:
        a, b, reason = dedup.checked_request(first, second, verdict, reason, keep)
    except dedup.BadDecision as e:
        raise DecisionRefused(f"{str(e).rstrip('.')} (nothing was changed).") from None
    survivor = keep or a
    gone = b if survivor == a else a
    with hub.db.transaction():
        ra, rb = _household(hub, a), _household(hub, b)
        for r in (ra, rb):
            if r["deleted"]:
                raise DecisionRefused(f"Household {r['record_id']} was deleted; it cannot be decided (nothing was changed).")
        if verdict == "same":
            _refuse_link_loop(hub, survivor, gone)
        if score is None or reasons is None:
            pair = stored_pair(hub, a, b)
            if score is None and pair is not None:
                score = pair.score
            if reasons is None:
                reasons = pair.reasons if pair is not None else ""
        fa, fb = ra["fields"], rb["fields"]
        fields = dedup.decision_fields(a, b, fa.get("external_ref") or a, fb.get("external_ref") or b, verdict, reason,
                                       by=actor, at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                       survivor=survivor, score=score, reasons=reasons or "")
        # One decision record in each team concerned: a laptop pulls its own team's only.
        seqs, decisions = [], {}
        for team in dict.fromkeys((rb["team"], ra["team"])):
            made = hub_edits.add_record(hub, team, dedup.KIND, fields, actor=actor)
            decisions[team] = made.record_id
            seqs.append(made.seq)
        changes = dedup.link_changes(a, b, fa.get(domain.LINK_FIELD), fb.get(domain.LINK_FIELD), verdict, gone,
                                     decisions[rb["team"]])
        settles = _disputes(hub, a, b)
        for record_id, changed in changes.items():
            done = hub_edits.change_record(hub, record_id, changed, settles if record_id == b else [], actor=actor,
                                           event="hub_dedup_link")
            seqs.append(done.seq)
        teams = " and ".join(sorted(decisions))
        # Ids and the verdict only: no name, no reason (the reason is in the sealed record).
        hub_edits._audit(hub, "hub_dedup_decision", f"{a} {b}: {verdict} ({teams})", actor)
    return HubDecision(a, b, verdict, survivor if verdict == "same" else None, decisions, seqs)


# -- who may decide -----------------------------------------------------------------------
def may_decide(role: str, teams: tuple[str, ...], team_a: str, team_b: str) -> bool:
    """An administrator, or a team lead of both households' teams: a decision writes on
    both (a lead of one team never links another team's household)."""
    return role == "admin" or (role == "lead" and team_a in teams and team_b in teams)


def acting_user(hub: Hub, name: str) -> tuple[str, str, tuple[str, ...]]:
    """(name, role, teams) of the console account a command-line decision is made as:
    an enabled administrator or team lead, so that a decision always names a person."""
    rows = hub.db.execute("SELECT name, role, teams, disabled_at FROM web_users WHERE name = ?", (name,))
    if not rows:
        raise DecisionRefused(f"There is no console user {name!r}; 'server user add' makes one (nothing was changed).")
    name, role, teams, disabled = rows[0]
    if disabled is not None:
        raise DecisionRefused(f"The console user {name!r} is disabled (nothing was changed).")
    if role not in ("admin", "lead"):
        raise DecisionRefused("Only an administrator or a team lead decides duplicates (nothing was changed).")
    return name, role, tuple(teams.split(","))


def check_may_decide(hub: Hub, role: str, teams: tuple[str, ...], a: str, b: str) -> None:
    """Refuse (DecisionRefused) a decision this role and these teams may not make."""
    found = dict(hub.db.execute("SELECT record_id, team FROM records WHERE record_id IN (?, ?)", (a, b)))
    for rid in (a, b):
        if rid not in found:
            raise DecisionRefused(f"There is no household {rid} on this server.")
    team_a, team_b = found.get(a, ""), found.get(b, "")
    if not may_decide(role, teams, team_a, team_b):
        if team_a != team_b:
            raise DecisionRefused("A pair across two teams is decided by an administrator or a lead of both teams "
                                  "(nothing was changed).")
        raise DecisionRefused(f"Only an administrator or a lead of team {team_a} decides this pair (nothing was changed).")
