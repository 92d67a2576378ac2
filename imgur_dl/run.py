"""A run: resolve each URL, download every file in one worker pool, report.

Workers return :class:`Result` objects; this module alone collects them (in
the main thread), advances the file count, prints failures and the summary,
writes JSON lines, metadata and the archive, and picks the exit status, so
one failure never hides another.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeVar

from imgur_dl import report, wayback
from imgur_dl.api import ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.download import Downloader
from imgur_dl.errors import Cancelled, DownloadError, ImgurDLError
from imgur_dl.folders import Folders
from imgur_dl.hosts import ARCHIVE_HOSTS
from imgur_dl.models import Album, Job, Result, Status, Target
from imgur_dl.naming import Namer, disambiguate
from imgur_dl.options import Options
from imgur_dl.output import METADATA_NAME, Stdout, metadata, write_json
from imgur_dl.planner import Planner
from imgur_dl.progress import Bar, Progress
from imgur_dl.report import Tally
from imgur_dl.session import Cancel, RetryPolicy, Session, make_session
from imgur_dl.status import ExitStatus
from imgur_dl.text import writer
from imgur_dl.throttle import RateLimit, Throttle
from imgur_dl.wayback import Wayback

T = TypeVar("T")

# Albums looked up at once: enough to hide the API's latency behind downloads,
# few enough to stay clear of its rate limits.
RESOLVERS = 4
# After Ctrl-C, how long finished work may take to report before we leave.
GRACE = 2.0


@dataclass
class _Album:
    """An album whose files are still coming in."""

    album: Album
    folder: Path
    waiting: int
    opened: bool  # its folder is open (some file was to be fetched)
    failed: bool = False
    results: list[Result] = field(default_factory=list)  # kept only for --write-metadata


class Run:
    """One run over many targets. Its collaborators are passed in; :meth:`create` builds the usual ones."""

    def __init__(self, options: Options, *, stdout: Stdout, progress: Progress,
                 downloader: Downloader, namer: Namer, folders: Folders, archive: Archive | None,
                 cancel: Cancel, stderr: TextIO, planner: Planner, session: Session | None = None,
                 wayback: Wayback | None = None) -> None:
        self.options = options
        self.planner = planner
        self.session = session
        self.wayback = wayback
        # Finished futures arrive here, so collecting n results costs O(n)
        # however many are still pending; and no more than a few per worker
        # are queued at once, so memory does not grow with the album.
        self.finished: queue.SimpleQueue[Future[Result]] = queue.SimpleQueue()
        self.outstanding = 0
        self.stdout = stdout
        self.progress = progress
        self.downloader = downloader
        self.namer = namer
        self.folders = folders
        self.archive = archive
        self.cancel = cancel
        self.stderr = writer(stderr)
        self.tally = Tally()
        self.albums: dict[int, _Album] = {}
        self.seen: set[str] = set()  # album ids already started: /a/X and /gallery/X are one album
        self.taken: set[Path] = set()  # every path this run writes: a template may give two files one name
        self.started = time.monotonic()
        self.region_said = False

    @classmethod
    def create(cls, options: Options, stdout: TextIO, stderr: TextIO,
               environ: Mapping[str, str] | None = None) -> Run:
        """A run with a fresh session, API client, downloader and archive (``environ``: proxies, CA bundle)."""
        cancel = Cancel()
        progress = Bar(stderr) if options.show_bar else Progress(stderr, quiet=options.quiet)
        session = make_session(options.workers, options.timeout, options.user_agent, proxy=options.proxy,
                               verbose=progress.note if options.verbose else None, environ=environ)
        policy = RetryPolicy(retries=options.retries)
        api = ImgurApi(session, client_id=options.client_id, policy=policy, cancel=cancel, say=progress.note,
                       prefer_gif=options.prefer_gif)
        folders = Folders(options.output)
        rate = RateLimit(options.limit_rate, cancel) if options.limit_rate else None
        downloader = Downloader(session, Throttle(options.workers, cancel), cancel, policy, progress, folders,
                                max_size=options.max_size, skip_present=not options.no_skip, rate=rate)
        archive = Archive(options.archive) if options.archive else None
        recoverer = None
        if options.wayback:
            from_archive = Downloader(session, Throttle(wayback.WORKERS, cancel), cancel, policy, progress, folders,
                                      max_size=options.max_size, hosts=ARCHIVE_HOSTS, hop=wayback.capture_redirect,
                                      label="the Wayback Machine", skip_present=not options.no_skip, rate=rate)
            recoverer = Wayback(session, from_archive, policy, cancel, progress.note)
        # Albums are looked up a few at a time, while earlier ones download.
        resolver = ThreadPoolExecutor(max_workers=RESOLVERS, thread_name_prefix="imgur-dl-api")
        planner = Planner(api, resolver, choice=options.choice, archive=archive, wayback=recoverer,
                          prefer_gif=options.prefer_gif, debug=options.debug, say=progress.note)
        return cls(options, stdout=Stdout(stdout, json_lines=options.json_lines), progress=progress,
                   downloader=downloader, namer=Namer(options.output, options.dir_template, options.name_template),
                   folders=folders, archive=archive, cancel=cancel, stderr=stderr, planner=planner,
                   session=session, wayback=recoverer)

    def error(self, message: str) -> None:
        """A failure line: shown even with --quiet, above the bar if there is one."""
        self.progress.error(message)

    def execute(self, targets: Iterable[Target]) -> ExitStatus:
        """Download (or list) everything ``targets`` name; the exit status says how it went."""
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="imgur-dl")
        # Recoveries from the Wayback Machine run apart: its slowness never holds up Imgur's files.
        self.recoveries = ThreadPoolExecutor(max_workers=wayback.WORKERS, thread_name_prefix="imgur-dl-wayback")
        most = self.options.workers * 4
        targets = list(targets)
        try:
            for album in self._albums(targets):
                for job in self._start(album):
                    while self.outstanding >= most:
                        self._collect(self.finished.get())
                    self._submit(pool, self.downloader.fetch, job)
                while not self.finished.empty():  # report what is done before resolving the next album
                    self._collect(self.finished.get())
            while self.outstanding:
                self._collect(self.finished.get())
        except (KeyboardInterrupt, Cancelled):
            self.tally.interrupted = True
            self.cancel.trip()
            deadline = time.monotonic() + GRACE
            while self.outstanding and (left := deadline - time.monotonic()) > 0:
                try:
                    self._collect(self.finished.get(timeout=left))
                except queue.Empty:
                    break
        finally:
            self._close(self.planner.resolver, pool, self.recoveries)
        if not self.options.get_urls:
            self._summarize()
        return self.tally.exit_status

    def _submit(self, pool: ThreadPoolExecutor, work: Callable[[T], Result], item: T) -> None:
        """Run ``work(item)`` in ``pool``; its result comes back through :attr:`finished`."""
        future = pool.submit(work, item)
        future.add_done_callback(self.finished.put)
        self.outstanding += 1

    def _close(self, *pools: ThreadPoolExecutor) -> None:
        for pool in pools:
            pool.shutdown(wait=not self.tally.interrupted, cancel_futures=True)
        self.progress.close()
        if self.session is not None:
            self.session.close()
        if not self.tally.interrupted:
            self.folders.close()  # (after a Ctrl-C, workers may still hold them: the process ends)
        if self.archive is not None:
            self.archive.close()

    # -- steps --------------------------------------------------------------

    def _albums(self, targets: list[Target]) -> Iterator[Album]:
        """The targets' albums, in order, looked up a few ahead; failures reported here."""
        for outcome in self.planner.albums(targets):
            if isinstance(outcome, Album):
                yield outcome
                continue
            if outcome.message:
                self.error(outcome.message)
            self.tally.album_failed(outcome.status)
            self.stdout.lookup_failed(outcome)

    def _start(self, album: Album) -> list[Job]:
        """An album's files still to fetch (none with --get-urls: they are listed instead)."""
        if album.id in self.seen:
            return []  # named twice (/a/X and /gallery/X, or twice in a list): fetched once
        self.seen.add(album.id)
        try:
            folder = self.namer.folder(album)
            jobs = [Job(album, m, tuple(disambiguate(self.namer.path(album, m, s.ext, folder), m.id, self.taken)
                                        for s in m.sources)) for m in album.media]
        except ImgurDLError as exc:
            self.error(f"{album.id}: {exc}")
            self.tally.album_failed(ExitStatus.FAILED)
            return []
        self.tally.albums += 1
        if self.options.get_urls:
            for job in jobs:
                self.stdout.listing(job)
            return []
        known = [self.archive is not None and self.archive.has(j.media.id) for j in jobs]
        archived = [j for j, k in zip(jobs, known, strict=True) if k]
        fetch = [j for j, k in zip(jobs, known, strict=True) if not k]
        if fetch:
            try:
                self.folders.fd(folder)  # once per album: a folder that cannot be made fails it in one line
            except DownloadError as exc:
                self.error(f"{album.id}: {exc}")
                self.tally.albums -= 1
                self.tally.album_failed(ExitStatus.FAILED)
                return []
        self.albums[id(album)] = _Album(album, folder, waiting=len(jobs), opened=bool(fetch))
        self.progress.expect(files=len(jobs), size=sum(j.media.sources[0].size or 0 for j in jobs))
        for job in archived:
            self._record(Result(job, Status.SKIPPED, job.path, archived=True))
        return fetch

    def _collect(self, future: Future[Result]) -> None:
        self.outstanding -= 1
        if future.cancelled() or isinstance(future.exception(), Cancelled):
            return
        result = future.result()  # workers return failures as results; anything else is a bug
        if result.gone and self.wayback is not None and result.source == "imgur":
            if result.region_blocked:
                self._say_region(result)
            self._submit(self.recoveries, self.wayback.recover, result)  # counted when it comes back
            return
        self._record(result)

    def _record(self, result: Result) -> None:
        """Everything that follows from one finished file, in the main thread."""
        self.tally.add(result)
        self.progress.file_done()
        if result.region_blocked:
            self._say_region(result)
        elif result.status is Status.FAILED:
            album = result.job.album
            self.error(f"{album.id + '/' if album.is_album else ''}{result.job.media.id}: {result.error}")
        elif self.archive is not None and not result.archived:
            self.archive.add("image", result.job.media.id, result.job.album.id, str(result.path), result.source)
        self.stdout.result(result)
        book = self.albums[id(result.job.album)]
        book.failed |= result.status is Status.FAILED
        if self.options.write_metadata:
            book.results.append(result)
        book.waiting -= 1
        if book.waiting == 0:
            self._album_done(book)

    def _say_region(self, result: Result) -> None:
        """Imgur blocks this region: said once, not once per file."""
        if not self.region_said:
            self.region_said = True
            then = "looking for each file in the Wayback Machine" if self.wayback else "nothing is saved from here"
            self.error(f"{result.job.media.id}: {result.error}; {then}")

    def _album_done(self, book: _Album) -> None:
        album = book.album
        if self.options.write_metadata and book.opened:
            name = METADATA_NAME if album.is_album else f"{album.id}.json"
            try:
                write_json(self.folders.fd(book.folder), name, metadata(album, book.results))
            except (OSError, DownloadError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                self.error(f"{album.id}: cannot write {book.folder / name}: {reason or exc}")
                self.tally.statuses.append(ExitStatus.FAILED)  # (its files are counted; album.json is not one)
        if self.archive is not None and album.is_album and not book.failed:
            self.archive.add("album", album.id, None, str(book.folder))
        if book.opened and album.is_album:
            self.folders.release(book.folder)
        del self.albums[id(album)]

    def _summarize(self) -> None:
        if self.options.quiet:
            return
        self.tally.in_archive = self.planner.in_archive
        moved = self.downloader.moved + (self.wayback.downloader.moved if self.wayback is not None else 0)
        self.stderr(report.summary(self.tally, moved, time.monotonic() - self.started))

