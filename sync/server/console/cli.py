"""``server user ...`` (web accounts of the console) and ``server export`` (a form's data at the hub).

Registered by sync/server/cli.py into its ``server`` group, with its common options.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Callable

from . import auth

PASSWORD_ENV = "FIELDBOOK_NEW_PASSWORD"


def _new_password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise auth.WebUserError("The two passwords differ (nothing was changed).")
    if password is None:
        raise auth.WebUserError(f"No password given: set {PASSWORD_ENV} (nothing was changed).")
    return auth.check_password(password)


def _db(args: argparse.Namespace):
    from ..cli import _hub

    return _hub(args)


def cmd_user_add(args: argparse.Namespace) -> int:
    password = _new_password()
    hub = _db(args)
    try:
        user = auth.add_user(hub.db, name=args.name, role=args.role, teams=args.team, password=password)
        from .audit import audit

        audit(hub.db, "web_user_added", actor="(command line)", detail=f"{user.name} as {user.role} of {','.join(user.teams)}")
    finally:
        hub.close()
    print(json.dumps({"name": user.name, "role": user.role, "teams": list(user.teams)}))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    hub = _db(args)
    try:
        for row in auth.list_users(hub.db):
            print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    finally:
        hub.close()
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    hub = _db(args)
    try:
        auth.disable_user(hub.db, args.name)
        from .audit import audit

        audit(hub.db, "web_user_disabled", actor="(command line)", detail=args.name)
    finally:
        hub.close()
    print(f"disabled {args.name}; its sessions have ended.")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    password = _new_password()
    hub = _db(args)
    try:
        auth.set_password(hub.db, args.name, password)
        from .audit import audit

        audit(hub.db, "web_user_password_set", actor="(command line)", detail=args.name)
    finally:
        hub.close()
    print(f"new password set for {args.name}; its sessions have ended and any lock-out is lifted.")
    return 0


class _ExportProgress:
    """Submissions read so far, on stderr (stdout keeps its one JSON line for scripts).

    On a terminal, one line rewritten in place; in a log, a line at each tenth of the way.
    """

    def __init__(self, count: Callable[[], int]) -> None:
        self.count, self.total, self.tty, self.shown = count, None, sys.stderr.isatty(), -1

    def __call__(self, n: int) -> None:
        if self.total is None:
            self.total = self.count()  # from the keys: nothing is decrypted
        share = 100 * n // self.total if self.total else 100
        if self.tty:
            print(f"\rexport: {n:,} of {self.total:,} submissions ({share}%)   ", end="", file=sys.stderr, flush=True)
        elif share // 10 > self.shown:
            self.shown = share // 10
            print(f"export: {n:,} of {self.total:,} submissions ({share}%)", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> int:
    from forms.export import export_format

    from .exports import ExportRequest, check_exportable, check_out, count_submissions, export_submissions, hub_form

    from ..cli import _check_server_exists

    _check_server_exists(Path(args.data))
    check_exportable(args.form)  # before the hub is opened
    out = check_out(args.out, Path(args.data))
    fmt = export_format(out, args.format)
    hub = _db(args)
    media: dict = {}
    try:
        hub_form(hub, args.form)  # an unknown form is refused before anything is read
        req = ExportRequest(args.form, fmt, tuple(args.team) if args.team else None, args.lang, args.since,
                            args.with_sensitive)
        # counted at the first report, once export_submissions has checked the request
        progress = _ExportProgress(lambda: count_submissions(hub, req))
        summary = export_submissions(hub, req, out, actor="(command line)", progress=progress,
                                     media=media)
        progress.done()
    finally:
        hub.close()
    print(json.dumps({"form_id": args.form, "records": summary.records, "rows": summary.rows,
                      "files": [str(f) for f in summary.files], "media_files": media.get("written", 0)},
                     ensure_ascii=False))
    if media.get("incomplete"):
        print(f"warning: {len(media['incomplete'])} attached file(s) not written: their parts have not all reached "
              f"the hub yet, or do not match", file=sys.stderr)
    if summary.unknown_fields:
        print(f"warning: some records hold fields the form does not define; they are not in the export: "
              f"{', '.join(summary.unknown_fields[:20])}", file=sys.stderr)
    return 0


def register(server: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    user = server.add_parser("user", help="web accounts of the hub console").add_subparsers(dest="user_action", required=True,
                                                                                           metavar="ACTION")
    p = user.add_parser("add", parents=[common], help=f"add a console account; the password comes from {PASSWORD_ENV}")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=auth.ROLES)
    p.add_argument("--team", action="append", metavar="T", help="a team a lead or viewer works with (repeat for several)")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("list", parents=[common], help="list console accounts, one JSON object per line")
    p.set_defaults(func=cmd_user_list)
    p = user.add_parser("disable", parents=[common], help="stop an account signing in; its sessions end now")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_user_disable)
    p = user.add_parser("passwd", parents=[common], help=f"set a new password (from {PASSWORD_ENV}); lifts a lock-out")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_user_passwd)
    p = server.add_parser("export", parents=[common], help="write a form's finished submissions to CSV or XLSX (the laptop export's layout)")
    p.add_argument("--form", required=True, metavar="FORM_ID")
    p.add_argument("--format", choices=("csv", "xlsx"), help="default: from the --out file name")
    p.add_argument("--out", required=True, metavar="FILE", help="repeats go to FILE-REPEAT.csv with csv; photos and files to FILE_media/RECORD/NAME")
    p.add_argument("--team", action="append", metavar="T", help="only this team's submissions (repeat for several)")
    p.add_argument("--lang", metavar="L", help="headers and choices as labels in this language, e.g. uk")
    p.add_argument("--since", metavar="DATE", help="only submissions made on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("--with-sensitive", action="store_true", dest="with_sensitive",
                   help="include the answers the form marks sensitive (left out by default; audited)")
    p.set_defaults(func=cmd_export)
