"""The tokenizer: expression text to a list of tokens, each with its offset."""
from __future__ import annotations

from typing import NamedTuple

from .values import error


class Token(NamedTuple):
    kind: str  # num str ref name dot dotdot op ( ) [ ] , eof
    value: object
    pos: int
    text: str


def is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def valid_name(name: str) -> bool:
    """An XLSForm question name: a letter or '_', then letters, digits, '_', '-' or '.'."""
    return bool(name) and is_name_start(name[0]) and all(is_name_char(ch) for ch in name)


def literal_ref(text: str) -> str | None:
    """The name in a string literal such as '${field}' (jr:choice-name's second argument)."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}") and valid_name(text[2:-1]):
        return text[2:-1]
    return None


_DIGITS = "0123456789"
_DIGIT_CHARS = tuple(_DIGITS)
Scanned = tuple[Token, int]  # the token, and the offset just after it


def _scan_number(text: str, i: int) -> Scanned:
    n, start = len(text), i
    while i < n and text[i] in _DIGITS:
        i += 1
    if i < n and text[i] == "." and not text.startswith("..", i):
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    literal = text[start:i]
    try:
        value: int | float = float(literal) if "." in literal else int(literal)
    except ValueError:  # more digits than int() will read: far beyond any real number
        value = float(literal)
    return Token("num", value, start, literal), i


def _scan_dots(text: str, i: int) -> Scanned:
    width = 2 if text.startswith("..", i) else 1
    return Token("dotdot" if width == 2 else "dot", None, i, text[i:i + width]), i + width


def _scan_string(text: str, i: int) -> Scanned:
    end = text.find(text[i], i + 1)  # XPath 1.0 strings have no escapes
    if end < 0:
        raise error("unterminated string", i)
    return Token("str", text[i + 1:end], i, text[i:end + 1]), end + 1


def _scan_reference(text: str, i: int) -> Scanned:
    if not text.startswith("${", i):
        raise error("'$' must start a reference such as ${field}", i)
    end = text.find("}", i + 2)
    if end < 0:
        raise error("unterminated reference '${'", i)
    name = text[i + 2:end]
    # ${group/name}: a question keyed by its group path, where its name repeats in the form
    if not all(valid_name(part) for part in name.split("/")):
        raise error(f"invalid field name {name!r} in reference", i)
    return Token("ref", name, i, text[i:end + 1]), end + 1


def _scan_name(text: str, i: int) -> Scanned:
    n, start = len(text), i
    i += 1
    while i < n and is_name_char(text[i]):
        i += 1
    if text.startswith("::", i) and i + 2 < n and is_name_start(text[i + 2]):
        i += 2  # a column in one language, as in label::English in a choice_filter
        while i < n and is_name_char(text[i]):
            i += 1
    elif i + 1 < n and text[i] == ":" and is_name_start(text[i + 1]):  # a prefix, as in jr:choice-name
        i += 1
        while i < n and is_name_char(text[i]):
            i += 1
    return Token("name", text[start:i], start, text[start:i]), i


def _scan_symbol(text: str, i: int) -> Scanned:
    if text.startswith(("!=", "<=", ">="), i):
        return Token("op", None, i, text[i:i + 2]), i + 2
    ch = text[i]
    if ch in "+-*=<>":
        return Token("op", None, i, ch), i + 1
    if ch in "(),[]/":  # '/' only steps along instance('...')/root/item paths
        return Token(ch, None, i, ch), i + 1
    raise error(f"unexpected character {ch!r}", i)


def _scanner(text: str, i: int):
    """The scanner for the token that starts at ``i``."""
    ch = text[i]
    if ch in _DIGITS or (ch == "." and text[i + 1:i + 2] in _DIGIT_CHARS):
        return _scan_number
    if ch == ".":
        return _scan_dots
    if ch in "'\"":
        return _scan_string
    if ch == "$":
        return _scan_reference
    if is_name_start(ch):
        return _scan_name
    return _scan_symbol


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():  # any whitespace, not just XPath's four: spreadsheet cells carry no-break spaces
            i += 1
            continue
        token, i = _scanner(text, i)(text, i)
        tokens.append(token)
    tokens.append(Token("eof", None, n, ""))
    return tokens
