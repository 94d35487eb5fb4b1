"""XPath node paths in a form's expressions: ``../inputs/contact/_id``, ``./source``, ``/data/group/q``.

The reference converter passes them through to the XForm untouched, and Collect evaluates them
against the instance tree, where each question is a node under its groups. Fieldbook resolves
each one once, at load, from the question whose expression it is to the question it reaches,
and reads it as that question's ``${key}``: relative paths step from the question itself (``.``)
to its group (``..``) and down by name, as in the instance; an absolute path starts at the root
(whatever the form calls it, as the root is named after the form) and goes down by name.

Only paths made of names, ``.`` and ``..`` are taken; a predicate after one stays (it reads the
question's values, as after a ``${}``). Paths into secondary instances (``instance('x')/root``)
and ``current()/..`` are the parser's, and are left alone here.
"""
from __future__ import annotations

from .model import Question
from .xpath import ExpressionError
from .xpath.lexer import Token, tokenize

# Tokens after which a '/' cannot start an absolute path: it continues what came before
# (``instance('x')/root``, ``current()/..``, ``${x}/...``), which the parser reads itself.
_CONTINUES = {"name", "ref", "str", "num", ")", "]", "dot", "dotdot"}


class PathError(ValueError):
    """A path that reaches no question; ``str()`` says which and why."""


def _tokens(text: str) -> list[Token]:
    try:
        return tokenize(text)
    except ExpressionError:
        return []  # the parser reports what is wrong with the text


_OPERATOR_NAMES = {"and", "or", "div", "mod"}


def _continues(tokens: list[Token], k: int) -> bool:
    """Does token ``k`` carry on from the token before it (so it starts no path)?"""
    if k == 0:
        return False
    before = tokens[k - 1]
    return (before.kind in _CONTINUES or before.kind == "/") and not (
        before.kind == "name" and before.text in _OPERATOR_NAMES)


def _starts_path(tokens: list[Token], k: int) -> bool:
    token, after = tokens[k], tokens[k + 1] if k + 1 < len(tokens) else None
    if after is None or after.kind != "/":
        return token.kind == "/" and after is not None and after.kind == "name" and not _continues(tokens, k)
    return token.kind in ("dot", "dotdot") and not _continues(tokens, k)


def _starts_current(tokens: list[Token], k: int) -> bool:
    """``current()/../name``: the parser reads it by name; where the tree says which question it
    is (a name used in two groups), it is resolved here instead."""
    kinds = [t.kind for t in tokens[k:k + 5]]
    return (tokens[k].kind == "name" and tokens[k].text == "current" and kinds[1:4] == ["(", ")", "/"]
            and len(kinds) == 5 and kinds[4] in ("dot", "dotdot", "name"))


def has_path(text: str) -> bool:
    """Does the expression hold a node path that must be resolved against the form?"""
    if "/" not in text:
        return False
    tokens = _tokens(text)
    return any(_starts_path(tokens, k) or _starts_current(tokens, k) for k in range(len(tokens)))


def _child(node: Question, name: str) -> Question | None:
    return next((c for c in node.children if (c.xls_name or c.name) == name), None)


def _walk(steps: list[str], start: Question, root: Question, written: str) -> Question:
    node: Question | None = start
    for step in steps:
        if step == ".":
            continue
        if step == "..":
            node = node.parent if node is not None else None
            if node is None:
                raise PathError(f"the path '{written}' goes above the form")
            continue
        found = _child(node, step) if node is not None else None
        if found is None:
            raise PathError(f"the path '{written}' reaches no question: '{step}' is not in "
                            f"{'the form' if node is root or node is None else repr(node.xls_name or node.name)}")
        node = found
    if node is None or node is root:
        raise PathError(f"the path '{written}' names the form itself, not a question")
    return node


def _consume(tokens: list[Token], k: int) -> tuple[list[str], int]:
    """The steps of the path starting at token ``k``, and the index just after it."""
    steps: list[str] = []
    if tokens[k].kind in ("dot", "dotdot"):
        steps.append(tokens[k].text)
        k += 1
    while k + 1 < len(tokens) and tokens[k].kind == "/" and tokens[k + 1].kind in ("name", "dot", "dotdot") \
            and ":" not in tokens[k + 1].text:
        steps.append(tokens[k + 1].text)
        k += 2
    return steps, k


def resolve(text: str, question: Question, root: Question) -> str:
    """``text`` with each node path replaced by ``${key}`` of the question it reaches from
    ``question`` (the root, for the settings sheet). PathError names a path that reaches none.
    A ``current()/..`` path that does not follow the tree is left to the parser, which reads
    its last name as ``${name}`` seen from here, as it always has."""
    tokens = _tokens(text)
    out, last, k = [], 0, 0
    while k < len(tokens):
        current = _starts_current(tokens, k)
        if not current and not _starts_path(tokens, k):
            k += 1
            continue
        steps, end = _consume(tokens, k + 3 if current else k)
        start, stop = tokens[k].pos, tokens[end].pos if end < len(tokens) else len(text)
        written = text[start:stop].strip()
        try:
            # An absolute path's first step is the root element, named after the form: any name.
            target = (_walk(steps[1:], root, root, written) if tokens[k].kind == "/" and not current
                      else _walk(steps, question, root, written))
        except PathError:
            if not current:
                raise
            k = end
            continue
        out.append(text[last:start] + "${" + target.name + "} ")
        last, k = stop, end
    return "".join(out) + text[last:]
