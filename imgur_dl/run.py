"""A run: turn targets into albums, download every file in one worker pool, and tell what happened.

Workers return :class:`Result` objects; this module alone collects them (in
the main thread) and yields every event in turn: a file's result, a target
that gave nothing, a listed link. Each is booked as it comes
(:mod:`imgur_dl.booking`: counted, shown, its failure said), and the run
picks the exit status, so one failure never hides another. Its parts are
built by :mod:`imgur_dl.build`; what each album gives out (jobs, files the
archive has, links) is :mod:`imgur_dl.handout`'s.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeVar

from imgur_dl import report, threads, wayback
from imgur_dl.ahead import Poll
from imgur_dl.archive import Archive
from imgur_dl.booking import Booking
from imgur_dl.books import Books
from imgur_dl.cancel import Cancel
from imgur_dl.downloader import Downloader
from imgur_dl.errors import Cancelled, Terminated, bug
from imgur_dl.handout import Handout
from imgur_dl.heap import Trim
from imgur_dl.models import Album, Archived, Elsewhere, Event, Failure, Job, Origin, Result, Status, Target
from imgur_dl.naming import Namer
from imgur_dl.planner import Planner
from imgur_dl.progress import Meter, Progress
from imgur_dl.readthrough import ReadThrough
from imgur_dl.renamed import Renamed
from imgur_dl.report import Tally
from imgur_dl.signals import Deferred
from imgur_dl.status import ExitStatus
from imgur_dl.wayback import Wayback
from imgur_dl.workers import Workers

T = TypeVar("T")

# After Ctrl-C, how long finished work may take to report before we leave.
GRACE = 2.0
# While files are under way and the next album is not known yet: how often finished files are collected.
WAKE = 0.02
# The longest the main thread waits at once. A signal (Ctrl-C, SIGTERM, SIGHUP) the system hands to another thread
# has its handler run in the main thread, and only once that thread wakes: an endless wait would hold it.
HEARTBEAT = 0.25


@dataclass
class Parts:
    """What a run works with; :func:`imgur_dl.build.build_run` makes the usual ones."""

    planner: Planner
    downloader: Downloader
    namer: Namer
    books: Books
    progress: Progress
    cancel: Cancel
    meter: Meter
    archive: Archive | None = None
    wayback: Wayback | None = None
    # Session, archive: (interrupted, whether a signal came meanwhile: waits end sooner then).
    close: Callable[[bool, Callable[[], bool]], None] = lambda _interrupted, _hurry: None
    # What only the workers use (the folders' descriptors): given back once every one of them has ended.
    release: Callable[[], None] = lambda: None
    trim: Trim = field(default_factory=lambda: Trim(None, time.monotonic))  # the C heap's free pages given back
    renamed: Renamed | None = None  # where an earlier run saved an album changed on Imgur since
    through: ReadThrough | None = None  # the listings read to their end, recorded as the run ends (with an archive)


class Run:
    def __init__(self, parts: Parts, *, workers: int, get_urls: bool = False, rows: bool = False,
                 signals: Deferred | None = None, debug: bool = False) -> None:
        self.parts = parts
        self.workers = workers
        self.pending = _Pending(debug=debug)
        self.tally = Tally()
        self.handout = Handout(parts.namer, parts.books, parts.progress, self.tally, parts.archive, get_urls=get_urls,
                               rows=rows, renamed=parts.renamed)
        self.booking = Booking(parts.books, self.tally, parts.progress, parts.trim, wayback=parts.wayback is not None,
                               through=parts.through)
        self.started = time.monotonic()
        # Ctrl-C, SIGTERM, SIGHUP acted on where the run looks, not where they land
        self.signals = signals if signals is not None else Deferred()

    def events(self, targets: Iterable[Target]) -> Generator[Event, None, None]:
        """Download (or list) everything ``targets`` name, yielding each event as it happens."""
        pool = Workers(self.workers, "imgur-dl")
        # Recoveries from the Wayback Machine run apart: its slowness never holds up Imgur's files.
        recoveries = Workers(wayback.WORKERS, "imgur-dl-wayback")
        # Files queued at the most: a few a worker; one with --share-work (what waits here, others cannot take).
        most = self.workers * (1 if self.parts.planner.sharing is not None else 4)
        self.signals.hold()
        try:
            ahead = self.parts.planner.albums(targets)
            # Finished files are booked while the next album is awaited (a lookup can take long).
            while (outcome := ahead.poll(WAKE if self.pending.count else HEARTBEAT)) is not Poll.END:
                self.signals.check()
                if outcome is Poll.PENDING:
                    for future in self.pending.done():
                        yield from self._collect(future, recoveries)
                    continue
                if isinstance(outcome, Failure):
                    yield self.booking.lookup_failed(outcome)
                    continue
                if isinstance(outcome, Elsewhere):
                    self.tally.elsewhere += 1
                    self.tally.held_back += outcome.reason is not None
                    yield outcome
                    continue
                yield from self._feed(outcome, pool, recoveries, most)
                for future in self.pending.done():  # report what is done before resolving the next album
                    yield from self._collect(future, recoveries)
            yield from self._finish(recoveries)
        except (KeyboardInterrupt, Cancelled) as exc:  # (a second Ctrl-C, during the grace, ends it)
            self._ended_by(exc)
            self.abandon()
            for finished in self.pending.until(time.monotonic() + GRACE):
                yield from self._collect(finished, recoveries)
        except BaseException:  # the reader stopped early (a break, an exception of its own), or a bug
            self.abandon()
            raise
        finally:
            self._put_away(pool, recoveries)
        try:
            self.signals.check()  # one that came after the last look, acted on once all is put away ...
        except (KeyboardInterrupt, Cancelled) as exc:
            self._ended_by(exc)  # ... as an end like any other: the run is interrupted, and says so
            self.tally.interrupted = True

    def _put_away(self, pool: Workers, recoveries: Workers) -> None:
        """Lookups, workers, the display and the run's parts closed; then the signal handlers as they were. (A
        first signal meanwhile is only noted: finished files are recorded and claims given back all the same. A
        second is acted on where it lands.)"""
        waiting = not self.tally.interrupted
        try:
            self.parts.planner.close(wait=waiting)
            for executor in (pool, recoveries):
                executor.shutdown(wait=waiting, cancel_futures=True)
            if waiting:
                self.parts.release()
            else:  # (cancelled, a worker may still hold a folder a moment: not waited on, and given back after it)
                _when_ended((pool, recoveries), self.parts.release)
            self.parts.progress.close(interrupted=self.tally.interrupted)
            self.parts.close(self.tally.interrupted, lambda: self.signals.noted)
        finally:
            self.signals.release()

    def _ended_by(self, exc: KeyboardInterrupt | Cancelled) -> None:
        """The signal that ended the run, for its exit status (Ctrl-C's is the usual one)."""
        self.tally.ended_by = exc.exit_status if isinstance(exc, Terminated) else None

    def abandon(self) -> None:
        """Stop at once (Ctrl-C; the output's reader went away): every worker sees the cancel."""
        self.tally.interrupted = True
        self.parts.cancel.trip()

    @property
    def exit_status(self) -> ExitStatus:
        if self.parts.planner.api.client.login.refused:
            self.tally.note(ExitStatus.TOKEN_REFUSED)
        if self.parts.archive is not None and self.parts.archive.lost:
            self.tally.note(ExitStatus.FAILED)  # (said on stderr as the archive was closed)
        return self.tally.exit_status

    def summary(self) -> str:
        self.tally.in_archive = self.parts.planner.in_archive
        return report.summary(self.tally, self.parts.meter.moved, time.monotonic() - self.started)

    # -- steps --------------------------------------------------------------

    def _feed(self, album: Album, pool: Workers, recoveries: Workers,
              most: int) -> Iterator[Event]:
        """Hand an album's files to the workers, never more than ``most`` in the queue at once."""
        for item in self.handout.album(album):
            self.signals.check()
            if isinstance(item, Job):
                while self.pending.full(most, self.parts.downloader):
                    yield from self._collect_next(recoveries)
                self.pending.submit(pool, self.parts.downloader.fetch, item, item)
            elif isinstance(item, Result):
                yield item if self.handout.get_urls else self.booking.result(item)
            elif isinstance(item, Archived):
                yield self.booking.archived(item)
            else:
                yield item

    def _finish(self, recoveries: Workers) -> Iterator[Event]:
        """The files still under way collected; then, nothing left out, the listings read to their end recorded."""
        while self.pending.count:
            yield from self._collect_next(recoveries)
        self.signals.check()  # (one that came while the last result was given out)
        if self.parts.through is not None:
            self.parts.through.record()

    def _collect_next(self, recoveries: Workers) -> Iterator[Event]:
        """The next file to finish, collected; nothing if none finishes within :data:`HEARTBEAT`."""
        if (future := self.pending.next(HEARTBEAT)) is not None:
            yield from self._collect(future, recoveries)
        self.signals.check()

    def _collect(self, future: Future[Result], recoveries: Workers) -> Iterator[Result]:
        if future.cancelled() or isinstance(future.exception(), (Cancelled, KeyboardInterrupt)):
            return
        result = future.result()  # workers return failures as results (:func:`_guarded`)
        wayback = self.parts.wayback
        if result.gone and wayback is not None and result.source is Origin.IMGUR:
            self.booking.missed(result)  # (gone from Imgur, whatever the Wayback Machine brings back)
            if result.region_blocked:
                self.booking.region(result)
            self.pending.submit(recoveries, wayback.recover, result, result.job)  # counted when it comes back
            return
        yield self.booking.result(result)


def _when_ended(executors: Iterable[Workers], then: Callable[[], None]) -> None:
    """``then`` once every worker of ``executors`` has ended, from a thread of its own (nothing waits on it: a
    process that ends meanwhile has nothing left to give back; a program that goes on gets its descriptors back)."""
    def wait() -> None:
        for executor in executors:
            executor.shutdown(wait=True)
        then()

    with contextlib.suppress(threads.NoThread):  # (none may start, a pids limit: a process ending lets go of all)
        threads.start(threading.Thread(target=wait, name="imgur-dl-release", daemon=True))


class _Pending:
    """Files handed to the workers and not taken back yet; each comes back as it finishes.

    Finished futures arrive in a queue, so collecting n results costs O(n)
    however many are still pending; and no more than a few per worker are
    queued at once, so memory does not grow with the album.
    """

    def __init__(self, *, debug: bool = False) -> None:
        self._finished: queue.SimpleQueue[Future[Result]] = queue.SimpleQueue()
        self.count = 0  # handed out, not taken back
        self.debug = debug  # a bug in a worker ends the run, its traceback shown, instead of failing one file

    def submit(self, pool: Workers, work: Callable[[T], Result], item: T, job: Job) -> None:
        """Run ``work(item)`` in ``pool``; it comes back through :meth:`done` or :meth:`next`."""
        future = pool.submit(_guarded, work, item, job, debug=self.debug)
        future.add_done_callback(self._finished.put)
        self.count += 1

    def full(self, most: int, downloader: Downloader) -> bool:
        """Whether no more may be handed out now: ``most`` at the most, and no more than the throttle's places
        allow, twice over (a thread is started for each, and a near CDN needs a few in flight, not
        ``workers``), not counting those waiting out a refusal: a burst of them would hold the queue while
        the places stood idle."""
        return self.count >= most or self.count - downloader.resting >= 2 * downloader.places + 4

    def done(self) -> Iterator[Future[Result]]:
        """Those that have finished, without waiting (and those that finish meanwhile)."""
        while not self._finished.empty():
            self.count -= 1
            yield self._finished.get()

    def next(self, timeout: float) -> Future[Result] | None:
        """The next to finish within ``timeout`` seconds; None when none does."""
        try:
            future = self._finished.get(timeout=timeout)
        except queue.Empty:
            return None
        self.count -= 1
        return future

    def until(self, deadline: float) -> Iterator[Future[Result]]:
        """Each as it finishes, until none is left or ``deadline`` (``time.monotonic()``) passes."""
        while self.count and (left := deadline - time.monotonic()) > 0:
            if (finished := self.next(left)) is None:
                return
            yield finished


def _guarded(work: Callable[[T], Result], item: T, job: Job, *, debug: bool) -> Result:
    """``work(item)``; a bug in it fails this one file, not the run (an interruption still ends the run); with
    ``debug``, it is raised where the result is taken, and ends the run as a bug anywhere else does."""
    try:
        return work(item)
    except Exception as exc:
        if debug:
            raise
        return Result(job, Status.FAILED, job.path, error=bug(exc))
