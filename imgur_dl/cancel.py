"""Cancellation: one token that Ctrl-C, SIGTERM or SIGHUP trips to stop every worker at once."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import urllib3

from imgur_dl.clock import Clock
from imgur_dl.errors import Cancelled


class Cancel:
    """Trips once; wakes every waiter and breaks every live download."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._live: set[urllib3.BaseHTTPResponse] = set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("interrupted")

    def sleep(self, seconds: float, clock: Clock | None = None) -> None:
        """Wait ``seconds`` on the run's clock (or ``clock``), or raise :class:`Cancelled` as soon as the run
        is cancelled."""
        if seconds > 0:
            (clock or self.clock).wait(self._event, seconds)
        self.check()

    @contextlib.contextmanager
    def tracking(self, response: urllib3.BaseHTTPResponse) -> Iterator[None]:
        """While the body of ``response`` is read, a cancel shuts its socket."""
        with self._lock:
            self._live.add(response)
        try:
            self.check()
            yield
        finally:
            with self._lock:
                self._live.discard(response)

    def trip(self) -> None:
        self._event.set()
        with self._lock:
            live = list(self._live)
        for response in live:
            _shut(response)


def _shut(response: urllib3.BaseHTTPResponse) -> None:
    """Break a blocked read from another thread: shut the socket under it (both ways).

    ``HTTPResponse.connection`` and ``HTTPConnection.sock`` are urllib3's
    public attributes; the socket's own ``shutdown`` (an ``SSLSocket``'s
    included) wakes the reading thread with end-of-stream at once.
    """
    connection = getattr(response, "connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)
