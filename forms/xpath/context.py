"""What an expression can see: the ``Context`` protocol, and a dict-backed one for tests and previews."""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping, Protocol

from .values import ExpressionError


class Context(Protocol):
    """What an expression can see; the form engine implements it."""

    def value(self, name: str) -> object:
        """``${name}`` as seen from the current repeat instance ("" when empty or not relevant)."""

    def values(self, name: str) -> list:
        """``${name}`` across every repeat instance (a one-element list outside repeats)."""

    def current(self) -> object:
        """The value of ``.``: the question being evaluated."""

    def position(self) -> int:
        """1-based position of the current repeat instance."""

    def indexed(self, name: str, repeat: str, index: int) -> object:
        """``indexed-repeat(${name}, ${repeat}, index)`` with a 1-based index."""

    def choice_label(self, name: str, value: str) -> str:
        """The label of choice ``value`` of the select question ``name``."""

    def choice_column(self, column: str) -> object:
        """In a choice_filter: column ``column`` of the candidate choice row."""

    def now(self) -> datetime:
        """The current date and time."""

    def today(self) -> date:
        """The current date."""

    def instance(self, name: str) -> list[dict]:
        """The rows of secondary instance ``name`` (a choice list, or a CSV or XML attachment), each a
        {column: text} dict; [] when the form has no such instance."""

    def itext(self, ref: str) -> str:
        """jr:itext(): the label named by an itext id such as '/data/q:label', in the current language."""

    def record_seed(self) -> int:
        """A number fixed for the record, so randomize() without a seed keeps its order."""


class ItemContext:
    """The context inside a predicate: '.' is the value being tested, ``index`` its 1-based
    position among the values, ``row`` the instance row (if any) whose columns bare names read;
    the rest is as outside."""

    __slots__ = ("outer", "item", "index", "row")

    def __init__(self, outer, item: object, index: int = 1, row: Mapping[str, object] | None = None) -> None:
        self.outer, self.item, self.index, self.row = outer, item, index, row

    def current(self) -> object:
        return self.item

    def origin(self):
        """The context the expression started in: current() reads the question itself."""
        outer = self.outer
        return outer.origin() if isinstance(outer, ItemContext) else outer

    def value(self, name: str) -> object:
        return self.outer.value(name)

    def values(self, name: str) -> list:
        return self.outer.values(name)

    def position(self) -> int:
        return self.outer.position()

    def indexed(self, name: str, repeat: str, index: int) -> object:
        return self.outer.indexed(name, repeat, index)

    def choice_label(self, name: str, value: str) -> str:
        return self.outer.choice_label(name, value)

    def choice_column(self, column: str) -> object:
        if self.row is not None:
            return self.row.get(column, "")
        # A repeat read as a whole gives one mapping per entry: in ``${members}[disabled='yes']``
        # a bare name is that entry's field (the XPath child step); otherwise a choice column.
        if isinstance(self.item, Mapping):
            return self.item.get(column, "")
        return self.outer.choice_column(column)

    def now(self) -> datetime:
        return self.outer.now()

    def today(self) -> date:
        return self.outer.today()

    def instance(self, name: str) -> list[dict]:
        return self.outer.instance(name)

    def itext(self, ref: str) -> str:
        return self.outer.itext(ref)

    def record_seed(self) -> int:
        return self.outer.record_seed()


class SimpleContext:
    """A dict-backed Context for tests and previews.

    ``fields`` maps names to answers; a list is a field inside a repeat (one value
    per instance) or a repeat itself (one item per instance). ``labels`` maps a
    select question to {choice name: label}; ``row`` is the candidate choice row of
    a choice_filter; ``instances`` maps an instance name to its rows, ``texts`` an
    itext id to its text, and ``seed`` is the record's seed for randomize().
    """

    def __init__(self, fields: Mapping[str, object] | None = None, *, current: object = "",
                 position: int = 1, labels: Mapping[str, Mapping[str, str]] | None = None,
                 row: Mapping[str, object] | None = None, now: datetime | None = None,
                 today: date | None = None, instances: Mapping[str, list[dict]] | None = None,
                 texts: Mapping[str, str] | None = None, seed: int = 1):
        self.fields = dict(fields or {})
        self._current = current
        self._position = position
        self.labels = labels or {}
        self.row = row or {}
        self._now = now
        self._today = today
        self.instances = instances or {}
        self.texts = texts or {}
        self.seed = seed

    def value(self, name: str) -> object:
        found = self.fields.get(name, "")
        if isinstance(found, list):
            index = self._position - 1
            return found[index] if 0 <= index < len(found) else ""
        return found

    def values(self, name: str) -> list:
        found = self.fields.get(name, "")
        return list(found) if isinstance(found, list) else [found]

    def current(self) -> object:
        return self._current

    def position(self) -> int:
        return self._position

    def indexed(self, name: str, repeat: str, index: int) -> object:
        if not isinstance(self.fields.get(repeat), list):
            raise ExpressionError(f"indexed-repeat(): '{repeat}' is not a repeat")
        found = self.fields.get(name, "")
        if isinstance(found, list):
            return found[index - 1] if 1 <= index <= len(found) else ""
        return found

    def choice_label(self, name: str, value: str) -> str:
        return self.labels.get(name, {}).get(value, "")

    def choice_column(self, column: str) -> object:
        return self.row.get(column, "")

    def now(self) -> datetime:
        return self._now if self._now is not None else datetime.now()

    def today(self) -> date:
        if self._today is not None:
            return self._today
        return self._now.date() if self._now is not None else date.today()


    def instance(self, name: str) -> list[dict]:
        return list(self.instances.get(name, []))

    def itext(self, ref: str) -> str:
        return self.texts.get(ref, "")

    def record_seed(self) -> int:
        return self.seed
