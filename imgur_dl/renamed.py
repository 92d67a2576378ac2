"""An album found where an earlier run saved it, after it changed on Imgur: its folder under the title it had then,
its files under the places they had in it.

The default folder of an album, ``{album_id} - {album_title}``, says which
album it is and what it was called. Retitled on Imgur (a post's title
edited, an untitled album given one), the album would be given a new
folder and every file fetched again into it, the first one left beside it.
Where the folder's name says the album's id, a folder an earlier run made
for it, named as the template names it with any title (or place in its
listing), is where its files go: found by the id, never made again.

Likewise a file's default name, ``{index}-{id}.{ext}``, says its place in
the album: an image removed from the album, or one added before the end,
moves every file after it. A file an earlier run saved in the album's folder
under its earlier place (any place, any title, the same image id and
extension, whole as a file found at its own name is: of the size the API
gives, or where it gives none, as an animation's MP4, starting as a file of
its kind does) takes its name now, in one step, rather
than being fetched again beside it; so does a single-image post's file in
its listing's folder whose name says its place in the listing, or its title.

A folder's names are read once a run (the output folder's, a listing's, an
album's), only where what the template names now is not there, and not in
one of more than :data:`MOST` entries.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from imgur_dl import infolder
from imgur_dl.errors import DownloadError
from imgur_dl.folders import Folders
from imgur_dl.models import Album, Job, Source
from imgur_dl.naming import PART_SUFFIX, GivenNames, Namer, fields

# What of a post may change on Imgur between two runs, as the name of its folder says it: its title, its place in
# its listing, its number of items.
FOLDER_LOOSE = frozenset({"album_title", "position", "count"})
# ... and as a file's name says it: its place in its album, their number, its title, the post's title and place.
FILE_LOOSE = frozenset({"index", "num", "count", "title"}) | FOLDER_LOOSE
# What in the name of an album's folder says which album it is.
_ALBUM_IDS = frozenset({"album_id", "post_id"})
# What may be an id in a name: a run of letters and digits (Imgur's ids are 5 or 7 of them, random).
_TOKEN = re.compile(r"[0-9A-Za-z]{5,}")
ALBUMS = 4  # albums' folders whose files' names are kept at once (the albums under way)
# The entries of a folder read for earlier names at the most (some 30 MB of names): in one that holds more (a
# rescue of a million links into one folder), none is looked for.
MOST = 100_000


class _Index:
    """The names of a folder's entries of one kind, by each id they may say: a name, or several."""

    __slots__ = ("_by",)

    def __init__(self, by: dict[str, str | list[str]]) -> None:
        self._by = by  # (a list only where a token is in several names: most ids are in one)

    def get(self, token: str) -> list[str]:
        found = self._by.get(token, [])
        return [found] if isinstance(found, str) else list(found)

    def drop(self, token: str, name: str) -> None:
        """``name`` is no longer there."""
        found = self._by.get(token)
        if found == name:
            del self._by[token]
        elif isinstance(found, list) and name in found:
            found.remove(name)


class Renamed:
    """Where an earlier run saved an album that has changed since. Thread-safe."""

    def __init__(self, folders: Folders, namer: Namer, taken: GivenNames) -> None:
        self.folders = folders
        self.namer = namer
        self.taken = taken  # the names this run gives out: one given to a file now is no earlier name of another
        # Whether an album's folder's name says which album it is, and something that changes; likewise a file's
        # name, which image it is: an album's file in a folder of the album's own (an image may be in two albums), a
        # lone image's wherever it is (its post is the image).
        told = namer.dir_template.last_names
        self._folders_told = bool(told & _ALBUM_IDS and told & FOLDER_LOOSE)
        self._files_told = {album: _says_which(namer.template(album=album).last_names) and (
            not album or bool(told & _ALBUM_IDS)) for album in (True, False)}
        self._lock = threading.Lock()
        self._indexes: dict[Path, _Index] = {}  # a folder's folders, by each id their names may say
        self._files: OrderedDict[Path, _Index] = OrderedDict()  # an album's files, so: the last used last
        self._reading: dict[tuple[bool, Path], Future[_Index]] = {}  # a folder's names being read, by the first asked

    def folder(self, album: Album, folder: Path) -> Path:
        """``album``'s folder: ``folder``, or where it is not there, the one an earlier run made for the album under
        another title, if any (the one written into last, of several)."""
        if not (self._folders_told and album.is_album):
            return folder
        try:
            with self.folders.using(folder.parent, create=False) as dir_fd:
                if infolder.entry(dir_fd, folder.name) is not None:
                    return folder  # (there, or something is in the way of it: as before)
                names = self._index(self._indexes, folder.parent, dir_fd, _folder).get(album.id)
                # (the pattern made only for an album whose id some name there says, not for each of a first run's;
                # where it can be told: see Template.pattern)
                pattern = self.namer.dir_template.pattern(fields(album, None), FOLDER_LOOSE,
                                                          most=self.namer.most) if names else None
                if pattern is None:
                    return folder
                found = [(st.st_mtime_ns, name) for name in names if pattern.fullmatch(name)
                         if (st := infolder.entry(dir_fd, name)) is not None and stat.S_ISDIR(st.st_mode)]
        except (OSError, DownloadError):  # (no folder there yet: nothing was saved into it)
            return folder
        return folder.with_name(max(found)[1]) if found else folder

    def file(self, job: Job, source: Source, name: str, dir_fd: int) -> str | None:
        """The name in the folder (``dir_fd``) of a file an earlier run saved of ``job``'s ``source``, where
        ``name`` now is; None where there is none to be found."""
        return next(iter(self._earlier(job, source, name, dir_fd)), None)

    def _earlier(self, job: Job, source: Source, name: str, dir_fd: int) -> list[str]:
        """The names in the folder (``dir_fd``) an earlier place of ``job``'s file in its album gave it, where
        ``name`` now is, in order."""
        folder = job.path.parent
        if not self._files_told[job.album.is_album]:
            return []
        with self._lock:  # (the folder's names read already, none but ``name`` saying the image's id: none, at once)
            if (index := self._files.get(folder)) is not None:
                self._files.move_to_end(folder)
                if all(found == name for found in index.get(job.media.id)):
                    return []
        if self.folders.made_here(folder):
            return []  # (none in a folder this run made)
        try:
            index = self._index(self._files, folder, dir_fd, _file)
        except OSError:  # (a folder that cannot be read: its file is fetched as any other)
            return []
        with self._lock:
            if folder in self._files:
                self._files.move_to_end(folder)
            while len(self._files) > ALBUMS:
                self._files.popitem(last=False)
            # (not a name given to a file now: the image's in another place, where the album lists it twice)
            names = sorted(found for found in index.get(job.media.id)
                           if found != name and not self.taken.holds(folder / found, fold=job.folded))
        # (the pattern made only for a file whose id some name in the folder says: not for each file of a first run)
        template = self.namer.template(album=job.album.is_album)
        pattern = template.pattern(fields(job.album, job.media, source.ext, template.wanted), FILE_LOOSE,
                                   reserve=len(PART_SUFFIX), most=self.namer.most) if names else None
        return [found for found in names if pattern.fullmatch(found)] if pattern is not None else []

    def moved(self, job: Job, earlier: str) -> None:
        """The file at ``earlier`` in ``job``'s folder has been moved to its name now."""
        with self._lock:
            if (index := self._files.get(job.path.parent)) is not None:
                index.drop(job.media.id, earlier)

    def left_behind(self, job: Job, source: Source, name: str, dir_fd: int, entry: os.stat_result) -> None:
        """Where ``job``'s file at ``name`` (seen as ``entry``) has a second name, the one an earlier place in its
        album gave it, that name removed: a run killed as it moved the file to its name, between the two steps of
        :func:`~imgur_dl.infolder.publish_new`, left both (two such runs, three). Only that very file's (its device
        and inode): a copy of its own, or a link the user made, is left as it is."""
        for earlier in self._earlier(job, source, name, dir_fd) if entry.st_nlink > 1 else ():
            found = infolder.entry(dir_fd, earlier)
            if found is None or (found.st_dev, found.st_ino) != (entry.st_dev, entry.st_ino):
                continue
            with contextlib.suppress(OSError):  # (removed meanwhile, by another process at work on the album)
                os.unlink(earlier, dir_fd=dir_fd)
            self.moved(job, earlier)

    def _index(self, kept: dict[Path, _Index], folder: Path, dir_fd: int,
               kind: Callable[[os.DirEntry[str]], bool]) -> _Index:
        """The names in ``folder`` of the entries ``kind`` takes, by each id they may say: read the first time it is
        asked for, and ``kept``. (Read once, outside the lock: the other threads' questions of other folders, the
        run's handing out of albums, do not wait on a folder's listing; those of this folder wait for it, rather than
        each read it again, as every worker at an album's files at once would.)"""
        key = (kept is self._files, folder)
        with self._lock:
            index = kept.get(folder)
            if index is not None:
                return index
            asked = self._reading.get(key)
            if asked is None:
                reading = self._reading[key] = Future()
        if asked is not None:
            return asked.result()  # (what the first read, or the OSError it met)
        try:
            index = _indexed(dir_fd, kind, MOST)
        except BaseException as exc:
            reading.set_exception(exc)
            raise
        else:
            reading.set_result(index)
            with self._lock:
                kept[folder] = index
            return index
        finally:
            with self._lock:
                del self._reading[key]


def _says_which(names: frozenset[str]) -> bool:
    """Whether a file's name of these fields says which image it is, and something that changes."""
    return "id" in names and bool(names & FILE_LOOSE)


def _folder(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a folder (not a symlink to one)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _file(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a regular file (not a symlink to one)."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _indexed(dir_fd: int, kind: Callable[[os.DirEntry[str]], bool], most: int) -> _Index:
    """The names of the entries ``kind`` takes in the folder, by each run of letters and digits in them; none where
    there are more than ``most``."""
    by: dict[str, str | list[str]] = {}
    with infolder.listed(dir_fd) as entries:  # (names alone read first: a folder of millions is let be at once)
        names = [entry.name for entry in itertools.islice(filter(kind, entries), most + 1)]
    if len(names) > most:
        return _Index(by)
    for name in names:
        for token in set(_TOKEN.findall(name)):
            found = by.setdefault(token, name)
            if isinstance(found, list):
                found.append(name)
            elif found is not name:
                by[token] = [found, name]
    return _Index(by)
