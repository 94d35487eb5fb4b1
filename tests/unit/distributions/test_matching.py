"""Blocking, comparison and decision, each on its own, on hand-made synthetic pairs."""
from __future__ import annotations

import datetime as dt

import pytest

from distributions import matching as M
from distributions.normalise import make_rnokpp

BASE = dict(head_name="Коваленко Олександр Петрович", dob="14.03.1975", phone="0671234567",
            doc_number="ЕН123456", settlement="Ірпінь")


def pair_score(a: dict, b: dict) -> tuple[float, str]:
    rows = [M.prepare(0, a), M.prepare(1, b)]
    evidence = M.compare(rows[0], rows[1], M.Stats.of(rows))
    return sum(e.weight for e in evidence), "; ".join(e.reason for e in evidence)


def found(a: dict, b: dict) -> list[M.Candidate]:
    return M.find_duplicates([dict(a, ref="A"), dict(b, ref="B")])


DUPLICATES = {
    "latin script": dict(head_name="Oleksandr Kovalenko", dob="1975-03-14", phone="", doc_number=""),
    "old translit": dict(head_name="Olexandr Kovalenko", phone="", doc_number=""),
    "russian latin": dict(head_name="Aleksandr Kovalenko", phone="+380 50 000 11 22", doc_number=""),
    "russian cyrillic": dict(head_name="Коваленко Александр Петрович", phone="", doc_number=""),
    "word order": dict(head_name="Олександр Петрович Коваленко", doc_number=""),
    "no patronymic": dict(head_name="Коваленко Олександр", phone="", doc_number=""),
    "initials": dict(head_name="Коваленко О. П.", doc_number="EH 123456"),
    "keyboard typo": dict(head_name="Коваденко Олександр Петрович", phone="", doc_number=""),
    "dropped letter": dict(head_name="Коваленко Олекандр Петрович", phone="", doc_number=""),
    "look-alike letters": dict(head_name="Кoвaлeнкo Олександр Петрович", phone="", doc_number=""),
    "spreadsheet date": dict(dob="3/14/1975", phone="", doc_number=""),
    "iso date": dict(dob="1975-03-14", phone="", doc_number="", head_name="Коваленко Олександр"),
    "placeholder date": dict(dob="01.01.1975", doc_number=""),
    "phone format": dict(phone="671234567", doc_number="", dob=""),
    "changed sim": dict(phone="0931112233", doc_number="EN-123456"),
    "doc look-alikes": dict(doc_number="EN 123456", phone="", dob=""),
}


@pytest.mark.parametrize("variation", sorted(DUPLICATES))
def test_each_variation_is_still_found(variation):
    other = dict(BASE, **DUPLICATES[variation])
    assert found(BASE, other), pair_score(BASE, other)


def test_a_real_day_month_swap_is_named():
    a = dict(BASE, dob="1975-03-04", phone="", doc_number="")
    b = dict(BASE, dob="1975-04-03", phone="", doc_number="")
    (cand,) = found(a, b)
    assert "birth dates differ by a day/month swap" in cand.reasons


def test_reasons_are_words_a_reviewer_can_check():
    b = dict(BASE, head_name="Oleksandr Kovalenko", doc_number="")
    (cand,) = found(BASE, b)
    assert "names match across scripts: Олександр ↔ Oleksandr" in cand.reasons
    assert "same birth date" in cand.reasons and "same phone" in cand.reasons


def test_same_tax_number_alone_is_enough_and_different_ones_split():
    tax = make_rnokpp(dt.date(1975, 3, 14), 4, female=False)
    a = dict(head_name="Коваленко Олександр", tax_number=tax)
    b = dict(head_name="Kovalenko O.", tax_number=tax, dob="")
    (cand,) = found(a, b)
    assert cand.reasons.startswith("same tax number")
    other = make_rnokpp(dt.date(1975, 3, 14), 9, female=False)
    # Namesakes born the same day, told apart by their tax numbers.
    same = dict(BASE, phone="", doc_number="")
    assert not found(dict(same, tax_number=tax), dict(same, tax_number=other))


NOT_DUPLICATES = {
    # Twins: same birth date, surname, patronymic, phone and address; different first names.
    "twins": (dict(BASE, doc_number=""), dict(BASE, head_name="Коваленко Андрій Петрович", doc_number="")),
    "twins of both sexes": (dict(BASE, doc_number=""),
                            dict(BASE, head_name="Коваленко Олександра Петрівна", doc_number="")),
    "siblings": (dict(BASE, doc_number=""),
                 dict(BASE, head_name="Коваленко Ірина Петрівна", dob="22.08.1979", doc_number="")),
    # A son named after his father, at the same address with the family phone.
    "father and son": (dict(BASE, head_name="Коваленко Олександр Іванович", dob="02.02.1951", doc_number=""),
                       dict(BASE, head_name="Коваленко Олександр Олександрович", dob="14.03.1975", doc_number="")),
    "mother and daughter": (dict(BASE, head_name="Коваленко Олена", dob="05.06.1950", doc_number=""),
                            dict(BASE, head_name="Коваленко Олена", dob="05.06.1976", doc_number="")),
    "namesakes": (dict(BASE, doc_number="", phone="", settlement="Київ"),
                  dict(BASE, doc_number="", phone="0501234567", dob="09.11.1968", settlement="Харків")),
    "neighbours": (dict(BASE, doc_number=""),
                   dict(head_name="Коваленко Віктор Іванович", dob="12.12.1962", phone="0997654321",
                        settlement="Ірпінь")),
    "shared office phone": (dict(BASE, doc_number=""),
                            dict(head_name="Бондаренко Тетяна", dob="01.07.1990", phone="0671234567")),
}


@pytest.mark.parametrize("kind", sorted(NOT_DUPLICATES))
def test_non_duplicates_are_not_paired(kind):
    a, b = NOT_DUPLICATES[kind]
    assert not found(a, b), pair_score(a, b)


def test_blocking_files_a_swap_and_a_script_change_under_shared_keys():
    a = M.prepare(0, dict(head_name="Олександр Коваленко", dob="1975-03-04"))
    b = M.prepare(1, dict(head_name="Aleksandr Kovalenko", dob="1975-04-03"))
    c = M.prepare(2, dict(head_name="Ірина Бойко", dob="1990-10-10"))
    assert set(M.blocking_keys(a)) & set(M.blocking_keys(b))
    pairs, skipped = M.candidate_pairs([a, b, c])
    assert pairs == {(0, 1)} and skipped == 0


def test_a_surname_typo_and_a_date_typo_together_still_meet():
    # No shared phone, document, date or name key: only first name + father's name + year.
    a = M.prepare(0, dict(head_name="Юрченко Михайло Олексійович", dob="1953-09-19", phone="0951555897"))
    b = M.prepare(1, dict(head_name="Юрченуо Михайло Олексійович", dob="1953-09-29", phone="0980145804"))
    pairs, _ = M.candidate_pairs([a, b])
    assert pairs == {(0, 1)}


def test_rows_without_a_birth_date_meet_their_namesakes_and_only_they_do():
    rows = [M.prepare(0, dict(head_name="Мельник Тетяна Миколаївна", dob="")),
            M.prepare(1, dict(head_name="Мельник Тетяна Миколаївна", dob="07.02.1951")),
            M.prepare(2, dict(head_name="Мельник Тетяна Миколаївна", dob="11.11.1977"))]
    pairs, _ = M.candidate_pairs(rows)
    assert pairs == {(0, 1), (0, 2)}


def test_a_key_shared_by_too_many_rows_is_not_used():
    people = ["Бойко Ірина", "Мороз Тарас", "Ткачук Олена", "Савченко Ігор", "Руденко Алла", "Гнатюк Роман"]
    rows = [M.prepare(i, dict(head_name=name, phone="0671234567")) for i, name in enumerate(people)]
    pairs, skipped = M.candidate_pairs(rows, max_block=5)
    assert pairs == set() and skipped == 1


def test_decide_is_only_the_threshold():
    a, b = M.prepare(0, BASE), M.prepare(1, BASE)
    ev = [M.Evidence("x", 5.0, "five"), M.Evidence("y", 2.9, "")]
    assert M.decide(a, b, ev, threshold=8) is None
    cand = M.decide(a, b, ev + [M.Evidence("z", 0.1, "a tenth")], threshold=8)
    assert cand.score == 8.0 and cand.reasons == "five; a tenth"
