"""The ODK XPath dialect of XLSForm expression columns: parse once, evaluate many times.

Covers what forms put in ``relevant``, ``constraint``, ``calculation``,
``choice_filter``, ``required``, ``default`` and ``repeat_count``: literals,
``${name}`` references, ``.``, ``position(..)``, bare choice-column names, the
XPath 1.0 operators and the ODK function library. Semantics follow XPath 1.0 as
JavaRosa (ODK Collect) implements it, so a form behaves here as it does there.

``parse`` turns text into an ``Expr`` holding a tree of Python closures, so
evaluation does no tokenising or regex work. Values come from a ``Context``
that the form engine implements; ``SimpleContext`` is a dict-backed one for
tests and previews. Evaluation does not raise for type problems: like XPath it
yields NaN, "" or False instead.

The package is laid out by concern: ``lexer`` (text to tokens), ``parser`` (tokens
to closures), ``values`` (conversions, comparisons, arithmetic), ``context`` (what an
expression can see) and ``functions`` (the function library, one module per family).
"""
from __future__ import annotations

from .context import Context, SimpleContext
from .parser import Expr, evaluate, parse
from .values import ExpressionError, to_bool, to_number, to_string

__all__ = [
    "Context", "Expr", "ExpressionError", "SimpleContext",
    "evaluate", "parse", "to_bool", "to_number", "to_string",
]
