"""Room for the threads a run starts: one for each download at once, and a few of its own.

A system may let a process start only so many threads: a user's limit
(``ulimit -u``, as shared hosts set it low), a container's (``docker run
--pids-limit``), a cap on memory each thread's stack takes from. Past it, a
thread that cannot be started would end the run in the middle ("can't start
new thread"). Before a run, as many threads as it would start are started,
and let go of at once: where fewer can be, fewer downloads run at once, and
that is said.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgur_dl.errors import ImgurDLError
from imgur_dl.text import WARNING_PREFIX

# A limit this many times what a run starts is taken to leave it room, whatever else the user runs.
FAR = 10
# What a thread's stack takes from the address space (Linux's default: 8 MiB), where that is bound (ulimit -v).
STACK = 8 << 20
# The run's own, besides its downloads: lookups (16), the Wayback Machine's (4), the archive's writer and its
# watch, the input's reader, the lease's renewer, and room to spare.
OWN = 32


@dataclass(frozen=True)
class Bound:
    """The fewest threads the system may let this process start, and the limit that says so, as a person finds it."""

    threads: int
    by: str


NO_THREAD = "the system lets this run start no more threads (a pids limit, or ulimit -u)"


class NoThread(ImgurDLError):
    """A thread the run needs could not be started."""


def start(thread: threading.Thread, *, failing: Callable[[], None] | None = None) -> None:
    """Start ``thread``, a new one; :class:`NoThread` where the system will start no more ("can't start new
    thread"), once ``failing`` (what lets go of what the thread was to serve) has run."""
    try:
        thread.start()
    except RuntimeError:
        if failing is not None:
            failing()
        raise NoThread(NO_THREAD) from None


def room(downloads: int, say: Callable[[str], None], *, bound: Bound | None,
         start: Callable[[int], int] | None = None) -> int:
    """How many downloads may run at once: ``downloads``, where the threads they need can all be started; fewer,
    said, where they cannot. ``bound``: the system's limit, as :func:`bound` finds it (where it is far off, or there
    is none, nothing is tried: that costs a run some 20 ms); ``start``: how many of so many threads can be started
    (:func:`startable` by default)."""
    wanted = downloads + OWN
    if bound is None or bound.threads >= FAR * wanted:
        return downloads
    started = (start or startable)(wanted)
    if started >= wanted:
        return downloads
    allowed = max(1, started - OWN)
    say(f"{WARNING_PREFIX}{downloads} downloads at once would start about {wanted} threads, and this process may "
        f"start {started} ({bound.by}): {allowed} at once instead")
    return allowed


def readers(jobs: int, downloads: int, *, bound: Bound | None) -> tuple[int, str | None]:
    """How many of ``--scan``'s readers may run beside a run of ``downloads`` at once: ``jobs``, where the system
    leaves room for their processes besides the run's threads (each reader takes two of what it bounds: its process
    and its thread; the process that starts them two more); fewer where it does not, and a warning that says so (one:
    the files are read in this process, one after another)."""
    wanted = downloads + OWN
    if jobs <= 1 or bound is None or bound.threads >= FAR * wanted:
        return jobs, None
    fits = max(1, min(jobs, (bound.threads - wanted) // 2 - 1))
    if fits == jobs:
        return jobs, None
    how = "one after another, in this process" if fits == 1 else f"{fits} at once"
    return fits, (f"--scan-jobs {jobs}: this process may start {bound.threads} threads ({bound.by}), which the "
                  f"downloads need: files read {how}")


def startable(count: int) -> int:
    """How many of ``count`` threads can be started now; each ends as soon as the count is known."""
    done = threading.Event()
    started: list[threading.Thread] = []
    try:
        for n in range(count):
            thread = threading.Thread(target=done.wait, name=f"imgur-dl-room-{n}", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # (the system's word for it: "can't start new thread")
                break
            started.append(thread)
    finally:
        done.set()
        for thread in started:
            thread.join()
    return len(started)


def bound() -> Bound | None:
    """The fewest threads the system may let this process start, where it bounds them: the user's processes
    (``ulimit -u``), the container's (its cgroup's ``pids.max``), the address space their stacks take (``ulimit
    -v``); with the limit that bounds them most. None where nothing is bound (and on systems with none of these)."""
    processes, space = _rlimits()
    limits = ((processes, "ulimit -u"), (_pids_max(), "a container's limit"),
              (space, f"ulimit -v: each thread's stack takes {STACK >> 20} MiB of it"))
    return min((Bound(limit, by) for limit, by in limits if limit is not None), key=lambda b: b.threads, default=None)


def _rlimits() -> tuple[int | None, int | None]:
    """The threads ``ulimit -u`` and ``ulimit -v`` leave room for (None: not bound)."""
    if sys.platform == "win32":
        return None, None
    import resource  # noqa: PLC0415 - (not on Windows)

    processes = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    space = resource.getrlimit(resource.RLIMIT_AS)[0]
    return (None if processes == resource.RLIM_INFINITY else processes,
            None if space == resource.RLIM_INFINITY else space // STACK)


def _pids_max() -> int | None:
    """The ``pids.max`` of this process's cgroup (v2, or v1's pids controller), where it sets one."""
    try:
        groups = Path("/proc/self/cgroup").read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return None
    limits = []
    for line in groups:
        _, controllers, group = line.split(":", 2)
        roots = ["", "unified"] if not controllers else ["pids"] if "pids" in controllers.split(",") else []
        for root in roots:
            with contextlib.suppress(OSError, ValueError):
                text = Path("/sys/fs/cgroup", root, group.lstrip("/"), "pids.max").read_text(encoding="ascii").strip()
                limits.append(int(text) if text != "max" else None)
    return min((limit for limit in limits if limit is not None), default=None)
