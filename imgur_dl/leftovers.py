"""What imgur-dl processes killed mid-step left hidden in a folder, and its removal by the next run writing there.

A process alive holds the lock of each hidden file it writes (:func:`infolder.hold`) until the file is gone; what
no process holds is a killed run's, removed a minute on; where the file system takes no locks, a day on.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat

from imgur_dl import infolder
from imgur_dl.naming import PART_SUFFIX

# What an imgur-dl process killed mid-step (SIGKILL, a power cut, Ctrl-C in that instant) leaves hidden in a folder:
# a file on its way onto a name (naming.private_part: ``.imgur-dl-<kind>-<16 hex digits>.part``), a probe
# (``.imgur-dl-<12 hex digits>.probe``). None is kept longer than a rename takes by a process alive.
_LEFT = re.compile(r"\.imgur-dl-(?:[a-z]+-[0-9a-f]{16}\.part|[0-9a-f]{12}\.probe)")
LEFT_FOR = 86_400.0  # seconds since its last change (its ctime, which no program can set back) before it is removed
# ... or, where no process holds its lock (the process that writes one holds it from a moment after it is made until
# it is gone), this many: one a process writes, unchanged for minutes, on a disk that hangs, is held.
UNHELD_FOR = 60.0


def probe_name() -> str:
    """A name for a file made only to find out what its folder's file system does, and removed: one a run killed
    meanwhile leaves, the next one writing there removes (:func:`sweep`). Lower case: its upper case names nothing
    else."""
    return f".imgur-dl-{secrets.token_hex(6)}.probe"


def sweep(dir_fd: int, now: float) -> list[str]:
    """Remove what killed processes left hidden in the folder (:data:`_LEFT`), once it has not changed for
    :data:`LEFT_FOR` seconds by ``now``, or :data:`UNHELD_FOR` where no process holds it: another process's, under
    way, changed seconds ago, and is held. Nothing is said of it, and nothing that fails here stops anything. The
    names of the part files there (``<name>.part``) are given."""
    parts: list[str] = []
    with contextlib.suppress(OSError), infolder.listed(dir_fd) as entries:
        for found in entries:
            if _LEFT.fullmatch(found.name):
                with contextlib.suppress(OSError):
                    st = found.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode) and now - st.st_ctime >= LEFT_FOR:
                        os.unlink(found.name, dir_fd=dir_fd)
                    elif stat.S_ISREG(st.st_mode) and now - st.st_ctime >= UNHELD_FOR:
                        _remove_unheld(dir_fd, found.name, st)
            elif found.name.endswith(PART_SUFFIX):
                parts.append(found.name)
    return parts


def _remove_unheld(dir_fd: int, name: str, seen: os.stat_result) -> None:
    """Remove ``name``, the file ``seen``, where no process holds its lock (on a file system that takes none,
    whether one does cannot be told: it is left)."""
    fd, st = infolder.opened_regular(dir_fd, name)
    try:
        if (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino) or not infolder.hold(fd):
            return
        os.unlink(name, dir_fd=dir_fd)  # (held meanwhile: no process can be writing it)
    finally:
        infolder.let_go(fd)
