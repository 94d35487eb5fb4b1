"""Every function of the ODK XForms specification, checked one by one.

Where JavaRosa (Collect) and Enketo disagree, the test follows JavaRosa and says so.
"""
from __future__ import annotations

import base64
import hashlib
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from forms import load_form
from forms.engine import Session
from forms.xpath import ExpressionError, SimpleContext, evaluate, parse
from forms.xpath.functions import FUNCTIONS
from forms.xpath.functions.lookups import shuffle
from tests.unit.forms.xlsform import write_xlsform

KYIV = timezone(timedelta(hours=3))
NOW = datetime(2024, 5, 15, 10, 30, 0, 123000, tzinfo=KYIV)
CITIES = [{"name": "kyiv", "label": "Kyiv", "region": "centre", "pop": "2900000"},
          {"name": "lviv", "label": "Lviv", "region": "west", "pop": "720000"},
          {"name": "uzh", "label": "Uzhhorod", "region": "west", "pop": "115000"}]


def ev(text: str, fields: dict | None = None, **kwargs) -> object:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("instances", {"cities": CITIES})
    return evaluate(parse(text), SimpleContext(fields, **kwargs))


# Every function the specification lists (its "fn:" anchors), jr: prefixes dropped.
SPEC = """string concat join substr substring-before substring-after translate string-length normalize-space
contains starts-with ends-with uuid digest pulldata if coalesce once true false boolean boolean-from-string not
regex checklist weighted-checklist number random int sum max min round pow log log10 abs sin cos tan asin acos
atan atan2 sqrt exp exp10 pi count count-non-empty position instance current randomize today now format-date
format-date-time date decimal-date-time decimal-time selected selected-at count-selected choice-name itext
indexed-repeat area distance base64-decode""".split()


def test_every_function_of_the_specification_is_known():
    special = {"position", "instance"}  # parsed as syntax: position(..), instance('x')/root/item
    assert len(SPEC) == 70
    assert sorted(set(SPEC) - set(FUNCTIONS) - special) == []


@pytest.mark.parametrize("text, expected", [
    ("sin(0)", 0.0), ("cos(0)", 1.0), ("tan(0)", 0.0), ("asin(1)", math.pi / 2), ("acos(1)", 0.0),
    ("atan(1)", math.pi / 4), ("atan2(1, 1)", math.pi / 4), ("atan2(0, -1)", math.pi), ("log(exp(2))", 2.0),
    ("log10(1000)", 3.0), ("exp(0)", 1.0), ("exp10(3)", 1000.0), ("pi()", math.pi), ("pow(2, 10)", 1024),
    ("sqrt(2.25)", 1.5), ("sin('x')", math.nan), ("asin(2)", math.nan), ("log(-1)", math.nan),
    ("log(0)", -math.inf), ("exp(1000)", math.inf),
])
def test_maths(text, expected):
    result = ev(text)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(result, float) and math.isnan(result)
    else:
        assert result == pytest.approx(expected)


def test_random_is_a_fraction_and_varies():
    draws = {ev("random()") for _ in range(20)}
    assert all(0 <= d < 1 for d in draws) and len(draws) > 1


def test_digest_matches_the_standard_library():
    assert ev("digest('abc', 'SHA-256', 'hex')") == hashlib.sha256(b"abc").hexdigest()
    assert ev("digest('Київ', 'MD5')") == base64.b64encode(hashlib.md5("Київ".encode()).digest()).decode()
    assert ev("digest(${x}, 'SHA-1', 'base64')", {"x": "a"}) == base64.b64encode(hashlib.sha1(b"a").digest()).decode()
    assert ev("digest('a', ${alg})", {"alg": "ROT13"}) == ""


def test_digest_refuses_an_unknown_algorithm_when_written_out():
    with pytest.raises(ExpressionError, match="SHA-256"):
        parse("digest('a', 'SHA256')")


@pytest.mark.parametrize("text, expected", [
    ("base64-decode('SGVsbG8=')", "Hello"), ("base64-decode('0JrQuNGX0LI=')", "Київ"),
    ("base64-decode('not base64!')", ""), ("base64-decode('/w==')", ""),  # not UTF-8
])
def test_base64_decode(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("checklist(1, 2, ${a}, ${b}, ${c})", True), ("checklist(3, -1, ${a}, ${b}, ${c})", False),
    ("checklist(-1, 1, ${a}, ${c})", False), ("checklist(-1, -1)", True),
    ("checklist(2, 2, ${r})", True),  # every repeat instance counts
    ("weighted-checklist(5, -1, ${a}, 3, ${b}, 2, ${c}, 2)", True),
    ("weighted-checklist(6, -1, ${a}, 3, ${b}, 2, ${c}, 2)", False),
    ("weighted-checklist(-1, 4, ${a}, 3, ${c}, ${w})", False),
])
def test_checklists(text, expected):
    assert ev(text, {"a": "yes", "b": "", "c": 1, "r": [0, "x", "y"], "w": "2"}) is expected


def test_weighted_checklist_needs_pairs():
    with pytest.raises(ExpressionError, match="pairs"):
        parse("weighted-checklist(1, 2, ${a})")


def test_now_is_written_as_the_spec_writes_it():
    assert ev("string(now())") == "2024-05-15T10:30:00.123+03:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d",
                        ev("concat('', now())", now=datetime.now().astimezone()))


@pytest.mark.parametrize("text, expected", [
    # An explicit offset is honoured: 15:30 at +03:00 is 12:30 UTC (JavaRosa and the spec: "since 1970 UTC").
    ("decimal-date-time('2018-04-24T15:30:00.000+03:00')", 17645 + 12.5 / 24),
    ("decimal-date-time('2018-04-24T15:30:00.000-07:00')", 17645 + 22.5 / 24),
    ("decimal-date-time('2018-04-24T15:30:00Z')", 17645 + 15.5 / 24),
    ("decimal-date-time('2018-04-24T15:30:00')", 17645 + 15.5 / 24),  # no offset: read as written
    ("decimal-time('12:00:00')", 0.5), ("decimal-time('18:00:00.000')", 0.75),
])
def test_decimal_dates(text, expected):
    assert ev(text) == pytest.approx(expected)


def test_decimal_time_of_something_else_is_nan():
    assert math.isnan(ev("decimal-time('soon')"))


@pytest.mark.parametrize("text, expected", [
    ("date-time('2018-04-24')", datetime(2018, 4, 24)), ("date-time('2018-04-24T10:00:00')", datetime(2018, 4, 24, 10)),
    ("date-time(0.5)", datetime(1970, 1, 1, 12)), ("date-time('soon')", ""),
    ("format-date-time(date-time(17645.5), '%Y-%m-%d %H:%M')", "2018-04-24 12:00"),
])
def test_date_time(text, expected):
    assert ev(text) == expected


def test_number_and_position_without_an_argument():
    assert ev("number()", current="12.5") == 12.5
    assert ev("number() + 1", current="2") == 3
    assert ev("position()") == 1  # the question itself, among its siblings; position(..) is the repeat's
    assert ev("count(${q}[position() > 2])", {"q": ["a", "b", "c", "d"]}) == 2
    assert ev("join('', ${q}[position() mod 2 = 1])", {"q": ["a", "b", "c", "d"]}) == "ac"


def test_current_is_the_question_even_inside_a_predicate():
    assert ev("current()", current="west") == "west"
    assert ev("join(' ', instance('cities')/root/item[region = current()]/name)", current="west") == "lviv uzh"
    assert ev("count(${ages}[. > current()])", {"ages": [5, 15, 25]}, current=10) == 2


def test_itext_reads_the_form_texts():
    assert ev("jr:itext('/data/q:label')", texts={"/data/q:label": "Question"}) == "Question"


@pytest.mark.parametrize("text, expected", [
    ("instance('cities')/root/item[name = 'lviv']/label", "Lviv"),
    ("instance('cities')/root/item[name = ${c}]/pop", "115000"),
    ("count(instance('cities')/root/item[region = 'west'])", 2),
    ("sum(instance('cities')/root/item/pop)", 3735000),
    ("join(',', instance('cities')/root/item[region = 'west'][pop > 200000]/name)", "lviv"),
    ("instance('cities')/root/item[2]/name", "lviv"),
    ("instance('cities')/root/item[name = 'odesa']/label", ""),
    ("count(instance('nowhere')/root/item)", 0),
    ("pulldata('cities', 'label', 'name', ${c})", "Uzhhorod"),
    ("pulldata('cities.csv', 'pop', 'name', 'kyiv')", "2900000"),
    ("pulldata('cities', 'pop', 'name', 'odesa')", ""),
])
def test_instance_lookups(text, expected):
    assert ev(text, {"c": "uzh"}) == expected


@pytest.mark.parametrize("text, message", [
    ("instance(${x})/root/item", "in quotes"), ("instance('a')/item", "instance('a')/root/item"),
    ("pulldata(${f}, 'a', 'b', 'c')", "in quotes"), ("/data/a", "unexpected character '/'"),
    ("${a} / 2", "divide with 'div'"),
])
def test_lookup_syntax_errors(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse(text)


def test_expressions_say_which_instances_they_read():
    assert parse("pulldata('prices', 'p', 'k', ${x}) + count(instance('towns')/root/item)").instances == {"prices", "towns"}


# --- randomize -----------------------------------------------------------------------------
def test_randomize_seeded_follows_the_spec_generator():
    # Park-Miller from seed 1 draws 16807, 282475249, 1622650073 -> fractions 0.0000078, 0.1315, 0.7556;
    # the inside-out shuffle then puts b first, a second, keeps c: worked by hand from the spec.
    assert shuffle(["a", "b", "c"], 1) == ["b", "a", "c"]
    assert ev("join(' ', randomize(instance('cities')/root/item/name, 1))") == "lviv kyiv uzh"


@pytest.mark.parametrize("items, seed, expected", [
    # The published examples of Collect's engine (FisherYatesExamplesTest), negative seed included.
    (list(range(10)), 33, [3, 5, 4, 8, 2, 0, 1, 6, 9, 7]),
    (list(range(10)), 42, [0, 5, 9, 1, 8, 4, 6, 3, 7, 2]),
    (list("ABCDEF"), 42, list("AFCBDE")), (list("ABCDEF"), -42, list("EDAFBC")),
    (list("ABCDEF"), 1, list("BFEACD")), (list("ABCDEF"), 11111111, list("ACDBFE")),
])
def test_randomize_gives_collects_order(items, seed, expected):
    assert shuffle(items, seed) == expected


def test_randomize_hashes_a_text_seed_as_javarosa_does():
    # JavaRosa and Enketo disagree: JavaRosa seeds with the first 8 bytes of the text's SHA-256
    # (so a record's instanceID can seed it); Enketo refuses a seed that is not an integer.
    import hashlib as _hashlib
    uuid = "uuid:6f1b1c2e-0000-4000-8000-000000000001"
    as_long = int.from_bytes(_hashlib.sha256(uuid.encode()).digest()[:8], "big", signed=True)
    assert shuffle(list("ABCDEF"), uuid) == shuffle(list("ABCDEF"), as_long)
    assert ev("join('', randomize(${q}, ${id}))", {"q": list("ABCDEF"), "id": uuid}) == "".join(shuffle(list("ABCDEF"), uuid))


def test_randomize_is_a_stable_permutation():
    items = [f"c{i}" for i in range(30)]
    once = shuffle(items, 42)
    assert sorted(once) == sorted(items) and once != items
    assert shuffle(items, 42) == once and shuffle(items, 43) != once


def test_randomize_truncates_a_fractional_seed_as_javarosa_does():
    # JavaRosa and Enketo disagree: JavaRosa converts a numeric seed with Java's long conversion
    # (1.9 -> 1); Enketo refuses it ("Integer required"). Fieldbook follows JavaRosa.
    items = list("abcdefgh")
    assert shuffle(items, 1.9) == shuffle(items, 1) and shuffle(items, "1.9") == shuffle(items, 1)


def test_randomize_without_a_seed_uses_the_records_seed():
    fields = {"q": list("abcdefghij")}
    first = ev("join('', randomize(${q}))", fields, seed=7)
    assert first == ev("join('', randomize(${q}))", fields, seed=7)  # re-evaluation keeps the order
    assert first == "".join(shuffle(list("abcdefghij"), None, 7))
    assert {ev("join('', randomize(${q}))", fields, seed=s) for s in range(5)} != {first}


# --- geometry ------------------------------------------------------------------------------
def test_distance_between_points_and_along_a_trace():
    kyiv_lviv = ev("distance(${p})", {"p": ["50.4501 30.5234", "49.8397 24.0297"]})
    assert kyiv_lviv == pytest.approx(469_000, rel=0.01)
    assert ev("distance('0 0 0 0; 0 1 0 0')") == pytest.approx(111_319.5, rel=1e-4)  # a degree at the equator
    assert math.isnan(ev("distance('not a point; 0 1')"))


def test_area_of_a_shape():
    square = "0 0 0 0; 0 1 0 0; 1 1 0 0; 1 0 0 0; 0 0 0 0"
    assert ev(f"area('{square}')") == pytest.approx(111_319.5 * 110_574 * 1.0, rel=0.01)
    assert ev("area('0 0; 0 1')") == 0.0


# --- through a real form: choice lists and CSV attachments ----------------------------------------
def test_a_form_reads_choice_lists_and_csv_attachments(tmp_path: Path):
    (tmp_path / "prices.csv").write_text("item,price\nrice,30\nflour,18\n", encoding="utf-8")
    (tmp_path / "towns.csv").write_text("name,label,oblast\nbucha,Bucha,kyiv\nstryi,Stryi,lviv\n", encoding="utf-8")
    path = write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "calculation"],
        ["csv-external", "towns", None, None],
        ["select_one items", "item", "Item?", None],
        ["calculate", "price", None, "pulldata('prices', 'price', 'item', ${item})"],
        ["calculate", "item_label", None, "instance('items')/root/item[name = ${item}]/label"],
        ["calculate", "lviv_towns", None, "count(instance('towns')/root/item[oblast = 'lviv'])"],
        ["calculate", "seed_order", None, "join(' ', randomize(instance('items')/root/item/name))"],
    ], [["list_name", "name", "label"], ["items", "rice", "Rice"], ["items", "flour", "Flour"]])
    form = load_form(path)
    assert sorted(form.media) == ["prices.csv", "towns.csv"]
    session = Session(form, {"item": "flour"}, seed="0190f3c4-record-id")
    fields = session.summary()["fields"]
    assert (fields["price"], fields["item_label"], fields["lviv_towns"]) == ("18", "Flour", 1)
    again = Session(form, {"item": "rice"}, seed="0190f3c4-record-id").summary()["fields"]
    assert again["seed_order"] == fields["seed_order"]  # the same record keeps its order


def test_a_missing_attachment_is_refused_at_load(tmp_path: Path):
    from forms import MalformedForm
    path = write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label", "calculation"], ["text", "item", "Item?", None],
        ["calculate", "price", None, "pulldata('prices', 'price', 'item', ${item})"],
    ])
    with pytest.raises(MalformedForm) as info:
        load_form(path)
    issue = info.value.issues[0]
    assert (issue.row, issue.column) == (3, "calculation") and "prices.csv" in issue.message


def test_itext_in_a_form(tmp_path: Path):
    path = write_xlsform(tmp_path / "f.xlsx", [
        ["type", "name", "label::English (en)", "label::Українська (uk)", "calculation"],
        ["text", "town", "Town", "Місто", None],
        ["calculate", "town_label", None, None, "jr:itext('/data/town:label')"],
    ])
    form = load_form(path)
    assert Session(form, {}, lang="Українська (uk)").summary()["fields"]["town_label"] == "Місто"
