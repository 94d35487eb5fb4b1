"""The hub under load: N real laptops against 1 and 2 server processes on PostgreSQL, and 1 on
SQLite, interleaved and repeated (issue 19, item 4).

    python bench/hub_load.py [--laptops 8] [--rounds 3] [--records 20] [--edits 5] [--repeat 2]
                             [--configs pg1,pg2,sqlite1] [--pg postgresql://...]

Each configuration gets a fresh data folder and database, and real ``server run`` processes
sharing them (one key file, one database). Every laptop is a real encrypted store. In each
round every laptop, at once, saves new records, edits records it holds (so edits of one field
are concurrent), laptop 0 deletes one, and each syncs with a process chosen in turn, so a
laptop switches processes between syncs. Then every laptop syncs until nothing moves, and the
digest of every laptop (values, deleted flags and per-field clocks of every record) must equal
the server's.

Reported per run: pushes (sync round trips that pushed) and changes moved per second, sync p95,
the server processes' CPU seconds and, on PostgreSQL, its backends' CPU seconds for this
database. The load driver (the laptops) runs in this process and takes a core of its own: on a
2-core machine, two server processes cannot be faster than one. Not a test; the last line is a
JSON summary.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from storage import Store, crypto  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync_helpers import make_hub  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process, its reaped children included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / TICK


class Server:
    def __init__(self, data: Path, db_url: str | None, *extra: str) -> None:
        args = [sys.executable, str(ROOT / "main.py"), "server", "run", "--data", str(data), "--port", "0", *extra]
        if db_url:
            args += ["--db", db_url]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        banner = self.proc.stdout.readline()
        if not banner:
            raise RuntimeError("the server did not start")
        self.url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def pids(self) -> list[int]:
        out = [self.proc.pid]
        for p in Path("/proc").iterdir():  # its workers, if any: the same process group
            if p.name.isdigit():
                try:
                    if os.getpgid(int(p.name)) == self.proc.pid and int(p.name) != self.proc.pid:
                        out.append(int(p.name))
                except OSError:
                    pass
        return out

    def cpu(self) -> float:
        return sum(cpu_s(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc.stdout.close()


def pg_backends_cpu(admin_url: str, name: str) -> float:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    return sum(cpu_s(pid) for pid in pids)


def digest(records: dict) -> str:
    """``{record_id: (deleted, fields, clocks)}`` -> one hash."""
    return hashlib.sha256(orjson.dumps(records, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def laptop_state(client: SyncClient) -> dict:
    return {r.id: [r.deleted, r.fields, r.clocks] for r in client.store.list_records(include_deleted=True)}


def run(config: str, args, base: Path, seed: int) -> dict:
    engine, processes = config[:-1], int(config[-1])
    data = base / config
    db_url, db_name = None, None
    if engine == "pg":
        import psycopg

        db_name = f"fieldbook_load_{os.getpid()}_{config}_{seed}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {db_name}")
        db_url = args.pg.rsplit("/", 1)[0] + "/" + db_name
    init = [sys.executable, str(ROOT / "main.py"), "server", "init", "--data", str(data)] + (["--db", db_url] if db_url else [])
    subprocess.run(init, cwd=ROOT, check=True, capture_output=True)
    servers = [Server(data, db_url) for _ in range(processes)]
    hub = make_hub(data, db_url)
    laptops = []
    try:
        for i in range(args.laptops):
            store, _ = Store.create(base / f"{config}-laptop{i}", user="Bench", passphrase="synthetic bench passphrase",
                                    kdf=crypto.fast_kdf_for_tests())
            client = SyncClient(store)
            client.enroll(servers[i % processes].url, hub.new_enroll_code("north"))
            laptops.append(client)
        cpu0 = sum(s.cpu() for s in servers)
        db0 = pg_backends_cpu(args.pg, db_name) if db_name else 0.0
        latencies: list[float] = []
        moved, pushes = 0, 0

        def work(i: int, r: int) -> tuple[float, int, int]:
            c = laptops[i]
            local = random.Random(seed * 1000 + r * 100 + i)
            c.store.save_records("household", [{"members": local.randint(1, 9), "note": f"synthetic {r}-{i}-{k}"}
                                               for k in range(args.records)])
            live = [rec.id for rec in c.store.list_records()]
            for rid in local.sample(live, min(args.edits, len(live))):
                c.store.edit_record(rid, {"members": local.randint(10, 99)})
            if i == 0 and live and r % 2 == 1:
                c.store.delete_record(local.choice(live))
            c.store.save_sync_settings(dict(c.store.sync_settings(), server_url=servers[(i + r) % processes].url))
            t = time.perf_counter()
            res = c.sync_now()
            return time.perf_counter() - t, res.pushed, res.pulled

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.laptops) as pool:
            for r in range(args.rounds):
                for took, pushed, pulled in pool.map(lambda i: work(i, r), range(args.laptops)):
                    latencies.append(took)
                    moved += pushed + pulled
                    pushes += pushed > 0
        for r in range(3):  # quiesce: until nothing moves
            quiet = True
            for i, c in enumerate(laptops):
                c.store.save_sync_settings(dict(c.store.sync_settings(), server_url=servers[(i + r) % processes].url))
                t = time.perf_counter()
                res = c.sync_now()
                latencies.append(time.perf_counter() - t)
                moved += res.pushed + res.pulled
                quiet = quiet and not (res.pushed or res.pulled)
            if quiet and r:
                break
        wall = time.perf_counter() - t0
        server_cpu = sum(s.cpu() for s in servers) - cpu0
        db_cpu = pg_backends_cpu(args.pg, db_name) - db0 if db_name else None
        server_digest = digest({rid: [rec["deleted"], rec["fields"], rec["clocks"]] for rid, rec in hub.records().items()})
        digests = [digest(laptop_state(c)) for c in laptops]
        latencies.sort()
        return {
            "config": config, "pushes": pushes, "changes_moved": moved, "wall_s": round(wall, 2),
            "changes_per_s": round(moved / wall), "sync_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            "sync_median_s": round(statistics.median(latencies), 3), "server_cpu_s": round(server_cpu, 2),
            "db_cpu_s": round(db_cpu, 2) if db_cpu is not None else None,
            "converged": all(d == server_digest for d in digests) and all(c.store.pending_count() == 0 for c in laptops),
            "records": len(hub.records()), "conflicts": len(hub.conflicts()),
        }
    finally:
        for c in laptops:
            c.store.close()
        hub.close()
        for s in servers:
            s.stop()
        if db_name:
            import psycopg

            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {db_name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--laptops", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--records", type=int, default=20, help="new records per laptop per round")
    ap.add_argument("--edits", type=int, default=5, help="edits per laptop per round, of records it holds")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--configs", default="pg1,pg2,sqlite1", help="engine and process count: pg1, pg2, sqlite1, ...")
    ap.add_argument("--pg", default=os.environ.get("FIELDBOOK_TEST_PG"), help="postgresql://... (a role that may create databases)")
    args = ap.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    if any(c.startswith("pg") for c in configs) and not args.pg:
        sys.exit("the pg configurations need --pg postgresql://... (or FIELDBOOK_TEST_PG)")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            for config in configs:  # interleaved: a slow spell of the machine spreads over every configuration
                result = run(config, args, Path(tmp) / f"rep{rep}", seed=rep + 1)
                runs.append(result)
                print(json.dumps(result), flush=True)
    summary: dict = {"laptops": args.laptops, "rounds": args.rounds, "repeat": args.repeat, "configs": {}}
    for config in configs:
        mine = [r for r in runs if r["config"] == config]
        summary["configs"][config] = {
            key: statistics.median(r[key] for r in mine)
            for key in ("changes_per_s", "sync_p95_s", "server_cpu_s", "pushes", "changes_moved")
        } | {"db_cpu_s": statistics.median(r["db_cpu_s"] for r in mine) if mine[0]["db_cpu_s"] is not None else None,
             "converged": all(r["converged"] for r in mine)}
    summary["all_converged"] = all(r["converged"] for r in runs)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
