"""forms/export.py: files read back as a spreadsheet user would read them.

Records come from real Sessions (the shape the engine saves) and from hand-made
dicts (nested groups, older versions). People are synthetic.
"""
from __future__ import annotations

import csv
import errno
import datetime as dt
import tempfile
import zipfile

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from forms import Session, load_form
from forms.errors import ExportError, MalformedForm
from forms.export import export_records, plan
from tests.unit.forms.xlsform import write_xlsform

EN, UK = "English (en)", "Українська (uk)"
HEAD = ["type", "name", f"label::{EN}", f"label::{UK}", "relevant", "repeat_count", "calculation", "hxl"]
SURVEY = [
    HEAD,
    ["text", "village", "Village", "Село", None, None, None, "#loc+name"],
    ["begin_group", "hh", "Household", "Домогосподарство", None, None, None, None],
    ["integer", "size", "Household size", "Розмір домогосподарства", None, None, None, "#affected+ind"],
    ["select_multiple needs", "needs", "Needs", "Потреби", None, None, None, "#need"],
    ["date", "visit", "Visit date", "Дата візиту", None, None, None, None],
    ["geopoint", "gps", "Location", "Місце", None, None, None, "#geo+coord"],
    ["begin_repeat", "members", "Members", "Члени", None, "${size}", None, None],
    ["text", "m_name", "Name", "Ім'я", None, None, None, "#respondee+name"],
    ["integer", "m_age", "Age", "Вік", None, None, None, "#respondee+age"],
    ["begin_repeat", "phones", "Phones", "Телефони", None, None, None, None],
    ["text", "number", "Number", "Номер", None, None, None, "#contact+phone"],
    ["end_repeat", None, None, None, None, None, None, None],
    ["end_repeat", None, None, None, None, None, None, None],
    ["calculate", "adults", None, None, None, None, "count(${m_age}[. >= 18])", None],
    ["end_group", None, None, None, None, None, None, None],
    ["text", "comments", "Comments", "Коментарі", "${size} > 2", None, None, None],
    ["note", "bye", "Thank you", "Дякуємо", None, None, None, None],
]
CHOICES = [
    ["list_name", "name", f"label::{EN}", f"label::{UK}"],
    ["needs", "food", "Food", "Їжа"], ["needs", "water", "Water", "Вода"], ["needs", "shelter", "Shelter", "Житло"],
]
SETTINGS = [["form_id", "version", "default_language"], ["hh_export", "7", EN]]
NOW = dt.datetime(2026, 11, 20, 10, 0)


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "hh_export.xlsx"
    return load_form(write_xlsform(path, SURVEY, CHOICES, SETTINGS))


def filled(form, answers: dict) -> dict:
    s = Session(form, answers, now=NOW)
    assert s.errors() == []
    return s.record()


@pytest.fixture(scope="module")
def records(form):
    return [
        {"id": "rec-1", "form_version": "7", "fields": filled(form, {
            "village": "Вигадане", "size": 3, "needs": "food shelter", "visit": "2026-11-19", "gps": "50.45 30.52 110 5",
            "members": [
                {"m_name": "Оксана Вигадана", "m_age": 41, "phones": [{"number": "+380670000001"}, {"number": "+380670000002"}]},
                {"m_name": "Петро Вигаданий", "m_age": 12},
                {"m_name": "Марія Вигадана", "m_age": 70, "phones": [{"number": "+380670000003"}]},
            ],
            "comments": "=HYPERLINK(\"http://example.org\")",
        })},
        {"id": "rec-2", "form_version": "6", "fields": filled(form, {
            "village": "Інше", "size": 1, "members": [{"m_name": "Synthetic Person", "m_age": 30}],
        })},
    ]


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def as_dicts(rows: list[list], skip: int = 2) -> list[dict]:
    return [dict(zip(rows[0], r)) for r in rows[skip:]]


def test_plan_lays_out_group_paths_split_selects_and_repeat_tables(form):
    tables = plan(form)
    assert [t.name for t in tables] == ["hh_export", "members", "phones"]
    main = [c.name for c in tables[0].columns]
    assert main == [
        "village", "hh/size", "hh/needs", "hh/needs/food", "hh/needs/water", "hh/needs/shelter", "hh/visit",
        "hh/gps", "_hh/gps_latitude", "_hh/gps_longitude", "_hh/gps_altitude", "_hh/gps_precision",
        "hh/adults", "comments", "_id", "_form_version", "_index",
    ]
    assert [c.name for c in tables[1].columns] == [
        "hh/members/m_name", "hh/members/m_age", "_index", "_parent_table_name", "_parent_index", "_parent_id"]
    assert [c.name for c in tables[2].columns][0] == "hh/members/phones/number"
    assert "bye" not in main  # a note stores nothing


def test_csv_columns_values_and_repeats_linked_by_parent(form, records, tmp_path):
    out = tmp_path / "hh.csv"
    summary = export_records(form, records, out, fmt="csv")
    assert summary.files == [out, tmp_path / "hh-members.csv", tmp_path / "hh-phones.csv"]
    assert summary.rows == {"hh_export": 2, "members": 4, "phones": 3} and summary.records == 2
    main = read_csv(out)
    assert main[1][:2] == ["#loc+name", "#affected+ind"]  # the HXL row
    first, second = as_dicts(main)
    assert first["village"] == "Вигадане" and first["hh/size"] == "3"
    assert (first["hh/needs"], first["hh/needs/food"], first["hh/needs/water"], first["hh/needs/shelter"]) == ("food shelter", "1", "0", "1")
    assert (second["hh/needs"], second["hh/needs/food"]) == ("", "")  # unanswered: empty, not 0
    assert (first["_hh/gps_latitude"], first["_hh/gps_longitude"], first["_hh/gps_altitude"]) == ("50.45", "30.52", "110")
    assert first["hh/visit"] == "2026-11-19"
    assert (first["_id"], first["_form_version"], first["_index"]) == ("rec-1", "7", "1")
    assert (second["_id"], second["_form_version"], second["_index"]) == ("rec-2", "6", "2")
    assert second["comments"] == ""  # not relevant for a household of one
    # A formula typed as an answer stays text when a spreadsheet opens the CSV.
    assert first["comments"] == "'=HYPERLINK(\"http://example.org\")"

    members = as_dicts(read_csv(tmp_path / "hh-members.csv"))
    assert [(m["hh/members/m_name"], m["_parent_id"], m["_parent_index"], m["_index"]) for m in members] == [
        ("Оксана Вигадана", "rec-1", "1", "1"), ("Петро Вигаданий", "rec-1", "1", "2"),
        ("Марія Вигадана", "rec-1", "1", "3"), ("Synthetic Person", "rec-2", "2", "4"),
    ]
    assert {m["_parent_table_name"] for m in members} == {"hh_export"}
    phones = as_dicts(read_csv(tmp_path / "hh-phones.csv"))
    # Nested repeat: each phone points at its member's row; the number stays text, unquoted.
    by_member = {m["_index"]: m["hh/members/m_name"] for m in members}
    assert [(by_member[p["_parent_index"]], p["hh/members/phones/number"], p["_parent_id"]) for p in phones] == [
        ("Оксана Вигадана", "+380670000001", "rec-1"), ("Оксана Вигадана", "+380670000002", "rec-1"),
        ("Марія Вигадана", "+380670000003", "rec-1"),
    ]
    assert {p["_parent_table_name"] for p in phones} == {"members"}


def test_xlsx_sheets_types_hxl_and_no_formulas(form, records, tmp_path):
    out = tmp_path / "hh.xlsx"
    export_records(form, records, out, fmt="xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["hh_export", "members", "phones"]
    ws = wb["hh_export"]
    rows = list(ws.iter_rows(values_only=True))
    header, hxl = rows[0], rows[1]
    assert header[:3] == ("village", "hh/size", "hh/needs")
    assert hxl[header.index("hh/needs/water")] == "#need+water"
    assert hxl[header.index("_id")] is None
    first = dict(zip(header, rows[2]))
    assert first["hh/size"] == 3 and isinstance(first["hh/size"], int)
    assert first["_hh/gps_latitude"] == 50.45
    assert first["hh/visit"].date() == dt.date(2026, 11, 19)  # a real date cell
    comments = ws.cell(row=3, column=header.index("comments") + 1)
    assert comments.data_type == "s" and comments.value == "=HYPERLINK(\"http://example.org\")"
    assert first["hh/adults"] == 2  # a calculation (with a predicate: count(${m_age}[. >= 18])) is exported like an answer
    members = list(wb["members"].iter_rows(values_only=True))
    assert members[0][-4:] == ("_index", "_parent_table_name", "_parent_index", "_parent_id")
    assert [r[0] for r in members[2:]] == ["Оксана Вигадана", "Петро Вигаданий", "Марія Вигадана", "Synthetic Person"]
    assert [r[-1] for r in members[2:]] == ["rec-1", "rec-1", "rec-1", "rec-2"]
    with zipfile.ZipFile(out) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_labels_per_language(form, records, tmp_path, fmt):
    headers = {}
    for lang in (EN, "uk"):
        out = tmp_path / f"{lang[:2]}.{fmt}"
        export_records(form, records, out, fmt=fmt, lang=lang, labels=True)
        if fmt == "csv":
            rows = read_csv(out)
        else:
            rows = [list(r) for r in openpyxl.load_workbook(out)["hh_export"].iter_rows(values_only=True)]
        headers[lang] = dict(zip(rows[0], rows[2]))
    en, uk = headers[EN], headers["uk"]
    assert {"Village", "Household size", "Needs", "Needs/Food", "Needs/Shelter", "_id"} <= set(en)
    assert {"Село", "Розмір домогосподарства", "Потреби", "Потреби/Їжа", "Потреби/Житло", "_id"} <= set(uk)
    assert en["Needs"] == "Food Shelter" and uk["Потреби"] == "Їжа Житло"
    assert uk["Потреби/Вода"] in ("0", 0)


def test_unknown_language_is_refused_by_name(form, records, tmp_path):
    with pytest.raises(ExportError, match="no 'fr' labels.*English"):
        export_records(form, records, tmp_path / "x.csv", lang="fr", labels=True)
    assert list(tmp_path.iterdir()) == []


def test_no_hxl_row_when_the_form_has_none(tmp_path):
    f = load_form(write_xlsform(tmp_path / "plain.xlsx", [["type", "name", "label"], ["text", "a", "A"]]))
    export_records(f, [{"id": "r", "fields": {"a": "x"}}], tmp_path / "p.csv")
    assert read_csv(tmp_path / "p.csv") == [["a", "_id", "_form_version", "_index"], ["x", "r", "", "1"]]


def test_nested_group_records_old_fields_and_odd_values(form, tmp_path):
    rec = {"id": "r9", "form_version": "1", "fields": {
        "village": "a<b & c>\x01 _x0041_ ", "hh": {"size": 2, "needs": ["water"]},
        "retired_question": "x", "members": [{"m_name": "Test Person", "m_age": 3.0, "old_field": 1}],
    }}
    out = tmp_path / "odd.xlsx"
    summary = export_records(form, [rec], out)
    assert summary.unknown_fields == ["old_field", "retired_question"]  # names only, to report
    ws = openpyxl.load_workbook(out)["hh_export"]
    row = dict(zip([c.value for c in ws[1]], [c.value for c in ws[3]]))
    # XML cannot carry \x01: it is written as the spreadsheet escape _x0001_ (and a literal
    # "_x0041_" is protected as _x005F_x0041_), which spreadsheet programs decode back.
    assert row["village"] == "a<b & c>_x0001_ _x005F_x0041_ "
    assert unescape(row["village"]) == "a<b & c>\x01 _x0041_ "
    assert (row["hh/size"], row["hh/needs"], row["hh/needs/water"], row["hh/needs/food"]) == (2, "water", 1, 0)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_failure_mid_export_leaves_nothing_and_keeps_the_old_file(form, records, tmp_path, fmt):
    out = tmp_path / f"hh.{fmt}"
    out.write_bytes(b"previous export")

    def broken():
        yield from records
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError):
        export_records(form, broken(), out, fmt=fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    assert out.read_bytes() == b"previous export"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_unwritable_output_is_one_clear_error_and_leaves_nothing(form, records, tmp_path, monkeypatch, fmt):
    with pytest.raises(ExportError, match="does not exist"):
        export_records(form, records, tmp_path / "missing" / f"x.{fmt}")

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("forms.export.os.replace", disk_full)
    with pytest.raises(ExportError, match="No space left on device; nothing was written") as info:
        export_records(form, records, tmp_path / f"x.{fmt}", fmt=fmt)
    assert "Вигадан" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_format_is_refused(form, records, tmp_path):
    with pytest.raises(ExportError, match="format 'pdf'"):
        export_records(form, records, tmp_path / "x.pdf")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nothing_is_spooled_to_the_system_temp_folder(form, records, tmp_path, monkeypatch, fmt):
    spool = tmp_path / "systemtmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    export_records(form, records, out_dir / f"hh.{fmt}", fmt=fmt)
    assert list(spool.iterdir()) == []
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in out_dir.iterdir())  # owner-only


def test_an_empty_export_still_has_headers(form, tmp_path):
    summary = export_records(form, [], tmp_path / "e.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "e.xlsx")
    assert summary.records == 0 and wb["members"].max_row == 2
    assert [c.value for c in wb["members"][1]][0] == "hh/members/m_name"


def test_the_loader_rejects_a_malformed_hashtag(tmp_path):
    path = write_xlsform(tmp_path / "bad.xlsx", [["type", "name", "label", "hxl"], ["text", "a", "A", "loc name"]])
    with pytest.raises(MalformedForm) as info:
        load_form(path)
    assert any(i.column == "hxl" and i.row == 2 for i in info.value.issues)
