"""The hybrid logical clock orders events like time, and blind-index normalisation forgives formatting."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import hlc, normalize


def test_string_order_is_time_order():
    values = [0, 1, 0xFFFF, 0x10000, 1 << 40, (1 << 64) - 1]
    encoded = [hlc.encode(v) for v in values]
    assert encoded == sorted(encoded)
    assert all(len(e) == 16 for e in encoded)
    assert [hlc.decode(e) for e in encoded] == values


@given(st.integers(0, (1 << 64) - 1), st.integers(0, (1 << 64) - 1))
def test_encoding_preserves_order(a, b):
    assert (hlc.encode(a) < hlc.encode(b)) == (a < b)


def test_stamps_break_ties_on_device_id():
    h = hlc.encode(1234)
    assert hlc.stamp(h, "aaaa") < hlc.stamp(h, "bbbb") < hlc.stamp(hlc.encode(1235), "0000")


def test_tick_is_monotonic_even_when_the_wall_clock_goes_back():
    now = [1_000_000]
    clock = hlc.HybridClock(now_ms=lambda: now[0])
    a = clock.tick()
    now[0] -= 5000  # the laptop's clock was set back
    b = clock.tick()
    c = clock.tick()
    assert a < b < c
    assert hlc.wall_ms(b) == 1_000_000


def test_ticks_for_a_batch_are_what_single_ticks_would_give():
    now = [1_000_000]
    single = hlc.HybridClock(now_ms=lambda: now[0])
    batch = hlc.HybridClock(now_ms=lambda: now[0])
    assert batch.ticks(3) == [single.tick() for _ in range(3)]
    assert batch.last == single.last
    now[0] -= 5000  # the wall clock goes back: the batch still moves forward
    after = batch.ticks(2)
    assert after == sorted(after) and after[0] > hlc.encode(single.last)
    assert batch.tick() > after[-1]


def test_receive_moves_past_a_remote_stamp():
    now = [1_000_000]
    clock = hlc.HybridClock(now_ms=lambda: now[0])
    remote = hlc.encode((1_000_500 << 16) | 7)
    after = clock.receive(remote)
    assert after > remote
    assert clock.tick() > after


def test_receive_refuses_a_clock_far_ahead():
    now = [1_000_000]
    clock = hlc.HybridClock(now_ms=lambda: now[0], max_drift_ms=60_000)
    before = clock.last
    with pytest.raises(hlc.ClockTooFarAhead):
        clock.receive(hlc.encode((1_000_000 + 120_000) << 16))
    assert clock.last == before  # a poisoned stamp does not move our clock


def test_clock_resumes_from_persisted_value():
    clock = hlc.HybridClock(last=(5_000_000_000_000 << 16), now_ms=lambda: 1)
    assert hlc.decode(clock.tick()) == (5_000_000_000_000 << 16) + 1


@pytest.mark.parametrize(
    "a,b",
    [
        ("+380 67 123 45 67", "067-123-45-67"),
        ("(067) 123 4567", "380671234567"),
        ("00380671234567", "+380671234567"),
    ],
)
def test_phone_formats_match(a, b):
    assert normalize.phone(a) == normalize.phone(b) == "380671234567"


def test_foreign_numbers_keep_their_country_code():
    assert normalize.phone("+48 601 234 567") == "48601234567"


@pytest.mark.parametrize("typed", ["АВ 123456", "ab123456", "AB-123-456", "ав123456", "Ab 123 456"])
def test_document_numbers_forgive_case_spaces_and_cyrillic_lookalikes(typed):
    assert normalize.document_id(typed) == "AB123456"


def test_text_is_casefolded_and_spaces_collapsed():
    assert normalize.text("  Олена   КОВАЛЬ ") == normalize.text("олена коваль")
    assert normalize.text("Straße") == normalize.text("STRASSE")
