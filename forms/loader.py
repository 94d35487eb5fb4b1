"""Load an XLSForm (.xlsx) into a :class:`~forms.model.Form`, or report every problem.

Two passes. Ours reads the rows with their numbers, builds the question tree,
parses every expression and checks every reference, so a problem is reported
with its sheet, row and column at import, never halfway through an interview.
Then pyxform, the reference implementation, validates the same workbook the
way ODK and Kobo do; its complaint is reported in the same shape.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

from . import xpath
from .errors import Issue, MalformedForm, UnreadableForm
from .model import FIELD_REFERENCE, Choice, Form, Question
from .choice_files import geojson_choices, xml_choices, xml_items
from .headers import split_header as _split_header
from .loops import is_label, loop_cell, loop_list, raw_get, raw_type
from .paths import PathError, has_path, resolve
from .types import ALIASES, OR_OTHER, SELECT_ALIASES, UNSUPPORTED

SURVEY_COLUMNS = {
    "type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
    "constraint_message", "calculation", "default", "read_only", "choice_filter", "appearance",
    "parameters", "repeat_count", "hxl", "sensitive",
}
TRANSLATED = {"label", "hint", "constraint_message", "required_message"}
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter", "repeat_count")
SETTINGS = {"form_id", "version", "form_title", "default_language", "instance_name", "allow_choice_duplicates"}
# form_title::<language> reads like label::<language>; form_title_translation::<language> is the
# same thing under a name other XLSForm tools ignore (they accept one untranslated title only).
TITLE_COLUMNS = {"form_title", "form_title_translation"}
_HXL = re.compile(r"^#[A-Za-z][A-Za-z0-9_]*(\s*\+[A-Za-z][A-Za-z0-9_]*)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
# Spreadsheets type curly quotes; the reference converter straightens them in every cell before
# Collect sees the form, so an expression written with them runs there. We straighten them in
# expressions only: labels keep the apostrophe Ukrainian text is written with (обов’язкове).
_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_EXPRESSIONS = ("relevant", "constraint", "calculation", "choice_filter", "repeat_count", "required", "read_only",
                "randomize_seed")
_YES = {"yes", "true", "true()", "1"}
_NO = {"no", "false", "false()", "0", ""}


class _PathExpr:
    """An expression with a node path, held until the tree is built (see ``_resolve_paths``)."""

    def __init__(self, text: str, sheet: str, row: int, column: str) -> None:
        self.text, self.sheet, self.row, self.column = text, sheet, row, column


def _resolve_paths(b: "_Builder", form: Form) -> None:
    """Node paths (``../inputs/name``, ``/data/g/q``) read as the ``${key}`` they reach (forms/paths.py)."""
    def resolved(held: _PathExpr, context: Question) -> xpath.Expr | None:
        try:
            text = resolve(held.text, context, form.root)
        except PathError as exc:
            b.issue(held.sheet, held.row, held.column, str(exc))
            return None
        return b.parse(text, held.sheet, held.row, held.column)

    for q in form.walk():
        for column in _EXPRESSIONS:
            held = getattr(q, column)
            if isinstance(held, _PathExpr):
                setattr(q, column, resolved(held, q))
    if isinstance(form.instance_name, _PathExpr):
        form.instance_name = resolved(form.instance_name, form.root)


class _Builder:
    def __init__(self, path: Path, media: dict[str, bytes] | None = None) -> None:
        self.path = path
        self.media = media          # the form's files in memory (a published form), else read beside it
        self.media_used: list[str] = []
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []
        self.languages: list[str] = []
        self.external: dict[str, list[Choice]] = {}  # the external_choices sheet
        self.declared: dict[str, int] = {}  # csv-external attachments: name -> row
        self.declared_xml: set[str] = set()  # those of them declared xml-external (NAME.xml)

    def issue(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.issues.append(Issue(sheet, row, column, message))

    def warn(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.warnings.append(Issue(sheet, row, column, message))

    # -- cells -------------------------------------------------------------------
    def read_row(self, sheet: str, raw: dict) -> dict:
        """Fold a raw row into {column: value} with {column: {lang: text}} for translated ones."""
        out: dict = {}
        for header, value in raw.items():
            if value is None or header is None:
                continue
            base, lang = _split_header(str(header))
            if base in TRANSLATED or (sheet in ("choices", "external_choices") and base == "label"):
                key = lang or "default"
                if lang and lang not in self.languages:
                    self.languages.append(lang)
                out.setdefault(base, {})[key] = str(value)
            else:
                out[base] = str(value).strip()
        return out

    def translated(self, english: str, ukrainian: str) -> dict[str, str]:
        """Labels the engine adds itself (or_other), in every language the form uses."""
        out = {"default": english}
        for lang in self.languages:
            out[lang] = ukrainian if lang.endswith("(uk)") or lang.lower().startswith("ukr") else english
        return out

    def expr(self, text: str | None, sheet: str, row: int, column: str) -> xpath.Expr | None:
        if text is None or text == "":
            return None
        text = text.translate(_STRAIGHT)
        if has_path(text):
            # ../group/name: parsed once the question tree is built and the path resolved
            return _PathExpr(text, sheet, row, column)  # type: ignore[return-value]
        return self.parse(text, sheet, row, column)

    def parse(self, text: str, sheet: str, row: int, column: str) -> xpath.Expr | None:
        try:
            return xpath.parse(text)
        except xpath.ExpressionError as exc:
            self.issue(sheet, row, column, f"the expression does not parse: {exc}")
            return None

    def flag(self, text: str | None, sheet: str, row: int, column: str) -> xpath.Expr | None:
        """``required`` and ``read_only`` take yes/no or an expression."""
        if text is None or text.strip().lower() in _NO:
            return None
        if text.strip().lower() in _YES:
            return xpath.parse("true()")
        return self.expr(text, sheet, row, column)

    def yes_no(self, text: str | None, row: int, column: str) -> bool:
        """A plain yes/no column (no expression): ``sensitive``."""
        value = (text or "").strip().lower()
        if value in _YES:
            return True
        if value not in _NO:
            self.issue("survey", row, column, f"'{text}' is not yes or no")
        return False

    # -- sheets --------------------------------------------------------------------
    def choices(self, rows: list[dict], sheet: str = "choices",
                allow_duplicates: bool = False) -> dict[str, list[Choice]]:
        lists: dict[str, list[Choice]] = {}
        seen: set[tuple[str, str]] = set()
        for i, raw in enumerate(rows, start=2):
            row = self.read_row(sheet, raw)
            if not row:
                continue
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name and not name:
                # Only a label or a comment: no choice of any list (the reference converter skips it).
                self.warn(sheet, i, "list_name", "the row has neither a list_name nor a name and is ignored")
                continue
            if not list_name:
                self.issue(sheet, i, "list_name", "the choice has no list_name")
                continue
            if name is None or name == "":
                self.issue(sheet, i, "name", f"a choice in list '{list_name}' has no name")
                continue
            if (list_name, name) in seen and not allow_duplicates:
                self.issue(sheet, i, "name", f"choice '{name}' appears twice in list '{list_name}'; if that is "
                                             "meant, set allow_choice_duplicates to yes on the settings sheet")
                continue
            seen.add((list_name, name))
            extra = {k: v for k, v in row.items() if k not in {"list_name", "name", "label"} and isinstance(v, str)}
            lists.setdefault(list_name, []).append(Choice(name, row.get("label", {}), extra))
        return lists

    def _open_media(self, file_name: str):
        if self.media is None:
            return open(self.path.parent / file_name, newline="", encoding="utf-8-sig")
        if file_name not in self.media:
            raise FileNotFoundError(file_name)
        return io.StringIO(self.media[file_name].decode("utf-8-sig"), newline="")

    def attachment_rows(self, name: str, row: int | None, column: str) -> list[dict]:
        """The rows of NAME.csv beside the form, for instance('NAME') and pulldata('NAME', ...)."""
        file_name = f"{name}.csv"
        if not _NAME.match(name):
            self.issue("survey", row, column, f"'{name}' is not a plain attachment name")
            return []
        try:
            with self._open_media(file_name) as fh:
                rows = [{k: v or "" for k, v in rec.items() if k} for rec in csv.DictReader(fh)]
        except FileNotFoundError:
            self.issue("survey", row, column, f"instance('{name}') reads {file_name}, which is missing; "
                                              "put it beside the form")
            return []
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.issue("survey", row, column, f"the attachment {file_name} cannot be read ({type(exc).__name__})")
            return []
        if file_name not in self.media_used:
            self.media_used.append(file_name)
        return rows

    def xml_attachment_rows(self, name: str, row: int) -> list[dict]:
        """The items of NAME.xml beside the form (an ``xml-external`` row), for instance('NAME')."""
        file_name = f"{name}.xml"
        if not _NAME.match(name):
            self.issue("survey", row, "name", f"'{name}' is not a plain attachment name")
            return []
        try:
            with self._open_media(file_name) as fh:
                rows = xml_items(fh.read().encode("utf-8"))
        except FileNotFoundError:
            self.issue("survey", row, "name", f"the xml-external row reads {file_name}, which is missing; "
                                              "put it beside the form")
            return []
        except ValueError as exc:
            self.issue("survey", row, "name", f"the XML attachment {file_name} cannot be used: {exc}"[:300])
            return []
        except (OSError, UnicodeDecodeError) as exc:
            self.issue("survey", row, "name", f"the attachment {file_name} cannot be read ({type(exc).__name__})")
            return []
        if file_name not in self.media_used:
            self.media_used.append(file_name)
        return rows

    def file_choices(self, file_name: str, params: dict, row: int) -> list[Choice]:
        value_col, label_col = params.get("value", "name"), params.get("label", "label")
        if "/" in file_name or "\\" in file_name or file_name.startswith("."):
            self.issue("survey", row, "type", f"the choices file {file_name} must be a plain file name beside the form")
            return []
        try:
            with self._open_media(file_name) as fh:
                if file_name not in self.media_used:
                    self.media_used.append(file_name)
                if file_name.lower().endswith(".geojson"):
                    return geojson_choices(json.load(fh), params)
                if file_name.lower().endswith(".xml"):
                    return xml_choices(fh.read().encode("utf-8"), params)
                return self.csv_choices(csv.DictReader(fh), file_name, value_col, label_col, row)
        except FileNotFoundError:
            self.issue("survey", row, "type", f"the choices file {file_name} is missing; put it beside the form")
        except ValueError as exc:  # GeoJSON or XML that is not, or not a list of features or items
            what = "XML items" if file_name.lower().endswith(".xml") else "GeoJSON features"
            self.issue("survey", row, "type", f"the choices file {file_name} is not {what} ({exc})"[:300])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.issue("survey", row, "type", f"the choices file {file_name} cannot be read ({type(exc).__name__})")
        return []

    def csv_choices(self, reader: csv.DictReader, file_name: str, value_col: str, label_col: str,
                    row: int) -> list[Choice]:
        out = []
        for rec in reader:
            if rec.get(value_col) in (None, ""):
                continue
            extra = {k: v for k, v in rec.items() if k not in (value_col, label_col) and k}
            out.append(Choice(rec[value_col], {"default": rec.get(label_col) or rec[value_col]}, extra))
        if value_col not in (reader.fieldnames or []):
            self.issue("survey", row, "type", f"{file_name} has no '{value_col}' column")
        return out

    def survey(self, rows: list[dict], lists: dict[str, list[Choice]]) -> Question:
        root = Question(name="", type="group", row=None)
        stack = [root]
        for i, raw in self.expand_loops(list(enumerate(rows, start=2)), lists):
            row = self.read_row("survey", raw)
            if not row:
                continue
            self.check_columns(row, i)
            typed = self.row_type(row, i)
            if typed is None:
                continue
            kind, list_name, or_other = typed
            if kind in ("end_group", "end_repeat"):
                self.close_group(stack, kind, row["type"], i)
                continue
            name = self.row_name(row, kind, i)
            if name is None:
                continue
            q = self.question(row, kind, name, i)
            q.or_other = or_other
            self.attach_choices(q, list_name, lists, i)
            self.place(q, stack, i)
        for open_group in stack[1:]:
            self.issue("survey", open_group.row, "type", f"{open_group.type} '{open_group.name}' is never closed")
        return root

    def expand_loops(self, rows: list[tuple[int, dict]], lists: dict[str, list[Choice]]) -> list[tuple[int, dict]]:
        """'begin loop over LIST' … 'end loop': the rows between, once per choice of LIST, as the
        reference converter expands them: a group per choice, %(name)s and %(label)s in every cell
        replaced by the choice's. Names must be unique here, so each copy of a question is named
        NAME_CHOICE, and ${NAME} of a question in the loop reads that copy."""
        out: list[tuple[int, dict]] = []
        k = 0
        while k < len(rows):
            i, raw = rows[k]
            list_name = loop_list(raw)
            if list_name is None:
                out.append((i, raw))
                k += 1
                continue
            end = next((j for j in range(k + 1, len(rows)) if raw_type(rows[j][1]) == "end loop"), None)
            body = rows[k + 1:end] if end is not None else []
            if end is None or list_name not in lists or any(loop_list(r) for _, r in body):
                what = (f"list '{list_name}' is not on the choices sheet" if list_name not in lists else
                        "a loop inside a loop is not supported" if end is not None else "the loop is never closed")
                self.issue("survey", i, "type", what)
                k = len(rows) if end is None else end + 1
                continue
            out += self.loop_rows(i, raw, body, rows[end][0], lists[list_name])
            k = end + 1
        return out

    def loop_rows(self, i: int, raw: dict, body: list[tuple[int, dict]], end_row: int,
                  choices: list[Choice]) -> list[tuple[int, dict]]:
        name = str(raw_get(raw, "name") or f"loop_row{i}")
        names = {str(raw_get(r, "name")) for _, r in body if raw_get(r, "name")}
        out = [(i, {"type": "begin group", "name": name, **{k: v for k, v in raw.items() if is_label(k)}})]
        for choice in choices:
            suffix = f"_{choice.name}"
            out.append((i, {"type": "begin group", "name": name + suffix, "label": choice.label(None)}))
            for r, cells in body:
                out.append((r, {k: loop_cell(k, v, choice, names, suffix) for k, v in cells.items()}))
            out.append((end_row, {"type": "end group"}))
        out.append((end_row, {"type": "end group"}))
        return out

    def check_columns(self, row: dict, i: int) -> None:
        for column in row:
            if column not in SURVEY_COLUMNS and not column.startswith("$") and not column.startswith("_"):
                self.warn("survey", i, column, f"column '{column}' is not supported and is ignored")

    def row_type(self, row: dict, i: int) -> tuple[str, str | None, bool] | None:
        """The row's (type, list name, or_other), or None for a row that makes no question:
        a comment, a declaration, or a row already reported."""
        raw_type = row.get("type", "")
        if not raw_type:
            if row.get("name") or row.get("label"):
                self.issue("survey", i, "type", "the row has no type")
            return None  # otherwise a row that carries only comments, as the reference converter allows
        kind, list_name, or_other = self.parse_type(raw_type, i)
        if kind == "unsupported":
            what = f"question '{row['name']}'" if row.get("name") else "this row"
            self.issue("survey", i, "type", f"{what} of type '{raw_type}' cannot run in Fieldbook: "
                                            f"{UNSUPPORTED[list_name]}")
        elif kind in ("csv-external", "xml-external"):
            ending = kind.split("-")[0]
            if not row.get("name"):
                self.issue("survey", i, "name", f"a {kind} row needs the attachment's name (without .{ending})")
            elif row["name"] in self.declared:
                self.issue("survey", i, "name", f"the attachment '{row['name']}' is already declared in row "
                                                f"{self.declared[row['name']]}; one name, one attachment")
            else:
                self.declared[row["name"]] = i
                if kind == "xml-external":
                    self.declared_xml.add(row["name"])
        elif kind == "audit":
            self.warn("survey", i, "type", "the audit log is not recorded; the form runs without it")
        elif kind in ("start-geopoint", "background-geopoint"):
            self.warn("survey", i, "type", f"a laptop has no GPS: '{row.get('name', '')}' ({kind}) is saved empty")
            return kind, list_name, or_other
        elif kind is not None:
            return kind, list_name, or_other
        return None

    def close_group(self, stack: list[Question], kind: str, raw_type: str, i: int) -> None:
        want = "group" if kind == "end_group" else "repeat"
        if len(stack) == 1 or stack[-1].type != want:
            self.issue("survey", i, "type", f"'{raw_type}' does not close an open {want}")
        else:
            stack.pop()

    def row_name(self, row: dict, kind: str, i: int) -> str | None:
        name = row.get("name", "")
        if not name and kind == "note":
            return f"_note_row{i}"  # a note needs no name: it stores nothing, and nothing can refer to it
        if not name:
            self.issue("survey", i, "name", f"a '{row['type']}' row needs a name")
            return None
        if not _NAME.match(name):
            self.issue("survey", i, "name", f"'{name}' is not a valid name: start with a letter or '_', then letters, digits, '_', '-' or '.'")
            return None
        return name

    def question(self, row: dict, kind: str, name: str, i: int) -> Question:
        q = Question(name=name, type={"begin_group": "group", "begin_repeat": "repeat"}.get(kind, kind), row=i)
        q.labels = row.get("label", {})
        q.hints = row.get("hint", {})
        q.required = self.flag(row.get("required"), "survey", i, "required")
        q.required_message = row.get("required_message", {})
        q.relevant = self.expr(row.get("relevant"), "survey", i, "relevant")
        q.constraint = self.expr(row.get("constraint"), "survey", i, "constraint")
        q.constraint_message = row.get("constraint_message", {})
        q.calculation = self.expr(row.get("calculation"), "survey", i, "calculation")
        q.default = row.get("default")
        q.read_only = self.flag(row.get("read_only"), "survey", i, "read_only")
        q.choice_filter = self.expr(row.get("choice_filter"), "survey", i, "choice_filter")
        q.appearance = row.get("appearance")
        q.parameters = self.parameters(row.get("parameters"), i)
        q.sensitive = self.yes_no(row.get("sensitive"), i, "sensitive")
        q.hxl = row.get("hxl")
        if q.hxl and not _HXL.match(q.hxl):
            self.issue("survey", i, "hxl", f"'{q.hxl}' is not an HXL hashtag; write it like #affected+children")
        if q.type == "repeat":
            q.repeat_count = self.expr(row.get("repeat_count"), "survey", i, "repeat_count")
        elif row.get("repeat_count"):
            self.issue("survey", i, "repeat_count", "repeat_count only applies to begin_repeat rows")
        if q.type == "calculate" and q.calculation is None and "calculation" not in row:
            self.issue("survey", i, "calculation", f"calculate '{name}' needs a calculation")
        if q.type == "range":
            self.check_range(q, i)
        self.randomize(q, i)
        return q

    def randomize(self, q: Question, i: int) -> None:
        """parameters randomize=true [seed=${x}] on a select: its choices are shuffled, as Collect does."""
        flag = q.parameters.get("randomize", "").lower()
        if not flag and "seed" not in q.parameters:
            return
        if flag not in ("true", "false", "yes", "no"):
            self.issue("survey", i, "parameters", "randomize must be true or false")
            return
        q.randomize = flag in ("true", "yes")
        if "seed" in q.parameters:
            if not q.randomize:
                self.issue("survey", i, "parameters", "seed only applies with randomize=true")
                return
            q.randomize_seed = self.expr(q.parameters["seed"], "survey", i, "parameters")

    def attach_choices(self, q: Question, list_name: str | None, lists: dict[str, list[Choice]], i: int) -> None:
        if q.type == "select_one_external":
            # Choices come from the external_choices sheet; the question then runs as a select_one.
            q.type, q.list_name = "select_one", list_name
            if list_name not in self.external:
                self.issue("survey", i, "type", f"list '{list_name}' is not on the external_choices sheet")
            q.choices = list(self.external.get(list_name, []))
        elif q.type in ("select_one", "select_multiple", "rank"):
            q.list_name = list_name
            if list_name not in lists:
                self.issue("survey", i, "type", f"list '{list_name}' is not on the choices sheet")
            q.choices = list(lists.get(list_name, []))
            if q.or_other and not any(c.name == "other" for c in q.choices):
                q.choices.append(Choice("other", self.translated("Other", "Інше")))
        elif q.type in ("select_one_from_file", "select_multiple_from_file"):
            q.list_name = list_name
            q.choices = self.file_choices(list_name, q.parameters, i)

    def place(self, q: Question, stack: list[Question], i: int) -> None:
        """Put ``q`` in the open group, and its "specify other" text question after it."""
        q.parent = stack[-1]
        q.path = f"{stack[-1].path}/{q.name}".lstrip("/")
        stack[-1].children.append(q)
        if q.is_group:
            stack.append(q)
        if q.or_other:
            other = Question(name=f"{q.name}_other", type="text", row=i, labels=self.translated("Specify other.", "Уточніть інше."))
            other.relevant = xpath.parse(f"selected(${{{q.name}}}, 'other')")
            other.parent, other.path = stack[-1], f"{stack[-1].path}/{q.name}_other".lstrip("/")
            stack[-1].children.append(other)

    def parse_type(self, raw: str, row: int) -> tuple[str | None, str | None, bool]:
        """(type, list name, or_other); (None, ...) after reporting a type that is not valid.

        A type Fieldbook knows but cannot run comes back as ("unsupported", spelling, False),
        so that the caller can name the question too.
        """
        text = re.sub(r"\s+", " ", raw.strip())
        lowered = text.lower()
        if lowered in ALIASES:
            return ALIASES[lowered], None, False
        head = lowered.split(" ")[0]
        if head == "osm" and len(lowered.split(" ")) <= 2:
            # 'osm TAGS': the tags list is for Collect's mapping app to show; the answer is the file
            return "osm", (text.split(" ") + [None])[1], False
        for spelling in (lowered, " ".join(lowered.split(" ")[:2]), head):
            if UNSUPPORTED.get(spelling):
                return "unsupported", spelling, False
        phrase = next((p for p in sorted(SELECT_ALIASES, key=len, reverse=True) if lowered.startswith(p + " ")), None)
        if phrase is None:
            if lowered in SELECT_ALIASES:
                self.issue("survey", row, "type", f"'{raw}' needs a list name (e.g. '{SELECT_ALIASES[lowered]} yes_no')")
            else:
                self.issue("survey", row, "type", f"question type '{raw}' is not supported")
            return None, None, False
        kind, rest = SELECT_ALIASES[phrase], text[len(phrase) + 1:]
        or_other = False
        for suffix in OR_OTHER:
            if rest.lower() == suffix or rest.lower().endswith(" " + suffix):
                rest, or_other = rest[:-len(suffix)].rstrip(), True
                break
        if not rest or " " in rest:
            self.issue("survey", row, "type", f"'{raw}' is not a valid select type: write '{kind} list_name', "
                                              "optionally followed by 'or_other'")
            return None, None, False
        if or_other and kind not in ("select_one", "select_multiple"):
            self.issue("survey", row, "type", f"or_other is not supported with {kind}")
        return kind, rest, or_other

    def parameters(self, text: str | None, row: int) -> dict[str, str]:
        if not text:
            return {}
        out = {}
        for part in re.split(r"[\s;,]+", text.strip()):
            if not part:
                continue
            if "=" not in part:
                self.issue("survey", row, "parameters", f"'{part}' should look like key=value")
                continue
            key, value = part.split("=", 1)
            out[key.strip().lower()] = value.strip()
        return out

    def check_range(self, q: Question, row: int) -> None:
        try:
            start = float(q.parameters.get("start", 1))
            end = float(q.parameters.get("end", 10))
            step = float(q.parameters.get("step", 1))
        except ValueError:
            self.issue("survey", row, "parameters", "range start, end and step must be numbers")
            return
        if step <= 0 or end <= start:
            self.issue("survey", row, "parameters", "a range needs start < end and a positive step")

    def settings(self, rows: list[dict]) -> tuple[dict[str, str], dict[str, str]]:
        """The settings row, and the form's title per language ({language: title})."""
        if not rows:
            return {}, {}
        row: dict[str, str] = {}
        titles: dict[str, str] = {}
        for header, value in rows[0].items():
            if value is None or header is None:
                continue
            header = str(header)
            base, lang = _split_header(header)
            if base in TITLE_COLUMNS and (lang is not None or ":" in header or base != "form_title"):
                self.title_column(header, base, lang, str(value).strip(), titles)
                continue
            if lang is not None and base in SETTINGS:
                self.issue("settings", 2, header, f"'{base}' has one value for every language; only form_title "
                                                  "is translated, in columns like form_title::Українська (uk)")
                continue
            if base not in SETTINGS:
                self.warn("settings", 2, base, f"setting '{base}' is not supported and is ignored")
                continue
            row[base] = str(value).strip()
        return row, titles

    def title_column(self, header: str, base: str, lang: str | None, text: str, titles: dict[str, str]) -> None:
        """One translated title column (the survey sheet is read first, so the form's languages are known)."""
        if not lang:
            self.issue("settings", 2, header, "the column names no language; write it like form_title::Українська (uk)")
            return
        if lang not in self.languages:
            known = f"the form's languages are: {', '.join(self.languages)}" if self.languages else \
                "the form has no label::<language> columns"
            self.issue("settings", 2, header, f"no label column is in '{lang}'; {known}")
            return
        if base == "form_title":
            # The reference converter expects one title text and stops on this column; the other
            # spelling carries the same title and is ignored there, so the workbook stays portable.
            self.warn("settings", 2, header, "other XLSForm tools cannot convert a workbook with a translated "
                                             f"form_title yet; name the column form_title_translation::{lang} "
                                             "to keep the form portable")
        if text:
            titles[lang] = text


def _check_references(b: _Builder, form: Form) -> None:
    names = set(form.questions)
    for q in form.walk():
        for column in ("relevant", "constraint", "calculation", "choice_filter", "repeat_count", "required",
                       "read_only", "randomize_seed"):
            expr = getattr(q, column)
            if expr is None:
                continue
            for ref in sorted(expr.references - names):
                where = "parameters" if column == "randomize_seed" else column
                b.issue("survey", q.row, where, _unknown_reference(form, ref))
    for q in form.walk():
        # ${field} in a label or hint is shown with the field's value: it must exist too.
        for column, texts in (("label", q.labels), ("hint", q.hints)):
            for lang, text in texts.items():
                for ref in sorted(set(FIELD_REFERENCE.findall(text)) - names):
                    header = column if lang == "default" else f"{column}::{lang}"
                    b.issue("survey", q.row, header, _unknown_reference(form, ref))
    if form.instance_name is not None:
        for ref in sorted(form.instance_name.references - names):
            b.issue("settings", 2, "instance_name", _unknown_reference(form, ref))


def _check_cycles(b: _Builder, form: Form) -> None:
    """Refuse at load what the engine could not order (so a form that loads always opens)."""
    from .engine import CyclicForm, _Graph

    try:
        _Graph(form)
    except CyclicForm as exc:
        cycle = [form.questions[n] for n in exc.names if n in form.questions]
        b.issue("survey", *_cycle_issue(form, cycle))


def _cycle_issue(form: Form, cycle: list[Question]) -> tuple[int | None, str | None, str]:
    """(row, column, message) for questions in a circle; a group read by its own answers is named."""
    for group in (g for g in cycle if g.is_group):
        inside = [q for q in cycle if q is not group and form.inside(q.name, group)]
        if inside:
            inner = next((q for q in inside if not q.is_group), inside[0])
            return group.row, "relevant", (f"{group.type} '{group.xls_name or group.name}' is shown only by an "
                                           f"answer inside it ('{inner.xls_name or inner.name}'); a group cannot "
                                           "depend on its own questions")
    shown = ", ".join(q.xls_name or q.name for q in cycle)
    return cycle[0].row if cycle else None, None, f"these questions depend on each other in a circle: {shown}"


def _choice_rows(choices: list[Choice], lang: str | None) -> list[dict]:
    return [{**c.columns, "name": c.name, "label": c.label(lang)} for c in choices]


def _instances(b: _Builder, form: Form, lists: dict[str, list[Choice]]) -> dict[str, list[dict]]:
    """Every choice list, every CSV attachment that an expression or a csv-external row names,
    and every XML attachment an xml-external row names (it takes its name from a choice list)."""
    found = {name: _choice_rows(choices, form.default_language) for name, choices in {**b.external, **lists}.items()}
    for q in form.walk():
        if q.type in ("select_one_from_file", "select_multiple_from_file") and q.list_name:
            # instance('towns') reads the choices of select_one_from_file towns.csv, as in Collect
            found.setdefault(q.list_name.rsplit(".", 1)[0], _choice_rows(q.choices, None))
    wanted = dict(b.declared)
    for q in form.walk():
        for column in ("relevant", "constraint", "calculation", "choice_filter", "repeat_count", "required", "read_only"):
            expr = getattr(q, column)
            for name in sorted(expr.instances) if expr is not None else ():
                wanted.setdefault(name, q.row)
    for name in sorted(b.declared_xml):  # declared, so read (and published with the form) even if unused
        if name in found:
            b.issue("survey", b.declared[name], "name", f"'{name}' names both a choice list and this XML "
                                                        "attachment; instance('{name}') must mean one of them")
        else:
            found[name] = b.xml_attachment_rows(name, b.declared[name])
    for name, row in wanted.items():
        if name not in found:
            found[name] = b.attachment_rows(name, row, "type" if name in b.declared else "calculation")
    return found


def _index(b: _Builder, root: Question) -> tuple[dict[str, Question], dict[str, list[Question]]]:
    """Every question by its key, and the names written in two or more groups.

    The reference standard allows a name to repeat in different groups (the instance paths
    differ) but not twice in one group. A repeated name's questions are keyed by their group
    paths (``household/age``); every other question keeps its name as its key, so a form
    without repeated names, and its records, are unchanged."""
    by_name: dict[str, list[Question]] = {}
    for q in root.walk():
        by_name.setdefault(q.name, []).append(q)
    repeated = {name: qs for name, qs in by_name.items() if len(qs) > 1 and _distinct_groups(b, qs)}
    for qs in repeated.values():
        for q in qs:
            q.xls_name, q.name = q.name, q.path
            if len(q.name) > 200:
                b.issue("survey", q.row, "name", f"the name '{q.xls_name}' is used in more than one group, and "
                                                 "its group path is over 200 characters; rename it")
    for qs in repeated.values():
        for q in qs:
            if q.or_other:
                _rekey_other(q)
    return {q.name: q for q in root.walk()}, repeated


def _distinct_groups(b: _Builder, qs: list[Question]) -> bool:
    """Whether questions of one name are all in different groups; reports those that are not."""
    first_in: dict[int, Question] = {}
    fine = True
    for q in qs:
        first = first_in.setdefault(id(q.parent), q)
        if first is not q:
            where = "the form" if q.parent is None or not q.parent.name else f"group '{q.parent.name}'"
            b.issue("survey", q.row, "name", f"the name '{q.name}' is already used on row {first.row} in "
                                             f"{where}; names must be unique within a group")
            fine = False
    return fine


def _rekey_other(select: Question) -> None:
    """The "specify other" question of a select keyed by its path reads the select by that key."""
    siblings = select.parent.children if select.parent is not None else []
    for other in siblings:
        if (other.xls_name or other.name) == f"{select.xls_name}_other" and other.row == select.row:
            other.relevant = xpath.parse(f"selected(${{{select.name}}}, 'other')")


def _unknown_reference(form: Form, ref: str) -> str:
    if ref in form.repeated:
        rows = ", ".join(str(q.row) for q in form.repeated[ref])
        return (f"${{{ref}}} is ambiguous: questions in different groups are named '{ref}' (rows {rows}); "
                "rename one of them")
    return f"${{{ref}}} refers to a question that does not exist"


def _pyxform_pass(b: _Builder, definition) -> None:
    """Let the reference implementation check what it checks, reported in our shape."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    try:
        workbook_to_json(workbook_dict=definition, form_name="data", fallback_form_name="data", warnings=[])
    except PyXFormError as exc:
        text = str(exc)
        m = re.match(r"\[row : (\d+)\]\s*(.*)", text, flags=re.S)
        row = int(m.group(1)) if m else None
        message = m.group(2) if m else text
        sheet = "choices" if "'choices' sheet" in message else "settings" if "'settings' sheet" in message else "survey"
        col = re.search(r"the '([a-z_:]+)' (?:value|column)", message)
        b.issue(sheet, row, col.group(1) if col else None, message.strip())


def _allows_choice_duplicates(settings) -> bool:
    for header, value in (list(settings or []) or [{}])[0].items():
        if header is not None and _split_header(str(header))[0] == "allow_choice_duplicates":
            return str(value).strip().lower() in _YES
    return False


def load_form(path: str | Path) -> Form:
    """Read and validate an XLSForm. Raises MalformedForm listing every problem found.
    CSV choice files (``select_one_from_file``) are read from beside it."""
    path = Path(path)
    if not path.exists():
        raise UnreadableForm(f"{path} does not exist.")
    return _load(str(path), _Builder(path))


def load_form_bytes(xlsx: bytes, *, name: str = "form.xlsx", media: dict[str, bytes] | None = None) -> Form:
    """The same, from memory: a published form as the hub sent it, with its CSV choice
    files in ``media``. Nothing is written to disk."""
    return _load(xlsx, _Builder(Path(name), media or {}))


def _load(source: str | bytes, b: _Builder) -> Form:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    path = b.path
    try:
        definition = get_xlsform(xlsform=source)
    except (PyXFormError, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise UnreadableForm(f"{path} cannot be read as an XLSForm ({type(exc).__name__}); save it as .xlsx and try again.") from None
    if not definition.survey:
        raise MalformedForm(str(path), [Issue("survey", None, None, "the workbook has no 'survey' sheet, or it is empty")])
    allow_duplicates = _allows_choice_duplicates(definition.settings)
    lists = b.choices(list(definition.choices or []), allow_duplicates=allow_duplicates)
    # External choices are cascades filtered by choice_filter: the same name under two parents (a
    # town in two districts) is normal there, and the reference converter does not refuse it.
    b.external = b.choices(list(definition.external_choices or []), "external_choices", True)
    root = b.survey(list(definition.survey), lists)
    settings, titles = b.settings(list(definition.settings or []))
    form = Form(
        form_id=settings.get("form_id") or path.stem,
        version=settings.get("version") or "1",
        title=settings.get("form_title") or titles.get(settings.get("default_language") or "")
        or settings.get("form_id") or path.stem,
        titles=titles,
        default_language=settings.get("default_language"),
        languages=b.languages,
        instance_name=b.expr(settings.get("instance_name"), "settings", 2, "instance_name"),
        root=root,
        source=str(path),
    )
    if form.default_language and b.languages and form.default_language not in b.languages:
        # The reference converter marks no language as the default then, and Collect opens the
        # form in its first language: so does Fieldbook, and says so.
        b.warn("settings", 2, "default_language", f"default language '{form.default_language}' has no label "
                                                  f"column, so the form opens in '{b.languages[0]}' "
                                                  f"(languages: {', '.join(b.languages)})")
        form.default_language = None
    form.questions, form.repeated = _index(b, root)
    _resolve_paths(b, form)
    form.instances = _instances(b, form, lists)
    _check_references(b, form)
    if not b.issues:
        _check_cycles(b, form)
    if not b.issues:
        _pyxform_pass(b, definition)
    if b.issues:
        raise MalformedForm(str(path), b.issues)
    form.warnings = b.warnings
    form.media = list(b.media_used)
    return form
