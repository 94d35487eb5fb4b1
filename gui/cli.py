"""``python main.py gui``: the desktop app (also what ``python main.py`` alone opens)."""
from __future__ import annotations

import argparse
from pathlib import Path

ERRORS: tuple = ()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="the desktop app (the default when no command is given)")
    p.add_argument("--profile", type=Path, help="the profile folder (default: the user's data folder)")
    p.add_argument("--screenshots", type=Path, metavar="DIR",
                   help="render every main screen with synthetic demo data into PNGs in DIR, then exit")
    p.set_defaults(func=_gui)


def _gui(args: argparse.Namespace) -> int:
    # Qt is imported only when the app is chosen: the command line never pays for it.
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
