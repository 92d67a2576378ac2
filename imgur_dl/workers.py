"""A pool of worker threads that starts one only when every thread it has is busy.

Python's ``ThreadPoolExecutor`` counts a thread idle only once the job it ran
has given out its result, callbacks and all. A run hands out its next file
from that very callback (a file finished, a place free), so the pool finds
no thread idle and starts one more, while the one that just finished is
about to wait for work: on a loaded machine, a long run's threads crept
towards ``-j`` (30 of 64 for 80 small files, where 16 do). Here a thread is
no longer busy from the moment its job returns, before its result is given
out, and a job handed in then is its.

Threads are started as jobs need them and end when the pool is shut down,
or, with none left to do, once the program's main thread has ended (as the
standard library's do: a program that lets go of a run half done does not
hang at its exit).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from imgur_dl.threads import NoThread, start

T = TypeVar("T")

# How often a thread with no work looks whether the program's main thread has ended.
IDLE_LOOK = 1.0


@dataclass
class _Job(Generic[T]):
    future: Future[T]
    work: Callable[[], T]


class Workers:
    """At most ``most`` threads, named ``name_1``, ``name_2``, ...; ``submit`` and ``shutdown`` as an executor's."""

    def __init__(self, most: int, name: str) -> None:
        if most < 1:
            raise ValueError("a pool needs one thread at least")
        self.most = most
        self.name = name
        self._cond = threading.Condition()
        self._jobs: deque[_Job[Any]] = deque()
        self._busy = 0  # jobs handed in and not ended: waiting, or running
        self._threads: set[threading.Thread] = set()
        self._started = 0
        self._closed = False

    @property
    def threads(self) -> int:
        """Threads running now."""
        with self._cond:
            return len(self._threads)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` in a thread of the pool: a thread started for it only if all are busy."""
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("cannot hand work to a pool that was shut down")
            if self._busy >= len(self._threads) and len(self._threads) < self.most:
                self._more()
            self._busy += 1
            self._jobs.append(_Job(future, partial(fn, *args, **kwargs)))
            self._cond.notify()
        return future

    def _more(self) -> None:
        """One more thread (the lock held). Where the system will start no more (a pids limit, ``ulimit -u``), the
        pool keeps to those it has, which take the job in turn; with none, :class:`NoThread`, nothing counted."""
        self._started += 1
        thread = threading.Thread(target=self._work, name=f"{self.name}_{self._started}")
        try:
            start(thread)
        except NoThread:
            if not self._threads:
                raise
            self.most = len(self._threads)
            return
        self._threads.add(thread)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more jobs; with ``cancel_futures``, cancel those not started (the others run); with ``wait``,
        return once every thread has ended. It may be called again (to wait, say)."""
        with self._cond:
            self._closed = True
            while cancel_futures and self._jobs:
                self._jobs.popleft().future.cancel()
                self._busy -= 1
            threads = list(self._threads)
            self._cond.notify_all()
        if wait:
            for thread in threads:
                thread.join()

    def _work(self) -> None:
        while (job := self._next()) is not None:
            if not job.future.set_running_or_notify_cancel():  # (cancelled by its caller while it waited)
                self._ended()
                continue
            try:
                value = job.work()
            except BaseException as exc:  # noqa: BLE001 - (given to whoever waits on the job, as an executor does)
                self._ended()
                job.future.set_exception(exc)
            else:
                self._ended()
                job.future.set_result(value)
            del job  # (what it holds is let go of before the next wait)

    def _ended(self) -> None:
        with self._cond:
            self._busy -= 1

    def _next(self) -> _Job[Any] | None:
        """The next job; None once the pool is shut down with none left, or the main thread has ended with none."""
        with self._cond:
            while not self._jobs:
                if self._closed or not threading.main_thread().is_alive():
                    self._threads.discard(threading.current_thread())
                    return None
                self._cond.wait(IDLE_LOOK)
            return self._jobs.popleft()
