"""Text: concat, substr, translate, regex, uuid, digest, base64-decode and the rest of the string family."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import string as _string
import uuid as _uuid
from typing import Callable

from ..values import error, to_int, to_string
from .base import or_current, pure


def _substr(text: object, start: object, end: object = None) -> str:
    # ODK substr: 0-based start, exclusive end, negatives count from the end (JavaRosa).
    s = to_string(text)
    n = len(s)
    a = to_int(start)
    b = n if end is None else to_int(end)
    a = min(max(0, a + n if a < 0 else a), n)
    b = min(max(0, b + n if b < 0 else b), n)
    return s[a:b]


def _substring_before(text: object, part: object) -> str:
    s, p = to_string(text), to_string(part)
    i = s.find(p)
    return s[:i] if i >= 0 else ""


def _substring_after(text: object, part: object) -> str:
    s, p = to_string(text), to_string(part)
    i = s.find(p)
    return s[i + len(p):] if i >= 0 else ""


def _translate(text: object, source: object, target: object) -> str:
    table: dict[int, str | None] = {}
    to = to_string(target)
    for i, ch in enumerate(to_string(source)):
        table.setdefault(ord(ch), to[i] if i < len(to) else None)  # the first mapping of a char wins
    return to_string(text).translate(table)


_ALPHANUMERIC = _string.ascii_letters + _string.digits


def _uuid_fn(length: object = None) -> str:
    if length is None:
        return str(_uuid.uuid4())
    # uuid(n): a random alphanumeric string of n characters (JavaRosa's genGUID); capped for sanity.
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(min(max(0, to_int(length)), 4096)))



def _b_regex(p, args, pos):
    ftext, pattern = args[0].fn, args[1]
    # re.ASCII: \d, \w and (?i) match ASCII only, as java.util.regex does by default.
    if pattern.kind == "str":
        try:
            compiled = re.compile(pattern.value, re.ASCII)
        except re.error as exc:
            raise error(f"invalid regular expression ({exc.msg})", pattern.pos) from None
        return lambda ctx: compiled.fullmatch(to_string(ftext(ctx))) is not None
    fpattern = pattern.fn

    def run(ctx):
        try:
            return re.fullmatch(to_string(fpattern(ctx)), to_string(ftext(ctx)), re.ASCII) is not None
        except re.error:
            return False
    return run


# digest(): the algorithms the spec names, spelt as it spells them.
_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _b_digest(p, args, pos):
    """digest(text, algorithm, encoding='base64'): a hash of the UTF-8 text, as base64 or hex."""
    for node, allowed, what in ((args[1], _DIGESTS, "algorithm"), (args[2] if len(args) > 2 else None, ("base64", "hex"), "encoding")):
        if node is not None and node.kind == "str" and node.value not in allowed:
            raise error(f"digest() does not know the {what} {node.value!r}; use one of {', '.join(allowed)}", node.pos)
    ftext, falgorithm = args[0].fn, args[1].fn
    fencoding = args[2].fn if len(args) > 2 else (lambda ctx: "base64")

    def run(ctx):
        algorithm, encoding = _DIGESTS.get(to_string(falgorithm(ctx))), to_string(fencoding(ctx))
        if algorithm is None or encoding not in ("base64", "hex"):
            return ""  # a computed name that is not an algorithm: nothing to compute
        digest = hashlib.new(algorithm, to_string(ftext(ctx)).encode("utf-8")).digest()
        return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode("ascii")
    return run


def _base64_decode(value: object) -> str:
    """The UTF-8 text inside base64; "" when it is not base64 or not UTF-8 text (as JavaRosa)."""
    try:
        return base64.b64decode(to_string(value).strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "concat": (0, None, pure(lambda *vs: "".join(map(to_string, vs)))),
    "string-length": (0, 1, or_current(lambda v: len(to_string(v)))),
    "normalize-space": (0, 1, or_current(lambda v: " ".join(to_string(v).split()))),
    "substr": (2, 3, pure(_substr)),
    "substring-before": (2, 2, pure(_substring_before)),
    "substring-after": (2, 2, pure(_substring_after)),
    "contains": (2, 2, pure(lambda a, b: to_string(b) in to_string(a))),
    "starts-with": (2, 2, pure(lambda a, b: to_string(a).startswith(to_string(b)))),
    "ends-with": (2, 2, pure(lambda a, b: to_string(a).endswith(to_string(b)))),
    "translate": (3, 3, pure(_translate)),
    "regex": (2, 2, _b_regex),
    "string": (1, 1, pure(to_string)),
    "uuid": (0, 1, pure(_uuid_fn)),
    "digest": (2, 3, _b_digest),
    "base64-decode": (1, 1, pure(_base64_decode)),
}
