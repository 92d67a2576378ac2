"""Per-album bookkeeping: which albums are under way, and what follows when each one's last file is in.

An album is opened when its files are known; every finished file is recorded
(the archive's image row); when the last one is in, ``album.json`` is
written, and the album's own archive row added if nothing failed.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imgur_dl import earlier, folders, infolder, journal, labels, packed
from imgur_dl.archive import Archive, Entry, Record
from imgur_dl.dedupe import link_to_copy
from imgur_dl.errors import DownloadError, reason
from imgur_dl.folders import Folders
from imgur_dl.journal import Journals
from imgur_dl.labels import Labeller
from imgur_dl.models import Album, Archived, Filed, Origin, Result, Status, in_folder
from imgur_dl.naming import GivenNames, disambiguate, kept_apart
from imgur_dl.output import METADATA_HEAD, METADATA_NAME, is_metadata_of, metadata, write_json
from imgur_dl.share import Sharing


@dataclass
class _Book:
    album: Album
    folder: Path
    waiting: int  # files not yet finished
    opened: bool  # its folder is open (some file was to be fetched)
    metadata: str = METADATA_NAME  # its album.json's name in its folder (--write-metadata)
    failed: str | None = None  # why its first failed file failed
    kept: int = 0  # its files saved or found saved
    bare: set[Path] = field(default_factory=set)  # folders below its own, made for files that failed (--name 'a/b')
    filed: dict[str, Filed] = field(default_factory=dict)  # what became of each of its files (--write-metadata only)
    before: dict[str, dict[str, Any]] | None = None  # what its earlier album.json said of its files, once read
    read: tuple[int, int, int] | None = None  # that album.json as it was read (inode, size, time of change)
    noted: journal.Mark = field(default_factory=journal.Mark)  # how far its journal was read
    every: int = 1  # album.json and the journal read on at each such file found saved, nothing read saying it
    passed: int = 0  # such files passed over since they were last read on


class _Earlier:
    """What earlier runs recorded of the files a run finds saved: their album's earlier album.json (where each file's
    bytes came from, their SHA-256; see :mod:`imgur_dl.earlier`), and the archive, for a file it did not name."""

    def __init__(self, folders: Folders, archive: Archive | None) -> None:
        self.folders = folders
        self.archive = archive

    def as_recorded(self, book: _Book, result: Result) -> Result:
        """A file found saved, with what the album's earlier album.json recorded of it as it arrived (where its
        bytes came from, their SHA-256), when that was said of this file (see :mod:`imgur_dl.earlier`)."""
        media_id, done = result.job.media.id, Filed.of(result, book.folder)
        # (a file moved to the name its place in the album gives it now: said before under the earlier one)
        was = in_folder(result.renamed_from, book.folder) if result.renamed_from is not None else None
        known = earlier.kept(done, self.known(book).get(media_id), was)
        if known is None and self.looked_again(book):  # (another run at work on the album may have saved it since)
            known = earlier.kept(done, self.known(book).get(media_id), was)
        if known is None:
            return result
        return replace(result, url=known["url"], source=Origin(known["source"]), capture=known["wayback_timestamp"],
                       sha256=known["sha256"], linked_to=Path(known["linked_to"]) if known["linked_to"] else None)

    def label(self, labeller: Labeller, result: Result) -> None:
        """A file found saved labelled with what its earlier album.json vouched for, if it did (--xattrs)."""
        path = result.path
        if not (result.sha256 and result.url and path is not None) or labels.labelled(path):
            return  # (a rerun after one that labelled it: most files, one look each)
        with contextlib.suppress(OSError, DownloadError), self.folders.using(path.parent) as dir_fd:
            labeller.label_found(dir_fd, path.name,
                                 labels.of_file(result.url, result.sha256, labels.described(result.job)))

    def known(self, book: _Book) -> dict[str, dict[str, Any]]:
        """What the album's earlier album.json said of each file (the fields :mod:`imgur_dl.earlier` keeps), and
        over that, what its journal says of those a run saved since (:mod:`imgur_dl.journal`): read the first
        time it is asked for."""
        if book.before is None:
            book.before = {}
            self.read_on(book)
        return book.before

    def looked_again(self, book: _Book) -> bool:
        """:meth:`read_on` for a file found saved that nothing read says: at each such file while that brings
        something new, and half as often each time it brings nothing (each 2nd such file, 4th, ... each 64th at
        the most): a rerun of an album no other run is at does not look at each file's records again."""
        if book.passed + 1 < book.every:
            book.passed += 1
            return False
        book.passed = 0
        found = self.read_on(book)
        book.every = 1 if found else min(2 * book.every, 64)
        return found

    def read_on(self, book: _Book) -> bool:
        """What the album's album.json and journal say that was not read yet (album.json where it is another now:
        written by another run at work on the album too, as a nightly run meets the last one still at work; the
        journal's lines added since) taken into :meth:`known`, but of files this run saved; whether anything was.
        A file's record with its SHA-256 is not replaced by one without."""
        before = self.known(book)
        try:
            with self.folders.using(book.folder, create=False) as dir_fd:  # (never made to be read)
                st = infolder.entry(dir_fd, book.metadata)
                now = (st.st_ino, st.st_size, st.st_ctime_ns) if st is not None else None
                items = earlier.items(dir_fd, book.metadata, book.album.id) if now not in (None, book.read) else {}
                book.read = now  # (album.json first: another run writes it, then removes the journal it read)
                for media_id, item in journal.read(dir_fd, book.album.id, book.noted).items():
                    # (a file noted as moved: what was said of it at its earlier name, at its name now)
                    items[media_id] = journal.moved(items.get(media_id) or before.get(media_id), item) or item
        except (OSError, DownloadError):
            return False
        taken = False
        for media_id, item in items.items():
            if (done := book.filed.get(media_id)) is not None and done.status is Status.SAVED:
                continue  # (this run's own: what it saved, it knows)
            fields = {field: item.get(field) for field in earlier.KEPT}
            if fields["sha256"] is not None or before.get(media_id, {}).get("sha256") is None:
                before[media_id], taken = fields, True
        return taken

    def with_archived(self, book: _Book) -> dict[str, dict[str, Any]] | None:
        """What the earlier album.json said of each file, and for a file the archive has that it did not name, what
        the archive recorded of it (one question for the album's)."""
        before = book.before or {}
        asked = dict.fromkeys(media_id for media_id, done in book.filed.items() if done.archived
                              and media_id not in before)
        if self.archive is None or not asked:
            return book.before
        saved = {media_id: row for media_id, row in self.archive.saved(asked).items() if media_id in asked}
        media = book.album.media
        mask = bytes(media_id in saved for media_id in packed.ids(media))  # (only those made again)
        found = {image.id: fields for image in packed.where(media, mask, 1)
                 if (fields := earlier.recorded(book.folder, saved[image.id], image, self._entry)) is not None}
        return {**before, **found}

    def _entry(self, path: Path) -> os.stat_result | None:
        """What stands at ``path`` below the output folder (a symlink as itself; each folder on the way opened as the
        run writes there, following none); None where nothing can be found."""
        try:
            with self.folders.using(path.parent, create=False) as dir_fd:
                return infolder.entry(dir_fd, path.name)
        except DownloadError:
            return None


class Books:
    """Used from the run's main thread only."""

    def __init__(self, folders: Folders, archive: Archive | None, *, write_metadata: bool,
                 error: Callable[[str], None], dedupe: bool = False, sharing: Sharing | None = None,
                 rows: bool = False, labeller: Labeller | None = None, journals: Journals | None = None,
                 taken: GivenNames) -> None:
        self.folders = folders
        self.archive = archive
        self.sharing = sharing
        self.write_metadata = write_metadata
        # What a file found saved is recorded as (--json rows, album.json, the archive): what was recorded of it
        # as it arrived, when an earlier album.json says.
        self.recorded = write_metadata or rows or archive is not None or labeller is not None
        self.labeller = labeller  # ... and labelled so (--xattrs)
        self.dedupe = dedupe and archive is not None
        self.error = error
        self._open: dict[int, _Book] = {}
        # Every path this run gives out, files' and album.json's alike: a template may give a file the name an
        # album.json has (a post titled "album.json" under --name '{title}').
        self.taken = taken
        self._earlier = _Earlier(folders, archive)
        self.journals = journals  # where each file of an album under way is noted as it is saved (--write-metadata)

    def open(self, album: Album, folder: Path, files: int, *, fetching: bool) -> bool:
        """Start keeping ``album``'s books; False (said) when its folder cannot be made."""
        if fetching:
            try:
                self.folders.ready(folder)  # (once per album: a folder that cannot be made fails it in one line)
            except DownloadError as exc:
                self.error(f"{album.id}: {exc}")
                self.give_back(album, str(exc))
                return False
        name = METADATA_NAME if album.is_album else f"{album.id}.json"
        # (An album the archive has whole gets no folder; where an earlier run made one and wrote no album.json in
        # it, its album.json is written now: a sync that asks for metadata only now gets it for every album. Not a
        # single image's <id>.json, the folder it goes in being there whether or not the image was saved into it:
        # but where its journal is, an earlier run saved it there and wrote no <id>.json.)
        opened = fetching or (self.journals is not None and self._unwritten(folder, name, album))
        if self.write_metadata and opened:
            # A later album in a folder another album of this run has (a template that names them alike):
            # ``album (<id>).json``, each album's kept as its files are kept apart (and where names ignore case).
            fold = self.folders.names.ignores_case(folder)
            # (and where a file that is not the album's metadata has the name: an image an earlier run saved there)
            name = disambiguate(folder / name, album.id, self.taken, fold=fold,
                                other_case=self.folders.names.held_in_other_case if fold else None,
                                clash=functools.partial(self.folders.names.holds_other_than, head=METADATA_HEAD,
                                                        ours=_its_metadata(album.id))).name
        self._open[id(album)] = _Book(album, folder, waiting=files, opened=opened, metadata=name)
        if self.journals is not None and fetching:
            self.journals.open(album, folder)
        return True

    def _unwritten(self, folder: Path, name: str, album: Album) -> bool:
        """Whether ``folder`` is there, made by an earlier run, without the album's metadata file ``name`` (a lone
        image's, or without --write-metadata: never asked; nor kept apart from a file of that name that is not it),
        or with its journal still beside it (one that could not be
        removed, or an earlier run ended before it wrote the metadata file, or the archive its records: what it says
        is written again, and takes it away). Asked of an album the archive has whole, which was looked up first."""
        try:
            with self.folders.using(folder, create=False) as dir_fd:
                return (self.write_metadata and album.is_album and not _metadata_in(dir_fd, folder / name, album.id)
                        ) or journal.state(dir_fd, album.id) is not None
        except DownloadError:
            return False

    def record(self, result: Result) -> tuple[Result, bool]:
        """Book one finished file: the result as booked (with --dedupe, maybe linked to an earlier copy; found
        saved, as the earlier album.json recorded it), and False when its album's album.json could not be
        written."""
        book = self._open[id(result.job.album)]
        if result.status is Status.SKIPPED and self.recorded and book.opened:
            result = self._earlier.as_recorded(book, result)
            if self.labeller is not None:
                self._earlier.label(self.labeller, result)
        if result.renamed_from is not None and self.journals is not None:
            self.journals.note(result)  # (noted at its new name: a crash before album.json would lose its proof)
        if self.dedupe and self.archive is not None:
            copy = link_to_copy(result, self.archive, self.folders)
            if copy is not None:
                result = replace(result, linked_to=copy)
                if self.journals is not None:  # (noted again: a crash before album.json would lose the link)
                    self.journals.note(result)
        if self.archive is not None and result.status is not Status.FAILED and not result.archived:
            self.archive.add(Record(Entry.IMAGE, result.job.media.id, result.job.album.id, str(result.path),
                                    result.source, result.sha256))
        if result.status is Status.FAILED and book.failed is None:
            book.failed = f"{result.job.media.id}: {result.error}"
        if result.status is Status.FAILED and result.job.path.parent != book.folder:
            book.bare.add(result.job.path.parent)
        book.kept += result.status is not Status.FAILED
        if self.write_metadata:
            book.filed[result.job.media.id] = Filed.of(result, book.folder)
        return result, self._finished(book, 1)

    def archived(self, archived: Archived) -> bool:
        """Book the files of an album the archive has, together; False when its album.json could not be
        written."""
        book = self._open[id(archived.album)]
        if self.write_metadata:
            book.filed.update((result.job.media.id, Filed.of(result, book.folder))
                              for result in packed.archived_results(archived))
        return self._finished(book, archived.count)

    def _finished(self, book: _Book, files: int) -> bool:
        """``files`` more of ``book``'s files are in: closed once the last one is (False: album.json was not
        written)."""
        book.waiting -= files
        return self._close(book) if book.waiting == 0 else True

    def _close(self, book: _Book) -> bool:
        album = book.album
        del self._open[id(album)]
        if self.journals is not None:
            self.journals.close(album)
        written = True
        if self.write_metadata and book.opened:
            name = book.metadata
            try:
                if any(done.status is Status.SKIPPED and done.sha256 is None for done in book.filed.values()):
                    self._earlier.read_on(book)  # (what another run at work on the album said of them since)
                with self.folders.using(book.folder) as dir_fd:
                    write_json(dir_fd, name, metadata(album, book.filed, self._earlier.with_archived(book)))
                    journal.remove(dir_fd, album.id)  # (what it said, album.json now says)
            except (OSError, DownloadError) as exc:
                self.error(f"{album.id}: cannot write {book.folder / name}: {reason(exc)}")
                written = False  # (its journal is kept for the run that writes it)
        for folder in book.bare:  # (folders made for files that never came, and the album's where it is left empty)
            self.folders.tidy(folder)
        if book.opened and not book.kept:  # (every file failed: the folder made for them is not left empty)
            self.folders.tidy(book.folder)
        if self.archive is not None and album.is_album and book.failed is None:
            self.archive.add(Record(Entry.ALBUM, album.id, None, str(book.folder)))
        if self.archive is not None and self.journals is not None and not self.write_metadata and book.opened:
            # (what the journal said, the archive says once its records are written: the journal goes then)
            with contextlib.suppress(DownloadError), self.folders.using(book.folder, create=False) as dir_fd:
                if journal.state(dir_fd, album.id) is not None:  # (none where nothing was saved)
                    root, here = self.folders.root, self.folders.here
                    self.archive.then(album.id, lambda: _forget(root, here, book.folder, album.id))
        self.give_back(album, book.failed)
        return written

    def give_back(self, album: Album, reason: str | None) -> None:
        """With --share-work: the album's claim is settled, done (``reason`` None) or failed with why."""
        if self.sharing is not None and album.claim is not None:
            self.sharing.settle(album.claim, reason)


def _forget(root: Path, here: Path, folder: Path, album_id: str) -> None:
    """The album's journal in ``folder`` (below ``root``, relative to ``here`` where it is relative) gone: every file
    of the album is recorded now, those another run at work on it saved too (from the archive's writer: a thread of
    its own, at work as the run lets go of its folders)."""
    with contextlib.suppress(DownloadError), folders.visiting(root, folder, here) as dir_fd:
        journal.remove(dir_fd, album_id)


def _metadata_in(dir_fd: int, path: Path, album_id: str) -> bool:
    """Whether the folder (``dir_fd``) holds the album's metadata: at ``path`` (a link or anything else there but a
    regular file or a folder taken for it, as before), or where a file that is not it (another album's, an image's)
    or a folder has that name, kept apart by the album's id (as :meth:`Books.open` names it)."""
    if infolder.entry(dir_fd, path.name) is None:
        return False
    if not infolder.holds_other(dir_fd, path.name, _its_metadata(album_id), METADATA_HEAD):
        return True
    return infolder.entry(dir_fd, kept_apart(path, album_id).name) is not None


def _its_metadata(album_id: str) -> Callable[[bytes], bool]:
    """Whether a file that starts so is ``album_id``'s metadata (:func:`~imgur_dl.output.is_metadata_of`)."""
    return functools.partial(is_metadata_of, album_id=album_id)
