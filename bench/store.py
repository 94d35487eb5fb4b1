"""Storage benchmark: encrypted bulk write, decrypting scan, blind-index lookup,
interactive save and Argon2id unlock, on synthetic Ukrainian household records.

    python bench/store.py [--records N] [--scan N] [--lookup N] [--saves N]

Run from the project root. It prints progress and figures as it goes, and one
JSON object (figures, counts used, targets met) on its LAST line, so a script can
read ``tail -n 1``. It is not a test: nothing fails, it only measures. Every
person in it is made up by a seeded random generator.

Everything is written under one temporary folder in /tmp, removed at the end.
The scan runs in a fresh child process (this script with ``--scan-child DIR``)
so that its peak memory is the scan's own, not this process's leftovers.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import AbstractSet, Callable, Iterable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlite_utils import Database  # noqa: E402

from storage import Store, crypto  # noqa: E402

KIND = "household"
USER = "Benchmark"
PASSPHRASE = "synthetic benchmark passphrase"
# The PRAGMAs storage.store sets on every connection; the plain baseline gets the same ones.
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
)

# Targets, for a default run on the 2-core reference machine.
TARGET_BULK_RATIO = 0.5
TARGET_SCAN_S = 0.5
TARGET_SCAN_RSS_MB = 300.0
TARGET_LOOKUP_MS = 5.0
TARGET_SAVE_P95_MS = 15.0
TARGET_UNLOCK_S = (0.2, 0.5)


# --- synthetic records ------------------------------------------------------------
SURNAMES = (
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник",
    "Шевчук", "Поліщук", "Бойко", "Ковальчук", "Савченко", "Лисенко", "Руденко",
    "Марченко", "Мороз", "Петренко", "Клименко", "Павленко", "Кузьменко", "Гнатюк", "Остапчук",
)
GIVEN = {
    "ч": ("Олександр", "Іван", "Микола", "Петро", "Василь", "Сергій", "Володимир", "Андрій", "Юрій", "Богдан", "Тарас", "Дмитро"),
    "ж": ("Оксана", "Олена", "Наталія", "Ірина", "Тетяна", "Галина", "Людмила", "Марія", "Ганна", "Світлана", "Юлія", "Катерина"),
}
PATRONYMIC = {
    "ч": ("Олександрович", "Іванович", "Миколайович", "Петрович", "Васильович", "Сергійович", "Володимирович", "Андрійович"),
    "ж": ("Олександрівна", "Іванівна", "Миколаївна", "Петрівна", "Василівна", "Сергіївна", "Володимирівна", "Андріївна"),
}
# oblast -> (approximate centre lat, lon), {raion: (hromadas)}
GEOGRAPHY: dict[str, tuple[tuple[float, float], dict[str, tuple[str, ...]]]] = {
    "Харківська": ((49.99, 36.23), {
        "Харківський": ("Дергачівська", "Мереф'янська", "Солоницівська"),
        "Чугуївський": ("Чугуївська", "Малинівська"),
        "Ізюмський": ("Ізюмська", "Балаклійська", "Борівська"),
    }),
    "Миколаївська": ((46.97, 31.99), {
        "Миколаївський": ("Миколаївська", "Очаківська", "Галицинівська"),
        "Баштанський": ("Баштанська", "Снігурівська"),
    }),
    "Херсонська": ((46.64, 32.61), {
        "Херсонський": ("Херсонська", "Білозерська", "Чорнобаївська"),
        "Бериславський": ("Бериславська", "Великоолександрівська"),
    }),
    "Донецька": ((48.72, 37.56), {
        "Краматорський": ("Краматорська", "Слов'янська", "Лиманська"),
        "Покровський": ("Покровська", "Мирноградська", "Добропільська"),
    }),
    "Київська": ((50.45, 30.52), {
        "Бучанський": ("Бучанська", "Ірпінська", "Гостомельська", "Бородянська"),
        "Вишгородський": ("Вишгородська", "Іванківська"),
    }),
}
OBLASTS = tuple(GEOGRAPHY)
SETTLEMENTS = (
    "с. Вільне", "с. Зелене", "с. Новоселівка", "с. Миколаївка", "с. Олександрівка", "с. Іванівка",
    "с. Петрівка", "с. Степове", "с. Богданівка", "с. Калинівка", "смт Слобожанське", "м. Ізюм",
)
STREETS = (
    "вул. Шевченка", "вул. Незалежності", "вул. Миру", "вул. Садова", "вул. Центральна",
    "вул. Лесі Українки", "вул. Героїв України", "пров. Шкільний", "вул. Гагаріна", "вул. Польова",
)
NOTES = (
    "Потребує ремонту даху після обстрілу.",
    "Родина евакуювалася з Бахмута у 2023 році.",
    "Потрібні ліки для лікування хронічних хвороб.",
    "Немає постійного доступу до питної води.",
    "Отримали продуктові набори у березні.",
    "Вікна забиті плівкою, потрібне скління.",
    "Голова домогосподарства шукає роботу.",
    "Дитина потребує шкільного приладдя.",
    "Опалення пічне, бракує дров на зиму.",
    "Будинок частково зруйновано, живуть у родичів.",
)
OPERATORS = ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99")
SERIES_LETTERS = "АВЕІКМНОРСТХ"
_EPOCH = date(1935, 1, 1)
_DOB_SPAN = (date(2023, 12, 31) - _EPOCH).days


def make_record(rng: random.Random, index: int) -> dict:
    """One synthetic household (22 fields). ``index`` makes the phone number unique."""
    sex = rng.choice(("ч", "ж"))
    oblast = rng.choice(OBLASTS)
    (lat0, lon0), raions = GEOGRAPHY[oblast]
    raion = rng.choice(tuple(raions))
    # 7_654_321 is coprime with 10**7, so index -> subscriber number is one-to-one:
    # every phone is distinct and each lookup has exactly one expected hit.
    subscriber = f"{(index * 7_654_321 + 1_234_567) % 10**7:07d}"
    phone = f"+380 {rng.choice(OPERATORS)} {subscriber[:3]} {subscriber[3:5]} {subscriber[5:]}"
    if rng.random() < 0.5:
        id_number = rng.choice(SERIES_LETTERS) + rng.choice(SERIES_LETTERS) + f"{rng.randrange(10**6):06d}"
    else:
        id_number = f"{rng.randrange(10**8, 10**9)}"
    size = rng.randint(1, 9)
    address = f"{rng.choice(STREETS)}, {rng.randint(1, 180)}"
    if rng.random() < 0.3:
        address += f", кв. {rng.randint(1, 120)}"
    return {
        "surname": rng.choice(SURNAMES),
        "given_name": rng.choice(GIVEN[sex]),
        "patronymic": rng.choice(PATRONYMIC[sex]),
        "sex": sex,
        "date_of_birth": (_EPOCH + timedelta(days=rng.randrange(_DOB_SPAN))).isoformat(),
        "oblast": oblast,
        "raion": raion,
        "hromada": rng.choice(raions[raion]),
        "settlement": rng.choice(SETTLEMENTS),
        "address": address,
        "phone": phone,
        "id_number": id_number,
        "household_size": size,
        "children_under_5": rng.randint(0, min(3, size - 1)),
        "members_over_60": rng.randint(0, min(2, size)),
        "members_with_disability": rng.randint(0, min(2, size)),
        "female_headed": sex == "ж" or rng.random() < 0.1,
        "displaced": rng.random() < 0.4,
        "chronic_illness": rng.random() < 0.3,
        "lat": round(lat0 + rng.gauss(0, 0.35), 6),
        "lon": round(lon0 + rng.gauss(0, 0.5), 6),
        "note": " ".join(rng.sample(NOTES, rng.randint(1, 3))),
    }


def iter_records(n: int, seed: int) -> Iterator[dict]:
    rng = random.Random(seed)
    for i in range(n):
        yield make_record(rng, i)


def chunked(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def national(phone: str) -> str:
    """'+380 67 123 45 67' -> '067 123 45 67', the way an enumerator types it."""
    return "0" + phone.removeprefix("+380 ")


# --- small helpers ----------------------------------------------------------------
def say(message: str) -> None:
    print(message, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: always a measured value)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms)}


def memory_kb() -> tuple[int, int]:
    """(resident set size now, peak resident set size of this process image), in KB.

    The peak is VmHWM, not ``getrusage().ru_maxrss``: Linux carries ru_maxrss
    across fork and exec, so a child started by a 500 MB parent reports at least
    500 MB whatever it does itself. VmHWM starts afresh at exec. Where there is
    no /proc, both fall back to ru_maxrss (an upper bound).
    """
    figures: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    figures[key] = int(value.split()[0])  # "1234 kB"
    except OSError:
        pass
    fallback = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    return figures.get("VmRSS", fallback), figures.get("VmHWM", fallback)


def create_store(directory: Path, kdf: crypto.KdfParams | None = None) -> Store:
    # Fast key derivation by default: profile creation is never what is measured.
    store, _recovery = Store.create(directory, user=USER, passphrase=PASSPHRASE, kdf=kdf or crypto.fast_kdf_for_tests())
    return store


def build_store(directory: Path, n: int, *, seed: int, batch: int, label: str, keep: AbstractSet[int] = frozenset()) -> dict[int, str]:
    """Fill a new store with ``n`` records through save_records; return the phones of the ``keep`` indexes."""
    kept: dict[int, str] = {}
    store = create_store(directory)
    started = time.perf_counter()
    done = 0
    step = max(batch, n // 10)
    try:
        for records in chunked(iter_records(n, seed), batch):
            for i, record in enumerate(records, start=done):
                if i in keep:
                    kept[i] = record["phone"]
            store.save_records(KIND, records)
            done += len(records)
            if done % step < len(records) or done == n:
                say(f"  {label}: {done}/{n} records ({time.perf_counter() - started:.1f} s)")
    finally:
        store.close()
    return kept


# --- 1. bulk write, encrypted vs plain ------------------------------------------------
def write_encrypted(directory: Path, records: list[dict], batch: int) -> float:
    """Seconds to save ``records`` through save_records, ``batch`` per call, into a new store."""
    store = create_store(directory)
    try:
        started = time.perf_counter()
        for chunk in chunked(records, batch):
            store.save_records(KIND, chunk)
        return time.perf_counter() - started
    finally:
        store.close()


def write_plain(path: Path, records: list[dict], batch: int) -> float:
    """Seconds to insert the same records with sqlite-utils into a new, unencrypted file."""
    db = Database(path)
    try:
        for pragma in PRAGMAS:
            db.execute(pragma)
        table = db.table(KIND)
        started = time.perf_counter()
        for chunk in chunked(records, batch):
            # One transaction per batch, as save_records does. Without it insert_all
            # commits (and fsyncs) every 45 rows: sqlite-utils caps a batch at
            # 999 // 22 columns SQL variables, so the baseline would measure fsyncs.
            with db.atomic():
                table.insert_all(chunk, batch_size=batch)
        return time.perf_counter() - started
    finally:
        db.close()


def bench_bulk_write(work: Path, n: int, *, seed: int, batch: int, rounds: int) -> dict[str, object]:
    say(f"[bulk write] generating {n} records; {rounds} round(s) of encrypted then plain, fresh files each")
    records = list(iter_records(n, seed))
    encrypted, plain = [], []
    for r in range(rounds):
        encrypted.append(n / write_encrypted(work / f"bulk-encrypted-{r}", records, batch))
        plain.append(n / write_plain(work / f"bulk-plain-{r}.db", records, batch))
        say(f"  round {r + 1}: encrypted save_records {encrypted[-1]:,.0f} records/s, plain insert_all {plain[-1]:,.0f} records/s")
    # The best round of each: the one least disturbed by anything else on the machine.
    encrypted_rps, plain_rps = max(encrypted), max(plain)
    ratio = encrypted_rps / plain_rps
    say(
        f"  best: encrypted {encrypted_rps:,.0f}/s, plain {plain_rps:,.0f}/s, "
        f"ratio {ratio:.2f} (target >= {TARGET_BULK_RATIO})"
    )
    return {
        "bulk_write_encrypted_rps": encrypted_rps,
        "bulk_write_plain_rps": plain_rps,
        "bulk_write_ratio": ratio,
        "bulk_write_encrypted_rps_rounds": encrypted,
        "bulk_write_plain_rps_rounds": plain,
    }


# --- 2. decrypting scan in a fresh process --------------------------------------------
def scan_child(directory: Path, repeats: int) -> None:
    """Child mode: open, unlock and scan; print one JSON line of figures."""
    store = Store.open(directory)
    store.unlock(PASSPHRASE)
    baseline_kb, peak_before_kb = memory_kb()
    times, count, total_size = [], 0, 0
    for _ in range(repeats):
        count = total_size = 0
        started = time.perf_counter()
        for record in store.list_records(KIND):
            total_size += record.fields["household_size"]  # touch the decrypted fields
            count += 1
        times.append(time.perf_counter() - started)
    _, peak_kb = memory_kb()
    ru_maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()
    print(json.dumps({
        "count": count,
        "times_s": times,
        "baseline_rss_kb": baseline_kb,
        "peak_rss_before_scan_kb": peak_before_kb,
        "peak_rss_kb": peak_kb,
        "ru_maxrss_kb": ru_maxrss_kb,
        "checksum": total_size,
    }))


def bench_scan(work: Path, n: int, *, seed: int, batch: int, repeats: int) -> dict[str, float]:
    say(f"[scan] building a store of {n} records")
    directory = work / "scan"
    build_store(directory, n, seed=seed + 1, batch=batch, label="scan store")
    say(f"  scanning in a fresh process ({repeats} runs)")
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--scan-child", str(directory), "--scan-repeats", str(repeats)],
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise SystemExit(f"the scan child failed (exit {child.returncode}):\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    if figures["count"] != n:
        raise SystemExit(f"the scan saw {figures['count']} records, expected {n}")
    times = figures["times_s"]
    peak_mb = figures["peak_rss_kb"] / 1024
    delta_mb = (figures["peak_rss_kb"] - figures["baseline_rss_kb"]) / 1024
    say(f"  scan times: {', '.join(f'{t:.3f}' for t in times)} s (median {statistics.median(times):.3f}, target <= {TARGET_SCAN_S})")
    say(
        f"  child RSS: {figures['baseline_rss_kb'] / 1024:.0f} MB before the scan, peak {peak_mb:.0f} MB "
        f"(+{delta_mb:.0f} MB; target peak <= {TARGET_SCAN_RSS_MB:.0f} MB)"
    )
    return {
        "scan_100k_s": statistics.median(times),
        "scan_100k_first_s": times[0],
        "scan_peak_rss_mb": peak_mb,
        "scan_rss_delta_mb": delta_mb,
        "scan_baseline_rss_mb": figures["baseline_rss_kb"] / 1024,
        # If this exceeds the baseline, the delta above overstates the scan's own growth.
        "scan_peak_rss_before_scan_mb": figures["peak_rss_before_scan_kb"] / 1024,
        # Inherited across fork/exec (see memory_kb), so at least the parent's RSS at spawn time.
        "scan_ru_maxrss_mb": figures["ru_maxrss_kb"] / 1024,
    }


# --- 3. blind-index lookup, 4. interactive save -----------------------------------------
def bench_lookup_and_save(work: Path, n: int, lookups: int, saves: int, *, seed: int, batch: int) -> dict[str, float]:
    out: dict[str, float] = {}
    directory = work / "lookup"
    rng = random.Random(seed + 2)
    keep = set(rng.sample(range(n), min(lookups, n))) if n else set()
    say(f"[lookup] building a store of {n} records")
    phones = build_store(directory, n, seed=seed + 2, batch=batch, label="lookup store", keep=keep)

    # Reopen: lookups and saves run on a fresh connection, as after an app start.
    store = Store.open(directory)
    store.unlock(PASSPHRASE)
    try:
        if lookups and phones:
            wanted = [phones[i] for i in sorted(keep)]
            rng.shuffle(wanted)
            times, misses = [], 0
            for k, phone in enumerate(wanted):
                # Half typed the national way, to go through the phone normaliser.
                query = national(phone) if k % 2 else phone
                started = time.perf_counter()
                found = store.find_records(KIND, "phone", query)
                times.append(time.perf_counter() - started)
                misses += not any(r.fields["phone"] == phone for r in found)
            if misses:
                raise SystemExit(f"{misses} of {len(wanted)} lookups did not find their record")
            stats = latency_summary(times)
            say(
                f"  {len(times)} lookups among {n}: p50 {stats['p50']:.2f} ms, p95 {stats['p95']:.2f} ms, "
                f"max {stats['max']:.2f} ms (target <= {TARGET_LOOKUP_MS} ms)"
            )
            out.update(lookup_200k_p50_ms=stats["p50"], lookup_200k_p95_ms=stats["p95"], lookup_200k_max_ms=stats["max"])

        if saves:
            say(f"[save] {saves} single save_record calls on the {n}-record store (synchronous=FULL)")
            times = []
            for record in iter_records(saves, seed + 3):
                started = time.perf_counter()
                store.save_record(KIND, record)
                times.append(time.perf_counter() - started)
            stats = latency_summary(times)
            say(
                f"  save_record: p50 {stats['p50']:.2f} ms, p95 {stats['p95']:.2f} ms, max {stats['max']:.2f} ms "
                f"(target p95 <= {TARGET_SAVE_P95_MS} ms)"
            )
            out.update(save_p50_ms=stats["p50"], save_p95_ms=stats["p95"], save_max_ms=stats["max"])
    finally:
        store.close()
    return out


# --- 5. unlock with production Argon2id ---------------------------------------------
def bench_unlock(work: Path, runs: int) -> dict[str, float]:
    params = crypto.KdfParams.new()
    say(
        f"[unlock] Argon2id t={params.iterations}, p={params.lanes}, m={params.memory_kib // 1024} MiB; "
        f"{runs} runs of Store.open + unlock"
    )
    directory = work / "unlock"
    create_store(directory, kdf=params).close()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        store = Store.open(directory)
        store.unlock(PASSPHRASE)
        times.append(time.perf_counter() - started)
        store.close()
    median = statistics.median(times)
    low, high = TARGET_UNLOCK_S
    say(f"  unlock: {', '.join(f'{t:.3f}' for t in times)} s (median {median:.3f}, target {low}-{high} s)")
    return {"unlock_s": median}


# --- main ----------------------------------------------------------------------------
def storage_digest() -> str:
    """A short hash of storage/*.py: it ties the figures to one version of the code."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "storage").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def targets_met(r: dict) -> dict[str, bool | None]:
    """One boolean per target; None when that part was skipped (its count was 0)."""
    def check(key: str, ok: Callable[[float], bool]) -> bool | None:
        return None if r.get(key) is None else bool(ok(r[key]))

    low, high = TARGET_UNLOCK_S
    return {
        "bulk_write_ratio": check("bulk_write_ratio", lambda v: v >= TARGET_BULK_RATIO),
        "scan_100k_s": check("scan_100k_s", lambda v: v <= TARGET_SCAN_S),
        "scan_peak_rss_mb": check("scan_peak_rss_mb", lambda v: v <= TARGET_SCAN_RSS_MB),
        "lookup_200k_p95_ms": check("lookup_200k_p95_ms", lambda v: v <= TARGET_LOOKUP_MS),
        "save_p95_ms": check("save_p95_ms", lambda v: v <= TARGET_SAVE_P95_MS),
        "unlock_s": check("unlock_s", lambda v: low <= v <= high),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=20_000, help="records for the bulk-write comparison (default 20000)")
    p.add_argument("--scan", type=int, default=100_000, help="records in the scanned store (default 100000; 0 skips)")
    p.add_argument("--lookup", type=int, default=200_000, help="records in the lookup store, where saves run too (default 200000; 0 skips lookups)")
    p.add_argument("--lookups", type=int, default=500, help="blind-index lookups to time (default 500)")
    p.add_argument("--saves", type=int, default=200, help="single save_record calls to time (default 200)")
    p.add_argument("--unlocks", type=int, default=3, help="timed unlocks with production Argon2id (default 3; 0 skips)")
    p.add_argument("--rounds", type=int, default=3, help="bulk-write rounds; the best of each side is reported (default 3)")
    p.add_argument("--batch", type=int, default=1000, help="records per save_records call (default 1000)")
    p.add_argument("--scan-repeats", type=int, default=3, help="scans in the child process; the median is reported (default 3)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the synthetic data (default 2024)")
    p.add_argument("--scan-child", metavar="DIR", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.batch < 1 or args.scan_repeats < 1 or args.rounds < 1 or min(args.records, args.scan, args.lookup, args.lookups, args.saves, args.unlocks) < 0:
        p.error("counts must be >= 0, and --batch, --rounds and --scan-repeats >= 1")
    if args.records < 1:
        p.error("--records must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.scan_child:
        scan_child(Path(args.scan_child), args.scan_repeats)
        return

    say(
        f"Fieldbook storage benchmark: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPU(s), {platform.platform()}"
    )
    env: dict[str, object] = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "storage_sha256": storage_digest(),
    }
    results: dict = {}
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="fieldbook-bench-", dir="/tmp"))
    say(f"working in {work}")
    try:
        results.update(bench_bulk_write(work, args.records, seed=args.seed, batch=args.batch, rounds=args.rounds))
        if args.scan:
            results.update(bench_scan(work, args.scan, seed=args.seed, batch=args.batch, repeats=args.scan_repeats))
        if args.lookup or args.saves:
            results.update(bench_lookup_and_save(work, args.lookup, args.lookups, args.saves, seed=args.seed, batch=args.batch))
        if args.unlocks:
            results.update(bench_unlock(work, args.unlocks))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    keys = (
        "bulk_write_encrypted_rps", "bulk_write_plain_rps", "bulk_write_ratio",
        "scan_100k_s", "scan_peak_rss_mb", "scan_rss_delta_mb",
        "lookup_200k_p50_ms", "lookup_200k_p95_ms", "save_p50_ms", "save_p95_ms", "unlock_s",
    )
    summary: dict = {key: results.get(key) for key in keys}
    summary["targets_met"] = targets_met(results)
    summary["extra"] = {k: v for k, v in results.items() if k not in keys}
    summary["counts"] = {
        "records": args.records,
        "rounds": args.rounds,
        "batch": args.batch,
        "scan": args.scan,
        "scan_repeats": args.scan_repeats,
        "lookup": args.lookup,
        "lookups": args.lookups if args.lookup else 0,
        "saves": args.saves,
        "unlocks": args.unlocks,
        "seed": args.seed,
    }
    if storage_digest() != env["storage_sha256"]:
        # The scan child imports storage/ afresh: an edit mid-run mixes two versions.
        env["storage_changed_during_run"] = True
        say("WARNING: storage/ changed during the run; these figures mix two versions of it")
    summary["env"] = env
    summary["elapsed_s"] = time.perf_counter() - started
    # Round for reading; the figures are not more precise than that anyway.
    summary = json.loads(json.dumps(summary), parse_float=lambda s: round(float(s), 4))
    missed = [name for name, ok in summary["targets_met"].items() if ok is False]
    say(f"done in {summary['elapsed_s']:.0f} s; targets missed: {', '.join(missed) or 'none'}")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
