"""Identifiers: UUIDv7 for records (time-ordered, so index inserts stay local)."""
from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = [0, 0]  # (milliseconds, 12-bit counter) of the previous id from this process


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 that is also monotonic within this process (RFC 9562, method 1):
    ids made in the same millisecond count up in the 12-bit ``rand_a`` field."""
    return _text(_uuid7_value(now_ms))


def uuid7_many(n: int) -> list[tuple[str, bytes]]:
    """``n`` new UUIDv7s, each as text and as 16 bytes, in increasing order.

    The same ids as ``n`` calls of ``uuid7`` would give (one clock reading, the
    counter counting up), with the random bits drawn in one call for all of them.
    """
    ms = time.time_ns() // 1_000_000
    values = []
    rand = os.urandom(8 * n + 2)
    with _lock:
        last_ms, counter = _last
        for i in range(n):
            if ms <= last_ms:
                ms, counter = last_ms, counter + 1
                if counter > 0xFFF:
                    ms, counter = ms + 1, 0
            else:
                counter = int.from_bytes(rand[-2:], "big") & 0x7FF  # leave room to count up
            last_ms = ms
            rand_b = int.from_bytes(rand[8 * i : 8 * i + 8], "big") & ((1 << 62) - 1)
            values.append((ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b)
        _last[:] = [last_ms, counter]
    return [(_text(v), v.to_bytes(16, "big")) for v in values]


def _uuid7_value(now_ms: int | None) -> int:
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        last_ms, counter = _last
        if ms <= last_ms:
            ms, counter = last_ms, counter + 1
            if counter > 0xFFF:
                ms, counter = ms + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x7FF  # leave room to count up
        _last[:] = [ms, counter]
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b


def _text(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid_bytes(text: str) -> bytes:
    """The 16 bytes of a UUID in its text form; ValueError if it is not one."""
    raw = bytes.fromhex(text.replace("-", ""))
    if len(raw) != 16:
        raise ValueError("a UUID has 16 bytes")
    return raw


def uuid_text(raw: bytes) -> str:
    return _text(int.from_bytes(raw, "big"))


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def new_device_id() -> str:
    return os.urandom(8).hex()
