"""Room for the files a run holds open: each download under way holds its connection and its part file.

A process may hold as many open as its soft limit (``ulimit -n``): 256 by
default on macOS, 1,024 on most Linux systems, less where someone set it so.
Past it, every file opened fails ("Too many open files"), and so would a run's
downloads, one after another. Before a run, the soft limit is raised towards
the hard one as far as its downloads need, as Go's runtime raises it for
every program (never past 1,024 by this: a descriptor above that is more than
``select()`` takes); where even the hard limit leaves too little room, fewer
downloads run at once, and that is said.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

from imgur_dl.text import WARNING_PREFIX

PER_DOWNLOAD = 2  # its connection and its part file (measured: 138 held at once by 64 slow downloads)
RESERVED = 64  # the run's own: standard streams, folders, the archive, the API's and archive.org's connections


@dataclass(frozen=True)
class Limits:
    """The process's open-file limits: read as (soft, hard), and set."""

    read: Callable[[], tuple[int, int]]
    write: Callable[[int, int], None]
    unlimited: int  # what a limit reads as where there is none (RLIM_INFINITY)


def system_limits() -> Limits | None:
    """This process's limits; None where the system keeps none to read (Windows)."""
    if sys.platform == "win32":
        return None
    import resource  # noqa: PLC0415 - (not on Windows)

    def write(soft: int, hard: int) -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return Limits(lambda: resource.getrlimit(resource.RLIMIT_NOFILE), write, resource.RLIM_INFINITY)


def needed(downloads: int) -> int:
    """The files a run of ``downloads`` at once may hold open."""
    return RESERVED + PER_DOWNLOAD * downloads


def room(downloads: int, limits: Limits | None, say: Callable[[str], None]) -> int:
    """How many downloads may run at once: ``downloads``, once the soft limit is raised as far as they need (and
    the hard limit allows); fewer, said, where it cannot be raised that far."""
    if limits is None:
        return downloads
    soft, hard = limits.read()
    want = needed(downloads)
    if soft != limits.unlimited and soft < want:
        raised = want if hard == limits.unlimited else min(want, hard)
        with contextlib.suppress(OSError, ValueError):  # (a system may keep a bound of its own below the hard one)
            limits.write(raised, hard)
            soft = raised
    if soft == limits.unlimited or soft >= want:
        return downloads
    allowed = max(1, (soft - RESERVED) // PER_DOWNLOAD)
    say(f"{WARNING_PREFIX}{downloads} downloads at once would hold about {want} files open, and this process may "
        f"open {soft} (ulimit -n): {allowed} at once instead")
    return allowed
