"""Evaluating a form against answers: visibility, errors, calculations, the record to save.

    session = Session(form, lang="uk")
    session.set("age", 34)                 # re-evaluates only what depends on ${age}
    session.set("m_name", "…", index=(0,)) # inside the first instance of a repeat
    session.errors()                       # required and constraint errors, in the chosen language
    session.record()                       # non-relevant answers cleared, calculations filled

Answers live in a flat map keyed by ``(name, instance)``, where ``instance`` is
the tuple of repeat indices that leads to the question (``()`` outside repeats).
A dependency graph, built once per form from every expression's references,
tells which questions to re-evaluate after an answer changes; they are
re-evaluated in topological order so a calculation that feeds another is fresh.

Semantics follow ODK: a non-relevant question (or one inside a non-relevant
group) is empty for every expression and is cleared on save; constraints are
not checked on empty answers; required is checked only on relevant questions.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import math
import zlib
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any, Iterable

from . import media, xpath
from .coercers import coerce
from .session_context import SessionContext as _Context
from .xpath.functions.lookups import shuffle
from .errors import FormError, UnknownQuestion
from .model import FIELD_REFERENCE, MEDIA_TYPES, METADATA_TYPES, SELECT_TYPES, Form, Question, _pick

Instance = tuple[int, ...]

DEFAULT_MESSAGES = {
    "required": {"en": "This question is required.", "uk": "Це обов'язкове питання."},
    "constraint": {"en": "This answer is not allowed.", "uk": "Ця відповідь неприпустима."},
    "integer": {"en": "Enter a whole number.", "uk": "Введіть ціле число."},
    "decimal": {"en": "Enter a number.", "uk": "Введіть число."},
    "date": {"en": "Enter a date as YYYY-MM-DD.", "uk": "Введіть дату у форматі РРРР-ММ-ДД."},
    "time": {"en": "Enter a time as HH:MM.", "uk": "Введіть час у форматі ГГ:ХХ."},
    "datetime": {"en": "Enter a date and time.", "uk": "Введіть дату й час."},
    "geopoint": {"en": "Enter latitude and longitude, e.g. 50.45 30.52.", "uk": "Введіть широту й довготу, напр. 50.45 30.52."},
    "choice": {"en": "Choose one of the listed options.", "uk": "Виберіть один із наведених варіантів."},
    "range": {"en": "Choose a value within the range.", "uk": "Виберіть значення в межах діапазону."},
    "image": {"en": "Attach a photo or picture file.", "uk": "Додайте фото або файл зображення."},
    "audio": {"en": "Attach a sound recording.", "uk": "Додайте аудіозапис."},
    "video": {"en": "Attach a video file.", "uk": "Додайте відеофайл."},
    "file": {"en": "Attach a file.", "uk": "Додайте файл."},
    "osm": {"en": "Attach an OpenStreetMap (.osm) file.", "uk": "Додайте файл OpenStreetMap (.osm)."},
    "rank": {"en": "Put every option in order, each once.", "uk": "Упорядкуйте всі варіанти, кожен один раз."},
    "geotrace": {"en": "Enter two or more points as: latitude longitude; latitude longitude.",
                 "uk": "Введіть дві чи більше точок так: широта довгота; широта довгота."},
    "geoshape": {"en": "Enter three or more points as: latitude longitude; latitude longitude; …",
                 "uk": "Введіть три чи більше точок так: широта довгота; широта довгота; …"},
}


class CyclicForm(FormError):
    """Calculations that depend on each other in a circle; ``names`` are the questions in it."""

    names: list[str] = []


@dataclass(frozen=True)
class FieldError:
    name: str
    instance: Instance
    kind: str  # "required" | "constraint" | "type"
    message: str

    def to_json(self) -> dict:
        return {"name": self.name, "instance": list(self.instance), "kind": self.kind, "message": self.message}


def _lang_code(lang: str | None) -> str:
    if not lang:
        return "en"
    if lang.endswith(")") and "(" in lang:
        return lang[lang.rindex("(") + 1 : -1]
    return lang


class _Graph:
    """Which questions must be re-evaluated when a given name changes, in what order."""

    def __init__(self, form: Form) -> None:
        deps: dict[str, set[str]] = {}
        # The enclosing repeats of every question (its own name first if it is one), computed
        # once: expressions ask for them on every reference.
        self.chains: dict[str, tuple[Question, ...]] = {}
        known = set(form.questions)
        for q in form.walk():
            self.chains[q.name] = _repeat_chain(q)
            deps[q.name] = (_needs(q) & known) - {q.name}
        # A group shown by an answer directly inside it (``./source = 'user'`` on a group the form
        # is given its inputs in): the group reads that answer as it is, shown or not, as Collect
        # reads a value, and the answer's own relevance is worked out again right after the
        # group's (Session._evaluate), so neither waits for the other.
        self.self_reads = _self_reads(form)
        for g, inner in self.self_reads.items():
            for c in inner:
                deps[c].discard(g)
        try:
            self.order = list(TopologicalSorter(deps).static_order())
        except CycleError as exc:
            cyclic = CyclicForm(f"these questions depend on each other in a circle: {', '.join(exc.args[1])}")
            cyclic.names = list(dict.fromkeys(exc.args[1]))
            raise cyclic from None
        self.rank = {name: i for i, name in enumerate(self.order)}
        self.deps = deps
        self._affected: dict[str, list[str]] = {}
        self.chains[""] = ()
        self.dependents: dict[str, set[str]] = {name: set() for name in deps}
        for name, needs in deps.items():
            for n in needs:
                self.dependents[n].add(name)

    def affected(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        if len(names) == 1:
            # The form never changes, so one answer's dependents can be worked out once.
            cached = self._affected.get(names[0])
            if cached is None:
                cached = self._affected[names[0]] = self._closure(names)
            return cached
        return self._closure(names)

    def _closure(self, names: list[str]) -> list[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(self.dependents.get(n, ()))
        return sorted(seen, key=self.rank.__getitem__)


def _repeat_chain(q: Question) -> tuple[Question, ...]:
    chain, node = [], q.parent if not q.is_repeat else q
    while node is not None:
        if node.is_repeat:
            chain.append(node)
        node = node.parent
    return tuple(reversed(chain))


def _needs(q: Question) -> set[str]:
    """What ``q`` must be evaluated after: only what _recompute keeps (relevance, calculations
    and repeat counts; constraints, required and choice filters are read when asked for, so they
    never go stale), its group's relevance, and its repeat's entries."""
    needs: set[str] = set()
    for column in ("relevant", "calculation", "repeat_count"):
        expr = getattr(q, column)
        if expr is not None:
            needs |= expr.references
    if q.parent is not None and q.parent.name:
        needs.add(q.parent.name)  # a group's relevance flows to its children
    if q.repeat() is not None:
        needs.add(q.repeat().name)  # adding an instance creates the question's instances
    return needs


def _self_reads(form: Form) -> dict[str, frozenset[str]]:
    """Groups whose relevance reads questions directly inside them: group -> those questions."""
    out: dict[str, frozenset[str]] = {}
    for g in form.walk():
        if g.is_group and g.relevant is not None:
            inner = frozenset(c.name for c in g.children if c.name in g.relevant.references and not c.is_group)
            if inner:
                out[g.name] = inner
    return out


class Session:
    """One interview. Cheap to create; evaluation is incremental after the first pass."""

    def __init__(
        self,
        form: Form,
        answers: dict | None = None,
        *,
        lang: str | None = None,
        device_id: str = "",
        username: str = "",
        now: dt.datetime | None = None,
        seed: int | str | None = None,
    ) -> None:
        self.form = form
        self.lang = lang or form.default_language
        self.device_id, self.username = device_id, username
        self._now = now
        self.graph = _Graph(form)
        self.raw: dict[tuple[str, Instance], Any] = {}
        self.counts: dict[tuple[str, Instance], int] = {}
        self.relevant: dict[tuple[str, Instance], bool] = {}
        self.calculated: dict[tuple[str, Instance], Any] = {}
        self.type_errors: dict[tuple[str, Instance], str] = {}
        # Files attached in this session, held until the record is saved: (name, instance) ->
        # (stored file name, bytes). An answer that names a file not held here was saved before.
        self.files: dict[tuple[str, Instance], tuple[str, bytes]] = {}
        self.evaluations = 0  # expressions evaluated; lets tests prove incrementality
        started = self.now()
        # randomize() without a seed shuffles by the record's seed, so its order holds while the
        # record is filled in; pass the record's id as ``seed`` to keep it when a draft is reopened.
        if isinstance(seed, str):
            seed = zlib.crc32(seed.encode("utf-8"))
        self.seed = seed if seed is not None else int(started.timestamp() * 1000)
        for q in form.walk():
            if q.type == "start":
                self.raw[(q.name, ())] = started
            elif q.type == "today":
                self.raw[(q.name, ())] = started.date()
            elif q.type == "deviceid":
                self.raw[(q.name, ())] = device_id
            elif q.type == "username":
                self.raw[(q.name, ())] = username
        if answers:
            self._load(answers, form.root, ())
        self._apply_defaults(form.root, ())
        self._recompute(self.graph.order)

    @functools.cached_property
    def uses_seed(self) -> bool:
        """Does anything in the form shuffle by the record's seed (randomize() without a seed, or
        randomize=true on a select)? Then keep ``seed`` with a draft, to reopen it in the same order."""
        exprs = (getattr(q, c) for q in self.form.walk()
                 for c in ("relevant", "constraint", "calculation", "choice_filter", "repeat_count", "default"))
        return any(q.randomize and q.randomize_seed is None for q in self.form.walk()) or any(
            "randomize" in (e if isinstance(e, str) else e.text) for e in exprs if e is not None)

    # -- time ------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now().astimezone().replace(microsecond=0)

    # -- answers -----------------------------------------------------------------------
    def set(self, name: str, value: Any, *, index: Instance = ()) -> list[str]:
        """Answer one question; returns the names that were re-evaluated."""
        q = self._question(name)
        if q.is_group or q.type in ("note", "calculate"):
            raise UnknownQuestion(f"'{name}' is a {q.type}; it takes no answer.")
        self._check_instance(q, index)
        self._store(q, index, value)
        return self._recompute(self.graph.affected([name]), {name})

    def attach(self, name: str, data: bytes, original_name: str, *, index: Instance = ()) -> str:
        """Answer media question ``name`` with a file: checked (its kind and size), stored under
        the name Collect would give it, and held until the record is saved. Returns that name.
        MediaError, with nothing changed, for a file the question cannot take."""
        q = self._question(name)
        if q.type not in MEDIA_TYPES:
            raise UnknownQuestion(f"'{name}' is a {q.type} question; it takes no file.")
        self._check_instance(q, index)
        media.check_file(q.type, name, original_name, len(data))
        stored = media.attached_name(original_name, dt.datetime.now(dt.timezone.utc))
        while any(held == stored for held, _ in self.files.values()):  # two files in one millisecond
            stored = f"{int(stored.split('.')[0]) + 1}" + (f".{stored.split('.', 1)[1]}" if "." in stored else "")
        self.files[(name, index)] = (stored, bytes(data))
        self.set(name, stored, index=index)
        return stored

    def kept_files(self) -> list[dict]:
        """Every file attached in this session that the record keeps (the question is relevant and
        its answer still names that file): question, instance, name and data, in form order."""
        return [{"question": name, "instance": list(inst), "name": stored, "data": data}
                for (name, inst), (stored, data) in sorted(self.files.items(), key=lambda kv: self._order_key(kv[0]))
                if self.get(name, index=inst) == stored]

    def attachments(self, record_id: str):
        """The fields of the ``attachment`` records (forms.media) of every kept file, part by part."""
        for f in self.kept_files():
            yield from media.attachment_parts(f["data"], record=record_id, question=f["question"], name=f["name"],
                                              instance=f["instance"])

    def get(self, name: str, *, index: Instance = ()) -> Any:
        self._question(name)  # unknown names are an error, not an empty answer
        key = (name, index)
        if not self.relevant.get(key, False):
            return ""
        if key in self.calculated:
            return self.calculated[key]
        return self.raw.get(key, "")

    def add_repeat(self, name: str, *, outer: Instance = ()) -> Instance:
        q = self._question(name)
        if not q.is_repeat:
            raise UnknownQuestion(f"'{name}' is not a repeat.")
        if q.repeat_count is not None:
            raise FormError(f"The number of '{name}' entries is set by the form; it cannot be changed by hand.")
        n = self.counts.get((name, outer), 0)
        self.counts[(name, outer)] = n + 1
        new = outer + (n,)
        self._apply_defaults(q, new)
        self._recompute(self.graph.affected([name]), {name})
        return new

    def remove_repeat(self, name: str, position: int, *, outer: Instance = ()) -> None:
        q = self._question(name)
        n = self.counts.get((name, outer), 0)
        if not q.is_repeat or not 0 <= position < n:
            raise UnknownQuestion(f"There is no entry {position + 1} of '{name}'.")
        depth = len(outer)
        # Shift later instances down by one, for every question inside this repeat.
        for store in (self.raw, self.counts, self.relevant, self.calculated, self.type_errors, self.files):
            moved = {}
            for (qname, inst), value in list(store.items()):
                if len(inst) > depth and inst[:depth] == outer and self.form.inside(qname, q):
                    del store[(qname, inst)]
                    i = inst[depth]
                    if i == position:
                        continue
                    moved[(qname, inst[:depth] + (i - 1 if i > position else i,) + inst[depth + 1 :])] = value
            store.update(moved)
        self.counts[(name, outer)] = n - 1
        self._recompute(self.graph.affected([name]), {name})

    def repeat_count(self, name: str, *, outer: Instance = ()) -> int:
        return self.counts.get((name, outer), 0)

    def entries_lost_by(self, name: str, value: Any, *, index: Instance = ()) -> dict[tuple[str, Instance], list[int]]:
        """What answering ``name`` with ``value`` would take away, without changing anything:
        for each repeat entry list whose count the answer lowers, ``(repeat, outer)`` -> the
        positions (0-based) of the entries that would go although they hold answers. A
        value equal to the question's default is not an answer someone gave."""
        trial = copy.copy(self)
        for attr in ("raw", "counts", "relevant", "calculated", "type_errors", "files"):
            setattr(trial, attr, dict(getattr(self, attr)))
        trial.set(name, value, index=index)
        lost: dict[tuple[str, Instance], list[int]] = {}
        for (rname, outer), n in self.counts.items():
            keep = trial.counts.get((rname, outer), 0)
            if keep >= n:
                continue
            repeat, depth = self.form.questions[rname], len(outer)
            answered = sorted({
                inst[depth] for (qname, inst), v in self.raw.items()
                if len(inst) > depth and inst[:depth] == outer and inst[depth] >= keep
                and self.form.inside(qname, repeat) and v not in ("", None)
                and str(v) != (self.form.questions[qname].default or "")
            })
            if answered:
                lost[(rname, outer)] = answered
        return lost

    # -- results -------------------------------------------------------------------------
    def visible(self, name: str, *, index: Instance = ()) -> bool:
        return self.relevant.get((name, index), False)

    def label(self, name: str, *, index: Instance = ()) -> str:
        """The question's label in the session's language, with ``${field}`` replaced by its current value."""
        q = self._question(name)
        return self._interpolate(q.label(self.lang), q, index)

    def hint(self, name: str, *, index: Instance = ()) -> str:
        """The hint, interpolated like :meth:`label`."""
        q = self._question(name)
        return self._interpolate(q.hint(self.lang), q, index)

    def _interpolate(self, text: str, q: Question, inst: Instance) -> str:
        if "${" not in text:
            return text
        # Seen from the question's own instance, as its expressions see it: inside a repeat
        # entry, ${age} is that entry's age. Computed on demand, so never stale.
        ctx = _Context(self, q, inst)
        return FIELD_REFERENCE.sub(lambda m: xpath.to_string(ctx.value(m.group(1))), text)

    def choices(self, name: str, *, index: Instance = ()):
        """The choices a select offers right now (after its choice_filter)."""
        q = self._question(name)
        out = list(q.choices)
        if q.choice_filter is not None:
            out = [c for c in out if self._offered(q, index, c)]
        if q.randomize:
            # As Collect: the spec's shuffle, by the seed parameter, else by the record's seed, so
            # the order holds while the record is filled in and when its draft is reopened.
            seed = None
            if q.randomize_seed is not None:
                self.evaluations += 1
                seed = xpath.evaluate(q.randomize_seed, _Context(self, q, index))
            out = shuffle(out, seed, self.seed)
        return out

    def _offered(self, q: Question, index: Instance, choice) -> bool:
        self.evaluations += 1
        return xpath.to_bool(xpath.evaluate(q.choice_filter, _Context(self, q, index, choice=choice)))

    def errors(self) -> list[FieldError]:
        """Every required, constraint and type error on a relevant question, in form order."""
        out: list[FieldError] = []
        lang = _lang_code(self.lang)
        for q in self.form.walk():
            if not q.stores_answer or q.type in ("calculate", "hidden") or q.type in METADATA_TYPES:
                continue  # nothing a person typed: nothing to check
            for inst in self._instances(q):
                if self.relevant.get((q.name, inst), False):
                    found = self._error(q, inst, lang)
                    if found is not None:
                        out.append(found)
        return out

    def _error(self, q: Question, inst: Instance, lang: str) -> FieldError | None:
        """The first error of one relevant answer: its type, required, its choices, its constraint."""
        key = (q.name, inst)
        if key in self.type_errors:
            return FieldError(q.name, inst, "type", self.type_errors[key])
        value = self.raw.get(key, "")
        if _empty(value):
            if q.required is not None and self._truthy(q.required, q, inst):
                return FieldError(q.name, inst, "required", self._message(q.required_message, "required", lang))
            return None
        if q.type in SELECT_TYPES and not self._choices_fit(q, inst, value):
            kind = "rank" if q.type == "rank" else "choice"
            return FieldError(q.name, inst, "type", DEFAULT_MESSAGES[kind].get(lang, DEFAULT_MESSAGES[kind]["en"]))
        if q.constraint is not None and not self._truthy(q.constraint, q, inst):
            return FieldError(q.name, inst, "constraint", self._message(q.constraint_message, "constraint", lang))
        return None

    def _choices_fit(self, q: Question, inst: Instance, value: str) -> bool:
        """Every choice picked is offered; a ranking orders every choice offered, once each."""
        allowed = [c.name for c in self.choices(q.name, index=inst)]
        picked = [value] if q.type.startswith("select_one") else value.split()
        if q.type == "rank":
            return sorted(picked) == sorted(allowed)
        return set(picked) <= set(allowed)

    def record(self, *, finalise: bool = False) -> dict:
        """The answers to save: relevant ones only, calculations included, repeats nested."""
        if finalise:
            for q in self.form.walk():
                if q.type == "end":
                    self.raw[(q.name, ())] = self.now()
            self._recompute(self.graph.order)
        return self._collect(self.form.root, ())

    def to_save(self, saved: dict | None = None, *, finalise: bool = True) -> dict:
        """What to hand to ``store.save_record``: kind, form id and version, and the fields.

        ``saved`` is the record as it was stored (when editing one): its kind, form id and
        version are kept; only missing ones are filled in from this form, so a record
        always remembers the form version it was filled with.
        """
        out = {k: v for k, v in (saved or {}).items() if k in ("id", "kind", "form_id", "form_version")}
        if not out.get("kind"):
            out["kind"] = "submission"
        if not out.get("form_id"):
            out["form_id"] = self.form.form_id
        if not out.get("form_version"):
            out["form_version"] = self.form.version
        out["fields"] = self.record(finalise=finalise)
        files = self.kept_files()
        if files:
            out["files"] = files  # saved beside the record as attachment parts (forms.media)
        return out

    def instance_name(self) -> str:
        if self.form.instance_name is None:
            return ""
        self.evaluations += 1
        return xpath.to_string(xpath.evaluate(self.form.instance_name, _Context(self, self.form.root, ())))

    def summary(self) -> dict:
        """What ``forms fill`` prints: the record, what is visible, the errors, calculated values."""
        errors = self.errors()
        return {
            "form_id": self.form.form_id,
            "form_version": self.form.version,
            "language": self.lang,
            "instance_name": self.instance_name(),
            "fields": _jsonable(self.record()),
            "visible": [_label_key(n, i) for (n, i), v in sorted(self.relevant.items(), key=lambda kv: self._order_key(kv[0])) if v],
            "calculated": {_label_key(n, i): _jsonable(v) for (n, i), v in self.calculated.items() if self.relevant.get((n, i))},
            "notes": {
                _label_key(q.name, i): self.label(q.name, index=i)
                for q in self.form.walk() if q.type == "note"
                for i in self._instances(q) if self.relevant.get((q.name, i))
            },
            "errors": [e.to_json() for e in errors],
            "valid": not errors,
        }

    # -- internals -------------------------------------------------------------------------
    def _question(self, name: str) -> Question:
        try:
            return self.form.questions[name]
        except KeyError:
            raise UnknownQuestion(f"The form has no question named '{name}'.") from None

    def _order_key(self, key):
        name, inst = key
        return (self.graph.rank.get(name, 0), inst)

    def _check_instance(self, q: Question, index: Instance) -> None:
        if index not in self._instances(q):
            raise UnknownQuestion(f"'{q.name}' has no entry at {list(index)}; add the repeat entry first.")

    def _chain(self, q: Question) -> tuple[Question, ...]:
        return self.graph.chains[q.name]

    def _instances(self, q: Question) -> list[Instance]:
        insts: list[Instance] = [()]
        for rep in self._chain(q):
            insts = [i + (k,) for i in insts for k in range(self.counts.get((rep.name, i), 0))]
        return insts

    def _message(self, texts: dict[str, str], kind: str, lang: str) -> str:
        if texts:
            return _pick(texts, self.lang)
        table = DEFAULT_MESSAGES[kind]
        return table.get(lang, table["en"])

    def _truthy(self, expr: xpath.Expr, q: Question, inst: Instance) -> bool:
        self.evaluations += 1
        return xpath.to_bool(xpath.evaluate(expr, _Context(self, q, inst)))

    def _store(self, q: Question, inst: Instance, value: Any) -> None:
        key = (q.name, inst)
        self.type_errors.pop(key, None)
        try:
            self.raw[key] = coerce(q, value)
        except ValueError:
            self.raw[key] = ""
            kind = q.type if q.type in DEFAULT_MESSAGES else "decimal"
            table = DEFAULT_MESSAGES[kind]
            self.type_errors[key] = table.get(_lang_code(self.lang), table["en"])

    def _load(self, data: dict, group: Question, inst: Instance, *, check: bool = True) -> None:
        for child in group.children:
            if child.is_repeat:
                entries = data.get(child.name) or []
                if not isinstance(entries, list):
                    raise FormError(f"'{child.name}' is a repeat: give a list of entries.")
                self.counts[(child.name, inst)] = len(entries)
                for k, entry in enumerate(entries):
                    if not isinstance(entry, dict):
                        raise FormError(f"Each entry of '{child.name}' must be an object of answers.")
                    self._load(entry, child, inst + (k,))
            elif child.is_group:
                nested = data.get(child.name)
                # Answers may be flat (by name) or nested under the group's name.
                self._load(nested if isinstance(nested, dict) else data, child, inst, check=isinstance(nested, dict))
            elif child.type not in ("calculate", "note") and _answer_key(child, data, check) is not None:
                self._store(child, inst, data[_answer_key(child, data, check)])
        if not check:
            return
        known = _names_under(group) | {c.xls_name for c in group.children if c.xls_name and group.name}
        unknown = [k for k in data if k not in known]
        if unknown:
            raise UnknownQuestion(f"The answers name questions this form does not have: {', '.join(sorted(unknown))}.")

    def _apply_defaults(self, group: Question, inst: Instance) -> None:
        for child in group.children:
            if child.is_repeat:
                continue
            if child.is_group:
                self._apply_defaults(child, inst)
            elif child.default not in (None, "") and (child.name, inst) not in self.raw:
                value = child.default
                if "(" in value or "${" in value:  # a dynamic default such as today()
                    try:
                        value = xpath.evaluate(xpath.parse(value), _Context(self, child, inst))
                    except xpath.ExpressionError:
                        pass  # stays literal; the type check reports it
                self._store(child, inst, value)

    def _snapshot(self, q: Question) -> tuple:
        """What dependents can see of ``q``: its instances, their relevance and calculated values."""
        name, relevant, calculated = q.name, self.relevant, self.calculated
        return tuple((i, relevant.get((name, i)), calculated.get((name, i), "")) for i in self._instances(q))

    def _recompute(self, names: list[str], changed: set[str] | None = None) -> list[str]:
        """Re-evaluate ``names`` in dependency order; returns those actually re-evaluated.

        With ``changed`` (the names whose answers or entries were just changed), evaluation
        stops early along a path where nothing visible changed: a question is re-evaluated
        only when something it depends on changed, and passes the change on only when its
        own relevance or value did. Questions inside a repeat whose entries changed always
        pass it on (their instances moved under them).
        """
        done: list[str] = []
        for name in names:
            q = self.form.questions[name]
            before = None
            if changed is not None:
                if name not in changed and not (self.graph.deps[name] & changed):
                    continue
                if not (name in changed or any(r.name in changed for r in self.graph.chains[name])):
                    before = self._snapshot(q)
            done.append(name)
            self._evaluate(q)
            if changed is not None and (before is None or self._snapshot(q) != before):
                changed.add(name)
        return done

    def _evaluate(self, q: Question) -> None:
        """Recount a repeat whose count is computed, then every instance's relevance and calculation."""
        if q.is_repeat and q.repeat_count is not None:
            for outer in self._instances(q.parent):
                self._recount(q, outer)
        current = self._instances(q)
        if q.repeat() is not None or q.is_repeat:
            self._forget_gone(q.name, set(current))
        for inst in current:
            key = (q.name, inst)
            visible = self._parent_visible(q, inst)
            if visible and q.relevant is not None:
                visible = self._truthy(q.relevant, q, inst)
            self.relevant[key] = visible
            if q.calculation is None:
                continue
            if visible:
                self.evaluations += 1
                self.calculated[key] = xpath.evaluate(q.calculation, _Context(self, q, inst))
            else:
                self.calculated.pop(key, None)
        for inner in self.graph.self_reads.get(q.name, ()):
            self._evaluate(self.form.questions[inner])  # its relevance follows the group's, just worked out

    def _recount(self, repeat: Question, outer: Instance) -> None:
        self.evaluations += 1
        n = xpath.to_number(xpath.evaluate(repeat.repeat_count, _Context(self, repeat.parent, outer)))
        want = 0 if math.isnan(n) or n < 0 else min(int(n), 500)
        if want < self.counts.get((repeat.name, outer), 0):
            self._drop_entries(repeat, outer, want)  # as ODK does: gone entries lose their answers
        self.counts[(repeat.name, outer)] = want

    def _forget_gone(self, name: str, live: set[Instance]) -> None:
        """Entries that no longer exist (a repeat count went down) must not look visible."""
        for table in (self.relevant, self.calculated):
            for key in [k for k in table if k[0] == name and k[1] not in live]:
                del table[key]

    def _drop_entries(self, repeat: Question, outer: Instance, keep: int) -> None:
        depth = len(outer)
        for table in (self.raw, self.counts, self.type_errors, self.files):
            for key in [
                k for k in table
                if len(k[1]) > depth and k[1][:depth] == outer and k[1][depth] >= keep and self.form.inside(k[0], repeat)
            ]:
                del table[key]

    def _parent_visible(self, q: Question, inst: Instance) -> bool:
        # The parent's instance is ours cut to its depth: a repeat entry's own index
        # belongs to the entry, not to the group around the repeat.
        parent = q.parent
        if parent is None or not parent.name:
            return True
        return self.relevant.get((parent.name, inst[: len(self._chain(parent))]), True)

    def _collect(self, group: Question, inst: Instance) -> dict:
        out: dict = {}
        for child in group.children:
            key = (child.name, inst)
            if child.is_repeat:
                entries = [
                    self._collect(child, inst + (k,))
                    for k in range(self.counts.get(key, 0))
                    if self.relevant.get((child.name, inst + (k,)), True)
                ]
                if entries:
                    out[child.name] = entries
            elif child.is_group:
                if self.relevant.get(key, True):
                    out.update(self._collect(child, inst))
            elif child.stores_answer and self.relevant.get(key, False):
                value = self.calculated[key] if key in self.calculated else self.raw.get(key, "")
                if not _empty(value):
                    out[child.name] = _jsonable(value)
        return out


def _answer_key(q: Question, data: dict, nested: bool) -> str | None:
    """Where ``q``'s answer is in ``data``: under its key; or, in answers nested under its group
    (``{"head": {"age": 40}}``), under its name as written when that name repeats in the form."""
    if q.name in data:
        return q.name
    if nested and q.xls_name and q.parent is not None and q.parent.name and q.xls_name in data:
        return q.xls_name
    return None


def _names_under(group: Question) -> set[str]:
    names = set()
    for child in group.children:
        if child.is_repeat:
            names.add(child.name)
        elif child.is_group:
            names.add(child.name)
            names |= _names_under(child)
        else:
            names.add(child.name)
    return names


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _label_key(name: str, inst: Instance) -> str:
    return name + "".join(f"[{i + 1}]" for i in inst)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
