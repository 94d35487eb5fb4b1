"""The change validator: what a change must look like to be applied, by any replica.

A change is ``{device_id, seq, record_id, kind, form_id, form_version, hlc, deleted,
fields, bases}``, and optionally ``resolves`` (the conflicts it closes) and ``author``
(who made it) (docs/sync.md, "Changes"). The sync protocol checks every change in a
message with this, the server before a push is applied, and the store before it applies
what a pull or a USB bundle brought. Each wraps ``InvalidChange`` in its own typed error.
Messages name the change by device and sequence number, never a value.
Imports nothing but the standard library (see the package docstring).
"""
from __future__ import annotations

from typing import Any, cast

from . import limits, names

RESOLUTIONS = ("kept", "restored")  # how a conflict was closed
_CONTAINERS = frozenset((dict, list))
_seen_fields: set[str] = set()  # field names already checked: they repeat across thousands of changes


class Checked(dict):
    """A change as ``check_change`` returned it: checking it again returns it as it is (a
    pulled change is checked when the reply is read and again by the store). Code that
    changes a checked change must check a new dict instead."""

    __slots__ = ()


class InvalidChange(ValueError):
    """A change is malformed. ``str()`` is a sentence that names no value."""


def field_ok(name: object) -> bool:
    """Whether ``name`` is a valid field name (each distinct one is checked once)."""
    if name in _seen_fields:
        return True
    if isinstance(name, str) and names.FIELD_NAME.fullmatch(name):
        if len(_seen_fields) < 100_000:
            _seen_fields.add(name)
        return True
    return False


def too_deep(value: object, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels in ``value`` (a scalar is 0).
    Iterative, so no depth can exhaust the interpreter's stack."""
    if type(value) not in _CONTAINERS:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return True
        for child in (node.values() if type(node) is dict else node):
            if type(child) in _CONTAINERS:
                push((child, depth + 1))
    return False


def _resolves_ok(resolves: object) -> bool:
    return isinstance(resolves, list) and len(resolves) <= limits.MAX_FIELDS and all(
        isinstance(r, dict) and set(r) == {"field", "stamp", "resolution"} and field_ok(r["field"])
        and isinstance(r["stamp"], str) and bool(names.STAMP.fullmatch(r["stamp"])) and r["resolution"] in RESOLUTIONS
        for r in resolves
    )


def _bases_ok(bases: object) -> bool:
    return isinstance(bases, dict) and all(
        isinstance(k, str) and isinstance(v, str) and names.STAMP.fullmatch(v) for k, v in bases.items())


def _fields_ok(fields: object) -> bool:
    # Names seen before are taken in one set operation (the common case: every change of a
    # kind names the same fields); the others one by one.
    return isinstance(fields, dict) and (_seen_fields.issuperset(fields) or all(field_ok(k) for k in fields))


def _seen(name: object, pattern, seen: set) -> bool:
    """Whether ``name`` is a string that ``pattern`` matches whole; each distinct one
    (device ids and kinds repeat across thousands of changes) is matched once."""
    if name in seen:
        return True
    if isinstance(name, str) and pattern.fullmatch(name):
        if len(seen) < 100_000:
            seen.add(name)
        return True
    return False


_seen_devices: set[str] = set()
_seen_kinds: set[str] = set()


def _identity(c: object, where: str) -> tuple[str, int]:
    """The change's device and sequence number."""
    if not isinstance(c, dict):
        raise InvalidChange(f"A change{where} is not an object.")
    dev, seq = c.get("device_id"), c.get("seq")
    if not _seen(dev, names.DEVICE_ID, _seen_devices):
        raise InvalidChange(f"A change{where} has no valid device id.")
    if type(seq) is not int or seq < 1:
        raise InvalidChange(f"A change from {dev}{where} has no valid sequence number.")
    return dev, seq


def _header_problem(c: dict) -> str | None:
    """What is wrong with the change's ids, kind, clock, form and flag, or None."""
    rid = c.get("record_id")
    if not isinstance(rid, str) or not names.UUID.fullmatch(rid):
        return "no valid record id"
    if not _seen(c.get("kind"), names.KIND, _seen_kinds):
        return "no valid kind"
    if not isinstance(c.get("hlc"), str) or not names.HLC.fullmatch(c["hlc"]):
        return "no valid clock"
    for key in ("form_id", "form_version"):
        if c.get(key) is not None and (not isinstance(c[key], str) or len(c[key]) > limits.MAX_FORM_REF):
            return f"an invalid {key}"
    if not isinstance(c.get("deleted", False), bool):
        return "an invalid deleted flag"
    return None


def _body_problem(c: dict) -> str | None:
    """What is wrong with the change's fields, bases, resolutions and author, or None.

    More fields than rules/limits.py allows is not malformed: the server refuses that one
    change (listed in its reply's ``refused``) so that the changes after it still flow."""
    fields = c.get("fields", {})
    if not _fields_ok(fields):
        return "malformed fields"
    values = fields.values()
    if not _CONTAINERS.isdisjoint(map(type, values)) and any(
            too_deep(v, limits.MAX_VALUE_DEPTH) for v in values if type(v) in _CONTAINERS):
        return f"a value nested more than {limits.MAX_VALUE_DEPTH} levels deep"
    if c.get("bases") and not _bases_ok(c["bases"]):
        return "malformed bases"
    if c.get("resolves") and not _resolves_ok(c["resolves"]):
        return "malformed conflict resolutions"
    if c.get("author") is not None and not limits.valid_author(c["author"]):
        return "an invalid author"
    return None


def check_change(c: object, where: str = "") -> dict:
    """Validate one change; return it normalised (defaults filled in, unknown keys dropped).
    ``where`` names the message it came in ("sync request"), for the error's sentence."""
    if type(c) is Checked:
        return c
    where = f" in the {where}" if where else ""
    dev, seq = _identity(c, where)
    c = cast(dict, c)  # _identity refused anything else
    problem = _header_problem(c) or _body_problem(c)
    if problem:
        raise InvalidChange(f"The change {dev}:{seq}{where} has {problem}.")
    out = Checked({
        "device_id": dev, "seq": seq, "record_id": c["record_id"], "kind": c["kind"],
        "form_id": c.get("form_id"), "form_version": c.get("form_version"),
        "hlc": c["hlc"], "deleted": bool(c.get("deleted", False)), "fields": c.get("fields", {}),
        "bases": c.get("bases") or {},
    })
    if c.get("resolves"):
        out["resolves"] = c["resolves"]
    if c.get("author") is not None:
        out["author"] = c["author"]
    return out
