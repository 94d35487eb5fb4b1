"""Progress of sealing, opening, USB export and USB import: called, in order, never backwards, ending at total;
and a refused bundle still changes nothing."""
from __future__ import annotations

import os
import zlib

import pytest

from sync import bundle as B
from sync.bundle import Identity, open_bundle, seal
from sync.errors import BundleTampered
from sync.files import read_bundle_file

SENDER, SERVER = Identity.generate(), Identity.generate()
ARGS = dict(sender=SENDER, sender_id="laptop-1", recipient=SERVER.public(), recipient_id="server-1")


def payload(mb: float) -> bytes:
    # Compressible like sync JSON, with enough randomness that chunks differ.
    rows = []
    size = 0
    i = 0
    while size < mb * 1024 * 1024:
        row = f'{{"record_id":"{os.urandom(8).hex()}","seq":{i},"fields":{{"name":"Тетяна {i % 977}"}}}},'.encode()
        rows.append(row)
        size += len(row)
        i += 1
    return b"[" + b"".join(rows)[:-1] + b"]"


def check_counts(calls: list[tuple[int, int]], total: int) -> None:
    assert calls, "progress was never reported"
    dones = [d for d, _ in calls]
    assert dones == sorted(dones), f"progress went backwards: {dones}"
    assert {t for _, t in calls} == {total}
    assert calls[-1] == (total, total)
    assert all(0 <= d <= total for d in dones)


def test_seal_reports_per_megabyte_and_makes_the_same_bundle():
    data = payload(3.5)
    calls = []
    fixed = dict(_ephemeral=bytes(range(32)), _bundle_id=bytes(16), _created_ms=1_750_000_000_000)
    sealed = seal(data, **ARGS, progress=lambda d, t: calls.append((d, t)), **fixed)
    check_counts(calls, len(data))
    assert len(calls) == -(-len(data) // B.SEAL_PIECE)  # one per piece, the last once the bundle is whole
    # Compressing in pieces must not change a byte: the bundle is what one zlib call makes.
    assert sealed == seal(data, **ARGS, **fixed)
    assert B.peek_header(sealed).content_length == len(zlib.compress(data, B.COMPRESSION_LEVEL))


def test_open_reports_per_chunk_and_ends_at_the_content_length():
    data = payload(2)
    sealed = seal(data, **ARGS)
    header = B.peek_header(sealed)
    calls = []
    opened = open_bundle(sealed, recipient=SERVER, recipient_id="server-1", sender_key={"laptop-1": SENDER.public()}.get,
                         progress=lambda d, t: calls.append((d, t)))
    assert opened.payload == data
    check_counts(calls, header.content_length)
    assert len(calls) == header.chunk_count


def test_a_tampered_bundle_reports_nothing_and_opens_nothing():
    sealed = bytearray(seal(payload(1), **ARGS))
    sealed[len(sealed) // 2] ^= 1
    calls = []
    with pytest.raises(BundleTampered):
        open_bundle(bytes(sealed), recipient=SERVER, recipient_id="server-1",
                    sender_key={"laptop-1": SENDER.public()}.get, progress=lambda d, t: calls.append((d, t)))
    assert calls == []  # the signature is checked before the first chunk is opened


def test_the_streaming_open_still_caps_a_bomb():
    bomb = b"\0" * (3 * 1024 * 1024)
    sealed = seal(bomb, **ARGS)
    calls = []
    with pytest.raises(B.BundleTooLarge):
        open_bundle(sealed, recipient=SERVER, recipient_id="server-1", sender_key={"laptop-1": SENDER.public()}.get,
                    max_payload_bytes=1024 * 1024, progress=lambda d, t: calls.append((d, t)))
    assert opened_ok(sealed, cap=3 * 1024 * 1024)  # control: the same bundle opens under a cap it fits


def opened_ok(sealed: bytes, cap: int) -> bool:
    return len(open_bundle(sealed, recipient=SERVER, recipient_id="server-1", sender_key={"laptop-1": SENDER.public()}.get,
                           max_payload_bytes=cap).payload) == cap


def stages(calls: list[tuple[str, int, int]]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for stage, done, total in calls:
        out.setdefault(stage, []).append((done, total))
    return out


def check_stage(calls: list[tuple[int, int]]) -> None:
    """(0, 0) first ("begun, size not yet known"), then counts that never go back, ending at total."""
    assert calls[0] == (0, 0)
    counted = calls[1:]
    assert counted, "the stage never counted"
    check_counts(counted, counted[-1][1])


def test_usb_export_and_import_report_each_stage_to_its_end(laptops, hub, tmp_path):
    a, b = laptops("a"), laptops("b")
    n = 1000  # more than two apply slices of 400
    a.store.save_records("household", [{"head_name": f"Синтетична {i}", "members": i % 9} for i in range(n)])
    calls = []
    assert a.export_bundle(tmp_path / "a.fbb", progress=lambda *c: calls.append(c)) == n
    by_stage = stages(calls)
    assert list(by_stage) == ["reading", "sealing", "writing"]
    for stage in by_stage.values():
        check_stage(stage)
    assert by_stage["reading"][-1] == (n, n)
    assert by_stage["writing"][-1][1] == (tmp_path / "a.fbb").stat().st_size

    hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    data, _ = hub.reply_bundle(b.store.device_id)
    (tmp_path / "b.fbb").write_bytes(data)
    calls = []
    got = b.import_bundle(tmp_path / "b.fbb", progress=lambda *c: calls.append(c))
    assert got.new == n
    by_stage = stages(calls)
    assert list(by_stage) == ["checking", "applying"]
    for stage in by_stage.values():
        check_stage(stage)
    assert by_stage["checking"][-1][1] == B.peek_header(data).content_length
    assert by_stage["applying"][-1] == (n, n)
    assert len(by_stage["applying"]) >= 1 + 3  # per slice, not only at the end
    assert len(list(b.store.list_records())) == n


def test_a_tampered_usb_import_changes_nothing_and_never_reaches_applying(laptops, hub, tmp_path):
    a, b = laptops("a"), laptops("b")
    a.store.save_records("household", [{"members": i} for i in range(50)])
    a.export_bundle(tmp_path / "a.fbb")
    hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    data, _ = hub.reply_bundle(b.store.device_id)
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 1
    (tmp_path / "bad.fbb").write_bytes(bytes(damaged))
    before = (b.store.pull_cursor(), b.store.pending_count(), len(list(b.store.list_records())))
    calls = []
    with pytest.raises(BundleTampered):
        b.import_bundle(tmp_path / "bad.fbb", progress=lambda *c: calls.append(c))
    assert [c[0] for c in calls] == ["checking"] and calls == [("checking", 0, 0)]
    assert (b.store.pull_cursor(), b.store.pending_count(), len(list(b.store.list_records()))) == before
    # Control: the undamaged bundle does apply, so "nothing changed" above was the refusal's doing.
    (tmp_path / "good.fbb").write_bytes(data)
    assert b.import_bundle(tmp_path / "good.fbb").new == 50
