"""Work off the GUI thread: one worker type, one serialized executor for the store.

``Tasks.store(fn, ...)`` runs ``fn`` on a pool of exactly one thread while holding
``store_lock``, the same lock the sync client takes, so store calls never run
concurrently and never on the GUI thread. ``Tasks.background(fn, ...)`` runs
network or CPU work (sync, key derivation of a new profile) on a second pool.
Results come back on the GUI thread through Qt signals; the functions that run
in a worker never touch a widget. Long work can report progress the same way:
``background(fn, ..., progress=cb)`` calls ``fn(report)``, and ``report(stage,
done, total)`` reaches ``cb`` on the GUI thread, thinned out to at most one update
per ``PROGRESS_INTERVAL`` (each stage's first and last always get through).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable, Iterator, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

T = TypeVar("T")

# 20 updates a second look continuous; more would only queue events on the GUI thread.
PROGRESS_INTERVAL = 0.05


# A worker's long loop pauses this briefly this often; see ``give_way``.
GIVE_WAY_EVERY = 0.005
GIVE_WAY_PAUSE = 0.0003


def give_way(items: Iterable[T], every: float = GIVE_WAY_EVERY, pause: float = GIVE_WAY_PAUSE,
             clock: Callable[[], float] = time.perf_counter,
             sleep: Callable[[float], None] = time.sleep) -> Iterator[T]:
    """``items``, with a short sleep every ``every`` seconds of the loop's work.

    For a worker's long loop over the store. Each row the store reads lets go of the
    interpreter lock and takes it straight back; a thread waiting for the lock then
    loses the race for it again and again, and the interpreter never forces a switch
    because the lock did change hands. The GUI thread could wait 60-270 ms for its
    turn while the records list of 100k records loaded. A real sleep leaves the lock
    free long enough for a waiting thread to take it; 0.3 ms every 5 ms costs the
    loop 6% at most."""
    last = clock()
    for item in items:
        yield item
        now = clock()
        if now - last >= every:
            sleep(pause)
            last = clock()


class WorkerSignals(QObject):
    returned = Signal(object)
    errored = Signal(object)
    finished = Signal()
    progress = Signal(str, object, object)  # stage, done, total (0: not yet known); object: byte counts may pass 2**31


class Throttle:
    """``report(stage, done, total)`` for a worker: forwards to ``emit`` at most once per
    ``interval``, except that a new stage and a stage's end always pass, so a bar
    never stops short of full and a label never misses a stage. Called from the worker
    thread only; ``emit`` is a signal's, which queues it to the GUI thread."""

    def __init__(self, emit: Callable[[str, int, int], None], interval: float = PROGRESS_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.emit, self.interval, self.clock = emit, interval, clock
        self._stage: str | None = None
        self._last = float("-inf")

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage == self._stage and 0 < total and done < total and now - self._last < self.interval:
            return
        self._stage, self._last = stage, now
        self.emit(stage, done, total)


class Worker(QRunnable):
    """Runs ``fn()`` in a pool thread; reports its result or exception on signals."""

    def __init__(self, fn: Callable[..., Any], lock: threading.RLock | None = None, *, reports: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Tasks keeps it until finished; the signals object must outlive run()
        self.fn = fn
        self.lock = lock
        self.signals = WorkerSignals()
        self.report = Throttle(self.signals.progress.emit) if reports else None

    def _call(self) -> Any:
        return self.fn(self.report) if self.report is not None else self.fn()

    def run(self) -> None:
        try:
            if self.lock is not None:
                with self.lock:
                    result = self._call()
            else:
                result = self._call()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the presenter
            self.signals.errored.emit(exc)
        else:
            self.signals.returned.emit(result)
        finally:
            self.signals.finished.emit()


class Tasks(QObject):
    """The app's two executors. Callbacks run on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store_lock = threading.RLock()
        self.store_pool = QThreadPool(self)
        self.store_pool.setMaxThreadCount(1)  # serialized: one store call at a time, in order
        self.net_pool = QThreadPool(self)
        self.net_pool.setMaxThreadCount(2)
        self._alive: set[Worker] = set()
        self.on_error: Callable[[BaseException], None] | None = None

    def _submit(self, pool: QThreadPool, fn: Callable[[], Any], done: Callable[[Any], None] | None,
                failed: Callable[[BaseException], None] | None, lock: threading.RLock | None,
                owner: QObject | None = None, progress: Callable[[str, int, int], None] | None = None) -> Worker:
        worker = Worker(fn, lock, reports=progress is not None)
        if progress is not None:
            worker.signals.progress.connect(_guarded(progress, owner))
        if done is not None:
            worker.signals.returned.connect(_guarded(done, owner))
        worker.signals.errored.connect(_guarded(failed, owner) if failed else self._default_error)
        worker.signals.finished.connect(lambda: self._alive.discard(worker))
        self._alive.add(worker)
        pool.start(worker)
        return worker

    def store(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
              failed: Callable[[BaseException], None] | None = None, owner: QObject | None = None) -> Worker:
        """Run a store call on the serialized executor. Callbacks are dropped once ``owner`` is gone."""
        return self._submit(self.store_pool, fn, done, failed, self.store_lock, owner)

    def background(self, fn: Callable[..., Any], done: Callable[[Any], None] | None = None,
                   failed: Callable[[BaseException], None] | None = None, owner: QObject | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> Worker:
        """Run network or CPU work that holds no store lock of its own. With ``progress``,
        ``fn`` is called as ``fn(report)`` (see the module's docstring)."""
        return self._submit(self.net_pool, fn, done, failed, None, owner, progress)

    def busy(self) -> bool:
        return bool(self._alive)

    def wait(self, msecs: int = 10000) -> None:
        """Drain both pools (at shutdown, so a last draft save completes)."""
        self.store_pool.waitForDone(msecs)
        self.net_pool.waitForDone(msecs)

    def _default_error(self, exc: BaseException) -> None:
        if self.on_error is not None:
            self.on_error(exc)


def _guarded(callback: Callable[..., None], owner: QObject | None) -> Callable[..., None]:
    """Skip the callback when the widget it belongs to was closed while the work ran."""
    owner = owner if owner is not None else getattr(callback, "__self__", None)
    if not isinstance(owner, QObject):
        return callback

    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return call
