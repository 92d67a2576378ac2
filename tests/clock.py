"""Clocks that never really wait: each notes its waits and moves its own time on instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from imgur_dl.clock import Clock


class FastClock(Clock):
    """``scale``: the share of each wait that really passes (0: none), for tests where others must move meanwhile."""

    def __init__(self, scale: float = 0.0) -> None:
        self.scale = scale
        self.waits: list[float] = []
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped

    def wait(self, event: threading.Event, seconds: float) -> bool:
        with self._lock:
            self.waits.append(seconds)
            self._skipped += seconds * (1 - self.scale)
        return event.wait(seconds * self.scale) if self.scale else event.is_set()


class StillClock(Clock):
    """Stands still: its time moves only when ``at`` is set, or by what is waited on it (each wait noted, and the
    next of ``meanwhile`` done during it). Callable too, as a plain clock function."""

    def __init__(self, at: float = 1000.0) -> None:
        self.at = at
        self.waits: list[float] = []
        self.meanwhile: list[Callable[[], object]] = []  # what happens during the next waits, one each

    def now(self) -> float:
        return self.at

    def __call__(self) -> float:
        return self.at

    def wait(self, event: threading.Event, seconds: float) -> bool:
        self.waits.append(seconds)
        self.at += seconds
        if self.meanwhile:
            self.meanwhile.pop(0)()
        return event.is_set()
