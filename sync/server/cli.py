"""``server ...`` commands: run the central server and administer it from the hub.

Every command takes ``--data DIR`` (keys, and the SQLite database by default)
and ``--db URL`` for PostgreSQL. The commands work on the same database whether
or not ``server run`` is running.

Only ``server init`` creates a server. Every other command refuses a folder that
holds none: a typo in ``--data`` must not quietly make a new server with new keys,
to which no laptop is enrolled.
"""
from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import logging.handlers
import socket
import sys
from pathlib import Path

from ..files import bundle_paths, read_bundle_file, write_atomically
from ..errors import SyncError
from .db import DatabaseError
from .settings import Settings

ERRORS = (SyncError, DatabaseError)

# An enrollment code lives at most this long: a code is a password, and one that stays valid
# for months is one nobody remembers having issued.
MAX_CODE_HOURS = 24 * 30


class NoServerHere(SyncError):
    """The data folder holds no server (only ``server init`` creates one)."""


class CannotListen(SyncError):
    """``server run`` cannot take the address and port it was given."""


def _check_server_exists(data: Path) -> None:
    from .hub import KEYS_FILE

    if (data / KEYS_FILE).is_file():
        return
    if (data / "server.db").exists():
        raise NoServerHere(f"{data} holds a server database but no {KEYS_FILE}; restore that file from the backup "
                           f"(nothing was changed).")
    raise NoServerHere(f"There is no server in {data}; check the --data folder, or create a new server there with "
                       f"'server init --data {data}'.")


def _hub(args: argparse.Namespace, *, create: bool = False):
    from .hub import Hub

    data = Path(args.data)
    if not create:
        _check_server_exists(data)
    settings = Settings(data_dir=Path(args.data), db_url=args.db)
    hours = getattr(args, "max_clock_ahead_h", None)  # only 'server run' takes it
    if hours:
        settings = dataclasses.replace(settings, max_clock_ahead_ms=int(hours * 3_600_000))
    return Hub(settings)


def _attach_log(data: Path) -> None:
    (data / "logs").mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(data / "logs" / "server.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("fieldbook")
    logger.addHandler(handler)
    logger.setLevel(min(logger.level or logging.INFO, logging.INFO))


def cmd_init(args: argparse.Namespace) -> int:
    from .hub import KEYS_FILE, ServerKeys

    data = Path(args.data)
    if (data / KEYS_FILE).exists():
        raise NoServerHere(f"{data} already holds server {ServerKeys.load_or_create(data).server_id}; nothing was changed.")
    if data.is_dir() and any(data.iterdir()):
        # Keys beside somebody else's files, or beside a database whose keys were lost, would
        # make a server nobody can trust; an empty or new folder only.
        raise NoServerHere(f"{data} is not empty and holds no server; choose a new or empty folder (nothing was changed).")
    if args.db:
        _refuse_a_database_in_use(args.db, data)
    hub = _hub(args, create=True)
    try:
        print(json.dumps({"server_id": hub.server_id, "data": str(data), "fingerprint": hub.public_keys().fingerprint()}))
    finally:
        hub.close()
    print(f"created server {hub.server_id} in {data}; back up {data / KEYS_FILE} apart from the database",
          file=sys.stderr)
    return 0


def _refuse_a_database_in_use(url: str, data: Path) -> None:
    """New keys beside a PostgreSQL database that already holds a server's data would leave
    every sealed value in it unreadable: that server's keys must be restored instead."""
    from .db import Database

    db = Database(url, data)
    try:
        db.migrate()
        devices = db.execute("SELECT count(*) FROM devices")[0][0]
        changes = db.execute("SELECT count(*) FROM changes")[0][0]
    finally:
        db.close()
    if devices or changes:
        raise NoServerHere(f"That database already holds a server's data ({devices} device(s), {changes} change(s)); "
                           f"restore its server-keys.json into {data} instead of making new keys (nothing was changed).")


def _listen(host: str, port: int) -> socket.socket:
    """Take the address before anything is printed, so a busy port is one clear line.

    The bound socket goes to the server as it is, so nothing can take the port in between.
    """
    if not 0 <= port <= 65535:
        raise CannotListen(f"--port {port} is not a port number (0 to 65535).")
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise CannotListen(f"Cannot listen on {host}: no such address on this computer.") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself would: restarts stay quick
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(f"Port {port} on {host} is already in use (another server is running there?); "
                               f"stop it or choose another --port.") from None
        raise CannotListen(f"Cannot listen on {host} port {port}: {exc.strerror}.") from None
    sock.set_inheritable(True)
    return sock


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    if not 1 <= args.workers <= 64:
        raise CannotListen(f"--workers {args.workers} is not a number of processes (1 to 64); the server did not start.")
    _check_server_exists(Path(args.data))
    sock = _listen(args.host, args.port)
    try:
        hub = _hub(args)
    except BaseException:
        sock.close()
        raise
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    workers = f"; {args.workers} worker processes" if args.workers > 1 else ""
    print(f"Fieldbook server {hub.server_id} on http://{shown}:{port} (data in {args.data}{workers}); "
          f"key fingerprint {hub.public_keys().fingerprint()}", flush=True)
    if args.workers > 1:
        # The hub above has checked the keys against the database and migrated it, so a
        # mismatch stops here in one line; each worker then opens its own.
        import os

        from uvicorn.supervisors import Multiprocess

        from .workers import ENV, settings_to_env

        settings = hub.settings
        hub.close()
        os.environ[ENV] = settings_to_env(settings)
        config = uvicorn.Config("sync.server.workers:app", factory=True, workers=args.workers, log_level="warning")
        Multiprocess(config, sockets=[sock]).run()
        return 0
    _attach_log(Path(args.data))
    app = create_app(hub.settings, hub)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0


def cmd_enroll_code(args: argparse.Namespace) -> int:
    if not 0 < args.hours <= MAX_CODE_HOURS:  # also refuses nan
        raise SyncError(f"--hours must be more than 0 and at most {MAX_CODE_HOURS} ({MAX_CODE_HOURS // 24} days); "
                        f"no code was made.")
    hub = _hub(args)
    code = hub.new_enroll_code(args.team, ttl_s=int(args.hours * 3600))
    print(code)
    print(f"one-time code for team {args.team}; expires in {args.hours:g} h; server key fingerprint "
          f"{hub.public_keys().fingerprint()}", file=sys.stderr)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    for dev in _hub(args).devices():
        print(json.dumps(dev, sort_keys=True))
    return 0


def cmd_enroll_log(args: argparse.Namespace) -> int:
    hub = _hub(args)
    rows = hub.enroll_sources() if args.sources else hub.enroll_log(limit=args.limit)
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    return 0


def cmd_enroll_unlock(args: argparse.Namespace) -> int:
    from ..errors import EnrollmentRefused

    if not _hub(args).enroll_unlock(args.source):
        raise EnrollmentRefused(f"No refused enrollments are on record for {args.source}; "
                                "'server enroll-log --sources' lists the addresses that have some.")
    print(f"forgot the refused enrollments from {args.source}; it may try codes again now.")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    _hub(args).revoke(args.device_id, wipe=args.wipe)
    print(f"revoked {args.device_id}" + (" (it will erase its profile at its next contact)" if args.wipe else ""))
    return 0


def cmd_import_bundle(args: argparse.Namespace) -> int:
    """One JSON line per bundle. The parts of a large export may come in any order: a part
    that follows one not yet imported is kept and applied when that one arrives."""
    from ..errors import BundleReplayed

    hub = _hub(args)
    paths = bundle_paths(args.file)
    failed = 0
    for path in paths:
        try:
            result, request = hub.receive(read_bundle_file(path))
        except BundleReplayed as exc:
            # Importing the same file twice is a common slip at a busy hub, not a failure.
            print(json.dumps({"file": str(path), "bundle_id": exc.bundle_id, "new": 0, "already_imported": True}))
            print(f"note: {path.name}: {exc}", file=sys.stderr)
            continue
        except SyncError as exc:
            if len(paths) == 1:
                raise
            failed += 1
            print(f"error: {path.name}: {exc}", file=sys.stderr)
            continue
        from .console.audit import audit  # the console's Overview lists USB imports

        audit(hub.db, "usb_import", actor="(command line)", device_id=request.device_id,
              detail=f"{result.new} new, {result.duplicates} duplicate, {result.conflicts} conflict(s), "
                     f"{len(result.refused)} refused")
        print(json.dumps({"file": str(path), "device_id": request.device_id, "new": result.new,
                          "duplicates": result.duplicates, "conflicts": result.conflicts, "refused": len(result.refused),
                          "acked": result.acked, "warning": result.warning, "waiting": result.waiting,
                          "parts_applied_with_it": result.unparked}))
        if result.waiting:
            print(f"note: {path.name} is a part that follows one not imported yet; it is kept and applied as soon as "
                  "the earlier part is imported", file=sys.stderr)
    return 1 if failed else 0


def cmd_export_bundle(args: argparse.Namespace) -> int:
    hub = _hub(args)
    # Bounded in bytes too (MAX_PART_BYTES), so that the bundle stays under the 64 MiB limit;
    # "more": true says that the rest follows in a next return bundle, once the laptop has
    # imported this one and reported its cursor.
    data, reply = hub.reply_bundle(args.device, limit=200_000)
    write_atomically(Path(args.out), data)
    print(json.dumps({"device_id": args.device, "changes": len(reply.changes), "acked": reply.acked, "cursor": reply.cursor,
                      "more": reply.more}))
    return 0


def cmd_publish_form(args: argparse.Namespace) -> int:
    # The hub checks a form the way laptops will load it, so a broken form stops here and
    # never reaches a hundred laptops. This is the server's one use of the form engine.
    import forms

    from ..protocol import MAX_FORM_BYTES, PublishedForm

    path = Path(args.file)
    form = forms.load_form(path)
    files = {name: (path.parent / name).read_bytes() for name in form.media}
    published = PublishedForm.make(form.form_id, form.version, form.title, path.read_bytes(), files)
    size = len(published.xlsx) + sum(map(len, files.values()))
    if size > MAX_FORM_BYTES:
        raise forms.FormError(f"{path.name} and its choice files come to {size / 2**20:.1f} MiB; the limit is "
                              f"{MAX_FORM_BYTES // 2**20} MiB. Trim the choice files.")
    team = args.team or "*"
    new = _hub(args).publish_form(published, team=team)
    where = f"team {team}" if args.team else "every team"
    print(json.dumps({"form_id": form.form_id, "version": form.version, "team": team, "files": ["(workbook)", *files],
                      "published": new}))
    print(f"{form.form_id} version {form.version} " + (f"published to {where}; laptops get it at their next sync."
                                                       if new else f"was already published to {where}; nothing changed."),
          file=sys.stderr)
    for warning in form.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return 0


def cmd_forms(args: argparse.Namespace) -> int:
    for row in _hub(args).published_forms():
        print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_withdraw_form(args: argparse.Namespace) -> int:
    _hub(args).withdraw_form(args.form_id, team=args.team or "*")
    print(f"withdrew {args.form_id}; laptops drop it at their next sync (records made with it stay).")
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    for c in _hub(args).conflicts(args.team, include_resolved=args.all):
        if not args.values:
            del c["value"]
        print(json.dumps(c, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from .hub_edits import resolve_conflicts

    done = resolve_conflicts(_hub(args), args.conflict_id, restore=args.restore, actor="(command line)")
    for change in done:
        print(json.dumps({"conflict": change.resolved[0], "record_id": change.record_id,
                          "resolution": "restored" if args.restore else "kept", "change": change.seq}))
    print(f"{len(done)} conflict(s) closed here; laptops close them at their next sync.", file=sys.stderr)
    return 0


_ACTIONS: argparse._SubParsersAction | None = None


def actions() -> argparse._SubParsersAction:
    """The ``server`` command's actions, for a command that lives above the server and
    the registry both (``server duplicates``: distributions/hub_cli.py)."""
    if _ACTIONS is None:
        raise RuntimeError("sync.server.cli.register() has not run yet")
    return _ACTIONS


def register(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", required=True, metavar="DIR", help="the server's data folder (keys; SQLite database by default)")
    common.add_argument("--db", metavar="URL", help="postgresql://user:pass@host/db to use PostgreSQL instead of SQLite")
    server = sub.add_parser("server", help="run and administer the central sync server").add_subparsers(dest="action", required=True, metavar="ACTION")
    global _ACTIONS
    _ACTIONS = server
    p = server.add_parser("init", parents=[common], help="create a new server (keys and database) in an empty or new folder")
    p.set_defaults(func=cmd_init)
    p = server.add_parser("run", parents=[common], help="serve laptops over HTTP")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the network)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--max-clock-ahead-h", type=float, dest="max_clock_ahead_h", help="refuse stamps this many hours ahead (default 24)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="server processes sharing the port, the key file and the database (default 1)")
    p.set_defaults(func=cmd_run)
    p = server.add_parser("enroll-code", parents=[common], help="print a one-time enrollment code for a team")
    p.add_argument("--team", required=True)
    p.add_argument("--hours", type=float, default=24.0, help=f"how long the code stays valid (default 24, at most {MAX_CODE_HOURS})")
    p.set_defaults(func=cmd_enroll_code)
    p = server.add_parser("devices", parents=[common], help="list devices: team, last seen, last acknowledged sequence")
    p.set_defaults(func=cmd_devices)
    p = server.add_parser("enroll-log", parents=[common],
                          help="enrollment events (codes made, laptops enrolled, refusals with their address, lockouts), one JSON object per line")
    p.add_argument("--sources", action="store_true", help="instead: each address with refused enrollments, and whether it must wait")
    p.add_argument("--limit", type=int, default=200, help="the newest this many events (default 200)")
    p.set_defaults(func=cmd_enroll_log)
    p = server.add_parser("enroll-unlock", parents=[common], help="forget an address's refused enrollments (ends its wait or lockout)")
    p.add_argument("source", metavar="ADDRESS")
    p.set_defaults(func=cmd_enroll_unlock)
    p = server.add_parser("revoke", parents=[common], help="refuse a device from now on (lost or seized laptop)")
    p.add_argument("device_id", metavar="DEVICE_ID")
    p.add_argument("--wipe", action="store_true", help="also tell it to crypto-erase its profile at its next contact")
    p.set_defaults(func=cmd_revoke)
    p = server.add_parser("import-bundle", parents=[common],
                          help="apply a laptop's USB bundle, or the parts of a large one (files or a folder, any order)")
    p.add_argument("file", metavar="FILE", nargs="+", help="bundle files, or folders of .fbb files")
    p.set_defaults(func=cmd_import_bundle)
    p = server.add_parser("export-bundle", parents=[common], help="write a return bundle for a device (acknowledgements and its team's changes)")
    p.add_argument("--device", required=True, metavar="ID")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export_bundle)
    p = server.add_parser("publish-form", parents=[common], help="check an XLSForm and publish it (with its CSV choice files) to laptops")
    p.add_argument("file", metavar="FILE.xlsx")
    p.add_argument("--team", help="only this team's laptops get it (default: every team)")
    p.set_defaults(func=cmd_publish_form)
    p = server.add_parser("forms", parents=[common], help="list the published forms, one JSON object per line")
    p.set_defaults(func=cmd_forms)
    p = server.add_parser("withdraw-form", parents=[common], help="stop offering a published form to laptops")
    p.add_argument("form_id", metavar="FORM_ID")
    p.add_argument("--team", help="withdraw it from this team only (default: the every-team publication)")
    p.set_defaults(func=cmd_withdraw_form)
    p = server.add_parser("conflicts", parents=[common], help="values that lost a concurrent edit, one JSON object per line")
    p.add_argument("--team")
    p.add_argument("--all", action="store_true", help="include those a laptop resolved")
    p.add_argument("--values", action="store_true", help="include the losing values (personal data: mind where the output goes)")
    p.set_defaults(func=cmd_conflicts)
    p = server.add_parser("resolve", parents=[common], help="close conflicts everywhere: keep the current value, or restore the lost one")
    p.add_argument("conflict_id", metavar="ID", type=int, nargs="+", help="conflict ids, as 'server conflicts' lists them")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--keep", action="store_true", help="keep the current value")
    how.add_argument("--restore", action="store_true", help="write the lost value back (it then wins everywhere)")
    p.set_defaults(func=cmd_resolve)
    from .console.cli import register as register_console  # server user ..., server export

    register_console(server, common)
    from .api.cli import register as register_api  # server token ...

    register_api(server, common)
