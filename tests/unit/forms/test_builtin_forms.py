"""The built-in forms under resources/forms/: they load cleanly, speak English and Ukrainian, and behave as designed.

Each form is filled through a real Session the way an enumerator would fill it:
consent and relevance, cascading location choices, the household roster and its
counts, cross-field constraints, messages in Ukrainian, and the record that is saved.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil

import openpyxl
import pytest

import forms
from forms.errors import FormError
from forms.model import COMPUTED_TYPES, METADATA_TYPES, SELECT_TYPES
from resources import resource_path

FORMS_DIR = resource_path("forms")
FORM_IDS = ("household_needs", "site_assessment", "complaints_feedback", "post_distribution_monitoring",
            "household_registration")
EN, UK = "English (en)", "Українська (uk)"
NOW = dt.datetime(2026, 11, 20, 10, 30)
TODAY = NOW.date().isoformat()
CYRILLIC = re.compile("[А-ЩЬЮЯҐЄІЇа-щьюяґєії]")
HXL_TAG = re.compile(r"^#([a-z][a-z0-9_]*)(\+[a-z][a-z0-9_]*)*$")
# Hashtags of the HXL 1.1 core dictionary (attributes are open-ended).
HXL_CORE = {
    "access", "activity", "adm1", "adm2", "adm3", "adm4", "adm5", "affected", "beneficiary", "capacity", "cause",
    "channel", "contact", "country", "crisis", "currency", "date", "description", "event", "frequency", "geo",
    "group", "impact", "indicator", "inneed", "item", "loc", "meta", "modality", "need", "operations", "org",
    "output", "population", "reached", "region", "respondee", "sector", "service", "severity", "status",
    "subsector", "targeted", "value",
}
NUMERIC_HXL = {"affected", "inneed", "population", "reached", "targeted", "value"}  # "every value must be a number"


def path_of(form_id: str):
    return FORMS_DIR / f"{form_id}.xlsx"


_loaded: dict[str, forms.Form] = {}


def load(form_id: str) -> forms.Form:
    if form_id not in _loaded:
        _loaded[form_id] = forms.load_form(path_of(form_id))
    return _loaded[form_id]


def session(form_id: str, answers: dict | None = None, lang: str | None = None) -> forms.Session:
    return forms.Session(load(form_id), answers, lang=lang, device_id="device-07", username="enumerator-12", now=NOW)


def fill(s: forms.Session, answers: dict, index: tuple = ()) -> None:
    """Answer in order, as an enumerator moves through the form."""
    for name, value in answers.items():
        s.set(name, value, index=index)


def names(choices) -> list[str]:
    return [c.name for c in choices]


def errors_of(s: forms.Session) -> dict:
    return {(e.name, e.instance): (e.kind, e.message) for e in s.errors()}


# -- every form --------------------------------------------------------------------------------
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_loads_with_no_issues_and_no_warnings(form_id):
    form = forms.load_form(path_of(form_id))  # MalformedForm would list every problem
    assert form.warnings == []
    assert (form.form_id, form.version, form.default_language) == (form_id, "2026.11.1", EN)
    assert form.languages == [EN, UK]
    assert form.title and not CYRILLIC.search(form.title)
    assert form.title_in("en") == form.title and CYRILLIC.search(form.title_in("uk"))
    assert form.instance_name is not None
    questions = [q for q in form.walk() if not q.is_group]
    assert 15 <= len(questions) <= 40


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_pyxform_converts_to_an_xform_without_warnings(form_id):
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(xlsform=str(path_of(form_id)), warnings=warnings)
    assert warnings == []
    assert f'id="{form_id}"' in result.xform and 'version="2026.11.1"' in result.xform


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_odk_validate_accepts_every_form():
    from pyxform.xls2xform import convert

    for form_id in FORM_IDS:
        convert(xlsform=str(path_of(form_id)), validate=True, warnings=[])  # raises ODKValidateError


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_label_hint_message_and_choice_is_in_english_and_ukrainian(form_id):
    missing = []
    for q in load(form_id).walk():
        if q.type in METADATA_TYPES or q.type in COMPUTED_TYPES:
            assert not q.labels, f"{q.name}: a {q.type} shows nothing, so it needs no label"
            continue
        texts = {"label": q.labels, "hint": q.hints, "constraint_message": q.constraint_message,
                 "required_message": q.required_message}
        assert q.labels, f"{q.name} has no label"
        for column, by_lang in texts.items():
            if by_lang and set(by_lang) != {EN, UK} or any(not v.strip() for v in by_lang.values()):
                missing.append(f"{q.name}: {column} {sorted(by_lang)}")
            elif by_lang and not CYRILLIC.search(by_lang[UK]):
                missing.append(f"{q.name}: {column} is not translated: {by_lang[UK]!r}")
        if q.constraint is not None and not q.constraint_message:
            missing.append(f"{q.name}: a constraint without a message")
        for choice in q.choices if q.type in SELECT_TYPES else []:
            if set(choice.labels) != {EN, UK} or not CYRILLIC.search(choice.labels.get(UK, "")):
                missing.append(f"{q.name}: choice {choice.name} {choice.labels}")
    assert missing == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_answer_carries_a_distinct_hxl_core_hashtag(form_id):
    tags = {}
    for q in load(form_id).walk():
        if not q.stores_answer:
            continue
        assert q.hxl, f"{q.name} has no hxl hashtag"
        m = HXL_TAG.match(q.hxl)
        assert m and m.group(1) in HXL_CORE, f"{q.name}: {q.hxl!r} is not an HXL core hashtag"
        if m.group(1) in NUMERIC_HXL:
            assert q.type in ("integer", "decimal", "calculate"), f"{q.name}: {q.hxl} needs a number"
        assert q.hxl not in tags, f"{q.name} and {tags.get(q.hxl)} share {q.hxl}"
        tags[q.hxl] = q.name


def test_geography_cascade_is_consistent():
    form = load("household_needs")
    oblasts = {c.name for c in form.question("oblast").choices}
    raions = {c.name: c.columns["oblast"] for c in form.question("raion").choices}
    hromadas = {c.name: c.columns for c in form.question("hromada").choices}
    assert len(oblasts) >= 3
    for oblast in oblasts:
        in_oblast = [r for r, o in raions.items() if o == oblast]
        assert len(in_oblast) >= 2
        for raion in in_oblast:
            assert raion.startswith(oblast) and len(raion) == 6
            in_raion = [h for h, cols in hromadas.items() if cols["raion"] == raion]
            assert len(in_raion) >= 2
            assert all(h.startswith(raion) and len(h) == 9 and hromadas[h]["oblast"] == oblast for h in in_raion)
    assert set(raions.values()) == oblasts and {c["raion"] for c in hromadas.values()} == set(raions)


def test_the_committed_workbooks_match_build_py(tmp_path):
    spec = importlib.util.spec_from_file_location("forms_build", FORMS_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    written = build.build(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{f}.xlsx" for f in FORM_IDS)

    def cells(path):
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
        finally:
            wb.close()

    stale = [p.name for p in written if cells(p) != cells(FORMS_DIR / p.name)]
    assert stale == [], "run: python resources/forms/build.py"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_cli_check_accepts_each_form(cli, form_id):
    result = cli("forms", "check", str(path_of(form_id)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok: {form_id} version 2026.11.1" in result.stdout
    assert "warning" not in result.stdout


# -- 1. household needs assessment ---------------------------------------------------------------
MEMBERS = [
    {"member_age": 41, "member_sex": "female", "member_disability": "no", "member_relation": "head"},
    {"member_age": 68, "member_sex": "male", "member_disability": "yes", "member_relation": "parent"},
    {"member_age": 9, "member_sex": "female", "member_disability": "no", "member_relation": "child"},
]


def household_session(lang=None) -> forms.Session:
    s = session("household_needs", lang=lang)
    fill(s, {"consent": "yes", "assessment_date": "2026-11-18", "oblast": "UA63", "raion": "UA6314",
             "hromada": "UA6314003", "settlement": "Зміїв", "gps": "49.68 36.35",
             "displacement_status": "idp", "months_displaced": 30, "hh_size": 3})
    for i, member in enumerate(MEMBERS):
        fill(s, member, index=(i,))
    fill(s, {"priority_needs": "heating medicines cash", "shelter_condition": "light",
             "income_sources": "pension idp_allowance", "monthly_income": 9400, "received_assistance": "no",
             "followup_consent": "yes", "phone": "+380671234567"})
    return s


def test_household_location_choices_cascade_from_oblast_to_hromada():
    s = session("household_needs")
    s.set("consent", "yes")
    assert names(s.choices("oblast")) == ["UA63", "UA12", "UA23"]
    assert s.choices("raion") == [] and s.choices("hromada") == []
    s.set("oblast", "UA63")
    assert names(s.choices("raion")) == ["UA6312", "UA6314"]
    assert [c.label(UK) for c in s.choices("raion")] == ["Харківський", "Чугуївський"]
    assert s.choices("hromada") == []
    s.set("raion", "UA6312")
    assert names(s.choices("hromada")) == ["UA6312027", "UA6312015"]
    s.set("raion", "UA6314")
    assert names(s.choices("hromada")) == ["UA6314017", "UA6314003"]
    s.set("hromada", "UA6314017")

    # Another oblast: only its raions are offered, and the raion already chosen is now refused.
    s.set("oblast", "UA23")
    assert names(s.choices("raion")) == ["UA2306", "UA2310"]
    assert errors_of(s)[("raion", ())][0] == "type"
    s.set("raion", "UA2310")
    assert names(s.choices("hromada")) == ["UA2310017", "UA2310007"]
    assert ("raion", ()) not in errors_of(s)
    assert errors_of(s)[("hromada", ())][0] == "type"  # Chuhuivska is not in Polohivskyi raion


def test_household_roster_follows_household_size_and_counts_people():
    s = session("household_needs")
    fill(s, {"consent": "yes", "hh_size": 3})
    assert s.repeat_count("members") == 3
    assert all(s.visible("member_age", index=(i,)) for i in range(3))
    with pytest.raises(FormError):
        s.add_repeat("members")  # the number of entries comes from hh_size
    for i, member in enumerate(MEMBERS):
        fill(s, member, index=(i,))
    assert (s.get("n_children"), s.get("n_older"), s.get("n_disabled")) == (1, 1, 1)
    assert s.visible("household_summary")

    s.set("hh_size", 2)  # the child drops off the roster
    assert s.repeat_count("members") == 2
    assert (s.get("n_children"), s.get("n_older")) == (0, 1)
    s.set("member_age", 3, index=(1,))
    assert (s.get("n_children"), s.get("n_older")) == (1, 0)
    assert not s.visible("member_disability", index=(1,))  # asked from age 5
    assert "member_disability" not in s.record()["members"][1]


def test_household_errors_are_shown_in_ukrainian_and_clear_once_fixed():
    s = household_session(lang=UK)
    assert s.errors() == []

    s.set("member_age", 150, index=(2,))
    assert errors_of(s) == {("member_age", (2,)): ("constraint", "Вік має бути від 0 до 120 років.")}
    s.set("member_age", 9, index=(2,))
    assert s.errors() == []

    s.set("hh_size", 31)
    assert errors_of(s)[("hh_size", ())] == ("constraint", "Розмір домогосподарства має бути від 1 до 30 осіб.")
    s.set("hh_size", 3)

    s.set("member_relation", "head", index=(1,))  # a second head of household
    assert errors_of(s)[("member_relation", (1,))][1] == "Першою вносьте голову домогосподарства; голова може бути лише один."
    s.set("member_relation", "parent", index=(1,))

    s.set("assessment_date", "2026-11-21")  # tomorrow
    assert errors_of(s)[("assessment_date", ())] == ("constraint", "Дата не може бути в майбутньому.")
    s.set("assessment_date", TODAY)

    s.set("phone", "067 123 45 67")
    assert errors_of(s)[("phone", ())] == ("constraint", "Введіть номер у форматі +380 і ще 9 цифр.")
    s.set("phone", "+380671234567")

    s.set("priority_needs", "food water shelter_repair heating")
    assert errors_of(s)[("priority_needs", ())][1] == "Виберіть не більше трьох потреб."
    s.set("priority_needs", "food other")
    assert errors_of(s)[("priority_needs_other", ())][0] == "required"
    s.set("priority_needs_other", "Ремонт вікон")
    s.set("income_sources", "none pension")
    assert errors_of(s)[("income_sources", ())][1] == "Варіант «Немає доходу» не можна поєднувати з іншими."
    s.set("income_sources", "none")
    assert not s.visible("monthly_income")
    assert s.errors() == []

    english = forms.Session(s.form, lang="en", now=NOW)
    english.set("consent", "yes")
    english.set("hh_size", 0)
    assert errors_of(english)[("hh_size", ())][1] == "Household size must be from 1 to 30 people."


def test_household_record_nests_the_roster_and_keeps_the_counts():
    s = household_session(lang="uk")
    record = s.record()
    assert [m["member_age"] for m in record["members"]] == [41, 68, 9]
    assert record["members"][1] == {**MEMBERS[1], "is_child": 0, "is_older": 1, "is_disabled": 1}
    assert (record["n_children"], record["n_older"], record["n_disabled"]) == (1, 1, 1)
    assert record["hromada"] == "UA6314003" and record["phone"] == "+380671234567"
    assert record["deviceid"] == "device-07" and record["today"] == TODAY
    assert "intro" not in record and "household_summary" not in record  # notes store nothing
    assert s.instance_name() == "Зміївська – 2026-11-18"
    assert forms.Session(s.form, record, lang="en", now=NOW).instance_name() == "Zmiivska – 2026-11-18"

    s.set("followup_consent", "no")
    assert "phone" not in s.record()


def test_household_without_consent_hides_and_drops_everything():
    s = household_session()
    s.set("consent", "no")
    for name in ("assessment_date", "oblast", "hh_size", "priority_needs", "phone", "household_summary"):
        assert not s.visible(name), name
    assert s.repeat_count("members") == 0
    assert s.errors() == []
    assert s.record() == {"start": NOW.isoformat(), "today": TODAY, "deviceid": "device-07",
                          "username": "enumerator-12", "consent": "no"}


# -- 2. site assessment --------------------------------------------------------------------------
SITE = {
    "assessment_date": "2026-11-19", "site_name": "Гуртожиток №3", "site_type": "collective_centre",
    "building_type": "dormitory", "oblast": "UA12", "raion": "UA1202", "hromada": "UA1202001",
    "site_gps": "48.46 35.04", "ki_role": "site_manager", "ki_resident": "no",
    "site_households": 48, "site_individuals": 121, "site_children": 35, "site_older": 30, "site_disabled": 12,
    "site_capacity": 110, "new_arrivals": "yes", "new_arrival_households": 6,
    "services": "drinking_water toilets showers heating", "functioning_toilets": 5,
    "wash_condition": "poor", "heating_condition": "adequate", "building_condition": "minor",
    "health_access": "yes", "bomb_shelter": "yes", "site_risks": "overcrowding utilities",
    "site_priority_needs": "heating hygiene", "comments": "Друга кухня не працює.",
}


def test_site_assessment_relevance_calculations_and_cross_field_constraints():
    s = session("site_assessment", lang="uk")
    fill(s, {k: SITE[k] for k in ("assessment_date", "site_name", "site_type")})
    assert s.visible("building_type")
    s.set("site_type", "modular")
    assert not s.visible("building_type")
    fill(s, SITE)
    assert s.errors() == []
    assert s.get("occupancy") == 110 and s.visible("over_capacity")  # 121 people for 110 places
    assert s.get("people_per_toilet") == 24.2 and s.visible("toilet_note")
    record = s.record()
    assert record["site_type"] == "collective_centre" and record["occupancy"] == 110
    assert s.instance_name() == "Гуртожиток №3 – 2026-11-19"

    s.set("site_individuals", 40)  # fewer people than households
    assert errors_of(s)[("site_individuals", ())] == (
        "constraint", "Осіб не може бути менше, ніж домогосподарств, або більше ніж 10 000.")
    assert errors_of(s)[("site_older", ())][0] == "constraint"  # 35 children + 30 older > 40 people
    assert not s.visible("over_capacity")
    s.set("site_individuals", 121)
    s.set("new_arrival_households", 60)
    assert errors_of(s)[("new_arrival_households", ())][1] == "Введіть щонайменше 1 і не більше, ніж домогосподарств у МКП."
    s.set("new_arrivals", "no")
    assert not s.visible("new_arrival_households") and "new_arrival_households" not in s.record()
    s.set("services", "none heating")
    assert errors_of(s)[("services", ())][0] == "constraint"
    s.set("services", "none")
    assert not s.visible("functioning_toilets") and not s.visible("toilet_note") and not s.visible("wash_condition")
    assert s.errors() == []


def test_site_assessment_required_answers():
    s = session("site_assessment", {k: v for k, v in SITE.items() if k != "site_name"}, lang="uk")
    assert errors_of(s) == {("site_name", ()): ("required", "Введіть назву МКП.")}
    s.set("site_name", "Модульне містечко «Надія»")
    assert s.errors() == []


# -- 3. complaints and feedback ---------------------------------------------------------------------
COMPLAINT = {
    "received_date": "2026-11-20", "channel": "hotline", "oblast": "UA23", "sector": "cash",
    "feedback_type": "complaint", "category": "delay", "sensitive": "no",
    "description": "Виплату за жовтень досі не отримали.", "urgency": "medium",
    "person_sex": "female", "person_age": "older", "contact_consent": "yes", "phone": "+380501112233",
    "contact_method": "call",
}


def test_complaint_is_recorded_with_contact_details_when_consented():
    s = session("complaints_feedback", COMPLAINT, lang="uk")
    assert s.errors() == []
    record = s.record()
    assert record["description"] == COMPLAINT["description"] and record["phone"] == "+380501112233"
    assert not s.visible("referral_note") and not s.visible("resolved")
    assert s.instance_name() == "Скарга – 2026-11-20"
    s.set("contact_consent", "no")
    assert not s.visible("phone") and not s.visible("contact_method")
    assert "phone" not in s.record() and "contact_method" not in s.record()


def test_sensitive_case_shows_referral_note_and_keeps_no_details():
    s = session("complaints_feedback", lang="uk")
    fill(s, {k: COMPLAINT[k] for k in ("received_date", "channel", "oblast", "sector", "feedback_type")})
    s.set("category", "sea")
    s.set("sensitive", "no")
    assert errors_of(s)[("sensitive", ())] == (
        "constraint", "Сексуальна експлуатація чи насильство та шахрайство — завжди чутливі випадки.")
    assert s.visible("description") and not s.visible("referral_note")
    s.set("description", "Деталі, які не слід було записувати.")
    s.set("sensitive", "yes")
    assert s.visible("referral_note") and not s.visible("description")
    assert "description" not in s.record()
    assert ("description", ()) not in errors_of(s)


def test_feedback_required_answers_and_constraints():
    s = session("complaints_feedback", {**COMPLAINT, "description": ""}, lang="uk")
    assert errors_of(s) == {("description", ()): ("required", "Це обов'язкове питання.")}
    s.set("description", "Погано")
    assert errors_of(s) == {("description", ()): ("constraint", "Опишіть звернення щонайменше 10 символами.")}
    s.set("description", "Погано пояснили, коли буде виплата.")
    s.set("phone", "+38050111223")
    assert errors_of(s)[("phone", ())][0] == "constraint"
    s.set("phone", "+380501112233")
    s.set("feedback_type", "thanks")
    assert not s.visible("category") and "category" not in s.record()
    s.set("feedback_type", "question")
    assert errors_of(s) == {("resolved", ()): ("required", "Це обов'язкове питання.")}
    s.set("resolved", "yes")
    assert s.errors() == []


# -- 4. post-distribution monitoring ------------------------------------------------------------------
PDM_KIT = {
    "consent": "yes", "interview_date": "2026-11-17", "oblast": "UA12", "raion": "UA1208", "hromada": "UA1208001",
    "card_number": "FB-2026-004518", "distribution_type": "in_kind", "received": "yes",
    "items_received": "hygiene_kit winter_kit", "satisfaction": 4, "problems": "long_wait",
    "needs_met": "partly", "felt_unsafe": "no", "aware_cfm": "yes", "cfm_channels": "hotline messenger",
}


def test_pdm_kit_distribution_is_valid_and_hides_cash_questions():
    s = session("post_distribution_monitoring", PDM_KIT, lang="uk")
    assert s.errors() == []
    assert not s.visible("cash_amount") and not s.visible("cash_use") and not s.visible("not_received_reason")
    record = s.record()
    assert record["card_number"] == "FB-2026-004518" and record["satisfaction"] == 4
    assert record["items_received"] == "hygiene_kit winter_kit"
    assert s.instance_name() == "Натуральна допомога (набори) – 2026-11-17"


def test_pdm_cash_and_not_received_flip_the_questions_asked():
    s = session("post_distribution_monitoring", PDM_KIT, lang="uk")
    s.set("distribution_type", "cash")
    assert not s.visible("items_received") and s.visible("cash_amount") and s.visible("cash_use")
    assert {k for (k, _), (kind, _) in errors_of(s).items() if kind == "required"} == {"cash_amount", "cash_use"}
    fill(s, {"cash_amount": 10800, "cash_use": "food utilities medicine"})
    assert s.errors() == []
    assert "items_received" not in s.record() and s.record()["cash_amount"] == 10800

    s.set("received", "no")
    for name in ("cash_amount", "cash_use", "satisfaction", "problems", "needs_met", "felt_unsafe"):
        assert not s.visible(name), name
    assert errors_of(s) == {("not_received_reason", ()): ("required", "Це обов'язкове питання.")}
    s.set("not_received_reason", "payment_problem")
    assert s.errors() == []
    assert "satisfaction" not in s.record()


def test_pdm_required_constraints_and_range():
    s = session("post_distribution_monitoring", {**PDM_KIT, "received": ""}, lang="uk")
    assert errors_of(s) == {("received", ()): ("required", "Запитайте, чи отримано допомогу.")}
    s.set("received", "yes")
    s.set("satisfaction", 7)  # outside the 1-5 scale
    assert errors_of(s)[("satisfaction", ())] == ("type", "Виберіть значення в межах діапазону.")
    s.set("satisfaction", 5)
    s.set("card_number", "fb 12")
    assert errors_of(s)[("card_number", ())][1] == "Номер картки містить від 6 до 24 великих латинських літер, цифр або дефісів."
    s.set("card_number", "FB-2026-004518")
    s.set("problems", "none other")
    assert errors_of(s)[("problems", ())][1] == "Варіант «Жодних проблем» не можна поєднувати з іншими."
    assert errors_of(s)[("problems_other", ())][0] == "required"
    s.set("problems", "none")
    s.set("felt_unsafe", "yes")
    assert s.visible("safety_details")
    assert s.errors() == []

    s.set("consent", "no")
    assert set(s.record()) == {"start", "today", "deviceid", "username", "consent"}
