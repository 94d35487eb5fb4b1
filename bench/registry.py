"""Registry benchmark: duplicate detection's precision, recall and F1 (overall and for each
kind of variation, a spouse registering instead of the head on a line of its own), how it
treats the planted non-duplicates, and its time and peak
memory on 20,000 and 100,000 households.

    python bench/registry.py [--sizes 20000,100000] [--seed 1] [--dup-rate 0.10] [--no-store]
    python bench/registry.py --gui 100000     the Registry screen's GUI-thread stalls

Run from the project root. Each list is made by distributions.synthetic (every person
made up, deterministic by seed) and written to a CSV file under a temporary folder;
detection then runs in a fresh child process that reads the CSV, so its time and peak
memory are detection's own (reading the file, normalising, blocking, comparing), not
the generator's. A second child imports the same CSV into a new encrypted profile
(``registry import``'s path) and finds duplicates from the store, as a desk would.
The figures print as they go, and one JSON object on the LAST line.
It is not a test: nothing fails, it only measures.
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"precision": 0.98, "recall": 0.96, "seconds_20k": 10.0, "seconds_100k": 60.0, "peak_mb_100k": 1024.0}


def _cpu() -> float:
    """CPU seconds of this process: on a shared, loaded machine wall time overstates the cost."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return round(u.ru_utime + u.ru_stime, 2)


def child(csv_path: str, out_path: str) -> None:
    """Time reading the list and finding duplicates; print one JSON line."""
    t0 = time.perf_counter()
    from distributions import matching as M  # the import is part of the cost

    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    t1 = time.perf_counter()
    marks = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:  # a stage's last call: when it ended
            marks[stage] = time.perf_counter()

    found = M.find_duplicates(rows, progress=progress)
    t2 = time.perf_counter()
    with open(out_path, "w", encoding="utf-8") as f:
        for c in found:
            f.write(f"{c.ref_a},{c.ref_b},{c.score}\n")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "rows": len(rows), "candidates": len(found), "read_s": round(t1 - t0, 2),
        "prepare_s": round(marks.get("prepared", t2) - t1, 2),
        "block_s": round(marks.get("blocked", t2) - marks.get("prepared", t1), 2),
        "compare_s": round(t2 - marks.get("blocked", t1), 2),
        "total_s": round(t2 - t0, 2), "cpu_s": _cpu(), "peak_mb": round(peak_mb, 1),
    }))


def store_child(csv_path: str, out_path: str, profile: str) -> None:
    """Time the desk's path: import the list into a new encrypted profile, then find
    duplicates from the store (decrypting every household). One JSON line."""
    t0 = time.perf_counter()
    from distributions import registry
    from storage import Store

    store, _ = Store.create(profile, user="Bench", passphrase="synthetic bench passphrase")
    t1 = time.perf_counter()
    report = registry.import_list(store, csv_path)
    t2 = time.perf_counter()
    found = registry.find_duplicates(store)
    t3 = time.perf_counter()
    with open(out_path, "w", encoding="utf-8") as f:
        for c in found:
            f.write(f"{c.ref_a},{c.ref_b},{c.score}\n")
    # Registration time: load the local registry once (the app does it on a worker), then
    # check households one by one as a person registers them (rows of the list itself,
    # so every check finds at least the household it came from: the dearer case).
    from distributions import registration

    t4, c4 = time.perf_counter(), time.process_time()
    index = registration.LocalRegistry.load(store)
    t5, c5 = time.perf_counter(), time.process_time()
    with open(csv_path, encoding="utf-8", newline="") as f:
        sample = [row for n, row in enumerate(csv.DictReader(f)) if n % max(1, report.added // 500) == 0][:500]
    checks = []
    for row in sample:
        entry = {k: row.get(k) for k in ("head_name", "dob", "phone", "settlement")}
        c0 = time.perf_counter()
        index.check(entry)
        checks.append((time.perf_counter() - c0) * 1000)
    checks.sort()
    store.close()
    print(json.dumps({
        "registry_load_s": round(t5 - t4, 2), "registry_load_cpu_s": round(c5 - c4, 2), "check_ms_median": round(checks[len(checks) // 2], 2),
        "check_ms_p95": round(checks[int(len(checks) * 0.95)], 2), "check_ms_max": round(checks[-1], 2),
        "imported": report.added, "rejected": report.rejected, "candidates": len(found),
        "profile_create_s": round(t1 - t0, 2), "import_s": round(t2 - t1, 2), "detect_s": round(t3 - t2, 2),
        "import_and_detect_s": round(t3 - t1, 2), "cpu_s": _cpu(),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


def gui_child(n: int, tmp: str) -> None:
    """The Registry screen on a profile of ``n`` households: the GUI thread's longest stall
    while the registry loads, while duplicates are found, and while a search runs. One JSON line."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from distributions import registry, synthetic
    from gui.app import application, make_window
    from gui_probes import stall_during  # bench/ is on the path: this script runs from it
    from gui.screens.unlock import UnlockScreen
    from gui.screenshots import _wait
    from storage import Store, crypto

    data = synthetic.generate(n, dup_rate=0.10, seed=1)
    profile = Path(tmp) / f"gui_profile_{n}"
    store, _ = Store.create(profile, user="Bench", passphrase="synthetic bench passphrase", kdf=crypto.fast_kdf_for_tests())
    registry.ensure_indexes(store)
    store.save_records("household", [{"head_name": r["head_name"], "dob": r.get("dob") or None, "phone": r.get("phone") or None,
                                      "settlement": r.get("settlement") or None, "external_ref": r["reg_id"]}
                                     for r in data.rows])
    store.close()
    application()
    w = make_window(profile, kdf=crypto.fast_kdf_for_tests())
    w.resize(1366, 768)
    w.show()
    _wait(lambda: isinstance(w.centralWidget(), UnlockScreen))
    w.centralWidget().passphrase.setText("synthetic bench passphrase")
    w.centralWidget().on_unlock_clicked()
    _wait(lambda: hasattr(w, "home"), ms=60_000)
    w.ctx.loop.stop()
    out = {"households": len(data.rows)}
    began = time.perf_counter()
    out["idle"] = stall_during(lambda: None, lambda: time.perf_counter() - began > 2)  # the machine's own noise
    out["load"] = stall_during(lambda: w.show_screen("registry"), lambda: w.registry.index is not None, ms=600_000)
    reg = w.registry
    out["find_duplicates"] = stall_during(lambda: reg.tabs.setCurrentIndex(1), lambda: reg.queue_list.count() > 0,
                                          ms=600_000)
    out["pairs"] = reg.queue_list.count()
    reg.tabs.setCurrentIndex(0)
    out["search"] = stall_during(lambda: (reg.search.setText("Шевченко"), reg.run_search()),
                                 lambda: reg.results.rowCount() > 0, ms=60_000)
    w.close()
    print(json.dumps(out))


def run_size(n: int, seed: int, dup_rate: float, tmp: Path, with_store: bool) -> dict:
    from distributions import synthetic as S

    data = S.generate(n, dup_rate=dup_rate, seed=seed)
    path = tmp / f"list_{n}.csv"
    columns = list(data.rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, columns)
        w.writeheader()
        w.writerows(data.rows)
    out = tmp / f"pairs_{n}.csv"
    proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(out)],
                          capture_output=True, text=True, check=True)
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    found = set()
    with open(out, encoding="utf-8") as f:
        for line in f:
            a, b, _ = line.rstrip("\n").split(",")
            found.add((a, b))
    score = S.evaluate(found, data)
    via_store = {}
    if with_store:
        out2 = tmp / f"pairs_store_{n}.csv"
        proc = subprocess.run([sys.executable, __file__, "--store-child", str(path), str(out2),
                               str(tmp / f"profile_{n}")], capture_output=True, text=True, check=True)
        via_store = json.loads(proc.stdout.strip().splitlines()[-1])
        found2 = set()
        with open(out2, encoding="utf-8") as f:
            for line in f:
                a, b, _ = line.rstrip("\n").split(",")
                found2.add((a, b))
        s2 = S.evaluate(found2, data)
        via_store.update(precision=s2.precision, recall=s2.recall, f1=s2.f1,
                         spouse=s2.per_variation.get(S.SPOUSE, {"found": 0, "of": 0, "recall": 1.0}))
    return {"households": len(data.rows), "true_pairs": len(data.duplicates), **timing, "via_store": via_store,
            "precision": score.precision, "recall": score.recall, "f1": score.f1,
            "true_pos": score.true_pos, "false_pos": score.false_pos, "false_neg": score.false_neg,
            "spouse": score.per_variation.get(S.SPOUSE, {"found": 0, "of": 0, "recall": 1.0}),
            "per_variation": score.per_variation, "non_duplicates_paired": score.per_negative}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-rate", type=float, default=0.10)
    ap.add_argument("--no-store", action="store_true", help="skip the import-into-a-profile run")
    ap.add_argument("--child", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--store-child", nargs=3, metavar=("CSV", "OUT", "PROFILE"), help=argparse.SUPPRESS)
    ap.add_argument("--gui", type=int, metavar="N",
                    help="instead: the Registry screen's GUI-thread stalls on a profile of N households")
    ap.add_argument("--gui-child", nargs=2, metavar=("N", "TMP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.gui_child:
        gui_child(int(args.gui_child[0]), args.gui_child[1])
        return
    if args.gui:
        tmp = Path(tempfile.mkdtemp(prefix="fieldbook-registry-gui-bench-"))
        try:
            proc = subprocess.run([sys.executable, __file__, "--gui-child", str(args.gui), str(tmp)],
                                  capture_output=True, text=True, check=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        for stage in ("idle", "load", "find_duplicates", "search"):
            r = result[stage]
            print(f"   {stage}: {r['seconds']} s; GUI thread's longest stall {r['max_ms']} ms (p99 {r['p99_ms']} ms)")
        print(json.dumps(result))
        return
    if args.child:
        child(*args.child)
        return
    if args.store_child:
        store_child(*args.store_child)
        return
    tmp = Path(tempfile.mkdtemp(prefix="fieldbook-registry-bench-"))
    results = {}
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"-- {n:,} households (seed {args.seed}, {args.dup_rate:.0%} registered again)", flush=True)
            r = run_size(n, args.seed, args.dup_rate, tmp, not args.no_store)
            results[str(n)] = r
            print(f"   precision {r['precision']:.4f}  recall {r['recall']:.4f}  F1 {r['f1']:.4f}  "
                  f"(true pairs {r['true_pairs']}, found right {r['true_pos']}, wrong {r['false_pos']}, "
                  f"missed {r['false_neg']})")
            print(f"   time {r['total_s']} s (read {r['read_s']}, normalise {r['prepare_s']}, block {r['block_s']}, "
                  f"compare {r['compare_s']}); CPU {r['cpu_s']} s; peak memory {r['peak_mb']} MB")
            if r["via_store"]:
                v = r["via_store"]
                print(f"   through an encrypted profile: import {v['import_s']} s ({v['imported']} added, "
                      f"{v['rejected']} rejected) + detection {v['detect_s']} s = {v['import_and_detect_s']} s "
                      f"(CPU {v['cpu_s']} s); "
                      f"peak memory {v['peak_mb']} MB; precision {v['precision']:.4f} recall {v['recall']:.4f}")
                print(f"   registration check: registry loaded in {v['registry_load_s']} s "
                      f"(CPU {v['registry_load_cpu_s']} s), then per household "
                      f"median {v['check_ms_median']} ms, p95 {v['check_ms_p95']} ms, worst {v['check_ms_max']} ms")
            sp = r["spouse"]
            print(f"   a spouse registering instead of the head: found {sp['found']} of {sp['of']} "
                  f"(recall {sp['recall']:.3f})" + (f"; through the profile {r['via_store']['spouse']['found']} "
                                                    f"of {r['via_store']['spouse']['of']}" if r["via_store"] else "")
                  + "; adult children who moved out wrongly paired "
                  + f"{r['non_duplicates_paired'].get('moved_out', {}).get('paired', 0)}"
                  + f"/{r['non_duplicates_paired'].get('moved_out', {}).get('of', 0)}", flush=True)
            print("   recall by variation: " + ", ".join(
                f"{k} {v['recall']:.3f} ({v['found']}/{v['of']})" for k, v in r["per_variation"].items()))
            print("   non-duplicates wrongly paired: " + ", ".join(
                f"{k} {v['paired']}/{v['of']}" for k, v in r["non_duplicates_paired"].items()), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {"python": platform.python_version(), "seed": args.seed, "dup_rate": args.dup_rate,
               "targets": TARGETS, "sizes": results}
    small, big = results.get("20000"), results.get("100000")
    met = {}
    if small:
        met["precision_20k"] = small["precision"] >= TARGETS["precision"]
        met["recall_20k"] = small["recall"] >= TARGETS["recall"]
        met["spouse_recall_20k"] = small["spouse"]["recall"] >= TARGETS["recall"]
        met["seconds_20k"] = small["total_s"] <= TARGETS["seconds_20k"]
        if small["via_store"]:
            met["import_and_detect_20k"] = small["via_store"]["import_and_detect_s"] <= TARGETS["seconds_20k"]
    if big:
        met["seconds_100k"] = big["total_s"] <= TARGETS["seconds_100k"]
        met["peak_mb_100k"] = big["peak_mb"] <= TARGETS["peak_mb_100k"]
    summary["met"] = met
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
