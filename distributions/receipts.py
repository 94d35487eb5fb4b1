"""The distribution desk: find a household, show its entitlement, record what was handed over.

A ``receipt`` is an ordinary synced record: household (record id), round, items and
quantities, the entitlement it was checked against, who collected (the head, or a
named proxy with a document), the desk (this laptop's device id), the team, the
user and the time. ``hh_round`` (round and household) has a blind index, so the desk
finds an earlier receipt in one index look-up, however many there are.

Every check runs before anything is saved: a refused receipt leaves nothing behind.
A second receipt for the same household and round is refused and names the first.
Two offline desks can still both serve a household; the shared domain check
(rules/domain.py) finds it after the merge, and a supervisor voids one receipt
(``void``): an edit that syncs and is audited; nothing is deleted.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules import domain
from storage import Record, Store

from . import registry, stock
from .cards import read_card_code
from .desk_errors import AlreadyReceived, HouseholdNotFound, NotEntitled, DistributionError
from .rounds import Round, eligible, entitlement

KIND = domain.RECEIPT
INDEXES = {"hh_round": "text"}
MAX_TEXT = 200


def ensure_indexes(store: Store) -> None:
    registry.ensure_indexes(store)
    have = store.indexed_fields(KIND)
    for name, normaliser in INDEXES.items():
        if have.get(name) != normaliser:
            store.declare_index(KIND, name, normaliser)


def find_household(store: Store, *, card: str | None = None, phone: str | None = None,
                   doc: str | None = None) -> Record:
    """The household by card code (check character verified first), phone, or document/tax number."""
    given = [(n, v) for n, v in (("card", card), ("phone", phone), ("doc", doc)) if v]
    if len(given) != 1:
        raise DistributionError("Find the household by exactly one of --card, --phone or --doc.")
    how, value = given[0]
    if how == "card":
        found = store.find_records(registry.KIND, "card_code", read_card_code(value))
    elif how == "phone":
        found = store.find_records(registry.KIND, "phone", value) or store.find_records(registry.KIND, "phone_other", value)
    else:
        found = store.find_records(registry.KIND, "doc_number", value) or store.find_records(registry.KIND, "tax_number", value)
    if not found:
        raise HouseholdNotFound(f"No registered household has this {how}" + (" code." if how == "card" else "."))
    if len(found) > 1:
        refs = ", ".join(r.fields.get("external_ref") or r.id for r in found)
        raise HouseholdNotFound(f"{len(found)} households share this {how} ({refs}); find it by card instead.")
    return found[0]


def survivor_id(store: Store, household: Record) -> str:
    """The household a desk serves as: the one it was linked to as a duplicate, if any."""
    seen = {household.id: household.fields.get(domain.LINK_FIELD)}
    current = household
    while isinstance(current.fields.get(domain.LINK_FIELD), str):
        target = current.fields[domain.LINK_FIELD]
        if target in seen:
            break
        try:
            current = store.get_record(target)
        except Exception:  # the linked household has not arrived here yet
            return target
        seen[target] = current.fields.get(domain.LINK_FIELD)
    return domain.survivor(household.id, {k: v for k, v in seen.items() if isinstance(v, str)})


def hh_round_key(round_id: str, household_id: str) -> str:
    return f"{round_id}|{household_id}"


def live_receipts(store: Store, round_id: str, household: Record) -> list[Record]:
    key = hh_round_key(round_id, survivor_id(store, household))
    return sorted((r for r in store.find_records(KIND, "hh_round", key) if domain.is_live(r.fields)),
                  key=lambda r: (r.fields.get("at", ""), r.id))


def describe(receipt: Record) -> str:
    """When, at which desk, and who collected (the head, or a proxy: never the proxy's name)."""
    f = receipt.fields
    who = "a proxy" if f.get("collector") == "proxy" else "the head of household"
    return (f"received on {f.get('at', '?')} at desk {f.get('desk', '?')} (team {f.get('team') or '-'}, "
            f"user {f.get('user') or '-'}), collected by {who}; receipt {receipt.id}")


@dataclass
class Lookup:
    household: Record
    eligible: bool
    on_list: bool
    entitlement: dict[str, int]
    first: Record | None

    def to_json(self) -> dict:
        """What the desk shows (on screen or stdout, never in a log): the first receipt with
        the proxy's name, which an error message leaves out."""
        f = self.household.fields
        first = None
        if self.first is not None:
            r = self.first.fields
            first = {"receipt": self.first.id, "at": r.get("at"), "desk": r.get("desk"), "team": r.get("team"),
                     "user": r.get("user"), "collector": r.get("collector"), "proxy_name": r.get("proxy_name"),
                     "items": r.get("items")}
        return {"household": self.household.id, "external_ref": f.get("external_ref"), "hh_size": f.get("hh_size"),
                "eligible": self.eligible, "on_list": self.on_list, "entitlement": self.entitlement, "already": first}


def look_up(store: Store, rnd: Round, household: Record, *, team: str | None, today: dt.date | None = None) -> Lookup:
    firsts = live_receipts(store, rnd.round_id, household)
    return Lookup(household, eligible(rnd, household.fields, today=today),
                  rnd.on_list(team, household.fields.get("external_ref")),
                  entitlement(rnd, household.fields, today=today), firsts[0] if firsts else None)


def _text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    if not value or len(value) > MAX_TEXT:
        raise DistributionError(f"{what}: give 1-{MAX_TEXT} characters.")
    return value


def _refuse_unserved(found: Lookup, rnd: Round, ref: str, team: str | None) -> None:
    """A household served already, not on the team's list, or not eligible is refused."""
    if found.first is not None:
        raise AlreadyReceived(f"Household {ref} already {describe(found.first)}. A second receipt for round "
                              f"{rnd.round_id} is refused.")
    if not found.on_list:
        raise NotEntitled(f"Household {ref} is not on team {team or '(none)'}'s list for round {rnd.round_id}.")
    if not found.eligible:
        raise NotEntitled(f"Household {ref} is not eligible for round {rnd.round_id} (its rule: "
                          f"{rnd.eligibility.text}).")


def _given_items(found: Lookup, rnd: Round, ref: str, items: dict[str, int] | None,
                 reason: str | None) -> dict[str, int]:
    """The quantities handed over: the entitlement, with the desk's changes checked."""
    given = dict(found.entitlement)
    for code, qty in (items or {}).items():
        rnd.item(code)  # an unknown item code is refused with the round's codes
        if not isinstance(qty, int) or qty < 0:
            raise DistributionError(f"--item {code}: the quantity must be a whole number, 0 or more.")
        if qty > found.entitlement[code]:
            raise NotEntitled(f"--item {code}={qty} is above household {ref}'s entitlement of "
                              f"{found.entitlement[code]} {rnd.item(code).unit}.")
        given[code] = qty
    if given != found.entitlement and not reason:
        raise DistributionError("The quantities differ from the entitlement: give a --reason.")
    if not any(given.values()):
        raise NotEntitled(f"Household {ref} is entitled to nothing in round {rnd.round_id}.")
    return given


def _receipt_fields(store: Store, rnd: Round, household: Record, found: Lookup, given: dict[str, int], *,
                    team: str | None, reason: str | None, proxy_name: str | None, proxy_doc: str | None,
                    now: dt.datetime) -> dict:
    fields = {"round": rnd.round_id, "household": household.id,
              "hh_round": hh_round_key(rnd.round_id, survivor_id(store, household)),
              "items": {k: v for k, v in given.items()}, "entitlement": found.entitlement,
              "collector": "proxy" if proxy_name else "head", "desk": store.device_id, "team": team,
              "user": store.user_name, "at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")}
    if proxy_name:
        fields["proxy_name"], fields["proxy_doc"] = proxy_name, proxy_doc
    if reason:
        fields["reason"] = reason
    return fields


def record_receipt(store: Store, rnd: Round, household: Record, *, team: str | None,
                   items: dict[str, int] | None = None, reason: str | None = None,
                   proxy_name: str | None = None, proxy_doc: str | None = None,
                   now: dt.datetime | None = None) -> tuple[str, list[str]]:
    """Check everything, then save one receipt. Returns (receipt id, stock warnings)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    reason, proxy_name, proxy_doc = _text(reason, "--reason"), _text(proxy_name, "--proxy-name"), _text(proxy_doc, "--proxy-doc")
    if bool(proxy_name) != bool(proxy_doc):
        raise DistributionError("A proxy needs both --proxy-name and --proxy-doc.")
    with store.atomic():  # the look-up and the save see one state of the store
        found = look_up(store, rnd, household, team=team, today=now.date())
        ref = household.fields.get("external_ref") or household.id
        _refuse_unserved(found, rnd, ref, team)
        given = _given_items(found, rnd, ref, items, reason)
        warnings = stock.check_desk(store, rnd, given)
        if not rnd.start <= now.date().isoformat() <= rnd.end:
            # Warned, not refused: a desk whose date is wrong must still be able to serve.
            warnings.append(f"today ({now.date().isoformat()}) is outside round {rnd.round_id}'s dates "
                            f"({rnd.start} to {rnd.end}); check the laptop's date")
        fields = _receipt_fields(store, rnd, household, found, given, team=team, reason=reason,
                                 proxy_name=proxy_name, proxy_doc=proxy_doc, now=now)
        rid = store.save_record(KIND, fields)
    return rid, warnings


def void_receipt(store: Store, receipt_id: str, *, reason: str, now: dt.datetime | None = None) -> Record:
    """Void one receipt with a reason: an edit (it syncs and is audited); then re-run the check here."""
    reason = _text(reason, "--reason")
    try:
        receipt = store.get_record(receipt_id)
    except Exception:
        raise DistributionError(f"No receipt {receipt_id} on this laptop.") from None
    if receipt.kind != KIND:
        raise DistributionError(f"Record {receipt_id} is not a receipt.")
    if receipt.fields.get("voided"):
        raise DistributionError(f"Receipt {receipt_id} is already void.")
    now = now or dt.datetime.now(dt.timezone.utc)
    with store.atomic():
        edited = store.edit_record(receipt_id, {"voided": True, "void_reason": reason, "voided_by": store.user_name,
                                                "voided_at": now.isoformat(timespec="seconds")})
        store.check_domain()
    return edited


def current_team(store: Store, given: str | None) -> str | None:
    if given:
        return given
    settings = store.sync_settings() or {}
    return settings.get("team")
