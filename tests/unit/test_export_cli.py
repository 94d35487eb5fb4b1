"""``python main.py export``: a real profile, real decryption, the file read back; the profile gains no plaintext."""
from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

import forms
from resources import resource_path
from tests.conftest import PASSPHRASE
from tests.unit.test_privacy import CANARIES, scan

NOW = dt.datetime(2026, 11, 20, 10, 30)
ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}


@pytest.fixture(scope="module")
def household():
    return forms.load_form(resource_path("forms", "household_needs.xlsx"))


def interview(form, name: str, phone: str, comments: str) -> dict:
    s = forms.Session(form, {
        "consent": "yes", "assessment_date": "2026-11-19", "oblast": "UA63", "raion": "UA6312", "hromada": "UA6312027",
        "settlement": "Вигадане", "displacement_status": "idp", "months_displaced": 8, "hh_size": 2,
        "members": [
            {"member_age": 44, "member_sex": "female", "member_disability": "no", "member_relation": "head"},
            {"member_age": 9, "member_sex": "male", "member_disability": "no", "member_relation": "child"},
        ],
        "priority_needs": "food heating", "shelter_condition": "light", "income_sources": "pension",
        "monthly_income": 4200, "received_assistance": "no", "followup_consent": "yes", "phone": phone,
        "comments": comments,
    }, device_id="device-07", username="enumerator-12", now=NOW)
    assert s.errors() == [], s.errors()
    record = s.record(finalise=True)
    record["comments"] = f"{comments} ({name})"  # a value that must never leak
    return record


@pytest.fixture
def profile(make_store, household, tmp_path):
    store = make_store("profile")
    records = [interview(household, CANARIES[1], "+380670000001", CANARIES[0]),
               interview(household, "Synthetic Two", "+380670000002", "no comment")]
    ids = [store.save_record("submission", r, form_id="household_needs", form_version=household.version) for r in records]
    store.save_record("submission", {"complaint": CANARIES[0]}, form_id="complaints_feedback", form_version="1")
    gone = store.save_record("submission", records[0], form_id="household_needs", form_version=household.version)
    store.delete_record(gone)
    store.close()
    return tmp_path / "profile", ids


def test_export_xlsx_end_to_end_without_plaintext_in_the_profile(cli, profile, tmp_path):
    directory, ids = profile
    out = tmp_path / "exports" / "hh.xlsx"
    out.parent.mkdir()
    done = cli("export", "--profile", str(directory), "--form", "household_needs", "--format", "xlsx",
               "--out", str(out), "--lang", "uk", env=ENV)
    assert done.returncode == 0, done.stderr
    assert "Exported 2 record(s) of household_needs" in done.stderr
    assert not any(c in done.stderr + done.stdout for c in CANARIES)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["household_needs", "members"]
    rows = list(wb["household_needs"].iter_rows(values_only=True))
    header, hxl, data = rows[0], rows[1], rows[2:]
    assert "Область" in header and "Потреби/Опалення або паливо на зиму" not in header  # labels, in Ukrainian
    assert "#contact+phone" in hxl and "#need+priority+heating" in hxl
    assert [dict(zip(header, r))["_id"] for r in data] == ids  # the deleted record and the other form are left out
    assert dict(zip(header, data[0]))["Область"] == "Харківська"
    members = list(wb["members"].iter_rows(values_only=True))
    assert [r[-1] for r in members[2:]] == [ids[0], ids[0], ids[1], ids[1]]
    assert any(CANARIES[0] in str(v) for v in data[0])  # control: the values did reach the export
    # The export is the only plaintext: the profile folder (database, WAL, logs) holds none.
    assert scan(directory) == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["hh.xlsx"]


def test_export_csv_names_with_repeat_file(cli, profile, tmp_path):
    directory, ids = profile
    out = tmp_path / "hh.csv"
    done = cli("export", "--profile", str(directory), "--form", "household_needs", "--format", "csv", "--out", str(out), env=ENV)
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["_id"] for r in rows[1:]] == ids  # rows[0] is the HXL row
    assert rows[1]["assessment/needs_group/priority_needs/heating"] == "1"
    with open(tmp_path / "hh-members.csv", newline="", encoding="utf-8-sig") as fh:
        members = list(csv.DictReader(fh))[1:]
    assert [(m["_parent_id"], m["assessment/household/members/member_age"]) for m in members] == [
        (ids[0], "44"), (ids[0], "9"), (ids[1], "44"), (ids[1], "9")]
    assert scan(directory) == []


@pytest.mark.parametrize("case", ["unknown form", "wrong passphrase", "missing folder", "inside profile", "unknown language"])
def test_errors_are_one_line_and_leave_nothing(cli, profile, tmp_path, case):
    directory, _ = profile
    out = tmp_path / "out" / "x.xlsx"
    out.parent.mkdir()
    args = {"form": "household_needs", "out": str(out), "env": ENV, "extra": []}
    expect = {
        "unknown form": "no built-in form 'nope'",
        "wrong passphrase": "Wrong passphrase",
        "missing folder": "does not exist",
        "inside profile": "outside the profile folder",
        "unknown language": "no 'fr' labels",
    }[case]
    if case == "unknown form":
        args["form"] = "nope"
    elif case == "wrong passphrase":
        args["env"] = {"FIELDBOOK_PASSPHRASE": "wrong " + CANARIES[0]}
    elif case == "missing folder":
        args["out"] = str(tmp_path / "nowhere" / "x.xlsx")
    elif case == "inside profile":
        args["out"] = str(directory / "x.xlsx")
    else:
        args["extra"] = ["--lang", "fr"]
    def files():  # the log may be created by opening the profile; it is scanned below
        return sorted(p.name for p in directory.rglob("*") if "logs" not in p.parts)

    before = files()
    done = cli("export", "--profile", str(directory), "--form", args["form"], "--format", "xlsx",
               "--out", args["out"], *args["extra"], env=args["env"])
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and expect in lines[0], done.stderr
    assert not any(c in done.stderr for c in CANARIES)
    assert list(out.parent.iterdir()) == []
    assert files() == before  # nothing new beside the profile's files
    assert scan(directory) == []


def test_the_registration_form_is_refused_with_where_its_households_are(cli, make_store, tmp_path):
    """Finalising ``household_registration`` stores a household, not a submission: its export was
    always empty, as if no one had been registered. It is refused, naming where the households are."""
    import exporting
    from forms.errors import ExportError

    store = make_store("reg")
    store.save_record("household", {"external_ref": "R-1", "head_name": "Синтетична Реєстрація", "hh_size": 2},
                      form_id="household_registration", form_version="1")
    with pytest.raises(ExportError, match="record list --kind household"):
        exporting.export_form(store, exporting.find_builtin_form("household_registration"), tmp_path / "api.csv")
    assert not (tmp_path / "api.csv").exists()
    store.close()
    out = tmp_path / "out" / "reg.csv"
    out.parent.mkdir()
    done = cli("export", "--profile", str(tmp_path / "reg"), "--form", "household_registration", "--out", str(out),
               env=ENV)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: The form household_registration registers households")
    assert "registry duplicates" in lines[0] and "server duplicates" in lines[0]
    assert list(out.parent.iterdir()) == []
