"""Card codes: random, check character, forgiving reading, mistypes caught."""
from __future__ import annotations

import pytest

from distributions.cards import ALPHABET, new_card_code, read_card_code
from distributions.errors import InvalidCardCode


def test_new_codes_are_random_well_formed_and_read_back():
    codes = {new_card_code() for _ in range(500)}
    assert len(codes) == 500
    for code in list(codes)[:50]:
        assert len(code) == 10 and code[4] == "-"
        assert read_card_code(code) == code
        assert read_card_code(code.lower().replace("-", " ")) == code


def test_confusable_letters_read_as_digits():
    code = new_card_code()
    typed = code.replace("0", "O").replace("1", "I")
    assert read_card_code(typed) == code


def test_every_single_wrong_symbol_is_caught():
    code = new_card_code().replace("-", "")
    for i in range(len(code)):
        for c in ALPHABET:
            if c != code[i]:
                with pytest.raises(InvalidCardCode):
                    read_card_code(code[:i] + c + code[i + 1:])


def test_every_swap_of_neighbours_is_caught():
    caught = total = 0
    for _ in range(200):
        code = new_card_code().replace("-", "")
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            total += 1
            try:
                read_card_code(swapped)
            except InvalidCardCode:
                caught += 1
    # Luhn mod N misses only the swap of the two symbols worth 0 and N-1 ("0" and "Z").
    assert caught / total > 0.99


@pytest.mark.parametrize("text", ["", "ABCD", "ABCD-EFGH12", "ABCD-EFGU1"])
def test_bad_codes_are_refused_with_a_message(text):
    with pytest.raises(InvalidCardCode) as err:
        read_card_code(text)
    assert str(err.value)
