"""Command line for the store: ``profile ...`` and ``record ...``.

Secrets never come from arguments (they would show in process lists and shell
history): the passphrase comes from FIELDBOOK_PASSPHRASE or a prompt, a new one
from FIELDBOOK_NEW_PASSPHRASE or a prompt, a recovery key from
FIELDBOOK_RECOVERY_KEY or a prompt. Record values can come from stdin
(``--json -``) or a file (``--json @FILE``) for the same reason.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .errors import InvalidRecord, StorageError, WrongPassphrase
from .logs import attach_profile_log
from .store import Store

ERRORS = (StorageError,)


# --- helpers shared with other packages' CLIs ------------------------------------
def secret(env: str, prompt: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise StorageError(f"No {prompt.lower()} given: set {env} or run in a terminal to be asked.")
    first = getpass.getpass(f"{prompt}: ")
    if confirm and first and getpass.getpass(f"{prompt} (again): ") != first:
        raise StorageError("The two entries differ; nothing was changed.")
    return first


def open_profile(directory: str, *, unlock: bool = True, user: str | None = None) -> Store:
    """Open (and by default unlock) a profile for a command, with its log attached."""
    path = Path(directory)
    store = Store.open(path)
    attach_profile_log(path)
    if unlock:
        try:
            store.unlock(secret("FIELDBOOK_PASSPHRASE", "Passphrase"), user)
        except BaseException:
            store.close()
            raise
    return store


def read_json_arg(value: str) -> object:
    """``--json`` takes inline JSON, ``-`` for stdin, or ``@FILE``."""
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidRecord(f"Cannot read {value[1:]}: {exc.strerror}.") from None
    else:
        text = value
    def refuse(constant: str) -> object:
        raise InvalidRecord(f"The --json value contains {constant}, which cannot be stored; use a number or null.")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        # The position only: the text itself may hold personal data.
        raise InvalidRecord(f"The --json value is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:  # the parser's own depth bound (the interpreter's recursion limit)
        raise InvalidRecord("The --json value is nested too deeply to be a record.") from None


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")


# --- profile ----------------------------------------------------------------------
def new_profile_passphrase() -> str:
    """``profile init``'s passphrase: FIELDBOOK_NEW_PASSPHRASE, as for every new passphrase.

    FIELDBOOK_PASSPHRASE is still taken when the new name is unset: scripts that export the
    one variable and then create and use a profile (the README's own example) keep working.
    """
    if os.environ.get("FIELDBOOK_NEW_PASSPHRASE") is not None:
        return secret("FIELDBOOK_NEW_PASSPHRASE", "New passphrase", confirm=True)
    if os.environ.get("FIELDBOOK_PASSPHRASE") is not None:
        return secret("FIELDBOOK_PASSPHRASE", "New passphrase", confirm=True)
    return secret("FIELDBOOK_NEW_PASSPHRASE", "New passphrase", confirm=True)


def cmd_init(args: argparse.Namespace) -> int:
    passphrase = new_profile_passphrase()
    store, recovery = Store.create(args.profile, user=args.user, passphrase=passphrase)
    attach_profile_log(Path(args.profile))
    store.close()
    print(
        "Profile created. Below is its recovery key, shown only this once: write it down and keep it\n"
        "apart from the laptop. It opens the profile if every passphrase is forgotten.",
        file=sys.stderr,
    )
    print(recovery)
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    with open_profile(args.profile, unlock=False) as store:
        for name in store.users():
            print(name)
    return 0


def cmd_add_user(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.as_user) as store:
        store.add_user(args.user, secret("FIELDBOOK_NEW_PASSPHRASE", "Passphrase for the new user", confirm=True))
    print(f"User '{args.user}' added.", file=sys.stderr)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    with open_profile(args.profile, unlock=False) as store:
        if args.recovery:
            store.unlock_with_recovery_key(secret("FIELDBOOK_RECOVERY_KEY", "Recovery key"))
        else:
            store.unlock(secret("FIELDBOOK_PASSPHRASE", "Current passphrase"), args.user)
        store.change_passphrase(args.user, secret("FIELDBOOK_NEW_PASSPHRASE", "New passphrase", confirm=True))
    print(f"Passphrase changed for '{args.user}'.", file=sys.stderr)
    return 0


def cmd_recovery_key(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        text = store.new_recovery_key()
    print("New recovery key (the old one no longer works):", file=sys.stderr)
    print(text)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        report = store.verify()
    print(f"database integrity: {report.integrity}")
    print(f"records: {report.records} checked, {len(report.damaged_records)} damaged")
    for rid in report.damaged_records:
        print(f"  damaged record {rid}")
    print(f"changes: {report.changes} checked, {len(report.damaged_changes)} damaged")
    for ref in report.damaged_changes:
        print(f"  damaged change {ref}")
    if report.audit_broken_at is not None:
        where = f" (record {report.audit_broken_record})" if report.audit_broken_record else ""
        print(f"audit chain: BROKEN at entry {report.audit_broken_at}{where}")
    elif not report.audit_head_ok:
        print(f"audit chain: {report.audit_entries} entries, but the newest entries are missing")
    else:
        print(f"audit chain: {report.audit_entries} entries, intact")
    if not report.ok:
        print("The profile is damaged; see above.", file=sys.stderr)
        return 1
    return 0


def cmd_wipe(args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        # Nobody can be asked: a wipe cannot be undone, so it happens only when asked for in so many words.
        raise StorageError("profile wipe destroys the keys for good and there is no terminal to confirm it: "
                           "add --yes to wipe without asking (nothing was changed).")
    store = Store.open(args.profile)
    if not args.yes:
        answer = input("This destroys the keys: nobody, with any passphrase or the recovery key, can read this profile again.\nType WIPE to confirm: ")
        if answer.strip() != "WIPE":
            store.close()
            print("Not wiped.", file=sys.stderr)
            return 1
    store.wipe()
    print("Profile wiped: its keys are destroyed and its data can no longer be decrypted.", file=sys.stderr)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        n = store.declare_index(args.kind, args.field, args.normaliser)
    print(f"Field '{args.field}' of kind '{args.kind}' is now searchable; {n} existing value(s) indexed.", file=sys.stderr)
    return 0


# --- record -----------------------------------------------------------------------
def cmd_add(args: argparse.Namespace) -> int:
    fields: Any = read_json_arg(args.json)  # the store refuses anything but an object of fields
    with open_profile(args.profile, user=args.user) as store:
        rid = store.save_record(args.kind, fields, form_id=args.form_id, form_version=args.form_version)
    print(rid)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        print_json(store.get_record(args.id).to_json())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        for record in store.list_records(args.kind, include_deleted=args.deleted):
            print_json(record.to_json())
    return 0


def cmd_find(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        for record in store.find_records(args.kind, args.field, args.value):
            print_json(record.to_json())
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    # Prints the id, and the names of the fields that changed on stderr: never the record's
    # values, which would end up in terminal scrollback and logs (`record get` shows them).
    changes: Any = read_json_arg(args.json)  # the store refuses anything but an object of fields
    with open_profile(args.profile, user=args.user) as store:
        before = store.get_record(args.id).fields
        store.edit_record(args.id, changes)
    changed = sorted(k for k, v in changes.items() if k not in before or before[k] != v) if isinstance(changes, dict) else []
    print(args.id)
    print(f"Record {args.id}: " + (f"changed {', '.join(changed)}." if changed else "nothing changed (the values were the same)."),
          file=sys.stderr)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        store.delete_record(args.id)
    print(f"Record {args.id} deleted.", file=sys.stderr)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with open_profile(args.profile, user=args.user) as store:
        store.get_record(args.id)
        for e in store.audit_entries(args.id):
            # A change that came by sync names the laptop it was made on ("device"), not a user here.
            print_json({"seq": e.seq, "hlc": e.hlc, "user": e.user_name, "device": e.origin, "action": e.action})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", required=True, metavar="DIR", help="the profile folder")
    common.add_argument("--user", metavar="NAME", help="which user's passphrase to try (default: every user on the profile)")

    profile = sub.add_parser("profile", help="create, check and erase profiles").add_subparsers(dest="action", required=True, metavar="ACTION")
    p = profile.add_parser("init", help="create a profile; prints its recovery key once (passphrase from FIELDBOOK_NEW_PASSPHRASE)")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--user", required=True, metavar="NAME", help="the first user's name")
    p.set_defaults(func=cmd_init)
    p = profile.add_parser("verify", parents=[common], help="decrypt every record and check the audit chain")
    p.set_defaults(func=cmd_verify)
    p = profile.add_parser("wipe", help="crypto-erase: destroy the keys so nothing can be decrypted")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed when not run in a terminal)")
    p.set_defaults(func=cmd_wipe)
    p = profile.add_parser("users", help="list the users who can unlock this profile")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.set_defaults(func=cmd_users)
    p = profile.add_parser("add-user", help="let another person unlock this profile with their own passphrase")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--user", required=True, metavar="NAME", help="the new user's name")
    p.add_argument("--as", dest="as_user", metavar="NAME", help="the existing user who unlocks")
    p.set_defaults(func=cmd_add_user)
    p = profile.add_parser("passwd", help="change a user's passphrase (re-wraps the key; data is not re-encrypted)")
    p.add_argument("--profile", required=True, metavar="DIR")
    p.add_argument("--user", required=True, metavar="NAME")
    p.add_argument("--recovery", action="store_true", help="unlock with the recovery key instead of the current passphrase")
    p.set_defaults(func=cmd_passwd)
    p = profile.add_parser("recovery-key", parents=[common], help="issue a new recovery key; the old one stops working")
    p.set_defaults(func=cmd_recovery_key)
    p = profile.add_parser("index", parents=[common], help="make a field searchable by exact value (blind index)")
    p.add_argument("--kind", required=True)
    p.add_argument("--field", required=True)
    p.add_argument("--normaliser", choices=["text", "id", "phone"], default="text")
    p.set_defaults(func=cmd_index)

    record = sub.add_parser("record", help="add, read, search and change records").add_subparsers(dest="action", required=True, metavar="ACTION")
    p = record.add_parser("add", parents=[common], help="save a new record; prints its id")
    p.add_argument("--kind", required=True)
    p.add_argument("--json", required=True, metavar="JSON", help="a JSON object of fields; '-' reads stdin, '@FILE' a file")
    p.add_argument("--form-id")
    p.add_argument("--form-version")
    p.set_defaults(func=cmd_add)
    p = record.add_parser("get", parents=[common], help="print a record as JSON")
    p.add_argument("id")
    p.set_defaults(func=cmd_get)
    p = record.add_parser("list", parents=[common], help="one JSON object per line")
    p.add_argument("--kind")
    p.add_argument("--deleted", action="store_true", help="include tombstones of deleted records")
    p.set_defaults(func=cmd_list)
    p = record.add_parser("find", parents=[common], help="exact search on an indexed field (blind index)")
    p.add_argument("--kind", required=True)
    p.add_argument("--field", required=True)
    p.add_argument("--value", required=True)
    p.set_defaults(func=cmd_find)
    p = record.add_parser("edit", parents=[common], help="change only the given fields; prints the id (changed field names on stderr)")
    p.add_argument("id")
    p.add_argument("--json", required=True, metavar="JSON", help="a JSON object of changed fields; '-' reads stdin, '@FILE' a file")
    p.set_defaults(func=cmd_edit)
    p = record.add_parser("delete", parents=[common], help="delete a record, leaving a tombstone")
    p.add_argument("id")
    p.set_defaults(func=cmd_delete)
    p = record.add_parser("history", parents=[common], help="a record's entries in the audit log")
    p.add_argument("id")
    p.set_defaults(func=cmd_history)


# --- self-test ----------------------------------------------------------------------
class SelfTestFailed(StorageError):
    """A self-test check failed: the installation is not healthy."""


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SelfTestFailed(f"self-test failed: {what}")


CANARIES = ("Canary-Zxqv-Latin-7731", "Канарка-Щебетун-Ґ-7731")


def self_test(report) -> None:
    """The store end to end in a temporary folder, with the production key-derivation settings."""
    root = Path(tempfile.mkdtemp(prefix="fieldbook-selftest-"))
    try:
        d = root / "profile"
        store, recovery = Store.create(d, user="selftest", passphrase="self-test passphrase")
        attach_profile_log(d)
        report("profile created, data key wrapped for a user and a recovery key")
        rid = store.save_record("household", {"head_name": CANARIES[1], "phone": "067 000 77 31", "note": CANARIES[0]})
        store.edit_record(rid, {"members": 3})
        _check(store.get_record(rid).fields["members"] == 3, "an edit was lost")
        _check([r.id for r in store.find_records("household", "phone", "+380670007731")] == [rid], "blind-index search failed")
        other = store.save_record("household", {"head_name": CANARIES[0]})
        store.delete_record(other)
        report("records saved, edited, found through the blind index, deleted")
        _check(store.verify().ok, "verify found damage in a fresh store")
        report("verify: every record decrypts, audit chain intact")
        store.close()
        store = Store.open(d)
        try:
            store.unlock("not the passphrase")
            raise SelfTestFailed("a wrong passphrase unlocked the store")
        except WrongPassphrase:
            pass
        store.unlock_with_recovery_key(recovery)
        store.close()
        report("wrong passphrase refused; recovery key opens")
        from .logs import detach_profile_log

        detach_profile_log(d)
        leaks = [
            str(p.relative_to(d))
            for p in d.rglob("*")
            if p.is_file() and any(c.encode() in p.read_bytes() for c in CANARIES)
        ]
        _check(not leaks, f"plaintext found in {leaks}")
        report("no plaintext value in any file of the profile")
        Store.open(d).wipe()
        try:
            Store.open(d)
            raise SelfTestFailed("a wiped profile opened")
        except StorageError:
            pass
        report("wipe: the profile can no longer be opened")
    finally:
        shutil.rmtree(root, ignore_errors=True)


SELF_TEST = [("storage", self_test)]
