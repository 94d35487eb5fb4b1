"""The sync protocol's messages, shared by the client and the server (docs/sync.md).

Two kinds of exchange:

- enrollment: plain JSON over HTTP, authenticated by a MAC keyed by the one-time
  code, so a machine in the middle cannot swap either side's keys;
- sync: a sealed bundle (sync/bundle.py) from device to server carrying a
  ``sync`` payload (changes to push, the pull cursor, the published forms it
  holds), answered by a bundle from server to device carrying a ``reply``
  payload (acknowledgement, changes pulled, the new cursor, the team's form
  catalogue and any form files it lacks). The same payloads travel on a USB stick.

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

from rules import changes as changes_rule
from rules import limits, names

from .errors import SyncError

PROTOCOL_VERSION = 1
API_PREFIX = "/v1"
DEFAULT_BATCH = 2000          # changes per push bundle
DEFAULT_PULL_LIMIT = 2000     # changes per reply
MAX_CHANGES_PER_MESSAGE = 500_000  # a USB bundle of a week offline; the payload size caps it too
MAX_FIELDS = limits.MAX_FIELDS  # one set of limits with the store (rules/limits.py)
MAX_VALUE_DEPTH = limits.MAX_VALUE_DEPTH
MAX_ENROLL_BYTES = 16 * 1024  # an enrollment request is about 300 bytes
# Byte bounds on what one message carries, counted as the payload's JSON (docs/sync.md,
# "Batches and slow links"). An HTTP push starts at MAX_PUSH_BYTES and adapts to the link;
# a USB export is cut into parts of at most MAX_PART_BYTES, so that each part's bundle
# stays under the 64 MiB bundle limit even when its values do not compress at all.
MAX_PUSH_BYTES = 8 * 1024 * 1024
MAX_PART_BYTES = 48 * 1024 * 1024

_ID = names.DEVICE_ID
_HLC = names.HLC
_TEAM = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_FORM_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,99}")
_MEDIA_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\- ]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_FORM_BYTES = 16 * 1024 * 1024   # a form with its choice files
MAX_FORMS = 500


class ProtocolError(SyncError):
    """A message does not follow the protocol. Nothing from it was applied."""


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj)


def parse_json(data: bytes, what: str) -> object:
    """Strict JSON: UTF-8 only, no NaN or Infinity, and a bounded nesting depth.

    orjson checks the depth while it parses (it stops at 1,024 levels, in native code,
    so a value 10,000 levels deep costs no Python recursion); field values are held to
    the much smaller ``MAX_VALUE_DEPTH`` by ``check_change``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise ProtocolError(f"The {what} is nested too deeply; nothing was applied.") from None
        raise ProtocolError(f"The {what} is not valid JSON; nothing was applied.") from None


def loads(data: bytes, what: str) -> dict:
    obj = parse_json(data, what)
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
# The change validator and the names it checks are the shared rules (rules/changes.py,
# rules/names.py): the store applies changes by the same rule.
LOCAL_KINDS = names.LOCAL_KINDS  # a hub refuses changes of these kinds (from a laptop older than schema 0007)
RESOLUTIONS = changes_rule.RESOLUTIONS
too_deep = changes_rule.too_deep


def check_change(c: object, where: str) -> dict:
    """Validate one change as it travels (``rules.changes.check_change``); returns it normalised."""
    try:
        return changes_rule.check_change(c, where)
    except changes_rule.InvalidChange as exc:
        raise ProtocolError(str(exc)) from None


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


# --- published forms ------------------------------------------------------------------------
def form_digest(xlsx: bytes, media: dict[str, bytes]) -> str:
    """The identity of a published form's files: the XLSForm and its CSV choice files."""
    h = hashlib.sha256(b"fieldbook/form/v1")
    for name, data in [("", xlsx), *sorted(media.items())]:
        h.update(len(name).to_bytes(4, "big") + name.encode() + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str) or len(text) > MAX_FORM_BYTES * 4 // 3 + 8:
        raise ProtocolError(f"The {what} is missing or too large.")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ProtocolError(f"The {what} is not valid base64.") from None


@dataclass
class PublishedForm:
    """A form the hub published to a team: its catalogue entry, and its files when they travel."""

    form_id: str
    version: str
    title: str
    digest: str
    xlsx: bytes | None = None
    media: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def make(cls, form_id: str, version: str, title: str, xlsx: bytes, media: dict[str, bytes]) -> "PublishedForm":
        return cls(form_id, version, title, form_digest(xlsx, media), xlsx, dict(media))

    def entry(self) -> dict:
        return {"form_id": self.form_id, "version": self.version, "title": self.title, "sha256": self.digest}

    def package(self) -> dict:
        return {**self.entry(), "xlsx": _b64(self.xlsx or b""), "media": {k: _b64(v) for k, v in self.media.items()}}

    @classmethod
    def from_json(cls, obj: object, *, files: bool) -> "PublishedForm":
        """Strict: a malformed entry, a bad file name or files that do not match their digest are refused."""
        if not isinstance(obj, dict):
            raise ProtocolError("A published form in the server's reply is not an object.")
        fid, version, title, digest = obj.get("form_id"), obj.get("version"), obj.get("title"), obj.get("sha256")
        if not isinstance(fid, str) or not _FORM_ID.fullmatch(fid):
            raise ProtocolError("A published form in the server's reply has no valid form id.")
        if not isinstance(version, str) or not 0 < len(version) <= 64 or not isinstance(title, str) or len(title) > 500:
            raise ProtocolError(f"The published form {fid} has an invalid version or title.")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ProtocolError(f"The published form {fid} has no valid digest.")
        form = cls(fid, version, title, digest)
        if not files:
            return form
        form.xlsx = _unb64(obj.get("xlsx"), f"workbook of the published form {fid}")
        media = obj.get("media") or {}
        if not isinstance(media, dict) or len(media) > 100:
            raise ProtocolError(f"The published form {fid} has a malformed file list.")
        for name, text in media.items():
            if not isinstance(name, str) or not _MEDIA_NAME.fullmatch(name):
                raise ProtocolError(f"The published form {fid} names a file that is not a plain file name.")
            form.media[name] = _unb64(text, f"file {name} of the published form {fid}")
        if len(form.xlsx) + sum(map(len, form.media.values())) > MAX_FORM_BYTES:
            raise ProtocolError(f"The published form {fid} is larger than {MAX_FORM_BYTES // 2**20} MiB.")
        if not hmac.compare_digest(form_digest(form.xlsx, form.media), digest):
            raise ProtocolError(f"The files of the published form {fid} do not match their digest; nothing was applied.")
        return form


def _catalogue(obj: dict) -> tuple[int, list[PublishedForm]] | None:
    cat = obj.get("catalogue")
    if cat is None:
        return None
    if not isinstance(cat, dict) or not isinstance(cat.get("forms"), list) or len(cat["forms"]) > MAX_FORMS:
        raise ProtocolError("The server's reply has a malformed form catalogue.")
    entries = [PublishedForm.from_json(e, files=False) for e in cat["forms"]]
    if len({e.form_id for e in entries}) != len(entries):
        raise ProtocolError("The server's form catalogue lists a form twice.")
    return _int(cat, "seq", "form catalogue"), entries


def _forms_held(obj: dict) -> dict[str, str]:
    """A sync request's ``forms``: form id -> digest of each published form the laptop holds."""
    held = obj.get("forms") or {}
    if not isinstance(held, dict) or len(held) > MAX_FORMS or not all(
        isinstance(k, str) and _FORM_ID.fullmatch(k) and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in held.items()
    ):
        raise ProtocolError("The sync request has a malformed list of forms.")
    return held


# --- device -> server ------------------------------------------------------------------
@dataclass
class SyncRequest:
    """Push these changes (all from ``device_id``, in sequence order); pull since ``cursor``.
    ``forms``: the published forms the laptop holds, form id -> digest, so the reply
    carries only the files it lacks."""

    device_id: str
    changes: list[dict]
    cursor: int
    limit: int = DEFAULT_PULL_LIMIT
    hlc: str = "0" * 16
    forms: dict[str, str] = field(default_factory=dict)
    sent_ms: int | None = None  # not in the payload: the sealed bundle's creation time, set by the receiver
    # The device's seq just before this request's first change, when the sender knows the
    # receiver may get its requests out of order (the parts of a USB export): a receiver
    # that holds less of the device than ``after`` must keep the request until it does.
    after: int | None = None
    # The laptop asks for the next page while it still applies the one before (docs/sync.md,
    # "Fetching ahead"): ``cursor`` is where to pull from, not yet what the laptop holds, so
    # the server does not record it as the device's cursor. A server that does not know the
    # key ignores it (and records the cursor, as for any request).
    ahead: bool = False

    def encode(self) -> bytes:
        obj = {"v": PROTOCOL_VERSION, "type": "sync", "device_id": self.device_id, "changes": self.changes,
               "cursor": self.cursor, "limit": self.limit, "hlc": self.hlc, "forms": self.forms}
        if self.after is not None:
            obj["after"] = self.after
        if self.ahead:
            obj["ahead"] = True
        return dumps(obj)

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
        after = _int(obj, "after", "sync request") if obj.get("after") is not None else None
        if after is not None and seqs and after >= seqs[0]:
            raise ProtocolError("The sync request's 'after' is not before its first change.")
        ahead = obj.get("ahead", False)
        if not isinstance(ahead, bool) or (ahead and changes):
            raise ProtocolError("The sync request's 'ahead' is not a flag of a request that carries no changes.")
        return cls(dev, changes, _int(obj, "cursor", "sync request"), max(1, min(limit, MAX_CHANGES_PER_MESSAGE)), h,
                   _forms_held(obj), after=after, ahead=ahead)


# --- server -> device ---------------------------------------------------------------------
@dataclass
class SyncReply:
    """``acked``: the highest of the device's sequence numbers the server holds. ``changes``:
    the team's changes after ``cursor`` (exclusive) up to the new ``cursor``.
    ``catalogue``: ``(seq, entries)``, every form published to the team now (a
    higher ``seq`` is a newer catalogue); ``forms``: the files of those the
    laptop lacks."""

    acked: int
    changes: list[dict]
    cursor: int
    more: bool = False
    hlc: str = "0" * 16
    refused: list[dict] = field(default_factory=list)  # [{seq, reason}] changes the server would not take
    warning: str | None = None
    catalogue: tuple[int, list[PublishedForm]] | None = None
    forms: list[PublishedForm] = field(default_factory=list)

    def encode(self) -> bytes:
        catalogue = None
        if self.catalogue is not None:
            catalogue = {"seq": self.catalogue[0], "forms": [f.entry() for f in self.catalogue[1]]}
        return dumps({"v": PROTOCOL_VERSION, "type": "reply", "acked": self.acked, "changes": self.changes,
                      "cursor": self.cursor, "more": self.more, "hlc": self.hlc, "refused": self.refused,
                      "warning": self.warning, "catalogue": catalogue, "forms": [f.package() for f in self.forms]})

    @classmethod
    def decode(cls, data: bytes) -> "SyncReply":
        obj = loads(data, "server's reply")
        if obj.get("type") != "reply":
            raise ProtocolError("The bundle does not hold a reply from the server.")
        h = obj.get("hlc", "0" * 16)
        if not isinstance(h, str) or not _HLC.fullmatch(h):
            raise ProtocolError("The server's reply has no valid clock.")
        refused = obj.get("refused") or []
        if not isinstance(refused, list) or not all(isinstance(r, dict) and not too_deep(r, MAX_VALUE_DEPTH) for r in refused):
            raise ProtocolError("The server's reply has a malformed refusal list.")
        warning = obj.get("warning")
        if warning is not None and not isinstance(warning, str):
            raise ProtocolError("The server's reply has a malformed warning.")
        packages = obj.get("forms") or []
        if not isinstance(packages, list) or len(packages) > MAX_FORMS:
            raise ProtocolError("The server's reply has a malformed list of forms.")
        catalogue = _catalogue(obj)
        forms = [PublishedForm.from_json(p, files=True) for p in packages]
        listed = {(e.form_id, e.digest) for e in catalogue[1]} if catalogue else set()
        if any((f.form_id, f.digest) not in listed for f in forms):
            raise ProtocolError("The server's reply carries a form its catalogue does not list.")
        return cls(
            _int(obj, "acked", "server's reply"), _changes(obj, "server's reply"), _int(obj, "cursor", "server's reply"),
            bool(obj.get("more", False)), h, refused, warning, catalogue, forms,
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
