"""Memory a run has freed, given back to the system as the run goes.

glibc keeps what threads free in per-thread caches and in pieces inside its
heaps, and gives little of it back by itself: through a 30,000-file album
the process grew by about 45 MB while the bytes in use stayed near 10 MB
(docs/benchmarks.md, "The C heap at 30,000 files"). ``malloc_trim(0)``
hands every whole free page of every heap back to the system; made a few
times a second, it keeps a long run near what it uses, for a few
milliseconds at most each time (5 ms for a 200 MB heap with 100,000 holes).
C libraries without it (musl, macOS) are left alone.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

# Seconds between two trims, at the most often.
TRIM_EVERY = 0.25


class Trim:
    """Calls ``release`` as files are booked, at most once every :data:`TRIM_EVERY` seconds."""

    def __init__(self, release: Callable[[], object] | None, clock: Callable[[], float],
                 every: float = TRIM_EVERY) -> None:
        self.release = release
        self._clock = clock
        self._every = every
        self._next: float | None = None  # the first trim waits a whole period: a short run never makes one

    def file_booked(self) -> None:
        if self.release is None:
            return
        now = self._clock()
        if self._next is None:
            self._next = now + self._every
        elif now >= self._next:
            self._next = now + self._every
            self.release()


def c_heap_release() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, when this process's C library has it; else None."""
    try:
        libc = ctypes.CDLL(None)  # the symbols this process already has loaded, the C library's among them
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)
