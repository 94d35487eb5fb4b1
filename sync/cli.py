"""``sync ...`` commands: enroll this laptop, sync now, USB bundles, conflicts."""
from __future__ import annotations

import argparse
import json
import sys

from storage.cli import open_profile, print_json

from .client import SyncClient
from .errors import SyncError

ERRORS = (SyncError,)


def _client(args: argparse.Namespace) -> SyncClient:
    return SyncClient(open_profile(args.profile, user=args.user))


def cmd_enroll(args: argparse.Namespace) -> int:
    client = _client(args)
    try:
        settings = client.enroll(args.server, args.code)
    finally:
        client.store.close()
    from .bundle import PublicKeys

    fp = PublicKeys.from_json(settings["server_keys"]).fingerprint()
    print(f"enrolled device {client.store.device_id} with {settings['server_id']} in team {settings['team']}; "
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
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    client = _client(args)
    with client.store:
        settings = client.store.sync_settings() or {}
        print_json({"enrolled": bool(settings), "server_url": settings.get("server_url"), "server_id": settings.get("server_id"),
                    "team": settings.get("team"), "device_id": client.store.device_id,
                    "pending": client.store.pending_count(), "cursor": client.store.pull_cursor(),
                    "conflicts": len(client.store.conflicts()), "queued_for_forwarding": len(client.store.forward_queue())})
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
    p = sync.add_parser("status", parents=[common], help="enrollment, pending changes, conflicts")
    p.set_defaults(func=cmd_status)
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


def self_test(report) -> None:
    """The whole sync stack on this machine: a real server on loopback, two laptops,
    HTTP push and pull, and a USB bundle both ways."""
    import tempfile
    from pathlib import Path

    from storage import Store, crypto

    from .server.embedded import EmbeddedServer
    from .server.hub import Hub
    from .server.settings import Settings

    with tempfile.TemporaryDirectory(prefix="fieldbook-selftest-") as tmp:
        base = Path(tmp)
        hub = Hub(Settings(data_dir=base / "hub"))
        stores = []
        try:
            with EmbeddedServer(hub) as server:
                report(f"server on {server.url} (SQLite), key fingerprint {hub.public_keys().fingerprint()}")
                clients = []
                for name in ("a", "b"):
                    store, _ = Store.create(base / name, user="Self Test", passphrase="self-test passphrase",
                                            kdf=crypto.fast_kdf_for_tests())
                    stores.append(store)
                    client = SyncClient(store)
                    client.enroll(server.url, hub.new_enroll_code("self-test"))
                    clients.append(client)
                a, b = clients
                rid = a.store.save_record("household", {"head_name": "Тест Синтетичний", "members": 3})
                pushed, pulled = a.sync_now().pushed, b.sync_now().pulled
                if (pushed, pulled) != (1, 1) or b.store.get_record(rid).fields["members"] != 3:
                    raise SyncError(f"self-test: push/pull moved {pushed}/{pulled} changes instead of 1/1")
                report("enrolled two laptops; a record went up from one and down to the other over HTTP")
                b.store.edit_record(rid, {"members": 4})
                b.export_bundle(base / "b.fbb")
                result, _ = hub.receive((base / "b.fbb").read_bytes())
                data, _ = hub.reply_bundle(a.store.device_id)
                (base / "a.fbb").write_bytes(data)
                got = a.import_bundle(base / "a.fbb")
                if result.new != 1 or got.new != 1 or a.store.get_record(rid).fields["members"] != 4:
                    raise SyncError("self-test: the USB bundle round trip did not carry the edit")
                report("sealed a USB bundle to the hub and a return bundle back; the edit arrived")
        finally:
            for store in stores:
                store.close()
            hub.close()


SELF_TEST = [("sync", self_test)]
