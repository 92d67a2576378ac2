"""A clock that never really waits: it notes each wait and moves its own time on instead."""

from __future__ import annotations

import threading
import time

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
