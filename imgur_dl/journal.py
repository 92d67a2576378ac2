"""What a run saved of an album it has not finished: kept beside the files until the album's album.json (or the
archive's records) say it.

``album.json`` (``--write-metadata``) is written once an album's last file
is in. A run that ends before (Ctrl-C, SIGTERM, ``kill -9``, the OOM killer,
a power cut) left no word of the files it had saved, where their bytes came
from and their SHA-256 as they arrived; the run that finishes the album then
finds them saved with nothing recorded, and vouches for none of them
(``"sha256": null``, for good). So each file saved while its album is under
way is also noted, one line of JSON, in a hidden file in the album's folder
(``.imgur-dl-journal-<album id>.jsonl``: no file a download is given has a
name that starts with a dot), by the thread that saves it, just before it
takes its name (:data:`imgur_dl.partfile.Noted`): not a moment later, when a
run saving dozens of files a second may be killed. A lone image's
``<id>.json`` likewise: written by the run's main thread once it takes the
file back, it has a journal of its own beside it
(``.imgur-dl-journal-<image id>.jsonl``). The run that finds such a file
saved reads it with the earlier album.json (and takes it over that, being
newer), and :mod:`imgur_dl.earlier` keeps it only where it is said of that
very file: same name and size. It is removed once the album.json that says
it all is written; without ``--write-metadata``, with a download archive,
once the archive has written the album's records (gathered for a second
before each write: a run killed meanwhile lost them). A line cut short by a
crash is not read; a line that never reached the disk leaves that file's
record null, as before: never a wrong one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgur_dl import infolder
from imgur_dl.errors import DownloadError
from imgur_dl.folders import Folders
from imgur_dl.models import Album, Filed, Job, Origin, Result, Status, in_folder
from imgur_dl.partfile import Noted

MOST = 64 * 1024 * 1024  # a journal of ~200,000 files; one larger is not read
_ID = re.compile(r"[A-Za-z0-9]{1,32}")  # (an album's id as Imgur gives them: nothing else names a file here)
# (No symlink followed; a FIFO planted at its name not waited on for a reader: refused at once, as is anything but
# a regular file.)
_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_CLOEXEC", 0))


def name(album_id: str) -> str | None:
    """The journal's name for the album ``album_id``; None for an id no journal is kept for."""
    return f".imgur-dl-journal-{album_id}.jsonl" if _ID.fullmatch(album_id) else None


def line(album_id: str, media_id: str, fields: dict[str, Any]) -> str:
    """The journal's line for one more file of the album saved (``fields``: what album.json will say of it)."""
    return json.dumps({"album": album_id, "id": media_id, **fields}, ensure_ascii=True, separators=(",", ":")) + "\n"


def append(dir_fd: int, album_id: str, text: str) -> None:
    """``text`` (a :func:`line`) added to the album's journal in the folder, in one write. Nothing that fails here
    stops anything: a file not noted is one whose record a crash may lose."""
    if (journal := name(album_id)) is None:
        return
    with contextlib.suppress(OSError):
        fd = os.open(journal, _FLAGS, 0o666, dir_fd=dir_fd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            # (after a line of its own: one a crash cut short, not ended, would take the first line in with it; in
            # one write, but for a disk that takes only part: another process's lines land after)
            infolder.write_all(fd, ("\n" + text).encode("ascii"))
        finally:
            infolder.let_go(fd)


@dataclass
class Mark:
    """How far an album's journal has been read: which file (its device and inode, and its first bytes: a journal
    removed and made anew may be given the inode the last one had) and the end of the last whole line read in it."""

    file: tuple[int, int] | None = None
    head: bytes = b""
    offset: int = 0


def read(dir_fd: int, album_id: str, mark: Mark | None = None) -> dict[str, dict[str, Any]]:
    """What the journal says of each file of the album, by image id (a later line over an earlier): all of it, or
    with ``mark``, what was added since (all of it, where the journal is another file now), ``mark`` moved on to the
    end of its last whole line. Nothing where there is none, or it cannot be read."""
    mark = mark if mark is not None else Mark()
    found: dict[str, dict[str, Any]] = {}
    for text in _added(dir_fd, album_id, mark).splitlines():
        try:
            item = json.loads(text)
        except (ValueError, RecursionError):  # (cut short by a crash, or not ours)
            continue
        if isinstance(item, dict) and item.get("album") == album_id and isinstance(media_id := item.get("id"), str):
            found[media_id] = moved(found.get(media_id), item) or item
    return found


def moved(said: dict[str, Any] | None, item: dict[str, Any]) -> dict[str, Any] | None:
    """What ``said`` of a file (a journal's line, or album.json's item) says of it once ``item``, a line noting it
    moved (:meth:`Journals.moving`), has moved it from its name there; None where ``item`` says no such thing of
    it."""
    was = item.get("moved_from")
    if said is None or was is None or said.get("file") != was or not isinstance(item.get("file"), str):
        return None
    return {**said, "file": item["file"]}


def _added(dir_fd: int, album_id: str, mark: Mark) -> bytes:
    """What the journal holds past ``mark``, ``mark`` moved past its last whole line (one another process is
    writing, not whole yet, is read again next time); nothing where the journal cannot be read or has grown past
    ``MOST`` bytes."""
    if (journal := name(album_id)) is None:
        return b""
    try:
        fd, st = infolder.opened_regular(dir_fd, journal)
    except OSError:
        return b""
    try:
        same = mark.file == (st.st_dev, st.st_ino) and os.pread(fd, len(mark.head), 0) == mark.head
        offset = mark.offset if same else 0
        if st.st_size > MOST or st.st_size <= offset:
            return b""
        data = os.pread(fd, st.st_size - offset, offset)
    except OSError:
        return b""
    finally:
        os.close(fd)
    whole = data.rfind(b"\n") + 1
    if offset == 0:  # (the file is known by its first line: until one is whole, it is read from its start)
        known = bool(data[:whole].strip(b"\n"))
        mark.file, mark.head = ((st.st_dev, st.st_ino), data[:min(whole, 64)]) if known else (None, b"")
        whole = whole if known else 0
    mark.offset = offset + whole
    return data


def state(dir_fd: int, album_id: str) -> os.stat_result | None:
    """The album's journal in the folder, if it has one."""
    noted = name(album_id)
    return infolder.entry(dir_fd, noted) if noted is not None else None


def remove(dir_fd: int, album_id: str) -> None:
    """The journal gone (its album's album.json says what it said), if there is one."""
    if (journal := name(album_id)) is not None:
        with contextlib.suppress(OSError):
            infolder.remove(dir_fd, journal)


class Journals:
    """The journals of the albums under way: each file saved is noted in its album's as it takes its name, by the
    thread that saves it. Albums are opened and closed by the run's main thread, around their files."""

    def __init__(self, tree: Folders) -> None:
        self.folders = tree
        self._at: dict[int, Path] = {}  # the folder of each album under way (by id() of the album, as it is open)

    def open(self, album: Album, folder: Path) -> None:
        """``album``'s files, saved into ``folder`` from now on, are noted in its journal there."""
        if name(album.id) is not None:  # (a lone image's too)
            self._at[id(album)] = folder

    def close(self, album: Album) -> None:
        """``album``'s last file is in: none is noted any more."""
        self._at.pop(id(album), None)

    def noter(self, job: Job, capture: str | None = None) -> Noted | None:
        """What notes ``job``'s file as it takes its name, by the thread that saves it (from the Wayback Machine's
        ``capture``, if given); None where its album keeps no journal (nothing that fails there stops anything)."""
        if (folder := self._at.get(id(job.album))) is None:
            return None
        source = Origin.IMGUR if capture is None else Origin.WAYBACK

        def noted(dir_fd: int, path: Path, origin: str, size: int, sha256: str) -> None:
            filed = Filed(Status.SAVED, False, origin, in_folder(path, folder), size, source, capture, sha256, None)
            self._write(job, folder, filed.fields(), dir_fd, path)

        return noted

    def moving(self, job: Job, dir_fd: int, path: Path, earlier: str) -> None:
        """``job``'s file at ``earlier`` (in ``path``'s folder, open as ``dir_fd``) noted as moved to ``path``, by the
        thread that moves it, just before (what was said of it at ``earlier`` is said of it at ``path``: the run's
        own note of it, with its record, comes once the run takes it back)."""
        if (folder := self._at.get(id(job.album))) is not None:
            self._write(job, folder, {"file": in_folder(path, folder),
                                      "moved_from": in_folder(path.with_name(earlier), folder)}, dir_fd, path)

    def note(self, result: Result) -> None:
        """``result``'s file noted as it is now (linked to an earlier copy, moved to its name now, as recorded), if its
        album keeps a journal."""
        if (folder := self._at.get(id(result.job.album))) is not None:
            self._write(result.job, folder, Filed.of(result, folder).fields())

    def _write(self, job: Job, folder: Path, fields: dict[str, Any], dir_fd: int | None = None,
               path: Path | None = None) -> None:
        """A line of ``fields`` for ``job``'s file, in its album's ``folder`` (through ``dir_fd``, where the file at
        ``path`` is in that folder, open as that: as it mostly is)."""
        if dir_fd is not None and path is not None and path.parent == folder:
            append(dir_fd, job.album.id, line(job.album.id, job.media.id, fields))
            return
        with contextlib.suppress(DownloadError), self.folders.using(folder) as album_fd:
            append(album_fd, job.album.id, line(job.album.id, job.media.id, fields))
