"""Registering one household: exact matches block, likely duplicates ask, the rest is saved."""
from __future__ import annotations

import datetime as dt

import pytest

from distributions import registration
from distributions.cards import read_card_code
from distributions.errors import ImportFailed
from distributions.normalise import make_rnokpp
from tests.conftest import PASSPHRASE
from tests.unit.distributions.test_review import HOUSEHOLDS, TAX, register as seed

TODAY = dt.date(2026, 11, 28)


def test_a_new_household_is_saved_with_a_card_code_and_joins_the_index(store):
    seed(store)
    index = registration.LocalRegistry.load(store)
    assert len(index) == len(HOUSEHOLDS)
    rid, check = registration.register(store, {"head_name": "Коваль Марія Іванівна", "dob": "02.02.1990",
                                               "phone": "0661234567", "settlement": "Ірпінь", "hh_size": "4",
                                               "consent": "yes", "members": [{"name": "Коваль Іван", "relation": "son"}]},
                                       index=index, today=TODAY)
    assert check.clear
    fields = store.get_record(rid).fields
    assert fields["dob"] == "1990-02-02" and fields["phone"] == "+380661234567" and fields["hh_size"] == 4
    assert fields["consent"] is True and fields["members"][0]["relation"] == "son"
    assert fields["registered_at"] == "2026-11-28" and fields["import_key"].startswith("new:")
    assert read_card_code(fields["card_code"]) == fields["card_code"]
    assert store.find_records("household", "phone", "066 123 45 67")[0].id == rid
    # The same person again, in Latin: now a likely duplicate of the one just registered.
    with pytest.raises(registration.LikelyDuplicate) as found:
        registration.register(store, {"head_name": "Kowal Mariia", "dob": "1990-02-02", "phone": "+380661234567"},
                              index=index, today=TODAY)
    assert [m.id for m in found.value.check.likely] == [rid]


@pytest.mark.parametrize("entry, why", [
    ({"head_name": "Петренко Іван", "doc_type": "rnokpp", "doc_number": TAX}, "same tax number"),
    ({"head_name": "Петренко Іван", "tax_number": TAX}, "same tax number"),
])
def test_an_exact_match_blocks_the_save_and_names_the_household(store, entry, why):
    seed(store)
    before = store.count_records()
    with pytest.raises(registration.DuplicateFound) as found:
        registration.register(store, entry, today=TODAY)
    assert found.value.check.exact[0].ref == "N-1" and why in str(found.value)
    assert "Шевченко" not in str(found.value) and TAX not in str(found.value)  # no values in the message
    assert store.count_records() == before


def test_a_passport_and_a_card_code_block_too(store):
    ids = seed(store, [{"external_ref": "P-1", "head_name": "Мельник Ольга", "doc_type": "passport",
                        "doc_number": "ЕН123456"}])
    from distributions.cards import new_card_code

    card = new_card_code()
    store.edit_record(ids[0], {"card_code": card})
    index = registration.LocalRegistry.load(store)
    assert index.check({"head_name": "Інша Людина", "doc_number": "EH 123456"}).exact[0].why == "same passport number"
    assert index.check({"head_name": "Інша Людина", "card_code": card.lower()}).exact[0].why == "same card code"


def test_a_likely_duplicate_asks_and_is_saved_when_confirmed(store):
    seed(store)
    entry = {"head_name": "Shevchenko Oleksandr Petrovych", "dob": "14.03.1975", "phone": "067 123 45 67"}
    with pytest.raises(registration.LikelyDuplicate) as found:
        registration.register(store, entry, today=TODAY)
    refs = [m.ref for m in found.value.check.likely]
    assert refs[:2] == ["N-1", "S-7"] and "N-3" not in refs  # the twin brother is not proposed
    assert "across scripts" in found.value.check.likely[0].reasons
    rid, check = registration.register(store, entry, confirm=True, today=TODAY)
    assert store.get_record(rid).fields["head_name"] == entry["head_name"] and len(check.likely) >= 2
    assert store.audit_entries()[-1].action == "household_registered_despite_likely_duplicate"


@pytest.mark.parametrize("entry, message", [
    ({"dob": "1990-01-01"}, "head_name: empty"),
    ({"head_name": "Коваль Марія", "dob": "31.02.1990"}, "dob"),
    ({"head_name": "Коваль Марія", "tax_number": "1234567890"}, "tax_number"),
    ({"head_name": "Коваль Марія", "phone": "12"}, "phone"),
    ({"head_name": "Коваль Марія", "favourite": "x"}, "Unknown household field"),
    ({"head_name": "Коваль Марія", "consent": "maybe"}, "consent"),
    ({"head_name": "Коваль Марія", "members": "three"}, "members"),
])
def test_bad_entries_are_refused_by_field_and_save_nothing(store, entry, message):
    seed(store)
    before = store.count_records()
    with pytest.raises(ImportFailed, match=message):
        registration.register(store, entry, today=TODAY)
    assert store.count_records() == before


def test_cli_registry_add(tmp_path, cli):
    import json

    env = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
    profile = tmp_path / "p"
    assert cli("profile", "init", "--profile", str(profile), "--user", "Lead", env=env).returncode == 0
    tax = make_rnokpp(dt.date(1990, 2, 2), 4, female=True)
    entry = {"head_name": "Коваль Марія Іванівна", "dob": "02.02.1990", "tax_number": tax}
    done = cli("registry", "add", "--profile", str(profile), "--json", "-", env=env, input=json.dumps(entry))
    assert done.returncode == 0, done.stderr
    rid, card = done.stdout.split()
    again = cli("registry", "add", "--profile", str(profile), "--json", json.dumps({**entry, "head_name": "Kowal Maria"}), env=env)
    assert again.returncode == 1 and again.stderr.startswith("error: This household is already registered as " + rid)
    assert again.stderr.count("\n") == 1 and tax not in again.stderr and "Коваль" in again.stdout
    likely = {"head_name": "Kovalj Mariia", "dob": "1990-02-02"}
    asked = cli("registry", "add", "--profile", str(profile), "--json", json.dumps(likely), env=env)
    assert asked.returncode == 1 and "may already be registered" in asked.stderr and rid in asked.stdout
    confirmed = cli("registry", "add", "--profile", str(profile), "--json", json.dumps(likely), "--confirm", env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    bad = cli("registry", "add", "--profile", str(profile), "--json", "[1]", env=env)
    assert bad.returncode == 1 and "one JSON object" in bad.stderr


def test_search_by_card_phone_document_tax_number_and_name_in_either_script(store):
    ids = seed(store)
    from distributions.cards import new_card_code

    card = new_card_code()
    store.edit_record(ids[3], {"card_code": card, "doc_type": "passport", "doc_number": "ЕН123456"})
    index = registration.LocalRegistry.load(store)
    assert index.search(card.replace("-", "").lower()) == [ids[3]]
    assert index.search("067 123 45 67") == ids[:3]
    assert index.search("EH 123456") == [ids[3]]
    assert index.search(TAX) == ids[:2]
    assert index.search("Олександр Шевченко") == ids[:2]  # any order, either script
    assert index.search("Shevchenko Aleksandr") == ids[:2]
    assert index.search("шевченко") == ids[:3]  # one word: the surname
    assert index.search("Bondarenko") == ids[3:]
    assert index.search("Коваль") == [] and index.search("  ") == []


def test_a_bad_field_names_the_fields_for_the_app(store):
    from distributions.errors import InvalidHousehold

    with pytest.raises(InvalidHousehold) as bad:
        registration.register(store, {"head_name": "", "dob": "31.02.1990", "phone": "12"}, today=TODAY)
    assert bad.value.fields == ["head_name", "dob", "phone"]
