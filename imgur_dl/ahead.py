"""Work started a few items ahead, its results taken in order."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def in_order(work: Iterator[Future[T]], ahead: int) -> Iterator[T]:
    """The results of ``work``'s futures in order, with up to ``ahead`` of them started before they are wanted.

    ``work`` is drawn lazily: the next item is started only when one is taken.
    """
    started: collections.deque[Future[T]] = collections.deque(itertools.islice(work, ahead))
    while started:
        result = started.popleft().result()
        started.extend(itertools.islice(work, 1))
        yield result


def done(value: T) -> Future[T]:
    """A future that already holds ``value``."""
    future: Future[T] = Future()
    future.set_result(value)
    return future
