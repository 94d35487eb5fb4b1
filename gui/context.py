"""The app's state outside any widget: the profile, its store, sync, and preferences.

Every store call goes through ``tasks.store`` (one serialized worker holding the
same lock the sync client takes). Signals tell the screens what changed.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

import forms
from resources import resource_path
from rules import names
from storage import Store, crypto
from sync.client import SyncClient, SyncLoop, SyncState

from .i18n import system_language
from .workers import Tasks

log = logging.getLogger(__name__)

BUILT_IN_FORMS = ("household_needs", "site_assessment", "complaints_feedback", "post_distribution_monitoring")
DRAFT_KIND = names.DRAFT      # an unfinished form: the answers so far, encrypted like any record
# A local kind (rules.names.LOCAL_KINDS): drafts never leave the laptop. Storage keeps
# their writes out of the outbox, so they are not synced, not in USB bundles and
# not counted as waiting to sync.
SUBMISSION_KIND = "submission"
EDITING_FIELD = "_editing"    # in a draft that edits a finished record: that record's id
POSITION_FIELD = "_position"  # in a draft: the question it was left at, {"name": ..., "instance": [...]}
AFTER_SAVE_MS = 2000     # saves this close together get one outbox count and one sync wake-up
AFTER_SAVE_MAX_S = 15.0  # ... but while they keep coming, sync waits no longer than this
SEED_FIELD = "_seed"          # in a draft of a form that shuffles: the seed, so it reopens in the same order


def record_time(record_id: str) -> float:
    """Record ids are UUIDv7: the first 48 bits are the creation time in milliseconds."""
    try:
        return int(record_id.replace("-", "")[:12], 16) / 1000.0
    except ValueError:
        return 0.0


def form_or_none(ctx: "Context", form_id: str | None) -> "forms.Form | None":
    """The record's form, or None when this laptop does not have it (its answers then show
    by field name). Any thread."""
    if not form_id:
        return None
    try:
        return ctx.form(form_id)
    except (forms.FormError, OSError):
        return None


class Prefs:
    """Non-personal preferences only (language, auto-lock), in an ini file beside the profile."""

    def __init__(self, profile: Path) -> None:
        self._s = QSettings(str(profile.parent / f".{profile.name}-gui.ini"), QSettings.Format.IniFormat)

    @property
    def language(self) -> str:
        """The chosen interface language; until one is chosen, the system's (when we have it)."""
        value = self._s.value("language")
        if value is None:
            return system_language()
        return str(value) if str(value) in ("en", "uk") else "en"

    @language.setter
    def language(self, value: str) -> None:
        self._s.setValue("language", value)
        self._s.sync()

    @property
    def autolock_minutes(self) -> int:
        try:
            return max(1, int(self._s.value("autolock_minutes", 10)))
        except (TypeError, ValueError):
            return 10

    @autolock_minutes.setter
    def autolock_minutes(self, value: int) -> None:
        self._s.setValue("autolock_minutes", int(value))
        self._s.sync()


class FormCache:
    """Loaded forms by id. Forms are loaded on the GUI thread, the store worker (records) and the
    preload: one at a time, so each is parsed once and the validator's first import never runs
    in two threads at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: dict[str, forms.Form] = {}

    def get(self, form_id: str) -> forms.Form:
        with self._lock:
            if form_id not in self._forms:
                self._forms[form_id] = forms.load_form(resource_path("forms", f"{form_id}.xlsx"))
            return self._forms[form_id]

    def load_published(self, xlsx: bytes, *, name: str, media: dict[str, bytes]) -> forms.Form:
        """Parse a form the hub published (not cached here: the context keeps the current set)."""
        with self._lock:
            return forms.load_form_bytes(xlsx, name=name, media=media)

    def add(self, form: forms.Form) -> None:
        with self._lock:
            self._forms[form.form_id] = form

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._forms)


class Context(QObject):
    sync_state = Signal(object)      # SyncState, always delivered on the GUI thread
    records_changed = Signal()       # something was saved, edited, deleted or pulled
    forms_changed = Signal()         # the hub published or withdrew a form
    conflicts_changed = Signal(int)  # how many conflicts wait for review (after unlock and every change)
    unlocked = Signal()
    locked = Signal()

    def __init__(self, profile: Path, tasks: Tasks, *, kdf: crypto.KdfParams | None = None,
                 sync_interval: float = 300.0) -> None:
        super().__init__()
        self.profile = Path(profile)
        self.tasks = tasks
        self.kdf = kdf
        self.prefs = Prefs(self.profile)
        self.store: Store | None = None
        self.client: SyncClient | None = None
        self.loop: SyncLoop | None = None
        self.sync_interval = sync_interval
        self.last_state = SyncState("not_enrolled")
        self.forms = FormCache()
        self.published: dict[str, forms.Form] = {}     # forms the hub published to this team, loaded
        self.unusable: dict[str, tuple[str, str]] = {}  # published forms that do not load here: id -> (title, why)
        self._published_digests: dict[str, str] | None = None
        self.open_conflicts = 0
        # After a local write: one outbox count and one sync wake-up for a burst of saves.
        self.after_save = QTimer(self)
        self.after_save.setSingleShot(True)
        self.after_save.setInterval(AFTER_SAVE_MS)
        self.after_save.timeout.connect(self.on_after_save)
        self._unsent_since: float | None = None
        # Store work to do on the sync thread as soon as a sync ends, before the screens hear
        # of it (see on_loop_state): e.g. the Desk reads the receipts a pull brought.
        self.after_sync: list[Callable[[Store], None]] = []
        self.sync_state.connect(self.on_sync_state)
        self.records_changed.connect(self.refresh_conflicts)  # a sync, an import or a review changes them

    # -- profile ---------------------------------------------------------------------------
    def has_profile(self) -> bool:
        return (self.profile / "keyring.json").exists()

    def run(self, fn: Callable[[Store], Any], done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None, owner: QObject | None = None,
            urgent: bool = False) -> None:
        """Run ``fn(store)`` on the serialized store worker; ``urgent`` (the Desk's look-up and
        save) goes ahead of the work queued before it, and sync gives way to it."""
        store = self.store
        self.tasks.store(lambda: fn(store), done, failed, owner, urgent=urgent)

    def attach(self, store: Store) -> None:
        """Called (on the GUI thread) once a store is open and unlocked."""
        self.store = store
        self.client = SyncClient(store, lock=self.tasks.store_lock)
        self.loop = SyncLoop(self.client, self.on_loop_state, interval=self.sync_interval)
        self.loop.start()
        self._published_digests = None
        self.refresh_forms()
        self.unlocked.emit()
        self.refresh_conflicts()

    def lock(self) -> None:
        """Stop syncing (off the GUI thread: a sync in flight may take a moment to end).
        The caller queues ``store.lock()`` on the store worker, after any pending save."""
        loop = self.loop
        self.loop = None
        self.after_save.stop()  # nothing to count or push while locked; unlocking syncs anyway
        self._unsent_since = None
        if loop is not None:
            self.tasks.background(loop.stop)
        self.open_conflicts = 0
        self.conflicts_changed.emit(0)  # nothing about the data shows while locked
        self.locked.emit()

    def shutdown(self) -> None:
        if self.loop is not None:
            self.loop.stop(timeout=2.0)
            self.loop = None
        self.tasks.wait()
        if self.store is not None:
            with self.tasks.store_lock:
                self.store.close()
            self.store = None

    # -- sync --------------------------------------------------------------------------------
    def on_loop_state(self, state: SyncState) -> None:
        """The sync loop's report, on the sync thread. After a sync, the ``after_sync`` work
        runs here first, under the store lock (which gives way to the Desk's urgent calls
        before it is taken): what a pull brought is read right after the pull, not by the
        first receipt saved after it while the household waits at the desk."""
        store = self.store
        if state.state == "up_to_date" and store is not None:
            for work in list(self.after_sync):
                try:
                    with self.tasks.store_lock:
                        if store.unlocked:
                            work(store)
                except Exception as exc:  # noqa: BLE001 - an optimisation: the screens read it later anyway
                    log.warning("after a sync: %s failed (%s)", getattr(work, "__name__", "work"), type(exc).__name__)
        self.sync_state.emit(state)

    def on_sync_state(self, state: SyncState) -> None:
        previous = self.last_state
        self.last_state = state
        if state.state == "up_to_date" and previous.state == "syncing":
            self.records_changed.emit()  # a pull may have brought records
            self.refresh_forms()         # ... or the team's forms changed

    def sync_now(self) -> None:
        if self.loop is not None:
            self.loop.wake(now=True)  # the person asked: even while backing off

    def saved(self, *, outgoing: bool = True, shown: bool = True) -> None:
        """A local write happened: refresh what shows records and let sync push it soon.

        ``outgoing=False`` for a write that stays on this laptop (a draft's auto-save):
        it leaves the outbox as it was, so waking sync would only cost a round trip
        to the server on every pause in typing. ``shown=False`` for a write no other
        screen lists (a receipt at the desk, which counts its own): the screens do not
        reload, so the next household's look-up does not wait behind their reloads.

        The outbox count and the sync wake-up wait until the saves pause for
        ``AFTER_SAVE_MS`` (at most ``AFTER_SAVE_MAX_S`` from the first save not yet sent):
        at a desk with a queue, each receipt used to count the outbox on the store worker
        and start a push that took the store lock while the next household was looked up."""
        if shown:
            self.records_changed.emit()
        if outgoing:
            now = time.monotonic()
            if self._unsent_since is None:
                self._unsent_since = now
            if now - self._unsent_since < AFTER_SAVE_MAX_S or not self.after_save.isActive():
                self.after_save.start()  # (re)start: the count and the push wait for a pause

    def on_after_save(self) -> None:
        self._unsent_since = None
        self.refresh_pending()
        if self.loop is not None:
            self.loop.wake()

    def refresh_pending(self) -> None:
        if self.store is None:
            return

        def done(n: int) -> None:
            self.last_state = dataclasses.replace(self.last_state, pending=n)
            self.sync_state.emit(self.last_state)

        self.run(lambda st: st.pending_count() if st.unlocked else 0, done)

    def refresh_conflicts(self) -> None:
        """Count the conflicts waiting for review (a cheap query) and tell the badges."""
        if self.store is None:
            return

        def done(n: int) -> None:
            self.open_conflicts = n
            self.conflicts_changed.emit(n)

        self.run(lambda st: st.open_conflict_count() if st.unlocked else 0, done)

    # -- forms -------------------------------------------------------------------------------
    def form(self, form_id: str) -> forms.Form:
        """A published form (already loaded), else a built-in one, loaded once (pure Python,
        tens of milliseconds). A published form with a built-in id replaces it. Any thread."""
        published = self.published  # replaced whole on the GUI thread, never changed in place
        if form_id in published:
            return published[form_id]
        return self.forms.get(form_id)

    def preload_forms(self) -> None:
        """Load the built-in forms while the unlock screen waits for a passphrase, one per turn of
        the event loop (tens of milliseconds each), so Home shows their titles at once. On the GUI
        thread on purpose: the parse makes a lot of garbage, and a collection run on a worker
        thread could free Qt objects there."""
        pending = list(BUILT_IN_FORMS)
        cache = self.forms

        def step() -> None:
            try:
                cache.get(pending.pop(0))
            except (forms.FormError, OSError):
                pass  # a broken built-in form is reported where it is opened (ctx.form)
            if pending:
                QTimer.singleShot(1, step)  # 1 ms: a real timer, so other events get a turn between parses

        QTimer.singleShot(0, step)

    def form_title(self, form_id: str, lang: str | None = None) -> str:
        """A form's title in ``lang`` (default: the interface language); the id when the form is missing."""
        try:
            form = self.form(form_id)
        except (forms.FormError, OSError):
            return form_id
        return form.title_in(lang or self.prefs.language)

    def add_form(self, form: forms.Form) -> None:
        self.forms.add(form)

    def form_ids(self) -> list[str]:
        return list(dict.fromkeys([*BUILT_IN_FORMS, *self.forms.ids(), *sorted(self.published)]))

    def refresh_forms(self) -> None:
        """Load the published forms on the store worker when the store's set changed."""
        if self.store is None:
            return
        known, cache = self._published_digests, self.forms

        def load(st: Store):
            if not st.unlocked:
                return None
            digests = st.published_forms()
            if digests == known:
                return None
            loaded, unusable = {}, {}
            for f in st.published_form_files():
                if f["form_id"].startswith("round."):
                    continue  # a distribution round travels as a published item too: not a form
                try:
                    loaded[f["form_id"]] = cache.load_published(f["xlsx"], name=f"{f['form_id']}.xlsx", media=f["media"])
                except forms.FormError as exc:
                    # Published with a newer Fieldbook, say: shown with its reason, not offered.
                    unusable[f["form_id"]] = (f["title"], str(exc).splitlines()[0])
            return digests, loaded, unusable

        def done(result) -> None:
            if result is None:
                return
            self._published_digests, self.published, self.unusable = result
            self.forms_changed.emit()

        self.run(load, done)


def ago(ts: float | None, now: float | None = None) -> str:
    """A short 'when' for the status bar, formatted by the caller's tr()."""
    if ts is None:
        return ""
    return time.strftime("%H:%M", time.localtime(ts))
