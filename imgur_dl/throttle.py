"""How many requests to the CDN may be in flight: learned from the CDN's own answers.

Imgur's CDN refuses (429) requests past some number in flight. The throttle
finds that number from the evidence instead of halving blindly:

- every request carries a :class:`Ticket` saying which *generation* of the
  limit it was sent under, and whether the CDN accepted it (2xx headers);
- the most requests the CDN accepted at once in the current generation is a
  level known to work;
- a refusal of a request sent under the current limit starts a new
  generation. Its limit is set once every request of the refused generation
  has been answered (or after :data:`CENSUS_WAIT`), from the most the CDN
  accepted at once meanwhile (half the old limit when it accepted none), and
  no request is sent in between. Refusals of requests sent under an older,
  higher limit say nothing new and change nothing, so a burst of 26 refusals
  cuts the limit once, to what the CDN really took;
- it starts at ``START_WORKERS`` in flight (a browser's six connections to one
  host: what a CDN that serves a website takes from one visitor), and while
  no refusal has come, it grows :data:`~imgur_dl.growth.GROWTH` times once every place has
  been in use and as many answers as places have come in full: once a round
  trip, so a small album meets no burst of refusals and a big one reaches
  the ceiling after a few round trips (a slow start, as TCP grows its
  window, but faster). When more requests wait than there are places, it
  grows as soon as the CDN has accepted a window's worth (the answer's
  status, before its body): big files then do not hold the ramp back for
  as long as their bodies take, and a small album's last few files still
  wait for the bodies before them rather than meet the CDN's limit on top
  of them. A run that never fills its places (files found one at a time)
  does not grow;
- it grows only while requests are not queueing: when the places grew
  and a round's requests waited on average :data:`~imgur_dl.growth.QUEUE_RISE` times as
  long as the round's before for the CDN to accept them, more in flight
  would only queue (in this process, when its CPU is the bound, or on the
  way). One such round is checked by another at the same places; a second
  takes the places back to where they were before the rise and ends the
  ramp, and the slow growth after it waits until the waits are back near
  where no queue was (TCP Vegas's reading of round trips, from round
  averages: a CDN whose cached files answer in 20 ms and others in 300 ms
  is not a queue). The round that reaches the ceiling is read too, its
  places all in use or not. On a CDN next door a run keeps what does not
  queue (on the benchmark's stand-in, 64 places or back to 24, some 55
  files in flight at the most);
- after the ramp, ``2 x limit`` clean answers grow the limit by one, once its
  places have all been in use (a run bound elsewhere, by its CPU or its disk,
  that never fills them has no use for one more: TCP does not grow a window
  the sender leaves unused either, RFC 7661), but not past a
  level the CDN refused within :data:`~imgur_dl.growth.PROBE_AFTER` seconds: when the evidence
  says 6, it stays 6 rather than paying a refusal every few files to re-learn it;
- only when even one request at a time is refused does everyone wait out
  ``Retry-After`` together (a limit on rate, not on requests in flight).

One throttle serves a whole run, so what one album teaches the next knows.
It knows nothing of the API, which has limits of its own. When the places
grow is :mod:`imgur_dl.growth`'s; the places, and the cuts refusals make,
are this module's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from imgur_dl.cancel import Cancel
from imgur_dl.defaults import START_WORKERS
from imgur_dl.growth import Growth

# The longest new requests wait for the answers that set a new limit.
CENSUS_WAIT = 2.0


@dataclass
class Ticket:
    """One request's place in the throttle."""

    generation: int
    taken: float = 0.0  # when the place was taken (on the throttle's clock)
    accepted: bool = False
    answered: bool = False  # accepted or refused (or given back without an answer)


class Census:
    """The requests of each generation not answered yet, and the cut a refusal calls for once they are."""

    def __init__(self) -> None:
        self._unanswered: Counter[int] = Counter()
        self.cut: tuple[int, int, float] | None = None  # (refused generation, its limit, deadline) of a cut to make

    def sent(self, generation: int) -> None:
        self._unanswered[generation] += 1

    def answered(self, ticket: Ticket) -> bool:
        """Count ``ticket``'s answer (once); whether it was the last of its generation."""
        if ticket.answered:
            return False
        ticket.answered = True
        self._unanswered[ticket.generation] -= 1
        if self._unanswered[ticket.generation] > 0:
            return False
        del self._unanswered[ticket.generation]
        return True

    def settle(self, now: float, level: int) -> int | None:
        """The limit the cut makes once its generation is answered (or at its deadline), and the cut is made;
        None while it waits. ``level``: the most the CDN accepted at once meanwhile."""
        if self.cut is None or (self._unanswered[self.cut[0]] > 0 and now < self.cut[2]):
            return None
        old, self.cut = self.cut[1], None
        return max(1, min(old - 1, level) if level else old // 2)


class Throttle:
    def __init__(self, ceiling: int, cancel: Cancel, clock: Callable[[], float] = time.monotonic,
                 start: int = START_WORKERS) -> None:
        self.ceiling = ceiling
        self.limit = min(ceiling, start)
        self._growth = Growth(self.limit, ceiling, clock)
        self._clock = clock
        self._cancel = cancel
        self._cond = threading.Condition()
        self._active = 0  # requests in flight
        self._accepted = 0  # of those, the ones the CDN accepted
        self._known_good = 0  # the most accepted at once in this generation
        self._generation = 0
        self._wanting = 0  # requests waiting for a place
        self._paused_until = 0.0
        self._census = Census()

    # -- taking and giving back a place -----------------------------------------

    @property
    def wanting(self) -> int:
        """Requests waiting for a place now."""
        with self._cond:
            return self._wanting

    def try_acquire(self) -> Ticket | None:
        """A place, if one is free now."""
        with self._cond:
            return self._take()

    @contextlib.contextmanager
    def slot(self) -> Iterator[Ticket]:
        """Wait for a place (a cancel ends the wait), hold it while the body is read."""
        with self._cond:
            self._wanting += 1
            try:
                while (ticket := self._take()) is None:
                    self._cancel.check()
                    wait = self._paused_until - self._clock()
                    self._cond.wait(min(wait, 0.2) if wait > 0 else 0.2)  # bounded: a cancel is seen promptly
            finally:
                self._wanting -= 1
        try:
            yield ticket
        finally:
            self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            self._active -= 1
            if ticket.accepted:
                self._accepted -= 1
            self._answered(ticket)
            self._cond.notify_all()

    def _take(self) -> Ticket | None:
        now = self._clock()
        if not self._settle(now):
            return None  # the answers that set the new limit are still coming
        if self._active >= self.limit or now < self._paused_until:
            return None
        self._active += 1
        self._growth.taken(self._active, self.limit)
        self._census.sent(self._generation)
        return Ticket(self._generation, now)

    def _answered(self, ticket: Ticket) -> None:
        """Count ``ticket``'s answer (once) toward its generation's census."""
        if self._census.answered(ticket):
            self._settle(self._clock())

    def _settle(self, now: float) -> bool:
        """Make a pending cut once its census is complete (or overdue); False while it waits."""
        if (limit := self._census.settle(now, self._known_good)) is None:
            return self._census.cut is None
        self.limit, self._known_good = limit, 0
        self._growth.cut()
        return True

    def _grown(self, limit: int | None) -> None:
        """The places grew (or were taken back after a round that queued) to ``limit``, unless None."""
        if limit is not None:
            self.limit = limit
            self._cond.notify_all()

    # -- what the CDN said -------------------------------------------------------

    def accepted(self, ticket: Ticket) -> None:
        """The CDN took this request (2xx): so many at once work."""
        with self._cond:
            ticket.accepted = True
            self._accepted += 1
            self._answered(ticket)
            current = ticket.generation == self._generation
            if current or self._census.cut is not None:
                self._known_good = max(self._known_good, self._accepted)
            self._grown(self._growth.accepted(self.limit, self._clock() - ticket.taken, current=current,
                                              wanting=self._wanting))
            self._cond.notify_all()

    def succeeded(self, ticket: Ticket) -> None:
        """The whole body arrived."""
        with self._cond:
            if ticket.generation == self._generation:
                self._grown(self._growth.succeeded(self.limit))

    def refused(self, ticket: Ticket, wait: float) -> bool:
        """A 429 for this request. True when it will change the limit (the caller says so)."""
        with self._cond:
            self._answered(ticket)
            self._cond.notify_all()
            if ticket.generation != self._generation or self._census.cut is not None:
                return False  # sent under an older, higher limit: already accounted for
            now = self._clock()
            self._growth.refused(self.limit, now)
            if self.limit == 1:
                self._paused_until = max(self._paused_until, now + wait)
            self._census.cut = (self._generation, self.limit, now + CENSUS_WAIT)
            self._generation += 1
            self._settle(now)
            return True


class RateLimit:
    """``--limit-rate``: bytes per second across the whole run (a token bucket, one second deep).

    Workers call :meth:`take` after each chunk they receive; the one that
    overdraws the bucket sleeps until it is even again, so the run's average
    stays at the rate however many files are in flight. The bucket starts
    empty: from the run's start, no span holds more than the rate's worth and
    one chunk (as curl and wget average over the whole transfer); only a pause
    of the run's own (between posts, say) lets the next second come in faster.
    """

    def __init__(self, rate: float, cancel: Cancel, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._cancel = cancel
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._last = clock()

    def debt(self, size: int) -> float:
        """Take ``size`` bytes from the bucket; the seconds to wait before the next chunk."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate) - size
            self._last = now
            return max(0.0, -self._tokens / self.rate)

    def take(self, size: int) -> None:
        wait = self.debt(size)
        if wait > 0:
            self._cancel.sleep(wait)
