"""Time, as the run sees it: one object that tells the time and waits.

Every wait of a run (backoffs, ``Retry-After``, ``--limit-rate``, the
throttle's pauses) goes through the :class:`Clock` it was given, so a caller
can pass one that does not really wait and still see what was waited for.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        return time.monotonic()

    def time(self) -> float:
        """Seconds since the epoch: the calendar's time (a cookie's expiry is judged by it)."""
        return time.time()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait ``seconds`` or until ``event`` is set; whether it was set."""
        return event.wait(seconds)
