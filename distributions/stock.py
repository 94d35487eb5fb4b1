"""Stock: movements on each desk, and the balance per item that receipts draw from.

A ``stock_movement`` is a synced record: round, item, type, quantity, waybill (for a
receipt of goods), desk, user and time. Types: ``receive``, ``damaged``,
``returned``, ``transfer`` (a signed quantity: + in from another point, - out to
it) and ``count`` (a physical count; it moves nothing).

    balance = received - distributed (live receipts) - damaged - returned + transfers

and the variance is the latest count minus the balance. A movement or a receipt that
would take the balance below zero is refused. Items with no movement at all are not
tracked (a round may hand out cash), and a receipt of them is never refused.
"""
from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from rules import domain

from .desk_errors import StockError
from .rounds import Round

KIND = "stock_movement"
TYPES = ("receive", "damaged", "returned", "transfer", "count")
OUT = {"damaged", "returned"}


@dataclass
class Balance:
    item: str
    received: int = 0
    distributed: int = 0
    damaged: int = 0
    returned: int = 0
    transfers: int = 0
    count: int | None = None
    counted_at: str | None = None
    tracked: bool = False

    @property
    def balance(self) -> int:
        return self.received - self.distributed - self.damaged - self.returned + self.transfers

    @property
    def variance(self) -> int | None:
        return None if self.count is None else self.count - self.balance

    def to_json(self) -> dict:
        return {"item": self.item, "received": self.received, "distributed": self.distributed, "damaged": self.damaged,
                "returned": self.returned, "transfers": self.transfers, "balance": self.balance, "count": self.count,
                "variance": self.variance}


def balances(round_id: str, items: Iterable[str], records: Iterable[tuple[str, Mapping, bool]]) -> dict[str, Balance]:
    """Per item, from ``(kind, fields, deleted)`` of every movement and receipt held (a store's or the hub's)."""
    out = {code: Balance(code) for code in items}
    counts: dict[str, tuple[str, int]] = {}
    for kind, f, deleted in records:
        if deleted or f.get("round") != round_id:
            continue
        if kind == domain.RECEIPT and domain.is_live(f):
            for code, qty in (f.get("items") or {}).items():
                out.setdefault(code, Balance(code)).distributed += int(qty)
        elif kind == KIND:
            b = out.setdefault(f.get("item"), Balance(f.get("item")))
            b.tracked = True
            qty, kind_ = int(f.get("qty", 0)), f.get("type")
            if kind_ == "receive":
                b.received += qty
            elif kind_ == "damaged":
                b.damaged += qty
            elif kind_ == "returned":
                b.returned += qty
            elif kind_ == "transfer":
                b.transfers += qty
            elif kind_ == "count":
                stamp = (str(f.get("at", "")), str(f.get("_id", "")))
                if f.get("item") not in counts or stamp >= counts[f.get("item")][0]:
                    counts[f.get("item")] = (stamp, qty)
                    b.counted_at = str(f.get("at"))
    for code, (_, qty) in counts.items():
        out[code].count = qty
    return out


# Per open store, what its receipts hand over: receipt id -> a ``Held`` entry, and the sums
# per round. A desk saves receipt after receipt, and summing every receipt for each
# would grow with the day; so would reading every receipt's stamp to find the changed
# ones (15-30 ms a save at 10,000 receipts). The store notes which receipts were
# written since the last look (``Store.changed_since``): only those are decrypted, and
# the sums move by their difference. The desk's counts (distributions/desk.py) read the
# same entries.
@dataclass(frozen=True)
class Held:
    round: str | None
    items: dict  # what it hands over: empty once voided
    live: bool
    desk: str | None
    collector: str | None
    at: str


class _Distributed:
    def __init__(self) -> None:
        self.seen: dict[str, Held] = {}
        self.sums: dict[str, dict[str, int]] = {}
        self.mark = None

    def _add(self, entry: Held, sign: int) -> None:
        if entry.round is None or not entry.items:
            return
        sums = self.sums.setdefault(entry.round, {})
        for code, qty in entry.items.items():
            sums[code] = sums.get(code, 0) + sign * int(qty)

    def _put(self, rid: str, f: Mapping | None) -> None:
        old = self.seen.pop(rid, None)
        if old is not None:
            self._add(old, -1)
        if f is None:
            return  # deleted, or gone
        live = domain.is_live(f)
        entry = Held(f.get("round"), dict(f.get("items") or {}) if live else {}, live, f.get("desk"),
                     f.get("collector"), str(f.get("at", "")))
        self.seen[rid] = entry
        self._add(entry, +1)

    def refresh(self, store, pace: Callable[[Iterable], Iterable] = iter) -> dict[str, dict[str, int]]:
        self.mark, changed = store.changed_since(domain.RECEIPT, self.mark)
        if changed is None or len(changed) > max(1000, len(self.seen) // 2):
            # The first look, written by another process, or a pull that brought most of them:
            # one pass over them all beats as many look-ups.
            self.seen, self.sums = {}, {}
            for r in pace(store.list_records(domain.RECEIPT)):
                self._put(r.id, r.fields)
            return self.sums
        for rid in pace(sorted(changed)):
            try:
                r = store.get_record(rid)
            except Exception:  # noqa: BLE001 - not there any more
                r = None
            self._put(rid, None if r is None or r.deleted else r.fields)
        return self.sums


def held_receipts(store, pace: Callable[[Iterable], Iterable] = iter) -> dict[str, Held]:
    """Every receipt this store holds (voided ones too), by id, brought up to date (see ``_Distributed``).
    ``pace`` wraps the loop that reads them all, when it must (the GUI's worker lets its thread breathe)."""
    cache = _DISTRIBUTED.setdefault(store, _Distributed())
    cache.refresh(store, pace)
    return cache.seen


_DISTRIBUTED: "weakref.WeakKeyDictionary[object, _Distributed]" = weakref.WeakKeyDictionary()


def store_balances(store, rnd: Round) -> dict[str, Balance]:
    out = balances(rnd.round_id, [i.code for i in rnd.items],
                   ((KIND, r.fields, r.deleted) for r in store.list_records(KIND)))
    sums = _DISTRIBUTED.setdefault(store, _Distributed()).refresh(store)
    for code, qty in sums.get(rnd.round_id, {}).items():
        out.setdefault(code, Balance(code)).distributed += qty
    return out


def move(store, rnd: Round, *, type_: str, item: str, qty: int, waybill: str | None = None,
         now: dt.datetime | None = None) -> tuple[str, Balance]:
    """Record one movement after checking it; returns (record id, the item's balance after it)."""
    if type_ not in TYPES:
        raise StockError(f"A stock movement is one of: {', '.join(TYPES)}.")
    rnd.item(item)
    if not isinstance(qty, int) or isinstance(qty, bool):
        raise StockError("--qty must be a whole number.")
    if type_ == "transfer":
        if qty == 0:
            raise StockError("--qty of a transfer: a positive number in, a negative number out; not 0.")
    elif qty < 0 or (qty == 0 and type_ != "count"):
        raise StockError(f"--qty of '{type_}' must be a whole number above 0" + (" (or 0 for a count)." if type_ == "count" else "."))
    if waybill is not None:
        waybill = " ".join(waybill.split())
        if not waybill or len(waybill) > 100:
            raise StockError("--waybill: 1-100 characters.")
    now = now or dt.datetime.now(dt.timezone.utc)
    with store.atomic():
        b = store_balances(store, rnd)[item]
        after = b.balance - (qty if type_ in OUT else 0) + (qty if type_ == "transfer" else 0) + (qty if type_ == "receive" else 0)
        if type_ != "count" and after < 0:
            raise StockError(f"Stock of {item} in round {rnd.round_id} would be {after} (the balance is {b.balance}); "
                             "negative stock is refused. Record what was received first.")
        fields = {"round": rnd.round_id, "item": item, "type": type_, "qty": qty, "desk": store.device_id,
                  "user": store.user_name, "at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")}
        if waybill:
            fields["waybill"] = waybill
        rid = store.save_record(KIND, fields)
        b = store_balances(store, rnd)[item]
    return rid, b


def check_desk(store, rnd: Round, given: Mapping[str, int]) -> list[str]:
    """Before a receipt: refuse one that would take a tracked item below zero; warn when
    what is left after it falls to the item's low-stock mark (default: ten entitlements' worth)."""
    warnings = []
    tracked = {code: b for code, b in store_balances(store, rnd).items() if b.tracked}
    for code, qty in given.items():
        b = tracked.get(code)
        if b is None or not qty:
            continue
        left = b.balance - qty
        if left < 0:
            raise StockError(f"Only {b.balance} {rnd.item(code).unit} of {code} left in stock for round "
                             f"{rnd.round_id}; {qty} cannot be handed over. Record a delivery or a transfer first.")
        mark = rnd.item(code).low_stock
        if mark is None:
            mark = 10 * qty
        if left <= mark:
            warnings.append(f"stock of {code} is running low: {left} {rnd.item(code).unit} left after this receipt")
    return warnings
