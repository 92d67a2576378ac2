"""What already stands at a file's names before it is fetched: a whole copy (skipped), one an earlier run saved under
the name its earlier place gave it (renamed to its name now), a folder in the way (failed), or, at a name another
post's file may have, a copy that may be this one's (asked of the CDN)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from imgur_dl import infolder
from imgur_dl.folders import Folders
from imgur_dl.hosts import followed
from imgur_dl.journal import Journals
from imgur_dl.models import Job, Result, Status
from imgur_dl.naming import first_apart, left_parts
from imgur_dl.outcomes import Unsure, copy_at, whole, whole_at
from imgur_dl.partfile import drop_left
from imgur_dl.renamed import Renamed


@dataclass(frozen=True)
class Standing:
    """Looks at a job's names in its folder. Thread-safe (what it holds is)."""

    folders: Folders
    skip_present: bool = True  # a regular file of the right size is not fetched again (--no-skip: False)
    renamed: Renamed | None = None  # where an earlier run saved a file whose place in its album has changed since
    journals: Journals | None = None  # where a file moved is noted as it is (or None)
    # With a download archive, which has not the file yet: a copy at a name that does not say the image's id is asked
    # of the CDN even where it has the size the API gives (another post's of that size may be there: in a fleet, one
    # name given to many posts' files at once, a size alike is met sooner or later, and the file was recorded done).
    doubt_sizes: bool = False

    def found(self, job: Job, dir_fd: int, mtime: float | None) -> Result | Unsure | None:
        """What already stands at the job's names: a whole copy (skipped), or a folder in the way (failed; at a name
        another post's file may have, the file is kept apart by its id once saved, as from another post's file).
        At such a name, a copy kept apart by the image's id is its own; one at the name itself is where it has the
        size the API gives and carries its upload time (``mtime``: what a run that saved it gave it), and where the
        API gives no size, or the sizes are doubted, or it carries another time, may be
        (:class:`~imgur_dl.outcomes.Unsure`). Where names ignore case, a file found under another case of a name is
        never this one's. None where the file is to be fetched."""
        for n, path in enumerate(job.paths):
            if job.untold(path) and (apart := self._apart(job, dir_fd, n, path, mtime)) is not None:
                return apart
            entry = self._entry(job, dir_fd, path)
            if entry is None:
                continue
            if n == 0 and stat.S_ISDIR(entry.st_mode) and not job.shared:  # (a shared name: kept apart when saved)
                return Result(job, Status.FAILED, job.path, error=f"a folder stands where the file goes "
                                                                   f"({job.path}); nothing fetched")
            if self.skip_present and (copy := self._copy(job, dir_fd, n, path, entry, mtime=mtime)) is not None:
                return copy
            if self.skip_present:  # (something else there: this rendition kept apart from it, where names may be
                # another's (at a name that does not say the id, looked for first); or another the template names so)
                told = job.shared and not job.untold(path)
                other = (self._apart(job, dir_fd, n, path, mtime) if told else None) or self._other(
                    job, dir_fd, n, path, entry=entry, mtime=mtime)
                if other is not None:
                    return other
        return (self._given(job, dir_fd, mtime) or self._moved(job, dir_fd, mtime)) if self.skip_present else None

    def _other(self, job: Job, dir_fd: int, n: int, path: Path, *, entry: os.stat_result,
               mtime: float | None) -> Result | Unsure | None:
        """Where rendition ``n`` is not at its name, a whole copy of another rendition the template names alike (its
        GIF where its MP4 is asked, under ``{id}`` or ``{title}``): its file, as where each has a name of its own (at a
        name that does not say the id, as :meth:`_copy` tells it); None where there is none."""
        for m in range(len(job.media.sources)):
            if m != n and (not job.untold(path) or job.given[m:m + 1] == (path,)) and (
                    copy := self._copy(job, dir_fd, m, path, entry, mtime=mtime, other=True)) is not None:
                return copy
        return None

    def _apart(self, job: Job, dir_fd: int, n: int, path: Path, mtime: float | None) -> Result | None:
        """The whole copy of rendition ``n`` kept apart by its id from another file at ``path`` (skipped: its name
        is its own), said as that rendition's; None where there is none (or files are not skipped)."""
        if not self.skip_present:
            return None
        apart = self.apart(job, path)
        entry = infolder.entry(dir_fd, apart.name)
        source = job.media.sources[n]
        if entry is None or (size := whole(dir_fd, apart.name, source, entry)) is None:
            return None
        # (said as this rendition: its name may be another rendition's)
        return self._skipped(job, dir_fd, apart, entry, size=size, mtime=mtime, url=followed(source.url))

    def _given(self, job: Job, dir_fd: int, mtime: float | None) -> Result | Unsure | None:
        """A whole copy at a name the template gives the file, which this run gave another of its files first
        (:attr:`Job.given`): an earlier run, where this one came first, saved it there. Taken as at any name another
        post's file may have (:meth:`_copy`), but not once Imgur has removed the image (the other has as much claim
        to it)."""
        for n, named in enumerate(job.given):
            entry = None if named in job.paths else self._entry(job, dir_fd, named)
            copy = None if entry is None else self._copy(job, dir_fd, n, named, entry, mtime=mtime, given=True)
            if copy is not None:
                return copy
        return None

    def _entry(self, job: Job, dir_fd: int, path: Path) -> os.stat_result | None:
        """What is at ``path``; None for nothing, or, where names ignore case, for what is there under another case
        (an id's that differs only in case, saved since this file was named: this one is kept apart from it)."""
        entry = infolder.entry(dir_fd, path.name)
        return None if entry is None or (job.folded and self.folders.names.held_in_other_case(path)) else entry

    def _copy(self, job: Job, dir_fd: int, n: int, path: Path, entry: os.stat_result, *, mtime: float | None,
              given: bool = False, other: bool = False) -> Result | Unsure | None:
        """The whole copy of rendition ``n`` at ``path`` (seen as ``entry``; ``given``, ``other``: a name the template
        gives it, not its own; another rendition's): skipped where its name says its id, or it has the size the API
        gives and carries the upload time ``mtime``; else a copy the CDN tells (:class:`~imgur_dl.outcomes.Unsure`).
        None where it is not whole.
        At a name given to an image of this one's size and upload time (:attr:`Job.alike`: posts of one size uploaded
        in one second), the CDN's to tell: that image takes the file there for its own by them; so too at its own name
        where another file of its album has both (an earlier run may have saved that one there)."""
        source = job.media.sources[n]
        size = whole(dir_fd, path.name, source, entry)
        if size is None:
            return None
        if path in job.alike or (job.untold(path) and (source.size is None or self.doubt_sizes
                                                       or not dated(entry, mtime))):
            return copy_at(dir_fd, path.name, size, n, apart=given or other, stands=not given)
        if self.renamed is not None:  # (a run killed as it moved it here left its earlier name too)
            self.renamed.left_behind(job, source, path.name, dir_fd, entry)
        return self._skipped(job, dir_fd, path, entry, size=size, mtime=mtime, url=followed(source.url))

    def apart(self, job: Job, path: Path) -> Path:
        """The name ``job``'s file at ``path`` is kept apart under, where another post's file has that name
        (:func:`~imgur_dl.naming.kept_apart`); where names ignore case, not one an earlier run's file of an id that
        differs only in case has (``_ (AbCdefg).jpg``, for ``abcdefg``): ``(<id> 2)``, ``(<id> 3)``... then, as the
        namer gives such names (:func:`~imgur_dl.naming.disambiguate`)."""
        held = self.folders.names.held_in_other_case
        return first_apart(path, job.media.id, lambda name: job.folded and held(name), self.folders.name_max)[0]

    def _skipped(self, job: Job, dir_fd: int, path: Path, entry: os.stat_result, *, size: int,
                 mtime: float | None, url: str | None = None) -> Result:
        """The job's whole copy at ``path``, skipped: part files left beside its names removed, its time set (``url``:
        the link of the rendition it is, where ``path`` may be another's name)."""
        self.tidy(job, dir_fd)
        if mtime is not None:
            infolder.stamp(dir_fd, path.name, mtime, entry)
        return Result(job, Status.SKIPPED, path, bytes=size, url=url)

    def tidy(self, job: Job, dir_fd: int, done: Path | None = None) -> None:
        """Remove the part files left beside the job's names (:func:`~imgur_dl.naming.left_parts`), its file whole at
        ``done`` (saved now: its own part file is in place) or at one of them (skipped). Each that was there as the
        run began: left by a process killed as it wrote it, as another finished it, or an earlier attempt's at another
        rendition. Each of another rendition, where one is saved now: an attempt of this run's may have left it."""
        for named in job.paths:
            for n, part in enumerate(left_parts(job, named, self.folders.name_max)):
                if self.folders.part_found(named.with_name(part)) or (done not in (None, named) and n == 0):
                    drop_left(dir_fd, part)

    def _moved(self, job: Job, dir_fd: int, mtime: float | None) -> Result | None:
        """A whole copy an earlier run saved under the name the file's earlier place in its album gave it, moved to
        its name now (see :mod:`imgur_dl.renamed`); None where there is none (or it cannot be moved)."""
        renamed = self.renamed
        if renamed is None:
            return None
        for source, path in zip(job.media.sources, job.paths, strict=True):
            earlier = renamed.file(job, source, path.name, dir_fd)
            found = None if earlier is None else infolder.entry(dir_fd, earlier)
            if earlier is None or found is None or whole(dir_fd, earlier, source, found) is None:
                continue
            if self.journals is not None:  # (a kill -9 once it is moved, before the run takes it back, loses nothing)
                self.journals.moving(job, dir_fd, path, earlier)
            try:
                moved = infolder.publish_new(dir_fd, earlier, path.name)
            except OSError:  # (moved away meanwhile, by another process; or one that cannot be moved)
                moved = False
            if not moved:  # (as another process at work on the album left it meanwhile: whole, or fetched)
                size = whole_at(dir_fd, path.name, source)
                return None if size is None else Result(job, Status.SKIPPED, path, bytes=size)
            renamed.moved(job, earlier)
            renamed.left_behind(job, source, path.name, dir_fd, found)  # (a run killed as it moved it before)
            if mtime is not None:
                infolder.stamp(dir_fd, path.name, mtime, found)
            return Result(job, Status.SKIPPED, path, bytes=found.st_size, renamed_from=path.with_name(earlier))
        return None


def dated(entry: os.stat_result, mtime: float | None) -> bool:
    """Whether the file seen as ``entry`` carries the upload time ``mtime`` (to the two seconds FAT keeps): as a run
    that saved that image dated it. (Another post's file of one size at one name carries its own.)"""
    return mtime is not None and abs(entry.st_mtime - mtime) < 2
