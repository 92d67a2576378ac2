"""Files below the output folder, opened so that no symlink is ever followed.

The output folder itself is the user's choice and may be a symlink. Below it,
every folder is opened component by component with ``O_NOFOLLOW`` and every
file is created, resumed, renamed and deleted relative to its folder's
descriptor, so a symlink planted where a folder, a ``.part`` or a final file
belongs (even one swapped in while a download runs) can never redirect a
write outside the output folder. Needs POSIX ``*at`` calls: Linux, macOS, BSD.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from imgur_dl.errors import DownloadError, reason
from imgur_dl.hashset import HashSet
from imgur_dl.naming import PART_SUFFIX

HASHED = 1024 * 1024  # bytes read at a time to hash a file (whole, or a partial one being resumed)

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC  # (a file made here, never one found)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_FOLLOWED = os.O_RDONLY | _DIRECTORY | _CLOEXEC  # (the root, which may be given as a symlink: its folder)
_DIR_FLAGS = _FOLLOWED | _NOFOLLOW  # (every folder below it)


# What fsync says on a file system that offers none (VirtualBox's shared folders: EINVAL, as go-ethereum #2257 and
# borgbackup's PR #1290 met it).
NO_FSYNC = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})
# The shortest names kept to where a file system says it takes fewer bytes (no real one takes under 143).
LEAST_NAME_MAX = 64
# Folders kept open while no file is written through them (a listing's, an album's between two files), the most
# recently used: a run through thousands of folders (a template's folder a date) holds no more open than this and
# those written into at the moment, one a download at the most.
IDLE = 16
_T = TypeVar("_T")


class FolderError(DownloadError):
    """A folder files go into that cannot be made or used: the message says why; ``full``, for want of room on its
    device (nothing more can be saved there)."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


class Folders:
    """Open folder descriptors, one per folder files are written into; thread-safe.

    A folder is shared by everything written into it (two untitled albums
    under ``--dir '{album_title}'`` both go into ``_``): each use holds its
    descriptor for as long as it lasts (:meth:`using`), and it is closed only
    once none does (never while another still writes through the same number)
    and :data:`IDLE` others have been used since.
    """

    def __init__(self, root: Path, name_max: int = 255, calendar: Callable[[], float] = time.time) -> None:
        self.root = root
        self.name_max = name_max  # the bytes a name may have there (:func:`name_max`)
        self.calendar = calendar  # seconds since the epoch, to judge the age of what was left (:func:`sweep`)
        self._swept = HashSet()  # the folders written into this run, each swept once (a 64-bit hash a folder)
        self._parts = HashSet()  # the part files the sweeps found (a hash of each one's path)
        self._fds: dict[Path, int] = {}
        self._holders: dict[Path, int] = {}
        self._gone: dict[Path, list[int]] = {}  # descriptors of folders removed meanwhile, closed once none holds them
        self._idle: OrderedDict[Path, None] = OrderedDict()  # open, held by none: the least recently used first
        self._lock = threading.Lock()
        self.names = Names(self)  # what stands in them already
        self._tree = _Tree(root)

    @contextlib.contextmanager
    def using(self, folder: Path, *, create: bool = True) -> Iterator[int]:
        """A descriptor of ``folder`` (below the root, made as needed unless ``create`` is False), open for as long
        as the block runs; :class:`FolderError`, saying why, where there is none (never an OSError)."""
        fd = self.hold(folder, create=create)
        try:
            yield fd
        finally:
            self.release(folder)

    def ready(self, folder: Path) -> None:
        """``folder`` made as needed, and left open for the files to come while it is among the folders used last;
        :class:`FolderError`, saying why, where it cannot be."""
        self.hold(folder)
        self.release(folder)

    def hold(self, folder: Path, *, create: bool = True) -> int:
        """:meth:`using`'s descriptor, open until as many :meth:`release` calls (for a use that is no block). The
        first time a run writes into a folder, what killed runs left hidden there is swept (:func:`sweep`)."""
        with self._lock:
            fd = self._fds.get(folder)
            if fd is None:
                fd = self._fds[folder] = self._tree.opened(folder, create=create)
            self._idle.pop(folder, None)
            self._holders[folder] = self._holders.get(folder, 0) + 1
            first = create and self._swept.add(hash(folder))
        if first:  # (held meanwhile: not closed under the sweep; the others' folders are not waited on)
            parts = sweep(fd, self.calendar())
            with self._lock:
                for name in parts:
                    self._parts.add(hash(folder / name))
        return fd

    def made_here(self, folder: Path) -> bool:
        """Whether this run made ``folder`` (nothing an earlier run saved is in it)."""
        with self._lock:
            return hash(folder) in self._tree.made

    def part_found(self, path: Path) -> bool:
        """Whether ``path``'s part file was in its folder as this run first wrote there (:func:`sweep`): where none
        was, none is looked for beside a whole file (a part file made since is a process's at work)."""
        with self._lock:
            return hash(path.with_name(path.name + PART_SUFFIX)) in self._parts

    def release(self, folder: Path) -> None:
        """One holder of ``folder`` is done; once none is, it is idle, and closed when :data:`IDLE` more are."""
        closed: list[int] = []
        with self._lock:
            left = self._holders[folder] - 1
            if left > 0:
                self._holders[folder] = left
                return
            del self._holders[folder]
            closed += self._gone.pop(folder, [])
            self._idle[folder] = None
            while len(self._idle) > IDLE:
                closed.append(self._fds.pop(self._idle.popitem(last=False)[0]))
        for fd in closed:
            let_go(fd)

    def within(self, folder: Path, work: Callable[[int], _T], failed: Callable[[_T], bool]) -> _T:
        """``work`` done with ``folder``'s descriptor (:meth:`using`), and once more where it ``failed`` as the folder
        had been removed meanwhile (:meth:`renewed`: made again since)."""
        with self.using(folder) as fd:
            done = work(fd)
            if not (failed(done) and self.renewed(folder, fd)):
                return done
        with self.using(folder) as fd:
            return work(fd)

    def renewed(self, folder: Path, fd: int) -> bool:
        """Whether ``folder``, held as ``fd``, had been removed (another process tidied the empty folder it made for an
        album it failed, a clean-up script took it) and is made again: from now on, :meth:`hold` gives the new one.
        ``fd`` stays open until no holder is left, as others may be writing through its number."""
        try:
            removed = os.fstat(fd).st_nlink == 0
        except OSError:  # (a network share's folder removed elsewhere: ESTALE)
            removed = True
        if not removed:
            return False
        with self._lock:
            if self._fds.get(folder) != fd:
                return True  # (made again already, by another of its holders)
            try:
                self._fds[folder] = self._tree.opened(folder, create=True)
            except FolderError:
                return False  # (what stands there now is no folder to write into: the file fails as it did)
            self._gone.setdefault(folder, []).append(fd)
            return True

    @property
    def top(self) -> Path:
        """The highest folder this run's names are flushed up to (:func:`flush_names`): the root, or where the run
        made it, the nearest folder above it that was there."""
        return self._tree.top

    def tidy(self, folder: Path) -> None:
        """``folder``, and each folder above it below the root, removed where this run made it, it is empty, and
        nothing of this run is using it: an album whose every file failed leaves no folder behind. (One that holds
        anything, a part file to resume included, stays; one another album of this run writes into later is made
        again then.)"""
        with self._lock:
            while folder != self.root and self.root in folder.parents and hash(folder) in self._tree.made \
                    and folder not in self._holders:
                if (fd := self._fds.pop(folder, None)) is not None:
                    self._idle.pop(folder, None)
                    let_go(fd)
                try:
                    parent = self._tree.opened(folder.parent, create=False)
                except FolderError:
                    return
                try:
                    os.rmdir(folder.name, dir_fd=parent)
                except OSError:  # (not empty: another process's files, or ours; gone already)
                    return
                finally:
                    let_go(parent)
                folder = folder.parent

    def close(self) -> None:
        """Every descriptor closed (once no file is written any more)."""
        with self._lock:
            fds, self._fds = [*self._fds.values(), *(fd for gone in self._gone.values() for fd in gone)], {}
            self._gone.clear()
            self._idle.clear()
            self._holders.clear()
        for fd in fds:
            let_go(fd)


@contextlib.contextmanager
def visiting(root: Path, folder: Path) -> Iterator[int]:
    """A descriptor of ``folder`` below ``root`` (never made, opened as :class:`Folders` opens it), of its own and
    closed when the block ends: for a thread that may be at work as the run lets go of its folders (the archive's
    writer); :class:`FolderError` where there is none."""
    fd = _opened_below(root, folder, made=None)
    try:
        yield fd
    finally:
        let_go(fd)


class _Tree:
    """Folders below the root, opened from the root down, a component at a time, following no symlink; and which
    of them this run made. (Used under :class:`Folders`'s lock.)"""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = HashSet()  # the folders this run made (a hash each)
        self._rooted = False  # the root was looked for
        self._above: Path | None = None  # ... and made by this run: the nearest folder above it that was there

    @property
    def top(self) -> Path:
        return self._above or self.root

    def _make_root(self) -> None:
        """The root made as needed, with the folders above it; the first time, where it was not there, the nearest
        folder above it that was is noted (their names are flushed with the files': :func:`flush_names`)."""
        if not self._rooted:
            self._rooted = True
            if not self.root.is_dir():
                self._above = next((p for p in self.root.parents if p.is_dir()), None)
        self.root.mkdir(parents=True, exist_ok=True)

    def opened(self, folder: Path, *, create: bool) -> int:
        """``folder`` opened (made as needed, with ``create``); :class:`FolderError`, saying why, where it cannot
        be."""
        return _opened_below(self.root, folder, made=self.made if create else None,
                             rooted=self._make_root if create else None)


def _opened_below(root: Path, folder: Path, *, made: HashSet | None, rooted: Callable[[], None] | None = None) -> int:
    """``folder`` below ``root`` opened a component at a time, following no symlink (the root first ``rooted()``,
    and each folder made as needed and noted in ``made``, where they are given); :class:`FolderError`, saying why,
    where it cannot be."""
    try:
        relative = folder.relative_to(root)
    except ValueError:
        raise FolderError(f"refusing to write outside the output folder: {folder}") from None
    try:
        if rooted is not None:
            rooted()
        current = os.open(root, _FOLLOWED)
    except OSError as exc:
        raise _unusable(exc, root) from None
    for n, part in enumerate(relative.parts):
        try:
            if made is not None:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=current)
                    made.add(hash(root.joinpath(*relative.parts[: n + 1])))
            child = os.open(part, _DIR_FLAGS, dir_fd=current)
        except OSError as exc:
            let_go(current)
            where = root.joinpath(*relative.parts[: n + 1])
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise FolderError(f"{where} is a symlink or not a folder; refusing to write through it") from None
            raise _unusable(exc, where) from None
        let_go(current)
        current = child
    return current


class Names:
    """What stands in the folders below the root already, from earlier runs: whether names ignore case there, and
    whether another file holds a name. Thread-safe."""

    def __init__(self, folders: Folders) -> None:
        self.folders = folders
        self._lock = threading.Lock()
        self._ignores_case: bool | None = None  # found out once a run (ignores_case)
        self._names: dict[Path, HashSet] = {}  # where names ignore case: a folder's names as it was found (read once)

    def ignores_case(self, folder: Path) -> bool:
        """Whether names in ``folder`` ignore case, as on macOS, exFAT or WSL's ``/mnt/c`` (``AbC.jpg`` is
        ``abc.jpg`` there): found out once a run, in the first folder asked about (a file made and removed)."""
        if self._ignores_case is None:
            with self.folders.using(folder) as fd:
                self._ignores_case = _ignores_case(fd)
        return self._ignores_case

    def held_in_other_case(self, path: Path) -> bool:
        """Where names ignore case: whether a file of another name (``AbC.jpg`` for ``abc.jpg``) holds ``path``
        already, one an earlier run saved. The folder's names are read once, on the first such question (a
        64-bit hash a name); the files of this run are told apart before this is asked (naming.disambiguate)."""
        with self._looking_in(path.parent) as fd:
            if fd is None or entry(fd, path.name) is None:
                return False  # nothing there (or no folder yet): nothing to clash with
            with self._lock:
                names = self._names.get(path.parent)
            if names is None:
                names = HashSet()
                try:
                    with listed(fd) as entries:
                        for found in entries:
                            names.add(hash(found.name))
                except OSError:  # (a folder that cannot be read: the name is taken for another's, kept apart)
                    return True
                with self._lock:
                    self._names[path.parent] = names
        return hash(path.name) not in names

    def holds_other(self, path: Path, size: int) -> bool:
        """Whether a regular file of another size than ``size``, or a folder, is at ``path`` already: where names
        are not made from ids, another post's file (a later run, its posts in another order), never to be
        replaced, or an album's folder (titled as a lone image is), where no file can go. (A link there is
        replaced by the file, as everywhere.)"""
        with self._looking_in(path.parent) as fd:
            st = None if fd is None else entry(fd, path.name)
        return st is not None and (stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_size != size))

    @contextlib.contextmanager
    def _looking_in(self, folder: Path) -> Iterator[int | None]:
        """:meth:`Folders.using` ``folder`` if it is there (none is made); None where it is not."""
        try:
            fd = self.folders.hold(folder, create=False)
        except FolderError:
            yield None
            return
        try:
            yield fd
        finally:
            self.folders.release(folder)


def flush_names(paths: Iterable[str], top: Path) -> tuple[set[str], str]:
    """The names of ``paths`` (files and folders below the root) made to last: each folder that holds one, up
    to ``top`` (:attr:`Folders.top`: the root, or the folder above it that was there), flushed to its disk
    (fsync), as a new name survives a power cut only once its folder is (fsync(2)). Returned: the paths whose
    names could not be (a folder above one could not be flushed), and why (the first). Each folder is opened for
    this alone: this may follow :meth:`Folders.close`."""
    names = {path: os.path.dirname(path) for path in paths}  # noqa: PTH120 - (a thousand Paths: 5 ms a batch)
    held = _holding(set(names.values()), top)
    failed: set[Path] = set()
    why = ""
    for folder in sorted(held):  # (the first said the same in every run)
        try:
            fd = os.open(folder, _FOLLOWED)  # (a root given as a symlink: its folder)
        except OSError:  # (gone since, or one that may be written into but not read: nothing to flush here)
            continue
        try:
            flush(fd)
        except OSError as exc:
            failed.add(folder)
            why = why or f"cannot flush the folder {folder} to its disk: {reason(exc)}"
        finally:
            let_go(fd)
    if not failed:
        return set(), why
    return {path for path, name in names.items() if failed.intersection((Path(name), *Path(name).parents))}, why


def _holding(folders: Iterable[str], top: Path) -> set[Path]:
    """Each of ``folders`` that is ``top`` or below it, with every folder between: the folders that hold their
    names, up to ``top``. (Each folder looked at once: a batch's thousand paths are in a few folders, or in a thousand
    folders of one.)"""
    below: dict[Path, bool] = {top: True}  # folder -> it is top, or below it
    for name in folders:
        way = []
        folder = Path(name)
        while folder not in below and folder.parent != folder:
            way.append(folder)
            folder = folder.parent
        inside = below.get(folder, False)
        below.update(dict.fromkeys(way, inside))
    return {folder for folder, inside in below.items() if inside}


def name_max(root: Path) -> int:
    """The bytes a name may have below ``root``, as its file system says (eCryptfs 143, most 255); 255 where it says
    nothing (``root`` made later: its nearest folder that is there is asked)."""
    for folder in (root, *root.absolute().parents):
        with contextlib.suppress(OSError):
            told = os.statvfs(folder).f_namemax
            return max(LEAST_NAME_MAX, min(told, 255)) if told else 255
    return 255


def probe_name() -> str:
    """A name for a file made only to find out what its folder's file system does, and removed: one a run killed
    meanwhile leaves, the next one writing there removes (:func:`sweep`). Lower case: its upper case names nothing
    else."""
    return f".imgur-dl-{secrets.token_hex(6)}.probe"


def _ignores_case(dir_fd: int) -> bool:
    name = probe_name()
    try:
        fd = os.open(name, _NEW, 0o600, dir_fd=dir_fd)
    except OSError:
        return False  # (no file can be made there: none will be named)
    try:
        let_go(fd)
        os.stat(name.upper(), dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    else:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)


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
        return os.open(name, _NEW, 0o666, dir_fd=dir_fd)
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


# What an imgur-dl process killed mid-step (SIGKILL, a power cut, Ctrl-C in that instant) leaves hidden in a folder:
# a file on its way onto a name (naming.private_part: ``.imgur-dl-<kind>-<16 hex digits>.part``), a probe
# (``.imgur-dl-<12 hex digits>.probe``). None is kept longer than a rename takes by a process alive.
_LEFT = re.compile(r"\.imgur-dl-(?:[a-z]+-[0-9a-f]{16}\.part|[0-9a-f]{12}\.probe)")
LEFT_FOR = 86_400.0  # seconds since its last change (its ctime, which no program can set back) before it is removed
# ... or, where no process holds its lock (the process that writes one holds it from a moment after it is made until
# it is gone), this many: one a process writes, unchanged for minutes, on a disk that hangs, is held.
UNHELD_FOR = 60.0


@contextlib.contextmanager
def listed(dir_fd: int) -> Iterator[Iterator[os.DirEntry[str]]]:
    """The entries of the folder ``dir_fd`` is open on, read through a descriptor of their own. (The folder's own is
    shared by the run's threads, and a listing reads on from where that descriptor is: one made through it while
    another thread's is under way would each miss the names the other read.)"""
    fd = os.open(".", _DIR_FLAGS, dir_fd=dir_fd)
    try:
        with os.scandir(fd) as entries:
            yield entries
    finally:
        let_go(fd)


def sweep(dir_fd: int, now: float) -> list[str]:
    """Remove what killed processes left hidden in the folder (:data:`_LEFT`), once it has not changed for
    :data:`LEFT_FOR` seconds by ``now``, or :data:`UNHELD_FOR` where no process holds it: another process's, under
    way, changed seconds ago, and is held. Nothing is said of it, and nothing that fails here stops anything. The
    names of the part files there (``<name>.part``) are given."""
    parts: list[str] = []
    with contextlib.suppress(OSError), listed(dir_fd) as entries:
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
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino) or not hold(fd):
            return
        os.unlink(name, dir_fd=dir_fd)  # (held meanwhile: no process can be writing it)
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
    hold(fd)  # (while it is written: what a killed run left, no process holds, is removed by the next: see sweep)
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


def _unusable(exc: OSError, folder: Path) -> FolderError:
    return FolderError(disk_reason(exc, folder), full=full(exc))


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
    fd, _ = opened_regular(dir_fd, name)
    try:
        digest = hashlib.sha256()
        while block := os.read(fd, HASHED):
            digest.update(block)
        return digest.hexdigest()
    finally:
        os.close(fd)
