"""A run: resolve each URL, download every file in one worker pool, report.

Workers return :class:`Result` objects; this module alone collects them (in
the main thread), advances the file count, prints failures and the summary,
writes JSON lines, metadata and the archive, and picks the exit status, so
one failure never hides another.
"""

from __future__ import annotations

import collections
import itertools
import queue
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from imgur_dl.api import DEFAULT_CLIENT_ID, IMAGE_ROOT, ImgurApi
from imgur_dl.archive import Archive
from imgur_dl.download import Downloader
from imgur_dl.errors import ApiError, Cancelled, NotFoundError
from imgur_dl.models import Album, Job, Kind, Result, Status, Target
from imgur_dl.naming import DEFAULT_DIR, Namer, Template, disambiguate
from imgur_dl.output import METADATA_NAME, Stdout, metadata, write_json
from imgur_dl.progress import Bar, Quiet
from imgur_dl.session import Cancel, RetryPolicy, Throttle, make_session
from imgur_dl.status import ExitStatus, worst

DEFAULT_WORKERS = 32  # chosen from the benchmark: see docs/benchmarks.md
DEFAULT_TIMEOUT = 20.0
# Albums looked up at once: enough to hide the API's latency behind downloads,
# few enough to stay clear of its rate limits.
RESOLVERS = 4
# After Ctrl-C, how long finished work may take to report before we leave.
GRACE = 2.0


@dataclass(frozen=True)
class Options:
    output: Path = Path()
    workers: int = DEFAULT_WORKERS
    retries: int = 5
    timeout: float = DEFAULT_TIMEOUT
    client_id: str = DEFAULT_CLIENT_ID
    prefer_gif: bool = False
    quiet: bool = False
    show_bar: bool = False
    dir_template: Template = field(default_factory=lambda: Template(DEFAULT_DIR))
    name_template: Template | None = None
    get_urls: bool = False
    json_lines: bool = False
    write_metadata: bool = False
    archive: Path | None = None


@dataclass
class Tally:
    """What the run did, as the summary and the exit status tell it (counts, not results)."""

    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    saved_bytes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    statuses: list[ExitStatus] = field(default_factory=list)
    interrupted: bool = False

    def add(self, result: Result) -> None:
        self.counts[result.status] += 1
        if result.status is Status.SAVED:
            self.saved_bytes += result.bytes
        elif result.status is Status.FAILED:
            self.failed.append((result.job.media.id, result.error or "failed"))

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        return worst(self.statuses + ([ExitStatus.FAILED] if self.failed else []))


@dataclass
class _Book:
    """An album whose files are still coming in."""

    album: Album
    folder: Path
    waiting: int
    failed: bool = False
    results: list[Result] = field(default_factory=list)  # kept only for --write-metadata


class Run:
    def __init__(self, options: Options, stdout: TextIO, stderr: TextIO) -> None:
        self.options = options
        self.stderr = stderr
        self.stdout = Stdout(stdout, json_lines=options.json_lines)
        self.cancel = Cancel()
        self.progress: Quiet = Bar(stderr) if options.show_bar else Quiet(None if options.quiet else stderr)
        self.session = make_session(options.workers, options.timeout)
        self.policy = RetryPolicy(retries=options.retries)
        self.api = ImgurApi(self.session, client_id=options.client_id, policy=self.policy,
                            cancel=self.cancel, say=self.progress.note, prefer_gif=options.prefer_gif)
        self.downloader = Downloader(self.session, Throttle(options.workers, self.cancel), self.cancel,
                                     self.policy, self.progress, self.progress.note)
        self.namer = Namer(options.output, options.dir_template, options.name_template)
        self.archive = Archive(options.archive) if options.archive else None
        self.tally = Tally()
        self.books: dict[int, _Book] = {}
        self.taken: set[Path] = set()  # every path this run writes: a template may give two files one name
        self.started = time.monotonic()

    def error(self, message: str) -> None:
        """A failure line: shown even with --quiet, above the bar if there is one."""
        if isinstance(self.progress, Bar):
            self.progress.note("imgur-dl: error: " + message)
        else:
            self.stderr.write("imgur-dl: error: " + message + "\n")
            self.stderr.flush()

    def execute(self, targets: Iterable[Target]) -> ExitStatus:
        """Download (or list) everything ``targets`` name; the exit status says how it went."""
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="imgur-dl")
        # Finished futures arrive here, so collecting n results costs O(n)
        # however many are still pending; and no more than a few per worker
        # are queued at once, so memory does not grow with the album.
        finished: queue.SimpleQueue[Future[Result]] = queue.SimpleQueue()
        outstanding = 0
        most = self.options.workers * 4
        targets = list(targets)
        self._warm(pool, targets)
        # A list of albums is looked up a few at a time, while earlier ones download.
        resolver = ThreadPoolExecutor(max_workers=RESOLVERS, thread_name_prefix="imgur-dl-api")
        try:
            for album in self._albums(targets, resolver):
                for job in self._start(album):
                    while outstanding >= most:
                        self._collect(finished.get())
                        outstanding -= 1
                    future = pool.submit(self.downloader.fetch, job)
                    future.add_done_callback(finished.put)
                    outstanding += 1
                while not finished.empty():  # report what is done before resolving the next album
                    self._collect(finished.get())
                    outstanding -= 1
            while outstanding:
                self._collect(finished.get())
                outstanding -= 1
        except (KeyboardInterrupt, Cancelled):
            self.tally.interrupted = True
            self.cancel.trip()
            deadline = time.monotonic() + GRACE
            while outstanding and (left := deadline - time.monotonic()) > 0:
                try:
                    self._collect(finished.get(timeout=left))
                except queue.Empty:
                    break
                outstanding -= 1
        finally:
            resolver.shutdown(wait=not self.tally.interrupted, cancel_futures=True)
            pool.shutdown(wait=not self.tally.interrupted, cancel_futures=True)
            self.progress.close()
            self.session.close()
            if self.archive is not None:
                self.archive.close()
        if not self.options.get_urls:
            self._summarize()
        return self.tally.exit_status

    # -- steps --------------------------------------------------------------

    def _warm(self, pool: ThreadPoolExecutor, targets: list[Target]) -> None:
        """Connect to the CDN while the API answers: an album's files then start at once."""
        if self.options.get_urls:
            return
        albums = any(t.kind is not Kind.IMAGE for t in targets)
        for _ in range(self.options.workers if albums else min(len(targets), self.options.workers)):
            pool.submit(self.session.warm, IMAGE_ROOT + "/")

    def _lookup(self, target: Target) -> Album | tuple[ExitStatus, str]:
        """Resolve one target (in a resolver thread): the album, or why not."""
        try:
            return self.api.resolve(target)
        except NotFoundError:
            return ExitStatus.NOT_FOUND, f"{target.url}: not found (no such album or image, or it is no longer public)"
        except ApiError as exc:
            return ExitStatus.FAILED, f"{target.url}: {exc}"

    def _albums(self, targets: list[Target], resolver: ThreadPoolExecutor) -> Iterator[Album]:
        """The targets' albums, in order, looked up a few ahead; failures reported here."""
        ahead: collections.deque[Future[Album | tuple[ExitStatus, str]]] = collections.deque()
        rest = iter(targets)
        for target in itertools.islice(rest, 2 * RESOLVERS):
            ahead.append(resolver.submit(self._lookup, target))
        while ahead:
            outcome = ahead.popleft().result()
            for target in itertools.islice(rest, 1):
                ahead.append(resolver.submit(self._lookup, target))
            if isinstance(outcome, Album):
                yield outcome
            else:
                status, message = outcome
                self.error(message)
                self.tally.statuses.append(status)

    def _start(self, album: Album) -> list[Job]:
        """An album's files still to fetch (none with --get-urls: they are listed instead)."""
        folder = self.namer.folder(album)
        jobs = [Job(album, m, tuple(disambiguate(self.namer.path(album, m, s.ext, folder), m.id, self.taken)
                                    for s in m.sources)) for m in album.media]
        if self.options.get_urls:
            for job in jobs:
                self.stdout.listing(job)
            return []
        if not jobs:
            return []
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error(f"{album.id}: cannot create {folder}: {exc.strerror or exc}")
            self.tally.statuses.append(ExitStatus.FAILED)
            return []
        book = _Book(album, folder, waiting=len(jobs))
        self.books[id(album)] = book
        self.progress.expect(files=len(jobs), size=sum(j.media.sources[0].size or 0 for j in jobs))
        fetch = []
        for job in jobs:
            if self.archive is not None and self.archive.has(job.media.id):
                self._record(Result(job, Status.SKIPPED, job.path))  # in the archive
            else:
                fetch.append(job)
        return fetch

    def _collect(self, future: Future[Result]) -> None:
        if future.cancelled() or isinstance(future.exception(), Cancelled):
            return
        self._record(future.result())  # any other exception is a bug: the top-level handler says so

    def _record(self, result: Result) -> None:
        """Everything that follows from one finished file, in the main thread."""
        self.tally.add(result)
        self.progress.file_done()
        if result.status is Status.FAILED:
            self.error(f"{result.job.media.id}: {result.error}")
        elif self.archive is not None:
            self.archive.add("image", result.job.media.id, result.job.album.id, str(result.path))
        self.stdout.result(result)
        book = self.books[id(result.job.album)]
        book.failed |= result.status is Status.FAILED
        if self.options.write_metadata:
            book.results.append(result)
        book.waiting -= 1
        if book.waiting == 0:
            self._album_done(book)

    def _album_done(self, book: _Book) -> None:
        album = book.album
        if self.options.write_metadata:
            name = METADATA_NAME if album.is_album else f"{album.id}.json"
            try:
                write_json(book.folder / name, metadata(album, book.results))
            except OSError as exc:
                self.error(f"{album.id}: cannot write {book.folder / name}: {exc.strerror or exc}")
                self.tally.statuses.append(ExitStatus.FAILED)
        if self.archive is not None and album.is_album and not book.failed:
            self.archive.add("album", album.id, None, str(book.folder))
        del self.books[id(album)]

    def _summarize(self) -> None:
        if self.options.quiet:
            return
        t = self.tally
        seconds = time.monotonic() - self.started
        line = (f"{t.counts[Status.SAVED]} saved, {t.counts[Status.SKIPPED]} skipped, "
                f"{t.counts[Status.FAILED]} failed ({_human(t.saved_bytes)} in {seconds:.1f}s)")
        if t.interrupted:
            line = f"interrupted; {line}; run the same command again to finish"
        self.stderr.write(f"imgur-dl: {line}\n")
        if t.failed:
            reasons = ", ".join(f"{ident} ({reason})" for ident, reason in t.failed)
            self.stderr.write(f"imgur-dl: failed: {reasons}\n")
        self.stderr.flush()


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
