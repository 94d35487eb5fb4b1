"""A backlog larger than one bundle leaves the laptop: HTTP pushes go in batches bounded in
bytes, and a USB export is cut into parts that the hub imports in any order, each as often
as it likes (docs/sync.md, "Batches and slow links" and "USB bundles")."""
from __future__ import annotations

import itertools
import os
import random

import pytest

from sync import protocol
from sync.bundle import peek_header
from sync.client import SyncClient


def _big(i: int, size: int) -> dict:
    # Random text does not compress: the worst case for a bundle's size.
    return {"note": random.Random(i).randbytes(size // 2).hex(), "n": i}


class CountingTransport:
    def __init__(self, inner) -> None:
        self.inner, self.sizes = inner, []

    def __call__(self, url):
        return self

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def sync(self, bundle: bytes) -> bytes:
        self.sizes.append(len(bundle))
        return self.inner.sync(bundle)


def test_http_pushes_are_bounded_in_bytes_not_only_in_count(laptops, hub, monkeypatch):
    monkeypatch.setattr(protocol, "MAX_PUSH_BYTES", 256 * 1024)
    a = laptops("a")
    counting = CountingTransport(laptops.transport)
    a = SyncClient(a.store, transport=counting)  # a new client takes the (lowered) bound
    ids = a.store.save_records("household", (_big(i, 40_000) for i in range(40)))  # 1.6 MB in 40 changes
    r = a.sync_now()
    assert r.pushed == 40 and a.store.pending_count() == 0
    assert len(counting.sizes) >= 6 and max(counting.sizes) < 300 * 1024, counting.sizes
    assert set(ids) <= set(hub.records())


def _parts(client, tmp_path, part_bytes):
    return client.export_parts(tmp_path / "usb" / "a.fbb", part_bytes=part_bytes)


def test_a_usb_export_too_large_for_one_bundle_goes_in_parts_that_import_in_any_order(laptops, hub, tmp_path):
    (tmp_path / "usb").mkdir()
    a = laptops("a")
    ids = a.store.save_records("household", (_big(i, 3_000) for i in range(30)))
    rid = ids[0]
    a.store.edit_record(rid, {"n": -1})  # a later change to a record of the first part
    parts = _parts(a, tmp_path, 20_000)
    assert len(parts) >= 4 and sum(n for _, n in parts) == 31
    assert [p.name for p, _ in parts] == [f"a-part{i}of{len(parts)}.fbb" for i in range(1, len(parts) + 1)]
    assert not (tmp_path / "usb" / "a.fbb").exists()
    assert sorted(os.listdir(tmp_path / "usb")) == sorted(p.name for p, _ in parts)  # no temporary files left
    data = [p.read_bytes() for p, _ in parts]
    assert all(len(d) < 64 * 1024 for d in data)
    # Last part first, then the others backwards, each imported twice: the early arrivals
    # wait, the first part lets them all through, and nothing applies twice.
    for d in reversed(data[1:]):
        result, _ = hub.receive(d)
        assert result.waiting and result.new == 0
        again, _ = hub.receive(d)
        assert again.waiting and again.new == 0
    assert hub.records() == {}
    result, _ = hub.receive(data[0])
    assert not result.waiting and result.unparked == len(data) - 1 and result.new == 31
    assert set(hub.records()) == set(ids) and hub.records()[rid]["fields"]["n"] == -1
    for d in data:
        from sync.errors import BundleReplayed

        with pytest.raises(BundleReplayed):
            hub.receive(d)
    reply, _ = hub.reply_bundle(a.store.device_id)
    (tmp_path / "back.fbb").write_bytes(reply)
    assert a.import_bundle(tmp_path / "back.fbb").acked == a.store.acknowledged_seq()
    assert a.store.pending_count() == 0


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_every_order_of_three_parts_gives_the_same_records(laptops, hub, tmp_path, order):
    (tmp_path / "usb").mkdir()
    a = laptops("a")
    ids = a.store.save_records("household", (_big(i, 3_000) for i in range(12)))
    for rid in ids[:4]:
        a.store.edit_record(rid, {"n": 100})
    parts = _parts(a, tmp_path, 16_000)
    assert len(parts) == 3, [n for _, n in parts]
    for i in order:
        hub.receive(parts[i][0].read_bytes())
    recs = hub.records()
    assert set(recs) == set(ids) and [recs[r]["fields"]["n"] for r in ids[:4]] == [100] * 4
    assert hub.conflicts() == []


def test_a_part_carried_by_another_laptop_waits_at_the_hub_too(laptops, hub, tmp_path):
    (tmp_path / "usb").mkdir()
    a, b = laptops("a"), laptops("b")
    ids = a.store.save_records("household", (_big(i, 3_000) for i in range(12)))
    parts = _parts(a, tmp_path, 16_000)
    assert b.import_bundle(parts[-1][0]).kind == "forward"
    b.sync_now()
    assert hub.records() == {}
    b.import_bundle(parts[0][0])
    b.import_bundle(parts[1][0])
    b.sync_now()
    assert set(hub.records()) == set(ids)


def test_a_small_export_is_still_one_file_without_parts(laptops, tmp_path):
    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    parts = a.export_parts(tmp_path / "one.fbb")
    assert parts == [(tmp_path / "one.fbb", 1)]
    assert peek_header((tmp_path / "one.fbb").read_bytes()).kind == "sync"
