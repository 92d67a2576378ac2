"""When a throttle's places grow: a slow start of :data:`GROWTH` times a round trip, checked for queueing,
then one place at a time, never back onto a level the CDN refused a moment ago (see :mod:`imgur_dl.throttle`).

:class:`Growth` is told of each place taken, each acceptance, each whole body and each refusal, and answers
with the new limit when it changes; the places themselves, and the cuts a refusal makes, are the throttle's.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

# How many times the places grow a round trip in the slow start. Four, not two as TCP does: the benchmark's
# far CDN (150 ms, 120 files) took 1.27 s instead of 1.45 s at the median, and a CDN that takes six at once
# 2.84 s instead of 2.80 s for 120 files, 0.59 s instead of 0.61 s for 10 (docs/benchmarks.md). The refusals
# of the bigger burst cost nothing once the files waiting them out hold no place in the run's queue.
GROWTH = 4
# How long a refused level stays out of bounds before the throttle probes it again.
PROBE_AFTER = 30.0
# A round whose requests waited this many times as long, on average, as the round before, with fewer
# places, queued (twice running: once may be chance); past this many times the waits where no queue was,
# one place more is not tried. Below QUEUE_SLACK more, a wait is no rise (the process's own work around
# each answer).
QUEUE_RISE = 1.5
SLOW_RISE = 1.25
QUEUE_SLACK = 0.002


class Ramp(Enum):
    """What a round of the slow start says of the next."""

    GROW = "grow"  # the waits did not rise with the places: more of them
    HOLD = "hold"  # they rose: the same places once more, to tell a queue from chance
    QUEUED = "queued"  # they rose twice running: back to the places before the rise, and the ramp ends


class Waits:
    """How long the CDN takes to accept requests, round by round: do more in flight only queue?

    Rounds are compared by their average wait, not with the quickest answer ever: a CDN that
    serves some files from its cache in 20 ms and fetches others for 300 ms has waits far
    apart with no queue at all, and the averages of two rounds of such answers stay alike.
    """

    def __init__(self) -> None:
        self._total = 0.0
        self._count = 0
        self._before: float | None = None  # the average of the last round before the places grew
        self._suspect = False  # the last round's average rose: this one, at the same places, tells
        self.reference: float | None = None  # once a queue was found: the average wait where none was

    def note(self, seconds: float) -> None:
        self._total += seconds
        self._count += 1

    def _average(self) -> float | None:
        """This round's average wait (None without an answer); the next round counts afresh."""
        average = self._total / self._count if self._count else None
        self._total, self._count = 0.0, 0
        return average

    def ramp_round(self) -> Ramp:
        """A round of the slow start has ended: what the next one does."""
        average = self._average()
        if average is None:
            return Ramp.GROW
        rose = self._before is not None and average >= QUEUE_RISE * self._before + QUEUE_SLACK
        if not rose:
            self._suspect = False
            self._before = average
            return Ramp.GROW
        if not self._suspect:
            self._suspect = True
            return Ramp.HOLD
        self.reference = self._before
        return Ramp.QUEUED

    def may_grow(self) -> bool:
        """(After the ramp) whether one more place would not queue: no queue was found, or the waits are back
        near where there was none."""
        average = self._average()
        return self.reference is None or average is None or average <= SLOW_RISE * self.reference + QUEUE_SLACK


class Growth:
    """When the places grow, from what the throttle tells of its requests (under the throttle's lock)."""

    def __init__(self, limit: int, ceiling: int, clock: Callable[[], float]) -> None:
        self.ceiling = ceiling
        self.ramping = limit < ceiling  # growing each round trip, until a refusal or the ceiling
        self._grown_from = limit  # (while ramping) the places before they last grew
        self._full = False  # every place has been in use at the present limit
        self._clean = 0  # clean answers to requests of this generation (while ramping: acceptances)
        self._done = 0  # (while ramping) answers come in full since the window was in use
        self._refused_level = 0  # a level the CDN refused ...
        self._refused_at = 0.0  # ... and when
        self._clock = clock
        self._waits = Waits()  # how long acceptances take: do requests queue?

    def taken(self, active: int, limit: int) -> None:
        """A place was taken: ``active`` are in use of ``limit``."""
        if not self._full and active >= limit:
            self._full = True  # the places all in use: more might be used
            if self.ramping:
                self._clean = self._done = 0  # answers count toward growing from here

    def cut(self) -> None:
        """A refusal's cut set a new limit: clean answers count afresh."""
        self._clean = 0

    def accepted(self, limit: int, waited: float, *, current: bool, wanting: int) -> int | None:
        """The CDN accepted a request after ``waited`` seconds (``current``: of this generation) while
        ``wanting`` wait for a place: the new limit, or None."""
        self._waits.note(waited)
        if not (self.ramping and self._full and current):
            return None
        self._clean += 1
        if self._clean >= limit and wanting >= limit:  # a window's worth accepted, and enough waiting to use
            return self._grow(limit)  # more places
        return None

    def succeeded(self, limit: int) -> int | None:
        """A whole body arrived for a request of this generation: the new limit, or None."""
        if self.ramping:
            self._done += 1
            # A full window's worth, taken cleanly; at the ceiling, as many answers as places, the places
            # all in use or not (a run next door, bound by its CPU, may never have them all in use).
            if (self._full or limit >= self.ceiling) and self._done >= limit:
                return self._grow(limit)
            return None
        self._clean += 1
        if limit >= self.ceiling or self._clean < 2 * limit or not self._full:
            return None  # (places never all in use since the last step: one more would stand idle too)
        if limit + 1 >= self._refused_level and self._clock() - self._refused_at < PROBE_AFTER:
            return None  # refused there a moment ago: stay
        self._clean = 0
        if not self._waits.may_grow():
            return None  # more in flight would queue: stay
        self._full = False
        return limit + 1

    def refused(self, limit: int, now: float) -> None:
        """The CDN refused a request sent under ``limit``, the present one: the ramp ends."""
        self.ramping = self._full = False
        self._refused_level, self._refused_at = limit, now

    def _grow(self, limit: int) -> int:
        """(While ramping) :data:`GROWTH` times the places, up to the ceiling; the same once more after a round
        whose waits rose; those before the rise, and the ramp ends, after a second such round (or after a
        round at the ceiling whose waits did not rise). The next round counts afresh."""
        step = self._waits.ramp_round()
        if step is Ramp.QUEUED:
            limit = self._grown_from
            self.ramping = False
        elif step is Ramp.GROW and limit >= self.ceiling:  # a round at the ceiling that did not queue
            self.ramping = False
        elif step is Ramp.GROW:  # (the round at the ceiling is checked too: a step of four can reach it
            #                      straight from where a CDN next door, bound by the CPU, still keeps up)
            self._grown_from, limit = limit, min(self.ceiling, GROWTH * limit)
        self._full = False
        self._clean = self._done = 0
        return limit
