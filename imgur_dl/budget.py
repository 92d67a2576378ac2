"""What is left of Imgur's API budget for this client and user, and when a spent one comes back.

Every API answer says (Imgur API documentation, "Rate Limits"):
``X-RateLimit-ClientRemaining`` and ``-UserRemaining``; ``-UserReset``, the
Unix time the user budget comes back (the client budget is daily: its
reset is not a time). At 0, the API is asked nothing more, unless it said
when it comes back (``Retry-After``, or the user budget's reset) and that
is soon enough to wait for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from imgur_dl.errors import BudgetSpentError
from imgur_dl.text import Once, decimal

# The longest wait for a spent budget that the API says comes back: past it, stop asking.
MAX_WAIT = 600.0


class Budget:
    def __init__(self, sleep: Callable[[float], None], say: Callable[[str], None],
                 now: Callable[[], float] = time.time) -> None:
        self.sleep = sleep  # the run's cancellable wait
        self.say = say  # told once per wait
        self.now = now  # wall-clock time: the resets are Unix times
        self.remaining: int | None = None
        self.resume_at: float | None = None  # when a spent budget comes back, when the API said
        self._said = Once()  # each comeback time is said once, whichever lookup meets it

    @property
    def spent(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def count(self, headers: Mapping[str, str], retry_after: float | None) -> None:
        """Read one answer's word on the budget."""
        left = [n for name in ("X-RateLimit-ClientRemaining", "X-RateLimit-UserRemaining")
                if (n := decimal(headers.get(name, "").strip())) is not None]
        if left:
            self.remaining = min(left)
        if not self.spent:
            return
        user_reset = headers.get("X-RateLimit-UserReset", "").strip()
        user_spent = headers.get("X-RateLimit-UserRemaining", "").strip() == "0"
        client_spent = headers.get("X-RateLimit-ClientRemaining", "").strip() == "0"
        if retry_after is not None:
            self.resume_at = self.now() + retry_after
        elif user_spent and not client_spent and user_reset.isascii() and user_reset.isdigit():
            self.resume_at = float(user_reset)
        else:
            self.resume_at = None

    def wait(self, host: str) -> None:
        """With the budget spent: wait until it comes back, if that is soon; else :class:`BudgetSpentError`."""
        if not self.spent:
            return
        wait = None if self.resume_at is None else max(0.0, self.resume_at - self.now())
        if wait is None or wait > MAX_WAIT:  # (the run says when to try again: planner)
            raise BudgetSpentError("Imgur's API budget for this client is spent (X-RateLimit-*Remaining: 0)",
                                   back_in=wait)
        if self._said.first(str(self.resume_at)):
            self.say(f"imgur-dl: {host}: the API's budget for this client is spent; it comes back in "
                     f"{wait:.0f}s: waiting")
        self.sleep(wait)
        self.remaining = None
