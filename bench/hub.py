"""Hub console benchmark: the data table's pages at 1,000,000 submissions, and a streamed export.

    python bench/hub.py [--records 1000000] [--pg postgresql://...] [--export 100000]

Seeds a hub's database straight through SQL (sealed bodies, the console's index rows and
answer tokens, as ``Index.catch_up`` writes them), then times ``Index.page``: the first
page, a team's, a device's, a date range, an answer filter (rare and common values) and a
page deep in the table; each the median of 5. Then exports ``--export`` submissions to
XLSX through ``server export``'s code, with the rate and the peak memory (tracemalloc).
On SQLite always; on PostgreSQL too with ``--pg`` (a role that may create databases).
Prints figures as it goes and a JSON summary on its last line. Not a test.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import orjson  # noqa: E402

from console_helpers import uuid7_at  # noqa: E402
from sync.server.console.data import Filter, Index, day_of  # noqa: E402
from sync.server.console.exports import ExportRequest, export_submissions  # noqa: E402
from sync_helpers import make_hub  # noqa: E402

HH = "household_needs"
TEAMS = ["north", "south", "east", "west"]
DEVICES = [f"laptop-{t}-{i:02d}" for t in TEAMS for i in range(25)]


def fields(i: int) -> dict:
    return {"consent": "yes" if i % 10 else "no", "oblast": "UA63", "settlement": f"Settlement {i % 1000}",
            "hh_size": i % 9 + 1, "priority_needs": ["food water", "heating", "hygiene shelter_repair"][i % 3],
            "members": [{"member_age": 20 + i % 60, "member_sex": "female" if i % 2 else "male"}]}


def seed(hub, n: int) -> None:
    index, db = Index(hub), hub.db
    start_ms = int(time.time() * 1000) - 365 * 86_400_000
    step = max(1, 365 * 86_400_000 // n)
    t0 = time.perf_counter()
    chunk = 20_000
    pg = db.dialect == "postgresql"
    for base in range(0, n, chunk):
        records, rows, terms = [], [], []
        for i in range(base, min(n, base + chunk)):
            created = start_ms + i * step
            rid = uuid7_at(created, i)
            team, device = TEAMS[i % 4], DEVICES[i % 100]
            f = fields(i)
            records.append((rid, team, "submission", HH, "2026.11.1", "{}", 0, hub._sealer.seal(f"record|{rid}", orjson.dumps(f))))
            rows.append((rid, HH, team, device, created, day_of(created), created, 0))
            terms += [(t, created, rid) for t in index._terms(HH, f)]
        if pg:
            with db._conn().cursor() as cur:
                for table, cols, data in (("records", "record_id, team, kind, form_id, form_version, clocks, deleted, body", records),
                                          ("console_rows", "record_id, form_id, team, device_id, created_ms, day, updated_ms, deleted", rows),
                                          ("console_terms", "token, created_ms, record_id", terms)):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in data:
                            copy.write_row(row)
        else:
            with db.transaction():
                db.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?)", records)
                db.executemany("INSERT INTO console_rows (record_id, form_id, team, device_id, created_ms, day, updated_ms, deleted) "
                               "VALUES (?,?,?,?,?,?,?,?)", rows)
                db.executemany("INSERT INTO console_terms VALUES (?,?,?)", terms)
        if (base // chunk) % 10 == 0:
            print(f"  seeded {base + len(records):,} in {time.perf_counter() - t0:.0f} s", flush=True)
    if pg:
        db.execute("ANALYZE")
    else:
        db.execute("ANALYZE")
    print(f"seeded {n:,} submissions ({db.dialect}) in {time.perf_counter() - t0:.0f} s", flush=True)


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def pages(hub, n: int) -> dict:
    index = Index(hub)
    rows, key = index.page(HH, scope=None, flt=Filter())
    for _ in range(5):  # a few pages in
        rows, key = index.page(HH, scope=None, flt=Filter(), after=key)
    mid_ms = int(time.time() * 1000) - 180 * 86_400_000
    cases = {
        "first_page": lambda: index.page(HH, scope=None, flt=Filter()),
        "team_page": lambda: index.page(HH, scope=None, flt=Filter(team="south")),
        "viewer_scope_page": lambda: index.page(HH, scope=("east",), flt=Filter()),
        "device_page": lambda: index.page(HH, scope=None, flt=Filter(device="laptop-west-07")),
        "date_range_page": lambda: index.page(HH, scope=None, flt=Filter(date_from=mid_ms, date_to=mid_ms + 7 * 86_400_000)),
        "answer_rare_page": lambda: index.page(HH, scope=None, flt=Filter(field="settlement", token=index.token(HH, "settlement", "Settlement 421"))),
        "answer_common_page": lambda: index.page(HH, scope=None, flt=Filter(field="consent", token=index.token(HH, "consent", "no"))),
        "answer_and_team_page": lambda: index.page(HH, scope=None, flt=Filter(team="north", field="priority_needs", token=index.token(HH, "priority_needs", "heating"))),
        "next_page_deep": lambda: index.page(HH, scope=None, flt=Filter(), after=key),
    }
    # the Overview and the Data list count over the whole index
    cases["overview_per_form_ms"] = lambda: index.form_counts(None)
    cases["overview_per_day_ms"] = lambda: index.per_day(None)
    cases["viewer_per_form_ms"] = lambda: index.form_counts(("east",))
    out = {}
    for name, fn in cases.items():
        key_name = name if name.endswith("_ms") else name + "_ms"
        got = fn()
        rows = len(got[0]) if isinstance(got, tuple) else len(got)
        out[key_name] = round(timed(fn), 1)
        print(f"  {key_name[:-3]}: {out[key_name]} ms ({rows} rows)", flush=True)
    return out


def export(hub, tmp: Path, limit: int) -> dict:
    from sync.server.console.exports import hub_form

    out = tmp / "export.xlsx"
    hub_form(hub, HH)  # loading the form (once per process) is not the export's cost
    tracemalloc.start()
    t = time.perf_counter()
    summary = export_submissions(hub, ExportRequest(HH, "xlsx", ("north",)), out, actor="bench")
    took = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  export: {summary.records:,} submissions to XLSX in {took:.1f} s = {summary.records / took:,.0f}/s, "
          f"peak Python memory {peak / 2**20:.1f} MiB, file {out.stat().st_size / 2**20:.1f} MiB", flush=True)
    return {"export_records": summary.records, "export_per_s": round(summary.records / took), "export_peak_mib": round(peak / 2**20, 1)}


def run(db_url: str | None, n: int, export_n: int, tmp: Path) -> dict:
    hub = make_hub(tmp / "hub", db_url)
    try:
        seed(hub, n)
        result = {"records": n, **pages(hub, n)}
        if export_n:
            result.update(export(hub, tmp, export_n))
        return result
    finally:
        hub.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--pg", help="a PostgreSQL URL whose role may create databases")
    ap.add_argument("--export", type=int, default=1, help="0: skip the export (it exports the north team: a quarter)")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    summary = {}
    with tempfile.TemporaryDirectory(prefix="fieldbook-bench-hub-") as tmp:
        if not args.skip_sqlite:
            print("SQLite:", flush=True)
            summary["sqlite"] = run(None, args.records, args.export, Path(tmp) / "sqlite")
        if args.pg:
            import psycopg

            name = f"fbbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")
            try:
                print("PostgreSQL:", flush=True)
                summary["postgresql"] = run(f"{args.pg.rpartition('/')[0]}/{name}", args.records, args.export, Path(tmp) / "pg")
            finally:
                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
