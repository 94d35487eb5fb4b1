"""Hub console benchmark at 1,000,000 submissions: data-table pages, the export, the OData feed.

    python bench/hub.py [--records 1000000] [--pg postgresql://...] [--quick] [--no-export]

Seeds a hub's database straight through SQL (sealed bodies, the console's index rows and
answer tokens, as ``Index.catch_up`` writes them), then on SQLite, and on PostgreSQL too
with ``--pg`` (a role that may create databases):

- the console's index queries (``Index.page``): first page, team, device, date range,
  answer filters, a page deep in the table; each the median of 5;
- the data table as a browser gets it (HTTP, signed in, HTML rendered): the first page
  and filtered pages (team, answer value); target 300 ms or less each;
- OData paging over HTTP with a token: the first page of 1,000, a page ten links in,
  ``$skip`` half-way, a time-filtered page, ``$count``, a repeat's page;
- the export of every submission to XLSX and to CSV, each in a fresh process (so its
  peak resident memory is the export's own): the rate and the peak RSS.

``--quick`` runs at 50,000 submissions. Prints figures as it goes and a JSON summary on its
last line. Not a test. Wall times on a shared machine are noisy: say so when quoting them.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

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
    with db.transaction():  # the counts the index keeps (migration 0020), as its catch-up would have
        db.execute("DELETE FROM console_counts")
        db.execute("INSERT INTO console_counts (form_id, team, n) SELECT form_id, team, count(*) FROM console_rows "
                   "WHERE deleted = 0 GROUP BY form_id, team")
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


def http_pages(live, hub) -> dict:
    """The data table as a signed-in browser gets it: query, decryption and HTML, over HTTP."""
    from console_helpers import Browser, add_user

    add_user(hub, "bench.admin", "admin")
    b = Browser(live.url)
    b.login("bench.admin")
    token = Index(hub).token(HH, "settlement", "Settlement 421")
    cases = {
        "http_first_page": f"/console/data/{HH}",
        "http_team_page": f"/console/data/{HH}?team=south",
        "http_answer_page": f"/console/data/{HH}?" + urlencode({"field": "settlement", "match": token}),
        "http_review_page": f"/console/data/{HH}?review=received&team=north",
    }
    out = {}
    for name, path in cases.items():
        def get(path=path):
            status, _, page = b.get(path)
            assert status == 200 and page.count("record-link") >= 1, (name, status)
        out[name + "_ms"] = round(timed(get), 1)
        print(f"  {name}: {out[name + '_ms']} ms", flush=True)
    return out


def odata_pages(live, hub) -> dict:
    import requests

    from sync.server.api import tokens

    token, _ = tokens.add_token(hub.db, name="bench", teams=["*"], forms=[HH], days=1, created_by="bench")
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    base = f"{live.url}/api/v1/forms/{HH}.svc"
    out = {}

    def page(url, params=None):
        r = s.get(url, params=params, timeout=600)
        r.raise_for_status()
        return r.json()

    t = time.perf_counter()
    body = page(base + "/Submissions")
    out["odata_first_page_ms"] = round((time.perf_counter() - t) * 1000, 1)
    rows, took = len(body["value"]), []
    for _ in range(9):
        if "@odata.nextLink" not in body:
            break
        t = time.perf_counter()
        body = page(body["@odata.nextLink"])
        took.append(time.perf_counter() - t)
        rows += len(body["value"])
    out["odata_next_link_median_ms"] = round(statistics.median(took) * 1000, 1)
    out["odata_rows_per_s"] = round(1000 / statistics.median(took))
    t = time.perf_counter()
    page(base + "/Submissions", {"$skip": str(n_half(hub))})
    out["odata_skip_half_ms"] = round((time.perf_counter() - t) * 1000, 1)
    mid = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 180 * 86_400))
    out["odata_time_filter_ms"] = round(timed(lambda: page(base + "/Submissions", {"$filter": f"__submissionDate ge {mid}"}), 3), 1)
    out["odata_count_ms"] = round(timed(lambda: s.get(base + "/Submissions/$count", timeout=600).raise_for_status(), 3), 1)
    out["odata_repeat_page_ms"] = round(timed(lambda: page(base + "/Submissions.members"), 3), 1)
    for k, v in out.items():
        print(f"  {k}: {v}", flush=True)
    print(f"  ({len(took) + 1} pages read: {rows:,} rows)", flush=True)
    return out


def n_half(hub) -> int:
    return hub.db.execute("SELECT count(*) FROM records")[0][0] // 2


def export_in_child(data: Path, db_url: str | None, fmt: str, tmp: Path) -> dict:
    """Export every submission in a fresh process; its peak RSS is the export's own."""
    out = tmp / f"export.{fmt}"
    cmd = [sys.executable, __file__, "--export-child", str(data), "--fmt", fmt, "--out", str(out)]
    if db_url:
        cmd += ["--db", db_url]
    line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    got = json.loads(line)
    size = sum(p.stat().st_size for p in tmp.glob(f"export*.{fmt}"))
    print(f"  export {fmt}: {got['records']:,} submissions in {got['seconds']:.1f} s = {got['per_s']:,}/s "
          f"(CPU {got['cpu_per_s']:,}/s); peak RSS {got['peak_rss_mib']} MiB (at start {got['start_rss_mib']} MiB); "
          f"{size / 2**20:.0f} MiB written", flush=True)
    for p in tmp.glob(f"export*.{fmt}"):
        p.unlink()
    return {f"export_{fmt}_{k}": v for k, v in got.items()} | {f"export_{fmt}_mib": round(size / 2**20)}


def export_child(args) -> None:
    from sync.server.console.exports import hub_form
    from sync.server.settings import Settings
    from sync.server.hub import Hub

    hub = Hub(Settings(data_dir=Path(args.export_child), db_url=args.db))
    hub_form(hub, HH)  # loading the form is not the export's cost
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, c = time.perf_counter(), time.process_time()
    summary = export_submissions(hub, ExportRequest(HH, args.fmt, None), Path(args.out), actor="bench")
    took, cpu = time.perf_counter() - t, time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hub.close()
    print(json.dumps({"records": summary.records, "seconds": round(took, 1), "per_s": round(summary.records / took),
                      "cpu_per_s": round(summary.records / cpu), "peak_rss_mib": round(peak / 1024, 1),
                      "start_rss_mib": round(start_rss / 1024, 1)}))


def run(db_url: str | None, n: int, export: bool, tmp: Path) -> dict:
    from sync_helpers import LiveServer

    hub = make_hub(tmp / "hub", db_url)
    try:
        seed(hub, n)
        result = {"records": n, **pages(hub, n)}
        with LiveServer(hub) as live:
            result.update(http_pages(live, hub))
            result.update(odata_pages(live, hub))
    finally:
        hub.close()
    if export:
        for fmt in ("xlsx", "csv"):
            result.update(export_in_child(tmp / "hub", db_url, fmt, tmp))
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="50,000 submissions: a run of a few minutes")
    ap.add_argument("--pg", help="a PostgreSQL URL whose role may create databases")
    ap.add_argument("--no-export", action="store_true", help="skip the exports")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--export-child", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--fmt", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.export_child:
        export_child(args)
        return
    n = 50_000 if args.quick else args.records
    summary = {}
    with tempfile.TemporaryDirectory(prefix="fieldbook-bench-hub-") as tmp:
        if not args.skip_sqlite:
            print("SQLite:", flush=True)
            summary["sqlite"] = run(None, n, not args.no_export, Path(tmp) / "sqlite")
        if args.pg:
            import psycopg

            name = f"fbbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")
            try:
                print("PostgreSQL:", flush=True)
                summary["postgresql"] = run(f"{args.pg.rpartition('/')[0]}/{name}", n, not args.no_export, Path(tmp) / "pg")
            finally:
                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
