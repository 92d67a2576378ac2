"""Room for the files a run holds open: each download under way holds its connection, part file and folder.

A process may hold as many open as its soft limit (``ulimit -n``): 256 by
default on macOS, 1,024 on most Linux systems, less where someone set it so.
Past it, every file opened fails ("Too many open files"), and so would a run's
downloads, one after another. Before a run, the soft limit is raised towards
the hard one as far as its downloads need, as Go's runtime raises it for
every program (to 448 at the most, never past 1,024: a descriptor above that is
more than ``select()`` takes); where even the hard limit leaves too little room, fewer
downloads run at once, and that is said.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgur_dl.text import WARNING_PREFIX

# Its connection (in use, or kept for the next), its part file and its folder (measured: 91 sockets, 68 part files
# and 90 folders held at once by a run of 128 at once through 400 albums of a file each).
PER_DOWNLOAD = 3
_FEW = 16  # files a process holds open as it starts (standard streams, a list being read): not worth a word
RESERVED = 64  # the run's own: standard streams, folders, the archive, the API's and archive.org's connections


@dataclass(frozen=True)
class Limits:
    """The process's open-file limits: read as (soft, hard), and set."""

    read: Callable[[], tuple[int, int]]
    write: Callable[[int, int], None]
    unlimited: int  # what a limit reads as where there is none (RLIM_INFINITY)
    open_now: Callable[[], int] = lambda: 0  # how many the process holds open already (a program calling a run)


def system_limits() -> Limits | None:
    """This process's limits; None where the system keeps none to read (Windows)."""
    if sys.platform == "win32":
        return None
    import resource  # noqa: PLC0415 - (not on Windows)

    def write(soft: int, hard: int) -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return Limits(lambda: resource.getrlimit(resource.RLIMIT_NOFILE), write, resource.RLIM_INFINITY, _open_now)


def _open_now() -> int:
    """The descriptors this process holds open, as the system lists them (Linux's /proc, macOS's /dev/fd); 0 where
    it lists none."""
    for listed in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sum(1 for _ in Path(listed).iterdir()) - 1  # (less the one that lists them)
    return 0


def needed(downloads: int) -> int:
    """The files a run of ``downloads`` at once may hold open."""
    return RESERVED + PER_DOWNLOAD * downloads


def room(downloads: int, limits: Limits | None, say: Callable[[str], None]) -> int:
    """How many downloads may run at once: ``downloads``, once the soft limit is raised as far as they need (and
    the hard limit allows); fewer, said, where it cannot be raised that far."""
    if limits is None:
        return downloads
    soft, hard = limits.read()
    in_use = limits.open_now()
    want = in_use + needed(downloads)
    if soft != limits.unlimited and soft < want:
        raised = want if hard == limits.unlimited else min(want, hard)
        with contextlib.suppress(OSError, ValueError):  # (a system may keep a bound of its own below the hard one)
            limits.write(raised, hard)
            soft = raised
    if soft == limits.unlimited or soft >= want:
        return downloads
    allowed = max(1, (soft - in_use - RESERVED) // PER_DOWNLOAD)
    held = f" ({in_use} of them open already)" if in_use > _FEW else ""
    say(f"{WARNING_PREFIX}{downloads} downloads at once would hold about {want} files open{held}, and this process "
        f"may open {soft} (ulimit -n): {allowed} at once instead")
    return allowed
