"""Download one file, safely: skip what is already there (:mod:`imgur_dl.standing`), try each rendition, retry as
the policy says.

A file under its final name is always whole and is what was asked for: every
attempt streams into a :class:`~imgur_dl.partfile.PartFile` and only a whole
file is renamed into place (:mod:`imgur_dl.transfer`). An animation is
tried as MP4 first and as GIF when the MP4 is refused or missing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from imgur_dl.cancel import Cancel
from imgur_dl.dates import upload_time
from imgur_dl.folders import FolderError, Folders
from imgur_dl.hosts import OffsiteError, followed, host_of, media_url
from imgur_dl.journal import Journals
from imgur_dl.labels import Labeller
from imgur_dl.models import Job, Result, Source, Status
from imgur_dl.naming import part_name
from imgur_dl.outcomes import Failed, Present, Saved, Unsure
from imgur_dl.partfile import PartFile
from imgur_dl.progress import Progress
from imgur_dl.retry import Again, GaveUp, RetryPolicy, retry
from imgur_dl.standing import Standing
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
    standing: Standing  # what already stands at a file's names
    label: str = "Imgur"  # who refuses, in messages
    dates: bool = True  # a saved file carries its upload time (--no-mtime: False)
    labeller: Labeller | None = None  # ... and where it came from and what it is (--xattrs)
    journals: Journals | None = None  # where each file saved is noted as it takes its name (or None)
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
            found = self.standing.found(job, dir_fd, mtime)
            return found if isinstance(found, Result) else self._renditions(job, dir_fd, mtime, found)

        try:  # (once more where its folder was removed meanwhile: another process tidied it away, a clean-up)
            return self.folders.within(job.path.parent, fetched, lambda result: result.status is Status.FAILED)
        except FolderError as exc:  # (a folder of the name template's that cannot be made, or is not one)
            if exc.full:
                self.disk_full.set()
            return Result(job, Status.FAILED, job.path, error=str(exc))

    def _renditions(self, job: Job, dir_fd: int, mtime: float | None, unsure: Unsure | None = None) -> Result:
        """Each rendition in turn until one is saved (an animation's MP4, then its GIF); one whose name has a copy
        that may be this one's (``unsure``) first, this one's when the CDN answers its bytes (as a whole GIF at a
        name made from the id is skipped: not fetched again as its MP4 beside it). Where that is not the rendition
        fetched first (an animation's GIF), the CDN is only asked: where the copy is another's, the renditions go on
        in their order, the MP4 first, not that GIF saved in its place."""
        failed = Failed("no rendition could be fetched")
        order = _order(len(job.paths), unsure)
        for k, (n, known) in enumerate(order):
            source, path, last = job.media.sources[n], job.paths[n], k == len(order) - 1
            asked = known is not None and n != 0  # (only asked whether the copy is this one's)
            outcome = self.fetch_source(source, self._part(job, path, dir_fd, mtime, served=self.dates), job,
                                        can_fall_back=not last, known=known, ask_only=asked)
            if isinstance(outcome, Saved | Present):  # (no run would finish a part file left: each finds this whole)
                self.standing.tidy(job, dir_fd, path)
            if isinstance(outcome, Saved):
                return Result(job, Status.SAVED, saved_at(path, outcome), bytes=outcome.size, url=outcome.url,
                              sha256=outcome.sha256)
            if isinstance(outcome, Present):  # (said as this rendition: the name it was found at may be another's)
                return Result(job, Status.SKIPPED, saved_at(path, outcome), bytes=outcome.size,
                              url=followed(source.url))
            failed = outcome
            if outcome.full:
                break
            if outcome.region:
                self.region_blocked.set()
                break
            if asked:
                continue
            if last or not outcome.replaceable:
                break
            fallback = job.media.sources[order[k + 1][0]].ext.upper()
            self.progress.note(f"imgur-dl: {job.media.id}: {source.ext.upper()} not served ({outcome.reason}); "
                               f"trying {fallback}")
        if unsure is not None and unsure.stands and failed.gone and not failed.region and not self.standing.doubt_sizes:
            # (gone from Imgur, which has nothing to tell the whole copy at its name by: that is taken for it, as by
            # its size alone, or how it starts; not failed, nor fetched from elsewhere again, on every run)
            at = job.paths[unsure.source]
            return Result(job, Status.SKIPPED, at if unsure.name is None else at.with_name(unsure.name),
                          bytes=unsure.size, url=followed(job.media.sources[unsure.source].url))
        return Result(job, Status.FAILED, job.path, error=failed.reason, gone=failed.gone,
                      region_blocked=failed.region)

    def fetch_into(self, job: Job, source: Source, path: Path, mtime: float | None = None, *,
                   capture: str | None = None) -> Saved | Failed | Present:
        """Fetch ``source`` to ``path`` for ``job`` (no skipping, no other rendition), dated ``mtime`` (from the
        Wayback Machine's ``capture``, if given)."""
        if self.disk_full.is_set():
            return Failed("not fetched: the disk is full", full=True, local=True)

        def fetched(dir_fd: int) -> Saved | Failed | Present:
            part = self._part(job, path, dir_fd, mtime if self.dates else None, capture=capture)
            return self.fetch_source(source, part, job, can_fall_back=False)

        try:  # (once more where its folder was removed meanwhile)
            return self.folders.within(path.parent, fetched, lambda outcome: isinstance(outcome, Failed))
        except FolderError as exc:
            if exc.full:
                self.disk_full.set()
            return Failed(str(exc), full=exc.full, local=True)

    def _part(self, job: Job, path: Path, dir_fd: int, mtime: float | None, *, served: bool = False,
              capture: str | None = None) -> PartFile:
        """Where ``job``'s file at ``path`` is written until it is whole (its part file: :func:`part_name`): kept
        apart by its id, should another process save a file of its own at the name meanwhile, where another post's
        file can have it (a name not made from its id, or where case does not count); labelled once whole
        (--xattrs); noted as it takes its name (--write-metadata, --download-archive)."""
        most = self.folders.name_max
        return PartFile(dir_fd, path.name, path, mtime, served=served, part=part_name(job, path, most),
                        apart=self.standing.apart(job, path).name if job.shared else None, folded=job.folded,
                        whole_is_done=self.standing.skip_present,
                        label=None if self.labeller is None else self.labeller.of_job(job),
                        noted=None if self.journals is None else self.journals.noter(job, capture))

    def fetch_source(self, source: Source, part: PartFile, job: Job, *, can_fall_back: bool,
                     known: Unsure | None = None, ask_only: bool = False) -> Saved | Failed | Present:
        """One rendition, through the retry loop (Present where the CDN answers the bytes ``known`` are; with
        ``ask_only``, nothing else is read or saved)."""
        try:
            url = media_url(source.url, hosts=self.transfer.hosts)
        except OffsiteError as exc:
            return Failed(str(exc), replaceable=True)
        if held := part.held():
            self.progress.advance(held)  # a partial file from an earlier run counts

        def waiting(again: Again[Saved | Failed | Present], wait: float) -> None:
            if again.note:
                self.progress.note(f"imgur-dl: {host_of(url)}: {again.reason}; waiting {wait:.1f}s; {again.note}")

        outcome = retry(lambda: self.transfer.attempt(url, source, part, job.media, first_refusal_ends=can_fall_back,
                                                      known=known, ask_only=ask_only),
                        policy=self.policy, sleep=self._rest, waiting=waiting)
        if isinstance(outcome, GaveUp):
            if outcome.refused:
                times = counted(outcome.attempts, "time")
                return Failed(f"{self.label} kept refusing ({outcome.last.reason}, {times}); try again later")
            return Failed(f"{outcome.last.reason} (after {counted(outcome.attempts, 'attempt')})")
        if isinstance(outcome, Failed) and outcome.full:
            self.disk_full.set()  # (said once: nothing more is fetched, from Imgur or the Wayback Machine)
        return outcome


def _order(count: int, unsure: Unsure | None) -> list[tuple[int, Unsure | None]]:
    """The renditions in the order they are tried, each with the copy that may be it: the one whose name has
    ``unsure`` first (where it is not the first anyway, tried again in its place once the MP4 before it fails)."""
    order: list[tuple[int, Unsure | None]] = [(n, None) for n in range(count)]
    if unsure is not None:
        order.insert(0, (unsure.source, unsure))
        if unsure.source == 0:
            del order[1]
    return order


def saved_at(path: Path, saved: Saved | Present) -> Path:
    """Where ``saved`` is: ``path``, or the name it was kept apart under (another post's file had ``path``)."""
    return path if saved.name is None else path.with_name(saved.name)
