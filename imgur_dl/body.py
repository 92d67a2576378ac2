"""A body streamed into a part file: read as it arrives, bounded, paced, and judged once it ends.

:class:`Receiver` writes what arrives into the ``.part`` file, tells every
byte to ``on_bytes`` (progress, ``--limit-rate``, bytes moved), gives up on a
body that crawls (``--min-speed``) and on one longer than it may be, and then
says what became of the file: saved, to be resumed (its ETag kept for
``If-Range``), or failed (its bytes discarded). It sends nothing: what is
asked, and where, is :mod:`imgur_dl.transfer`'s.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import urllib3

from imgur_dl import sniff
from imgur_dl.cancel import Cancel
from imgur_dl.errors import Cancelled
from imgur_dl.neterrors import describe
from imgur_dl.outcomes import Failed, Outcome, Retry, Saved, disk
from imgur_dl.partfile import PartFile
from imgur_dl.progress import Progress
from imgur_dl.retry import Again

# Bytes asked for at a time: one TLS record's most (2**14, RFC 8446 5.1). A read hands over at most one record
# when nothing is buffered, so asking for more only allocates a bigger buffer that is cut down at once: with
# 256 KiB, 1.5 MB files took 19% more CPU and files of 4-34 kB left the C heap 8 MB bigger (docs/benchmarks.md).
CHUNK = 16 * 1024


@dataclass(frozen=True, slots=True)
class Speed:
    """The slowest a body may come: ``least`` bytes a second over ``window`` seconds (curl's --speed-limit/-time)."""

    least: float = 1024.0
    window: float = 30.0


class Pace:
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
class Receiver:
    """Bodies into part files, for one kind of transfer (shared by its threads)."""

    progress: Progress
    on_bytes: Callable[[int], None]  # every body byte received: progress, rate limit, bytes moved
    cancel: Cancel
    speed: Speed = field(default_factory=Speed)  # the slowest a body may come (--min-speed)
    clock: Callable[[], float] = time.monotonic

    def head(self, read: Callable[[], bytes | Retry], name: str) -> tuple[bytes, Retry | None]:
        """At least :data:`sniff.HEAD` leading bytes (fewer only if the body is shorter), and how reading broke:
        a head that crawls is given up as a body is (a server sending a byte now and then, each within
        ``--timeout``, would otherwise hold the attempt for 64 of them)."""
        start = b""
        pace = Pace(self.speed, self.clock)
        while len(start) < sniff.HEAD:
            chunk = read()
            if isinstance(chunk, Again):
                return start, chunk
            if not chunk:
                break
            start += chunk
            if (slow := self._crawling(pace, len(chunk), name)) is not None:
                return start, slow
        return start, None

    def stream(self, part: PartFile, first: bytes | Retry, read: Callable[[], bytes | Retry],
               *, room: int, etag: str | None) -> tuple[int, Retry | None] | Failed:
        """Write chunks into ``part`` until the body ends: (bytes received, how it broke if it did)."""
        received = 0
        chunk = first
        pace = Pace(self.speed, self.clock)
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
                if (slow := self._crawling(pace, len(chunk), part.path.name)) is not None:
                    chunk = slow
                    break
                chunk = read()
        except OSError as exc:
            self.progress.advance(-part.discard())
            return disk(exc, part.path)
        except Cancelled:
            if received:
                part.keep_etag(etag)  # a resume after the rerun needs it for If-Range
            raise
        return received, chunk if isinstance(chunk, Again) else None

    def _crawling(self, pace: Pace, size: int, name: str) -> Retry | None:
        """An attempt to give up (said on the way), when the body has come slower than --min-speed for a window."""
        crawling = pace.crawling(size)
        if crawling is None:
            return None
        self.progress.note(f"imgur-dl: {name}: {crawling}; trying again")
        return Again(crawling)

    def ending(self, part: PartFile, url: str, size: int, wanted: tuple[int | None, ...], broke: Retry | None, *,
               etag: str | None, md5: str | None) -> Outcome:
        """The file's fate once its body (from ``url``) stopped at ``size`` bytes: ``wanted`` are the sizes the
        server and the API announced, ``md5`` what the ETag says the body's MD5 is."""
        for want in wanted:
            if want is not None and size < want:
                part.keep_etag(etag)
                reason = broke.reason if broke is not None else "the body ended early"
                return Again(f"connection broke at {size} of {want} bytes ({reason})")
            if want is not None and size != want:
                self.progress.advance(-part.discard())
                return Failed(f"got {size} bytes, expected {want}")
        if broke is not None:
            part.keep_etag(etag)
            return broke
        if md5 is not None and part.digests.md5 != md5:
            self.progress.advance(-part.discard())
            return Again(f"the file's MD5 does not match the CDN's ETag ({md5}): corrupted in transit", held=True)
        return Saved(size, url)


def reader(response: urllib3.BaseHTTPResponse) -> Callable[[], bytes | Retry]:
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


