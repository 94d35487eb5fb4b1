"""A household registered twice, once by the head and once by the spouse: the heads are two
people, the member lists say it is one household. And the families a matcher must keep
apart although one of them lists a member named like the other's head."""
from __future__ import annotations

import json

import pytest

from distributions import matching as M

HUSBAND = dict(head_name="Шевченко Микола Іванович", dob="12.05.1976", phone="0671234567", settlement="Ірпінь",
               members=[dict(name="Шевченко Олена Петрівна", relation="дружина", dob="03.02.1978", sex="f"),
                        dict(name="Шевченко Іван Миколайович", relation="син", dob="2004-09-01", sex="m"),
                        dict(name="Шевченко Марія", relation="донька", dob="2011-06-17", sex="f")])
WIFE = dict(head_name="Шевченко Олена Петрівна", dob="03.02.1978", phone="0509876543", settlement="Ірпінь",
            members=[dict(name="Микола", relation="чоловік", dob="1976-05-12"),
                     dict(name="Іван", relation="син", dob="01.09.2004"),
                     dict(name="Шевченко Марія Миколаївна", relation="дочка", dob="17.06.2011")])
WIFE_LATIN = dict(head_name="Olena Shevchenko", dob="1978-02-03", phone="", settlement="Irpin",
                  members=[dict(name="Mykola Shevchenko", relation="husband", dob="1976-05-12"),
                           dict(name="Ivan Shevchenko", relation="son"),
                           dict(name="Mariia", relation="daughter", dob="2011-06-17")])


def found(a: dict, b: dict) -> list[M.Candidate]:
    return M.find_duplicates([dict(a, ref="A"), dict(b, ref="B")])


def test_a_spouse_registering_instead_of_the_head_is_found_with_reasons_in_words():
    (cand,) = found(HUSBAND, WIFE)
    assert "head of one is the spouse listed in the other: Шевченко Олена Петрівна ↔ Шевченко Олена Петрівна, " \
           "same birth date" in cand.reasons
    assert "head of one is the spouse listed in the other: Микола ↔ Шевченко Микола Іванович, same birth date" \
           in cand.reasons
    assert "2 children in both" in cand.reasons and "same settlement" in cand.reasons
    assert cand.score >= M.THRESHOLD


def test_across_scripts_and_from_a_lists_members_column():
    # The wife's registration in Latin letters, its members as a list's JSON column.
    latin = dict(WIFE_LATIN, members=json.dumps(WIFE_LATIN["members"], ensure_ascii=False))
    (cand,) = found(HUSBAND, latin)
    assert "head of one is the spouse listed in the other: Шевченко Олена Петрівна ↔ Olena Shevchenko" \
           in cand.reasons
    assert "Mykola Shevchenko ↔ Шевченко Микола Іванович" in cand.reasons
    assert "2 children in both" in cand.reasons


def test_under_her_maiden_surname_after_a_move_the_couple_still_meets():
    maiden = dict(WIFE, head_name="Коваль Олена Петрівна", settlement="Львів", phone="")
    rows = [M.prepare(0, HUSBAND), M.prepare(1, maiden)]
    pairs, _ = M.candidate_pairs(rows)
    assert pairs == {(0, 1)}  # by the couple's first names and birth years alone
    (cand,) = found(HUSBAND, maiden)
    assert "under another surname (a maiden name?)" in cand.reasons


def test_one_listed_birth_date_is_enough_to_meet_after_a_move_under_a_maiden_surname():
    # The wife lists her husband without his birth date; only his list has hers.
    maiden = dict(WIFE, head_name="Коваль Олена Петрівна", settlement="Львів", phone="",
                  members=[dict(name="Шевченко Микола", relation="чоловік"),
                           dict(name="Іван", relation="син", dob="01.09.2004")])
    pairs, _ = M.candidate_pairs([M.prepare(0, HUSBAND), M.prepare(1, maiden)])
    assert pairs == {(0, 1)}
    assert found(HUSBAND, maiden)


def test_a_two_word_member_name_is_read_both_ways_round():
    # "Мирошак Еміль": Еміль is no name the table knows and Мирошак is two letters from
    # Мирослав, so the parser takes the surname for the first name.
    wife = dict(head_name="Мирошак Світлана Станіславівна", dob="24.06.1939", settlement="Херсон",
                members=[dict(name="Мирошак Еміль", relation="чоловік"),
                         dict(name="Мирошак Павло Емільович", relation="son", dob="1968-07-19")])
    husband = dict(head_name="Myroshak Emil Viktorovych", dob="1945-02-21", settlement="Kherson",
                   members=[dict(name="Myroshak Svitlana", relation="spouse", dob="24.06.1939"),
                            dict(name="Myroshak Pavlo Emilovych", relation="child", dob="19.07.1968")])
    (cand,) = found(wife, husband)
    assert "head of one is the spouse listed in the other: Мирошак Еміль ↔ Myroshak Emil Viktorovych" in cand.reasons


def test_with_no_birth_dates_listed_both_ways_round_is_enough_and_one_way_is_not():
    undated = [{k: v for k, v in m.items() if k != "dob"} for m in HUSBAND["members"]]
    a = dict(HUSBAND, members=undated[:1])
    b = dict(WIFE, members=[dict(name="Шевченко Микола", relation="чоловік")])
    (cand,) = found(a, b)
    assert "same birth date" not in cand.reasons
    # The wife lists nobody: her registration alone says nothing of the husband's.
    assert not found(a, dict(b, members=[]))


def children(*kids: tuple[str, str, str]) -> list[dict]:
    return [dict(name=n, relation=r, dob=d) for n, r, d in kids]


SON = dict(head_name="Шевченко Іван Миколайович", dob="01.09.2004", phone="0671234567", settlement="Ірпінь",
           members=[dict(name="Шевченко Дарина Олегівна", relation="дружина", dob="2005-01-20"),
                    dict(name="Шевченко Олег Іванович", relation="син", dob="2024-03-03")])

HARD_NEGATIVES = {
    # The son listed among his parents' members heads a household of his own: his head is
    # a member of theirs, but nobody else is in both.
    "adult child who moved out": (HUSBAND, SON),
    # The son took his grandmother in; his parents still list her: one member in both is
    # a relative, not the same household.
    "adult child who took a grandparent in": (
        dict(HUSBAND, members=HUSBAND["members"] + [dict(name="Шевченко Ганна Степанівна", relation="мати",
                                                          dob="1950-02-02")]),
        dict(SON, members=SON["members"] + [dict(name="Шевченко Ганна", relation="бабуся", dob="02.02.1950")])),
    # A daughter listed with her parents who registered her own family; same phone.
    "adult daughter who moved out": (
        HUSBAND, dict(head_name="Шевченко Марія Миколаївна", dob="17.06.2011", phone="0671234567",
                      settlement="Ірпінь", members=children(("Шевченко Артем", "син", "2030-01-01")))),
    # The head's brother at the same address, same phone; each married with children.
    "siblings": (HUSBAND, dict(head_name="Шевченко Петро Іванович", dob="30.10.1979", phone="0671234567",
                               settlement="Ірпінь",
                               members=[dict(name="Шевченко Олена Василівна", relation="дружина", dob="1981-04-04"),
                                        *children(("Шевченко Іван Петрович", "син", "2006-02-02"))])),
    # Neighbours with the same surname, and wives of the same first name.
    "neighbours": (HUSBAND, dict(head_name="Шевченко Олена Степанівна", dob="09.09.1969", settlement="Ірпінь",
                                 members=[dict(name="Шевченко Микола Павлович", relation="чоловік",
                                               dob="1965-01-15"),
                                          *children(("Шевченко Іван", "син", "1990-07-07"))])),
    # Another couple of the same names in another town: Микола and Олена Шевченко are common.
    "namesake couple": (HUSBAND, dict(head_name="Шевченко Олена Петрівна", dob="21.11.1983", settlement="Харків",
                                      members=[dict(name="Шевченко Микола", relation="чоловік"),
                                               *children(("Шевченко Іван", "син", "2012-12-12"))])),
    # A couple of the same names at the same address, listed without birth dates: the
    # patronymics tell them apart.
    "namesake couple with other patronymics": (
        HUSBAND, dict(head_name="Шевченко Олена Ігорівна", settlement="Ірпінь",
                      members=[dict(name="Шевченко Микола Петрович", relation="чоловік")])),
    # Twin brothers, same birth date and phone, each married to an Олена.
    "twins": (HUSBAND, dict(head_name="Шевченко Петро Іванович", dob="12.05.1976", phone="0671234567",
                            settlement="Ірпінь",
                            members=[dict(name="Шевченко Олена Ігорівна", relation="дружина", dob="1979-08-08")])),
    # The head's widowed mother at the same address, the son listed as her son.
    "parent and adult child": (
        dict(head_name="Шевченко Ганна Степанівна", dob="02.02.1950", phone="0671234567", settlement="Ірпінь",
             members=children(("Шевченко Микола Іванович", "син", "1976-05-12"))), HUSBAND),
}


@pytest.mark.parametrize("kind", sorted(HARD_NEGATIVES))
def test_families_that_are_not_one_household_are_not_paired(kind):
    a, b = HARD_NEGATIVES[kind]
    assert not found(a, b), found(a, b)[0].reasons
    # The same list does pair the household with its real re-registration by the wife.
    assert found(a if a["head_name"] == HUSBAND["head_name"] else b, WIFE)


def test_a_member_heading_another_household_is_a_duplicate_when_the_lists_overlap():
    # The son registered the same household (his parents and sister listed): the lists overlap.
    son_again = dict(SON, members=[dict(name="Шевченко Микола", relation="батько", dob="12.05.1976"),
                                   dict(name="Шевченко Олена", relation="мати", dob="03.02.1978"),
                                   dict(name="Марія", relation="сестра", dob="17.06.2011")])
    (cand,) = found(HUSBAND, son_again)
    assert "head of one is listed in the other as a child: Шевченко Іван Миколайович ↔ Шевченко Іван Миколайович" \
           in cand.reasons
    assert "head of one is listed in the other as a parent: Шевченко Микола ↔ Шевченко Микола Іванович" in cand.reasons
    assert "1 child and 1 other member in both" in cand.reasons  # the mother and the sister


@pytest.mark.parametrize("value", ["", "not json", "{\"name\": \"x\"}", "[1, 2]", '[{"name": ""}]', None, 4])
def test_a_members_value_that_is_not_a_list_of_people_lists_nobody(value):
    assert M.read_members(value) == ()


def test_relations_in_ukrainian_russian_and_english():
    assert [M.relation_kind(w) for w in ("Дружина", "husband", "муж", "донька", "Son", "мати", "сестра", "", None)] \
        == ["spouse", "spouse", "spouse", "child", "child", "parent", "other", None, None]


def test_a_reviewer_sees_the_spouse_reasons_for_a_pair_on_a_store(store):
    from distributions import registry, review

    ids = store.save_records(registry.KIND, [
        {"head_name": h["head_name"], "dob": h["dob"], "settlement": h["settlement"], "members": h["members"]}
        for h in (HUSBAND, WIFE_LATIN)])
    score, reasons = review.pair_score(store, *ids)
    assert score >= M.THRESHOLD
    assert "head of one is the spouse listed in the other: Шевченко Олена Петрівна ↔ Olena Shevchenko" in reasons


def test_at_registration_the_spouses_household_is_shown_as_likely():
    """The check before a save (the form, the dialog, `registry add`) sees the member lists too."""
    from distributions.registration import LocalRegistry

    registry = LocalRegistry([dict(HUSBAND, id="hh-1", ref="IRP-0001")])
    check = registry.check(dict(WIFE_LATIN))
    assert not check.exact and [m.id for m in check.likely] == ["hh-1"]
    assert "head of one is the spouse listed in the other" in check.likely[0].reasons
    # the same woman registering her parents' household, whose lists share nobody, is not asked about
    parents = dict(head_name="Коваль Петро Іванович", dob="1950-01-01", settlement="Ірпінь",
                   members=[dict(name="Коваль Ганна", relation="дружина", dob="1952-03-03")])
    assert not registry.check(parents).likely
