"""``python main.py gui``: the desktop app (also what ``python main.py`` alone opens)."""
from __future__ import annotations

import argparse
from pathlib import Path



class QtMissing(RuntimeError):
    """The desktop app (or a command that draws with Qt) was asked for where Qt is not installed."""


ERRORS: tuple = (QtMissing,)


def _need_qt(what: str) -> None:
    # find_spec looks without importing: the core install (no Qt) gets one clear line, not a traceback.
    import importlib.util

    if importlib.util.find_spec("PySide6") is None:
        raise QtMissing(f"{what} needs Qt (PySide6), which is not installed here. Install the app with "
                        "\"pip install -e '.[gui]'\" (the README's first command does it), then run this again.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="the desktop app (the default when no command is given)")
    p.add_argument("--profile", type=Path, help="the profile folder (default: the user's data folder)")
    p.add_argument("--screenshots", type=Path, metavar="DIR",
                   help="render every main screen with synthetic demo data into PNGs in DIR, then exit")
    p.set_defaults(func=_gui)

    card = sub.add_parser("card", help="household cards: print them with QR codes") \
        .add_subparsers(dest="action", required=True, metavar="ACTION")
    p = card.add_parser("print", help="cards (A4 PDF, owner-only) for a round's households that have no card yet")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--round", required=True, metavar="R")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--team", help="this desk's team (default: the team the laptop enrolled in)")
    p.add_argument("--show", metavar="FIELDS",
                   help="household fields printed beside the code, comma-separated (default: external_ref); "
                        "from: external_ref, head_name, settlement, hromada, raion, oblast, hh_size")
    p.add_argument("--reprint", action="store_true", help="households that already have a card too (same code)")
    p.add_argument("--household", action="append", metavar="REF",
                   help="only this household (its reference; repeat for more): a lost or damaged card")
    p.add_argument("--lang", choices=("en", "uk"), default="uk", help="the language of the round's name on the card")
    p.set_defaults(func=_card_print)


def _gui(args: argparse.Namespace) -> int:
    # Qt is imported only when the app is chosen: the command line never pays for it.
    _need_qt("The desktop app")
    if args.screenshots:
        from .app import ensure_platform

        ensure_platform()
        from .screenshots import render_all

        for path in render_all(args.screenshots):
            print(path)
        return 0
    import os
    import sys

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        print("error: no screen found for the desktop app. Run it on a desktop session, or render its screens "
              "with 'python main.py gui --screenshots DIR'.", file=sys.stderr)
        return 1
    from .app import run

    return run(args.profile)


def _card_print(args: argparse.Namespace) -> int:
    """Choose the households and give each a code (distributions/), then draw the sheets (Qt)."""
    import sys

    from distributions import receipts
    from distributions.cards import cards_to_print, parse_show, qr_modules
    from distributions.desk_errors import DistributionError
    from distributions.rounds import held_round
    from rules import outputs
    from storage.cli import open_profile

    out = Path(args.out).expanduser()
    show = parse_show(args.show)
    if out.suffix.lower() != ".pdf":
        raise DistributionError("--out: give a file name ending in .pdf.")
    outputs.checked_destination(out, args.profile, error=DistributionError,
                                refusal="The cards must be written outside the profile folder.")
    _need_qt("Printing cards")
    from .app import ensure_platform

    ensure_platform()
    from PySide6.QtGui import QGuiApplication

    from .cards_pdf import render, write_owner_only

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # fonts need one; no window opens
    with open_profile(args.profile) as store:
        receipts.ensure_indexes(store)
        rnd = held_round(store, args.round)
        team = receipts.current_team(store, args.team)
        chosen, new = cards_to_print(store, rnd, team=team, reprint=args.reprint, refs=args.household)
        if not chosen:
            print(f"every household of round {rnd.round_id} on this team's list has a card; nothing to print "
                  "(--reprint prints them again).", file=sys.stderr)
            return 0
        lines = [(code, [str(f.get(name)) for name in show if f.get(name) not in (None, "")]) for code, f in chosen]
        data = render(lines, title=rnd.title(args.lang), qr=qr_modules)
        write_owner_only(data, out)
        store.log_event(f"card_print|{rnd.round_id}|{len(chosen)}")
    del app
    print(f"{len(chosen)} card(s) on {-(-len(chosen) // 10)} sheet(s) written to {out}; {new} new card code(s).")
    return 0
