"""A record shown the way its form shows it, read-only, and its history in words.

The pieces are separate so that every screen that shows answers uses the same ones:

- ``answer_text``: one stored answer as a person reads it (choice labels, not codes);
- ``record_sections``: the answers in the form's order, groups and repeat entries as sections;
- ``sections_html``: those sections for a read-only text pane;
- ``history_lines``: the audit log of one record in words (who, which laptop, when, what);
- ``RecordDialog``: both panes, side by side, each reached with Tab; under the answers, the
  record's files: photos as thumbnails, other files by name and size (gui/media_view.py).

Texts come in the interface language, else the form's default language (``Form.text_in``).
A record whose form is not on this laptop still shows, by field names.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import orjson
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QScrollArea, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from forms.media import ATTACHMENT_KIND
from forms.model import INPUT_TYPES, SELECT_TYPES, Form, Question
from rules.names import DRAFT, DRAFT_FILE

from .attribution import stamp_time, when_text, who_text
from .context import record_time
from .i18n import tr
from .media_view import FilesPanel, FileSource, record_file_list


@dataclass
class Section:
    """A titled part of a record: answers ``(label, text)`` and sub-sections, in the form's order."""

    title: str
    rows: list = field(default_factory=list)  # (label, text) or Section

    def empty(self) -> bool:
        return not self.rows


def question_label(form: Form | None, name: str, lang: str | None) -> str:
    """A question's label (its name when the form or the question is unknown)."""
    q = form.questions.get(name) if form is not None else None
    if q is None:
        return name
    return form.text_in(q.labels, lang) or q.xls_name or name


def answer_text(q: Question | None, value, form: Form | None, lang: str | None) -> str:
    """A stored value as a person reads it: choice labels for choices, Yes/No, a count of repeat entries."""
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            return tr("{n} entries").format(n=len(value))
        return ", ".join(answer_text(q, v, form, lang) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if value is None:
        return ""
    if q is not None and form is not None:
        if q.type == "acknowledge":
            return tr("Yes") if value else ""
        if q.type in SELECT_TYPES and isinstance(value, str):
            by_code = {c.name: c for c in q.choices}
            codes = value.split() if q.type.startswith("select_multiple") else [value]
            return ", ".join(form.text_in(by_code[c].labels, lang) or c if c in by_code else c for c in codes)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(q: Question) -> bool:
    """Questions the form shows an answer for (not notes, calculations or metadata)."""
    return q.type in INPUT_TYPES


def record_sections(form: Form | None, fields: dict, lang: str | None) -> list[Section]:
    """The answers as sections: the top level first (untitled), then each group and repeat
    entry where the form puts it. Answers the form does not know (a newer version's, say)
    come last under "Other answers", by field name."""
    top = Section("")
    used: set[str] = set()
    if form is not None:
        _fill(top, form.root, fields, form, lang, used)
    other = Section(tr("Other answers"))
    for name, value in fields.items():
        if name in used or name.startswith("_") or (form is not None and name in form.questions):
            continue
        text = answer_text(None, value, form, lang)
        if text.strip():
            other.rows.append((name, text))
    return [s for s in (top, other) if not s.empty()]


def _fill(section: Section, group: Question, data: dict, form: Form, lang: str | None, used: set[str]) -> None:
    for child in group.children:
        label = form.text_in(child.labels, lang) or child.xls_name or child.name  # its own name, not head/age
        if child.is_repeat:
            entries = data.get(child.name)
            used.add(child.name)
            if not isinstance(entries, list) or not entries:
                continue
            # Each entry is a section of its own ("Household member 2"): a heading for the repeat
            # above them would only say the same again.
            for k, entry in enumerate(entries, 1):
                part = Section(tr("{label} {n}").format(label=label, n=k))
                _fill(part, child, entry if isinstance(entry, dict) else {}, form, lang, set())
                section.rows.append(part)
        elif child.is_group:
            part = Section(label)
            _fill(part, child, data, form, lang, used)
            if not part.empty():
                section.rows.append(part)
        elif _shown(child) and child.name in data:
            used.add(child.name)
            text = answer_text(child, data[child.name], form, lang)
            if text.strip():
                section.rows.append((label, text))


def sections_html(sections: list[Section]) -> str:
    """Rich text for a QTextBrowser: a heading per section (larger at the top level), then a
    two-column table of question and answer. Every value is escaped."""
    out: list[str] = []

    def emit(section: Section, depth: int) -> None:
        if section.title:
            # Sizes relative to the pane's font (the system's), never fixed.
            size = "large" if depth == 0 else "medium"
            out.append(f'<p style="font-size: {size}; font-weight: 600; margin-top: 12px; margin-bottom: 2px">'
                       f"{html.escape(section.title)}</p>")
        table: list[str] = []

        def flush() -> None:
            if table:
                out.append('<table width="100%" cellspacing="0" cellpadding="3">' + "".join(table) + "</table>")
                table.clear()

        for row in section.rows:
            if isinstance(row, Section):
                flush()
                emit(row, depth + 1)
            else:
                label, text = row
                table.append(f'<tr><td width="45%" style="color:#555">{html.escape(label)}</td>'
                             f"<td>{html.escape(text).replace(chr(10), '<br>')}</td></tr>")
        flush()

    for s in sections:
        emit(s, 0)
    return "".join(out) or f"<p>{html.escape(tr('No answers.'))}</p>"


def _fields_text(form: Form | None, names, lang: str | None) -> str:
    return ", ".join(question_label(form, n, lang) for n in names if not n.startswith("_"))


def history_lines(record_id: str, history: list, form: Form | None, lang: str | None,
                  this_device: str) -> list[tuple[str, str, str]]:
    """One ``(when, who, what)`` per event of a record's history (``Store.audit_entries(record_id)``),
    oldest first: when, who on which laptop, and what changed, by question label."""
    lines: list[tuple[float, tuple[str, str, str]]] = []

    def add(ts: float, who: str, what: str) -> None:
        lines.append((ts, (when_text(ts), who, what)))

    for e in history:
        local_ts = stamp_time(e.hlc)
        detail = e.detail or {}
        if e.origin is not None:  # came by sync from another laptop: its author when it carried one
            who = who_text(detail.get("author"), e.origin, this_device)
            changes = detail.get("changes")
            if changes:
                for c in changes:
                    if c.get("deleted"):
                        what = tr("Deleted")
                    else:
                        what = tr("Changed: {questions}").format(questions=_fields_text(form, c.get("fields", []), lang))
                    add(stamp_time(c.get("hlc", "")) or local_ts, who_text(c.get("author"), e.origin, this_device), what)
            elif e.origin:
                add(record_time(record_id) or local_ts, who, tr("Created"))
            else:  # written before the store kept the origin
                add(local_ts, who, tr("Changes received"))
            continue
        who = who_text(e.user_name, None, this_device, user_id=e.user_id)
        if e.action == "add":
            what = tr("Created")
        elif e.action == "edit":
            names = detail.get("fields")
            what = tr("Changed: {questions}").format(questions=_fields_text(form, names, lang)) if names else tr("Changed")
        elif e.action == "delete":
            what = tr("Deleted")
        elif e.action == "conflict_kept":
            what = tr("Conflict reviewed: kept the current value of {question}").format(
                question=question_label(form, detail.get("field", ""), lang))
        elif e.action == "conflict_restored":
            what = tr("Conflict reviewed: restored the other value of {question}").format(
                question=question_label(form, detail.get("field", ""), lang))
        else:
            what = tr("Other event ({name})").format(name=e.action)
        add(local_ts, who, what)
    lines.sort(key=lambda t: t[0])  # a change made elsewhere earlier arrives later: shown when it was made
    return [entry for _ts, entry in lines]


def record_title(form_title: str, name: str) -> str:
    """The record as the lists name it: its form, then its name (or a few answers)."""
    return tr("{form}: {name}").format(form=form_title, name=name) if name else form_title


class RecordDialog(QDialog):
    """A record's answers (left) and its history (right), read-only. Both panes take focus
    and Tab moves on from each (a text pane would otherwise keep Tab), so the keyboard reaches
    both and then Close."""

    def __init__(self, record, history: list, form: Form | None, lang: str | None, this_device: str,
                 title: str, parent: QWidget | None = None, ctx=None) -> None:
        super().__init__(parent)
        self.setObjectName("recordDialog")
        self.setWindowTitle(title)
        self.resize(980, 600)
        lay = QVBoxLayout(self)
        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(heading)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        self.answers = self._pane(split, tr("Answers"), "recordAnswers")
        self.answers.setHtml(sections_html(record_sections(form, record.fields, lang)))
        # Its photos as thumbnails, other files by name and size (gui/media_view.py), read from
        # the sealed parts on the store worker; a draft's from its own local parts.
        self.files = None
        files = record_file_list(form, record.fields, lang)
        if files and ctx is not None:
            kind = DRAFT_FILE if record.kind == DRAFT else ATTACHMENT_KIND
            source = FileSource(ctx, record.id, kind=kind, form_id=record.form_id, owner=self)
            self.files = FilesPanel(files, source)
            scroll = QScrollArea()
            scroll.setWidget(self.files)
            scroll.setWidgetResizable(True)
            scroll.setMaximumHeight(300)
            self.answers.parentWidget().layout().addWidget(QLabel(tr("Files")))
            self.answers.parentWidget().layout().addWidget(scroll)
        self.history = self._pane(split, tr("History"), "recordHistory")
        self.entries = history_lines(record.id, history, form, lang, this_device)
        self.history.setHtml("".join(
            f'<p style="margin-bottom: 8px"><b>{html.escape(when)}</b> · {html.escape(who)}<br>{html.escape(what)}</p>'
            for when, who, what in self.entries) or f"<p>{html.escape(tr('No history.'))}</p>")
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.answers.setFocus()

    @staticmethod
    def _pane(split: QSplitter, caption: str, name: str) -> QTextBrowser:
        holder = QWidget()
        v = QVBoxLayout(holder)
        v.setContentsMargins(0, 0, 0, 0)
        lab = QLabel(caption)
        v.addWidget(lab)
        pane = QTextBrowser()
        pane.setObjectName(name)
        pane.setOpenLinks(False)
        pane.setTabChangesFocus(True)
        pane.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        pane.setAccessibleName(caption)
        lab.setBuddy(pane)
        v.addWidget(pane, 1)
        split.addWidget(holder)
        return pane
