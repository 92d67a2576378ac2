"""An album's files as a run hands them out: each named as it goes, the archive's skipped, or listed.

:mod:`imgur_dl.run` gives the jobs that come out of here to its workers, and
books the results (of files the archive has, of items that cannot be named)
as it books the workers'.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgur_dl import packed
from imgur_dl.archive import Archive, Entry
from imgur_dl.books import Books
from imgur_dl.dates import upload_time, uploaded
from imgur_dl.errors import ImgurDLError
from imgur_dl.hashset import HashSet
from imgur_dl.hosts import OffsiteError, media_url
from imgur_dl.models import Album, Archived, Failure, Job, Listed, Media, Result, Status
from imgur_dl.naming import GivenNames, Namer, disambiguate, kept_apart
from imgur_dl.progress import Progress
from imgur_dl.renamed import Renamed
from imgur_dl.report import Tally
from imgur_dl.status import ExitStatus

# Ids of an album asked of the download archive at once.
HELD_BATCH = 5000


@dataclass
class Handout:
    """What each album of a run gives out; an album named twice (/a/X and /gallery/X) gives once."""

    namer: Namer
    books: Books
    progress: Progress
    tally: Tally
    archive: Archive | None
    get_urls: bool = False
    rows: bool = False  # --json: a listed file's row says where it would be saved
    renamed: Renamed | None = None  # where an earlier run saved an album retitled since
    seen: HashSet = field(default_factory=HashSet)  # album ids already started (hashed: a million-line list)

    def album(self, album: Album) -> Iterator[Job | Result | Listed | Failure | Archived]:
        """An album's files: the ones the archive has (together, first), jobs to fetch the others (or their
        failures to be named), or with --get-urls, links (or the failures of those that have none, said and
        counted here: nothing is booked for a file that is only listed)."""
        if not self.seen.add(hash(album.id)):
            return  # named twice (/a/X and /gallery/X, or twice in a list): fetched once
        try:
            folder = self.namer.folder(album)
            if self.rows or not self.get_urls:  # (-g alone names no folder)
                folder = self._clear(album, folder if self.renamed is None else self.renamed.folder(album, folder))
        except ImgurDLError as exc:
            self.progress.error(f"{album.id}: {exc}")
            self.tally.album_failed(ExitStatus.FAILED)
            self.books.give_back(album, str(exc))
            return
        for position, why in album.unusable:  # the album's other items still come
            self.tally.file_failed()
            self.progress.error(f"{album.id}/item {position}: {why}")
            yield Failure(ExitStatus.FAILED, f"{album.id}/item {position}: {why}", album.url, album.id,
                          album.listing.label if album.listing else None)
        # Files are named as they are handed out, not all at once: a 30,000-file album holds its
        # names for the files under way, not for every file.
        if self.get_urls:
            self.tally.started(album.is_album)
            for media in album.media:
                listed = self._listed(album, media, folder)
                if isinstance(listed, Listed):
                    yield listed
                else:  # (no link to give, or no name: said, and counted, as an unusable item is; --json's row)
                    self.tally.file_failed()
                    self.progress.error(f"{album.id}/{media.id}: {listed.error}")
                    yield listed
            self.books.give_back(album, None)
            return
        # The archive before any name: a file it has gets no path, nothing being saved for it here, and is not
        # named (a rerun of a large album costs a few queries, not a name per file) where names say ids.
        held = self._held(album.media)
        count, archived = len(album.media), held.count(1)
        if not self.books.open(album, folder, count, fetching=archived < count):
            self.tally.album_failed(ExitStatus.FAILED)
            return
        self.tally.started(album.is_album)
        self.progress.expect(files=count, size=packed.expected_bytes(album.media))
        if archived:  # all together: nothing is saved for them here
            yield Archived(album, bytes(held), archived, packed.weight(album.media, held, 1))
        if archived < count:
            yield from self._unarchived(album, held, folder)

    def _clear(self, album: Album, folder: Path) -> Path:
        """``folder``, or where a file this run names, or an earlier run saved, is at the name of one of the folders
        its template makes, that folder as ``<name> (<album id>)``: a lone image's file, where templates name both
        from titles (``--dir '{album_title}' --name '{title}'``, or ``'{album_title}/{album_id}'``). (Not where the
        name says the album's id: a file there is no post's, and fails the album, said. Nor are albums kept apart
        from each other: those titled alike share a folder.)"""
        if not album.is_album:
            return folder
        names, given = self.books.folders.names, self.books.taken
        base = self.namer.base(album)
        made = folder.relative_to(base).parts
        for n, part in enumerate(made):
            place = base.joinpath(*made[:n + 1])
            # (a name this run gave a file is kept as it is, or in lower case where names ignore case: found out by
            # the time such a file was named, in this folder's parent)
            named = given.holds(place) or (not self.get_urls and given.holds(place, fold=True)
                                           and names.ignores_case(place.parent))
            if album.id not in part and (named or names.holds_file(place)):
                return kept_apart(place, album.id, self.namer.most, folder=True).joinpath(*made[n + 1:])
        return folder

    def _unarchived(self, album: Album, held: bytes | bytearray, folder: Path) -> Iterator[Job | Result]:
        """The jobs of the album's files the archive does not have, named in album order. The files it has are not
        named, but where names are not made from ids: there each keeps the name it was saved under from the files
        after it, as in the run that saved it (else the next of that name, an untitled one under
        ``--name '{title}.{ext}'``, would be given it, and take the file there for its own: skipped, never fetched);
        and a file with another of the album's size and upload time has the CDN tell whose the file at its name is
        (:func:`_twins`)."""
        if self.namer.names_by_id:
            for media in packed.where(album.media, held, 0):
                yield self._job(album, media, folder)
            return
        twins = _twins(album)
        for media, in_archive in zip(album.media, held, strict=True):
            job = self._job(album, media, folder, twins)
            if not in_archive:
                yield job

    def _held(self, media: Sequence[Media]) -> bytes | bytearray:
        """For each of an album's items, 1 when the archive has it (0 without an archive).

        Asked :data:`HELD_BATCH` ids at a time, and kept as a byte an item: a rerun of a 100,000-file album
        holds a few thousand ids at once, not every id twice over.
        """
        archive = self.archive
        if archive is None:
            return bytes(len(media))
        held = bytearray(len(media))
        for start in range(0, len(media), HELD_BATCH):
            ids = packed.ids(media, start, start + HELD_BATCH)
            found = archive.has_many(Entry.IMAGE, ids)
            for n, media_id in enumerate(ids, start):
                held[n] = media_id in found
        return held

    def _listed(self, album: Album, media: Media, folder: Path) -> Listed | Result:
        """``--get-urls``: a file's link as a download would fetch it (its first rendition imgur-dl would ask for,
        as asked), or its failure: a link no download would follow is not given to a script to follow either."""
        job = self._job(album, media, folder) if self.rows else Job(album, media, ())  # (a link alone needs no name)
        if isinstance(job, Result):
            return job
        refused = ""
        for n, source in enumerate(media.sources):
            try:
                return Listed(job, media_url(source.url), n)
            except OffsiteError as exc:
                refused = refused or str(exc)
        return Result(job, Status.FAILED, None, error=refused)

    def _job(self, album: Album, media: Media, folder: Path, twins: HashSet | None = None) -> Job | Result:
        """One file's job (its names given out now), or its failure when it cannot be named (``twins``: the album's
        sizes and upload times of more than one file, :func:`_twins`)."""
        # (-g makes no folder: it asks none whether it ignores case)
        folders = self.books.folders
        fold = not self.get_urls and folders.names.ignores_case(folder)
        by_id = self.get_urls or self.namer.names_by_id
        try:
            templated = tuple(self.namer.path(album, media, s.ext, folder) for s in media.sources)
            # (at a name not made from ids, another post's file of another size there: kept apart from it)
            paths = tuple(disambiguate(path, media.id, self.books.taken, fold=fold,
                                       other_case=folders.names.held_in_other_case if fold else None,
                                       clash=None if by_id or s.size is None else functools.partial(
                                           folders.names.holds_other, size=s.size), most=self.namer.most)
                          for path, s in zip(templated, media.sources, strict=True))
        except ImgurDLError as exc:
            return Result(Job(album, media, ()), Status.FAILED, None, error=str(exc))
        if by_id:
            return Job(album, media, paths, shared=fold, folded=fold)
        return _given(Job(album, media, paths, shared=True, folded=fold), templated, self.books.taken, twins)


def _given(job: Job, templated: tuple[Path, ...], taken: GivenNames, twins: HashSet | None) -> Job:
    """``job``, whose names are not made from ids, with the names the template gives it (``templated``) that this run
    gave other images first (:attr:`Job.given`), and those, and its own, where a file there is told from this one's by
    neither size nor upload time (:attr:`Job.alike`: given to an image of its size and upload time; its own, where
    another of its album's files is of both, ``twins``); its own names kept as given to it."""
    media, fold = job.media, job.folded
    # (a name the template gives it, which another image had first: an earlier run may have saved it there; not one
    # this image had, in another album of the folder: each copy has a name of its own)
    given = tuple(path if path == named or taken.owns(named, media.id, fold=fold) else named
                  for path, named in zip(job.paths, templated, strict=True))
    when = upload_time(job)
    alike = tuple(named for path, named, s in zip(job.paths, given, media.sources, strict=True)
                  if named != path and taken.alike(named, s.size, when, fold=fold))
    if twins is not None:  # (an earlier run, the album's files in other places, may have saved the other there)
        alike += tuple(path for path, s in zip(job.paths, media.sources, strict=True)
                       if job.untold(path) and s.size is not None and _twin_key(s.size, when) in twins)
    for path, s in zip(job.paths, media.sources, strict=True):
        taken.own(path, media.id, s.size, when, fold=fold)
    if given == job.paths:
        return dataclasses.replace(job, alike=alike) if alike else job
    return dataclasses.replace(job, given=given, alike=alike)


def _twins(album: Album) -> HashSet | None:
    """The sizes and upload times (hashed together) that more than one of ``album``'s files has (None: none has):
    at a name not made from ids, an earlier run may have saved one where the other is named now (the album's files in
    other places since, under ``'{num}.{ext}'``), and neither tells the file there from this one's. (The renditions
    of one file count once.)"""
    if len(album.media) < 2:
        return None
    seen, twins = HashSet(), HashSet()
    for media in album.media:
        when = uploaded(album, media)
        for key in {_twin_key(s.size, when) for s in media.sources if s.size is not None}:
            if not seen.add(key):
                twins.add(key)
    return twins if len(twins) else None


def _twin_key(size: int, when: float | None) -> int:
    """What :func:`_twins` keeps of a file of ``size`` bytes uploaded ``when``, and asks of it."""
    return hash((size, when))
