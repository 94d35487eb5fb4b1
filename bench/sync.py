"""Sync benchmark on loopback: a real uvicorn server on 127.0.0.1, real stores.

    python bench/sync.py [--records 10000] [--devices 100] [--per-device 100] [--bundle 100000]

Prints figures as it goes and a JSON summary on its last line. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from storage import Store, crypto  # noqa: E402
from sync.bundle import Identity, seal  # noqa: E402
from sync.client import SyncClient, read_bundle_file  # noqa: E402
from sync import protocol  # noqa: E402
from sync_helpers import LiveServer, make_hub  # noqa: E402

FIRST = ["Оксана", "Тарас", "Марія", "Андрій", "Ірина", "Богдан", "Олена", "Дмитро"]
LAST = ["Синтетична", "Вигаданий", "Приклад", "Тестова", "Зразковий"]


def household(i: int) -> dict:
    return {
        "head_name": f"{FIRST[i % 8]} {LAST[i % 5]}", "head_name_latin": f"Name {i}", "phone": f"+38067{i:07d}",
        "id_number": f"КН {i:06d}", "oblast": "UA63", "raion": "UA6312", "hromada": "UA6312001",
        "settlement": f"Село {i % 300}", "address": f"вул. Шевченка, {i % 200}", "members": i % 9 + 1,
        "children": i % 4, "elderly": i % 3, "disability": i % 2 == 0, "displaced": i % 3 == 0,
        "shelter": ["damaged", "intact", "collective"][i % 3], "needs": ["food", "nfi", "cash"][: i % 3 + 1],
        "income": (i * 37) % 12000, "consent": True, "gps": f"49.{i % 1000:03d} 36.{i % 997:03d}",
        "visit_date": "2026-11-20", "enumerator_note": "Синтетичний запис для вимірювання", "priority": i % 5,
    }


def new_store(base: Path, name: str) -> Store:
    store, _ = Store.create(base / name, user="Bench", passphrase="synthetic bench passphrase", kdf=crypto.fast_kdf_for_tests())
    return store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--per-device", type=int, default=100)
    ap.add_argument("--bundle", type=int, default=100_000)
    args = ap.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        hub = make_hub(base / "hub")
        with LiveServer(hub) as server:
            a = SyncClient(new_store(base, "a"))
            a.enroll(server.url, hub.new_enroll_code("north"))
            b = SyncClient(new_store(base, "b"))
            b.enroll(server.url, hub.new_enroll_code("north"))
            ids = a.store.save_records("household", (household(i) for i in range(args.records)))
            t = time.perf_counter()
            r = a.sync_now()
            push_s = time.perf_counter() - t
            assert r.pushed == args.records, r
            out["push_records_per_s"] = round(args.records / push_s)
            print(f"initial push: {args.records} records in {push_s:.2f} s = {out['push_records_per_s']:,}/s", flush=True)

            t = time.perf_counter()
            r = b.sync_now()
            pull_s = time.perf_counter() - t
            assert r.pulled == args.records, r
            out["pull_records_per_s"] = round(args.records / pull_s)
            print(f"initial pull: {args.records} records in {pull_s:.2f} s = {out['pull_records_per_s']:,}/s", flush=True)

            delta = max(1, args.records // 100)
            for rid in ids[:delta]:
                a.store.edit_record(rid, {"members": 42, "priority": 0})
            t = time.perf_counter()
            a.sync_now()
            b.sync_now()
            delta_s = time.perf_counter() - t
            out["delta_records"] = delta
            out["delta_push_and_pull_s"] = round(delta_s, 3)
            print(f"1% delta: {delta} records pushed by one laptop and pulled by the other in {delta_s:.2f} s", flush=True)

            # Fan-in: many devices, each pushing its own changes at once.
            devices = []
            for d in range(args.devices):
                ident = Identity.generate()
                dev_id = f"bench{d:011d}"
                cid, key = protocol.code_keys(hub.new_enroll_code("fan"))
                keys = ident.public().to_json()
                hub.enroll({"v": 1, "device_id": dev_id, "code_id": cid, "keys": keys,
                            "mac": protocol.enroll_request_mac(key, dev_id, keys)})
                devices.append((dev_id, ident))
            server_keys, server_id = hub.public_keys(), hub.server_id
            import uuid

            def bundle_for(dev_id, ident):
                changes = [{"device_id": dev_id, "seq": s + 1, "record_id": str(uuid.uuid4()), "kind": "household",
                            "form_id": None, "form_version": None, "hlc": f"{(int(time.time() * 1000) << 16) + s:016x}",
                            "deleted": False, "fields": household(s), "bases": {}} for s in range(args.per_device)]
                req = protocol.SyncRequest(dev_id, changes, 0, 1)
                return seal(req.encode(), sender=ident, sender_id=dev_id, recipient=server_keys, recipient_id=server_id, kind="sync")

            bundles = [bundle_for(d, i) for d, i in devices]
            from sync.client import HttpTransport

            latencies, errors = [], []

            def push(data):
                t0 = time.perf_counter()
                try:
                    HttpTransport(server.url, timeout=120).sync(data)
                except Exception as exc:  # counted, and reported
                    errors.append(type(exc).__name__)
                latencies.append(time.perf_counter() - t0)

            t = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.devices) as pool:
                list(pool.map(push, bundles))
            fan_s = time.perf_counter() - t
            total = args.devices * args.per_device
            latencies.sort()
            out["fan_in_devices"] = args.devices
            out["fan_in_changes_per_s"] = round(total / fan_s)
            out["fan_in_p95_s"] = round(latencies[int(0.95 * (len(latencies) - 1))], 3)
            out["fan_in_errors"] = len(errors)
            print(f"fan-in: {args.devices} devices x {args.per_device} changes in {fan_s:.2f} s = {out['fan_in_changes_per_s']:,}/s, "
                  f"p95 {out['fan_in_p95_s']} s, errors {len(errors)}", flush=True)

        # A big USB bundle, without the HTTP server.
        c = SyncClient(new_store(base, "c"))
        code = hub.new_enroll_code("usb")
        from sync_helpers import HubTransport

        c._transport_for = HubTransport(hub)
        c.enroll("http://hub", code)
        c.store.save_records("household", (household(i) for i in range(args.bundle)))
        raw = sum(len(json.dumps(ch.to_json(), ensure_ascii=False).encode()) for ch in c.store.pending_changes())
        t = time.perf_counter()
        count = c.export_bundle(base / "big.fbb")
        export_s = time.perf_counter() - t
        size = (base / "big.fbb").stat().st_size
        t = time.perf_counter()
        result, _ = hub.receive(read_bundle_file(base / "big.fbb"))
        import_s = time.perf_counter() - t
        assert result.new == args.bundle
        out.update({"bundle_records": count, "bundle_export_s": round(export_s, 2), "bundle_import_s": round(import_s, 2),
                    "bundle_mb": round(size / 1e6, 2), "raw_json_mb": round(raw / 1e6, 2), "bundle_size_ratio": round(size / raw, 3)})
        print(f"bundle of {count:,} records: {size / 1e6:.1f} MB vs {raw / 1e6:.1f} MB raw JSON ({size / raw:.2f}); "
              f"export {export_s:.1f} s, import at the hub {import_s:.1f} s", flush=True)
        hub.close()
    out["targets_met"] = {
        "push": out["push_records_per_s"] >= 10_000, "pull": out["pull_records_per_s"] >= 10_000,
        "fan_in": out["fan_in_errors"] == 0 and out["fan_in_changes_per_s"] >= 5_000 and out["fan_in_p95_s"] <= 2,
        "bundle_size": out["bundle_size_ratio"] <= 0.5, "bundle_import": out["bundle_import_s"] <= 10,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
