"""The household registry on a real store: import, re-import, bad rows, mapping, XLSX,
blind-index lookups, duplicates, the pairs file, the audit log and the canary scan."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import stat

import openpyxl
import pytest

from distributions import registry
from distributions.cards import read_card_code
from distributions.errors import ImportFailed
from distributions.normalise import make_rnokpp
from tests.conftest import PASSPHRASE
from tests.unit.test_privacy import scan

ENV = {"FIELDBOOK_PASSPHRASE": PASSPHRASE}
HEADER = list(registry.COLUMNS)
TAX = make_rnokpp(dt.date(1975, 3, 14), 3, female=False)
GOOD = [
    ["N-1", "north", "Шевченко Олександр Петрович", "14.03.1975", "067 123 45 67", "passport", "ЕН123456",
     "Київська", "Бучанський", "Бучанська", "Буча", "3", "2026-11-01"],
    ["N-2", "north", "Бондаренко Тетяна Іванівна", "1980-05-21", "0501112233", "rnokpp", "",
     "Київська", "Бучанський", "Бучанська", "Буча", "2", ""],
    ["S-7", "south", "Aleksandr Shevchenko", "3/14/1975", "+380671234567", "id_card", "",
     "Харківська", "Харківський", "Харківська", "Харків", "4", ""],
]
GOOD[1][6] = make_rnokpp(dt.date(1980, 5, 21), 8, female=True)
GOOD[2][6] = "001234567"


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_import_saves_households_with_indexes_and_card_codes(tmp_path, store):
    report = registry.import_list(store, write_csv(tmp_path / "list.csv", GOOD))
    assert (report.rows, report.added, report.already, report.problems) == (3, 3, 0, [])
    records = list(store.list_records("household"))
    by_ref = {r.fields["external_ref"]: r.fields for r in records}
    head = by_ref["N-1"]
    assert head["phone"] == "+380671234567" and head["dob"] == "1975-03-14"
    assert head["doc_type"] == "passport" and head["hh_size"] == 3 and head["settlement"] == "Буча"
    assert by_ref["N-2"]["tax_number"] == GOOD[1][6]
    for fields in by_ref.values():
        assert read_card_code(fields["card_code"]) == fields["card_code"]
    assert len({f["card_code"] for f in by_ref.values()}) == 3
    # Blind indexes: a desk finds a household however the value is typed.
    assert [r.fields["external_ref"] for r in store.find_records("household", "phone", "0671234567")] == ["N-1", "S-7"]
    assert store.find_records("household", "doc_number", "EH 123456")[0].fields["external_ref"] == "N-1"
    assert store.find_records("household", "tax_number", GOOD[1][6])[0].fields["external_ref"] == "N-2"
    code = head["card_code"]
    assert store.find_records("household", "card_code", code.lower())[0].fields["external_ref"] == "N-1"


def test_importing_the_same_file_again_adds_nothing(tmp_path, store):
    path = write_csv(tmp_path / "list.csv", GOOD + [["", "", "Мороз Ірина", "01.02.1990", "", "", "", "", "", "", "", "", ""]])
    assert registry.import_list(store, path).added == 4
    again = registry.import_list(store, path)
    assert (again.added, again.already) == (0, 4)
    assert store.count_records("household") == 4


def test_bad_rows_are_reported_by_row_and_column_and_the_others_imported(tmp_path, store):
    bad_tax = GOOD[1][6][:9] + str((int(GOOD[1][6][9]) + 1) % 10)
    rows = GOOD + [
        ["B-1", "", "Коваль Марія", "31.02.1990", "", "", "", "", "", "", "", "", ""],
        ["B-2", "", "Коваль Петро", "", "12345", "", "", "", "", "", "", "", ""],
        ["B-3", "", "Мельник Роман", "", "", "rnokpp", bad_tax, "", "", "", "", "", ""],
        ["B-4", "", "", "1990-01-01", "", "", "", "", "", "", "", "", ""],
        ["B-5", "", "Кравчук Ольга", "", "", "passport", "12345", "", "", "", "", "ten", ""],
        ["B-6", "", "Лисенко Юрій", "", "", "diploma", "1", "", "", "", "", "", ""],
    ]
    report = registry.import_list(store, write_csv(tmp_path / "list.csv", rows))
    assert report.added == 3 and report.rejected == 6
    assert report.problems == [
        "row 5, column dob: no such day",
        "row 6, column phone: not a Ukrainian phone number",
        "row 7, column doc_number: the tax number's check digit is wrong",
        "row 8, column head_name: empty",
        "row 9, column doc_number: not a passport number (two letters and six digits)",
        "row 9, column hh_size: must be a whole number from 1 to 50",
        "row 10, column doc_type: must be one of passport, id_card, rnokpp or empty",
    ]
    assert not any(bad_tax in p or "Коваль" in p for p in report.problems)  # no values in messages
    assert store.count_records("household") == 3


def test_an_ambiguous_date_is_flagged_not_silently_guessed(tmp_path, store):
    rows = [["A-1", "", "Ткачук Анна", "3/4/1975", "", "", "", "", "", "", "", "", ""]]
    report = registry.import_list(store, write_csv(tmp_path / "list.csv", rows))
    assert report.warnings == ["row 2, column dob: day and month could be either way round; "
                               "read month first and flagged for checking"]
    (record,) = store.list_records("household")
    assert record.fields["dob"] == "1975-03-04" and record.fields["dob_ambiguous"] is True


@pytest.mark.parametrize("case", ["encoding", "missing column", "not a list", "mapping to nothing"])
def test_a_file_that_cannot_be_read_imports_nothing(tmp_path, store, case):
    if case == "encoding":
        path = write_csv(tmp_path / "list.csv", GOOD, encoding="cp1251")
        expected = "is not UTF-8 text"
    elif case == "missing column":
        path = write_csv(tmp_path / "list.csv", [r[:2] + r[3:] for r in GOOD], header=HEADER[:2] + HEADER[3:])
        expected = "has no column head_name"
    elif case == "not a list":
        path = tmp_path / "list.pdf"
        path.write_bytes(b"%PDF")
        expected = "reads .csv or .xlsx"
    else:
        path = write_csv(tmp_path / "list.csv", GOOD)
        with pytest.raises(ImportFailed, match="has no column head_name \\(as 'ПІБ'\\)"):
            registry.import_list(store, path, mapping={"head_name": "ПІБ"})
        assert store.count_records("household") == 0
        return
    with pytest.raises(ImportFailed, match=expected):
        registry.import_list(store, path)
    assert store.count_records("household") == 0


def test_a_mapping_file_reads_another_layout(tmp_path, store):
    theirs = ["ID", "ПІБ", "Дата народження", "Телефон", "Населений пункт", "РНОКПП"]
    rows = [["K-1", "Шевченко Олександр", "14.03.1975", "671234567", "Буча", TAX]]
    path = write_csv(tmp_path / "kobo.csv", rows, header=theirs)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"reg_id": "ID", "head_name": "ПІБ", "dob": "Дата народження", "phone": "Телефон",
                                   "settlement": "Населений пункт", "tax_number": "РНОКПП"}, ensure_ascii=False),
                       encoding="utf-8")
    report = registry.import_list(store, path, mapping=registry.load_mapping(mapping))
    assert report.added == 1
    (record,) = store.list_records("household")
    assert record.fields["tax_number"] == TAX and record.fields["phone"] == "+380671234567"
    bad = tmp_path / "bad.json"
    bad.write_text('{"full_name": "ПІБ"}', encoding="utf-8")
    with pytest.raises(ImportFailed, match="unknown columns: full_name"):
        registry.load_mapping(bad)


def test_xlsx_lists_with_real_dates_and_numbers(tmp_path, store):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["X-1", "east", "Бойко Ірина", dt.datetime(1982, 7, 30), 671234567, "id_card", 1234567,
                  "", "", "", "Ізюм", 5, dt.datetime(2026, 11, 2)])
    book.save(tmp_path / "list.xlsx")
    report = registry.import_list(store, tmp_path / "list.xlsx")
    assert report.problems == [] and report.added == 1
    (record,) = store.list_records("household")
    assert record.fields["dob"] == "1982-07-30" and record.fields["phone"] == "+380671234567"
    assert record.fields["hh_size"] == 5 and record.fields["registered_at"] == "2026-11-02"


def test_duplicates_across_scripts_from_the_store(tmp_path, store):
    registry.import_list(store, write_csv(tmp_path / "list.csv", GOOD))
    (pair,) = registry.find_duplicates(store)
    assert {pair.ref_a, pair.ref_b} == {"N-1", "S-7"}
    assert "names match across scripts" in pair.reasons and "same phone" in pair.reasons


def test_a_members_column_is_imported_and_a_spouse_registration_found_from_the_store(tmp_path, store):
    husband = [dict(name="Шевченко Олена Петрівна", relation="дружина", dob="1978-02-03"),
               dict(name="Іван", relation="син", dob="2004-09-01", disabled="")]
    wife = [dict(name="Shevchenko Mykola", relation="husband", dob="12.05.1976"),
            dict(name="Ivan Shevchenko", relation="son", dob="2004-09-01")]
    rows = [["H-1", "", "Шевченко Микола Іванович", "12.05.1976", "", "", "", "", "", "", "Ірпінь", "", "",
             json.dumps(husband, ensure_ascii=False)],
            ["W-1", "", "Olena Shevchenko", "1978-02-03", "", "", "", "", "", "", "Ірпінь", "", "", json.dumps(wife)],
            ["B-1", "", "Коваль Марія", "", "", "", "", "", "", "", "", "", "", '[{"relation": "son"}]'],
            ["B-2", "", "Коваль Петро", "", "", "", "", "", "", "", "", "", "", "Іван, син"]]
    report = registry.import_list(store, write_csv(tmp_path / "list.csv", rows, header=HEADER + ["members"]))
    assert report.added == 2 and report.problems == [
        "row 4, column members: not a JSON list of members, each with a name",
        "row 5, column members: not a JSON list of members, each with a name"]
    kept = {r.fields["external_ref"]: r.fields.get("members") for r in store.list_records("household")}
    assert kept["H-1"] == [{"name": "Шевченко Олена Петрівна", "relation": "дружина", "dob": "1978-02-03"},
                           {"name": "Іван", "relation": "син", "dob": "2004-09-01"}]
    (pair,) = registry.find_duplicates(store)
    assert {pair.ref_a, pair.ref_b} == {"H-1", "W-1"}
    assert "head of one is the spouse listed in the other: Шевченко Олена Петрівна ↔ Olena Shevchenko" in pair.reasons
    assert "1 child in both" in pair.reasons


def test_cli_import_duplicates_pairs_file_audit_and_no_plaintext(tmp_path, cli):
    profile = tmp_path / "profile"
    assert cli("profile", "init", "--profile", str(profile), "--user", "Lead", env=ENV).returncode == 0
    listing = write_csv(tmp_path / "list.csv", GOOD)
    done = cli("registry", "import", "--profile", str(profile), str(listing), env=ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "rows 3, added 3, already registered 0, rejected 0, flagged 0"
    again = cli("registry", "import", "--profile", str(profile), str(listing), env=ENV)
    assert "added 0, already registered 3" in again.stdout
    inside = cli("registry", "duplicates", "--profile", str(profile), "--out", str(profile / "pairs.csv"), env=ENV)
    assert inside.returncode == 1 and inside.stderr.count("\n") == 1 and "outside the profile" in inside.stderr
    out = tmp_path / "pairs.csv"
    found = cli("registry", "duplicates", "--profile", str(profile), "--out", str(out), env=ENV)
    assert found.returncode == 0, found.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [sorted((r["ref_a"], r["ref_b"])) for r in rows] == [["N-1", "S-7"]]
    assert list(rows[0]) == ["ref_a", "ref_b", "score", "reasons"] and float(rows[0]["score"]) >= 8
    assert "Олександр ↔ Aleksandr" in rows[0]["reasons"] or "Aleksandr ↔ Олександр" in rows[0]["reasons"]
    from storage import Store
    store = Store.open(profile)
    store.unlock(PASSPHRASE)
    assert "registry_duplicates_export" in [e.action for e in store.audit_entries()]
    store.close()
    # Canary scan: nothing typed in the list is readable anywhere in the profile.
    needles = [v for row in GOOD for v in (row[2], row[4], row[6])] + ["+380671234567", "ЕН123456", "EH123456",
                                                                       "Шевченко", "Shevchenko", "Буча"]
    assert hand_scan(profile, needles) == [] and scan(profile) == []


def hand_scan(directory, needles) -> list[str]:
    hits = []
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for n in needles:
                for enc in ("utf-8", "utf-16-le"):
                    for variant in {n, n.lower(), n.upper()}:
                        if variant.encode(enc) in data:
                            hits.append(f"{path.name}: {variant[:3]}…")
    return hits


def test_the_hand_scan_can_fail(tmp_path):
    (tmp_path / "leak.log").write_bytes("x ШЕВЧЕНКО y".encode())
    (tmp_path / "leak16.tmp").write_bytes("ЕН123456".encode("utf-16-le"))
    assert len(hand_scan(tmp_path, ["Шевченко", "ЕН123456"])) == 2
