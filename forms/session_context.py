"""How an expression on one question, in one repeat entry, sees the rest of a session: the
``Context`` that ``forms.xpath`` evaluates against (see forms/xpath/context.py)."""
from __future__ import annotations

import datetime as dt

from .model import Question

Instance = tuple[int, ...]

def _label_in(labels: dict[str, str], lang: str) -> str:
    """The label in the language a column names: label::English reads the 'English' column, or
    'English (en)'; label::en reads 'English (en)' too. No fallback: an empty label is empty."""
    for key, text in labels.items():
        if key == lang or key.startswith(lang + " (") or key.endswith(f"({lang})"):
            return text
    return ""


class SessionContext:
    """How an expression on question ``q`` in instance ``inst`` sees the rest of the form."""

    __slots__ = ("s", "q", "inst", "choice", "chain")

    def __init__(self, session, q: Question, inst: Instance, choice=None) -> None:
        self.s, self.q, self.inst, self.choice = session, q, inst, choice
        self.chain = [r.name for r in session._chain(q)] if q.name else []

    def _shared(self, target: Question) -> tuple[int, int]:
        """How many enclosing repeats ``target`` shares with us, and how many it has."""
        tchain = [r.name for r in self.s._chain(target)]
        shared = 0
        while shared < min(len(tchain), len(self.chain)) and tchain[shared] == self.chain[shared]:
            shared += 1
        return shared, len(tchain)

    def _address(self, target: Question) -> Instance:
        """The instance of ``target`` seen from here: ours where shared, else the first."""
        shared, depth = self._shared(target)
        return self.inst[:shared] + (0,) * (depth - shared)

    def value(self, name: str) -> object:
        target = self.s.form.questions.get(name)
        if target is None:
            return ""
        reads = self.s.graph.self_reads  # usually empty: one test on this hot path
        if reads and name in reads.get(self.q.name, ()):
            key = (name, self._address(target))  # a group reads an answer inside it as it is (engine._Graph)
            return self.s.calculated.get(key, self.s.raw.get(key, ""))
        if not self.s.graph.chains[name]:
            return self.s.get(name)  # outside every repeat: the one instance, wherever we are
        if target.is_repeat:
            return self.s.counts.get((name, self._address(target)[:-1]), 0)
        return self.s.get(name, index=self._address(target))

    def values(self, name: str) -> list:
        target = self.s.form.questions.get(name)
        if target is None:
            return []
        shared, _ = self._shared(target)
        prefix = self.inst[:shared]
        if target.is_repeat:
            return [i for i in self.s._instances(target) if i[:shared] == prefix]
        return [self.s.get(name, index=i) for i in self.s._instances(target) if i[:shared] == prefix]

    def current(self) -> object:
        if not self.q.name or self.q.is_group:
            return ""
        key = (self.q.name, self.inst)
        return self.s.calculated.get(key, self.s.raw.get(key, ""))

    def position(self) -> int:
        return (self.inst[-1] + 1) if self.inst else 1

    def indexed(self, name: str, repeat: str, index: int) -> object:
        target = self.s.form.questions.get(name)
        if target is None or target.repeat() is None:
            return ""
        address = self._address(target)
        if not address:
            return ""
        return self.s.get(name, index=address[:-1] + (int(index) - 1,))

    def choice_label(self, name: str, value: str) -> str:
        target = self.s.form.questions.get(name)
        if target is None:
            return ""
        for choice in target.choices:
            if choice.name == value:
                return choice.label(self.s.lang)
        return ""

    def choice_column(self, column: str) -> object:
        if self.choice is None:
            return ""
        if column == "name":
            return self.choice.name
        base, _, lang = column.partition("::")
        if base == "label":
            return _label_in(self.choice.labels, lang) if lang else self.choice.label(self.s.lang)
        return self.choice.columns.get(column, "")

    def now(self) -> dt.datetime:
        return self.s.now()

    def today(self) -> dt.date:
        return self.s.now().date()

    def instance(self, name: str) -> list[dict]:
        return self.s.form.instances.get(name, [])

    def itext(self, ref: str) -> str:
        """'/data/group/q:label' or 'q:hint' names a question's text; '/data/q/choice:label' a choice's."""
        path, _, form = ref.partition(":")
        parts = [p for p in path.split("/") if p]
        target = self.s.form.questions.get(parts[-1]) if parts else None
        if target is not None:
            return target.hint(self.s.lang) if form == "hint" else target.label(self.s.lang)
        owner = self.s.form.questions.get(parts[-2]) if len(parts) > 1 else None
        for choice in owner.choices if owner is not None else ():
            if choice.name == parts[-1]:
                return choice.label(self.s.lang)
        return ""

    def record_seed(self) -> int:
        return self.s.seed
