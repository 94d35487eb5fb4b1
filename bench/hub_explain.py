"""The hub's hot-path queries under EXPLAIN on PostgreSQL at scale (issue 19, item 3).

    python bench/hub_explain.py --pg postgresql://... [--changes 1000000] [--conflicts 100000]

Fills a fresh database (made and dropped here) with synthetic rows straight in SQL: only ids,
teams, clocks and counts matter to a plan, so the sealed bodies are random bytes. Then prints
each query's plan, and whether it reads an index or the whole table. Not a test. The last line
is a JSON summary: per query, the plan's first line and its time in ms.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.server.db import Database  # noqa: E402

TEAMS, DEVICES = 20, 400

# (name, SQL with %s placeholders, arguments): the queries a push, a pull and the review run.
QUERIES = [
    ("pull page, by server_seq", "SELECT server_seq, device_id, seq, head, body FROM changes WHERE team = %s "
                                 "AND server_seq > %s ORDER BY server_seq LIMIT 200", ("team7", 500_000)),
    ("pull page", "SELECT server_seq, device_id, seq, head, body FROM changes WHERE team = %s AND server_seq > %s "
                  "ORDER BY team, server_seq LIMIT 200", ("team7", 500_000)),
    ("pull page, a small team", "SELECT server_seq, device_id, seq, head, body FROM changes WHERE team = %s "
                                "AND server_seq > %s ORDER BY team, server_seq LIMIT 200", ("small", 0)),
    ("pull page, a small team, by server_seq", "SELECT server_seq, device_id, seq, head, body FROM changes WHERE team = %s "
                                               "AND server_seq > %s ORDER BY server_seq LIMIT 200", ("small", 0)),
    ("push: device", "SELECT last_seq FROM devices WHERE device_id = %s", ("dev00000000042",)),
    ("push: replay", "SELECT 1 FROM seen_bundles WHERE bundle_id = %s", ("b42",)),
    ("push: records", "SELECT record_id, team, kind, clocks, deleted, body FROM records WHERE record_id IN (%s, %s, %s)",
     ("r000000000100", "r000000200000", "r000000400000")),
    ("push: resolve", "UPDATE conflicts SET resolution = 'kept' WHERE record_id = %s AND field = %s AND stamp = %s "
                      "AND resolution IS NULL", ("r000000000500", "f1", "s500")),
    ("reply: refusals", "SELECT seq, reason FROM refusals WHERE device_id = %s ORDER BY seq LIMIT 10000", ("dev00000000042",)),
    ("reply: catalogue", "SELECT id, form_id, version, title, sha256 FROM forms WHERE team IN (%s, '*') ORDER BY id", ("team7",)),
    ("reply: parked", "SELECT bundle_id, data FROM parked_bundles WHERE device_id = %s AND after <= "
                      "(SELECT last_seq FROM devices WHERE device_id = %s) ORDER BY after LIMIT 1",
     ("dev00000000042", "dev00000000042")),
    ("domain check: receipts", "SELECT record_id, team, deleted, body FROM records WHERE kind = %s ORDER BY record_id",
     ("receipt",)),
    ("conflicts --team", "SELECT id, record_id, team, kind, field, stamp, winner, found_at, body, resolution FROM conflicts "
                         "WHERE team = %s AND resolution IS NULL ORDER BY id", ("team7",)),
    ("conflicts (open)", "SELECT id, record_id, team, kind, field, stamp, winner, found_at, body, resolution FROM conflicts "
                         "WHERE resolution IS NULL ORDER BY id", ()),
    ("console: newest conflicts", "SELECT record_id, team, field, found_at FROM conflicts WHERE 1 = 1 AND team = %s "
                                  "ORDER BY id DESC LIMIT 20", ("team7",)),
    ("console: open conflicts", "SELECT count(*) FROM conflicts WHERE 1 = 1 AND team = %s", ("team7",)),
    ("console: record history", "SELECT device_id, seq, hlc, deleted, body, received_at FROM changes WHERE record_id = %s "
                                "ORDER BY server_seq", ("r000000000100",)),
    ("console: record conflicts", "SELECT field, stamp, winner, found_at, body FROM conflicts WHERE record_id = %s ORDER BY id",
     ("r000000000500",)),
    ("console: change feed", "SELECT server_seq, device_id, record_id, kind, received_at FROM changes WHERE server_seq > %s "
                             "ORDER BY server_seq LIMIT 2000", (900_000,)),
]


def fill(conn, changes: int, conflicts: int) -> None:
    records = changes // 2

    def q(sql: str) -> None:
        conn.execute(sql)  # no parameters: '%' is SQL's modulo here
    q(f"INSERT INTO devices (device_id, team, sign_key, box_key, enrolled_at, last_seq) "
      f"SELECT 'dev' || lpad(i::text, 11, '0'), 'team' || (i % {TEAMS}), 'k', 'k', 0, {changes // DEVICES} "
      f"FROM generate_series(0, {DEVICES - 1}) i")
    q(f"INSERT INTO records (record_id, team, kind, form_id, clocks, deleted, body) "
      f"SELECT 'r' || lpad(i::text, 12, '0'), 'team' || (i % {TEAMS}), "
      f"CASE WHEN i % 50 = 0 THEN 'receipt' WHEN i % 5 = 0 THEN 'household' ELSE 'submission' END, 'form' || (i % 10), "
      f"'{{}}', 0, decode(md5(i::text) || md5(i::text), 'hex') FROM generate_series(0, {records - 1}) i")
    q(f"INSERT INTO changes (device_id, seq, record_id, team, kind, hlc, deleted, body, received_at, head) "
      f"SELECT 'dev' || lpad((i % {DEVICES})::text, 11, '0'), i / {DEVICES} + 1, 'r' || lpad((i % {records})::text, 12, '0'), "
      f"'team' || ((i % {DEVICES}) % {TEAMS}), 'submission', lpad(to_hex(i), 16, '0'), 0, "
      f"decode(repeat(md5(i::text), 16), 'hex'), 0, decode(md5(i::text), 'hex') FROM generate_series(0, {changes - 1}) i")
    # A small team: 300 changes at the end of the log.
    q(f"INSERT INTO changes (device_id, seq, record_id, team, kind, hlc, deleted, body, received_at, head) "
      f"SELECT 'small0', i + 1, 'rs' || i, 'small', 'submission', lpad(to_hex(i), 16, '0'), 0, "
      f"decode(md5(i::text), 'hex'), 0, decode(md5(i::text), 'hex') FROM generate_series(0, 299) i")
    q(f"INSERT INTO conflicts (record_id, team, kind, field, stamp, winner, found_at, body, resolution) "
      f"SELECT 'r' || lpad((i * 3)::text, 12, '0'), 'team' || ((i * 3) % {TEAMS}), 'submission', 'f' || (i % 4), 's' || i, "
      f"'w', 0, decode(md5(i::text), 'hex'), CASE WHEN i % 3 = 0 THEN NULL ELSE 'kept' END "
      f"FROM generate_series(0, {conflicts - 1}) i")
    q(f"INSERT INTO refusals (device_id, seq, reason, refused_at) SELECT 'dev' || lpad((i % {DEVICES})::text, 11, '0'), i, "
      f"'local-only kind', 0 FROM generate_series(0, 9999) i")
    q("INSERT INTO seen_bundles SELECT 'b' || i, 'dev', 0 FROM generate_series(0, 99999) i")
    q("ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", required=True)
    ap.add_argument("--changes", type=int, default=1_000_000)
    ap.add_argument("--conflicts", type=int, default=100_000)
    args = ap.parse_args()
    import psycopg

    name = f"fieldbook_explain_{os.getpid()}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    summary = {}
    try:
        db = Database(url, ROOT)
        db.migrate()
        db.close()
        with psycopg.connect(url, autocommit=True) as conn:
            fill(conn, args.changes, args.conflicts)
            for title, sql, params in QUERIES:
                plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()]
                scans = [line.strip() for line in plan if "Seq Scan" in line]
                ms = next((float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time")), None)
                summary[title] = {"plan": plan[0].split("  (")[0].strip(), "ms": ms, "seq_scan": bool(scans)}
                print(f"-- {title}: {ms} ms{'  SEQ SCAN' if scans else ''}")
                for line in plan:
                    print("   " + line)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
