"""Work off the GUI thread: one worker type, one serialized executor for the store.

``Tasks.store(fn, ...)`` runs ``fn`` on a pool of exactly one thread while holding
``store_lock``, the same lock the sync client takes, so store calls never run
concurrently and never on the GUI thread. ``Tasks.store(fn, ..., urgent=True)`` is for
work a person waits on at a counter (the Desk's look-up and save): it goes ahead of the
store calls queued before it, and the sync thread lets it take the lock first (see
``StoreLock``). ``Tasks.background(fn, ...)`` runs
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


URGENT = 10  # the store pool's priority for urgent work (the others run at 0)

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


class StoreLock:
    """The store's lock: reentrant like ``threading.RLock``, and fair to urgent work.

    Python's locks are not fair: a thread that lets go and asks again at once often wins
    again. The sync thread takes the lock for each step of a sync (read the next batch,
    apply a reply, count the outbox), so a Desk look-up queued while a push or a pull
    ran could wait behind several of its steps. Here, while urgent work is queued
    (``urgent_queued``) and has not yet taken the lock, anyone else who asks for it first
    waits, at most ``max_yield`` seconds each time so a stream of urgent work cannot
    starve sync. A step already running is not cut: an apply is one transaction. The
    store worker's own calls never give way (``give_way=False``): the urgent call runs on
    that same thread, after them."""

    def __init__(self, max_yield: float = 1.0) -> None:
        self._lock = threading.RLock()
        self._queue = threading.Condition(threading.Lock())
        self._urgent = 0
        self._owner: int | None = None
        self._depth = 0
        self.max_yield = max_yield

    def urgent_queued(self) -> None:
        with self._queue:
            self._urgent += 1

    def urgent_dropped(self) -> None:
        """Urgent work that was queued has taken the lock (or will not run)."""
        with self._queue:
            self._urgent = max(0, self._urgent - 1)
            self._queue.notify_all()

    def urgent_waiting(self) -> int:
        with self._queue:
            return self._urgent

    def acquire(self, blocking: bool = True, timeout: float = -1, *, give_way: bool = True) -> bool:
        me = threading.get_ident()
        if blocking and give_way and self._owner != me:
            with self._queue:  # give way (a re-entry never does: it holds the lock already)
                self._queue.wait_for(lambda: self._urgent == 0, self.max_yield)
        if not self._lock.acquire(blocking, timeout):
            return False
        if self._owner == me:
            self._depth += 1
        else:
            self._owner, self._depth = me, 1
        return True

    def release(self) -> None:
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
        self._lock.release()

    def __enter__(self) -> "StoreLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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

    def __init__(self, fn: Callable[..., Any], lock: threading.RLock | StoreLock | None = None, *,
                 reports: bool = False, urgent: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Tasks keeps it until finished; the signals object must outlive run()
        self.fn = fn
        self.lock = lock
        self.urgent = urgent  # counted in the StoreLock's queue when submitted
        self.signals = WorkerSignals()
        self.report = Throttle(self.signals.progress.emit) if reports else None

    def _call(self) -> Any:
        return self.fn(self.report) if self.report is not None else self.fn()

    def run(self) -> None:
        try:
            if isinstance(self.lock, StoreLock):
                self.lock.acquire(give_way=False)  # the store worker: the urgent call runs here too
                if self.urgent:
                    self.lock.urgent_dropped()  # it has the lock: the others need not wait any more
                try:
                    result = self._call()
                finally:
                    self.lock.release()
            elif self.lock is not None:
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
        self.store_lock = StoreLock()
        self.store_pool = QThreadPool(self)
        self.store_pool.setMaxThreadCount(1)  # serialized: one store call at a time, in order
        self.net_pool = QThreadPool(self)
        self.net_pool.setMaxThreadCount(2)
        self._alive: set[Worker] = set()
        self.on_error: Callable[[BaseException], None] | None = None

    def _submit(self, pool: QThreadPool, fn: Callable[[], Any], done: Callable[[Any], None] | None,
                failed: Callable[[BaseException], None] | None, lock: threading.RLock | None,
                owner: QObject | None = None, progress: Callable[[str, int, int], None] | None = None,
                urgent: bool = False) -> Worker:
        worker = Worker(fn, lock, reports=progress is not None, urgent=urgent)
        if progress is not None:
            worker.signals.progress.connect(_guarded(progress, owner))
        if done is not None:
            worker.signals.returned.connect(_guarded(done, owner))
        worker.signals.errored.connect(_guarded(failed, owner) if failed else self._default_error)
        worker.signals.finished.connect(lambda: self._alive.discard(worker))
        self._alive.add(worker)
        if urgent:
            self.store_lock.urgent_queued()
        pool.start(worker, URGENT if urgent else 0)  # the pool's queue runs higher priorities first
        return worker

    def store(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
              failed: Callable[[BaseException], None] | None = None, owner: QObject | None = None,
              urgent: bool = False) -> Worker:
        """Run a store call on the serialized executor. Callbacks are dropped once ``owner`` is gone.
        ``urgent``: a person waits on it (the Desk): it runs before the store calls queued
        earlier, and sync gives way to it (``StoreLock``)."""
        return self._submit(self.store_pool, fn, done, failed, self.store_lock, owner, urgent=urgent)

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
