"""Normalisation of names, dates, phones and documents across scripts and spellings."""
from __future__ import annotations

import datetime as dt

import pytest

from distributions import normalise as N


def key(text: str) -> str | None:
    return N.name_key(N.parse_name(text))


@pytest.mark.parametrize("spelling", [
    "Шевченко Олександр", "Oleksandr Shevchenko", "Olexandr Shevchenko", "Aleksandr Shevchenko",
    "Alexander Shevchenko", "Александр Шевченко", "ШЕВЧЕНКО ОЛЕКСАНДР ПЕТРОВИЧ",
    "Шeвчeнкo Oлeксандр",  # Latin e, o and O inside Cyrillic words
])
def test_one_name_in_every_script_and_spelling_has_one_key(spelling):
    assert key(spelling) == key("Олександр Шевченко")


@pytest.mark.parametrize("a, b", [
    ("Сергій Бондаренко", "Sergii Bondarenko"), ("Сергій Бондаренко", "Sergiy Bondarenko"),
    ("Сергій Бондаренко", "Sergey Bondarenko"), ("Сергій Бондаренко", "Serhii Bondarenko"),
    ("Юрій Олійник", "Iurii Oliinyk"), ("Юрій Олійник", "Юрий Олейник"),
    ("Наталія Ткаченко", "Natalya Tkachenko"), ("Наталія Ткаченко", "Наталья Ткаченко"),
    ("Андрій Коваль", "Андрей Коваль"), ("Олена Лисенко", "Елена Лысенко"),
    ("Юлія Мельник", "Yuliia Melnyk"), ("Юлія Мельник", "Julia Melnik"),
    ("Євген Іваненко", "Евгений Иваненко"), ("Микола Бойко", "Nikolay Boyko"),
])
def test_ukrainian_russian_and_old_passport_forms_share_a_key(a, b):
    assert key(a) == key(b)


@pytest.mark.parametrize("a, b", [
    ("Олександр Шевченко", "Олександра Шевченко"), ("Іван Коваленко", "Іванна Коваленко"),
    ("Євген Бойко", "Євгенія Бойко"), ("Олег Мороз", "Ольга Мороз"), ("Марина Кравчук", "Мар'яна Кравчук"),
])
def test_different_names_keep_different_keys(a, b):
    assert key(a) != key(b)


@pytest.mark.parametrize("text", ["Мар'яна", "Мар’яна", "Марʼяна", "Мар`яна", "Марьяна"])
def test_four_apostrophe_shapes_and_the_russian_soft_sign_fold_alike(text):
    assert N.parse_name(f"Коваль {text}").given == N.parse_name("Коваль Мар'яна").given


def test_order_parts_and_patronymic():
    full = N.parse_name("Шевченко Олександр Петрович")
    assert (full.surname, full.given, full.patronymic) == ("shevchenko", "oleksandr", "petrovich")
    given_first = N.parse_name("Олександр Петрович Шевченко")
    assert (given_first.surname, given_first.given) == ("shevchenko", "oleksandr")
    initials = N.parse_name("Шевченко О. П.")
    assert initials.surname == "shevchenko" and initials.given is None and initials.initials == ("o", "p")
    assert N.parse_name("Лысенко Елена Петровна").patronymic == "petrovna"


def test_a_typo_in_a_given_name_still_finds_the_name_but_says_it_is_not_exact():
    typo = N.parse_name("Коваленко Олекандр")
    assert typo.given == "oleksandr" and not typo.given_known


@pytest.mark.parametrize("text, expected, ambiguous", [
    ("1975-03-14", dt.date(1975, 3, 14), False), ("14.03.1975", dt.date(1975, 3, 14), False),
    ("3/14/1975", dt.date(1975, 3, 14), False), ("14/3/1975", dt.date(1975, 3, 14), False),
    ("14.03.75", dt.date(1975, 3, 14), False), ("27467", dt.date(1975, 3, 14), False),
    ("03/04/1975", dt.date(1975, 3, 4), True), (dt.datetime(1975, 3, 14, 0, 0), dt.date(1975, 3, 14), False),
])
def test_dates_in_every_listed_format(text, expected, ambiguous):
    parsed = N.parse_date(text)
    assert parsed.value == expected and parsed.ambiguous is ambiguous


@pytest.mark.parametrize("text", ["31.02.1990", "1975-13-01", "tomorrow", "01.01.2999"])
def test_impossible_dates_are_refused_with_a_reason(text):
    parsed = N.parse_date(text)
    assert parsed.value is None and parsed.problem


@pytest.mark.parametrize("text", ["+380 67 123 45 67", "0671234567", "067-123-45-67", "380671234567",
                                  "671234567", 671234567, 671234567.0, "0038 067 123 4567"])
def test_phones_in_every_listed_format(text):
    assert N.phone(text) == "+380671234567"


@pytest.mark.parametrize("text", ["0000000000", "12345", "+48 601 234 567 89", ""])
def test_placeholders_and_foreign_or_short_numbers_are_not_phones(text):
    assert N.phone(text) is None


@pytest.mark.parametrize("text", ["ЕН123456", "EH123456", "EN 123456", "eh-123456", "ЕН № 123456"])
def test_old_passport_series_typed_with_latin_letters(text):
    assert N.document(text) == ("passport", "ЕН123456")


def test_id_card_and_tax_number():
    assert N.document("001234567") == ("id_card", "001234567")
    good = N.make_rnokpp(dt.date(1975, 3, 14), 12, female=True)
    assert N.document(good) == ("rnokpp", good)
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    assert N.document(bad) is None and not N.rnokpp_valid(bad)
    assert N.rnokpp_birth_date(good) == dt.date(1975, 3, 14)
    assert N.rnokpp_female(good) and not N.rnokpp_female(N.make_rnokpp(dt.date(1975, 3, 14), 3, female=False))


def test_a_known_real_world_style_tax_number_checks():
    # 1..9 digits with the published weights (-1,5,7,9,4,6,10,5,7): check digit by hand.
    first = "314159265"
    total = sum(int(d) * w for d, w in zip(first, (-1, 5, 7, 9, 4, 6, 10, 5, 7)))
    assert N.rnokpp_check_digit(first) == total % 11 % 10


@pytest.mark.parametrize("a, b", [
    ("Шевченко Олександр", "Szewczenko Ołeksandr"), ("Харченко Михайло", "Charczenko Mychajło"),
    ("Ткачук Володимир", "Tkaczuk Wołodymyr"), ("Щербак Іван", "Szczerbak Iwan"), ("Жук Юрій", "Żuk Jurij"),
    ("Шевченко Олександр", "Schewtschenko Oleksandr"), ("Грицан Віктор", "Hrycan Victor"),
    ("Стецан Лідія", "Stecan Lidia"),
])
def test_polish_and_german_spellings_share_the_key(a, b):
    assert key(a) == key(b)


@pytest.mark.parametrize("text", ["067 123 45 67, 050 111 22 33", "0671234567; 0501112233",
                                  "067-123-45-67 або 050 111 22 33", "n/a, 0671234567"])
def test_two_numbers_in_one_cell_give_the_first_phone(text):
    assert N.phone(text) == "+380671234567"
