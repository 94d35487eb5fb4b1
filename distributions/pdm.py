"""Post-distribution monitoring: a reproducible random sample of the households a round served.

The sample is drawn from the live receipts this laptop holds (sync first, so it holds
every desk's): each served household once (households linked as duplicates count as
one), in household-id order, then ``random.Random`` seeded with the round and the seed
picks ``ceil(percent% of them)``. The same receipts, round and seed give the same
sample on any laptop, any day: a monitoring officer can say how it was drawn, and
draw it again to check. Another seed gives another sample.

With ``drafts``, each sampled household gets a draft of the built-in PDM form, its
card number (the card code, else the household's reference: never a name) filled in,
waiting on Home for the enumerator. Drawing again makes no second draft for a
household that has a PDM draft or record with its card number already.
"""
from __future__ import annotations

import csv
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

from rules import domain, outputs
from storage import Store

from .desk_errors import DistributionError
from .receipts import survivor_id

PDM_FORM = "post_distribution_monitoring"
CARD_FIELD = "card_number"
DRAFT = "draft"  # a local kind: drafts never leave the laptop


@dataclass(frozen=True)
class Sampled:
    household: str
    ref: str
    card: str  # what the PDM form's card question is filled with
    receipt: str


def check_percent(percent: float) -> float:
    if not isinstance(percent, (int, float)) or math.isnan(percent) or not 0 < percent <= 100:
        raise DistributionError("--percent: a number above 0 and at most 100.")
    return float(percent)


def sample(store: Store, round_id: str, *, percent: float, seed: str = "", pace=iter) -> tuple[list[Sampled], int]:
    """(the sample, how many served households it was drawn from). ``pace`` wraps the loops
    over every receipt, read then checked: twice (the GUI's worker lets its thread breathe, and
    counts them)."""
    percent = check_percent(percent)
    served: dict[str, str] = {}  # survivor household id -> its first receipt (by time, then id)
    held = sorted(pace(store.list_records(domain.RECEIPT)), key=lambda r: (r.fields.get("at", ""), r.id))
    for r in pace(held):
        f = r.fields
        if f.get("round") != round_id or not domain.is_live(f) or not isinstance(f.get("household"), str):
            continue
        try:
            household = store.get_record(f["household"])
        except Exception:  # the household has not reached this laptop: it cannot be visited from here
            continue
        served.setdefault(survivor_id(store, household), r.id)
    if not served:
        raise DistributionError(f"No household has a live receipt of round {round_id} on this laptop; sync first.")
    population = sorted(served)
    k = min(len(population), math.ceil(len(population) * percent / 100))
    picked = sorted(random.Random(f"{round_id}|{seed}").sample(population, k))
    out = []
    for hid in picked:
        f = store.get_record(hid).fields
        ref = str(f.get("external_ref") or hid)
        out.append(Sampled(hid, ref, str(f.get("card_code") or ref), served[hid]))
    return out, len(population)


LIST_COLUMNS = ("household_ref", "card_number", "receipt")


def check_destination(out: str | os.PathLike, profile: str | os.PathLike | None) -> Path:
    """Refuse, before the sample is drawn, a list file that must not be written: in a folder
    that does not exist, or inside the profile (which holds only ciphertext)."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".csv":
        raise DistributionError(f"--out: the sample list is a CSV file; give a name ending in .csv, not {out.name}.")
    return outputs.checked_destination(out, profile, error=DistributionError,
                                       refusal="The sample list must be written outside the profile folder.")


def write_list(picked: list[Sampled], out: Path) -> None:
    """The sample as CSV (references, card numbers and receipt ids: no name), owner-only,
    written whole or not at all (rules/outputs.py)."""
    with outputs.owner_only_text(out) as f:
        w = csv.writer(f)
        w.writerow(LIST_COLUMNS)
        w.writerows((s.ref, s.card, s.receipt) for s in picked)


def make_drafts(store: Store, picked: list[Sampled]) -> tuple[int, int]:
    """A PDM draft per sampled household that has none yet: (made, already there)."""
    have = {str(r.fields.get(CARD_FIELD)) for kind in (DRAFT, "submission")
            for r in store.list_records(kind, form_id=PDM_FORM) if r.fields.get(CARD_FIELD)}
    fresh = [s for s in picked if s.card not in have]
    if fresh:
        store.save_records(DRAFT, [{CARD_FIELD: s.card} for s in fresh], form_id=PDM_FORM)
    return len(fresh), len(picked) - len(fresh)
