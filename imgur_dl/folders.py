"""The folders below the output folder, opened so that no symlink is ever followed.

The output folder itself is the user's choice and may be a symlink. Below it,
every folder is opened component by component with ``O_NOFOLLOW``, and every
file is created, resumed, renamed and deleted relative to its folder's
descriptor (:mod:`infolder`), so a symlink planted where a folder, a ``.part``
or a final file belongs (even one swapped in while a download runs) can never
redirect a write outside the output folder. Needs POSIX ``*at`` calls: Linux,
macOS, BSD.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from imgur_dl import infolder, leftovers
from imgur_dl.errors import DownloadError, reason
from imgur_dl.hashset import HashSet

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

    def __init__(self, root: Path, name_max: int = 255, calendar: Callable[[], float] = time.time,
                 here: Path | None = None) -> None:
        self.root = root
        self.name_max = name_max  # the bytes a name may have there (:func:`name_max`)
        self.calendar = calendar  # seconds since the epoch, to judge the age of what was left (:func:`leftovers.sweep`)
        self._swept = HashSet()  # the folders written into this run, each swept once (a 64-bit hash a folder)
        self._parts = HashSet()  # the part files the sweeps found (a hash of each one's path)
        self._fds: dict[Path, int] = {}
        self._holders: dict[Path, int] = {}
        self._gone: dict[Path, list[int]] = {}  # descriptors of folders removed meanwhile, closed once none holds them
        self._idle: OrderedDict[Path, None] = OrderedDict()  # open, held by none: the least recently used first
        self._lock = threading.Lock()
        self.names = Names(self)  # what stands in them already
        # (a relative root stays below the working folder as the run began, or as the API's call was, whatever it is)
        self.here = working_folder() if here is None else here
        self._tree = _Tree(root, self.here)

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
        first time a run writes into a folder, what killed runs left hidden there is swept (:func:`leftovers.sweep`)."""
        with self._lock:
            fd = self._fds.get(folder)
            if fd is None:
                fd = self._fds[folder] = self._tree.opened(folder, create=create)
            self._idle.pop(folder, None)
            self._holders[folder] = self._holders.get(folder, 0) + 1
            first = create and self._swept.add(hash(folder))
        if first:  # (held meanwhile: not closed under the sweep; the others' folders are not waited on)
            parts = leftovers.sweep(fd, self.calendar())
            with self._lock:
                for name in parts:
                    self._parts.add(hash(folder / name))
        return fd

    def made_here(self, folder: Path) -> bool:
        """Whether this run made ``folder`` (nothing an earlier run saved is in it)."""
        with self._lock:
            return hash(folder) in self._tree.made

    def part_found(self, part: Path) -> bool:
        """Whether the part file ``part`` was in its folder as this run first wrote there (:func:`leftovers.sweep`):
        where none was, none is looked for beside a whole file (a part file made since is a process's at work)."""
        with self._lock:
            return hash(part) in self._parts

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
            infolder.let_go(fd)

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
                    infolder.let_go(fd)
                try:
                    parent = self._tree.opened(folder.parent, create=False)
                except FolderError:
                    return
                try:
                    os.rmdir(folder.name, dir_fd=parent)
                except OSError:  # (not empty: another process's files, or ours; gone already)
                    return
                finally:
                    infolder.let_go(parent)
                folder = folder.parent

    def close(self) -> None:
        """Every descriptor closed (once no file is written any more)."""
        with self._lock:
            fds, self._fds = [*self._fds.values(), *(fd for gone in self._gone.values() for fd in gone)], {}
            self._gone.clear()
            self._idle.clear()
            self._holders.clear()
        for fd in fds:
            infolder.let_go(fd)


class _Tree:
    """Folders below the root, opened from the root down, a component at a time, following no symlink; and which
    of them this run made. (Used under :class:`Folders`'s lock.)"""

    def __init__(self, root: Path, here: Path) -> None:
        self.root = root
        self.here = here  # (what a relative root is relative to)
        self.made = HashSet()  # the folders this run made (a hash each)
        self._rooted = False  # the root was looked for
        self._above: Path | None = None  # ... and made by this run: the nearest folder above it that was there

    @property
    def top(self) -> Path:
        return self._above or self.root

    def _make_root(self) -> None:
        """The root made as needed, with the folders above it; the first time, where it was not there, the nearest
        folder above it that was is noted (their names are flushed with the files': :func:`flush_names`)."""
        root = self.here / self.root
        if not self._rooted:
            self._rooted = True
            if not root.is_dir():
                self._above = next((p for p in self.root.parents if (self.here / p).is_dir()), None)
        root.mkdir(parents=True, exist_ok=True)

    def opened(self, folder: Path, *, create: bool) -> int:
        """``folder`` opened (made as needed, with ``create``); :class:`FolderError`, saying why, where it cannot
        be."""
        return _opened_below(self.root, folder, here=self.here, made=self.made if create else None,
                             rooted=self._make_root if create else None)


@contextlib.contextmanager
def visiting(root: Path, folder: Path, here: Path) -> Iterator[int]:
    """A descriptor of ``folder`` below ``root`` (relative to ``here`` where it is relative; never made, opened as
    :class:`Folders` opens it), of its own and closed when the block ends: for a thread that may be at work as the
    run lets go of its folders (the archive's writer); :class:`FolderError` where there is none."""
    fd = _opened_below(root, folder, here=here, made=None)
    try:
        yield fd
    finally:
        infolder.let_go(fd)


def working_folder() -> Path:
    """The working folder's path; none (paths relative to it as they are) where it has none (removed)."""
    try:
        return Path.cwd()
    except OSError:
        return Path()


def _opened_below(root: Path, folder: Path, *, here: Path, made: HashSet | None,
                  rooted: Callable[[], None] | None = None) -> int:
    """``folder`` below ``root`` (relative to ``here`` where it is relative) opened a component at a time, following
    no symlink (the root first ``rooted()``, and each folder made as needed and noted in ``made``, where they are
    given); :class:`FolderError`, saying why, where it cannot be."""
    try:
        relative = folder.relative_to(root)
    except ValueError:
        raise FolderError(f"refusing to write outside the output folder: {folder}") from None
    try:
        if rooted is not None:
            rooted()
        current = os.open(here / root, infolder.ROOT)
    except OSError as exc:
        raise _unusable(exc, root) from None
    for n, part in enumerate(relative.parts):
        try:
            if made is not None:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=current)
                    made.add(hash(root.joinpath(*relative.parts[: n + 1])))
            child = os.open(part, infolder.FOLDER, dir_fd=current)
        except OSError as exc:
            infolder.let_go(current)
            where = root.joinpath(*relative.parts[: n + 1])
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise FolderError(f"{where} is a symlink or not a folder; refusing to write through it") from None
            raise _unusable(exc, where) from None
        infolder.let_go(current)
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
        already, one an earlier run saved. The folder's names are read on the first such question (a 64-bit hash a
        name), and again where a file is found at ``path`` whose name is not among them: another process may have
        saved it since, at this very name. The files of this run are told apart before this is asked
        (naming.disambiguate)."""
        with self._looking_in(path.parent) as fd:
            if fd is None or infolder.entry(fd, path.name) is None:
                return False  # nothing there (or no folder yet): nothing to clash with
            with self._lock:
                names = self._names.get(path.parent)
            if names is None or hash(path.name) not in names:
                names = HashSet()
                try:
                    with infolder.listed(fd) as entries:
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
        st = self._standing(path)
        return st is not None and (stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_size != size))

    def holds_file(self, path: Path) -> bool:
        """Whether a regular file is at ``path`` already: where an album's folder would go, another post's file (a
        lone image's, titled as the album is)."""
        st = self._standing(path)
        return st is not None and stat.S_ISREG(st.st_mode)

    def holds_other_than(self, path: Path, ours: Callable[[bytes], bool], head: int) -> bool:
        """Whether a regular file whose first ``head`` bytes ``ours`` does not take for the file to be written there
        is at ``path`` already: another's, never to be replaced (an image an earlier run saved where an album's
        metadata goes now); or a folder (an album's, titled so), where no file can go. (A link, or a FIFO, is
        replaced as everywhere.)"""
        with self._looking_in(path.parent) as fd:
            return fd is not None and infolder.holds_other(fd, path.name, ours, head)

    def _standing(self, path: Path) -> os.stat_result | None:
        """What stands at ``path`` (a symlink as itself); None where nothing does, or its folder is not there."""
        with self._looking_in(path.parent) as fd:
            return None if fd is None else infolder.entry(fd, path.name)

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


def flush_names(paths: Iterable[str], top: Path, here: Path) -> tuple[set[str], str]:
    """The names of ``paths`` (files and folders below the root; relative ones, to ``here``) made to last: each
    folder that holds one, up to ``top`` (:attr:`Folders.top`: the root, or the folder above it that was there),
    flushed to its disk (fsync), as a new name survives a power cut only once its folder is (fsync(2)). Returned:
    the paths whose names could not be (a folder above one could not be flushed), and why (the first). Each folder
    is opened for this alone: this may follow :meth:`Folders.close`."""
    names = {path: os.path.dirname(path) for path in paths}  # noqa: PTH120 - (a thousand Paths: 5 ms a batch)
    held = _holding(set(names.values()), top)
    failed: set[Path] = set()
    why = ""
    for folder in sorted(held):  # (the first said the same in every run)
        try:
            fd = os.open(here / folder, infolder.ROOT)  # (a root given as a symlink: its folder)
        except OSError:  # (gone since, or one that may be written into but not read: nothing to flush here)
            continue
        try:
            infolder.flush(fd)
        except OSError as exc:
            failed.add(folder)
            why = why or f"cannot flush the folder {folder} to its disk: {reason(exc)}"
        finally:
            infolder.let_go(fd)
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


def _ignores_case(dir_fd: int) -> bool:
    name = leftovers.probe_name()
    try:
        fd = os.open(name, infolder.NEW, 0o600, dir_fd=dir_fd)
    except OSError:
        return False  # (no file can be made there: none will be named)
    try:
        infolder.let_go(fd)
        os.stat(name.upper(), dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    else:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)


def _unusable(exc: OSError, folder: Path) -> FolderError:
    return FolderError(infolder.disk_reason(exc, folder), full=infolder.full(exc))

