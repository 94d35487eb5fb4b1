"""Recursive descent straight to closures, and the public ``parse``/``evaluate``."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple

from .context import Context, ItemContext
from .functions import CLOCK_FUNCTIONS, FUNCTIONS
from .functions.base import values_fn
from .lexer import Token, tokenize
from .values import (
    ADDITIVE, AND, EQUALITY, MAX_DEPTH, MULTIPLICATIVE, NUMBER, OR, RELATIONAL, ExpressionError, error, num, to_bool,
)


# --- parser: recursive descent straight to closures ---------------------------------------
class Node(NamedTuple):
    fn: Callable  # ctx -> value
    kind: str  # num str ref refset dot column op call
    value: object  # the literal, or the name of a reference or column
    pos: int
    depth: int


class Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.refs: set[str] = {t.value for t in self.tokens if t.kind == "ref"}
        self.columns: set[str] = set()
        self.clock = False

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    @staticmethod
    def unexpected(token: Token) -> ExpressionError:
        what = "end of expression" if token.kind == "eof" else repr(token.text)
        return error(f"unexpected {what}", token.pos)

    @staticmethod
    def node(fn: Callable, kind: str, value: object, pos: int, children: tuple[Node, ...] | list[Node] = ()) -> Node:
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > MAX_DEPTH:
            raise error("expression is nested too deeply", pos)
        return Node(fn, kind, value, pos, depth)

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise error("empty expression", 0)
        result = self.or_expr()
        if self.peek().kind != "eof":
            raise self.unexpected(self.peek())
        return result

    def binary(self, operand: Callable[[], Node], builders: dict[str, Callable]) -> Node:
        left = operand()
        while True:
            token = self.peek()
            # Names such as 'and' or 'div' are operators only here, after an operand (XPath 1.0 rule).
            build = builders.get(token.text) if token.kind in ("op", "name") else None
            if build is None:
                return left
            self.i += 1
            right = operand()
            left = self.node(build(left.fn, right.fn), "op", token.text, token.pos, (left, right))

    # Lowest precedence first: or < and < equality < relational < additive < multiplicative < unary.
    def or_expr(self) -> Node:
        return self.binary(self.and_expr, OR)

    def and_expr(self) -> Node:
        return self.binary(self.equality, AND)

    def equality(self) -> Node:
        return self.binary(self.relational, EQUALITY)

    def relational(self) -> Node:
        return self.binary(self.additive, RELATIONAL)

    def additive(self) -> Node:
        return self.binary(self.multiplicative, ADDITIVE)

    def multiplicative(self) -> Node:
        return self.binary(self.unary, MULTIPLICATIVE)

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.i += 1
            operand = self.unary()
            f = operand.fn
            return self.node(lambda ctx: -num(f(ctx)), "op", "-", token.pos, (operand,))
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        kind = token.kind
        if kind in ("num", "str"):
            constant = token.value
            return self.node(lambda ctx: constant, kind, constant, token.pos)
        if kind == "ref":
            name = token.value

            def reference(ctx):
                found = ctx.value(name)
                return "" if found is None else found
            node = self.node(reference, "ref", name, token.pos)
            while self.peek().kind == "[":
                node = self.predicate(node)
            return node
        if kind == "dot":
            return self.node(lambda ctx: blank(ctx.current()), "dot", None, token.pos)
        if kind == "dotdot":
            raise error("'..' is only allowed as position(..)", token.pos)
        if kind == "(":
            inner = self.or_expr()
            self.close(token)
            return inner
        if kind == "name":
            if self.peek().kind == "(":
                return self.call(token)
            if ":" in token.text:
                raise self.unexpected(token)
            column = token.text
            self.columns.add(column)
            return self.node(lambda ctx: blank(ctx.choice_column(column)), "column", column, token.pos)
        raise self.unexpected(token)

    def predicate(self, base: Node) -> Node:
        """``${age}[. >= 18]``: the values of a reference that pass a test, with '.' as each value.

        A number as the test picks by position, as in XPath: ``${age}[2]``.
        """
        opening = self.take()
        test = self.or_expr()
        token = self.take()
        if token.kind != "]":
            raise error("missing ']' for the '['", opening.pos) if token.kind == "eof" else self.unexpected(token)
        source = values_fn(base)
        check = test.fn

        def values(ctx) -> list:
            kept = []
            for i, item in enumerate(source(ctx), start=1):
                verdict = check(ItemContext(ctx, item))
                if isinstance(verdict, NUMBER) and not isinstance(verdict, bool):
                    if verdict == i:
                        kept.append(item)
                elif to_bool(verdict):
                    kept.append(item)
            return kept

        def first(ctx):  # a filtered reference read as one value: the first that passes (XPath)
            kept = values(ctx)
            return kept[0] if kept else ""
        return self.node(first, "refset", (base.value if base.kind == "ref" else base.value[0], values),
                         base.pos, (base, test))

    def close(self, opening: Token) -> None:
        token = self.take()
        if token.kind == ")":
            return
        if token.kind == "eof":
            raise error("missing ')' for the '('", opening.pos)
        raise self.unexpected(token)

    def call(self, name_token: Token) -> Node:
        opening = self.take()
        qname = name_token.text
        name = qname[3:] if qname.startswith("jr:") else qname
        pos = name_token.pos
        if name == "position":
            # Only position(..): the 1-based index of the repeat instance holding the question.
            if self.take().kind != "dotdot" or self.take().kind != ")":
                raise error("position() takes '..' as its only argument, as in position(..)", pos)
            return self.node(lambda ctx: ctx.position(), "call", name, pos)
        spec = FUNCTIONS.get(name) if ":" not in name else None
        if spec is None:
            raise error(f"unknown function '{qname}()'", pos)
        args: list[Node] = []
        if self.peek().kind == ")":
            self.i += 1
        else:
            while True:
                args.append(self.or_expr())
                token = self.take()
                if token.kind == ")":
                    break
                if token.kind == "eof":
                    raise error("missing ')' for the '('", opening.pos)
                if token.kind != ",":
                    raise self.unexpected(token)
        fewest, most, build = spec
        if len(args) < fewest or (most is not None and len(args) > most):
            if most is None:
                wanted = f"at least {fewest}"
            elif fewest == most:
                wanted = str(fewest)
            else:
                wanted = f"{fewest} to {most}"
            raise ExpressionError(
                f"wrong number of arguments at position {pos}: {qname}() takes {wanted}, got {len(args)}", pos)
        if name in CLOCK_FUNCTIONS:
            self.clock = True
        return self.node(build(self, args, pos), "call", name, pos, args)


def blank(value: object) -> object:
    return "" if value is None else value


# --- public entry points ----------------------------------------------------------------
class Expr:
    """A parsed expression: the text, what it reads, and a closure that evaluates it."""

    __slots__ = ("text", "references", "columns", "uses_clock", "_run")

    def __init__(self, text: str, references: frozenset[str], columns: frozenset[str],
                 uses_clock: bool, run: Callable):
        self.text = text
        self.references = references  # every ${name}, including jr:choice-name's quoted one
        self.columns = columns  # bare names: choice-row columns, meaningful only in a choice_filter
        self.uses_clock = uses_clock  # calls now() or today(), so is re-evaluated on save
        self._run = run

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


def parse(text: str) -> Expr:
    """Parse an expression; ExpressionError (with a position) for anything malformed."""
    return _parse_cached(text)


@lru_cache(maxsize=4096)  # forms repeat the same expressions; an Expr is immutable, so share it
def _parse_cached(text: str) -> Expr:
    parser = Parser(text)
    try:
        root = parser.parse()
    except RecursionError:  # parentheses nested beyond anything a person writes
        raise error("expression is nested too deeply", 0) from None
    return Expr(text, frozenset(parser.refs), frozenset(parser.columns), parser.clock, root.fn)


def evaluate(expr: Expr | str, ctx: Context) -> object:
    """Evaluate a parsed expression (or text, parsed on the way) against a context."""
    if isinstance(expr, str):
        expr = parse(expr)
    return expr._run(ctx)


