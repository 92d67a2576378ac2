"""The one retry loop: for file downloads and small answers alike.

An attempt returns its outcome, or :class:`Again` (a failure worth another
attempt); :func:`retry` waits as the policy says, on the clock it is given,
and returns the outcome or :class:`GaveUp`. Nothing is raised to steer it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

from imgur_dl.defaults import DEFAULT_RETRIES

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before trying again."""

    retries: int = DEFAULT_RETRIES  # attempts after the first, for failures that may pass
    refusals: int = 8  # 429s one request waits out before it gives up: a refusal that never ends must end
    base: float = 0.5  # seconds; doubles per attempt
    cap: float = 30.0  # longest backoff between attempts
    max_wait: float = 60.0  # longest Retry-After honoured as given

    def backoff(self, attempt: int) -> float:
        """Wait before attempt ``attempt`` + 1: exponential, with jitter."""
        doublings = min(max(0, attempt - 1), 64)  # (past 2**64 times the base, every cap is reached long since)
        ceiling: float = min(self.cap, self.base * 2.0 ** doublings)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def server_wait(self, asked: float | None, attempt: int) -> float:
        """What to wait after an answer that asked for ``asked`` seconds (or did not say)."""
        if asked is None:
            return self.backoff(attempt)
        return min(asked, self.max_wait)


@dataclass(frozen=True, slots=True)
class Again(Generic[T]):
    """This attempt failed in a way worth another.

    ``refused``: a 429, counted against ``policy.refusals`` rather than
    ``policy.retries``. ``awaited``: what this attempt waits on is under way
    elsewhere and has moved since the last (another process writing the
    file): counted against neither, its ``wait`` waited as given.
    ``note``: a line to say before the wait. ``fallback``: what to return
    instead when no attempt is left. ``held``: what the attempt held before
    it asked (a partial file an earlier run left) may be what was wrong: the
    attempt may ask once more, from the start, before it counts.
    """

    reason: str
    wait: float | None = None  # what the server asked for (Retry-After), if anything
    refused: bool = False
    awaited: bool = False
    note: str | None = None
    fallback: T | None = None
    held: bool = False


@dataclass(frozen=True, slots=True)
class GaveUp:
    """Every attempt the policy allows failed; ``last`` says how the last one did."""

    last: Again[object]
    attempts: int

    @property
    def refused(self) -> bool:
        return self.last.refused


def retry(attempt: Callable[[], T | Again[T]], *, policy: RetryPolicy, sleep: Callable[[float], None],
          waiting: Callable[[Again[T], float], None] | None = None) -> T | GaveUp:
    """Call ``attempt`` until it returns something other than :class:`Again`, or the policy is spent.

    ``sleep`` is the clock's (cancellable) wait; ``waiting`` hears of each wait before it starts.
    """
    failures = refusals = 0
    while True:
        outcome = attempt()
        if not isinstance(outcome, Again):
            return outcome
        if outcome.awaited and outcome.wait is not None:
            wait = outcome.wait
        elif outcome.refused:
            refusals += 1
            if refusals > policy.refusals:
                return _gave_up(outcome, failures + refusals)
            wait = policy.server_wait(outcome.wait, refusals)
        else:
            failures += 1
            if failures > policy.retries:
                return _gave_up(outcome, failures + refusals)
            wait = min(policy.server_wait(outcome.wait, failures), policy.max_wait)
        if waiting is not None:
            waiting(outcome, wait)
        sleep(wait)


def _gave_up(last: Again[T], attempts: int) -> T | GaveUp:
    return last.fallback if last.fallback is not None else GaveUp(last, attempts)  # type: ignore[arg-type]


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds that ``Retry-After`` asks for (delta-seconds or an HTTP date), if any."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            return None
        seconds: float = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError):  # (Overflow: a field of 20 digits, a day's or a zone's)
        return None
    return max(0.0, seconds)
