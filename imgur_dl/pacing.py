"""Requests to a service that limits how many it takes a minute: spaced under its limit, and silenced by a refusal.

The Wayback Machine's index (the CDX server) takes 30 requests a minute from
one address (edgi-govdata-archiving/wayback#206, 2026-06-19: "the rate limit
is now 30 requests/minute"), and the archive's staff ask clients to keep to
80% of a hard limit (the same client, pull request #147): 24 a minute, that
client's default since 0.5.1. Past the limit the index answers 429, with no
``Retry-After`` (that client's tests: "Wayback does not currently include this
header"; it waits 60 s then), and an address that goes on asking for more than
a minute is refused at the archive's firewall for an hour, doubled each time
(the archive's staff, quoted in edgi-govdata-archiving/wayback#137). So every
thread of a run asks through one :class:`Pacing`: requests start at least
``60 / per_minute`` seconds apart, and after a 429 none starts until the
pause it asked for, or a minute, has passed. The archive's requests for the
capture nearest a moment have a pacing of their own (its replays' limit).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from imgur_dl.cancel import Cancel

# The archive's index: requests a minute, 80% of its limit (see above).
CDX_PER_MINUTE = 24
# The archive's replays (web.archive.org/web/...): 600 a minute (the same client's DEFAULT_MEMENTO_RATE_LIMIT, 80% of
# it asked). A capture asked for by where it is (its nearest to a moment) is followed by at most one fetch of it: half.
REPLAY_PER_MINUTE = 240
# After a 429 that does not say when to come back: the wait of the client cited above (DEFAULT_RATE_LIMIT_DELAY).
SILENCE = 60.0
# The longest pause a Retry-After is honoured for (a refusal that asks for more still stops the run's requests
# that long: then they are tried again, and refused again if it was meant).
MOST_PAUSE = 600.0


class Pacing:
    """One service's requests, from every thread: spaced, and paused after a refusal."""

    def __init__(self, per_minute: float, cancel: Cancel, clock: Callable[[], float]) -> None:
        self.gap = 60.0 / per_minute
        self._cancel = cancel
        self._clock = clock
        self._lock = threading.Lock()
        self._next = float("-inf")  # when the next request may start (the first: at once)
        self._paused_until = float("-inf")

    def take(self) -> None:
        """Wait until a request may start, and count it started (:class:`~imgur_dl.errors.Cancelled` if the run
        is cancelled meanwhile)."""
        while True:
            with self._lock:
                now = self._clock()
                wait = max(self._next, self._paused_until) - now
                if wait <= 0:
                    self._next = now + self.gap
                    return
            self._cancel.sleep(wait)  # (then looked at again: a refusal meanwhile may have paused every request)

    def refused(self, asked: float | None) -> float:
        """A 429 (``asked``: its ``Retry-After``): no request starts for the pause, which is returned."""
        pause = SILENCE if asked is None else min(asked, MOST_PAUSE)
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + pause)
        return pause
