"""A file being written beside its final name, as ``<name>.part``, and moved into place only when whole.

It knows where a download can resume (the bytes already held, and the ETag
they came with, kept in an extended attribute so a later run can resume
with ``If-Range``), writes at an offset, hashes what it holds as it is
written (SHA-256 always; MD5 when there is one to check it against), and
either commits (the upload time set, fsync, then one rename onto the final
name) or is discarded; one left beside a whole file, which no process writes,
is removed (:func:`drop_left`). Every call is relative to the folder's
descriptor and follows no symlink (:mod:`imgur_dl.folders`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from imgur_dl import infolder
from imgur_dl.naming import PART_SUFFIX, private_part

ETAG_XATTR = "user.imgur-dl.etag"


# What labels a whole file before it takes its final name (its descriptor, the link its bytes came from, their
# SHA-256): :mod:`imgur_dl.labels`.
Label = Callable[[int, str, str], None]
# What notes a whole file as it takes its final name (its folder's descriptor, the path it takes, the link its bytes
# came from, its size and their SHA-256): the album's journal (:mod:`imgur_dl.journal`). Just before, where the name
# is its own (not kept apart), not a moment after: the thread that renames it may wait milliseconds for the
# interpreter's lock before it can write anything more, and a ``kill -9`` then left a file saved that nothing said. A
# note of a file whose rename failed names a file the rerun does not find there (see :mod:`imgur_dl.earlier`).
Noted = Callable[[int, Path, str, int, str], None]


class PartLost(OSError):
    """The part file is no longer at its name as it is committed: another process removed it (finding the file whole
    beside it, in the moment before this one took its lock) or put its own there."""


class Digests:
    """What a file's bytes hash to, as they are given: SHA-256 always; MD5 too where there is one to check."""

    def __init__(self, *, md5: bool = False) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False) if md5 else None

    def update(self, data: bytes | memoryview) -> None:
        self._sha256.update(data)
        if self._md5 is not None:
            self._md5.update(data)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def md5(self) -> str | None:
        return self._md5.hexdigest() if self._md5 is not None else None


class PartFile:
    def __init__(self, dir_fd: int, name: str, path: Path, mtime: float | None = None, *,
                 apart: str | None = None, label: Label | None = None, noted: Noted | None = None,
                 served: bool = False, part: str | None = None, folded: bool = False,
                 whole_is_done: bool = False) -> None:
        self.dir_fd = dir_fd
        self.name = name  # the final name, in the folder
        self.path = path  # the final path, for messages
        # The name to take when a file of other bytes is at the final one (another post's, saved by another
        # process since this file was named); None: no other post's file can have it.
        self.apart = apart
        self.folded = folded  # names in its folder ignore case: an id that differs only in case has ``apart`` too
        self.whole_is_done = whole_is_done  # this file found whole at its name then is taken (transfer._started)
        self.part = part or name + PART_SUFFIX  # (at a name another post's file may have, its kept-apart name's)
        self.mtime = mtime  # the time the final file carries (None: the time it was written)
        self.served = served  # with no mtime, the time the server says it last changed the file is carried
        self.label = label  # what else it carries (--xattrs), told where its bytes came from and their hash
        self.noted = noted  # where it is noted as it takes its name (its album's journal)
        self._fd: int | None = None
        self._wrote = False  # bytes were written through the open descriptor (its close may fail to flush them)
        self._fresh = False  # the open file was made empty a moment ago: nothing to truncate
        self._none_held = False  # held() just found no part file: the first resume need not look again
        self._etag = _Etag()
        self.digests = Digests()  # of the bytes it holds, as they are written
        self.busy = False  # another process was found writing this file
        self._seen: int | None = None  # the size of its part file when this one last looked
        self.total: int | None = None  # the whole file's size, as a server gave it when the API did not

    def held(self) -> int:
        """Bytes of a regular ``.part`` file already there (0 when there is none)."""
        size = infolder.regular_size(self.dir_fd, self.part)
        self._none_held = size is None
        return size or 0

    def grown(self) -> bool:
        """Whether the part file another process is writing has grown since this one last looked (it is at work:
        the file will be whole, or let go of, in its own time)."""
        size = infolder.regular_size(self.dir_fd, self.part)
        grew = size is not None and self._seen is not None and size > self._seen
        self._seen = size
        return grew

    def resume(self) -> tuple[int, str | None] | None:
        """Open what is held to continue it: (its size, the ETag it came with); (0, None) for nothing; None when
        another process is writing it (it holds the part file's lock)."""
        self.close()
        if self._none_held:  # (a part file made since by another process is found when this one is made)
            self._none_held = False
            return 0, None
        self._fd = infolder.open_existing(self.dir_fd, self.part)
        self._fresh = False
        if self._fd is None:
            return 0, None  # none there, or not a regular file: start over
        if self._claim(self._fd) is False:
            return None
        return os.fstat(self._fd).st_size, self._etag.read(self._fd)

    def start(self, offset: int, *, md5: bool = False) -> None:
        """Get ready to write at ``offset`` (0: a fresh file); anything past it is dropped. The bytes kept are hashed
        first (read once, only when resuming), so the digests cover the whole file. ``md5``: keep an MD5 too."""
        self.digests = Digests(md5=md5)
        if self._fd is None:
            # A part file made since held() looked (by another process, a moment ago) is theirs while they hold it;
            # one no process holds was left by a run that stopped, and is started over as this one's.
            self._fd, found = infolder.open_new_or_found(self.dir_fd, self.part)
            self._fresh = True
            claim = self._claim(self._fd)
            if claim is False:
                raise BlockingIOError(f"{self.part} is being written by another process")
            if found and claim is None:
                # No locks here: another process may be writing it. A new one instead, which that process's commit
                # finds in its place (as before locks were taken).
                self.close()
                self._fd = infolder.open_fresh(self.dir_fd, self.part)
            elif found:
                os.ftruncate(self._fd, 0)
                self._etag.carried = True  # (an ETag it may carry is dropped as it is committed)
        if offset == 0 and self._fresh:
            self._fresh = False
            return  # made empty a moment ago, and written from its start
        if offset == 0:
            # Starting over in the file we hold (and lock): no other process can have it meanwhile.
            self._etag.drop(self._fd)
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            return
        os.ftruncate(self._fd, offset)
        _hash_held(self._fd, offset, self.digests, self.part)
        os.lseek(self._fd, offset, os.SEEK_SET)

    def write(self, data: bytes) -> None:
        self.digests.update(data)
        self._wrote = True
        infolder.write_all(self._open(), data)

    def keep_etag(self, etag: str | None) -> None:
        """Keep ``etag`` with the partial file, so a later run resumes it with If-Range (where the file system keeps
        no extended attributes, with Range alone, and the size checks)."""
        if self._fd is not None:
            self._etag.keep(self._fd, etag)

    def commit(self, origin: str) -> str:
        """Date the file (and label it, told ``origin``, the link its bytes came from), flush it to disk, note it
        (:data:`Noted`) and move it onto its final name in one step (OSError if that fails); the name it took."""
        fd = self._open()
        self._etag.drop(fd)
        if self.label is not None:
            self.label(fd, origin, self.digests.sha256)
        if self.mtime is not None:
            with contextlib.suppress(OSError):  # (a share whose files another user owns refuses it: kept undated)
                os.utime(fd, (self.mtime, self.mtime))
        infolder.flush(fd)
        try:
            return _into_place(fd, self, origin)
        finally:
            self.close()

    def discard(self) -> int:
        """Delete the partial file (it cannot be resumed); the bytes it held (none when it holds none open: a part
        file at its name is then another process's, or one it may resume)."""
        if self._fd is None:
            return 0
        held = os.fstat(self._fd)
        self.close()  # (before its name is unlinked: a FUSE file system hides a file unlinked while open)
        _remove_if_still(self.dir_fd, self.part, held)
        return held.st_size

    def _open(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.part} is not open (start() first)")
        return self._fd

    def close(self) -> None:
        """Let go of the part file. One written to whose close fails (what was written could not be flushed: EIO, as
        NFS says it at the close) is deleted: a resume would take for held bytes that never reached the disk."""
        fd, self._fd, wrote, self._wrote = self._fd, None, self._wrote, False  # (a failed close has closed it too)
        if fd is None:
            return
        if not wrote:
            infolder.let_go(fd)
            return
        lost = _close_written(fd)
        if lost is not None:
            _remove_if_still(self.dir_fd, self.part, lost)

    def _claim(self, fd: int) -> bool | None:
        """Take the part file just opened (``fd``) as this one's to write (:func:`_taken`); when it is not, it is
        closed, and this file is found busy."""
        taken = _taken(fd, self.dir_fd, self.part)
        if taken is False:
            self.close()
            self.busy = True
        return taken


def saved_by_another(part: PartFile, size: int) -> bool:
    """Whether ``part``'s file stands whole at its name, ``size`` bytes of the digest its own bytes have: saved by
    another process (the part file lost: :class:`PartLost`)."""
    found = infolder.entry(part.dir_fd, part.name)
    return found is not None and _holds(part.dir_fd, part.name, found, size, part.digests.sha256)


def drop_left(dir_fd: int, part: str) -> None:
    """Delete the part file ``part`` of a file that stands whole (or another rendition of it does), when no process
    is writing it: what a process killed as it wrote the file left once another had finished it, or an attempt at an
    animation's MP4 left before its GIF was saved (runs after skip the file, and would keep its part file for ever).
    One another process holds is left to it; so is one where the file system takes no locks (whether it is written
    cannot be told), and one with other names (a hard link, as a backup keeps)."""
    fd = infolder.open_existing(dir_fd, part)
    if fd is None:
        return
    try:
        free = os.fstat(fd) if _lock(fd) else None
    except OSError:
        free = None
    infolder.let_go(fd)  # (before its name is unlinked: a FUSE file system hides a file unlinked while open)
    if free is not None:
        _remove_if_still(dir_fd, part, free)


def _remove_if_still(dir_fd: int, part: str, held: os.stat_result) -> None:
    """Delete the part file ``part`` if ``held`` is still the file at its name (another process's, made since, is
    kept)."""
    if _same(held, infolder.entry(dir_fd, part)):
        with contextlib.suppress(OSError):
            infolder.remove(dir_fd, part)


def _close_written(fd: int) -> os.stat_result | None:
    """Close ``fd``, a file written to; the file it was when its close failed (what was written was lost), else
    None."""
    try:
        held = os.fstat(fd)
    except OSError:
        held = None
    try:
        os.close(fd)
    except OSError:
        return held
    return None


def _taken(fd: int, dir_fd: int, part: str) -> bool | None:
    """Whether the part file just opened (``fd``) is this process's to write: True, its lock taken; None where the
    file system takes no locks; False when another process holds it, or it is no longer the file at its name: one
    whose lock was let go of as it was renamed into place is no part file any more. (So too one this process made a
    moment ago: another may have found it, written its own file into it and renamed it into place before this one
    took the lock, where names not made from ids give two posts one name.)"""
    locked = _lock(fd)
    if locked is not False and _same(os.fstat(fd), infolder.entry(dir_fd, part)):
        return locked
    return False


def _into_place(fd: int, file: PartFile, origin: str) -> str:
    """``file``'s part file, open as ``fd`` and still locked, moved onto its final name (and noted: :data:`Noted`);
    the name it took.

    Renamed while still locked: a process that opens the part file until it is renamed finds it held, not whole
    and free to write into (its descriptor would then be the final file's).
    """
    there = infolder.entry(file.dir_fd, file.part)
    if there is None or not _same(there, os.fstat(fd)):  # (never rename what another process put at our name)
        raise PartLost(errno.EBUSY, f"{file.part} was taken away or replaced by another process")
    size, sha256 = there.st_size, file.digests.sha256
    if file.apart is None:  # (a name only this post's file can have: taken in one rename, whatever is there)
        if file.noted is not None:
            file.noted(file.dir_fd, file.path, origin, size, sha256)
        infolder.publish(file.dir_fd, file.part, file.name)
        return file.name
    name = _publish_shared(file.dir_fd, file.part, file.name, file.apart, size=size, sha256=sha256, path=file.path,
                           aside=file.close)
    if file.noted is not None:  # (the name it took is known once it has it)
        file.noted(file.dir_fd, file.path.with_name(name), origin, size, sha256)
    return name


def _hash_held(fd: int, size: int, digests: Digests, part: str) -> None:
    """The first ``size`` bytes of the part file ``fd``, hashed (read once, when a download is resumed)."""
    done = 0
    while done < size:
        block = os.pread(fd, min(infolder.HASHED, size - done), done)
        if not block:
            raise OSError(f"{part} is shorter than it was a moment ago")
        digests.update(block)
        done += len(block)


def _same(one: os.stat_result, other: os.stat_result | None) -> bool:
    """Whether ``one`` and ``other`` are the same file."""
    return other is not None and (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


def _lock(fd: int) -> bool | None:
    """Take the part file's lock (held while it is written; released when it is closed): :func:`imgur_dl.infolder.lock`
    (None: no locks there, and it is written as before locks were taken).

    Two imgur-dl processes fetching into one folder (a cron job overlapping a
    manual run) never write or rename each other's part files.
    """
    return infolder.lock(fd)


def _publish_shared(dir_fd: int, part: str, name: str, apart: str, *, size: int, sha256: str, path: Path,
                    aside: Callable[[], None]) -> str:
    """``part`` onto ``name``, a name another post's file may have: over a link, or a file of these very bytes (this
    post's, saved before, or by another process), never over other bytes (another post's: two runs into one folder,
    with names not made from ids, give two posts one name), then under ``apart`` (at either, these very bytes another
    process saved there since are taken as this file); the name it took. ``aside`` is
    called once the part file is no longer at its name (its lock may go: no other process can find it)."""
    now = infolder.entry(dir_fd, name)
    if now is not None and (stat.S_ISLNK(now.st_mode) or _holds(dir_fd, name, now, size, sha256)):
        infolder.publish(dir_fd, part, name)
        return name
    # The part file moved aside first, in one step, to a name no other process uses: none ever finds it
    # half moved (at its name and at the final one).
    moved = private_part("commit")
    infolder.publish(dir_fd, part, moved)
    try:
        # Closed (its lock let go) before its name is unlinked: a FUSE file system keeps a file unlinked while open,
        # as .fuse_hidden<n>, until it is closed.
        aside()
        for taken in (name, apart):
            if infolder.publish_new(dir_fd, moved, taken):
                return taken
            if (there := infolder.entry(dir_fd, taken)) is not None and _holds(dir_fd, taken, there, size, sha256):
                return taken  # (this very file, saved there by another process since the look above, or kept apart)
    finally:
        infolder.remove(dir_fd, moved)  # (gone once it is published; else not left behind, hidden, by a failure)
    raise OSError(errno.EEXIST, f"another process saved a file at {path} meanwhile")


def _holds(dir_fd: int, name: str, found: os.stat_result, size: int, sha256: str) -> bool:
    """Whether ``found``, at ``name``, is a regular file of ``size`` bytes whose SHA-256 is ``sha256``."""
    if not stat.S_ISREG(found.st_mode) or found.st_size != size:
        return False
    try:
        return infolder.sha256_of(dir_fd, name) == sha256
    except OSError:
        return False


class _Etag:
    """The ETag a part file's bytes came with, kept with it in an extended attribute, where its file system keeps
    them (for a later run to resume it with If-Range); dropped once it starts over or is whole."""

    def __init__(self) -> None:
        self.carried = False  # the open part file may carry one: dropped as it starts over or is committed

    def read(self, fd: int) -> str | None:
        try:
            etag: str | None = os.getxattr(fd, ETAG_XATTR).decode("ascii")
        except (OSError, AttributeError, UnicodeDecodeError):
            etag = None
        self.carried = etag is not None
        return etag

    def keep(self, fd: int, etag: str | None) -> None:
        if etag and etag.isascii() and etag.isprintable() and len(etag) < 200:
            with contextlib.suppress(OSError, AttributeError):
                os.setxattr(fd, ETAG_XATTR, etag.encode("ascii"))

    def drop(self, fd: int) -> None:
        if self.carried:
            with contextlib.suppress(OSError, AttributeError):
                os.removexattr(fd, ETAG_XATTR)
        self.carried = False
