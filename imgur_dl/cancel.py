"""Cancellation: one token that Ctrl-C, SIGTERM or SIGHUP trips to stop every worker at once."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import urllib3
from urllib3.connection import HTTPConnection

from imgur_dl.clock import Clock
from imgur_dl.errors import Cancelled

# The run whose request this thread is making (:meth:`Cancel.asking`), for its connection to be found by while it
# waits for the answer (:func:`awaited`).
_asking = threading.local()


class Cancel:
    """Trips once; wakes every waiter and breaks every live download."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._live: set[urllib3.BaseHTTPResponse | HTTPConnection] = set()  # what a trip shuts the socket of

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

    @contextlib.contextmanager
    def asking(self) -> Iterator[None]:
        """While this thread makes a request, a cancel breaks its wait for the answer too (:func:`awaited`), as it
        breaks the reading of a body (:meth:`tracking`): a server that holds its answer holds no worker past it."""
        before = getattr(_asking, "cancel", None)
        _asking.cancel = self
        try:
            yield
        finally:
            _asking.cancel = before

    @contextlib.contextmanager
    def _awaiting(self, connection: HTTPConnection) -> Iterator[None]:
        with self._lock:
            self._live.add(connection)
        try:
            self.check()
            yield
        finally:
            with self._lock:
                self._live.discard(connection)

    def trip(self) -> None:
        self._event.set()
        with self._lock:
            live = list(self._live)
        for response in live:
            _shut(response)


@contextlib.contextmanager
def awaited(connection: HTTPConnection) -> Iterator[None]:
    """While ``connection`` waits for the answer to a request this thread makes under :meth:`Cancel.asking`, that
    run's cancel shuts its socket (none is tracked for a request made under none)."""
    cancel: Cancel | None = getattr(_asking, "cancel", None)
    if cancel is None:
        yield
        return
    with cancel._awaiting(connection):
        yield


def _shut(held: urllib3.BaseHTTPResponse | HTTPConnection) -> None:
    """Break a blocked read from another thread: shut the socket under it (both ways): a response's, or a connection's
    waiting for its answer.

    ``HTTPResponse.connection`` and ``HTTPConnection.sock`` are urllib3's
    public attributes; the socket's own ``shutdown`` (an ``SSLSocket``'s
    included) wakes the reading thread with end-of-stream at once.
    """
    connection = held if isinstance(held, HTTPConnection) else getattr(held, "connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)
