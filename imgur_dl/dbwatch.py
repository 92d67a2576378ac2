"""Calls to a database server that does not answer: their connection is cut, so that no call waits for ever.

A server whose machine hangs (its storage stuck, its processes stopped)
still has a kernel that takes connections and acknowledges what is sent:
TCP keepalives and ``tcp_user_timeout`` see nothing wrong, and a query waits
for an answer that never comes, in whichever thread made it, the run's own
included, where Ctrl-C is then noted and never acted on. So each call is
watched, by one thread per connection: one that goes unanswered for
:data:`CALL_LIMIT` seconds, or for :data:`PATIENCE` seconds once the run is
ending (``give_up()``: a signal came), has its socket shut under it, as a
download's is on Ctrl-C; the call then fails as a lost connection does, and
:meth:`Watchdog.end` says why it was cut.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from enum import Enum

from imgur_dl import threads

CALL_LIMIT = 60.0  # seconds: as long as TCP keepalives take to find a vanished server
PATIENCE = 1.0  # seconds a call may go on once the run is ending (a healthy one answers in milliseconds)
_LOOK = 0.1  # how often a call under way is looked at


class Cut(Enum):
    TIMED_OUT = "timed out"
    GIVEN_UP = "given up"


class Watchdog:
    """Watches one call at a time on a connection (its socket's descriptor), from a thread of its own."""

    def __init__(self, give_up: Callable[[], bool] = lambda: False, *, limit: float = CALL_LIMIT,
                 patience: float = PATIENCE, now: Callable[[], float] = time.monotonic) -> None:
        self.give_up = give_up
        self.limit = limit
        self.patience = patience
        self.now = now
        self._cond = threading.Condition()
        self._call: tuple[int, float, bool] | None = None  # the socket of the call under way, when it began, limited
        self._cut: Cut | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def begin(self, fd: int, *, limit: bool = True) -> None:
        """A call on the connection whose socket is ``fd`` begins (``limit``: cut when unanswered for the limit;
        False for one that may rightly take long, as making an index on a large table does)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="imgur-dl-archive-watch", daemon=True)
                threads.start(self._thread)
            self._call, self._cut = (fd, self.now(), limit), None
            self._cond.notify_all()

    def end(self) -> Cut | None:
        """The call has ended: why its connection was cut, if it was (then it is not to be used again)."""
        with self._cond:
            self._call = None
            return self._cut

    def close(self) -> None:
        """No more calls: the watching thread ends (a program that makes many runs keeps none of them)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                if self._call is None:
                    self._cond.wait()
                    continue
                fd, began, limited = self._call
                waited = self.now() - began
                cut = Cut.TIMED_OUT if limited and waited >= self.limit else \
                    Cut.GIVEN_UP if waited >= self.patience and self.give_up() else None
                if cut is not None:
                    self._cut, self._call = cut, None
                    _shut(fd)  # (under the lock: the call cannot end, and its socket close, meanwhile)
                else:
                    self._cond.wait(_LOOK)


def _shut(fd: int) -> None:
    """Shut the socket ``fd`` both ways (its owner's blocked wait ends at once), through a copy of the descriptor:
    the owner's own stays open, for it to close."""
    with contextlib.suppress(OSError):
        copy = socket.socket(fileno=os.dup(fd))
        try:
            copy.shutdown(socket.SHUT_RDWR)
        finally:
            copy.close()
