"""Recursive descent straight to closures, and the public ``parse``/``evaluate``."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple

from .context import Context, ItemContext
from .functions import CLOCK_FUNCTIONS, FUNCTIONS, NODESET_FUNCTIONS
from .functions.base import values_fn
from .functions.lookups import instance_rows
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
        self.instances: set[str] = set()  # instance('x') and pulldata('x', ...) names
        self.clock = False

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    @staticmethod
    def unexpected(token: Token) -> ExpressionError:
        if token.kind == "/":  # only instance('x')/root/item paths have steps; division is 'div'
            return error("unexpected '/': divide with 'div', as in ${a} div 2", token.pos)
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
        if kind == "/":
            raise error("unexpected character '/': write ${name} for a question, not a path", token.pos)
        if kind == "dotdot":
            raise error("'..' is only allowed as position(..)", token.pos)
        if kind == "(":
            inner = self.or_expr()
            self.close(token)
            return inner
        if kind == "name":
            if self.peek().kind == "(":
                return self.call(token)
            if ":" in token.text.replace("::", ""):
                raise self.unexpected(token)
            column = token.text
            self.columns.add(column)
            return self.node(lambda ctx: blank(ctx.choice_column(column)), "column", column, token.pos)
        raise self.unexpected(token)

    def position(self, pos: int) -> Node:
        """position(..): the 1-based index of the repeat instance holding the question.
        position(): inside a predicate the position of the value being tested (XPath);
        elsewhere the question's own position among its siblings, which is 1 (JavaRosa)."""
        token = self.take()
        if token.kind == ")":
            return self.node(lambda ctx: ctx.index if isinstance(ctx, ItemContext) else 1, "call", "position", pos)
        if token.kind != "dotdot" or self.take().kind != ")":
            raise error("position() takes no argument, or '..' as in position(..)", pos)
        return self.node(lambda ctx: ctx.position(), "call", "position", pos)

    def instance_path(self, name_token: Token) -> Node:
        """instance('list')/root/item[test]/column: rows of a choice list, or of a CSV or XML attachment.

        Bare names in the test read the row's columns; the value is the column of the first
        row that passes (every such row for count(), sum(), join() and the like).
        """
        pos = name_token.pos
        literal, closing = self.take(), self.take()
        if literal.kind != "str" or closing.kind != ")":
            raise error("instance() takes the instance name in quotes, as in instance('cities')", pos)
        source = literal.value
        self.instances.add(source)
        for step in ("/", "root", "/", "item"):
            token = self.take()
            if (token.kind == "name" and token.text == step) or token.kind == step:
                continue
            raise error(f"write instance('{source}')/root/item, then an optional [test] and /column", token.pos)
        tests = []
        outer_columns, self.columns = self.columns, set()  # names in these tests are the rows' columns
        try:
            while self.peek().kind == "[":
                opening = self.take()
                tests.append(self.or_expr().fn)
                token = self.take()
                if token.kind != "]":
                    raise error("missing ']' for the '['", opening.pos) if token.kind == "eof" else self.unexpected(token)
        finally:
            self.columns = outer_columns
        column = None
        if self.peek().kind == "/":
            self.i += 1
            token = self.take()
            if token.kind != "name" or ":" in token.text:
                raise self.unexpected(token)
            column = token.text
        rows = instance_rows(source, tests)

        def values(ctx) -> list:
            found = rows(ctx)
            return found if column is None else [row.get(column, "") for row in found]

        def first(ctx):
            found = values(ctx)
            return found[0] if found and column is not None else ("" if not found else found[0].get("name", ""))
        return self.node(first, "refset", (source, values), pos)

    def current_path(self, pos: int) -> Node:
        """current()/../name (and current()/../../name): a question beside or above the one
        being evaluated, as choice filters in repeats write it. Names are unique in a form, so
        the steps up only say where the question is; it reads as ${name} seen from here."""
        ups = 0
        while self.peek().kind == "/":
            self.i += 1
            token = self.take()
            if token.kind == "dotdot":
                ups += 1
                continue
            if token.kind == "name" and ":" not in token.text and ups and self.peek().kind != "/":
                name = token.text
                self.refs.add(name)

                def reference(ctx):
                    found = ctx.value(name)
                    return "" if found is None else found
                return self.node(reference, "ref", name, pos)
            break
        raise error("after current() write a path to a question such as current()/../name", pos)

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
                verdict = check(ItemContext(ctx, item, i))
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
        special = self.special_call(name, qname, pos, name_token)
        if special is not None:
            return special
        spec = FUNCTIONS.get(name) if ":" not in name else None
        if spec is None:
            raise error(f"unknown function '{qname}()'", pos)
        args = self.arguments(opening)
        fewest, most, build = spec
        check_arity(qname, fewest, most, len(args), pos)
        if name in CLOCK_FUNCTIONS:
            self.clock = True
        if name in NODESET_FUNCTIONS:
            values = build(self, args, pos)

            def first(ctx):
                found = values(ctx)
                return found[0] if found else ""
            return self.node(first, "refset", (name, values), pos, args)
        return self.node(build(self, args, pos), "call", name, pos, args)

    def special_call(self, name: str, qname: str, pos: int, name_token: Token) -> Node | None:
        """The calls that are paths rather than functions: position(..), instance('x')/root/item
        and current()/../name; None for an ordinary function."""
        if name == "position":
            return self.position(pos)
        if name == "instance" and not qname.startswith("jr:"):
            return self.instance_path(name_token)
        if name == "current" and self.peek().kind == ")" and self.tokens[self.i + 1].kind == "/":
            self.i += 1
            return self.current_path(pos)
        return None

    def arguments(self, opening: Token) -> list[Node]:
        args: list[Node] = []
        if self.peek().kind == ")":
            self.i += 1
            return args
        while True:
            args.append(self.or_expr())
            token = self.take()
            if token.kind == ")":
                return args
            if token.kind == "eof":
                raise error("missing ')' for the '('", opening.pos)
            if token.kind != ",":
                raise self.unexpected(token)


def check_arity(qname: str, fewest: int, most: int | None, given: int, pos: int) -> None:
    if fewest <= given and (most is None or given <= most):
        return
    if most is None:
        wanted = f"at least {fewest}"
    elif fewest == most:
        wanted = str(fewest)
    else:
        wanted = f"{fewest} to {most}"
    raise ExpressionError(f"wrong number of arguments at position {pos}: {qname}() takes {wanted}, got {given}", pos)


def blank(value: object) -> object:
    return "" if value is None else value


# --- public entry points ----------------------------------------------------------------
class Expr:
    """A parsed expression: the text, what it reads, and a closure that evaluates it."""

    __slots__ = ("text", "references", "columns", "uses_clock", "instances", "_run")

    def __init__(self, text: str, references: frozenset[str], columns: frozenset[str],
                 uses_clock: bool, run: Callable, instances: frozenset[str] = frozenset()):
        self.text = text
        self.references = references  # every ${name}, including jr:choice-name's quoted one
        self.columns = columns  # bare names: choice-row columns, meaningful only in a choice_filter
        self.uses_clock = uses_clock  # calls now() or today(), so is re-evaluated on save
        self.instances = instances  # secondary instances it reads: choice lists or CSV attachments
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
    return Expr(text, frozenset(parser.refs), frozenset(parser.columns), parser.clock, root.fn,
                frozenset(parser.instances))


def evaluate(expr: Expr | str, ctx: Context) -> object:
    """Evaluate a parsed expression (or text, parsed on the way) against a context."""
    if isinstance(expr, str):
        expr = parse(expr)
    return expr._run(ctx)


