"""Sync benchmark on loopback: a real uvicorn server on 127.0.0.1, real stores.

    python bench/sync.py [--records 10000] [--devices 100] [--per-device 100] [--bundle 100000]
                         [--serve-changes 20000] [--serve-teams 5,50] [--pg URL]
    python bench/sync.py --initial-pull 1000000 [--pg URL] [--no-ahead] [--server-process] [--ids uuid4]
    python bench/sync.py --serve-only [--serve-changes N] [--serve-teams 5,50] [--pg URL]
    python bench/sync.py --apply 100000 [--profile FILE]   # only the laptop's side of an initial pull

``--apply N``: the laptop's own cost of an initial pull of N changes, without a server or
HTTP: replies sealed to the laptop beforehand (not timed), then opened and applied page by
page as ``SyncClient`` does, with the time per change split into decrypt (opening and
parsing the reply), check, merge, write (sealing, rows, audit), index and commit.

``--serve-*``: the server's own cost per pulled change (reply_bundle, no HTTP, no laptop),
for teams of each size, so that it can be seen not to grow with the team.

Prints figures as it goes and a JSON summary on its last line. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
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


def enroll_direct(hub, team: str, n: int, prefix: str = "bench") -> list:
    """Enroll ``n`` devices straight at the hub (no laptop store): [(device_id, identity)]."""
    devices = []
    for d in range(n):
        ident = Identity.generate()
        dev_id = f"{prefix}{d:011d}"[-16:]
        cid, key = protocol.code_keys(hub.new_enroll_code(team))
        keys = ident.public().to_json()
        hub.enroll({"v": 1, "device_id": dev_id, "code_id": cid, "keys": keys,
                    "mac": protocol.enroll_request_mac(key, dev_id, keys)})
        devices.append((dev_id, ident))
    return devices


def fill_log(hub, devices: list, total: int, team: str, ids: str = "uuid7") -> None:
    """``total`` new household changes spread over ``devices``, through the real push path.
    Record ids are UUIDv7, as laptops make them (``ids="uuid4"``: random ones, as this
    benchmark used before: at a million they land on random pages of the laptop's id indexes)."""
    import uuid

    from storage.ids import uuid7

    def new_id() -> str:
        return str(uuid.uuid4()) if ids == "uuid4" else uuid7()

    per = total // len(devices)
    now = int(time.time() * 1000) << 16
    for dev_id, _ in devices:
        for start in range(0, per, 10_000):
            changes = [{"device_id": dev_id, "seq": s + 1, "record_id": new_id(), "kind": "household",
                        "form_id": None, "form_version": None, "hlc": f"{now + s:016x}", "deleted": False,
                        "fields": household(s), "bases": {}} for s in range(start, min(per, start + 10_000))]
            hub.push(dev_id, team, changes)


def serve_all(hub, device_id: str, limit: int = protocol.DEFAULT_PULL_LIMIT) -> tuple[int, float]:
    """Pull everything for ``device_id`` the way a laptop would, server side only: (changes, CPU
    seconds of this process). CPU time, not wall time: the machine is shared, and another
    process's work must not count as the server's."""
    cursor, n, t = 0, 0, time.process_time()
    while True:
        _, reply = hub.reply_bundle(device_id, cursor=cursor, limit=limit, held_forms={},
                                    max_bytes=protocol.MAX_PUSH_BYTES)
        n += len(reply.changes)
        cursor = reply.cursor
        if not reply.more:
            return n, time.process_time() - t


def serve_cost(base: Path, teams: list[int], changes: int, pg: str | None) -> dict:
    """Server microseconds per pulled change, per team size (the same number of changes each)."""
    out = {}
    for run, size in enumerate(teams):
        hub = make_hub(base / f"serve{run}", pg_database(pg, f"serve{run}"))
        devices = enroll_direct(hub, "serve", size + 1, prefix=f"s{size}x")
        fill_log(hub, devices[:size], changes, "serve")
        newcomer = devices[size][0]  # a laptop of the team that holds nothing yet
        serve_all(hub, newcomer)  # warm the caches once
        runs = [serve_all(hub, newcomer) for _ in range(3)]
        n = runs[0][0]
        best = min(s for _, s in runs)
        out[str(size)] = round(best / n * 1e6, 2)
        print(f"serving pulls, team of {size}: {n:,} changes in {best:.2f} CPU s = {out[str(size)]} us per change "
              f"(best of 3)", flush=True)
        hub.close()
    return out


_PG_DATABASES: list[str] = []


def pg_database(pg: str | None, name: str) -> str | None:
    """A fresh PostgreSQL database for one measurement (dropped at the end), or None for SQLite."""
    if not pg:
        return None
    import psycopg

    db = f"fieldbook_bench_{os.getpid()}_{name}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    _PG_DATABASES.append(db)
    return pg.rsplit("/", 1)[0] + "/" + db


def drop_pg_databases(pg: str | None) -> None:
    if not pg:
        return
    import psycopg

    with psycopg.connect(pg, autocommit=True) as conn:
        for db in _PG_DATABASES:
            conn.execute(f"DROP DATABASE IF EXISTS {db}")


def initial_pull(base: Path, total: int, pg: str | None, fetch_ahead: bool = True, process: bool = False,
                 ids: str = "uuid7") -> dict:
    """A new laptop's first pull of ``total`` changes, end to end into a real store over HTTP,
    and the server's share of it alone. ``process``: the server is a ``server run`` process
    of its own (as in the field) rather than a thread of this one, so that its work does not
    share this interpreter's lock; its CPU is then counted apart."""
    hub = make_hub(base / "initial", pg_database(pg, "initial"))
    writers = enroll_direct(hub, "north", 5, prefix="w")
    t = time.perf_counter()
    fill_log(hub, writers, total, "north", ids=ids)
    print(f"initial pull: {total:,} changes pushed in {time.perf_counter() - t:.0f} s", flush=True)
    out = {"initial_pull_changes": total, "fetch_ahead": fetch_ahead, "server_process": process, "ids": ids}
    reader = enroll_direct(hub, "north", 1, prefix="r")[0][0]
    n, server_s = serve_all(hub, reader)
    out["initial_pull_server_only_cpu_s"] = round(server_s, 1)
    print(f"initial pull, server only: {n:,} changes in {server_s:.1f} CPU s", flush=True)
    if process:
        from hub_load import Server

        server = Server(base / "initial", pg_database(pg, "initial") if pg else None)
        url, stop = server.url, server.stop
    else:
        live = LiveServer(hub)
        server = live.__enter__()
        url, stop = server.url, lambda: live.__exit__(None, None, None)
    try:
        laptop = SyncClient(new_store(base, "newcomer"), fetch_ahead=fetch_ahead)
        laptop.enroll(url, hub.new_enroll_code("north"))
        t, cpu = time.perf_counter(), time.process_time()
        server_cpu = server.cpu() if process else 0.0
        pulled = 0
        while True:
            r = laptop.sync_now()
            pulled += r.pulled
            if not r.pulled:
                break
        e2e, e2e_cpu = time.perf_counter() - t, time.process_time() - cpu
        assert pulled == total, (pulled, total)
        out["initial_pull_end_to_end_s"] = round(e2e, 1)
        if process:
            out["initial_pull_laptop_cpu_s"] = round(e2e_cpu, 1)
            out["initial_pull_server_process_cpu_s"] = round(server.cpu() - server_cpu, 1)
            print(f"initial pull, end to end into a store: {pulled:,} changes in {e2e:.1f} s (laptop "
                  f"{e2e_cpu:.1f} CPU s, server process {out['initial_pull_server_process_cpu_s']:.1f} CPU s)", flush=True)
        else:
            # The server runs in a thread of this process: CPU here is the laptop's and the server's.
            out["initial_pull_end_to_end_cpu_s"] = round(e2e_cpu, 1)
            print(f"initial pull, end to end into a store: {pulled:,} changes in {e2e:.1f} s "
                  f"({e2e_cpu:.1f} CPU s, laptop and server together)", flush=True)
        laptop.store.close()
    finally:
        stop()
    hub.close()
    return out


class _Clock:
    """CPU seconds spent inside wrapped calls, by phase (for ``--apply``'s split; CPU, not
    wall time, because the machine may be shared). Nested calls count only in the inner phase."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list] = []

    def wrap(self, phase: str, fn):
        def timed(*args, **kwargs):
            frame = [phase, 0.0]
            self._stack.append(frame)
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.process_time() - t
                self._stack.pop()
                self.spent[phase] = self.spent.get(phase, 0.0) + took - frame[1]
                if self._stack:
                    self._stack[-1][1] += took
        return timed


def pulled_pages(total: int, page: int, writers: int = 5):
    """An initial pull's pages, as the server serves them: ``total`` new households from
    ``writers`` laptops, each origin's changes in sequence, interleaved by page. Record ids
    are UUIDv7, as laptops make them."""
    from storage.ids import uuid7

    now = int(time.time() * 1000) << 16
    seqs = [0] * writers
    for start in range(0, total, page):
        changes = []
        for i in range(start, min(total, start + page)):
            w = (i // 500) % writers
            seqs[w] += 1
            changes.append({"device_id": f"w{w:015d}", "seq": seqs[w], "record_id": uuid7(),
                            "kind": "household", "form_id": None, "form_version": None, "hlc": f"{now + i:016x}",
                            "deleted": False, "fields": household(i), "bases": {}})
        yield start + len(changes), changes


def laptop_apply(base: Path, total: int, page: int, profile: str | None) -> dict:
    """The laptop's side of an initial pull of ``total`` changes: open each reply, apply it."""
    import resource

    from storage import replica as replica_mod
    from sync.bundle import open_bundle
    from sync.merge import merge_change

    store = new_store(base, "apply")
    laptop, server = Identity.generate(), Identity.generate()
    sealed = []
    for cursor, changes in pulled_pages(total, page):
        reply = protocol.SyncReply(0, changes, cursor, more=cursor < total)
        sealed.append(seal(reply.encode(), sender=server, sender_id="server", recipient=laptop.public(),
                           recipient_id=store.device_id, kind="sync"))
    clock = _Clock()
    rep = store._replica
    orig_check = replica_mod.check_change
    replica_mod.check_change = clock.wrap("check", orig_check)
    rep._write = clock.wrap("write", rep._write)
    for name in ("insert", "reindex", "remove", "rows_for"):
        setattr(rep._index, name, clock.wrap("index", getattr(rep._index, name)))
    for name in ("row", "add_rows", "add"):
        setattr(rep._audit, name, clock.wrap("audit", getattr(rep._audit, name)))
    merge = clock.wrap("merge", merge_change)
    pkeys = server.public()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t, cpu = time.perf_counter(), time.process_time()
    try:
        while sealed:
            data = sealed.pop(0)
            t0 = time.process_time()
            opened = open_bundle(data, recipient=laptop, recipient_id=store.device_id, sender_key=lambda _sid: pkeys)
            reply = protocol.SyncReply.decode(opened.payload)
            clock.spent["decrypt"] = clock.spent.get("decrypt", 0.0) + time.process_time() - t0
            t0 = time.process_time()
            store.apply_changes(reply.changes, merge=merge, cursor=reply.cursor)
            clock.spent["apply"] = clock.spent.get("apply", 0.0) + time.process_time() - t0
    finally:
        replica_mod.check_change = orig_check
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    assert store.pull_cursor() == total
    store.close()
    spent = clock.spent
    inner = sum(v for k, v in spent.items() if k not in ("apply", "decrypt"))
    split = {k: round(v / total * 1e6, 1) for k, v in spent.items() if k != "apply"}
    split["rest"] = round((spent["apply"] - inner) / total * 1e6, 1)  # peers, rows read, pending, commit
    split["merge"] = split.get("merge", 0.0)  # 0 when every record is new here: its first change is the whole of it
    out = {"apply_changes": total, "apply_wall_s": round(wall, 1), "apply_cpu_s": round(cpu, 1),
           "apply_changes_per_s": round(total / wall), "apply_us_per_change": round(wall / total * 1e6, 1),
           "apply_us_split": split, "apply_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(f"laptop apply: {total:,} changes in {wall:.1f} s ({cpu:.1f} CPU s) = {out['apply_changes_per_s']:,}/s, "
          f"{out['apply_us_per_change']} us per change; CPU split (us per change): {split}; peak RSS {out['apply_peak_rss_mb']} MB",
          flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--per-device", type=int, default=100)
    ap.add_argument("--bundle", type=int, default=100_000)
    ap.add_argument("--serve-changes", type=int, default=20_000, help="changes in the log for the serving cost (0: skip)")
    ap.add_argument("--serve-teams", default="5,50", help="team sizes for the serving cost")
    ap.add_argument("--initial-pull", type=int, default=0, help="measure only a new laptop's initial pull of this many")
    ap.add_argument("--no-ahead", action="store_true",
                    help="with --initial-pull: apply each page before fetching the next (as before fetching ahead)")
    ap.add_argument("--server-process", action="store_true",
                    help="with --initial-pull: the server as a 'server run' process of its own, its CPU counted apart")
    ap.add_argument("--ids", choices=("uuid7", "uuid4"), default="uuid7",
                    help="with --initial-pull: record ids as laptops make them (uuid7) or random (uuid4, as before)")
    ap.add_argument("--serve-only", action="store_true", help="measure only the serving cost")
    ap.add_argument("--apply", type=int, default=0, help="measure only the laptop's apply of an initial pull of this many")
    ap.add_argument("--page", type=int, default=protocol.DEFAULT_PULL_LIMIT, help="changes per reply for --apply")
    ap.add_argument("--profile", default=None, help="with --apply: write a profile of the apply to this file")
    ap.add_argument("--pg", default=None, help="postgresql://... for the serving and initial-pull figures (default SQLite)")
    args = ap.parse_args()
    out: dict = {}
    if args.apply:
        with tempfile.TemporaryDirectory() as tmp:
            out.update(laptop_apply(Path(tmp), args.apply, args.page, args.profile))
        print(json.dumps(out))
        return
    if args.initial_pull:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                out.update(initial_pull(Path(tmp), args.initial_pull, args.pg, fetch_ahead=not args.no_ahead,
                                        process=args.server_process, ids=args.ids))
            finally:
                drop_pg_databases(args.pg)
        print(json.dumps(out))
        return
    if args.serve_changes:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                teams = [int(t) for t in args.serve_teams.split(",")]
                out["serve_us_per_change_by_team"] = serve_cost(Path(tmp), teams, args.serve_changes, args.pg)
            finally:
                drop_pg_databases(args.pg)
    if args.serve_only:
        print(json.dumps(out))
        return
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
        # An outbox over the part size goes into parts beside the path (export_parts).
        parts = c.export_parts(base / "big.fbb")
        count = sum(n for _, n in parts)
        export_s = time.perf_counter() - t
        size = sum(path.stat().st_size for path, _ in parts)
        t = time.perf_counter()
        new = sum(hub.receive(read_bundle_file(path))[0].new for path, _ in parts)
        import_s = time.perf_counter() - t
        assert new == args.bundle, (new, args.bundle)
        out["bundle_parts"] = len(parts)
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
