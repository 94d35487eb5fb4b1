"""Form-engine benchmark: loading a large form, incremental re-evaluation, exporting 50k records.

    python bench/forms.py [--questions N] [--changes N] [--records N] [--photos N]

Run from the project root. It prints figures as it goes and one JSON object
(figures, counts used, targets met) on its LAST line. It is not a test: nothing
fails, it only measures. Every person in it is made up by a seeded generator.

- load: a generated form of N questions (default 500) in groups, with relevance
  and calculations chained through all of it and a repeat, written as .xlsx and
  loaded with ``forms.load_form`` (our pass plus the reference validator's).
- re-evaluation: after the first full evaluation, one answer changes at a time
  (a random input question each time) and ``Session.set`` is timed.
- export: N records (default 50,000) of the built-in household form, with their
  household-member repeat, are saved into a store with cheap key derivation
  (unlocking is not what is measured), then exported to XLSX by a fresh child
  process (this script with ``--export-child``) that reports its wall time and
  peak resident memory (``ru_maxrss`` of that process: the decrypting scan, the
  rows and the writer together, interpreter included).

- photos: a form with N photos of 3 MB (default 20) is filled, finalised, pushed to a live
  hub on loopback, pulled by a second laptop and exported on both, each step in a fresh
  process that reports its own peak resident memory (see ``photos_child``).

Everything is written under one temporary folder in /tmp, removed at the end.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

import forms  # noqa: E402
from resources import resource_path  # noqa: E402

PASSPHRASE = "synthetic benchmark passphrase"
TARGET_LOAD_S = 1.0
TARGET_REEVAL_MS = 2.0
TARGET_EXPORT_S = 30.0
TARGET_EXPORT_RSS_MB = 500.0


def say(message: str) -> None:
    print(message, flush=True)


# --- (a) a large generated form ------------------------------------------------------------
def write_big_form(path: Path, questions: int) -> int:
    """Groups of 25; each group's relevance and each calculation lean on earlier answers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::English (en)", "label::Українська (uk)", "relevant", "constraint",
               "calculation", "required", "hxl"])
    made, group = 0, 0
    prev_calc = None
    while made < questions - 3:  # the repeat, its two questions and the total after it
        group += 1
        relevant = f"${{total_{group - 1}}} >= 0" if prev_calc else None
        ws.append(["begin_group", f"g{group}", f"Section {group}", f"Розділ {group}", relevant, None, None, None, None])
        numbers = []
        for k in range(24):
            if made >= questions - 5:
                break
            made += 1
            name = f"q{made}"
            if k % 6 == 5:
                ws.append(["select_one yn", name, f"Question {made}", f"Питання {made}",
                           f"${{q{made - 1}}} != 7", None, None, None, None])
            else:
                numbers.append(name)
                ws.append(["integer", name, f"Question {made}", f"Питання {made}",
                           f"${{q{made - 1}}} != 999" if made > 1 and k else None, ". >= 0 and . <= 1000",
                           None, "yes" if k == 0 else None, f"#indicator+q{made}"])
        # A calculation chained through the whole form: this section's total builds on the last one's.
        made += 1
        terms = " + ".join(f"coalesce(${{{n}}}, 0)" for n in numbers) or "0"
        calc = f"{terms} + ${{total_{group - 1}}}" if prev_calc else terms
        ws.append(["calculate", f"total_{group}", None, None, None, None, calc, None, None])
        prev_calc = f"total_{group}"
        ws.append(["end_group", None, None, None, None, None, None, None, None])
    ws.append(["begin_repeat", "people", "People", "Люди", None, None, None, None, None])
    ws.append(["integer", "p_age", "Age", "Вік", None, ". <= 120", None, None, None])
    ws.append(["calculate", "p_child", None, None, None, None, "if(${p_age} < 18, 1, 0)", None, None])
    ws.append(["end_repeat", None, None, None, None, None, None, None, None])
    ws.append(["calculate", "children", None, None, None, None, f"sum(${{p_child}}) + ${{{prev_calc}}}", None, None])
    made += 4
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Українська (uk)"])
    choices.append(["yn", "yes", "Yes", "Так"])
    choices.append(["yn", "no", "No", "Ні"])
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "version", "default_language"])
    settings.append(["big", "1", "English (en)"])
    wb.save(path)
    return made


def bench_load(tmp: Path, questions: int) -> tuple[forms.Form, dict]:
    path = tmp / "big.xlsx"
    rows = write_big_form(path, questions)
    times = []
    form = None
    for _ in range(3):
        t = time.perf_counter()
        form = forms.load_form(path)
        times.append(time.perf_counter() - t)
    n = sum(1 for q in form.walk() if not q.is_group)
    say(f"load: {n} questions ({rows} survey rows): median {statistics.median(times):.3f} s, best {min(times):.3f} s of 3")
    return form, {"questions": n, "load_s": statistics.median(times), "load_best_s": min(times)}


# --- (b) incremental re-evaluation -------------------------------------------------------
def bench_reevaluation(form: forms.Form, changes: int) -> dict:
    rng = random.Random(7)
    inputs = [q for q in form.walk() if q.type == "integer" and q.repeat() is None]
    selects = [q for q in form.walk() if q.type == "select_one"]
    answers = {q.name: rng.randint(0, 50) for q in inputs}
    answers.update({q.name: "yes" for q in selects})
    answers["people"] = [{"p_age": rng.randint(0, 90)} for _ in range(6)]
    t = time.perf_counter()
    session = forms.Session(form, answers)
    first = time.perf_counter() - t
    times = []
    for _ in range(changes):
        q = rng.choice(inputs)
        value = rng.randint(0, 50)
        t = time.perf_counter()
        session.set(q.name, value)
        times.append(time.perf_counter() - t)
    times.sort()
    head = inputs[0]  # the worst case: the first answer, on which the whole chain depends
    worst = []
    for i in range(50):
        t = time.perf_counter()
        session.set(head.name, i)
        worst.append(time.perf_counter() - t)
    ms = [x * 1000 for x in times]
    figures = {
        "first_evaluation_ms": first * 1000,
        "reeval_median_ms": statistics.median(ms),
        "reeval_p95_ms": ms[int(len(ms) * 0.95) - 1],
        "reeval_head_of_chain_median_ms": statistics.median(worst) * 1000,
        "changes": changes,
    }
    say(f"first full evaluation: {figures['first_evaluation_ms']:.1f} ms")
    say(f"re-evaluation after one answer changes ({changes} random answers): median {figures['reeval_median_ms']:.3f} ms, "
        f"p95 {figures['reeval_p95_ms']:.3f} ms; first question of the chain: median {figures['reeval_head_of_chain_median_ms']:.3f} ms")
    return figures


# --- (c) exporting 50k records -----------------------------------------------------------
def synthetic_households(form: forms.Form, n: int, seed: int = 11):
    """Records as the engine saves them: a few hundred real interviews, varied per record."""
    rng = random.Random(seed)
    needs = [c.name for c in form.question("priority_needs").choices if c.name not in ("other",)]
    incomes = [c.name for c in form.question("income_sources").choices if c.name != "none"]
    hromadas = [(c.columns["oblast"], c.columns["raion"], c.name) for c in form.question("hromada").choices]
    templates = []
    for i in range(200):
        oblast, raion, hromada = rng.choice(hromadas)
        size = rng.randint(1, 6)
        members = [{"member_age": rng.randint(18, 80), "member_sex": rng.choice(["female", "male"]),
                    "member_disability": rng.choice(["yes", "no"]), "member_relation": "head"}]
        for _ in range(size - 1):
            members.append({"member_age": rng.randint(0, 90), "member_sex": rng.choice(["female", "male"]),
                            "member_relation": rng.choice(["spouse", "child", "parent", "grandchild"])})
        for m in members:
            if m["member_age"] < 5:
                m.pop("member_disability", None)
            elif "member_disability" not in m:
                m["member_disability"] = rng.choice(["yes", "no"])
        answers = {
            "consent": "yes", "assessment_date": "2026-11-19", "oblast": oblast, "raion": raion, "hromada": hromada,
            "settlement": f"Село Вигадане-{i}", "gps": f"{49 + rng.random():.5f} {30 + rng.random() * 6:.5f}",
            "displacement_status": "idp", "months_displaced": rng.randint(1, 30), "hh_size": size, "members": members,
            "priority_needs": " ".join(rng.sample(needs, 2)), "shelter_condition": "light",
            "income_sources": " ".join(rng.sample(incomes, 2)), "monthly_income": rng.randint(0, 20000),
            "received_assistance": rng.choice(["yes", "no"]), "followup_consent": "yes",
            "phone": f"+38067{rng.randint(0, 9999999):07d}", "comments": "Немає особливих зауважень.",
        }
        s = forms.Session(form, answers, device_id="bench-device", username="bench-enumerator")
        if s.errors():
            continue
        templates.append(s.record(finalise=True))
    for i in range(n):
        record = dict(templates[i % len(templates)])
        record["settlement"] = f"{record['settlement']} / {i}"
        record["phone"] = f"+38067{(i * 7919) % 10_000_000:07d}"
        yield record


def fill_store(directory: Path, records: int) -> float:
    from storage import Store, crypto

    form = forms.load_form(resource_path("forms", "household_needs.xlsx"))
    t = time.perf_counter()
    store, _ = Store.create(directory, user="bench", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    with store:
        store.save_records("submission", synthetic_households(form, records), form_id=form.form_id, form_version=form.version)
    return time.perf_counter() - t


def export_child(profile: str, out: str) -> None:
    """In a fresh process: unlock, export to XLSX, report time and peak memory as JSON."""
    from exporting import export_form, find_builtin_form
    from storage import Store

    t0 = time.perf_counter()
    form = find_builtin_form("household_needs")
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    t1 = time.perf_counter()
    with store:
        summary = export_form(store, form, out, fmt="xlsx")
    t2 = time.perf_counter()
    print(json.dumps({
        "setup_s": t1 - t0, "export_s": t2 - t1, "rows": summary.rows, "records": summary.records,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def bench_export(tmp: Path, records: int) -> dict:
    profile = tmp / "profile"
    say(f"export: saving {records:,} household records (with their member repeat) into a store ...")
    fill = fill_store(profile, records)
    say(f"  saved in {fill:.1f} s")
    out = tmp / "households.xlsx"
    child = subprocess.run([sys.executable, __file__, "--export-child", str(profile), str(out)],
                           capture_output=True, text=True, check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    size_mb = out.stat().st_size / 1e6
    say(f"export of {figures['records']:,} records to XLSX ({', '.join(f'{k}: {v:,} rows' for k, v in figures['rows'].items())}): "
        f"{figures['export_s']:.1f} s, peak RSS of the exporting process {figures['peak_rss_mb']:.0f} MB, file {size_mb:.1f} MB")
    if figures["records"] != records:
        say(f"  WARNING: {figures['records']:,} records exported, {records:,} saved")
    return {
        "export_records": figures["records"], "export_rows": figures["rows"], "export_s": figures["export_s"],
        "export_peak_rss_mb": figures["peak_rss_mb"], "export_file_mb": size_mb, "fill_store_s": fill,
    }


# --- (d) a form with 20 photos of 3 MB: fill, push, pull and export, each in a fresh process ---------
PHOTO_TARGET_RSS_MB = 200.0  # sync and export hold a part at a time, not the 60 MB of photos


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM). Not ru_maxrss: on Linux a child started
    by a large parent (here the one running the hub) inherits the parent's figure there."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def photos_child(stage: str, profile: str, arg: str) -> None:
    """One laptop step in a fresh process; prints its time, peak RSS and counts as JSON."""
    import os

    from exporting import export_form
    from exporting import save_submission as save_finalised
    from forms.finalise import finalised
    from forms.media import ATTACHMENT_KIND
    from storage import Store, crypto
    from sync.client import SyncClient

    t = time.perf_counter()
    extra: dict = {}
    if stage == "hub-export":
        hub_export_child(profile, arg, t)
        return
    if stage in ("fill", "join"):
        store, _ = Store.create(Path(profile), user="bench", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
        url, code = arg.split(" ")
        SyncClient(store).enroll(url, code)
    else:
        store = Store.open(profile)
        store.unlock(PASSPHRASE)
    form = forms.load_form(Path(profile).parent / "photos.xlsx")
    extra["rss_before_mb"] = _peak_rss_mb()
    with store:
        if stage == "fill":
            session = forms.Session(form, {"site": "Synthetic site"})
            for k, photo in enumerate(sorted(Path(profile).parent.glob("photo*.jpg"))):
                session.add_repeat("rooms")
                session.attach("photo", photo.read_bytes(), photo.name, index=(k,))
            save_finalised(store, finalised(session))
            extra["attachment_parts"] = sum(1 for _ in store.list_records(ATTACHMENT_KIND))
        elif stage == "push":
            extra["pushed"] = SyncClient(store).sync_now().pushed
        elif stage == "join":
            extra["pulled"] = SyncClient(store).sync_now().pulled
        else:
            summary = export_form(store, form, arg, fmt="xlsx")
            folder = Path(arg).with_name(Path(arg).stem + "_media")
            extra["files"] = sum(1 for p in folder.rglob("*.jpg"))
            extra["records"] = summary.records
    extra.update(seconds=round(time.perf_counter() - t, 2), peak_rss_mb=_peak_rss_mb(),
                 store_mb=round(sum(p.stat().st_size for p in Path(profile).rglob("*") if p.is_file()) / 1e6, 1),
                 pid=os.getpid())
    print(json.dumps(extra))


def hub_export_child(data: str, out: str, t: float) -> None:
    """``server export`` of the photos form at the hub, as the command does it, in this process."""
    import argparse as _argparse
    import os

    from sync.server.cli import _hub
    from sync.server.console.exports import ExportRequest, export_submissions

    rss_before = _peak_rss_mb()
    hub = _hub(_argparse.Namespace(data=data, db=None))
    media: dict = {}
    try:
        summary = export_submissions(hub, ExportRequest("photos", "xlsx"), Path(out), actor="bench", media=media)
    finally:
        hub.close()
    print(json.dumps({"rss_before_mb": rss_before, "records": summary.records, "files": media.get("written", 0),
                      "seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": _peak_rss_mb(), "pid": os.getpid()}))


def bench_photos(tmp: Path, photos: int = 20, size_mb: int = 3) -> dict:
    """A laptop fills a form with ``photos`` photos, saves and pushes it; a second laptop pulls
    it; both export it with the files beside the sheet. Peak RSS of each step's process."""
    import hashlib
    import os

    sys.path.insert(0, str(ROOT / "tests"))
    from sync_helpers import LiveServer, make_hub

    forms_dir = tmp / "photos"
    forms_dir.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (["type", "name", "label"], ["text", "site", "Site"], ["begin_repeat", "rooms", "Room"],
                ["image", "photo", "Photo"], ["end_repeat", None, None]):
        ws.append(row)
    wb.create_sheet("settings").append(["form_id"])
    wb["settings"].append(["photos"])
    wb.save(forms_dir / "photos.xlsx")
    digests = set()
    for k in range(photos):
        data = os.urandom(size_mb * 2**20)
        digests.add(hashlib.sha256(data).hexdigest())
        (forms_dir / f"photo{k:02d}.jpg").write_bytes(data)
    say(f"photos: a form with {photos} photos of {size_mb} MB ({photos * size_mb} MB), saved, pushed, pulled, exported")
    hub = make_hub(tmp / "hub")
    from sync.protocol import PublishedForm

    hub.publish_form(PublishedForm.make("photos", forms.load_form(forms_dir / "photos.xlsx").version, "Photos",
                                        (forms_dir / "photos.xlsx").read_bytes(), {}))  # the hub's export needs the form
    out: dict = {}

    def step(stage: str, profile: Path, arg: str) -> dict:
        child = subprocess.run([sys.executable, __file__, "--photos-child", stage, str(profile), arg],
                               capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(f"photos {stage} failed: {child.stderr.strip().splitlines()[-1]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        say(f"  {stage}: {figures['seconds']:.1f} s, peak RSS {figures['peak_rss_mb']:.0f} MB, "
            + ", ".join(f"{k} {v}" for k, v in figures.items() if k not in ("seconds", "peak_rss_mb", "pid")))
        return figures

    with LiveServer(hub) as server:
        out["fill"] = step("fill", forms_dir / "a", f"{server.url} {hub.new_enroll_code('north')}")
        out["push"] = step("push", forms_dir / "a", "")
        out["export_a"] = step("export", forms_dir / "a", str(forms_dir / "a-out.xlsx"))
        out["hub_export"] = step("hub-export", hub.settings.data_dir, str(forms_dir / "hub-out.xlsx"))
        out["pull"] = step("join", forms_dir / "b", f"{server.url} {hub.new_enroll_code('north')}")
        out["export_b"] = step("export", forms_dir / "b", str(forms_dir / "b-out.xlsx"))
    exported = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (forms_dir / "b-out_media").rglob("*.jpg")}
    out["pulled_files_intact"] = exported == digests
    at_hub = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (forms_dir / "hub-out_media").rglob("*.jpg")}
    out["hub_files_intact"] = at_hub == digests
    say(f"  the hub's export holds the {len(at_hub)} photos byte for byte: {out['hub_files_intact']}")
    say(f"  the second laptop's export holds the {len(exported)} photos byte for byte: {out['pulled_files_intact']}")
    return {"photos": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--photos", type=int, default=20, help="photos of 3 MB in one form (0: skip)")
    parser.add_argument("--export-child", nargs=2, metavar=("PROFILE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--photos-child", nargs=3, metavar=("STAGE", "PROFILE", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    if args.photos_child:
        photos_child(*args.photos_child)
        return
    say(f"Python {platform.python_version()} on {platform.machine()}, {__import__('os').cpu_count()} cores")
    tmp = Path(tempfile.mkdtemp(prefix="fieldbook-bench-forms-"))
    try:
        form, figures = bench_load(tmp, args.questions)
        figures.update(bench_reevaluation(form, args.changes))
        figures.update(bench_export(tmp, args.records))
        if args.photos:
            figures.update(bench_photos(tmp, args.photos))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures["targets_met"] = {
        "load": figures["load_s"] <= TARGET_LOAD_S,
        "reeval": figures["reeval_median_ms"] <= TARGET_REEVAL_MS,
        "export_time": figures["export_s"] <= TARGET_EXPORT_S,
        "export_memory": figures["export_peak_rss_mb"] <= TARGET_EXPORT_RSS_MB,
    }
    if "photos" in figures:
        p = figures["photos"]
        figures["targets_met"]["photos_sync_export_memory"] = p["pulled_files_intact"] and p["hub_files_intact"] and all(
            p[k]["peak_rss_mb"] <= PHOTO_TARGET_RSS_MB for k in ("push", "export_a", "hub_export", "pull", "export_b"))
    figures["memory_measure"] = "ru_maxrss of a fresh child process that unlocks and exports"
    summary = json.loads(json.dumps(figures), parse_float=lambda s: round(float(s), 4))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
