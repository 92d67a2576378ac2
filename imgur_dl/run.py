"""A run: resolve each URL, download every file in one worker pool, report.

Workers return :class:`Result` objects; this module alone collects them,
advances the file count, prints failures and the summary, and picks the exit
status, so one failure never hides another.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from imgur_dl.api import DEFAULT_CLIENT_ID, ImgurApi
from imgur_dl.download import Downloader
from imgur_dl.errors import ApiError, Cancelled, NotFoundError
from imgur_dl.models import Album, Job, Result, Status, Target
from imgur_dl.naming import DEFAULT_DIR, Namer, Template
from imgur_dl.progress import Bar, Quiet
from imgur_dl.session import Cancel, RetryPolicy, Throttle, make_session
from imgur_dl.status import ExitStatus, worst

DEFAULT_WORKERS = 16
DEFAULT_TIMEOUT = 20.0
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


@dataclass
class Tally:
    """What the run did, as the summary and the exit status tell it."""

    results: list[Result] = field(default_factory=list)
    statuses: list[ExitStatus] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        failed = [ExitStatus.FAILED] if self.count(Status.FAILED) else []
        return worst(self.statuses + failed)


class Run:
    def __init__(self, options: Options, stderr: TextIO) -> None:
        self.options = options
        self.stderr = stderr
        self.cancel = Cancel()
        self.progress: Quiet = Bar(stderr) if options.show_bar else Quiet(None if options.quiet else stderr)
        self.session = make_session(options.workers, options.timeout)
        self.policy = RetryPolicy(retries=options.retries)
        self.api = ImgurApi(self.session, client_id=options.client_id, policy=self.policy,
                            cancel=self.cancel, say=self.progress.note, prefer_gif=options.prefer_gif)
        self.downloader = Downloader(self.session, Throttle(options.workers, self.cancel), self.cancel,
                                     self.policy, self.progress, self.progress.note)
        self.namer = Namer(options.output, options.dir_template, options.name_template)
        self.tally = Tally()
        self.on_result: Callable[[Result], None] = lambda _r: None
        self.started = time.monotonic()

    def error(self, message: str) -> None:
        """A failure line: shown even with --quiet."""
        if isinstance(self.progress, Bar):
            self.progress.note("imgur-dl: error: " + message)
        else:
            self.stderr.write("imgur-dl: error: " + message + "\n")
            self.stderr.flush()

    def resolve(self, target: Target) -> Album | None:
        try:
            return self.api.resolve(target)
        except NotFoundError:
            self.error(f"{target.url}: not found (no such album or image, or it is no longer public)")
            self.tally.statuses.append(ExitStatus.NOT_FOUND)
        except ApiError as exc:
            self.error(f"{target.url}: {exc}")
            self.tally.statuses.append(ExitStatus.FAILED)
        return None

    def jobs(self, album: Album) -> list[Job]:
        jobs = [Job(album, m, tuple(self.namer.path(album, m, s.ext) for s in m.sources)) for m in album.media]
        if jobs:
            folder = self.namer.folder(album)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.error(f"{album.id}: cannot create {folder}: {exc.strerror or exc}")
                self.tally.statuses.append(ExitStatus.FAILED)
                return []
        return jobs

    def execute(self, targets: Iterable[Target]) -> ExitStatus:
        """Download everything ``targets`` name; the exit status says how it went."""
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="imgur-dl")
        pending: set[Future[Result]] = set()
        try:
            for target in targets:
                album = self.resolve(target)
                if album is None:
                    continue
                jobs = self.jobs(album)
                self.progress.expect(files=len(jobs), size=sum(j.media.sources[0].size or 0 for j in jobs))
                pending.update(pool.submit(self.downloader.fetch, job) for job in jobs)
                pending = self._collect(pending, block=False)
            while pending:
                pending = self._collect(pending, block=True)
        except (KeyboardInterrupt, Cancelled):
            self.tally.interrupted = True
            self.cancel.trip()
            done, _ = wait(pending, timeout=GRACE)
            self._collect(done, block=False)
        finally:
            pool.shutdown(wait=not self.tally.interrupted, cancel_futures=True)
            self.progress.close()
            self.session.close()
        self.summarize()
        return self.tally.exit_status

    def _collect(self, pending: set[Future[Result]], *, block: bool) -> set[Future[Result]]:
        done, rest = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            if future.cancelled() or future.exception() is not None:
                exc = future.exception() if not future.cancelled() else None
                if isinstance(exc, Cancelled) or future.cancelled():
                    continue
                raise exc  # type: ignore[misc]  # a bug: let the top-level handler say so
            result = future.result()
            self.tally.results.append(result)
            self.progress.file_done()
            if result.status is Status.FAILED:
                self.error(f"{result.job.media.id}: {result.error}")
            self.on_result(result)
        return rest

    def summarize(self) -> None:
        t = self.tally
        failed = [r for r in t.results if r.status is Status.FAILED]
        if self.options.quiet:
            return
        size = sum(r.bytes for r in t.results if r.status is Status.SAVED)
        seconds = time.monotonic() - self.started
        line = (f"imgur-dl: {t.count(Status.SAVED)} saved, {t.count(Status.SKIPPED)} skipped, "
                f"{len(failed)} failed ({_human(size)} in {seconds:.1f}s)")
        if t.interrupted:
            line = "imgur-dl: interrupted; " + line[len("imgur-dl: "):] + \
                "; run the same command again to finish"
        self.stderr.write(line + "\n")
        if failed:
            reasons = ", ".join(f"{r.job.media.id} ({r.error})" for r in failed)
            self.stderr.write(f"imgur-dl: failed: {reasons}\n")
        self.stderr.flush()


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
