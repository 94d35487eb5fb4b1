"""The sync protocol's messages, shared by the client and the server (docs/sync.md).

Two kinds of exchange:

- enrollment: plain JSON over HTTP, authenticated by a MAC keyed by the one-time
  code, so a machine in the middle cannot swap either side's keys;
- sync: a sealed bundle (sync/bundle.py) from device to server carrying a
  ``sync`` payload (changes to push, the pull cursor), answered by a bundle
  from server to device carrying a ``reply`` payload (acknowledgement, changes
  pulled, the new cursor). The same payloads travel on a USB stick.

Payloads are JSON. Parsing is strict: a malformed message is refused whole with
a :class:`ProtocolError`, whose message never repeats a value.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

import orjson

from .errors import SyncError

PROTOCOL_VERSION = 1
API_PREFIX = "/v1"
DEFAULT_BATCH = 2000          # changes per push bundle
DEFAULT_PULL_LIMIT = 2000     # changes per reply
MAX_CHANGES_PER_MESSAGE = 500_000  # a USB bundle of a week offline; the payload size caps it too
MAX_FIELDS = 2000

_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HLC = re.compile(r"[0-9a-f]{16}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]{0,199}")
_STAMP = re.compile(r"[0-9a-f]{16}@[A-Za-z0-9_.\-]{1,64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TEAM = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class ProtocolError(SyncError):
    """A message does not follow the protocol. Nothing from it was applied."""


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes, what: str) -> dict:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProtocolError(f"The {what} is not valid JSON; nothing was applied.") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"The {what} is not a JSON object; nothing was applied.")
    if obj.get("v") != PROTOCOL_VERSION:
        raise ProtocolError(
            f"The {what} uses protocol version {obj.get('v')!r}; this Fieldbook speaks {PROTOCOL_VERSION}. Update the older side."
        )
    return obj


def valid_team(team: object) -> bool:
    return isinstance(team, str) and bool(_TEAM.fullmatch(team))


# --- changes -----------------------------------------------------------------------
_seen_fields: set[str] = set()


def _field_ok(name: str) -> bool:
    # Field names repeat across thousands of changes: check each distinct one once.
    if name in _seen_fields:
        return True
    if isinstance(name, str) and _FIELD.fullmatch(name):
        if len(_seen_fields) < 100_000:
            _seen_fields.add(name)
        return True
    return False


# Record kinds that never leave the laptop that made them: unfinished drafts.
# storage.LOCAL_KINDS is the laptop's rule; the server may not import storage, so
# the set is repeated here, and tests/unit/test_local_records.py keeps the two equal.
# A hub refuses changes of these kinds (from a laptop older than schema 0007).
LOCAL_KINDS = frozenset({"draft"})


def check_change(c: object, where: str) -> dict:
    """Validate one change as it travels: ``{device_id, seq, record_id, kind, form_id,
    form_version, hlc, deleted, fields, bases}``. Returns it, normalised."""
    if not isinstance(c, dict):
        raise ProtocolError(f"A change in the {where} is not an object.")
    dev, seq = c.get("device_id"), c.get("seq")
    if not isinstance(dev, str) or not _ID.fullmatch(dev):
        raise ProtocolError(f"A change in the {where} has no valid device id.")
    if type(seq) is not int or seq < 1:
        raise ProtocolError(f"A change from {dev} in the {where} has no valid sequence number.")
    label = f"change {dev}:{seq} in the {where}"
    rid = c.get("record_id")
    if not isinstance(rid, str) or not _UUID.fullmatch(rid):
        raise ProtocolError(f"The {label} has no valid record id.")
    if not isinstance(c.get("kind"), str) or not _KIND.fullmatch(c["kind"]):
        raise ProtocolError(f"The {label} has no valid kind.")
    if not isinstance(c.get("hlc"), str) or not _HLC.fullmatch(c["hlc"]):
        raise ProtocolError(f"The {label} has no valid clock.")
    for key in ("form_id", "form_version"):
        if c.get(key) is not None and (not isinstance(c[key], str) or len(c[key]) > 200):
            raise ProtocolError(f"The {label} has an invalid {key}.")
    if not isinstance(c.get("deleted", False), bool):
        raise ProtocolError(f"The {label} has an invalid deleted flag.")
    fields = c.get("fields", {})
    bases = c.get("bases") or {}
    if not isinstance(fields, dict) or len(fields) > MAX_FIELDS or not all(_field_ok(k) for k in fields):
        raise ProtocolError(f"The {label} has malformed fields.")
    if not isinstance(bases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _STAMP.fullmatch(v) for k, v in bases.items()
    ):
        raise ProtocolError(f"The {label} has malformed bases.")
    return {
        "device_id": dev, "seq": seq, "record_id": rid, "kind": c["kind"],
        "form_id": c.get("form_id"), "form_version": c.get("form_version"),
        "hlc": c["hlc"], "deleted": bool(c.get("deleted", False)), "fields": fields, "bases": bases,
    }


def _changes(obj: dict, where: str) -> list[dict]:
    changes = obj.get("changes", [])
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES_PER_MESSAGE:
        raise ProtocolError(f"The {where} has a malformed or oversized change list.")
    return [check_change(c, where) for c in changes]


def _int(obj: dict, key: str, where: str, *, default: int | None = None) -> int:
    value = obj.get(key, default)
    if type(value) is not int or value < 0:
        raise ProtocolError(f"The {where} has no valid '{key}'.")
    return value


# --- device -> server ------------------------------------------------------------------
@dataclass
class SyncRequest:
    """Push these changes (all from ``device_id``, in sequence order); pull since ``cursor``."""

    device_id: str
    changes: list[dict]
    cursor: int
    limit: int = DEFAULT_PULL_LIMIT
    hlc: str = "0" * 16

    def encode(self) -> bytes:
        return dumps({"v": PROTOCOL_VERSION, "type": "sync", "device_id": self.device_id, "changes": self.changes,
                      "cursor": self.cursor, "limit": self.limit, "hlc": self.hlc})

    @classmethod
    def decode(cls, data: bytes) -> "SyncRequest":
        obj = loads(data, "sync request")
        if obj.get("type") != "sync":
            raise ProtocolError("The bundle does not hold a sync request.")
        dev = obj.get("device_id")
        if not isinstance(dev, str) or not _ID.fullmatch(dev):
            raise ProtocolError("The sync request has no valid device id.")
        changes = _changes(obj, "sync request")
        seqs = [c["seq"] for c in changes]
        if any(c["device_id"] != dev for c in changes) or seqs != sorted(set(seqs)):
            raise ProtocolError("A sync request may only carry its own device's changes, in sequence order.")
        h = obj.get("hlc", "0" * 16)
        if not isinstance(h, str) or not _HLC.fullmatch(h):
            raise ProtocolError("The sync request has no valid clock.")
        limit = _int(obj, "limit", "sync request", default=DEFAULT_PULL_LIMIT)
        return cls(dev, changes, _int(obj, "cursor", "sync request"), max(1, min(limit, MAX_CHANGES_PER_MESSAGE)), h)


# --- server -> device ---------------------------------------------------------------------
@dataclass
class SyncReply:
    """``acked``: the highest of the device's sequence numbers the server holds. ``changes``:
    the team's changes after ``cursor`` (exclusive) up to the new ``cursor``."""

    acked: int
    changes: list[dict]
    cursor: int
    more: bool = False
    hlc: str = "0" * 16
    refused: list[dict] = field(default_factory=list)  # [{seq, reason}] changes the server would not take
    warning: str | None = None

    def encode(self) -> bytes:
        return dumps({"v": PROTOCOL_VERSION, "type": "reply", "acked": self.acked, "changes": self.changes,
                      "cursor": self.cursor, "more": self.more, "hlc": self.hlc, "refused": self.refused,
                      "warning": self.warning})

    @classmethod
    def decode(cls, data: bytes) -> "SyncReply":
        obj = loads(data, "server's reply")
        if obj.get("type") != "reply":
            raise ProtocolError("The bundle does not hold a reply from the server.")
        h = obj.get("hlc", "0" * 16)
        if not isinstance(h, str) or not _HLC.fullmatch(h):
            raise ProtocolError("The server's reply has no valid clock.")
        refused = obj.get("refused") or []
        if not isinstance(refused, list) or not all(isinstance(r, dict) for r in refused):
            raise ProtocolError("The server's reply has a malformed refusal list.")
        warning = obj.get("warning")
        if warning is not None and not isinstance(warning, str):
            raise ProtocolError("The server's reply has a malformed warning.")
        return cls(
            _int(obj, "acked", "server's reply"), _changes(obj, "server's reply"), _int(obj, "cursor", "server's reply"),
            bool(obj.get("more", False)), h, refused, warning,
        )


# --- enrollment ---------------------------------------------------------------------------
CODE_GROUPS = 4
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over a bad phone line


def new_enroll_code() -> str:
    """A one-time code of about 79 bits, in four groups of four: ``K7QP-3MZD-XW9A-HT4R``."""
    chars = [secrets.choice(_CODE_ALPHABET) for _ in range(4 * CODE_GROUPS)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, len(chars), 4))


def normalise_code(code: str) -> str:
    text = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(text) != 4 * CODE_GROUPS or any(ch not in _CODE_ALPHABET for ch in text):
        raise ProtocolError("That enrollment code is mistyped: it has 16 letters and digits, like K7QP-3MZD-XW9A-HT4R.")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def code_keys(code: str) -> tuple[str, bytes]:
    """``(code id, MAC key)`` derived from a code. The server files the code under its id
    and keeps the MAC key sealed, so its database never holds the code itself."""
    text = normalise_code(code).encode()
    return (hashlib.sha256(b"fieldbook/enroll/id/v1|" + text).hexdigest(),
            hashlib.sha256(b"fieldbook/enroll/mac/v1|" + text).digest())


def enroll_request_mac(mac_key: bytes, device_id: str, keys: dict) -> str:
    msg = "|".join(("request", device_id, keys["sign"], keys["box"])).encode()
    return hmac.new(mac_key, msg, hashlib.sha256).hexdigest()


def enroll_reply_mac(mac_key: bytes, device_id: str, server_id: str, keys: dict, team: str) -> str:
    msg = "|".join(("reply", device_id, server_id, keys["sign"], keys["box"], team)).encode()
    return hmac.new(mac_key, msg, hashlib.sha256).hexdigest()


def macs_equal(a: object, b: str) -> bool:
    return isinstance(a, str) and hmac.compare_digest(a.encode(), b.encode())


def check_keys(keys: object, what: str) -> dict:
    if not isinstance(keys, dict):
        raise ProtocolError(f"The {what} has no public keys.")
    for name in ("sign", "box"):
        value = keys.get(name)
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)) if isinstance(value, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ProtocolError(f"The {what} has a malformed '{name}' key.")
    return {"sign": keys["sign"], "box": keys["box"]}


# --- revocation -------------------------------------------------------------------------
def revocation_statement(device_id: str, server_id: str, wipe: bool) -> bytes:
    """What the server signs when it refuses a revoked device, so only the pinned
    server key can make a laptop erase itself."""
    return f"fieldbook/revoked/v1|{server_id}|{device_id}|{'wipe' if wipe else 'keep'}".encode()
