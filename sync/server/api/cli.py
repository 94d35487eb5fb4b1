"""``server token add|list|revoke``: analyst tokens for the read API (tokens.py).

Registered by sync/server/cli.py into its ``server`` group, with its common options.
"""
from __future__ import annotations

import argparse
import json

from . import tokens


def _hub(args: argparse.Namespace):
    from ..cli import _hub as hub_of

    return hub_of(args)


def _audit(hub, event: str, detail: str) -> None:
    from ..console.audit import audit

    audit(hub.db, event, actor="(command line)", detail=detail)


def cmd_token_add(args: argparse.Namespace) -> int:
    hub = _hub(args)
    try:
        token, t = tokens.add_token(hub.db, name=args.name, teams=args.team or ["*"], forms=args.form or ["*"],
                                    days=args.days, created_by="(command line)")
        _audit(hub, "api_token_added", f"{t.token_id} '{t.name}': teams {','.join(t.teams)}, forms {','.join(t.forms)}, "
                                       f"{args.days:g} day(s)")
    finally:
        hub.close()
    print(json.dumps({"token_id": t.token_id, "name": t.name, "teams": list(t.teams), "forms": list(t.forms),
                      "expires_at": tokens._iso(t.expires_at), "token": token}, ensure_ascii=False))
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    hub = _hub(args)
    try:
        for row in tokens.list_tokens(hub.db):
            print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    finally:
        hub.close()
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    hub = _hub(args)
    try:
        tokens.revoke_token(hub.db, args.token_id)
        _audit(hub, "api_token_revoked", args.token_id)
    finally:
        hub.close()
    print(f"revoked {args.token_id}; it opens nothing from now on.")
    return 0


def register(server: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    token = server.add_parser("token", help="analyst tokens for the read API (OData, CSV, JSON)").add_subparsers(
        dest="token_action", required=True, metavar="ACTION")
    p = token.add_parser("add", parents=[common], help="make a token; it is printed once, and only its hash is kept")
    p.add_argument("--name", required=True, help="who or what it is for, e.g. 'PowerBI north'")
    p.add_argument("--team", action="append", metavar="T", help="a team it reads (repeat for several; default: every team)")
    p.add_argument("--form", action="append", metavar="FORM_ID", help="a form it reads (repeat for several; default: every form)")
    p.add_argument("--days", type=float, default=90.0, help=f"how long it lasts (default 90, at most {tokens.MAX_DAYS})")
    p.set_defaults(func=cmd_token_add)
    p = token.add_parser("list", parents=[common], help="list tokens (never the tokens themselves), one JSON object per line")
    p.set_defaults(func=cmd_token_list)
    p = token.add_parser("revoke", parents=[common], help="stop a token from opening anything")
    p.add_argument("token_id", metavar="TOKEN_ID")
    p.set_defaults(func=cmd_token_revoke)
