"""The "stranded clock" case, end to end over HTTP on loopback (docs/sync.md, "Clocks far
ahead or far behind"): a laptop whose date was a year ahead makes changes, the date is
fixed, and it syncs until its changes reach the hub. Then a laptop a year behind.

    python bench/stranded_clock.py [--records N] [--edits N] [--max-syncs N]

Prints what the person is told at each step, and one JSON line: how many syncs and how
long until the laptop recovered, and where the hub's clock and the other laptop's stood.
The laptop's date is moved by giving its clock another wall time; the server's is real.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from storage import Store, crypto  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync_helpers import LiveServer, make_hub  # noqa: E402

YEAR_MS = 365 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000


def real_ms() -> int:
    return time.time_ns() // 1_000_000


def laptop(base: Path, name: str, url: str, hub) -> SyncClient:
    store, _ = Store.create(base / name, user="Bench User", passphrase="bench passphrase 1", kdf=crypto.fast_kdf_for_tests())
    client = SyncClient(store)
    client.enroll(url, hub.new_enroll_code("north"))
    return client


def set_date(client: SyncClient, offset_ms: int) -> None:
    client.store.clock._now_ms = lambda: real_ms() + offset_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--max-syncs", type=int, default=20)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # one warning per change pulled by the laptop a year behind
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="fieldbook-clock-") as tmp:
        base = Path(tmp)
        hub = make_hub(base / "hub")
        with LiveServer(hub) as server:
            a, b = laptop(base, "a", server.url, hub), laptop(base, "b", server.url, hub)
            set_date(a, YEAR_MS)
            ids = a.store.save_records("household", [{"members": i % 9 + 1, "head_name": f"Синтетична {i}"}
                                                     for i in range(args.records)])
            for rid in ids[:args.edits]:
                a.store.edit_record(rid, {"members": 10})
            r = a.sync_now()
            print(f"date a year ahead: pushed {r.pushed}, pending {a.store.pending_count()}")
            print(f"  told: {r.warning}")
            b.sync_now()
            out["ahead_pushed"] = r.pushed
            out["hub_clock_ahead_of_real_days"] = round(((hub._hlc >> 16) - real_ms()) / DAY_MS, 2)
            out["other_laptop_clock_ahead_of_real_days"] = round(((b.store.clock.last >> 16) - real_ms()) / DAY_MS, 2)

            set_date(a, 0)
            print("date fixed")
            started, syncs, told = time.perf_counter(), 0, None
            while a.store.pending_count() and syncs < args.max_syncs:
                r = a.sync_now()
                syncs += 1
                told = r.warning
            took = time.perf_counter() - started
            out["syncs_until_recovered"] = syncs if not a.store.pending_count() else None
            out["pending_after"] = a.store.pending_count()
            out["recovery_s"] = round(took, 3)
            out["restamped"] = getattr(r, "restamped", None)
            print(f"after {syncs} sync(s) in {took:.2f} s: pending {a.store.pending_count()}")
            print(f"  told: {told}")
            if hasattr(a.store, "clock_status"):
                from sync.client import clock_note

                state, words = clock_note(a.store.clock_status())
                out["status_clock"] = state
                print(f"  sync status says ({state}): {words}")
            b.sync_now()
            out["other_laptop_records"] = b.store.count_records("household")
            same = sum(1 for rid in ids if b.store.get_record(rid).fields == a.store.get_record(rid).fields) \
                if out["other_laptop_records"] == len(ids) else 0
            out["records_equal_on_both"] = same
            if out["other_laptop_records"]:
                e = ids[0]
                b.store.edit_record(e, {"members": 3})
                b.sync_now(); a.sync_now()
                out["later_edit_from_other_laptop_wins"] = a.store.get_record(e).fields["members"] == 3

            c = laptop(base, "c", server.url, hub)
            set_date(c, -YEAR_MS)
            c.store.save_record("household", {"members": 1})
            r = c.sync_now()
            out["behind_warning"] = r.warning
            print(f"date a year behind: pushed {r.pushed}")
            print(f"  told: {r.warning}")
            # An edit made now on the laptop a year behind, after an older one from a laptop
            # with the right date: does it win, as it should?
            rid = b.store.save_record("household", {"members": 5})
            b.sync_now(); c.sync_now()
            c.store.edit_record(rid, {"members": 6})
            c.sync_now(); b.sync_now()
            out["behind_laptops_newer_edit_wins"] = b.store.get_record(rid).fields["members"] == 6
        hub.close()
        for client in (a, b, c):
            client.store.close()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
