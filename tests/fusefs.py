"""A folder seen through FUSE as a network share or WSL's ``/mnt/c`` shows it: its files cannot be mapped shared.

SQLite's WAL journal keeps its index in a file mapped shared (``-shm``), and
on such a file system that mapping fails (SMB and 9p shares, AFS, exFAT under
FUSE): SQLite answers ``disk I/O error`` (SQLITE_IOERR_SHMMAP), as users of
many programs have reported (for example gastownhall/beads #920, "WAL mode
fails on WSL2 when database is on Windows filesystem (/mnt/c/)";
lrnselfreliance/wrolpi #568, exFAT/FAT/NTFS drives). Mounted with
``direct_io``, file data never enters the page cache, so the kernel refuses a
shared mapping (ENODEV) exactly so. Everything else passes through to a real
folder: locks, renames, hard links, fsync.

    python -m tests.fusefs BACKING MOUNTPOINT [--fold-case | --no-links | --no-locks | --no-times |
                                               --no-fsync | --failing-write-back | --failing-reads BYTES |
                                               --read-only | --quota BYTES | --name-max BYTES |
                                               --failing-folder-flush | --power-cut RECORD]
                                                    # prints "ready" once mounted; serves until unmounted

With ``--fold-case`` it is also case-insensitive and case-preserving, as
macOS's APFS, exFAT, NTFS under Windows and WSL's ``/mnt/c`` are: a name
finds an entry whose name differs only in case, and a file made, or renamed
onto an entry, under another case of a name takes that entry's place. With
``--no-links`` it makes no hard links (``EPERM``), as FAT and exFAT, and many
network shares, make none. With ``--no-locks`` it takes no ``flock`` locks
(``ENOLCK``), as an NFS mount whose lock service is not running refuses them.
With ``--quota BYTES`` it takes that many bytes of writes, then refuses more
(``EDQUOT``), as a home folder under a user's disk quota does. With
``--name-max BYTES`` its names take that many bytes at the most, as it says
(``f_namemax``): eCryptfs, an encrypted home folder, takes 143. With
``--no-times`` it refuses to set a file's times (``EPERM``), as a share whose
files another user owns does; with ``--no-fsync``, to flush a file (``EINVAL``),
as VirtualBox's shared folders do. With ``--failing-write-back`` it takes each write, then fails to flush it
(``EIO``, from fsync and from the close of a file written to), as an NFS server that went away, or a USB stick
pulled out, fails what the page cache held. With ``--failing-folder-flush`` a folder below its top cannot be flushed
(``EIO`` from its fsync), as a disk that fails to write back the names a folder holds. With
``--failing-reads BYTES`` no file can be read past that many bytes (``EIO``), as a disk's bad sector, or an NFS
server gone away mid-file, fails a read. With ``--read-only`` it is mounted read-only, as a snapshot, a backup disk
or a share exported so is: each write is refused (``EROFS``), and ``statvfs`` says so; its files, as a local
disk's, can be mapped shared (it is not mounted ``direct_io``).
With ``--power-cut RECORD`` it keeps, beside what it passes through, what a power cut would leave, as POSIX
promises it and no more (fsync(2): a file's bytes are kept once it is flushed, a new name once its folder is), and
puts in the folder RECORD what a cut at each commit of an SQLite database in WAL mode would leave (its files, as
it is not mounted ``direct_io``, can be mapped shared), and what a cut after the last would (:class:`PowerCut`).

It needs /dev/fuse, libfuse 3 (Debian's ``fuse3``) and ``mfusepy``; the tests
that use it mount it in a temporary folder and unmount it after.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import sys
from typing import Any

from mfusepy import FUSE, FuseOSError, Operations

_STAT = ("st_gid", "st_mode", "st_nlink", "st_size", "st_uid", "st_ino")
_TIMES = ("st_atime", "st_ctime", "st_mtime")  # in nanoseconds (use_ns), as the file system keeps them
_STATVFS = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize",
            "f_namemax")


class Passthrough(Operations):  # type: ignore[misc]
    """Each call done on the same path below ``root``."""

    use_ns = True

    def __init__(self, root: str, *, fold_case: bool = False, links: bool = True) -> None:
        self.root = root
        self.fold_case = fold_case
        self.links = links

    def _at(self, path: str) -> str:
        if not self.fold_case:
            return os.path.join(self.root, path.lstrip("/"))
        at = self.root
        for part in (part for part in path.split("/") if part):
            found = part
            if not os.path.lexists(os.path.join(at, part)) and os.path.isdir(at):
                found = next((n for n in os.listdir(at) if n.casefold() == part.casefold()), part)
            at = os.path.join(at, found)
        return at

    def init(self, path: str, *args: Any) -> None:
        print("ready", flush=True)

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        try:
            st = os.lstat(self._at(path))
        except OSError as exc:
            raise FuseOSError(exc.errno or errno.EIO) from None
        return {**{name: getattr(st, name) for name in _STAT}, **{name: getattr(st, name + "_ns") for name in _TIMES}}

    def access(self, path: str, amode: int) -> int:
        if not os.access(self._at(path), amode):
            raise FuseOSError(errno.EACCES)
        return 0

    def readdir(self, path: str, fh: int) -> list[str]:
        return [".", "..", *os.listdir(self._at(path))]

    def _naming(self, made: str | None = None, gone: str | None = None) -> None:
        """Called before a name is ``made`` (a file, a folder, a link, a rename's new name) or ``gone``."""

    def mkdir(self, path: str, mode: int) -> None:
        self._naming(made=path)
        os.mkdir(self._at(path), mode)

    def rmdir(self, path: str) -> None:
        self._naming(gone=path)
        os.rmdir(self._at(path))

    def unlink(self, path: str) -> None:
        self._naming(gone=path)
        os.unlink(self._at(path))

    def rename(self, old: str, new: str, *flags: Any) -> None:
        self._naming(made=new, gone=old)
        os.rename(self._at(old), self._at(new))

    def link(self, target: str, source: str) -> None:
        if not self.links:
            raise FuseOSError(errno.EPERM)
        self._naming(made=target)
        os.link(self._at(source), self._at(target))

    def chmod(self, path: str, mode: int) -> None:
        os.chmod(self._at(path), mode)

    def chown(self, path: str, uid: int, gid: int) -> None:
        os.chown(self._at(path), uid, gid)

    def utimens(self, path: str, times: tuple[int, int] | None = None, *args: Any) -> None:
        os.utime(self._at(path), ns=times) if times is not None else os.utime(self._at(path))

    def statfs(self, path: str) -> dict[str, Any]:
        st = os.statvfs(self._at(path))
        return {name: getattr(st, name) for name in _STATVFS}

    def open(self, path: str, flags: int) -> int:
        try:
            return os.open(self._at(path), flags & ~os.O_CREAT)
        except OSError as exc:
            raise FuseOSError(exc.errno or errno.EIO) from None

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        self._naming(made=path)
        return os.open(self._at(path), os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return os.pread(fh, size, offset)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        return os.pwrite(fh, data, offset)

    def truncate(self, path: str, length: int, fh: int | None = None) -> None:
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._at(path), length)

    def flush(self, path: str, fh: int) -> int:
        return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        os.fsync(fh)
        return 0

    def release(self, path: str, fh: int) -> int:
        os.close(fh)
        return 0


class Quota(Passthrough):
    """A passthrough that takes ``quota`` bytes of writes in all, then refuses more (``EDQUOT``), as a shared
    machine's home folder does once its user's quota is used up."""

    def __init__(self, root: str, quota: int) -> None:
        super().__init__(root)
        self.left = quota

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        if len(data) > self.left:
            raise FuseOSError(errno.EDQUOT)
        self.left -= len(data)
        return super().write(path, data, offset, fh)


class ShortNames(Passthrough):
    """A passthrough whose names take ``most`` bytes at the most (``ENAMETOOLONG`` past it), as it says
    (``f_namemax``): eCryptfs, an encrypted home folder, takes 143."""

    def __init__(self, root: str, most: int) -> None:
        super().__init__(root)
        self.most = most

    def _naming(self, made: str | None = None, gone: str | None = None) -> None:
        if made is not None and len(os.path.basename(made).encode()) > self.most:
            raise FuseOSError(errno.ENAMETOOLONG)

    def statfs(self, path: str) -> dict[str, Any]:
        return {**super().statfs(path), "f_namemax": self.most}


class Timeless(Passthrough):
    """A passthrough that refuses to set a file's times (``EPERM``), as a share does whose files another user owns
    (CIFS mapped to one account)."""

    def utimens(self, path: str, times: tuple[int, int] | None = None, *args: Any) -> None:
        raise FuseOSError(errno.EPERM)


class Unflushed(Passthrough):
    """A passthrough that offers no fsync (``EINVAL``), as VirtualBox's shared folders (vboxsf) answer it."""

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        raise FuseOSError(errno.EINVAL)


class FailingWriteBack(Passthrough):
    """A passthrough that takes writes, then fails to flush them (``EIO``): fsync fails, and so does the close of a
    file written to (where NFS says what it could not write back), as a server gone away or a disk pulled out."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.written: set[int] = set()

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        self.written.add(fh)
        return super().write(path, data, offset, fh)

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        raise FuseOSError(errno.EIO)

    def flush(self, path: str, fh: int) -> int:
        if fh in self.written:
            raise FuseOSError(errno.EIO)
        return 0

    def release(self, path: str, fh: int) -> int:
        self.written.discard(fh)
        return super().release(path, fh)


class FailingFolderFlush(Passthrough):
    """A passthrough whose folders below its top cannot be flushed (``EIO`` from fsync of a folder), as a disk that
    fails to write back a folder's names: the top's own flush works, so what is named in it (an album's folder) can
    last while what its folders name cannot."""

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        if path != "/":
            raise FuseOSError(errno.EIO)
        return 0


class FailingReads(Passthrough):
    """A passthrough whose files cannot be read past ``good`` bytes (``EIO``), as a disk's bad sector, or an NFS
    server gone away mid-file."""

    def __init__(self, root: str, good: int) -> None:
        super().__init__(root)
        self.good = good

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        if offset + size > self.good:
            if offset >= self.good:
                raise FuseOSError(errno.EIO)
            size = self.good - offset
        return super().read(path, size, offset, fh)


class PowerCut(Passthrough):
    """A passthrough that keeps what a power cut would leave: of each folder changed, the names it held when it was
    last flushed (or, never flushed, before its first change); and which files were written to since their last
    flush.

    A commit of an SQLite database in WAL mode is the flush of its ``-wal`` file: at each, a copy of the database
    as it stands is put in ``RECORD/<n>/`` (its two files), with ``names.json``, the names a cut then would leave in
    each folder changed so far (a path here: its names). Once unmounted, ``RECORD/unflushed.json`` lists the files
    under a name not hidden (a leading ``.``) whose last bytes were never flushed: what a cut then would leave cut
    short or empty under that name.
    """

    def __init__(self, root: str, record: str) -> None:
        super().__init__(root)
        self.record = record
        self.names: dict[str, set[str]] = {}  # folder -> the names a cut would leave in it (a folder not here: all)
        self.unflushed: set[int] = set()  # inodes written to since they were last flushed
        self.commits = 0

    def _naming(self, made: str | None = None, gone: str | None = None) -> None:
        for folder in {os.path.dirname(path) for path in (made, gone) if path is not None}:
            if folder not in self.names:  # (first changed: its names until now are those a cut would leave; a
                self.names[folder] = set(os.listdir(self._at(folder)))  # folder made this run had none yet)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        self.unflushed.add(os.fstat(fh).st_ino)
        return super().write(path, data, offset, fh)

    def truncate(self, path: str, length: int, fh: int | None = None) -> None:
        self.unflushed.add(os.fstat(fh).st_ino if fh is not None else os.lstat(self._at(path)).st_ino)
        super().truncate(path, length, fh)

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        super().fsync(path, datasync, fh)
        self.unflushed.discard(os.fstat(fh).st_ino)
        if path.endswith("-wal"):
            self._commit(path.removesuffix("-wal"))
        return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        self.names[path] = set(os.listdir(self._at(path)))
        return 0

    def _commit(self, database: str) -> None:
        kept = os.path.join(self.record, str(self.commits))
        self.commits += 1
        os.makedirs(kept)
        for suffix in ("", "-wal"):
            shutil.copyfile(self._at(database + suffix), os.path.join(kept, os.path.basename(database) + suffix))
        with open(os.path.join(kept, "names.json"), "w", encoding="utf-8") as out:
            json.dump({folder: sorted(names) for folder, names in self.names.items()}, out)

    def destroy(self, path: str) -> None:
        cut_short = []
        for folder, _, files in os.walk(self.root):
            for name in files:
                st = os.lstat(os.path.join(folder, name))
                if stat.S_ISREG(st.st_mode) and st.st_ino in self.unflushed and not name.startswith("."):
                    cut_short.append(os.path.relpath(os.path.join(folder, name), self.root))
        with open(os.path.join(self.record, "unflushed.json"), "w", encoding="utf-8") as out:
            json.dump(sorted(cut_short), out)


class Lockless(Passthrough):
    """A passthrough that takes no ``flock`` locks (``ENOLCK``), as an NFS mount whose lock service is not running
    refuses them."""

    def flock(self, path: str, fh: int, op: int) -> int:
        raise FuseOSError(errno.ENOLCK)


def main(argv: list[str]) -> None:
    backing, mountpoint, *mode = argv
    if mode[:1] == ["--quota"]:
        served: Passthrough = Quota(backing, int(mode[1]))
    elif mode[:1] == ["--name-max"]:
        served = ShortNames(backing, int(mode[1]))
    elif mode == ["--no-times"]:
        served = Timeless(backing)
    elif mode == ["--no-fsync"]:
        served = Unflushed(backing)
    elif mode[:1] == ["--failing-reads"]:
        served = FailingReads(backing, int(mode[1]))
    elif mode == ["--failing-write-back"]:
        served = FailingWriteBack(backing)
    elif mode == ["--failing-folder-flush"]:
        served = FailingFolderFlush(backing)
    elif mode[:1] == ["--power-cut"]:
        served = PowerCut(backing, mode[1])
    else:
        kind = Lockless if mode == ["--no-locks"] else Passthrough
        served = kind(backing, fold_case=mode == ["--fold-case"], links=mode != ["--no-links"])
    read_only = mode == ["--read-only"]  # (a disk as any other, mounted read-only: its files mapped as theirs are)
    cached = read_only or isinstance(served, PowerCut)  # (... and one whose SQLite databases are in WAL mode)
    FUSE(served, mountpoint, foreground=True, nothreads=True, direct_io=not cached, ro=read_only)


if __name__ == "__main__":
    main(sys.argv[1:])
