"""``forms submit``: a filled form becomes a finished submission, checked as the app's Finalise checks it."""
from __future__ import annotations

import json

import pytest

from tests.conftest import PASSPHRASE

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
GOOD = {
    "consent": "yes", "assessment_date": "2026-11-19", "oblast": "UA63", "raion": "UA6312", "hromada": "UA6312027",
    "settlement": "Вигадане", "displacement_status": "idp", "months_displaced": 8, "hh_size": 1,
    "members": [{"member_age": 44, "member_sex": "female", "member_disability": "no", "member_relation": "head"}],
    "priority_needs": "food heating", "shelter_condition": "light", "income_sources": "pension",
    "received_assistance": "no", "followup_consent": "no",
}


@pytest.fixture
def profile(make_store, tmp_path):
    make_store("p").close()
    return tmp_path / "p"


def write(tmp_path, answers) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return str(path)


def records(cli, profile) -> list[dict]:
    r = cli("record", "list", "--profile", str(profile), env=ENV)
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_forms_submit_saves_a_finished_submission_with_its_metadata(cli, profile, tmp_path):
    r = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, GOOD), env=ENV)
    assert r.returncode == 0, r.stderr
    rid = r.stdout.strip()
    [rec] = records(cli, profile)
    assert rec["id"] == rid and rec["kind"] == "submission" and rec["form_id"] == "household_needs"
    assert rec["form_version"]
    f = rec["fields"]
    assert f["settlement"] == "Вигадане" and f["members"][0]["member_age"] == 44
    assert f["start"] and f["end"] and f["end"] >= f["start"]         # stamped as the app stamps them
    assert f["username"] == "Enumerator One" and len(f["deviceid"]) == 16
    assert "months_displaced" in f and "n_children" in f              # calculations included


def test_forms_submit_names_each_question_in_error_and_saves_nothing(cli, profile, tmp_path):
    bad = {**GOOD, "hh_size": 40, "priority_needs": "caviar"}
    del bad["settlement"]
    r = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, bad), env=ENV)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert "settlement: required: This question is required." in lines
    assert any(x.startswith("hh_size: constraint: ") for x in lines)
    assert any(x.startswith("priority_needs: type: ") for x in lines)
    [err] = r.stderr.splitlines()
    assert err.startswith(f"error: {len(lines)} answer(s) need attention") and "nothing was saved" in err
    assert records(cli, profile) == []
    # a repeat entry's error names its entry
    bad = {**GOOD, "members": [{**GOOD["members"][0], "member_age": 200}]}
    r = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, bad), env=ENV)
    assert r.returncode == 1 and any(x.startswith("member_age[1]: constraint: ") for x in r.stdout.splitlines())


def test_forms_submit_refuses_unknown_forms_questions_and_bad_files(cli, profile, tmp_path):
    r = cli("forms", "submit", "--profile", str(profile), "no_such_form", "--answers", write(tmp_path, GOOD), env=ENV)
    assert r.returncode == 1 and "has no form 'no_such_form'" in r.stderr and "household_needs" in r.stderr
    r = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, {**GOOD, "typo": 1}), env=ENV)
    assert r.returncode == 1 and "typo" in r.stderr
    (tmp_path / "broken.json").write_text('{"consent": "Synthetic Secret"', encoding="utf-8")
    r = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", str(tmp_path / "broken.json"), env=ENV)
    assert r.returncode == 1 and "not valid JSON" in r.stderr and "Synthetic Secret" not in r.stderr
    assert records(cli, profile) == []


def test_forms_submit_takes_a_form_the_hub_published_to_the_profile(laptops, hub, tmp_path, cli):
    from tests.unit.sync.test_published_forms import published, workbook

    a = laptops("a")
    hub.publish_form(published(workbook(tmp_path)))
    a.sync_now()
    a.store.close()
    profile = tmp_path / "a"
    r = cli("forms", "submit", "--profile", str(profile), "site_check", "--answers",
            write(tmp_path, {"site_name": "Synthetic site", "place": "kyiv"}), env=ENV)
    assert r.returncode == 0, r.stderr
    [rec] = [x for x in records(cli, profile) if x["kind"] == "submission"]
    assert rec["form_id"] == "site_check" and rec["fields"]["place"] == "kyiv"
    r = cli("forms", "submit", "--profile", str(profile), "site_check", "--answers",
            write(tmp_path, {"site_name": "Synthetic site", "place": "lviv"}), env=ENV)  # not in its choice file
    assert r.returncode == 1 and r.stdout.startswith("place: type: ")


def test_the_app_and_the_command_share_one_finalise(monkeypatch):
    # The GUI's Finalise calls the same two functions (checked in its source, as Qt is not needed).
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "gui" / "screens" / "form.py").read_text(encoding="utf-8")
    assert "finalise.finalised(self.session" in source and "save_submission(store" in source
    assert "store.save_record(r[" not in source
