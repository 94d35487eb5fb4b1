"""Sync bundle benchmark: seal and open a sync-like JSON payload, in memory.

    python bench/bundle.py [--mb 50] [--runs 3]

Run from the project root. Prints figures as it goes and one JSON object on its
LAST line. It is not a test: nothing fails, it only measures. The payload is
made-up change records from a seeded random generator.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync.bundle import Identity, open_bundle, seal  # noqa: E402


def payload(mb: float, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    names = ["Олена", "Тарас", "Ірина", "Микола", "Оксана", "Андрій", "Галина", "Петро"]
    out, size, i = [], 0, 0
    while size < mb * 1_000_000:
        change = {
            "record_id": "%08x-%04x-7%03x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 12, 16, 48)),
            "kind": "household", "form_id": "household_needs", "form_version": "2024061201",
            "device": "%016x" % rng.getrandbits(64), "seq": i, "hlc": "%013d:%04d" % (1750000000000 + i * 37, i % 7),
            "fields": {
                "head_name": f"{rng.choice(names)} {rng.choice(names)}енко", "phone": "+38067%07d" % rng.randrange(10**7),
                "members": rng.randrange(1, 12), "settlement": rng.choice(["Харків", "Ізюм", "Балаклія", "Куп'янськ"]),
                "needs": rng.sample(["food", "water", "shelter", "health", "cash", "hygiene"], 3),
                "gps": [round(rng.uniform(49, 50), 6), round(rng.uniform(36, 37), 6)],
            },
        }
        text = json.dumps(change, ensure_ascii=False).encode()
        out.append(text)
        size += len(text) + 1
        i += 1
    return b"[" + b",".join(out) + b"]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = payload(args.mb)
    laptop, server = Identity.generate(), Identity.generate()
    keys = {"0123456789abcdef": laptop.public()}
    seals, opens = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        bundle = seal(data, sender=laptop, sender_id="0123456789abcdef", recipient=server.public(), recipient_id="server-0")
        t1 = time.perf_counter()
        opened = open_bundle(bundle, recipient=server, recipient_id="server-0", sender_key=keys.get)
        t2 = time.perf_counter()
        assert opened.payload == data
        seals.append(t1 - t0)
        opens.append(t2 - t1)
    mb = len(data) / 1e6
    seal_s, open_s = statistics.median(seals), statistics.median(opens)
    figures = {
        "payload_mb": round(mb, 1), "bundle_mb": round(len(bundle) / 1e6, 2), "ratio": round(len(bundle) / len(data), 3),
        "seal_s": round(seal_s, 3), "open_s": round(open_s, 3),
        "seal_mb_s": round(mb / seal_s), "open_mb_s": round(mb / open_s), "round_trip_mb_s": round(mb / (seal_s + open_s)),
        "python": platform.python_version(), "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }
    for key, value in figures.items():
        print(f"{key:>16}: {value}")
    figures["targets_met"] = {"ratio<=0.5": figures["ratio"] <= 0.5, "round_trip>50MB/s": figures["round_trip_mb_s"] > 50}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
