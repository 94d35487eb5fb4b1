"""``sync ...`` commands: enroll this laptop, sync now, USB bundles, conflicts."""
from __future__ import annotations

import argparse
import json
import sys
import time

from storage.cli import open_profile, print_json

from .client import SyncClient, normalise_server_url
from .errors import SyncError

ERRORS = (SyncError,)


def _client(args: argparse.Namespace) -> SyncClient:
    return SyncClient(open_profile(args.profile, user=args.user))


def cmd_enroll(args: argparse.Namespace) -> int:
    address = normalise_server_url(args.server)  # a bad address is refused before the profile is opened
    if address.scheme_added:
        print(f"No scheme was given, so {address.scheme}:// is used: {address.url}", file=sys.stderr)
    client = _client(args)
    try:
        settings = client.enroll(address.url, args.code)
    finally:
        client.store.close()
    from .bundle import PublicKeys

    fp = PublicKeys.from_json(settings["server_keys"]).fingerprint()
    print(f"enrolled device {client.store.device_id} with {settings['server_id']} at {settings['server_url']} "
          f"in team {settings['team']}; "
          f"server key fingerprint {fp}")
    return 0


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{stage}: {done} of {total} pending", end="", file=sys.stderr, flush=True)


def _bundle_progress(stage: str, done: int, total: int) -> None:
    # Only on a terminal: scripts read stdout's JSON and may log stderr, and carriage
    # returns make a mess of a log file.
    if sys.stderr.isatty():
        share = f"{100 * done // total}%" if total else "..."
        print(f"\r{stage}: {share}    ", end="", file=sys.stderr, flush=True)


def _end_progress_line() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def cmd_now(args: argparse.Namespace) -> int:
    client = _client(args)
    try:
        result = client.sync_now(progress=_progress)
    finally:
        client.store.close()  # safe after a wipe ordered by the hub: closing twice is harmless
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print_json(result.to_json())
    _warn_forward_refused(result)
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    return 0


def _warn_forward_refused(result) -> None:
    for r in result.forward_refused:
        print(f"warning: the server refused the bundle carried for device {r['device_id']} ({r['reason']}); "
              f"it was not forwarded, and is no longer kept here.", file=sys.stderr)


def _state_line(state) -> dict:
    """One sync outcome as ``sync run`` prints it: the state, why, counts and the next try.

    ``detail`` is the sync layer's own sentence (typed errors name ids and sizes, never a value)."""
    import datetime as dt

    line = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "state": state.state,
            "reason": state.reason or None, "pending": state.pending,
            "next_try_s": round(state.next_try_s, 1) if state.next_try_s is not None else None,
            "detail": state.detail or None}
    return line


def cmd_run(args: argparse.Namespace) -> int:
    """Keep this profile syncing by itself, as the desktop app does, until SIGINT or SIGTERM.

    Thin on purpose: the app's SyncLoop does the work (when to try, back-off, probing an
    absent server); this prints each outcome and stops the loop cleanly."""
    import queue
    import signal
    import threading

    from .client import SyncLoop

    if args.interval <= 0 or args.interval != args.interval:
        raise SyncError("--interval must be a number of seconds above 0.")
    client = _client(args)
    try:
        client.settings()  # NotEnrolled: one line, before anything starts
    except BaseException:
        client.store.close()
        raise
    states: queue.Queue = queue.Queue()
    stop = threading.Event()
    signalled: list[str] = []

    def on_signal(signum, _frame) -> None:
        signalled.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    loop = SyncLoop(client, states.put, interval=args.interval)
    code = 0
    print(f"syncing device {client.store.device_id} every {args.interval:g} s and when the server returns; "
          f"stop with Ctrl+C or SIGTERM", file=sys.stderr, flush=True)
    try:
        loop.start()
        while not stop.is_set():
            try:
                state = states.get(timeout=0.2)
            except queue.Empty:
                continue
            if state.state == "syncing":
                continue  # an attempt began: its outcome is the line
            print_json(_state_line(state))
            sys.stdout.flush()
            if state.reason == "device_revoked":  # the loop stops itself: so does the command
                print(f"error: {state.detail}", file=sys.stderr)
                code = 1
                break
    finally:
        loop.stop()
        with client.lock:  # a sync still finishing holds the lock: the store closes after it
            client.store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signalled:
        print(f"stopped ({signalled[0]}); nothing half-written was kept.", file=sys.stderr)
    return code


def cmd_status(args: argparse.Namespace) -> int:
    from .client import clock_note

    client = _client(args)
    with client.store:
        settings = client.store.sync_settings() or {}
        clock, clock_words = clock_note(client.store.clock_status())
        set_aside = client.store.set_aside_count()
        print_json({"enrolled": bool(settings), "server_url": settings.get("server_url"), "server_id": settings.get("server_id"),
                    "team": settings.get("team"), "device_id": client.store.device_id,
                    "last_sync": client.store.last_sync_time(), "pending": client.store.pending_count(),
                    "cursor": client.store.pull_cursor(),
                    "conflicts": len(client.store.conflicts()), "queued_for_forwarding": len(client.store.forward_queue()),
                    "clock": clock, "clock_note": clock_words, "set_aside": set_aside,
                    "set_aside_note": (f"The server refused {set_aside} change(s) for good; they are set aside so that the "
                                       "others flow. 'sync set-aside' lists them.") if set_aside else None})
    return 0


def cmd_set_aside(args: argparse.Namespace) -> int:
    """List the changes the server refused for good (no values), or export them for support."""
    from pathlib import Path

    from .files import write_atomically

    client = _client(args)
    with client.store:
        if args.export is None:
            for entry in client.store.set_aside():
                sys.stdout.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            return 0
        out = Path(args.export)
        if out.exists():
            raise SyncError(f"{out} already exists; choose a new file name (an export is never written over another file).")
        entries = client.store.set_aside(values=True)
        doc = {"format": "fieldbook-set-aside", "version": 1, "device_id": client.store.device_id,
               "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "changes": entries}
        # Owner-only (0600), written whole or not at all: it holds what people typed.
        write_atomically(out, json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode())
        client.store.log_event("set_aside_exported")
    print_json({"changes": len(entries), "out": str(out)})
    print(f"note: {out} holds personal data in plain text, readable by this account only; hand it over as support "
          "asks, then delete it", file=sys.stderr)
    return 0


def cmd_export_bundle(args: argparse.Namespace) -> int:
    client = _client(args)
    with client.store:
        try:
            parts = client.export_parts(args.out, progress=_bundle_progress)
        finally:
            _end_progress_line()
    print_json({"changes": sum(n for _, n in parts), "out": args.out, "files": [str(p) for p, _ in parts]})
    if len(parts) > 1:
        print(f"the changes are too many for one bundle: wrote {len(parts)} parts beside {args.out}; copy them all. "
              "The hub imports them in any order ('server import-bundle' takes the files or their folder).", file=sys.stderr)
    return 0


def cmd_import_bundle(args: argparse.Namespace) -> int:
    from .errors import BundleReplayed
    from .files import bundle_paths

    client = _client(args)
    with client.store:
        for path in bundle_paths(args.file):
            try:
                result = client.import_bundle(path, progress=_bundle_progress)
            except BundleReplayed as exc:
                print_json({"file": str(path), "bundle_id": exc.bundle_id, "new": 0, "already_imported": True})
                print(f"note: {exc}", file=sys.stderr)
                continue
            finally:
                _end_progress_line()
            print_json({"file": str(path), **result.to_json()})
            if result.kind == "forward":
                print("kept a bundle from another laptop; it goes to the server at this laptop's next sync", file=sys.stderr)
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    client = _client(args)
    with client.store:
        for c in client.store.conflicts(include_resolved=args.all):
            row = c.to_json()
            if not args.values:
                row.pop("value")
            sys.stdout.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    client = _client(args)
    with client.store:
        client.store.resolve_conflict(args.conflict_id, restore=args.restore)
    print(f"conflict {args.conflict_id} {'restored' if args.restore else 'closed; the current value stays'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", required=True, metavar="DIR")
    common.add_argument("--user", help="try only this user's passphrase")
    sync = sub.add_parser("sync", help="sync this laptop with the server, by network or USB bundle").add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sync.add_parser("enroll", parents=[common], help="join a server with a one-time code from the hub")
    p.add_argument("--server", required=True, metavar="URL")
    p.add_argument("--code", required=True, metavar="CODE")
    p.set_defaults(func=cmd_enroll)
    p = sync.add_parser("now", parents=[common], help="push and pull once; prints counts")
    p.set_defaults(func=cmd_now)
    p = sync.add_parser("run", parents=[common], help="keep syncing by itself (as the app does) until Ctrl+C or SIGTERM; one JSON line per outcome")
    p.add_argument("--interval", type=float, default=300.0, metavar="SECONDS",
                   help="sync at least this often while the server answers (default 300)")
    p.set_defaults(func=cmd_run)
    p = sync.add_parser("status", parents=[common], help="enrollment, pending changes, conflicts")
    p.set_defaults(func=cmd_status)
    p = sync.add_parser("set-aside", parents=[common],
                        help="changes the server refused for good (set aside so the rest flows); --export for support")
    p.add_argument("--export", metavar="FILE",
                   help="write them, values included, to a new owner-only JSON file (personal data: for support only)")
    p.set_defaults(func=cmd_set_aside)
    p = sync.add_parser("export-bundle", parents=[common], help="write unsent changes to a sealed bundle for the hub (USB)")
    p.add_argument("--out", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export_bundle)
    p = sync.add_parser("import-bundle", parents=[common], help="apply a return bundle from the hub, or keep another laptop's bundle to forward")
    p.add_argument("file", metavar="FILE", nargs="+", help="bundle files, or folders of .fbb files")
    p.set_defaults(func=cmd_import_bundle)
    p = sync.add_parser("conflicts", parents=[common], help="values that lost a concurrent edit, one JSON object per line")
    p.add_argument("--all", action="store_true", help="include resolved ones")
    p.add_argument("--values", action="store_true", help="include the losing values (personal data: mind where the output goes)")
    p.set_defaults(func=cmd_conflicts)
    p = sync.add_parser("resolve", parents=[common], help="close a conflict, keeping the current value or restoring the lost one")
    p.add_argument("conflict_id", type=int, metavar="ID")
    p.add_argument("--restore", action="store_true", help="write the losing value back (it then wins everywhere)")
    p.set_defaults(func=cmd_resolve)
