"""Duplicates across teams at the hub: two teams register one family offline, both sync,
``server duplicates`` finds the pair with each side's team; a lead's decision on a laptop
reaches the hub and the pair is not listed again (SQLite and PostgreSQL)."""
from __future__ import annotations

import csv
import os
import stat

from distributions import registry, review
from sync.client import SyncClient
from tests.conftest import PASSPHRASE
from tests.unit.distributions.test_registry import hand_scan

NORTH = [
    "reg_id,head_name,dob,phone,settlement",
    "N-1,Шевченко Олександр Петрович,14.03.1975,067 123 45 67,Буча",
    "N-2,Коваленко Ірина Василівна,02.09.1988,050 765 43 21,Буча",
    "N-3,Шевченко Андрій Петрович,14.03.1975,067 123 45 67,Буча",  # the twin brother: never a pair
    "N-4,Shevchenko Oleksandr,14.03.1975,,Bucha",  # registered twice by the same team
]
SOUTH = [
    "reg_id,head_name,dob,phone,settlement",
    "S-7,Aleksandr Shevchenko,3/14/1975,+380671234567,Odesa",  # moved south, registered again
    "S-8,Мельник Ольга,1990-01-01,0931112233,Odesa",
]


def hub_args(live) -> list[str]:
    args = ["--data", str(live.hub.settings.data_dir)]
    if live.hub.settings.db_url:
        args += ["--db", live.hub.settings.db_url]
    return args


def read_stdout(done) -> list[tuple[str, str]]:
    assert done.returncode == 0, done.stderr
    return [(r["ref_a"], r["ref_b"]) for r in csv.DictReader(done.stdout.splitlines())]


def read(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_teams_one_family_found_at_the_hub_and_decided_on_a_laptop(make_store, live, cli, tmp_path):
    north, south = SyncClient(make_store("north")), SyncClient(make_store("south"))
    north.enroll(live.url, live.hub.new_enroll_code("north"))
    south.enroll(live.url, live.hub.new_enroll_code("south"))
    (tmp_path / "north.csv").write_text("\n".join(NORTH) + "\n", encoding="utf-8")
    (tmp_path / "south.csv").write_text("\n".join(SOUTH) + "\n", encoding="utf-8")
    assert registry.import_list(north.store, tmp_path / "north.csv").added == 4
    assert registry.import_list(south.store, tmp_path / "south.csv").added == 2
    north.sync_now()
    south.sync_now()
    # Neither laptop sees the pair alone (each holds only its own team's list).
    assert review.review_queue(south.store) == []

    inside = cli("server", "duplicates", *hub_args(live), "--out", str(live.hub.settings.data_dir / "pairs.csv"))
    assert inside.returncode == 1 and inside.stderr.count("\n") == 1 and "outside the hub's data folder" in inside.stderr
    out = tmp_path / "pairs.csv"
    done = cli("server", "duplicates", *hub_args(live), "--out", str(out), "--cross-team")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = read(out)
    assert sorted((r["ref_a"], r["ref_b"], r["team_a"], r["team_b"]) for r in rows) == [
        ("N-1", "S-7", "north", "south"), ("N-4", "S-7", "north", "south")]  # N-4 is N-1 again: a pair of its own
    assert "names match across scripts" in rows[0]["reasons"] and float(rows[0]["score"]) >= 8
    assert "2 candidate pair(s) among 6 households" in done.stdout
    south_only = cli("server", "duplicates", *hub_args(live), "--team", "south")
    assert south_only.returncode == 0 and south_only.stdout.splitlines() == ["ref_a,ref_b,score,reasons,team_a,team_b,id_a,id_b"]
    events = [tuple(e) for e in live.hub.db.execute("SELECT event, detail FROM events WHERE event IN (?, ?)",
                                                    ("duplicates_export", "duplicates"))]
    assert ("duplicates_export", "2 pairs of 6 households") in events and ("duplicates", "0 pairs of 2 households") in events

    # A pair within one team, decided on that team's laptop: the decision syncs to the hub
    # with the household, and the hub no longer lists the pair; the cross-team pair stays.
    everything = read_stdout(cli("server", "duplicates", *hub_args(live)))
    assert ("N-1", "N-4") in everything and ("N-1", "S-7") in everything
    ids = {r.fields["external_ref"]: r.id for r in north.store.list_records("household")}
    review.decide(north.store, ids["N-1"], ids["N-4"], "same", "one man, typed twice")
    north.sync_now()
    after = read_stdout(cli("server", "duplicates", *hub_args(live)))
    assert ("N-1", "N-4") not in after and ("N-1", "S-7") in after
    # Nothing personal reaches the hub's files; the pairs file is the one export. (Last: reading
    # the database file from this process would drop the live server's SQLite locks.)
    assert hand_scan(live.hub.settings.data_dir, ["Шевченко", "Shevchenko", "Коваленко"]) == []
