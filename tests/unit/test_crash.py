"""Crash durability: a process killed with SIGKILL at a random moment loses nothing it reported.

A child process unlocks a real profile and saves (and every few records edits)
households as fast as it can, printing one line after each call returns. The
parent kills it after a random delay, then reopens the profile and proves:

* the profile still opens and unlocks, and ``verify()`` is clean;
* every save and edit the child reported is there, with exactly its values,
  and findable through the blind index;
* at most the one write that was in flight at the kill is there in addition,
  and then whole (record, outbox change and index together), never in part.

The same profile is reused for every kill, so the store accumulates across
crashes. The delays come from a seeded generator (SEED) so a failure replays.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storage import Store, crypto

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "synthetic crash passphrase"
SEED = 20241122
KILLS = 40

# Shared by the child (which writes) and the parent (which checks), so both
# agree on exactly what record number n of run r must contain.
HELPERS = r'''
NAMES = ["Тарас Вигаданий", "Оксана Несправжня", "Богдан Уявний", "Ганна Вигадана", "Ґлорія Їжакевич-Єфименко"]

def fields_for(run, n):
    return {
        "run": run,
        "n": n,
        "head_name": f"{NAMES[n % len(NAMES)]} {run}-{n}",
        "phone": f"067 {run:03d} {n:04d}",
        "members": n % 7 + 1,
        "note": "опитування " * (n % 4),
    }

def edit_for(run, n):
    return {"members": 100 + n, "note": f"перевірено {run}-{n}"}

def edits_after_save(n):
    """After saving record n, the child edits record n - 1 when this is true."""
    return n % 3 == 2
'''

CHILD_CODE = HELPERS + r'''
import os, sys
from storage import Store

store = Store.open(sys.argv[1])
store.unlock(os.environ["FIELDBOOK_PASSPHRASE"])
run = int(sys.argv[2])
print("ready", flush=True)
ids = []
n = 0
while True:
    rid = store.save_record("household", fields_for(run, n))
    ids.append(rid)
    print(f"saved {rid} {n}", flush=True)
    if edits_after_save(n):
        store.edit_record(ids[n - 1], edit_for(run, n - 1))
        print(f"edited {ids[n - 1]} {n - 1}", flush=True)
    n += 1
'''

helpers: dict = {}
exec(HELPERS, helpers)
fields_for, edit_for, edits_after_save = helpers["fields_for"], helpers["edit_for"], helpers["edits_after_save"]


def run_child_and_kill(profile: Path, run: int, rng: random.Random, stderr_path: Path) -> list[str]:
    """Start a writer, SIGKILL it after a random delay, return the complete lines it printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDBOOK_PASSPHRASE": PASSPHRASE}
    lines: list[str] = []
    ready = threading.Event()
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD_CODE, str(profile), str(run)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )

        def reader() -> None:
            # A reader thread, so the parent's sleep is not stretched by pipe reads.
            for raw in iter(proc.stdout.readline, b""):
                if raw.endswith(b"\n"):  # a line cut by the kill is not a report
                    line = raw.decode().rstrip("\n")
                    lines.append(line)
                    if line == "ready":
                        ready.set()

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            # One kill in five lands during start-up and unlock (which writes an
            # audit entry); the rest while records are being written.
            if run % 5 != 4:
                if not ready.wait(30):
                    proc.kill()
                    proc.wait()
                    pytest.fail(f"run {run}: the writer never became ready:\n{stderr_path.read_text()}")
            time.sleep(rng.uniform(0.05, 0.6))
            proc.send_signal(signal.SIGKILL)
            returncode = proc.wait(30)
            thread.join(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
    assert returncode == -signal.SIGKILL, f"run {run}: the writer died by itself:\n{stderr_path.read_text()}"
    return lines


def in_flight_write(run: int, saved: dict[int, str], edited: set[int]) -> tuple[str, int]:
    """The one write the child may have committed but not yet reported when it was killed."""
    if not saved:
        return "save", 0
    last = max(saved)
    if edits_after_save(last) and last - 1 not in edited:
        return "edit", last - 1
    return "save", last + 1


def check_profile(profile: Path, run: int, lines: list[str], expected: dict[str, dict]) -> None:
    """Reopen after the kill; check this run's reports and every earlier run's records."""
    saved: dict[int, str] = {}
    edited: set[int] = set()
    for line in lines:
        word, *rest = line.split()
        if word == "saved":
            saved[int(rest[1])] = rest[0]
        elif word == "edited":
            edited.add(int(rest[1]))
            assert saved[int(rest[1])] == rest[0]
        else:
            assert line == "ready", f"unexpected line from the writer: {line!r}"
    assert sorted(saved) == list(range(len(saved))), "the child reports saves in order"

    store = Store.open(profile)
    try:
        store.unlock(PASSPHRASE)
        records = {r.id: r for r in store.list_records("household")}
        this_run = {r.fields["n"]: r for r in records.values() if r.fields["run"] == run}

        # Every reported save is there, under the id the child printed.
        for n, rid in saved.items():
            assert rid in records, f"run {run}: reported save {n} ({rid}) is missing"
            assert records[rid].fields["n"] == n
        # Besides those, at most the one write in flight at the kill.
        kind, target = in_flight_write(run, saved, edited)
        extra = set(this_run) - set(saved)
        assert extra <= ({target} if kind == "save" else set()), f"run {run}: unexpected records {sorted(extra)}"
        now_edited = {n for n, r in this_run.items() if r.fields["members"] >= 100}
        assert edited <= now_edited, f"run {run}: reported edits {sorted(edited - now_edited)} are missing"
        assert now_edited - edited <= ({target} if kind == "edit" else set())

        # Exact values for everything of this run: the original, or original plus its edit.
        for n, record in this_run.items():
            want = fields_for(run, n)
            if n in now_edited:
                want = {**want, **edit_for(run, n)}
            assert record.fields == want, f"run {run}: record {n} came back altered"
            expected[record.id] = want

        # Earlier runs' records are untouched, and nothing else appeared.
        assert set(records) == set(expected)
        for rid, want in expected.items():
            assert records[rid].fields == want

        # The outbox holds exactly one change per save and one per edit:
        # no record row was committed without its change, or the reverse.
        edits_total = sum(1 for f in expected.values() if f["members"] >= 100)
        assert store.pending_count() == len(expected) + edits_total

        # The blind index was committed with the rows it covers: look up the
        # newest records of this run, where the kill struck (a sample, as an
        # exact search costs a few milliseconds on a store this size).
        for n in sorted(this_run)[-5:]:
            record = this_run[n]
            assert [r.id for r in store.find_records("household", "phone", record.fields["phone"])] == [record.id]

        report = store.verify()
        assert report.ok, report
        assert report.records == len(expected)
    finally:
        store.close()


@pytest.mark.slow
def test_killed_writer_loses_nothing_it_reported(tmp_path):
    profile = tmp_path / "profile"
    store, _ = Store.create(profile, user="Оксана Несправжня", passphrase=PASSPHRASE, kdf=crypto.fast_kdf_for_tests())
    store.close()

    rng = random.Random(SEED)
    expected: dict[str, dict] = {}
    reported = 0
    started = time.monotonic()
    for run in range(KILLS):
        lines = run_child_and_kill(profile, run, rng, tmp_path / f"child-{run}.err")
        reported += sum(1 for line in lines if line != "ready")
        check_profile(profile, run, lines, expected)
    elapsed = time.monotonic() - started

    # The loop really did write: most runs got well past start-up before the kill.
    assert reported > KILLS * 5, f"only {reported} writes reported in {KILLS} runs"
    print(f"{KILLS} kills, {reported} reported writes, {len(expected)} records, {elapsed:.1f} s")
