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


def uuid7_pair() -> tuple[str, bytes]:
    """A new UUIDv7 as text and as its 16 bytes (audit entries pack ids as bytes)."""
    value = _uuid7_value(None)
    return _text(value), value.to_bytes(16, "big")


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
