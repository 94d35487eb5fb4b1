"""Helpers that turn a function of values into a builder: (parser, argument nodes, position) -> closure."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..values import error

if TYPE_CHECKING:
    from ..parser import Node, Parser


def is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def pure(fn: Callable) -> Callable:
    """A function of its evaluated arguments."""
    def build(p: Parser, args: list[Node], pos: int) -> Callable:
        fs = [a.fn for a in args]
        if not fs:
            return lambda ctx: fn()
        if len(fs) == 1:
            f0 = fs[0]
            return lambda ctx: fn(f0(ctx))
        if len(fs) == 2:
            f0, f1 = fs
            return lambda ctx: fn(f0(ctx), f1(ctx))
        return lambda ctx: fn(*[f(ctx) for f in fs])
    return build


def or_current(fn: Callable) -> Callable:
    """string-length() and normalize-space() with no argument use '.'."""
    def build(p: Parser, args: list[Node], pos: int) -> Callable:
        return pure(fn)(p, args, pos) if args else (lambda ctx: fn(ctx.current()))
    return build


def ref_arg(node: Node, function: str, index: int) -> str:
    if node.kind != "ref":
        raise error(f"{function}() needs a ${{field}} reference as argument {index}", node.pos)
    return node.value


def values_fn(node: Node, function: str = "", index: int = 1) -> Callable:
    """ctx -> every value a reference stands for (each repeat instance), after any predicate."""
    if node.kind == "ref":
        name = node.value
        return lambda ctx: ctx.values(name)
    if node.kind == "refset":
        return node.value[1]
    raise error(f"{function}() needs a ${{field}} reference as argument {index}", node.pos)


def gather(args: list[Node]) -> Callable:
    """Values of the arguments, every repeat instance of each reference included."""
    parts = [(True, values_fn(a)) if a.kind in ("ref", "refset") else (False, a.fn) for a in args]

    def run(ctx) -> list:
        out: list = []
        for many, item in parts:
            if many:
                out.extend(item(ctx))
            else:
                out.append(item(ctx))
        return out
    return run


