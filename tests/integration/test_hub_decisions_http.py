"""Duplicate decisions made at the hub reach two teams' laptops over real HTTP (SQLite and
PostgreSQL): ``server duplicates decide``, within one team and across two; afterwards
``registry review`` on the laptops no longer shows the pairs, and the household that went
points to the survivor, held by its laptop or not."""
from __future__ import annotations

import csv
import json

from distributions import receipts, registry, review
from rules import domain
from sync.client import SyncClient
from tests.conftest import PASSPHRASE
from tests.integration.test_hub_duplicates import NORTH, SOUTH, hub_args, read_stdout
from tests.unit.distributions.test_registry import hand_scan

PASSWORD = {"FIELDBOOK_NEW_PASSWORD": "a synthetic password 42"}


def _laptops(make_store, live, tmp_path):
    north, south = SyncClient(make_store("north")), SyncClient(make_store("south"))
    north.enroll(live.url, live.hub.new_enroll_code("north"))
    south.enroll(live.url, live.hub.new_enroll_code("south"))
    (tmp_path / "north.csv").write_text("\n".join(NORTH) + "\n", encoding="utf-8")
    (tmp_path / "south.csv").write_text("\n".join(SOUTH) + "\n", encoding="utf-8")
    registry.import_list(north.store, tmp_path / "north.csv")
    registry.import_list(south.store, tmp_path / "south.csv")
    north.sync_now(); south.sync_now()
    return north, south


def test_hub_decisions_reach_both_teams_laptops(make_store, live, cli, tmp_path):
    north, south = _laptops(make_store, live, tmp_path)
    args = hub_args(live)
    for name, role, team in (("lead-north", "lead", ["--team", "north"]), ("hub-admin", "admin", [])):
        done = cli("server", "user", "add", *args, "--name", name, "--role", role, *team, env=PASSWORD)
        assert done.returncode == 0, done.stderr
    pairs = read_stdout(cli("server", "duplicates", *args))
    assert {("N-1", "N-4"), ("N-1", "S-7"), ("N-4", "S-7")} <= set(pairs)

    def decide(*rest):
        return cli("server", "duplicates", "decide", *args, *rest)

    # Refused in one line, nothing written: a viewer-less unknown user, a lead across teams, no reason.
    before = live.hub.db.execute("SELECT count(*) FROM changes")[0][0]
    for rest, message in [
        (["--pair", "N-1", "N-4", "--same", "--reason", "x", "--as", "nobody"], "no console user"),
        (["--pair", "N-1", "S-7", "--same", "--reason", "x", "--as", "lead-north"], "across two teams"),
        (["--pair", "N-1", "N-4", "--same", "--as", "lead-north"], "Give a reason"),
        (["--pair", "N-1", "X-0", "--different", "--reason", "x", "--as", "hub-admin"], "no household X-0"),
    ]:
        refused = decide(*rest)
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and message in refused.stderr, refused.stderr
    assert live.hub.db.execute("SELECT count(*) FROM changes")[0][0] == before

    # Within north, by north's lead; then across the two teams, by an administrator.
    done = decide("--pair", "N-4", "N-1", "--same", "--reason", "one man, typed twice", "--as", "lead-north")
    assert done.returncode == 0, done.stderr
    within = json.loads(done.stdout)
    assert (within["ref_a"], within["ref_b"], within["verdict"]) == ("N-1", "N-4", "same")
    assert list(within["decisions"]) == ["north"] and "north receive it" in done.stderr
    done = decide("--pair", "N-1", "S-7", "--same", "--reason", "moved south, registered again", "--as", "hub-admin")
    assert done.returncode == 0, done.stderr
    across = json.loads(done.stdout)
    assert sorted(across["decisions"]) == ["north", "south"] and across["kept"] == across["a"]
    # The hub no longer proposes them (N-4 and S-7 now both point to N-1).
    rest = read_stdout(cli("server", "duplicates", *args))
    assert not {("N-1", "N-4"), ("N-1", "S-7"), ("N-4", "S-7")} & set(rest)

    north.sync_now(); south.sync_now()
    n_ids = {r.fields["external_ref"]: r.id for r in north.store.list_records("household")}
    s7 = next(r for r in south.store.list_records("household") if r.fields["external_ref"] == "S-7")
    assert north.store.get_record(n_ids["N-4"]).fields[domain.LINK_FIELD] == n_ids["N-1"]
    assert s7.fields[domain.LINK_FIELD] == n_ids["N-1"]  # a household south does not hold
    assert receipts.survivor_id(south.store, s7) == n_ids["N-1"]
    north_decisions = {d["id"]: d for d in review.decisions(north.store)}
    assert set(north_decisions) == {within["decisions"]["north"], across["decisions"]["north"]}
    [south_decision] = review.decisions(south.store)
    assert south_decision["id"] == across["decisions"]["south"] and south_decision["by"] == "hub-admin"
    assert south_decision["reason"] == "moved south, registered again"

    # `registry review` on each laptop: nothing left to review.
    north.store.close(); south.store.close()
    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    for name in ("north", "south"):
        shown = cli("registry", "review", "--profile", str(tmp_path / name), env=env)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("0 pair(s) to review"), shown.stdout
        history = cli("registry", "review", "--profile", str(tmp_path / name), "--history", env=env)
        assert all(json.loads(line)["verdict"] == "same" for line in history.stdout.splitlines())
    # The hub's stored pairs and decisions are sealed: nothing personal in its files.
    assert hand_scan(live.hub.settings.data_dir, ["Шевченко", "Shevchenko", "moved south"]) == []


def test_the_candidate_list_leaves_out_decided_pairs_and_keeps_unsure_ones(make_store, live, cli, tmp_path):
    _laptops(make_store, live, tmp_path)
    args = hub_args(live)
    assert cli("server", "user", "add", *args, "--name", "hub-admin", "--role", "admin", env=PASSWORD).returncode == 0
    assert ("N-1", "N-4") in read_stdout(cli("server", "duplicates", *args))
    for verdict, listed in (("--unsure", True), ("--different", False)):
        done = cli("server", "duplicates", "decide", *args, "--pair", "N-1", "N-4", verdict, "--reason", "checked",
                   "--as", "hub-admin")
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(cli("server", "duplicates", *args).stdout.splitlines()))
        assert (("N-1", "N-4") in [(r["ref_a"], r["ref_b"]) for r in rows]) is listed
    missing = cli("server", "duplicates")
    assert missing.returncode == 2 and "--data" in missing.stderr
