"""Registering a household through the built-in registration form: the mapping, the checks
of ``registry add``, the draft kept on a refusal, ``forms submit``, and no plaintext on disk."""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

import forms
from distributions import regform, registration
from distributions.cards import read_card_code
from distributions.errors import InvalidHousehold
from distributions.normalise import make_rnokpp
from exporting import find_builtin_form
from forms.finalise import InvalidAnswers, finalised
from rules.names import DRAFT
from storage.logs import attach_profile_log, detach_profile_log
from tests.conftest import PASSPHRASE
from tests.unit.distributions.test_review import HOUSEHOLDS, TAX, register as seed
from tests.unit.test_privacy import CANARIES, scan

NOW = dt.datetime(2026, 11, 20, 10, 30)
TODAY = NOW.date()
OWN_TAX = make_rnokpp(dt.date(1980, 5, 2), 7, female=True)
MEMBER = {"member_name": "Коваленко Олег Петрович", "member_sex": "male", "member_dob": "2010-01-01",
          "member_relation": "child", "member_disability": "yes"}
ANSWERS = {
    "consent": "yes", "consent_date": "2026-11-19", "consent_purpose": "registration monitoring",
    "head_name": "Коваленко Ірина Петрівна", "head_dob": "1980-05-02", "phone": "+380671112233",
    "doc_type": "id_card", "doc_number": "001234567", "tax_number": OWN_TAX,
    "oblast": "UA63", "raion": "UA6314", "hromada": "UA6314003", "settlement": "Зміїв", "hh_size": 2,
    "members": [MEMBER], "external_ref": "KOBO-1207",
}


@pytest.fixture(scope="module")
def form() -> forms.Form:
    return find_builtin_form(regform.FORM_ID)


def record_of(form, answers=ANSWERS) -> dict:
    session = forms.Session(form, answers, device_id="device-07", username="enumerator-12", now=NOW)
    return finalised(session)


def test_the_form_is_built_in_and_in_both_languages(form):
    from exporting import builtin_form_ids

    assert regform.FORM_ID in builtin_form_ids()
    assert form.title_in("uk") == "Реєстрація домогосподарства"
    assert regform.is_registration(form.form_id) and not regform.is_registration("household_needs")
    # Every question the mapping reads is a question of the form (a rename there breaks this).
    for question in [*regform.QUESTIONS.values(), *regform.MEMBER_QUESTIONS.values()]:
        form.question(question)


def test_answers_map_to_the_household_fields_in_one_place(form):
    entry = regform.household_entry(form, record_of(form)["fields"])
    assert entry == {
        "head_name": "Коваленко Ірина Петрівна", "dob": "1980-05-02", "phone": "+380671112233",
        "doc_type": "id_card", "doc_number": "001234567", "tax_number": OWN_TAX,
        # P-codes are kept as the official (Ukrainian) names, as registration lists write them.
        "oblast": "Харківська", "raion": "Чугуївський", "hromada": "Зміївська", "settlement": "Зміїв",
        "hh_size": "2", "reg_id": "KOBO-1207", "consent": "yes", "consent_date": "2026-11-19",
        "consent_purpose": "registration monitoring",
        "members": [{"name": "Коваленко Олег Петрович", "sex": "male", "dob": "2010-01-01", "relation": "child",
                     "disabled": "yes"}],
    }
    # No document: neither a type nor a number goes to the household.
    fields = record_of(form, {**ANSWERS, "doc_type": "none", "doc_number": None, "external_ref": None,
                              "hh_size": 1, "members": []})["fields"]
    entry = regform.household_entry(form, fields)
    assert "doc_type" not in entry and "doc_number" not in entry and "reg_id" not in entry and "members" not in entry


def test_a_finalised_form_registers_a_household_and_drops_its_draft(store, form):
    seed(store)
    draft = store.save_record(DRAFT, {"head_name": "Коваленко"}, form_id=form.form_id, form_version=form.version)
    rid, check = regform.register_submission(store, form, record_of(form), draft_id=draft, today=TODAY)
    assert check.clear
    record = store.get_record(rid)
    assert (record.kind, record.form_id, record.form_version) == ("household", form.form_id, form.version)
    f = record.fields
    assert f["consent"] is True and f["external_ref"] == "KOBO-1207" and f["hh_size"] == 2
    assert f["members"][0]["disabled"] == "yes" and f["registered_at"] == TODAY.isoformat()
    assert read_card_code(f["card_code"]) == f["card_code"]  # a card code, as for any registration
    assert store.find_records("household", "tax_number", OWN_TAX)[0].id == rid
    assert store.find_records("household", "phone", "067 111 22 33")[0].id == rid
    assert store.count_records(DRAFT) == 0
    assert store.count_records("submission") == 0  # the household is the submission
    assert "team" not in f  # not enrolled yet
    store.save_sync_settings({"server": "http://hub.example:8765", "team": "north"})
    other = regform.register_submission(store, form, record_of(form, {**ANSWERS, "tax_number": None,
                                        "doc_number": "007654321", "head_name": "Бондар Оксана", "phone": None,
                                        "head_dob": "1990-01-01", "external_ref": None}), today=TODAY)[0]
    assert store.get_record(other).fields["team"] == "north"  # the team the laptop is enrolled in


def test_a_bad_check_digit_is_refused_by_the_form_and_by_the_registration(store, form):
    bad = OWN_TAX[:9] + str((int(OWN_TAX[9]) + 1) % 10)
    session = forms.Session(form, {**ANSWERS, "tax_number": bad}, lang="uk", now=NOW)
    with pytest.raises(InvalidAnswers) as refused:
        finalised(session)
    [error] = refused.value.errors
    assert (error.name, error.kind) == ("tax_number", "constraint") and "контрольна" in error.message
    # A record that got past the form (a copy published without the constraint, say) is refused too.
    fields = {**record_of(form)["fields"], "tax_number": bad}
    with pytest.raises(InvalidHousehold) as invalid:
        regform.register_submission(store, form, {"fields": fields}, today=TODAY)
    assert invalid.value.fields == ["tax_number"] and "check digit" in str(invalid.value)
    assert bad not in str(invalid.value)
    assert regform.question_of("tax_number") == "tax_number" and regform.question_of("dob") == "head_dob"
    assert store.count_records("household") == 0


def test_the_form_check_digit_agrees_with_the_registry_on_every_kind_of_number(form):
    from distributions.normalise import rnokpp_check_digit, rnokpp_valid

    session = forms.Session(form, {"consent": "yes"}, now=NOW)
    numbers = ["0000000000", "1111111111", "9000000000", "12345", "12345678901", "12345abcde"]
    numbers += [f"{n:09d}{rnokpp_check_digit(f'{n:09d}')}" for n in range(7, 10**9, 98_765_431)]
    numbers += [f"{n:09d}{(rnokpp_check_digit(f'{n:09d}') + 3) % 10}" for n in range(7, 10**9, 98_765_431)]
    for number in numbers:
        session.set("tax_number", number)
        accepted = not any(e.name == "tax_number" for e in session.errors())
        assert accepted == rnokpp_valid(number), number


def test_an_exact_duplicate_is_blocked_names_the_household_and_keeps_the_draft(store, form):
    seed(store)
    draft = store.save_record(DRAFT, {"head_name": "x"}, form_id=form.form_id, form_version=form.version)
    before = store.count_records("household")
    # Another name, but the tax number of N-1 (Шевченко Олександр): the same household.
    fields = {**record_of(form)["fields"], "tax_number": TAX}
    with pytest.raises(registration.DuplicateFound) as found:
        regform.register_submission(store, form, {"fields": fields}, draft_id=draft, today=TODAY)
    assert found.value.check.exact[0].ref == "N-1" and "same tax number" in str(found.value)
    assert TAX not in str(found.value) and "Шевченко" not in str(found.value)
    assert store.count_records("household") == before
    assert store.get_record(draft).fields == {"head_name": "x"}  # the draft, untouched


def test_a_likely_duplicate_is_asked_and_a_confirmed_one_is_audited(store, form):
    seed(store)
    draft = store.save_record(DRAFT, {"head_name": "x"}, form_id=form.form_id, form_version=form.version)
    # N-1 again, typed in Latin, with his birth date and phone but no document: likely, not exact.
    answers = {**ANSWERS, "head_name": "Oleksandr Shevchenko", "head_dob": HOUSEHOLDS[0]["dob"],
               "phone": HOUSEHOLDS[0]["phone"], "doc_type": "none", "doc_number": None, "tax_number": None,
               "settlement": "Буча"}
    record = record_of(form, answers)
    index = registration.LocalRegistry.load(store)
    with pytest.raises(registration.LikelyDuplicate) as asked:
        regform.register_submission(store, form, record, draft_id=draft, index=index, today=TODAY)
    assert "N-1" in {m.ref for m in asked.value.check.likely}
    assert store.count_records("household") == len(HOUSEHOLDS) and store.count_records(DRAFT) == 1
    assert not any(e.action == "household_registered_despite_likely_duplicate" for e in store.audit_entries())

    rid, check = regform.register_submission(store, form, record, draft_id=draft, index=index, confirm=True,
                                             today=TODAY)
    assert check.likely and store.get_record(rid).kind == "household"
    assert store.count_records(DRAFT) == 0
    assert [e.action for e in store.audit_entries()].count("household_registered_despite_likely_duplicate") == 1


def test_without_consent_nothing_is_registered(store, form):
    with pytest.raises(InvalidAnswers):
        record_of(form, {**ANSWERS, "consent": "no"})  # the form refuses to finalise
    with pytest.raises(InvalidHousehold) as refused:
        regform.household_entry(form, {"consent": "no", "head_name": "Коваленко"})
    assert refused.value.fields == ["consent"]
    with pytest.raises(InvalidHousehold) as missing:
        regform.household_entry(form, {"consent": "yes", "head_name": "Коваленко"})
    assert missing.value.fields == ["head_dob", "settlement", "hh_size"]


def test_the_form_refuses_what_a_registration_must_not_hold(form):
    session = forms.Session(form, dict(ANSWERS), lang="en", now=NOW)
    assert session.errors() == []
    cases = {
        ("head_name", "1234"): "letters", ("head_dob", "2020-01-01"): "14 years",
        ("head_dob", "2026-11-21"): "14 years", ("phone", "0671112233"): "+380",
        ("doc_number", "КА12345"): "nine digits", ("hh_size", 0): "1 to 30",
        ("external_ref", "Коваленко Ірина"): "Latin", ("consent_purpose", "monitoring"): "consent to registration",
    }
    for (name, value), words in cases.items():
        good = session.get(name)
        session.set(name, value)
        messages = [e.message for e in session.errors() if e.name == name]
        assert messages and words in messages[0], (name, messages)
        session.set(name, good)
    session = forms.Session(form, dict(ANSWERS), lang="en", now=NOW)  # hh_size 0 dropped the member
    session.set("member_dob", "1899-12-31", index=(0,))
    assert [e.name for e in session.errors()] == ["member_dob"]
    session.set("member_dob", "2010-01-01", index=(0,))
    session.set("hh_size", 3)  # the roster follows the household size
    assert session.repeat_count("members") == 2
    assert {e.name for e in session.errors()} >= {"member_name", "member_sex", "member_dob"}
    session.set("doc_type", "passport")
    # A series the registry reads (Cyrillic, or Latin look-alikes as people type them) and only those.
    for number, accepted in (("EH123456", True), ("ен 123456", True), ("КА123456", True), ("QW123456", False),
                             ("К1234567", False)):
        session.set("doc_number", number)
        assert (not [e for e in session.errors() if e.name == "doc_number"]) is accepted, number
        if accepted:
            entry = regform.household_entry(form, session.to_save(finalise=True)["fields"])
            assert registration.validate(entry, today=TODAY)["doc_type"] == "passport", number


# -- forms submit ---------------------------------------------------------------------------------
ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}


def write(tmp_path, answers, name="answers.json"):
    path = tmp_path / name
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def profile(tmp_path, cli):
    d = tmp_path / "profile"
    assert cli("profile", "init", "--profile", str(d), "--user", "Enumerator", env=ENV).returncode == 0
    return d


def submit(cli, profile, path, *extra):
    return cli("forms", "submit", "--profile", str(profile), regform.FORM_ID, "--answers", path, *extra, env=ENV)


def test_forms_submit_registers_blocks_and_asks_like_registry_add(tmp_path, cli, profile):
    done = submit(cli, profile, write(tmp_path, ANSWERS))
    assert done.returncode == 0, done.stderr
    rid = done.stdout.strip()
    shown = json.loads(cli("record", "get", "--profile", str(profile), rid, env=ENV).stdout)
    assert shown["kind"] == "household" and shown["form_id"] == regform.FORM_ID
    assert f"card code {shown['fields']['card_code']}" in done.stderr

    again = submit(cli, profile, write(tmp_path, {**ANSWERS, "external_ref": None, "head_name": "Інна Нова"}))
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "error: This household is already registered as KOBO-1207 (same tax number); nothing was saved."]
    assert again.stdout.startswith("KOBO-1207\t")  # the existing household, on the person's terminal

    likely = {**ANSWERS, "head_name": "Iryna Kovalenko", "doc_type": "none", "doc_number": None,
              "tax_number": None, "external_ref": "KOBO-2000"}
    asked = submit(cli, profile, write(tmp_path, likely))
    assert asked.returncode == 1 and "may already be registered (KOBO-1207)" in asked.stderr
    confirmed = submit(cli, profile, write(tmp_path, likely), "--confirm")
    assert confirmed.returncode == 0, confirmed.stderr
    listed = cli("record", "list", "--profile", str(profile), "--kind", "household", env=ENV).stdout.splitlines()
    assert len(listed) == 2

    bad = submit(cli, profile, write(tmp_path, {**ANSWERS, "tax_number": OWN_TAX[:9] + str((int(OWN_TAX[9]) + 1) % 10)}),
                 "--lang", "uk")
    assert bad.returncode == 1 and bad.stdout.startswith("tax_number: constraint: РНОКПП має десять цифр")


def test_other_forms_are_still_saved_as_submissions(tmp_path, cli, profile):
    answers = {"consent": "yes", "assessment_date": "2026-11-18", "oblast": "UA63", "raion": "UA6314",
               "hromada": "UA6314003", "settlement": "Зміїв", "displacement_status": "host", "hh_size": 1,
               "members": [{"member_age": 40, "member_sex": "female", "member_disability": "no",
                            "member_relation": "head"}],
               "priority_needs": "food", "shelter_condition": "light", "income_sources": "none",
               "received_assistance": "no", "followup_consent": "no"}
    done = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, answers),
               env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(cli("record", "get", "--profile", str(profile), done.stdout.strip(), env=ENV).stdout)["kind"] == "submission"
    confirm = cli("forms", "submit", "--profile", str(profile), "household_needs", "--answers", write(tmp_path, answers),
                  "--confirm", env=ENV)
    assert confirm.returncode == 1 and confirm.stderr.strip().splitlines() == [
        "error: --confirm is for a form that registers a household (household_registration), not for household_needs; "
        "nothing was saved."]


# -- privacy --------------------------------------------------------------------------------------
def test_no_name_or_phone_in_plaintext_on_disk_or_in_the_log(tmp_path, cli, make_store, form, caplog):
    caplog.set_level(logging.DEBUG, logger="fieldbook")
    canary = {**ANSWERS, "head_name": CANARIES[1], "phone": "+380997654321",
              "members": [{**MEMBER, "member_name": CANARIES[0]}]}
    # Through the command line (its log file under the profile)...
    d = tmp_path / "cliprofile"
    assert cli("profile", "init", "--profile", str(d), "--user", "Enumerator", env=ENV).returncode == 0
    assert submit(cli, d, write(tmp_path, canary)).returncode == 0
    refused = submit(cli, d, write(tmp_path, canary, "again.json"))
    assert refused.returncode == 1 and not any(c in refused.stderr for c in CANARIES)
    assert scan(d) == []
    # ...and through the mapping, a draft included, in a store open while it is scanned.
    store = make_store("apiprofile")
    p = tmp_path / "apiprofile"
    attach_profile_log(p, level=logging.DEBUG)
    try:
        draft = store.save_record(DRAFT, {"head_name": CANARIES[1]}, form_id=form.form_id)
        record = record_of(form, canary)
        regform.register_submission(store, form, record, draft_id=draft, today=TODAY)
        with pytest.raises(registration.DuplicateFound) as found:
            regform.register_submission(store, form, record, today=TODAY)
        assert not any(c in str(found.value) for c in CANARIES)
        assert scan(p) == []
        store.close()
        assert scan(p) == []
    finally:
        detach_profile_log(p)
    assert not any(c in caplog.text for c in CANARIES)


def test_the_kept_registry_sees_new_and_changed_households_without_reading_all_again(store, form):
    ids = seed(store)
    kept = registration.FreshRegistry()
    assert len(kept.get(store)) == len(HOUSEHOLDS) and kept.loads == 1
    assert kept.get(store) is kept.index and kept.loads == 1  # nothing changed: nothing read again

    # A household that arrived meanwhile (by sync, or the Registry screen) is checked against.
    other = store.save_record("household", {"head_name": "Коваленко Ірина Петрівна", "dob": "1980-05-02",
                                            "tax_number": OWN_TAX, "import_key": "ref:X"})
    with pytest.raises(registration.DuplicateFound) as found:
        regform.register_submission(store, form, record_of(form), registry=kept, today=TODAY)
    assert found.value.check.exact[0].id == other and kept.loads == 1

    # An edit may change what matches: the registry is read again.
    store.edit_record(other, {"tax_number": None})
    with pytest.raises(registration.LikelyDuplicate):
        regform.register_submission(store, form, record_of(form), registry=kept, today=TODAY)
    assert kept.loads == 2

    rid, _check = regform.register_submission(store, form, record_of(form), registry=kept, confirm=True, today=TODAY)
    assert len(kept.get(store)) == len(HOUSEHOLDS) + 2 and kept.loads == 2  # the new one joined once, not twice
    store.delete_record(ids[0])
    assert len(kept.get(store)) == len(HOUSEHOLDS) + 1 and kept.loads == 3
    kept.clear()
    assert kept.index is None
    assert rid in kept.get(store).ids
