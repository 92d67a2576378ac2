"""One attempt at one file: ask, follow checked redirects, judge the answer, stream it into a part file.

An attempt returns what became of it (:mod:`imgur_dl.outcomes`): saved,
failed (no attempt will do better), or to be tried again. The retry loop
around it is :func:`imgur_dl.retry.retry`; which rendition to try is the
downloader's business. A ``.part`` that stops short keeps its bytes (and
ETag) for the next attempt; a server that ignores the range starts it over.
No body is written past the size the server or the API announced, or past
``max_size`` when neither did; the body itself is :mod:`imgur_dl.body`'s.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import urllib3

from imgur_dl import body, classify, sniff
from imgur_dl.body import Receiver, Speed
from imgur_dl.cancel import Cancel
from imgur_dl.dates import served_time
from imgur_dl.defaults import DEFAULT_MAX_SIZE
from imgur_dl.hosts import MEDIA_HOSTS, WEB_HOSTS, OffsiteError, host_of, redirect_target
from imgur_dl.models import Media, Source
from imgur_dl.neterrors import lasting
from imgur_dl.outcomes import BUSY, Failed, Outcome, Present, Retry, Saved, Unsure, copy_at, disk, whole_at
from imgur_dl.partfile import PartFile, PartLost, saved_by_another
from imgur_dl.progress import Progress
from imgur_dl.retry import Again, RetryPolicy
from imgur_dl.session import Session
from imgur_dl.text import decimal
from imgur_dl.throttle import Throttle, Ticket

REMOVED_PATH = "/removed.png"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # statuses that redirect (with a Location)

# An ETag of 32 hex digits is the MD5 of the body on Imgur's CDN (its S3 origin's
# ETag of a single-part object; removed.png's is d835884373f4d6c8f24742ceabe74946,
# its body's MD5, as several tools rely on). Any other form is not interpreted.
_MD5_ETAG = re.compile(r'"?([0-9a-fA-F]{32})"?')


def md5_of(etag: str | None) -> str | None:
    """The MD5 an ETag states, when it is one; None for any other ETag."""
    match = _MD5_ETAG.fullmatch(etag.strip()) if etag else None
    return match[1].lower() if match else None


@dataclass(frozen=True, slots=True)
class _Job:
    """One attempt's request: what is fetched, into what, and what is already held."""

    url: str
    source: Source
    part: PartFile
    media: Media
    have: int
    first_refusal_ends: bool
    known: Unsure | None  # a copy at the name that is this file where the answer is its bytes
    ask_only: bool = False  # only whether the answer is ``known``'s bytes: no other body is read, nothing saved
    asked_again: bool = False  # asked again already in this attempt (after a 416, or held bytes that did not check)


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
    # Its answers are copies another kept (the archive): Imgur's placeholders among them; and not Imgur's CDN, whose
    # ETag of 32 hex digits is the body's MD5
    captures: bool = False
    label: str = "Imgur"  # who answers, in messages ("the Wayback Machine")
    place: str = "on Imgur"  # where a file that is not there is not, in messages ("in the Wayback Machine")
    speed: Speed = field(default_factory=Speed)  # the slowest a body may come (--min-speed)
    clock: Callable[[], float] = time.monotonic
    _receiver: Receiver = field(init=False)

    def __post_init__(self) -> None:
        self._receiver = Receiver(self.progress, self.on_bytes, self.cancel, self.speed, self.clock)

    def attempt(self, url: str, source: Source, part: PartFile, media: Media, *, first_refusal_ends: bool,
                known: Unsure | None = None, ask_only: bool = False) -> Outcome:
        """One request for ``url`` into ``part``; committed under its final name when whole. Where the answer is the
        bytes of the copy ``known`` says, that copy: Present, the body not read (``ask_only``: nor where it is not,
        which is then a failure another rendition may mend)."""
        if part.busy:  # another process had it: it may have finished it meanwhile
            found = _left_by_another(part, source, known)
            if isinstance(found, Present):
                return found
            known = found
        try:
            resumed = part.resume()
        except OSError as exc:  # (what is held could not be looked at: a disk failing)
            part.close()
            return disk(exc, part.path)
        if resumed is None:  # (waited on, attempts not spent, while the other process's part file grows)
            return Again(BUSY, wait=1.0, awaited=part.grown())
        have, etag = resumed
        headers = {"Accept-Encoding": "identity"}  # ranges count bytes of the file itself
        if have:
            headers["Range"] = f"bytes={have}-"
            if etag:
                headers["If-Range"] = etag
        job = _Job(url, source, part, media, have, first_refusal_ends, known, ask_only)
        try:
            with self.throttle.slot() as ticket:
                outcome = self._exchange(job, headers, ticket)
            if isinstance(outcome, Saved):
                try:
                    name = part.commit(outcome.url)
                except PartLost:  # (another process took it from under this one: the file is that one's, or again)
                    return Present(outcome.size) if saved_by_another(part, outcome.size) else \
                        Again(BUSY, wait=1.0, awaited=part.grown())
                except OSError as exc:
                    return disk(exc, part.path)
                return Saved(outcome.size, outcome.url, part.digests.sha256, None if name == part.name else name)
            return outcome
        finally:
            part.close()

    def _exchange(self, job: _Job, headers: dict[str, str], ticket: Ticket) -> Outcome:
        """One request and its answer; a 416 to a resume (:func:`_asked_again`), or a resumed file whose bytes do not
        check, asks once more, once that answer is closed: from the first byte at the latest (three requests at the
        most)."""
        got = follow(self.session, job.url, headers, self.hop, self.cancel)
        if not isinstance(got, tuple):
            return got
        response, final = got
        again = None
        with _closing(response), self.cancel.tracking(response):
            verdict = classify.classify(response.status, response.reason or "", response.headers, job.have)
            if isinstance(verdict, classify.Unsatisfied):
                again = _asked_again(verdict, job, headers, self.progress)
            elif not isinstance(verdict, classify.Take):
                return _not_taken(verdict, job, self.progress, self.place,
                                  refuse=lambda wait: self.throttle.refused(ticket, self.policy.server_wait(wait, 1)))
            else:
                self.throttle.accepted(ticket)
                outcome = self._receive(response, verdict, job)
                if isinstance(outcome, Again) and outcome.held and verdict.offset:  # (what an earlier run left)
                    again = _from_the_start(job, headers)
                if not isinstance(outcome, Saved):  # (a body cut short by Ctrl-C, its socket shut: an interruption)
                    self.cancel.check()
        if again is not None:
            return self._exchange(*again, ticket)
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
        # (the length a capture's file had as it was crawled: its original Content-Length, which the Wayback Machine
        # replays as X-Archive-Orig-Content-Length, every original header prefixed so)
        recorded = decimal(response.headers.get("X-Archive-Orig-Content-Length")) if self.captures else None
        if offset == 0 and total is not None and recorded not in (None, total):
            return Failed(f"the capture was cut short as it was made ({total} of the file's {recorded} bytes)",
                          replaceable=True)
        md5 = None if self.captures else md5_of(response.headers.get("ETag"))
        told = _told(job, offset, total, md5)
        if told is not None:
            return told
        read = body.reader(response)
        head = b""
        if offset == 0:
            head, broke = self._receiver.head(read, job.part.path.name)
            if broke is not None:
                return broke  # fewer bytes than it takes to judge the file: the next attempt starts it afresh
            problem = sniff.check(head, response.headers.get("Content-Type", ""), source.ext, job.media.dimensions,
                                  server=self.label, captured=self.captures)
            if problem is not None:
                return Failed(problem.reason, gone=problem.kind is not sniff.Wrong.NOT_MEDIA,
                              region=problem.kind is sniff.Wrong.REGION, replaceable=True)
        if source.size is not None and total is not None and total != source.size:
            return Failed(f"server has {total} bytes, the API said {source.size}")
        if source.size is None and total is not None and job.part.total is None:
            job.part.total = total  # the API did not say; now the server has (once a file: not again on a resume)
            self.progress.expect(size=total)
        if job.part.mtime is None and job.part.served:  # (the API gave no upload time: a hidden post's direct link)
            job.part.mtime = served_time(response.headers.get("Last-Modified"))
        stopped = _started(job, offset, md5)
        if stopped is not None:
            return stopped
        etag = response.headers.get("ETag") if offset == 0 else None
        limit = next((v for v in (total, source.size) if v is not None), self.max_size)
        got = self._receiver.stream(job.part, head if offset == 0 else read(), read, room=limit - offset, etag=etag)
        if isinstance(got, Failed):
            return got
        received, broke = got
        return self._receiver.ending(job.part, job.url, offset + received, (total, source.size), broke,
                                     etag=etag if received else None, md5=md5)


def _told(job: _Job, offset: int, total: int | None, md5: str | None) -> Present | Failed | None:
    """What an answer whose body is not read yet tells of the copy ``job.known`` says: that it is these bytes
    (Present: the body is not read), or, where only that was asked, that it is not (nor is any other body read);
    None where the body is to be read."""
    known = job.known
    if known is not None and offset == 0 and (md5 == known.md5 if md5 is not None else total == known.size):
        job.part.discard()  # (a partial of it held: its own, the file being whole)
        return Present(known.size, known.name)
    return Failed("the file at its name is another's", replaceable=True) if job.ask_only else None


def _started(job: _Job, offset: int, md5: str | None) -> Outcome | None:
    """The part file made ready to be written at ``offset`` (None), or what ends the attempt there: another process
    writing it, a disk that refuses it, or, from the first byte, this file whole at its name (where a file found there
    is skipped: :attr:`PartFile.whole_is_done`), which another process finished since this one looked and before its
    part file was made here (:func:`_finished_meanwhile`). Its body is not read: a part file written beside a whole
    file, by a process killed then, was left for good where the album is in the download archive (no run opens its
    folder again). ``md5``: the answer's, from its ETag."""
    part = job.part
    try:
        part.start(offset, md5=md5 is not None)
    except BlockingIOError:
        return Again(BUSY, wait=1.0)
    except OSError as exc:
        return disk(exc, part.path)
    done = _finished_meanwhile(part, job.source, md5) if offset == 0 and part.whole_is_done else None
    if done is not None:
        part.discard()
    return done


def _finished_meanwhile(part: PartFile, source: Source, md5: str | None) -> Present | None:
    """This file, whole at its name: any whole file there, where the name is its own (made from its id); where
    another post's file may have it, one of the bytes the CDN answers (``md5``). (Not one at the name it would be
    kept apart under: in a folder albums share, that is the name of another album's copy of it.)"""
    size = whole_at(part.dir_fd, part.name, source)
    if size is None:
        return None
    if part.apart is None:
        return Present(size)
    copy = None if md5 is None else copy_at(part.dir_fd, part.name, size)
    return Present(size) if copy is not None and copy.md5 == md5 else None


def _left_by_another(part: PartFile, source: Source, known: Unsure | None) -> Present | Unsure | None:
    """What the process that held ``part`` left once it let go of it: this file, whole (as a file found there at the
    start is), at its name or kept apart by its id; or a copy that may be it (the CDN tells); else ``known``."""
    if part.apart is not None and (size := whole_at(part.dir_fd, part.apart, source)) is not None:
        if not part.folded:
            return Present(size, part.apart)  # (kept apart by its id, as another post's file had its name)
        # (where names ignore case, that name is also an id's that differs only in case: the CDN tells)
        return copy_at(part.dir_fd, part.apart, size, apart=True) or known
    if (size := whole_at(part.dir_fd, part.name, source)) is not None:
        if part.apart is None:
            return Present(size)
        # (at a name another post's file may have, what the other saved there is this file only where the CDN answers
        # those bytes for it: else this one is fetched, and kept apart)
        return known or copy_at(part.dir_fd, part.name, size)
    return known


def _asked_again(unsatisfied: classify.Unsatisfied, job: _Job, headers: dict[str, str],
                 progress: Progress) -> tuple[_Job, dict[str, str]]:
    """The request a 416 to a resume leads to, in the same attempt (a part file is no failure of the server's, and
    costs none of the attempts ``--retries`` allows): where the file is as long as the part file (a run stopped
    between its last byte and its rename), its last byte, so that its ETag, the whole file's MD5, checks the bytes
    held, as any resumed file's does; where it is shorter, or does not say, or the last byte was asked for already,
    the whole file, started over (no range: no 416 to ask again on, three requests at the most)."""
    if unsatisfied.total == job.have and not job.asked_again:
        progress.advance(-1)
        return replace(job, have=job.have - 1, asked_again=True), {**headers, "Range": f"bytes={job.have - 1}-"}
    progress.advance(-job.part.discard())
    return _from_the_start(job, headers)


def _from_the_start(job: _Job, headers: dict[str, str]) -> tuple[_Job, dict[str, str]]:
    """``job``'s request asked again for the whole file (its part file discarded already): a resumed file whose
    bytes do not check (its MD5 not the ETag's) may owe it to those an earlier run left, not to this answer."""
    return replace(job, have=0, asked_again=True), {k: v for k, v in headers.items() if k not in ("Range", "If-Range")}


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
            with cancel.asking():  # (a cancel breaks the wait for the answer too)
                response = session.open_stream(url, headers)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
            cancel.check()
            why = session.failure(exc)
            return Failed(why) if lasting(exc) else Again(why)
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or location is None:
            return response, url
        _finish(response)
        try:
            url = hop(url, location)
        except OffsiteError as exc:
            if host_of(location) in WEB_HOSTS and host_of(url) in MEDIA_HOSTS:  # (Imgur's CDN, not the archive)
                return Failed("Imgur redirected to its web page instead of the file", replaceable=True)
            return Failed(f"{exc} (in a redirect)", replaceable=True)
        if url.endswith(REMOVED_PATH):
            return Failed("removed from Imgur", gone=True, replaceable=True)
    return Failed(f"more than {MAX_REDIRECTS} redirects (a redirect loop)")


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
