"""A file in a folder, reached through the folder's descriptor and its name, never through a symlink.

Every file below the output folder is created, resumed, read, renamed and
deleted this way (the folders themselves are opened by :mod:`folders`): a
symlink planted at a file's name (even one swapped in while a download runs)
is replaced or refused, never followed. Needs POSIX ``*at`` calls: Linux,
macOS, BSD.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from imgur_dl.errors import reason

HASHED = 1024 * 1024  # bytes read at a time to hash a file (whole, or a partial one being resumed)

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC  # (a file made here, never one found)
ROOT = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC  # (the root, which may be given as a symlink: its folder)
FOLDER = ROOT | _NOFOLLOW  # (every folder below it)

# What fsync says on a file system that offers none (VirtualBox's shared folders: EINVAL, as go-ethereum #2257 and
# borgbackup's PR #1290 met it).
NO_FSYNC = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


def regular_size(dir_fd: int, name: str) -> int | None:
    """The size of a regular file ``name`` in the folder; None when absent or anything else."""
    st = entry(dir_fd, name)
    return st.st_size if st is not None and stat.S_ISREG(st.st_mode) else None


def entry(dir_fd: int, name: str) -> os.stat_result | None:
    """What stands at ``name`` (a symlink as itself), or None."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None


def read_head(dir_fd: int, name: str, size: int) -> bytes:
    """The first ``size`` bytes of the regular file ``name`` (b'' when it cannot be read; no symlink followed)."""
    return _read(dir_fd, name, size) or b""


def holds_other(dir_fd: int, name: str, ours: Callable[[bytes], bool], head: int) -> bool:
    """Whether a folder, or a regular file whose first ``head`` bytes ``ours`` does not take for its own, is at
    ``name``: where no file is written (a link, a FIFO, is replaced by it)."""
    st = entry(dir_fd, name)
    return st is not None and (stat.S_ISDIR(st.st_mode)
                               or (stat.S_ISREG(st.st_mode) and not ours(read_head(dir_fd, name, head))))


def opened_regular(dir_fd: int, name: str) -> tuple[int, os.stat_result]:
    """The regular file ``name`` open for reading, and what it is; OSError where there is none (a symlink is not
    followed; a FIFO at the name is no file, and is not waited on for a writer)."""
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, f"{name} is not a regular file")
    return fd, st


def _read(dir_fd: int, name: str, size: int) -> bytes | None:
    """At most ``size`` bytes from the start of the regular file ``name``; None when there is none to read."""
    try:
        fd, _ = opened_regular(dir_fd, name)
    except OSError:
        return None
    try:
        chunks, held = [], 0
        while held < size and (chunk := os.read(fd, size - held)):
            chunks.append(chunk)
            held += len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def stamp(dir_fd: int, name: str, mtime: float, st: os.stat_result) -> None:
    """Give the file ``name`` (never what a symlink points to), seen as ``st``, the time ``mtime`` if it has another;
    not when it has other names too (a hard link, maybe outside the output folder): its time is theirs."""
    if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_mtime != mtime:
        with contextlib.suppress(OSError, NotImplementedError):
            os.utime(name, (mtime, mtime), dir_fd=dir_fd, follow_symlinks=False)


def open_fresh(dir_fd: int, name: str) -> int:
    """Create ``name`` empty for writing; whatever stood there (a symlink, a stale file) is removed first.

    (Created at once when nothing is there, as is usual: no unlink of a name that is not there.)
    """
    if (fd := _made(dir_fd, name)) is not None:
        return fd
    remove(dir_fd, name)
    if (fd := _made(dir_fd, name)) is not None:
        return fd
    _no_folder_at(dir_fd, name)
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), name)


def open_new_or_found(dir_fd: int, name: str) -> tuple[int, bool]:
    """``name`` to write into: made, empty, when nothing is there (False); else the regular file there, opened as it
    is (True: it may be another process's, to be locked before it is written). Whatever else stands there (a
    symlink, a file with other names) is removed first: never a regular file, which another process may hold."""
    for _ in range(3):  # (each time, what stood there went away or was removed: made or found at the next)
        if (fd := _made(dir_fd, name)) is not None:
            return fd, False
        if (fd := open_existing(dir_fd, name)) is not None:
            return fd, True
        _no_folder_at(dir_fd, name)
        remove(dir_fd, name)
    raise FileExistsError(errno.EEXIST, f"{name} keeps being made and removed by another process")


def _made(dir_fd: int, name: str) -> int | None:
    """``name`` made, empty, for writing; None when something stands there."""
    try:
        return os.open(name, NEW, 0o666, dir_fd=dir_fd)
    except FileExistsError:
        return None


def _no_folder_at(dir_fd: int, name: str) -> None:
    """IsADirectoryError when a folder stands at ``name``: never removed to make room for a file (it is named)."""
    if (st := entry(dir_fd, name)) is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"a folder stands at {name}")


def open_existing(dir_fd: int, name: str) -> int | None:
    """Open a regular file ``name`` to continue writing it; None when it is not one, or has other names (a hard
    link, as a backup made with ``cp -al`` or rsnapshot leaves: what is written would change them too)."""
    try:
        fd = os.open(name, os.O_RDWR | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        let_go(fd)
        raise
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        let_go(fd)
        return None
    return fd


@contextlib.contextmanager
def listed(dir_fd: int) -> Iterator[Iterator[os.DirEntry[str]]]:
    """The entries of the folder ``dir_fd`` is open on, read through a descriptor of their own. (The folder's own is
    shared by the run's threads, and a listing reads on from where that descriptor is: one made through it while
    another thread's is under way would each miss the names the other read.)"""
    fd = os.open(".", FOLDER, dir_fd=dir_fd)
    try:
        with os.scandir(fd) as entries:
            yield entries
    finally:
        let_go(fd)


def lock(fd: int) -> bool | None:
    """Take ``fd``'s file's lock, which no other process holds, until it is closed: True; False when another has it;
    None on a file system that takes no locks (an NFS mount whose lock service is not running)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def hold(fd: int) -> bool:
    """:func:`lock`: whether it was taken (not where another holds it, or the file system takes no locks)."""
    return lock(fd) is True


def let_go(fd: int) -> None:
    """Close ``fd``, a descriptor nothing that matters was written through (a folder's, a file's only looked at, a
    probe's): its close can lose nothing, and it is gone whatever close says (Linux's close(2)), so a failure to
    close it stops nothing."""
    with contextlib.suppress(OSError):
        os.close(fd)


def flush(fd: int) -> None:
    """A file's bytes, or a folder's names, flushed to its disk (fsync), where its file system offers that; a failure
    to write them (EIO, a full disk) is raised."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in NO_FSYNC:  # (what was written is all such a file system can be asked for)
            raise


def remove(dir_fd: int, name: str) -> None:
    """Delete ``name`` (a file or a symlink, never what a symlink points to) if it is there."""
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        os.unlink(name, dir_fd=dir_fd)


def publish(dir_fd: int, part: str, name: str) -> None:
    """Rename ``part`` to ``name`` in one step; a symlink at ``name`` is replaced, not followed."""
    os.replace(part, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


def publish_new(dir_fd: int, source: str, name: str) -> bool:
    """Move ``source`` (a name no other process uses) to ``name`` unless something is there (False: nothing was
    moved).

    A hard link made, then the source's name removed: the link is made only where the name is free, in one step.
    (Where the file system has no hard links, the name is looked at, then renamed to: a moment apart.)
    """
    try:
        os.link(source, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            raise
        if entry(dir_fd, name) is not None:
            return False
        publish(dir_fd, source, name)
        return True
    os.unlink(source, dir_fd=dir_fd)
    return True


def write_whole(dir_fd: int, name: str, part: str, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (or its pieces, one after another) to ``name`` whole or not at all (through ``part``, which is
    not left behind either way), flushed to its disk before it takes the name (a power cut leaves it whole, or as it
    was)."""
    fd = open_fresh(dir_fd, part)
    hold(fd)  # (while it is written: what a killed run left, no process holds, is removed by the next: leftovers.sweep)
    try:
        try:
            gathered = bytearray()  # (small pieces gathered into writes of a MiB)
            for piece in [data] if isinstance(data, bytes) else data:
                gathered += piece
                if len(gathered) >= 1 << 20:
                    write_all(fd, gathered)
                    gathered.clear()
            write_all(fd, gathered)
            flush(fd)
        finally:
            os.close(fd)
        publish(dir_fd, part, name)
    except BaseException:
        remove(dir_fd, part)
        raise


def write_all(fd: int, data: bytes | bytearray) -> None:
    """All of ``data`` written to ``fd`` (a disk may take part of a write: the rest follows it)."""
    with memoryview(data) as whole:
        view = whole
        while view:
            view = view[os.write(fd, view):]


def full(exc: OSError) -> bool:
    """Whether ``exc`` says nothing more can be saved there: the device is full, or the user's quota on it is (a
    shared machine's home folder)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device for {path}"
    if exc.errno == errno.EDQUOT:
        return f"your disk quota is used up: no room for {path}"
    return f"cannot write {path}: {reason(exc)}"


def sha256_of(dir_fd: int, name: str) -> str:
    """The SHA-256 of the regular file ``name`` (OSError if it is not one; no symlink followed, no FIFO waited on,
    as :func:`opened_regular` opens it)."""
    return digest_of(dir_fd, name, "sha256")


def digest_of(dir_fd: int, name: str, kind: str) -> str:
    """The digest ``kind`` names (``sha256``; ``md5``, as Imgur's CDN's ETags state one) of the regular file ``name``,
    as :func:`sha256_of`."""
    fd, _ = opened_regular(dir_fd, name)
    try:
        digest = hashlib.new(kind, usedforsecurity=False)
        while block := os.read(fd, HASHED):
            digest.update(block)
        return digest.hexdigest()
    finally:
        os.close(fd)
