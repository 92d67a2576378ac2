"""How many requests to the CDN may be in flight: learned from the CDN's own answers.

Imgur's CDN refuses (429) requests past some number in flight. The throttle
finds that number from the evidence instead of halving blindly:

- every request carries a :class:`Ticket` saying which *generation* of the
  limit it was sent under, and whether the CDN accepted it (2xx headers);
- the most requests the CDN accepted at once in the current generation is a
  level known to work;
- a refusal of a request sent under the current limit starts a new
  generation whose limit is that known level (or half, when nothing is known
  yet). Refusals of requests sent under an older, higher limit say nothing
  new and change nothing, so a burst of 26 refusals cuts the limit once;
- after ``2 x limit`` clean answers the limit grows by one, but not past a
  level the CDN refused within :data:`PROBE_AFTER` seconds: when the evidence
  says 6, it stays 6 rather than paying a refusal every few files to re-learn it;
- only when even one request at a time is refused does everyone wait out
  ``Retry-After`` together (a limit on rate, not on requests in flight).

One throttle serves a whole run, so what one album teaches the next knows.
It knows nothing of the API, which has limits of its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from imgur_dl.session import Cancel

# How long a refused level stays out of bounds before the throttle probes it again.
PROBE_AFTER = 30.0


@dataclass
class Ticket:
    """One request's place in the throttle."""

    generation: int
    accepted: bool = False


class Throttle:
    def __init__(self, ceiling: int, cancel: Cancel, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self._clock = clock
        self._cancel = cancel
        self._cond = threading.Condition()
        self._active = 0  # requests in flight
        self._accepted = 0  # of those, the ones the CDN accepted
        self._known_good = 0  # the most accepted at once in this generation
        self._generation = 0
        self._clean = 0  # clean answers to requests of this generation
        self._refused_level = 0  # a level the CDN refused ...
        self._refused_at = 0.0  # ... and when
        self._paused_until = 0.0

    # -- taking and giving back a place -----------------------------------------

    def try_acquire(self) -> Ticket | None:
        """A place, if one is free now."""
        with self._cond:
            return self._take()

    @contextlib.contextmanager
    def slot(self) -> Iterator[Ticket]:
        """Wait for a place (a cancel ends the wait), hold it while the body is read."""
        with self._cond:
            while (ticket := self._take()) is None:
                self._cancel.check()
                wait = self._paused_until - self._clock()
                self._cond.wait(min(wait, 0.2) if wait > 0 else 0.2)  # bounded: a cancel is seen promptly
        try:
            yield ticket
        finally:
            self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            self._active -= 1
            if ticket.accepted:
                self._accepted -= 1
            self._cond.notify_all()

    def _take(self) -> Ticket | None:
        if self._active >= self.limit or self._clock() < self._paused_until:
            return None
        self._active += 1
        return Ticket(self._generation)

    # -- what the CDN said -------------------------------------------------------

    def accepted(self, ticket: Ticket) -> None:
        """The CDN took this request (2xx): so many at once work."""
        with self._cond:
            ticket.accepted = True
            self._accepted += 1
            if ticket.generation == self._generation:
                self._known_good = max(self._known_good, self._accepted)

    def succeeded(self, ticket: Ticket) -> None:
        """The whole body arrived."""
        with self._cond:
            if ticket.generation != self._generation:
                return
            self._clean += 1
            if self.limit >= self.ceiling or self._clean < 2 * self.limit:
                return
            if self.limit + 1 >= self._refused_level and self._clock() - self._refused_at < PROBE_AFTER:
                return  # refused there a moment ago: stay
            self.limit += 1
            self._clean = 0
            self._cond.notify_all()

    def refused(self, ticket: Ticket, wait: float) -> bool:
        """A 429 for this request. True when it changed the limit (the caller says so)."""
        with self._cond:
            if ticket.generation != self._generation:
                return False  # sent under an older, higher limit: already accounted for
            now = self._clock()
            if self.limit == 1:
                self._paused_until = max(self._paused_until, now + wait)
            level = self._known_good or self._accepted
            self._refused_level = self.limit
            self._refused_at = now
            self.limit = max(1, min(self.limit - 1, level) if level else self.limit // 2)
            self._generation += 1
            self._clean = 0
            self._known_good = 0
            self._cond.notify_all()
            return True
