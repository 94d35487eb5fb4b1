"""Select answers: selected, count-selected, selected-at, jr:choice-name."""
from __future__ import annotations

from typing import Callable

from ..lexer import literal_ref
from ..values import error, to_int, to_string
from .base import pure


def _selected(answer: object, choice: object) -> bool:
    return to_string(choice).strip() in to_string(answer).split()


def _selected_at(answer: object, index: object) -> str:
    parts = to_string(answer).split()
    i = to_int(index)
    return parts[i] if 0 <= i < len(parts) else ""



def _b_choice_name(p, args, pos):
    literal = args[1]
    name = literal_ref(literal.value) if literal.kind == "str" else None
    if name is None:
        raise error("jr:choice-name() needs the question as a quoted reference, e.g. '${field}',"
                     " as argument 2", literal.pos)
    p.refs.add(name)
    fvalue = args[0].fn

    def run(ctx):
        value = to_string(fvalue(ctx))
        return ctx.choice_label(name, value) if value else ""
    return run


FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "selected": (2, 2, pure(_selected)),
    "count-selected": (1, 1, pure(lambda v: len(to_string(v).split()))),
    "selected-at": (2, 2, pure(_selected_at)),
    "choice-name": (2, 2, _b_choice_name),
}
