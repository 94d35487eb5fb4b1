"""Command line of the distribution day: ``round``, ``distribute`` and ``stock``.

``round publish|withdraw`` and ``round report --data`` work on the hub's data folder
(sync.server): rounds travel as published items beside forms. Everything else works
on a laptop's profile.
"""
from __future__ import annotations

import argparse
import json
import sys

from storage.cli import open_profile

from . import receipts, report, stock
from .desk_errors import DistributionError, RoundError
from .errors import RegistryError
from .rounds import FILE, held_round, load_round_file, parse_round, report_round

ERRORS = (RegistryError,)


# -- round (hub) -------------------------------------------------------------------------

def _hub(args):
    from sync.server.cli import _hub as open_hub  # the hub's own way to open its data folder

    return open_hub(args)


def cmd_round_publish(args: argparse.Namespace) -> int:
    from sync.protocol import PublishedForm

    rnd = load_round_file(args.file)
    published = PublishedForm.make(rnd.published_id, rnd.version, rnd.title("en"), b"", {FILE: rnd.source})
    from sync.errors import FormNotPublished

    team = args.team or "*"
    hub = _hub(args)
    try:
        new = hub.publish_form(published, team=team)
    except FormNotPublished as exc:
        if "already published with other content" in str(exc):
            raise RoundError(f"Version {rnd.version} of round {rnd.round_id} was already published with other "
                             "content. Raise its \"version\", then publish again.") from None
        raise RoundError(str(exc)) from None
    finally:
        hub.close()
    print(json.dumps({"round_id": rnd.round_id, "version": rnd.version, "team": team, "items": [i.code for i in rnd.items],
                      "published": new}))
    where = f"team {team}" if args.team else "every team"
    print(f"round {rnd.round_id} " + (f"published to {where}; laptops get it at their next sync."
                                      if new else f"was already published to {where}; nothing changed."), file=sys.stderr)
    return 0


def cmd_round_withdraw(args: argparse.Namespace) -> int:
    from sync.errors import FormNotPublished

    hub = _hub(args)
    try:
        hub.withdraw_form("round." + args.round, team=args.team or "*")
    except FormNotPublished:
        where = f"team {args.team}" if args.team else "every team"
        raise RoundError(f"Round {args.round} is not published to {where}.") from None
    finally:
        hub.close()
    print(f"withdrew round {args.round}; laptops stop serving it at their next sync (receipts stay).")
    return 0


def _hub_round(hub, round_id: str):
    published = hub.last_published("round." + round_id)  # withdrawn rounds too: a round that ended is reported
    if published is None or FILE not in published.media:
        raise RoundError(f"Round {round_id} was never published at this hub.")
    return parse_round(published.media[FILE])


# -- distribute (laptop) -------------------------------------------------------------------

def _items(values: list[str] | None) -> dict[str, int] | None:
    if not values:
        return None
    out = {}
    for v in values:
        code, sep, qty = v.partition("=")
        if not sep or not code or not qty.strip().lstrip("-").isdigit():
            raise DistributionError(f"--item takes CODE=QTY, for example FOOD=1; not '{code}…'.")
        out[code.strip()] = int(qty)
    return out


def _refused(store, round_id: str, exc: Exception) -> None:
    """A refusal is counted: in the audit log (the round and the kind of refusal, no value)
    and in this desk's tally, which syncs to the hub's report."""
    from .desk import log_refusal

    try:
        log_refusal(store, round_id, type(exc).__name__)
    except Exception:  # noqa: BLE001 - counting must never hide the refusal itself
        pass


def cmd_distribute(args: argparse.Namespace) -> int:
    items = _items(args.item)
    with open_profile(args.profile) as store:
        receipts.ensure_indexes(store)
        rnd = held_round(store, args.round)
        team = receipts.current_team(store, args.team)
        try:
            household = receipts.find_household(store, card=args.card, phone=args.phone, doc=args.doc)
            found = receipts.look_up(store, rnd, household, team=team)
            print(json.dumps(found.to_json(), ensure_ascii=False))
            if args.check:
                return 0
            rid, warnings = receipts.record_receipt(store, rnd, household, team=team, items=items, reason=args.reason,
                                                    proxy_name=args.proxy_name, proxy_doc=args.proxy_doc)
        except RegistryError as exc:
            _refused(store, rnd.round_id, exc)
            raise
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(rid)
    return 0


def cmd_void(args: argparse.Namespace) -> int:
    with open_profile(args.profile) as store:
        receipts.ensure_indexes(store)
        receipts.void_receipt(store, args.receipt, reason=args.reason)
        still = [r for r in store.domain_reviews() if args.receipt in r["receipts"]]
    print(f"receipt {args.receipt} voided" + ("; its review item is still open (more receipts remain)." if still else "."))
    return 0


def cmd_reviews(args: argparse.Namespace) -> int:
    if args.data:
        hub = _hub(args)
        try:
            items = hub.domain_reviews(include_closed=args.all)
        finally:
            hub.close()
    else:
        with open_profile(args.profile) as store:
            store.check_domain()
            items = store.domain_reviews()
    for item in items:
        print(json.dumps(item, ensure_ascii=False, sort_keys=True))
    return 0


# -- stock (laptop) ------------------------------------------------------------------------

def cmd_stock(args: argparse.Namespace) -> int:
    with open_profile(args.profile) as store:
        rnd = held_round(store, args.round)
        if args.type == "balance":
            for b in stock.store_balances(store, rnd).values():
                print(json.dumps(b.to_json()))
            return 0
        if args.item is None or args.qty is None:
            raise DistributionError(f"stock {args.type} needs --item and --qty.")
        _, b = stock.move(store, rnd, type_=args.type, item=args.item, qty=args.qty, waybill=args.waybill)
    print(json.dumps(b.to_json()))
    return 0


# -- report (laptop or hub) ----------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    if bool(args.profile) == bool(args.data):
        raise DistributionError("round report takes --profile DIR (a laptop) or --data DIR (the hub).")
    out, fmt = report.check_destination(args.out, args.profile, args.format)
    if args.data:
        hub = _hub(args)
        try:
            rnd = _hub_round(hub, args.round)
            records = ((rid, r["kind"], r["fields"], r["deleted"]) for rid, r in hub.records().items())
            rows = report.build(rnd, records, lang=args.lang)  # refusals: every desk's tally that reached the hub
            report.write(rows, out, fmt, lang=args.lang, title=rnd.round_id)
            with hub.db.transaction():
                hub._event("round_report", None, f"{rnd.round_id} {fmt}")
        finally:
            hub.close()
    else:
        with open_profile(args.profile) as store:
            rnd = report_round(store, args.round)
            records = ((r.id, r.kind, r.fields, r.deleted) for kind in ("household", "receipt", stock.KIND, report.TALLY)
                       for r in store.list_records(kind))
            rows = report.build(rnd, records, lang=args.lang)  # refusals: this desk's tally and those synced here
            report.write(rows, out, fmt, lang=args.lang, title=rnd.round_id)
            store.log_event(f"round_report|{rnd.round_id}|{fmt}")
    print(f"{len(rows)} row(s) written to {out}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from . import pdm

    pdm.check_percent(args.percent)
    out = pdm.check_destination(args.out, args.profile) if args.out else None
    with open_profile(args.profile) as store:
        picked, population = pdm.sample(store, args.round, percent=args.percent, seed=args.seed)
        made = already = 0
        if args.drafts:
            made, already = pdm.make_drafts(store, picked)
        store.log_event(f"pdm_sample|{args.round}|{len(picked)}")
        if out is not None:  # the same list, file and audit entry as the Desk's "PDM sample…" dialog
            pdm.write_list(picked, out)
            store.log_event(f"pdm_sample_list|{args.round}|{len(picked)}")
    for s in picked:
        print(json.dumps({"household": s.household, "ref": s.ref, "card": s.card, "receipt": s.receipt}, ensure_ascii=False))
    print(f"{len(picked)} of {population} served household(s) sampled (round {args.round}, {args.percent:g}%, seed "
          f"'{args.seed}')" + (f"; {made} PDM draft(s) made, {already} already there" if args.drafts else "")
          + (f"; list written to {out}." if out is not None else "."), file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    hub = argparse.ArgumentParser(add_help=False)
    hub.add_argument("--data", required=True, metavar="DIR", help="the hub's data folder")
    hub.add_argument("--db", metavar="URL", help="the hub's PostgreSQL URL, when it uses one")

    rounds = sub.add_parser("round", help="distribution rounds: publish and withdraw at the hub; reports") \
        .add_subparsers(dest="action", required=True, metavar="ACTION")
    p = rounds.add_parser("publish", parents=[hub], help="publish a round (.json or .xlsx) to a team or every team")
    p.add_argument("file", metavar="FILE.json|FILE.xlsx")
    p.add_argument("--team", help="only this team (default: every team)")
    p.set_defaults(func=cmd_round_publish)
    p = rounds.add_parser("withdraw", parents=[hub], help="stop offering a round; laptops drop it at their next sync")
    p.add_argument("round", metavar="ROUND_ID")
    p.add_argument("--team")
    p.set_defaults(func=cmd_round_withdraw)
    p = rounds.add_parser("report", help="the round's report: served by area, proxies, voids, stock (owner-only file)")
    p.add_argument("--profile", metavar="DIR", help="a laptop's profile: its own desk and what reached it")
    p.add_argument("--data", metavar="DIR", help="the hub's data folder: every team")
    p.add_argument("--db", metavar="URL")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--format", choices=("csv", "xlsx"))
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--lang", choices=("en", "uk"), default="en")
    p.set_defaults(func=cmd_report)
    p = rounds.add_parser("sample", help="post-distribution monitoring: a reproducible random sample of the "
                                         "households a round served (optionally as PDM drafts)")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--percent", type=float, default=10.0, metavar="P", help="share of the served households (default 10)")
    p.add_argument("--seed", default="", help="another seed draws another sample; the same seed, the same sample")
    p.add_argument("--drafts", action="store_true",
                   help="a draft of the built-in PDM form for each, its card number filled in")
    p.add_argument("--out", metavar="FILE.csv",
                   help="also write the sample list (household reference, card number, receipt id; no names): "
                        "owner-only, outside the profile, recorded in the audit log")
    p.set_defaults(func=cmd_sample)

    d = sub.add_parser("distribute", help="the distribution desk: find a household and record what it received")
    d.add_argument("--profile", metavar="DIR")
    d.add_argument("--round", metavar="R")
    d.add_argument("--card", metavar="CODE")
    d.add_argument("--phone")
    d.add_argument("--doc", metavar="NUMBER", help="ID document or tax number")
    d.add_argument("--team", help="this desk's team (default: the team the laptop enrolled in)")
    d.add_argument("--proxy-name", metavar="NAME")
    d.add_argument("--proxy-doc", metavar="NUMBER")
    d.add_argument("--item", action="append", metavar="CODE=QTY", help="hand over less than the entitlement (needs --reason)")
    d.add_argument("--reason")
    d.add_argument("--check", action="store_true", help="show the household's entitlement; save nothing")
    d.set_defaults(func=_distribute_or_action)
    actions = d.add_subparsers(dest="action", metavar="ACTION")
    p = actions.add_parser("void", help="a supervisor voids one receipt, with a reason (it syncs; nothing is deleted)")
    p.add_argument("--profile", required=True, metavar="DIR", dest="void_profile")
    p.add_argument("--receipt", required=True, metavar="ID")
    p.add_argument("--reason", required=True, dest="void_reason")
    p.set_defaults(func=lambda a: cmd_void(argparse.Namespace(profile=a.void_profile, receipt=a.receipt, reason=a.void_reason)))
    p = actions.add_parser("reviews", help="open review items of the domain check (double distributions)")
    p.add_argument("--profile", metavar="DIR", dest="review_profile")
    p.add_argument("--data", metavar="DIR", dest="review_data")
    p.add_argument("--db", metavar="URL", dest="review_db")
    p.add_argument("--all", action="store_true", help="at the hub: closed items too")
    p.set_defaults(func=lambda a: cmd_reviews(argparse.Namespace(profile=a.review_profile, data=a.review_data,
                                                                 db=a.review_db, all=a.all)))

    s = sub.add_parser("stock", help="stock movements of a round, and its balance")
    s.add_argument("type", choices=(*stock.TYPES, "balance"))
    s.add_argument("--profile", required=True, metavar="DIR")
    s.add_argument("--round", required=True, metavar="R")
    s.add_argument("--item", metavar="CODE")
    s.add_argument("--qty", type=int, metavar="N", help="a transfer: positive in, negative out")
    s.add_argument("--waybill", metavar="W")
    s.set_defaults(func=cmd_stock)


def _distribute_or_action(args: argparse.Namespace) -> int:
    if not args.profile or not args.round:
        raise DistributionError("distribute needs --profile DIR and --round R (or an action: void, reviews).")
    return cmd_distribute(args)


def self_test(report_line) -> None:
    """A round on a temporary profile: a receipt, a second one refused, a double found and
    voided, stock reconciled, a report written; the profile and the report stay free of names."""
    import datetime as dt
    import shutil
    import tempfile
    from pathlib import Path

    from storage import Store
    from storage.logs import detach_profile_log
    from sync.protocol import PublishedForm

    from .cards import new_card_code
    from .desk_errors import AlreadyReceived
    from .rounds import parse_round

    canary = "Канаренко-Самоперевірка"
    root = Path(tempfile.mkdtemp(prefix="fieldbook-desk-selftest-"))
    try:
        store, _ = Store.create(root / "profile", user="selftest", passphrase="self-test passphrase")
        with store:
            receipts.ensure_indexes(store)
            hid = store.save_record("household", {"head_name": canary, "hh_size": 5, "card_code": new_card_code(),
                                                  "oblast": "Київська", "members": [{"disabled": "yes"}]})
            rnd = parse_round(json.dumps({"round_id": "SELFTEST", "name": "self-test", "start": "2026-01-01",
                                          "end": "2026-01-02", "items": [{"code": "KIT", "label": "kit", "unit": "kit",
                                          "entitlement": "if(count(${members}[disabled='yes']) > 0, 2, 1)"}]}).encode())
            p = PublishedForm.make(rnd.published_id, rnd.version, rnd.title(), b"", {FILE: rnd.source})
            store.receive_forms(1, {p.form_id: p.digest}, [{"form_id": p.form_id, "version": p.version, "digest": p.digest,
                                                             "title": p.title, "xlsx": p.xlsx, "media": p.media}])
            rnd = held_round(store, "SELFTEST")
            stock.move(store, rnd, type_="receive", item="KIT", qty=10, waybill="SELF-1")
            household = store.get_record(hid)
            first, _ = receipts.record_receipt(store, rnd, household, team=None, proxy_name=canary, proxy_doc="КК000001")
            try:
                receipts.record_receipt(store, rnd, household, team=None)
                raise DistributionError("self-test failed: a second receipt for the same household and round was saved")
            except AlreadyReceived:
                pass
            # What another desk would bring in a merge: a second receipt, then the check.
            store.save_record("receipt", {"round": "SELFTEST", "household": hid, "items": {"KIT": 2}, "desk": "other",
                                          "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
            store.check_domain()
            if len(store.domain_reviews()) != 1:
                raise DistributionError("self-test failed: the domain check did not find the double distribution")
            receipts.void_receipt(store, first, reason="self-test")
            if store.domain_reviews():
                raise DistributionError("self-test failed: a void did not close the review item")
            _, bal = stock.move(store, rnd, type_="count", item="KIT", qty=8)
            if bal.variance != 0:
                raise DistributionError("self-test failed: stock did not reconcile")
            rows = report.build(rnd, ((r.id, r.kind, r.fields, r.deleted) for k in ("household", "receipt", stock.KIND)
                                      for r in store.list_records(k)))
            report.write(rows, root / "report.csv", "csv")
        files = [f for f in root.rglob("*") if f.is_file()]
        leaks = [f.name for f in files if canary.encode() in f.read_bytes()]
        if leaks:
            raise DistributionError(f"self-test failed: a name in plaintext on disk: {leaks}")
        report_line("a round's receipt, a second refused, a double found and voided, stock reconciled, a report "
                    "written; no name on disk")
    finally:
        detach_profile_log(root / "profile")
        shutil.rmtree(root, ignore_errors=True)


SELF_TEST = [("distribution", self_test)]
