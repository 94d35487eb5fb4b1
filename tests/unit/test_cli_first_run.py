"""What a person following the README for the first time ran into, each pinned by a test.

The commands run as a user runs them (``python main.py ...`` in a subprocess).
"""
from __future__ import annotations

import json
import socket

from tests.conftest import PASSPHRASE

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}


# --- the server: only 'server init' makes one ------------------------------------------------------
def test_a_server_command_on_a_folder_without_a_server_fails_and_creates_nothing(cli, tmp_path):
    typo = tmp_path / "srv" / "fieldbok"
    for args in (["devices"], ["enroll-code", "--team", "north"], ["run", "--port", "0"], ["forms"]):
        r = cli("server", *args, "--data", str(typo))
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        [line] = r.stderr.splitlines()
        assert line.startswith("error: There is no server in") and f"server init --data {typo}" in line
        assert r.stdout == ""
    assert not typo.exists() and not (tmp_path / "srv").exists()


def test_server_init_creates_once_and_then_the_commands_work(cli, tmp_path):
    data = tmp_path / "hub"
    r = cli("server", "init", "--data", str(data))
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["server_id"].startswith("server-") and (data / "server-keys.json").is_file()
    keys = (data / "server-keys.json").read_bytes()
    again = cli("server", "init", "--data", str(data))
    assert again.returncode == 1 and "already holds server " + made["server_id"] in again.stderr
    assert (data / "server-keys.json").read_bytes() == keys
    assert cli("server", "enroll-code", "--data", str(data), "--team", "north").returncode == 0


def test_server_init_refuses_a_folder_with_other_files_or_a_keyless_database(cli, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("not a server")
    r = cli("server", "init", "--data", str(other))
    assert r.returncode == 1 and "not empty" in r.stderr
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    keyless = tmp_path / "keyless"
    assert cli("server", "init", "--data", str(keyless)).returncode == 0
    (keyless / "server-keys.json").unlink()
    r = cli("server", "devices", "--data", str(keyless))
    assert r.returncode == 1 and "restore that file from the backup" in r.stderr


# --- enroll-code --hours ------------------------------------------------------------------------------
def test_enroll_code_refuses_hours_that_make_no_sense(cli, tmp_path):
    data = tmp_path / "hub"
    assert cli("server", "init", "--data", str(data)).returncode == 0
    for hours in ("0", "-1", "nan", "1e9", "721"):
        r = cli("server", "enroll-code", "--data", str(data), "--team", "north", "--hours", hours)
        assert r.returncode == 1 and r.stdout == "", hours
        [line] = r.stderr.splitlines()
        assert "--hours must be more than 0" in line
    r = cli("server", "enroll-code", "--data", str(data), "--team", "north", "--hours", "0.5")
    assert r.returncode == 0 and len(r.stdout.strip()) == 19


# --- server run on a busy port --------------------------------------------------------------------------
def test_server_run_on_a_busy_port_prints_one_line_and_no_banner(cli, tmp_path):
    data = tmp_path / "hub"
    assert cli("server", "init", "--data", str(data)).returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = cli("server", "run", "--data", str(data), "--host", "127.0.0.1", "--port", str(port))
    assert r.returncode == 1
    assert r.stdout == ""  # no banner
    [line] = r.stderr.splitlines()
    assert line.startswith("error: Port ") and "already in use" in line


# --- profiles and records -------------------------------------------------------------------------------
def test_profile_init_takes_the_new_passphrase_variable(cli, tmp_path):
    profile = tmp_path / "p"
    r = cli("profile", "init", "--profile", str(profile), "--user", "Enumerator One",
            env={"FIELDBOOK_NEW_PASSPHRASE": "a new synthetic passphrase"})
    assert r.returncode == 0, r.stderr
    assert cli("profile", "verify", "--profile", str(profile), env={"FIELDBOOK_PASSPHRASE": "a new synthetic passphrase"}).returncode == 0
    # The old name still works when the new one is not set (documented), and the new one wins over it.
    old = tmp_path / "old"
    assert cli("profile", "init", "--profile", str(old), "--user", "E", env=ENV).returncode == 0
    assert cli("profile", "verify", "--profile", str(old), env=ENV).returncode == 0
    both = tmp_path / "both"
    assert cli("profile", "init", "--profile", str(both), "--user", "E",
               env={**ENV, "FIELDBOOK_NEW_PASSPHRASE": "the new one wins"}).returncode == 0
    assert cli("profile", "verify", "--profile", str(both), env={"FIELDBOOK_PASSPHRASE": "the new one wins"}).returncode == 0


def test_profile_wipe_outside_a_terminal_needs_yes(cli, make_store, tmp_path):
    store = make_store("p")
    rid = store.save_record("household", {"head_name": "Synthetic Person"})
    store.close()
    r = cli("profile", "wipe", "--profile", str(tmp_path / "p"), input="")
    assert r.returncode == 1
    [line] = r.stderr.splitlines()
    assert "--yes" in line and "nothing was changed" in line
    assert not (tmp_path / "p" / "WIPED").exists()
    got = cli("record", "get", "--profile", str(tmp_path / "p"), rid, env=ENV)
    assert got.returncode == 0 and "Synthetic Person" in got.stdout
    assert cli("profile", "wipe", "--profile", str(tmp_path / "p"), "--yes").returncode == 0
    assert (tmp_path / "p" / "WIPED").exists()


def test_record_edit_prints_the_id_and_changed_names_never_values(cli, make_store, tmp_path):
    store = make_store("p")
    rid = store.save_record("household", {"head_name": "Unchanged Secret Name", "members": 3, "phone": "067 000 11 22"})
    store.close()
    r = cli("record", "edit", "--profile", str(tmp_path / "p"), rid, "--json", '{"members": 4, "phone": "067 000 11 22"}', env=ENV)
    assert r.returncode == 0, r.stderr
    assert r.stdout == rid + "\n"
    assert "changed members." in r.stderr and "phone" not in r.stderr
    for value in ("Unchanged Secret Name", "067 000 11 22", "4"):
        assert value not in r.stderr.replace(rid, "")
    got = json.loads(cli("record", "get", "--profile", str(tmp_path / "p"), rid, env=ENV).stdout)
    assert got["fields"]["members"] == 4


# --- export ---------------------------------------------------------------------------------------------
def _form_profile(make_store, tmp_path):
    store = make_store("p")
    done = store.save_record("submission", {"consent": "yes", "hh_size": 1}, form_id="household_needs", form_version="1")
    draft = store.save_record("draft", {"consent": "yes", "hh_size": 7}, form_id="household_needs", form_version="1")
    store.close()
    return tmp_path / "p", done, draft


def test_export_holds_finished_work_only(cli, make_store, tmp_path):
    import csv

    profile, done, draft = _form_profile(make_store, tmp_path)
    out = tmp_path / "out" / "hh.csv"
    out.parent.mkdir()
    r = cli("export", "--profile", str(profile), "--form", "household_needs", "--format", "csv", "--out", str(out), env=ENV)
    assert r.returncode == 0, r.stderr
    with out.open(encoding="utf-8-sig") as fh:
        ids = [row["_id"] for row in csv.DictReader(fh)][1:]  # row 2 holds the HXL hashtags
    assert ids == [done] and draft not in out.read_text(encoding="utf-8-sig")


def test_export_refuses_a_file_name_of_the_other_format_and_infers_it_otherwise(cli, make_store, tmp_path):
    profile, done, _ = _form_profile(make_store, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for fmt, name in (("csv", "x.xlsx"), ("xlsx", "x.csv")):
        r = cli("export", "--profile", str(profile), "--form", "household_needs", "--format", fmt, "--out", str(out / name), env=ENV)
        assert r.returncode == 1
        [line] = r.stderr.splitlines()
        assert f"says {name.split('.')[1]} but the format asked for is {fmt}" in line
    assert list(out.iterdir()) == []
    r = cli("export", "--profile", str(profile), "--form", "household_needs", "--out", str(out / "x.xlsx"), env=ENV)
    assert r.returncode == 0, r.stderr
    assert (out / "x.xlsx").read_bytes()[:2] == b"PK"  # a real workbook (a zip), not CSV
    r = cli("export", "--profile", str(profile), "--form", "household_needs", "--out", str(out / "x.txt"), env=ENV)
    assert r.returncode == 1 and "give --format" in r.stderr


# --- the core install without Qt: the app says what to install -------------------------------------
def test_the_app_without_qt_says_what_to_install(monkeypatch, capsys, tmp_path):
    import importlib.util

    import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "PySide6" else real(name, *a))
    for argv in (["gui"], ["card", "print", "--profile", str(tmp_path / "p"), "--round", "r1",
                           "--out", str(tmp_path / "cards.pdf")]):
        assert main.main(argv) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert "needs Qt (PySide6), which is not installed" in line and "pip install -e '.[gui]'" in line, line
        assert "internal error" not in line
    assert not (tmp_path / "cards.pdf").exists()
