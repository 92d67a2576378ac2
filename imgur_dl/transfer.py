"""One attempt at one file: ask, follow checked redirects, judge the answer, stream it into a part file.

An attempt returns what became of it: :class:`Saved`, :class:`Failed` (no
attempt will do better), or :class:`~imgur_dl.retry.Again`. The retry loop
around it is :func:`imgur_dl.retry.retry`; which rendition to try is the
downloader's business. A ``.part`` that stops short keeps its bytes (and
ETag) for the next attempt; a server that ignores the range starts it over.
No body is written past the size the server or the API announced, or past
``max_size`` when neither did.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from imgur_dl import classify, folders, sniff
from imgur_dl.cancel import Cancel
from imgur_dl.defaults import DEFAULT_MAX_SIZE
from imgur_dl.errors import Cancelled
from imgur_dl.hosts import MEDIA_HOSTS, WEB_HOSTS, OffsiteError, host_of, redirect_target
from imgur_dl.models import Media, Source
from imgur_dl.neterrors import describe
from imgur_dl.partfile import PartFile
from imgur_dl.progress import Progress
from imgur_dl.retry import Again, RetryPolicy
from imgur_dl.session import Session
from imgur_dl.text import Once
from imgur_dl.throttle import Throttle, Ticket

# Bytes asked for at a time: one TLS record's most (2**14, RFC 8446 5.1). A read hands over at most one record
# when nothing is buffered, so asking for more only allocates a bigger buffer that is cut down at once: with
# 256 KiB, 1.5 MB files took 19% more CPU and files of 4-34 kB left the C heap 8 MB bigger (docs/benchmarks.md).
CHUNK = 16 * 1024
REMOVED_PATH = "/removed.png"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # statuses that redirect (with a Location)


@dataclass(frozen=True, slots=True)
class Saved:
    size: int
    url: str  # where the bytes came from
    sha256: str = ""


# An ETag of 32 hex digits is the MD5 of the body on Imgur's CDN (its S3 origin's
# ETag of a single-part object; removed.png's is d835884373f4d6c8f24742ceabe74946,
# its body's MD5, as several tools rely on). Any other form is not interpreted.
_MD5_ETAG = re.compile(r'"?([0-9a-fA-F]{32})"?')


def md5_of(etag: str | None) -> str | None:
    """The MD5 an ETag states, when it is one; None for any other ETag."""
    match = _MD5_ETAG.fullmatch(etag.strip()) if etag else None
    return match[1].lower() if match else None


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    gone: bool = False  # the host no longer serves it (removed.png, 404, the region placeholder)
    region: bool = False  # the region placeholder
    replaceable: bool = False  # another rendition may do better
    full: bool = False  # the disk is full: nothing more can be saved there


Retry = Again["Saved | Failed | Present"]


@dataclass(frozen=True, slots=True)
class Present:
    """Another process saved the file whole while this one waited for it."""

    size: int


Outcome = Saved | Failed | Present | Retry
BUSY = "another imgur-dl process is writing this file"


@dataclass(frozen=True, slots=True)
class _Job:
    """One attempt's request: what is fetched, into what, and what is already held."""

    url: str
    source: Source
    part: PartFile
    media: Media
    have: int
    first_refusal_ends: bool


@dataclass(frozen=True, slots=True)
class Speed:
    """The slowest a body may come: ``least`` bytes a second over ``window`` seconds (curl's --speed-limit/-time)."""

    least: float = 1024.0
    window: float = 30.0


class _Pace:
    """Watches one body: says when it has come slower than the bound for a whole window."""

    def __init__(self, speed: Speed, clock: Callable[[], float]) -> None:
        self.speed = speed
        self.clock = clock
        self.start = clock()
        self.bytes = 0

    def held(self, seconds: float) -> None:
        """The run held the body back for ``seconds`` (--limit-rate): not the server's slowness, not counted."""
        self.start += seconds

    def crawling(self, size: int) -> str | None:
        self.bytes += size
        if not self.speed.least:
            return None
        elapsed = self.clock() - self.start
        if elapsed < self.speed.window:
            return None
        rate = self.bytes / elapsed
        if rate >= self.speed.least:
            self.start, self.bytes = self.clock(), 0  # a new window
            return None
        return f"crawling at {rate:.0f} B/s, under {self.speed.least:.0f} B/s for {elapsed:.0f}s (--min-speed)"


@dataclass
class Transfer:
    """Attempts at files from one set of hosts (Imgur's CDN, or the Wayback Machine)."""

    session: Session
    throttle: Throttle
    cancel: Cancel
    policy: RetryPolicy
    progress: Progress
    on_bytes: Callable[[int], None]  # every body byte received: progress, rate limit, bytes moved
    max_size: int = DEFAULT_MAX_SIZE
    hosts: frozenset[str] = MEDIA_HOSTS  # where files may come from
    hop: Callable[[str, str], str] = redirect_target  # (from, Location) -> the checked next URL
    md5_etags: bool = True  # an ETag of 32 hex digits is the body's MD5 (Imgur's CDN; not the archive)
    label: str = "Imgur"  # who answers, in messages ("the Wayback Machine")
    place: str = "on Imgur"  # where a file that is not there is not, in messages ("in the Wayback Machine")
    speed: Speed = field(default_factory=Speed)  # the slowest a body may come (--min-speed)
    clock: Callable[[], float] = time.monotonic
    _sized: Once = field(default_factory=Once)  # files whose size the progress total has (announced once)

    def attempt(self, url: str, source: Source, part: PartFile, media: Media, *, first_refusal_ends: bool) -> Outcome:
        """One request for ``url`` into ``part``; committed under its final name when whole."""
        if part.busy:  # another process had it: it may have finished it meanwhile
            size = folders.regular_size(part.dir_fd, part.name)
            if size and (source.size is None or size == source.size):
                return Present(size)
        resumed = part.resume()
        if resumed is None:
            return Again(BUSY, wait=1.0)
        have, etag = resumed
        headers = {"Accept-Encoding": "identity"}  # ranges count bytes of the file itself
        if have:
            headers["Range"] = f"bytes={have}-"
            if etag:
                headers["If-Range"] = etag
        job = _Job(url, source, part, media, have, first_refusal_ends)
        try:
            with self.throttle.slot() as ticket:
                outcome = self._exchange(job, headers, ticket)
            if isinstance(outcome, Saved):
                try:
                    part.commit()
                except OSError as exc:
                    return _disk(exc, part.path)
                return Saved(outcome.size, outcome.url, part.sha256)
            return outcome
        finally:
            part.close()

    def _exchange(self, job: _Job, headers: dict[str, str], ticket: Ticket) -> Outcome:
        got = follow(self.session, job.url, headers, self.hop, self.cancel)
        if not isinstance(got, tuple):
            return got
        response, final = got
        with _closing(response), self.cancel.tracking(response):
            verdict = classify.classify(response.status, response.reason or "", response.headers, job.have)
            if not isinstance(verdict, classify.Take):
                return _not_taken(verdict, job, self.progress, self.place,
                                  refuse=lambda wait: self.throttle.refused(ticket, self.policy.server_wait(wait, 1)))
            self.throttle.accepted(ticket)
            outcome = self._receive(response, verdict, job)
            if not isinstance(outcome, Saved):
                self.cancel.check()  # a body cut short by Ctrl-C (its socket shut) is an interruption, not a failure
        if isinstance(outcome, Saved):
            self.throttle.succeeded(ticket)
            return Saved(outcome.size, final)
        return outcome

    def _receive(self, response: urllib3.BaseHTTPResponse, take: classify.Take, job: _Job) -> Outcome:
        """Judge the start of the body, then stream it into the part file: Saved once the file is whole."""
        source, offset, total = job.source, take.offset, take.total
        if offset == 0 and job.have:
            self.progress.advance(-job.have)  # a 200 to a range request: the file starts over
        if total is not None and total > self.max_size and source.size is None:
            return Failed(f"the file is {total} bytes, more than the limit of {self.max_size} (--max-file-size)")
        read = _reader(response)
        head = b""
        if offset == 0:
            head, broke = _head(read)
            if broke is not None:
                return broke  # fewer bytes than it takes to judge the file: the next attempt starts it afresh
            problem = sniff.check(head, response.headers.get("Content-Type", ""), source.ext, job.media.dimensions,
                                  server=self.label)
            if problem is not None:
                return Failed(problem.reason, gone=problem.kind is not sniff.Wrong.NOT_MEDIA,
                              region=problem.kind is sniff.Wrong.REGION, replaceable=True)
        if source.size is not None and total is not None and total != source.size:
            return Failed(f"server has {total} bytes, the API said {source.size}")
        if source.size is None and total is not None and self._sized.first(str(job.part.path)):
            self.progress.expect(size=total)  # the API did not say; now the server has
        md5 = md5_of(response.headers.get("ETag")) if self.md5_etags else None
        try:
            job.part.start(offset, md5=md5 is not None)
        except BlockingIOError:
            return Again(BUSY, wait=1.0)
        except OSError as exc:
            return _disk(exc, job.part.path)
        etag = response.headers.get("ETag") if offset == 0 else None
        limit = next((v for v in (total, source.size) if v is not None), self.max_size)
        got = self._stream(job.part, head if offset == 0 else read(), read, room=limit - offset, etag=etag)
        if isinstance(got, Failed):
            return got
        received, broke = got
        return self._ending(job, offset + received, (total, source.size), broke,
                            etag=etag if received else None, md5=md5)

    def _stream(self, part: PartFile, first: bytes | Retry, read: Callable[[], bytes | Retry],
                *, room: int, etag: str | None) -> tuple[int, Retry | None] | Failed:
        """Write chunks into ``part`` until the body ends: (bytes received, how it broke if it did)."""
        received = 0
        chunk = first
        pace = _Pace(self.speed, self.clock)
        try:
            while isinstance(chunk, bytes) and chunk:
                received += len(chunk)
                if received > room:
                    self.progress.advance(-part.discard())
                    return Failed(f"the server sent more than the {room} bytes expected")
                part.write(chunk)
                before = self.clock()
                self.on_bytes(len(chunk))  # (where --limit-rate holds the body back)
                pace.held(self.clock() - before)
                self.cancel.check()
                crawling = pace.crawling(len(chunk))
                if crawling is not None:
                    self.progress.note(f"imgur-dl: {part.path.name}: {crawling}; trying again")
                    chunk = Again(crawling)
                    break
                chunk = read()
        except OSError as exc:
            self.progress.advance(-part.discard())
            return _disk(exc, part.path)
        except Cancelled:
            if received:
                part.keep_etag(etag)  # a resume after the rerun needs it for If-Range
            raise
        return received, chunk if isinstance(chunk, Again) else None

    def _ending(self, job: _Job, size: int, wanted: tuple[int | None, ...], broke: Retry | None, *,
                etag: str | None, md5: str | None) -> Outcome:
        """The file's fate once its body stopped at ``size`` bytes."""
        for want in wanted:
            if want is not None and size < want:
                job.part.keep_etag(etag)
                reason = broke.reason if broke is not None else "the body ended early"
                return Again(f"connection broke at {size} of {want} bytes ({reason})")
            if want is not None and size != want:
                self.progress.advance(-job.part.discard())
                return Failed(f"got {size} bytes, expected {want}")
        if broke is not None:
            job.part.keep_etag(etag)
            return broke
        if md5 is not None and job.part.md5 != md5:
            self.progress.advance(-job.part.discard())
            return Again(f"the file's MD5 does not match the CDN's ETag ({md5}): corrupted in transit")
        return Saved(size, job.url)


def _not_taken(verdict: classify.NotTaken, job: _Job, progress: Progress, place: str,
               refuse: Callable[[float | None], bool]) -> Outcome:
    """What an answer other than the file means for this attempt (``refuse``: tell the throttle of a 429;
    True when that lowers its limit)."""
    if isinstance(verdict, classify.Refused):
        narrowed = refuse(verdict.wait)
        if job.first_refusal_ends:
            # A rendition with a fallback (an animation's MP4) gives way at its first
            # refusal: Imgur refuses MP4s that do not exist with 429 as well as 404.
            return Failed(verdict.reason, replaceable=True)
        return Again(verdict.reason, verdict.wait, refused=True,
                     note="fewer at a time from now on" if narrowed else None)
    if isinstance(verdict, classify.Transient):
        if verdict.start_over:
            progress.advance(-job.part.discard())
        return Again(verdict.reason, verdict.wait)
    if isinstance(verdict, classify.Gone):
        return Failed(f"not {place} ({verdict.reason})", gone=True, replaceable=True)
    return Failed(verdict.reason)


def follow(session: Session, url: str, headers: dict[str, str], hop: Callable[[str, str], str],
           cancel: Cancel) -> tuple[urllib3.BaseHTTPResponse, str] | Failed | Retry:
    """GET ``url``, following redirects only while ``hop`` allows them (each one checked): (answer, its URL)."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = session.open_stream(url, headers)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
            cancel.check()
            return Again(describe(exc))
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or location is None:
            return response, url
        _finish(response)
        try:
            url = hop(url, location)
        except OffsiteError as exc:
            if host_of(location) in WEB_HOSTS:
                return Failed("Imgur redirected to its web page instead of the file", replaceable=True)
            return Failed(f"{exc} (in a redirect)", replaceable=True)
        if url.endswith(REMOVED_PATH):
            return Failed("removed from Imgur", gone=True, replaceable=True)
    return Failed(f"more than {MAX_REDIRECTS} redirects (a redirect loop)")


def _disk(exc: OSError, path: Path) -> Failed:
    return Failed(folders.disk_reason(exc, path), full=exc.errno == errno.ENOSPC)


@contextlib.contextmanager
def _closing(response: urllib3.BaseHTTPResponse) -> Iterator[urllib3.BaseHTTPResponse]:
    """The answer, closed after: its connection back to the pool when the body was read to its end,
    dropped otherwise (as requests closes a streamed answer)."""
    try:
        yield response
    finally:
        _finish(response)


def _finish(response: urllib3.BaseHTTPResponse) -> None:
    """Close the answer: its connection back to the pool when the body was read to its end, else dropped."""
    response.close()
    response.release_conn()


def _reader(response: urllib3.BaseHTTPResponse) -> Callable[[], bytes | Retry]:
    """A function giving the body as it arrives: b'' at its end, :class:`Again` when the connection breaks.

    ``read1`` hands over whatever has arrived, so the bytes received before a
    connection drops reach the ``.part`` file and a retry resumes after them.
    """
    read: Callable[..., bytes] = response.read1

    def next_chunk() -> bytes | Retry:
        try:
            return read(CHUNK, decode_content=False)  # bytes as they came: counted as they crossed the wire
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
            return Again(describe(exc))

    return next_chunk


def _head(read: Callable[[], bytes | Retry]) -> tuple[bytes, Retry | None]:
    """At least :data:`sniff.HEAD` leading bytes (fewer only if the body is shorter), and how reading broke."""
    head = b""
    while len(head) < sniff.HEAD:
        chunk = read()
        if isinstance(chunk, Again):
            return head, chunk
        if not chunk:
            break
        head += chunk
    return head, None
