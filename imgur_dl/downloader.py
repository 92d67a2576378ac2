"""Download one file, safely: skip what is already there, try each rendition, retry as the policy says.

A file under its final name is always whole and is what was asked for: every
attempt streams into a :class:`~imgur_dl.partfile.PartFile` and only a whole
file is renamed into place (:mod:`imgur_dl.transfer`). An animation is
tried as MP4 first and as GIF when the MP4 is refused or missing.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from imgur_dl import folders, sniff
from imgur_dl.cancel import Cancel
from imgur_dl.dates import upload_time
from imgur_dl.folders import FolderError, Folders
from imgur_dl.hosts import OffsiteError, host_of, media_url
from imgur_dl.labels import Labeller
from imgur_dl.models import Job, Result, Source, Status
from imgur_dl.naming import kept_apart
from imgur_dl.outcomes import Failed, Present, Saved
from imgur_dl.partfile import PartFile, drop_left
from imgur_dl.progress import Progress
from imgur_dl.renamed import Renamed
from imgur_dl.retry import Again, GaveUp, RetryPolicy, retry
from imgur_dl.text import counted
from imgur_dl.transfer import Transfer

REGION_BLOCKED = "Imgur blocks this region"


@dataclass
class Downloader:
    transfer: Transfer
    folders: Folders
    policy: RetryPolicy
    cancel: Cancel
    progress: Progress
    label: str = "Imgur"  # who refuses, in messages
    skip_present: bool = True  # a regular file of the right size is not fetched again (--no-skip: False)
    dates: bool = True  # a saved file carries its upload time (--no-mtime: False)
    labeller: Labeller | None = None  # ... and where it came from and what it is (--xattrs)
    renamed: Renamed | None = None  # where an earlier run saved a file whose place in its album has changed since
    region_blocked: threading.Event = field(default_factory=threading.Event)
    disk_full: threading.Event = field(default_factory=threading.Event)  # said once; nothing more is fetched
    _resting: int = field(default=0, init=False)  # files between two attempts, waiting
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def places(self) -> int:
        """Requests that may be in flight now (the throttle's limit)."""
        return self.transfer.throttle.limit

    @property
    def resting(self) -> int:
        """Files waiting between two attempts (a backoff, a ``Retry-After``): they hold no place."""
        return self._resting

    def _rest(self, seconds: float) -> None:
        """The retry loop's wait, counted while it lasts."""
        with self._lock:
            self._resting += 1
        try:
            self.cancel.sleep(seconds)
        finally:
            with self._lock:
                self._resting -= 1

    def fetch(self, job: Job) -> Result:
        """Save ``job``'s media (or find it already saved). Raises nothing but ``Cancelled`` and bugs."""
        if self.region_blocked.is_set():
            return Result(job, Status.FAILED, job.path, error=REGION_BLOCKED, region_blocked=True, gone=True)
        if self.disk_full.is_set():
            return Result(job, Status.FAILED, job.path, error="not fetched: the disk is full", told=True)
        mtime = upload_time(job) if self.dates else None

        def fetched(dir_fd: int) -> Result:
            found = self._found(job, dir_fd, mtime)
            return found if found is not None else self._renditions(job, dir_fd, mtime)

        try:  # (once more where its folder was removed meanwhile: another process tidied it away, a clean-up)
            return self.folders.within(job.path.parent, fetched, lambda result: result.status is Status.FAILED)
        except FolderError as exc:  # (a folder of the name template's that cannot be made, or is not one)
            if exc.full:
                self.disk_full.set()
            return Result(job, Status.FAILED, job.path, error=str(exc))

    def _found(self, job: Job, dir_fd: int, mtime: float | None) -> Result | None:
        """What already stands at the job's names: a whole copy (skipped), or a folder in the way (failed; at a name
        another post's file may have, the file is kept apart by its id once saved, as from another post's file)."""
        for n, (source, path) in enumerate(zip(job.media.sources, job.paths, strict=True)):
            entry = folders.entry(dir_fd, path.name)
            if entry is None:
                continue
            if n == 0 and stat.S_ISDIR(entry.st_mode) and not job.shared:  # (a shared name: kept apart when saved)
                return Result(job, Status.FAILED, job.path, error=f"a folder stands where the file goes "
                                                                   f"({job.path}); nothing fetched")
            size = _present(dir_fd, path.name, source, entry) if self.skip_present else None
            if size is not None:
                if self.folders.part_found(path):  # (left by a process killed as it wrote it, as another finished it)
                    drop_left(dir_fd, path.name)
                if mtime is not None:
                    folders.stamp(dir_fd, path.name, mtime, entry)
                return Result(job, Status.SKIPPED, path, bytes=size)
        return self._moved(job, dir_fd, mtime) if self.skip_present else None

    def _moved(self, job: Job, dir_fd: int, mtime: float | None) -> Result | None:
        """A whole copy an earlier run saved under the name the file's earlier place in its album gave it, moved to
        its name now (see :mod:`imgur_dl.renamed`); None where there is none (or it cannot be moved)."""
        renamed = self.renamed
        if renamed is None:
            return None
        for source, path in zip(job.media.sources, job.paths, strict=True):
            earlier = renamed.file(job, source, path.name, dir_fd)
            found = None if earlier is None else folders.entry(dir_fd, earlier)
            if earlier is None or found is None or _present(dir_fd, earlier, source, found) is None:
                continue
            try:
                moved = folders.publish_new(dir_fd, earlier, path.name)
            except OSError:  # (moved away meanwhile, by another process; or one that cannot be moved)
                moved = False
            if not moved:  # (as another process at work on the album left it meanwhile: whole, or fetched)
                size = _present(dir_fd, path.name, source, at) if (at := folders.entry(dir_fd, path.name)) else None
                return None if size is None else Result(job, Status.SKIPPED, path, bytes=size)
            renamed.moved(job, earlier)
            if mtime is not None:
                folders.stamp(dir_fd, path.name, mtime, found)
            return Result(job, Status.SKIPPED, path, bytes=found.st_size, renamed_from=path.with_name(earlier))
        return None

    def _renditions(self, job: Job, dir_fd: int, mtime: float | None) -> Result:
        """Each rendition in turn until one is saved (an animation's MP4, then its GIF)."""
        failed = Failed("no rendition could be fetched")
        for n, (source, path) in enumerate(zip(job.media.sources, job.paths, strict=True)):
            last = n == len(job.paths) - 1
            outcome = self.fetch_source(source, self._part(job, path, dir_fd, mtime, served=self.dates), job,
                                        can_fall_back=not last)
            if isinstance(outcome, Saved):
                return Result(job, Status.SAVED, saved_at(path, outcome), bytes=outcome.size, url=outcome.url,
                              sha256=outcome.sha256)
            if isinstance(outcome, Present):
                return Result(job, Status.SKIPPED, path, bytes=outcome.size)
            failed = outcome
            if outcome.full:
                break
            if outcome.region:
                self.region_blocked.set()
                break
            if last or not outcome.replaceable:
                break
            fallback = job.media.sources[n + 1].ext.upper()
            self.progress.note(f"imgur-dl: {job.media.id}: {source.ext.upper()} not served ({outcome.reason}); "
                               f"trying {fallback}")
        return Result(job, Status.FAILED, job.path, error=failed.reason, gone=failed.gone,
                      region_blocked=failed.region)

    def fetch_into(self, job: Job, source: Source, path: Path, mtime: float | None = None) -> Saved | Failed | Present:
        """Fetch ``source`` to ``path`` for ``job`` (no skipping, no other rendition), dated ``mtime``."""
        if self.disk_full.is_set():
            return Failed("not fetched: the disk is full", full=True, local=True)

        def fetched(dir_fd: int) -> Saved | Failed | Present:
            part = self._part(job, path, dir_fd, mtime if self.dates else None)
            return self.fetch_source(source, part, job, can_fall_back=False)

        try:  # (once more where its folder was removed meanwhile)
            return self.folders.within(path.parent, fetched, lambda outcome: isinstance(outcome, Failed))
        except FolderError as exc:
            if exc.full:
                self.disk_full.set()
            return Failed(str(exc), full=exc.full, local=True)

    def _part(self, job: Job, path: Path, dir_fd: int, mtime: float | None, *, served: bool = False) -> PartFile:
        """Where ``job``'s file at ``path`` is written until it is whole: kept apart by its id, should another
        process save a file of its own at the name meanwhile, where another post's file can have it (a name not
        made from its id, or where case does not count); labelled once whole (--xattrs)."""
        return PartFile(dir_fd, path.name, path, mtime, served=served,
                        apart=kept_apart(path, job.media.id, self.folders.name_max).name if job.shared else None,
                        label=None if self.labeller is None else self.labeller.of_job(job))

    def fetch_source(self, source: Source, part: PartFile, job: Job, *,
                     can_fall_back: bool) -> Saved | Failed | Present:
        """One rendition, through the retry loop."""
        try:
            url = media_url(source.url, hosts=self.transfer.hosts)
        except OffsiteError as exc:
            return Failed(str(exc), replaceable=True)
        held = part.held()
        if held:
            self.progress.advance(held)  # a partial file from an earlier run counts

        def waiting(again: Again[Saved | Failed | Present], wait: float) -> None:
            if again.note:
                self.progress.note(f"imgur-dl: {host_of(url)}: {again.reason}; waiting {wait:.1f}s; {again.note}")

        outcome = retry(lambda: self.transfer.attempt(url, source, part, job.media, first_refusal_ends=can_fall_back),
                        policy=self.policy, sleep=self._rest, waiting=waiting)
        if isinstance(outcome, GaveUp):
            if outcome.refused:
                times = counted(outcome.attempts, "time")
                return Failed(f"{self.label} kept refusing ({outcome.last.reason}, {times}); try again later")
            return Failed(f"{outcome.last.reason} (after {counted(outcome.attempts, 'attempt')})")
        if isinstance(outcome, Failed) and outcome.full:
            self.disk_full.set()  # (said once: nothing more is fetched, from Imgur or the Wayback Machine)
        return outcome


def _present(dir_fd: int, name: str, source: Source, entry: os.stat_result) -> int | None:
    """The size of a whole copy of ``source`` already at ``name``, or None.

    Of the size the API gave; when it gave none, not empty and starting as
    a file of its kind does (zero bytes, or a web page saved by another
    tool, is never a whole image).
    """
    size = entry.st_size if stat.S_ISREG(entry.st_mode) else 0
    if not size:
        return None
    if source.size is not None:
        return size if size == source.size else None
    head = folders.read_head(dir_fd, name, sniff.HEAD)
    return size if head and sniff.check(head, "", source.ext, None) is None else None


def saved_at(path: Path, saved: Saved) -> Path:
    """Where ``saved`` went: ``path``, or the name it was kept apart under (another process had ``path``)."""
    return path if saved.name is None else path.with_name(saved.name)
