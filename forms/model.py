"""The in-memory shape of a loaded form: questions in a tree, choices, settings."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from .xpath import Expr

# Types whose answers are stored; the rest (notes, groups) only display or structure.
INPUT_TYPES = {
    "text", "integer", "decimal", "select_one", "select_multiple", "select_one_from_file",
    "select_multiple_from_file", "date", "time", "datetime", "geopoint", "acknowledge",
    "range", "barcode", "image", "audio", "video", "file", "osm", "geotrace", "geoshape", "rank",
}
MEDIA_TYPES = {"image", "audio", "video", "file", "osm"}  # the answer names a file kept beside the record
COMPUTED_TYPES = {"calculate", "hidden"}
METADATA_TYPES = {
    "start", "end", "today", "deviceid", "username", "email", "phonenumber", "subscriberid", "simserial",
    "start-geopoint", "background-geopoint",
}
STRUCTURE_TYPES = {"group", "repeat"}
DISPLAY_TYPES = {"note"}
SUPPORTED_TYPES = INPUT_TYPES | COMPUTED_TYPES | METADATA_TYPES | STRUCTURE_TYPES | DISPLAY_TYPES
FIELD_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")  # ${name} in a label or hint
SELECT_TYPES = {"select_one", "select_multiple", "select_one_from_file", "select_multiple_from_file", "rank"}


@dataclass
class Choice:
    name: str
    labels: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)  # extra columns, used by choice_filter

    def label(self, lang: str | None) -> str:
        return _pick(self.labels, lang) or self.name


@dataclass
class Question:
    # The answer's key: in the engine, drafts, records' fields and ``${}`` references. The name
    # as written, except where the same name is used in two groups of one form (the reference
    # standard allows it, as the two have different instance paths): then each of them is keyed
    # by its group path, ``household/age``, and ``xls_name`` keeps the name as written.
    name: str
    type: str
    row: int | None = None
    path: str = ""  # e.g. "household/members/m_name"
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    required: Expr | None = None
    required_message: dict[str, str] = field(default_factory=dict)
    relevant: Expr | None = None
    constraint: Expr | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    calculation: Expr | None = None
    default: str | None = None
    read_only: Expr | None = None
    choice_filter: Expr | None = None
    appearance: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None
    choices: list[Choice] = field(default_factory=list)
    or_other: bool = False
    randomize: bool = False              # parameters: randomize=true shuffles the choices
    randomize_seed: Expr | None = None   # parameters: seed=${x}; else the record's seed
    repeat_count: Expr | None = None
    hxl: str | None = None
    sensitive: bool = False  # the survey sheet's ``sensitive`` column: masked at the hub for viewers
    xls_name: str = ""  # the name as written, when ``name`` is the group path (see ``name``)
    children: list["Question"] = field(default_factory=list)
    parent: "Question | None" = field(default=None, repr=False)

    @property
    def is_group(self) -> bool:
        return self.type in STRUCTURE_TYPES

    @property
    def is_repeat(self) -> bool:
        return self.type == "repeat"

    @property
    def stores_answer(self) -> bool:
        return self.type in INPUT_TYPES or self.type in COMPUTED_TYPES or self.type in METADATA_TYPES

    def label(self, lang: str | None) -> str:
        return _pick(self.labels, lang) or self.xls_name or self.name

    def hint(self, lang: str | None) -> str:
        return _pick(self.hints, lang)

    @property
    def is_sensitive(self) -> bool:
        """Marked sensitive, itself or through an enclosing group or repeat."""
        node: Question | None = self
        while node is not None:
            if node.sensitive:
                return True
            node = node.parent
        return False

    def repeat(self) -> "Question | None":
        """The nearest enclosing repeat, if any."""
        node = self.parent
        while node is not None:
            if node.is_repeat:
                return node
            node = node.parent
        return None

    def walk(self) -> Iterator["Question"]:
        for child in self.children:
            yield child
            yield from child.walk()


@dataclass
class Form:
    form_id: str
    version: str
    title: str
    default_language: str | None
    languages: list[str]
    instance_name: Expr | None
    root: Question
    source: str = ""
    titles: dict[str, str] = field(default_factory=dict)  # {language: title} from form_title::<language>
    questions: dict[str, Question] = field(default_factory=dict)  # by key (Question.name), unique
    # Names written on two or more rows in different groups: each such question is keyed by its
    # path, and ``${name}`` of one of these is refused as the reference converter refuses it.
    repeated: dict[str, list[Question]] = field(default_factory=dict)
    warnings: list = field(default_factory=list)  # Issues that do not stop the form
    media: list = field(default_factory=list)     # CSV choice files the form reads, by file name
    # Secondary instances for instance('x')/root/item and pulldata('x', ...): every choice list,
    # every CSV attachment the expressions name, and every xml-external attachment, as rows of
    # {column: text}.
    instances: dict[str, list[dict]] = field(default_factory=dict)

    def question(self, name: str) -> Question:
        return self.questions[name]

    def title_in(self, lang: str | None) -> str:
        """The title in ``lang`` ('Українська (uk)' or just 'uk'), else in the default language,
        else the untranslated ``form_title``, else the form id: always something to show."""
        for want in (lang, self.default_language):
            text = _match(self.titles, want)
            if text:
                return text
        return self.title or self.form_id

    def text_in(self, texts: dict[str, str], lang: str | None) -> str:
        """A label, hint or choice text in ``lang``, else in the form's default language,
        else whatever the form has ('' when it has none): the fallback a reader expects,
        where ``Question.label`` would take the first column."""
        for want in (lang, self.default_language):
            text = _match(texts, want)
            if text:
                return text
        return _pick(texts, None)

    def walk(self) -> Iterator[Question]:
        return self.root.walk()

    def inside(self, name: str, group: Question) -> bool:
        """Is question ``name`` somewhere inside ``group`` (a group or repeat)?"""
        node = self.questions[name].parent
        while node is not None:
            if node is group:
                return True
            node = node.parent
        return False


def _match(texts: dict[str, str], lang: str | None) -> str:
    """The text for ``lang`` only: the exact column language, or its code ('uk' matches 'Українська (uk)')."""
    if not lang or not texts:
        return ""
    if texts.get(lang):
        return texts[lang]
    code = lang[lang.rindex("(") + 1 : -1] if lang.endswith(")") and "(" in lang else lang
    for key, value in texts.items():
        if value and (key == code or key.endswith(f"({code})")):
            return value
    return ""


def _pick(texts: dict[str, str], lang: str | None) -> str:
    if not texts:
        return ""
    if lang and lang in texts:
        return texts[lang]
    if lang:
        # "uk" matches "Українська (uk)"
        for key, value in texts.items():
            if key.endswith(f"({lang})"):
                return value
    if "default" in texts:
        return texts["default"]
    return next(iter(texts.values()))
