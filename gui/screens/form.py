"""Filling a form: sections for groups, repeats with add/remove, live relevance,
messages next to each question, a language switch, and auto-saved drafts.

Drafts are records of kind ``draft`` in the encrypted store (never a side file):
their fields are the answers so far (``Session.record()``), plus ``_editing``
when the draft edits a finished record. Every change is saved a moment after the
last keystroke (and at once on Ctrl+S, on leaving, on lock and on close), so a
crash or a dead battery loses at most that moment. Drafts are local-only records
(storage.LOCAL_KINDS): they never sync. Finalising writes the ``submission`` (or
edits the finished record) and deletes the draft, in one transaction, so the
outbox gets exactly the finished record's changes. Finalising the household
registration form registers a household instead (form_registration.py).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QComboBox, QFrame, QGroupBox, QHBoxLayout, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QScrollArea,
    QVBoxLayout, QWidget,
)

import forms
from distributions import regform
from exporting import save_submission
from forms import Question, Session, finalise, media
from forms.media import ATTACHMENT_KIND
from forms.model import MEDIA_TYPES, METADATA_TYPES
from rules.names import DRAFT_FILE
from storage.finalise import save_draft

from ..context import EDITING_FIELD, POSITION_FIELD, SEED_FIELD, Context
from ..errors import present
from ..focus import FollowFocus, tab_in_layout_order
from ..i18n import tr
from ..media_view import FileSource
from ..questions import Instance, QuestionRow
from .form_registration import RegistrationFinish, warm_up

AUTOSAVE_MS = 400
# Computed and metadata questions take no typing (the form library lists every metadata type).
NO_WIDGET = {"calculate", "hidden"} | METADATA_TYPES
LANGUAGE_NAMES = {"en": "English", "uk": "Українська"}


def lang_code(lang: str | None) -> str:
    """'English (en)' -> 'en'."""
    if lang and "(" in lang and lang.endswith(")"):
        return lang[lang.rindex("(") + 1 : -1]
    return lang or ""


class RepeatBox(QWidget):
    """The entries of one repeat, rebuilt when their number changes."""

    def __init__(self, screen: "FormScreen", q: Question, outer: Instance) -> None:
        super().__init__()
        self.screen, self.q, self.outer = screen, q, outer
        self.setObjectName(f"repeat_{q.name}")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.entries = QVBoxLayout()
        self.layout_.addLayout(self.entries)
        self.add_button = QPushButton()
        self.add_button.setObjectName(f"add_{q.name}")
        self.add_button.clicked.connect(self.on_add_clicked)
        self.layout_.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        # Only once it has a parent: showing a parentless button opens it as a window of
        # its own, which takes the keyboard away from the form.
        self.add_button.setVisible(q.repeat_count is None)
        self.built = -1
        self.heading: QLabel | None = None  # the section's title above the entries (set by the screen)
        self.rebuild()

    def rebuild(self) -> bool:
        """Rebuild the entries if their number changed; True when widgets were made anew."""
        n = self.screen.session.repeat_count(self.q.name, outer=self.outer)
        self.refresh_add_text()
        if n == self.built:
            return False
        self.screen.forget_rows_under(self.q, self.outer)
        self.entry_boxes: list[QGroupBox] = []
        while self.entries.count():
            item = self.entries.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for k in range(n):
            inst = self.outer + (k,)
            box = QGroupBox(self.entry_title(k, n))
            self.entry_boxes.append(box)
            box.setObjectName(f"entry_{self.q.name}_{k}")
            lay = QVBoxLayout(box)
            self.screen.build_children(self.q, inst, lay)
            if self.q.repeat_count is None:
                remove = QPushButton(tr("Remove this entry"))
                remove.setObjectName(f"remove_{self.q.name}_{k}")
                remove.clicked.connect(lambda _=False, k=k: self.on_remove_clicked(k))
                lay.addWidget(remove, 0, Qt.AlignmentFlag.AlignRight)
            self.entries.addWidget(box)
            box.show()  # added to a visible parent: Qt leaves it hidden otherwise
        self.built = n
        return True

    def entry_title(self, k: int, n: int) -> str:
        return tr("{label} — entry {n} of {total}").format(label=self.q.label(self.screen.session.lang), n=k + 1, total=n)

    def retranslate(self) -> None:
        """The form language changed: the heading, the entries' titles and the add button."""
        lang = self.screen.session.lang
        if self.heading is not None:
            self.heading.setText(self.q.label(lang))
        for k, entry in enumerate(self.entry_boxes):
            entry.setTitle(self.entry_title(k, len(self.entry_boxes)))
        self.refresh_add_text()

    def refresh_add_text(self) -> None:
        s = self.screen.session
        n = s.repeat_count(self.q.name, outer=self.outer)
        self.add_button.setText(tr("Add: {label}").format(
            label=s.label(self.q.name, index=self.outer + (0,)) if n else self.q.label(s.lang)))

    def on_add_clicked(self) -> None:
        self.screen.session.add_repeat(self.q.name, outer=self.outer)
        self.screen.after_change({self.q.name})

    def on_remove_clicked(self, k: int) -> None:
        self.screen.session.remove_repeat(self.q.name, k, outer=self.outer)
        self.built = -1
        self.screen.after_change({self.q.name})


class FormScreen(QWidget):
    """One interview. ``closed`` carries the id of a finalised record (or None)."""

    closed = Signal(object)
    finalised = Signal(str, str)  # record id, form id
    registered = Signal(str, str)  # household record id, card code (the registration form, instead of finalised)
    title_changed = Signal(str)   # the form's title, in the form language now shown

    def __init__(self, ctx: Context, form: forms.Form, *, answers: dict | None = None, draft_id: str | None = None,
                 editing: str | None = None, lang: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.form = ctx, form
        self.setObjectName("formScreen")
        # Shared with the store worker; plain data only. "files": the names of the files the
        # draft holds in the store (those a reopened draft's answers name, at first).
        self.media_questions = finalise.media_questions(form)
        self.draft = {"id": draft_id, "saved": None,
                      "files": set(media.answered_names(answers or {}, self.media_questions)) if draft_id else set()}
        self.editing = editing
        self.show_required = False
        # Where the draft was left (kept in the draft: drafts never leave the laptop).
        self.position: dict | None = (answers or {}).get(POSITION_FIELD)
        self._moved = False  # the keyboard went to another question since the last save
        # randomize() shuffles by the record's seed: the one kept in the draft, else the draft's or
        # the edited record's id, so a reopened draft shows its choices in the order it had.
        seed = (answers or {}).get(SEED_FIELD) or draft_id or editing
        answers = {k: v for k, v in (answers or {}).items() if k not in (EDITING_FIELD, POSITION_FIELD, SEED_FIELD)}
        user = ctx.store.user_name if ctx.store is not None else ""
        self.session = Session(form, answers, lang=lang or self._ui_language(), username=user or "",
                               device_id=ctx.store.device_id if ctx.store is not None else "", seed=seed)
        self.rows: dict[tuple[str, Instance], QuestionRow] = {}
        self.sections: dict[tuple[str, Instance], QWidget] = {}
        self.repeats: dict[tuple[str, Instance], RepeatBox] = {}
        # Questions whose answer sets how many entries a repeat has (directly or through a
        # calculation or relevance): their typed answers are committed, not sent per key, and
        # a change that would drop answered entries is asked about first.
        counted = {q.name for q in form.walk() if q.is_repeat and q.repeat_count is not None}
        self.count_drivers = {q.name for q in form.walk()
                              if not q.is_group and counted & set(self.session.graph.affected([q.name]))}
        self._asking: tuple | None = None  # (name, instance) while its drop is being confirmed
        self._dirty = False
        self.registration: RegistrationFinish | None = None  # the registration form's last Finalise
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_draft)
        self._build()
        if regform.is_registration(form.form_id) and ctx.store is not None:
            warm_up(self)  # the registry its Finalise checks against, read while the form is filled
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.on_save_clicked)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.on_finalise_clicked)

    def _ui_language(self) -> str | None:
        want = self.ctx.prefs.language
        for lang in self.form.languages:
            if lang_code(lang) == want:
                return lang
        return None

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.title = QLabel(self.form.title_in(self.session.lang or self.ctx.prefs.language))
        self.title.setObjectName("screenTitle")
        bar.addWidget(self.title, 1)
        if len(self.form.languages) > 1:
            lab = QLabel(tr("Form language:"))
            bar.addWidget(lab)
            self.lang_box = QComboBox()
            self.lang_box.setObjectName("formLanguage")
            lab.setBuddy(self.lang_box)
            for lang in self.form.languages:
                self.lang_box.addItem(LANGUAGE_NAMES.get(lang_code(lang), lang), lang)
            self.lang_box.setCurrentIndex(max(0, self.form.languages.index(self.session.lang)) if self.session.lang in self.form.languages else 0)
            self.lang_box.currentIndexChanged.connect(self.on_language_changed)
            bar.addWidget(self.lang_box)
        outer.addLayout(bar)
        self.status = QLabel()
        self.status.setObjectName("formStatus")
        outer.addWidget(self.status)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Not a Tab stop of its own: Tab goes from question to question, and the scroll
        # area follows the focus (it scrolls the focused question into view).
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        body.setObjectName("formBody")
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(4, 4, 16, 4)
        self.build_children(self.form.root, (), self.body_layout)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(body)
        self.follow = FollowFocus(self.scroll, self.question_of)
        self.follow.moved.connect(self.on_question_focused)
        outer.addWidget(self.scroll, 1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(tr("Save draft (Ctrl+S)"))
        self.save_button.setObjectName("saveDraft")
        self.save_button.clicked.connect(self.on_save_clicked)
        self.close_button = QPushButton(tr("Close"))
        self.close_button.clicked.connect(self.on_close_clicked)
        self.finalise_button = QPushButton(tr("Finalise (Ctrl+Enter)"))
        self.finalise_button.setObjectName("finalise")
        self.finalise_button.setDefault(True)
        self.finalise_button.clicked.connect(self.on_finalise_clicked)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.finalise_button)
        outer.addLayout(buttons)
        self.refresh_all()
        self.fix_tab_order()

    def question_of(self, widget: QWidget) -> QWidget:
        """The question row (label, hint, editor, message) that ``widget`` belongs to."""
        w = widget
        while w is not None and not isinstance(w, QuestionRow):
            w = w.parentWidget()
        return w or widget

    def fix_tab_order(self) -> None:
        """Tab in reading order, also through entries and choices built after the form opened."""
        for row in self.rows.values():
            row.rebuilt = False
        tab_in_layout_order(self)

    def build_children(self, group: Question, inst: Instance, layout: QVBoxLayout) -> None:
        for q in group.children:
            if q.type in NO_WIDGET:
                continue
            if q.is_repeat:
                head = QLabel()
                head.setObjectName("sectionTitle")
                head.setText(q.label(self.session.lang))
                wrap = QWidget()
                lay = QVBoxLayout(wrap)
                lay.setContentsMargins(0, 8, 0, 0)
                lay.addWidget(head)
                box = RepeatBox(self, q, inst)
                box.heading = head
                lay.addWidget(box)
                self.repeats[(q.name, inst)] = box
                self.sections[(q.name, inst)] = wrap
                layout.addWidget(wrap)
            elif q.is_group:
                box = QGroupBox(q.label(self.session.lang) if q.labels else "")
                box.setObjectName(f"group_{q.name}")
                lay = QVBoxLayout(box)
                self.build_children(q, inst, lay)
                self.sections[(q.name, inst)] = box
                layout.addWidget(box)
            elif q.type == "note":
                note = QLabel()
                note.setObjectName(f"note_{q.name}")
                note.setWordWrap(True)
                note.setTextFormat(Qt.TextFormat.PlainText)
                note.setProperty("q", q)
                note.setProperty("inst", inst)
                self.sections[(q.name, inst)] = note
                layout.addWidget(note)
            else:
                row = QuestionRow(self.session, q, inst, commit_only=q.name in self.count_drivers,
                                  files=self.file_source if q.type in MEDIA_TYPES and self.ctx.store else None)
                row.answered.connect(self.on_answered)
                row.committed.connect(self.on_committed)
                row.focus_target.installEventFilter(self)
                self.rows[(q.name, inst)] = row
                layout.addWidget(row)

    def forget_rows_under(self, repeat: Question, outer: Instance) -> None:
        depth = len(outer)
        for table in (self.rows, self.sections, self.repeats):
            for key in [k for k in table if len(k[1]) > depth and k[1][:depth] == outer and self.form.inside(k[0], repeat)]:
                del table[key]

    # -- live evaluation ----------------------------------------------------------------------------
    def on_answered(self, name: str, inst: Instance, value: Any) -> None:
        if name in self.count_drivers:
            if self._asking == (name, inst):
                return  # the same commit again (Enter, then leaving the field): already being asked
            lost = self.session.entries_lost_by(name, value, index=inst)
            if lost:
                self.confirm_dropping(name, inst, value, lost)
                return
        affected = set(self.session.set(name, value, index=inst))
        self.after_change(affected | {name}, typing=True)

    def confirm_dropping(self, name: str, inst: Instance, value: Any, lost: dict) -> None:
        """Answered entries would go: say how many, and change nothing unless the person agrees."""
        self._asking = (name, inst)
        lang = self.session.lang
        parts = [f"“{self.form.questions[rname].label(lang)}” " + ", ".join(str(k + 1) for k in positions)
                 for (rname, _outer), positions in lost.items()]
        n = sum(len(positions) for positions in lost.values())
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Remove answered entries?"),
                          tr("This answer removes {n} entry(ies) that already hold answers: {entries}. "
                             "Their answers will be lost.").format(n=n, entries="; ".join(parts)),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("confirmDropEntries")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        remove = box.addButton(tr("Remove them"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(tr("Keep them"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)

        def done(_result: int) -> None:
            self._asking = None
            row = self.rows.get((name, inst))
            if box.clickedButton() is remove:
                affected = set(self.session.set(name, value, index=inst))
                self.after_change(affected | {name})
            elif row is not None:
                row.revert()    # the old answer, and every entry, stay
                row.focus()

        box.finished.connect(done)
        box.open()

    def on_committed(self, name: str, inst: Instance) -> None:
        """Editing of one answer finished: show its messages now (never while typing)."""
        self.refresh_messages(only={(name, inst)})

    def after_change(self, affected: set[str], typing: bool = False) -> None:
        rebuilt = False
        for key, box in list(self.repeats.items()):
            if key[0] in affected:
                rebuilt = box.rebuild() or rebuilt
        self.refresh_all(affected)
        if rebuilt or any(row.rebuilt for row in self.rows.values()):
            self.fix_tab_order()
        if not typing or self.show_required:
            self.refresh_messages()
        self._dirty = True
        self.autosave.start()

    def refresh_all(self, affected: set[str] | None = None) -> None:
        """Visibility for every section and question (dictionary look-ups: cheap), texts where they may change."""
        s = self.session
        for (name, inst), w in self.sections.items():
            q = self.form.questions[name]
            if q.is_repeat:  # a repeat's own relevance is per entry; its frame follows the group around it
                parent = q.parent
                shown = parent is None or not parent.name or s.visible(parent.name, index=inst)
            else:
                shown = s.visible(name, index=inst)
            if w.isHidden() == shown:
                w.setVisible(shown)
            if isinstance(w, QLabel) and shown:
                w.setText(s.label(name, index=inst))
        for (name, inst), row in self.rows.items():
            shown = s.visible(name, index=inst)
            if row.isHidden() == shown:
                row.setVisible(shown)
            if affected is None or (row.dynamic and shown):
                row.refresh_texts()

    def refresh_messages(self, only: set | None = None) -> list:
        errors = self.session.errors()
        by_key: dict = {}
        for e in errors:
            if e.kind == "required" and not self.show_required:
                continue
            by_key.setdefault((e.name, tuple(e.instance)), e.message)
        for key, row in self.rows.items():
            if only is None or key in only or row.message.isVisible():
                row.show_message(by_key.get(key, "") if (only is None or key in only or key in by_key) else "")
        return errors

    def on_language_changed(self, index: int) -> None:
        self.session.lang = self.lang_box.itemData(index)
        self.title.setText(self.form.title_in(self.session.lang))
        self.title_changed.emit(self.title.text())
        for key, w in self.sections.items():
            q = self.form.questions[key[0]]
            if isinstance(w, QGroupBox):
                w.setTitle(q.label(self.session.lang))
        for box in list(self.repeats.values()):
            box.retranslate()  # in place: entries, answers and the keyboard stay where they are
        self.refresh_all()
        self.refresh_messages(only=set())
        self.fix_tab_order()

    # -- keyboard: Enter moves on, like Tab -------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
                and not isinstance(obj, QPlainTextEdit)):
            if isinstance(obj, QComboBox) and obj.view().isVisible():
                return False
            obj.editingFinished.emit() if hasattr(obj, "editingFinished") else None
            self.focus_next_question(QApplication.focusWidget() or obj)
            return True
        return super().eventFilter(obj, event)

    def focus_next_question(self, widget: QWidget) -> None:
        """Enter: on to the next question (not the next box of this one), or past the last."""
        row = self.question_of(widget)
        w = widget.nextInFocusChain()
        while w is not widget:
            if (w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isEnabled() and w.isVisibleTo(self)
                    and not (row is not widget and row.isAncestorOf(w)) and self.isAncestorOf(w)):
                break
            w = w.nextInFocusChain()
        target = self.question_of(w)
        if isinstance(target, QuestionRow):
            target.focus()  # a row of choices: its checked box, else the first
        else:
            w.setFocus(Qt.FocusReason.TabFocusReason)

    def file_source(self, name: str) -> FileSource:
        """Where the file ``name`` that an answer holds is read from: the session, while it holds
        it; the draft's own parts; else the attachments of the record being edited."""
        def held(n: str) -> bytes | None:
            for stored, data in self.session.files.values():
                if stored == n:
                    return data
            return None
        also = (self.editing, ATTACHMENT_KIND, self.form.form_id) if self.editing else None
        return FileSource(self.ctx, self.draft["id"], kind=DRAFT_FILE, held=held, also=also, owner=self)

    # -- saving ----------------------------------------------------------------------------------
    def draft_fields(self) -> dict:
        fields = self.session.record(finalise=False)
        if self.editing:
            fields[EDITING_FIELD] = self.editing
        if self.position:
            fields[POSITION_FIELD] = self.position
        if self.session.uses_seed:
            fields[SEED_FIELD] = self.session.seed
        return fields

    def on_question_focused(self, row: QWidget) -> None:
        """Remember the question with the keyboard; it goes into the draft with the next save
        (and at the latest on Close, lock or quit), not a save of its own for every Tab."""
        if isinstance(row, QuestionRow):
            at = {"name": row.q.name, "instance": list(row.inst)}
            if at != self.position:
                self.position = at
                self._moved = True

    def resume_row(self) -> QuestionRow | None:
        """The question a reopened draft was left at, if it is still there and shown."""
        at = self.position
        if not isinstance(at, dict):
            return None
        row = self.rows.get((at.get("name"), tuple(at.get("instance") or ())))
        return row if row is not None and row.isVisibleTo(self) else None

    def save_draft(self, then=None) -> None:
        """Save the answers so far as the draft record (created on first save)."""
        self.autosave.stop()
        if not self._dirty and self.draft["id"] is not None:
            if then:
                then()
            return
        self._dirty = self._moved = False
        fields = self.draft_fields()
        holder, form = self.draft, self.form
        # The draft keeps the files its answers name (storage.finalise.save_draft): the ones
        # attached since the last save go in, sealed; the ones no answer names any more go.
        # Which files are new is decided on the store worker, where saves run one after another:
        # two saves queued close together must not both store the same file.
        named = set(media.answered_names(fields, self.media_questions))
        kept = self.session.kept_files()

        def work(store) -> str:
            new = [f for f in kept if f["name"] not in holder["files"]]
            gone = holder["files"] - named

            def parts(draft_id: str):
                for f in new:
                    yield from media.attachment_parts(f["data"], record=draft_id, question=f["question"],
                                                      name=f["name"], instance=f["instance"])
            holder["id"] = save_draft(store, holder["id"], fields, form_id=form.form_id, form_version=form.version,
                                      old=holder["saved"], files=parts if new else None, drop=gone)
            holder["saved"] = fields
            holder["files"] = (holder["files"] - gone) | {f["name"] for f in new}
            return holder["id"]

        def done(_draft_id: str) -> None:
            self.status.setText(tr("Draft saved"))
            self.ctx.saved(outgoing=False)
            if then:
                then()

        self.ctx.run(work, done, lambda exc: present(self, exc), owner=self)

    def on_save_clicked(self) -> None:
        self._dirty = True
        self.save_draft()

    def on_close_clicked(self) -> None:
        self._keep_position()
        self.save_draft(then=lambda: self.closed.emit(None))

    def first_error_row(self, errors: list) -> QuestionRow | None:
        for e in errors:
            row = self.rows.get((e.name, tuple(e.instance)))
            if row is not None:
                return row
        return None

    def on_finalise_clicked(self) -> None:
        self.show_required = True
        errors = self.refresh_messages()
        if errors:
            self.status.setText(tr("{n} answer(s) need attention before this form can be finalised.").format(n=len(errors)))
            row = self.first_error_row(errors)
            if row is not None:
                self.scroll.ensureWidgetVisible(row)
                row.focus()
            return
        # The same path as 'forms submit' (forms/finalise.py, storage/finalise.py): checked and stored alike.
        r = finalise.finalised(self.session, errors=errors)
        if regform.is_registration(self.form.form_id) and not self.editing:
            # Finalising it registers a household, through the registry's checks (distributions.regform).
            self.autosave.stop()
            self.registration = RegistrationFinish(self, r)
            self.registration.start()
            return
        holder, editing = self.draft, self.editing

        def work(store) -> str:
            rid = save_submission(store, r, draft_id=holder["id"], editing=editing)
            holder["id"] = None
            return rid

        def done(rid: str) -> None:
            self._dirty = False
            self.ctx.saved()
            self.finalised.emit(rid, self.form.form_id)
            self.closed.emit(rid)

        self.autosave.stop()
        self.ctx.run(work, done, lambda exc: present(self, exc), owner=self)

    def focus_first(self) -> None:
        """The keyboard on the question a draft was left at, else on the first question."""
        row = self.resume_row()
        if row is not None:
            row.focus()
            return
        for row in self.rows.values():
            if row.isVisibleTo(self):
                row.focus()
                return

    def flush(self) -> None:
        """Save now if anything changed (before lock or quit)."""
        self._keep_position()
        if self._dirty:
            self.save_draft()

    def _keep_position(self) -> None:
        # Only into a draft there is: moving about an untouched form makes no draft.
        if self._moved and self.draft["id"] is not None:
            self._dirty = True
