"""Work started a few items ahead, its results taken in order.

The items are drawn by a thread of their own, so drawing them never holds
up the caller: an input that arrives slowly (a pipe, a listing read page by
page) is looked up as it comes, while earlier results are being used.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, wait
from enum import Enum
from typing import Generic, TypeVar

from imgur_dl import threads

T = TypeVar("T")
U = TypeVar("U")


class Poll(Enum):
    PENDING = "pending"  # the next result is not ready yet
    END = "end"  # there is no next result


class _End:
    """The last item: the work ran out, or failed with ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class InOrder(Generic[T]):
    """Iterates the results of ``work``'s futures in order, at most ``ahead`` of them started before they are wanted."""

    def __init__(self, work: Iterator[Future[T]], ahead: int) -> None:
        self._queue: queue.Queue[Future[T] | _End] = queue.Queue(maxsize=ahead)
        self._head: Future[T] | _End | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, args=(work,), name="imgur-dl-input", daemon=True)
        threads.start(self._thread)

    def _draw(self, work: Iterator[Future[T]]) -> None:
        end = _End()
        try:
            for item in work:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            end = _End(exc)
        self._put(end)

    def _put(self, item: Future[T] | _End) -> bool:
        return _offer(self._queue, item, self._stop)

    def poll(self, timeout: float | None) -> T | Poll:
        """The next result; :attr:`Poll.PENDING` if it is not ready within ``timeout`` seconds (None: wait
        for it), :attr:`Poll.END` after the last (or the error that ended the work, raised)."""
        if self._head is None:
            try:
                self._head = self._queue.get(timeout=timeout)
            except queue.Empty:
                return Poll.PENDING
        head = self._head
        if isinstance(head, _End):
            if head.error is not None:
                error, head.error = head.error, None
                raise error
            return Poll.END
        if not wait([head], timeout).done:
            return Poll.PENDING
        self._head = None
        return head.result()

    def stop(self) -> None:
        """Draw no more (the thread may still be waiting on its input; it ends with the process)."""
        self._stop.set()


def done(value: T) -> Future[T]:
    """A future that already holds ``value``."""
    future: Future[T] = Future()
    future.set_result(value)
    return future


def gathered(items: Iterable[T], most: int) -> Iterator[list[T]]:
    """``items`` in lists of those already drawn, at most ``most`` a list (drawn by a thread of its own).

    A list goes on as soon as its first item is there: it never waits for the next item of a slow
    input (a pipe), and a fast one (a file) comes ``most`` at a time.
    """
    found: queue.Queue[T | _End] = queue.Queue(maxsize=2 * most)
    stop = threading.Event()

    def draw() -> None:
        end = _End()
        try:
            for item in items:
                if not _offer(found, item, stop):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            end = _End(exc)
        _offer(found, end, stop)

    threads.start(threading.Thread(target=draw, name="imgur-dl-gather", daemon=True))
    end: _End | None = None
    try:
        while end is None:
            first = found.get()
            if isinstance(first, _End):
                end = first
                break
            batch = [first]
            while len(batch) < most:
                try:
                    item = found.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, _End):
                    end = item
                    break
                batch.append(item)
            yield batch
        if end.error is not None:
            raise end.error
    finally:
        stop.set()  # (abandoned or done: the drawing thread stops at its next item)


def _offer(found: queue.Queue[U], item: U, stop: threading.Event) -> bool:
    """Put ``item`` once there is room; False if told to stop first."""
    while not stop.is_set():
        try:
            found.put(item, timeout=0.2)
        except queue.Full:
            continue
        return True
    return False
