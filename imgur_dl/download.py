"""Download one file, safely: stream to ``<name>.part``, verify, then rename.

A file under its final name is always whole and is what was asked for. A
broken connection resumes from the bytes already in the ``.part`` file
(``Range`` + ``If-Range``); a server that ignores the range starts the file
over, never appends twice. Requests go to Imgur's CDN over HTTPS only, and
redirects are followed by hand, each hop checked, a few at most. No body is
written past the size the server or the API announced, or past
``max_size`` when neither did.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3

from imgur_dl import folders, sniff
from imgur_dl.defaults import DEFAULT_MAX_SIZE
from imgur_dl.errors import Cancelled, DownloadError, ImgurDLError, NotMediaError, RemovedError
from imgur_dl.folders import Folders
from imgur_dl.hosts import MEDIA_HOSTS, WEB_HOSTS, OffsiteError, host_of, media_url, redirect_target
from imgur_dl.models import Job, Media, Result, Source, Status
from imgur_dl.naming import PART_SUFFIX
from imgur_dl.progress import Progress
from imgur_dl.session import Cancel, RetryPolicy, describe, retry_after
from imgur_dl.throttle import RateLimit, Throttle

CHUNK = 256 * 1024
REMOVED_PATH = "/removed.png"
ETAG_XATTR = "user.imgur-dl.etag"
MAX_REDIRECTS = 5

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class _Again(Exception):
    """This attempt failed in a way worth another attempt."""

    def __init__(self, reason: str, wait: float | None = None, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.refused = refused
        self.narrowed = False  # this refusal lowered the throttle's limit


@dataclass
class _Target:
    """Where one rendition goes: its folder's descriptor and the two names in it."""

    dir_fd: int
    name: str
    path: Path
    fd: int | None = None  # the open .part, during an attempt

    @property
    def part(self) -> str:
        return self.name + PART_SUFFIX

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@dataclass
class Downloader:
    session: requests.Session
    throttle: Throttle
    cancel: Cancel
    policy: RetryPolicy
    progress: Progress
    folders: Folders
    max_size: int = DEFAULT_MAX_SIZE
    hosts: frozenset[str] = MEDIA_HOSTS  # where files may come from
    hop: Callable[[str, str], str] = redirect_target  # (from, Location) -> the checked next URL
    label: str = "Imgur"  # who refuses, in messages
    skip_present: bool = True  # a regular file of the right size is not fetched again (--no-skip: False)
    rate: RateLimit | None = None  # --limit-rate
    region_blocked: threading.Event = field(default_factory=threading.Event)
    moved: int = 0  # body bytes received, kept or not: what the run really moved
    _sized: set[Path] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fetch(self, job: Job) -> Result:
        """Save ``job``'s media (or find it already saved). Never raises but Cancelled."""
        try:
            return self._fetch_job(job)
        except (Cancelled, KeyboardInterrupt):
            raise
        except sniff.RegionBlocked as exc:
            self.region_blocked.set()
            return Result(job, Status.FAILED, job.path, error=str(exc), region_blocked=True, gone=True)
        except ImgurDLError as exc:
            return Result(job, Status.FAILED, job.path, error=str(exc))
        except OSError as exc:
            return Result(job, Status.FAILED, job.path, error=folders.disk_reason(exc, job.path))
        except Exception as exc:  # noqa: BLE001 - a bug must fail this file, not the run
            return Result(job, Status.FAILED, job.path, error=f"unexpected {type(exc).__name__} (a bug)")

    def _fetch_job(self, job: Job) -> Result:
        if self.region_blocked.is_set():
            raise sniff.RegionBlocked("Imgur blocks this region")
        dir_fd = self.folders.fd(job.path.parent)
        for source, path in zip(job.media.sources, job.paths, strict=True):
            size = folders.regular_size(dir_fd, path.name) if self.skip_present else None
            if size is not None and (source.size is None or size == source.size):
                return Result(job, Status.SKIPPED, path, bytes=size)
        error, gone = "no rendition could be fetched", False
        for n, (source, path) in enumerate(zip(job.media.sources, job.paths, strict=True)):
            last = n == len(job.paths) - 1
            target = _Target(dir_fd, path.name, path)
            try:
                size, url = self._fetch(source, target, job.media, can_fall_back=not last)
                return Result(job, Status.SAVED, path, bytes=size, url=url)
            except sniff.RegionBlocked:
                raise
            except (RemovedError, NotMediaError, OffsiteError, _Refused) as exc:
                error, gone = str(exc), isinstance(exc, RemovedError)
                if last:
                    break
                fallback = job.media.sources[n + 1].ext.upper()
                self.progress.note(f"imgur-dl: {job.media.id}: {source.ext.upper()} not served ({exc}); "
                                   f"trying {fallback}")
        return Result(job, Status.FAILED, job.path, error=error, gone=gone)

    def fetch_source(self, job: Job, source: Source, path: Path) -> tuple[int, str]:
        """Fetch ``source`` to ``path`` for ``job``: (size, the URL the bytes came from); raises on failure."""
        target = _Target(self.folders.fd(path.parent), path.name, path)
        return self._fetch(source, target, job.media, can_fall_back=False)

    # -- one rendition ------------------------------------------------------

    def _fetch(self, source: Source, target: _Target, media: Media, *, can_fall_back: bool) -> tuple[int, str]:
        """Fetch one rendition into place: (its size, the URL the bytes came from).

        A rendition with a fallback (an animation's MP4) gives way at its first
        refusal: Imgur refuses MP4s that do not exist with 429 as well as 404.
        """
        url = media_url(source.url, hosts=self.hosts)
        failures = 0
        refusals = 0
        have = folders.regular_size(target.dir_fd, target.part) or 0
        if have:
            self.progress.advance(have)  # a partial file from an earlier run counts
        while True:
            self.cancel.check()
            try:
                return self._attempt(url, source, target, media, have)
            except _Again as again:
                if self.cancel.is_set():
                    raise Cancelled("interrupted") from None
                if again.refused:
                    refusals += 1
                    if can_fall_back:
                        raise _Refused(again.reason) from None
                    if refusals > self.policy.refusals:
                        raise _Refused(f"{self.label} kept refusing ({again.reason}, {refusals} times); "
                                       "try again later") from None
                    wait = self.policy.server_wait(again.wait, refusals)
                    if again.narrowed:
                        self.progress.note(f"imgur-dl: {host_of(url)}: {again.reason}; "
                                           f"waiting {wait:.1f}s; fewer at a time from now on")
                else:
                    failures += 1
                    if failures > self.policy.retries:
                        raise DownloadError(f"{again.reason} (after {failures} attempts)") from None
                    wait = (again.wait if again.wait is not None else self.policy.backoff(failures))
                    wait = min(wait, self.policy.max_wait)
                self.cancel.sleep(wait)
                have = folders.regular_size(target.dir_fd, target.part) or 0

    def _attempt(self, url: str, source: Source, target: _Target, media: Media, have: int) -> tuple[int, str]:
        # Ranges count bytes of the file itself, so ask for it unencoded.
        headers = {"Accept-Encoding": "identity"}
        target.fd = folders.open_existing(target.dir_fd, target.part) if have else None
        if target.fd is None:
            have = 0  # not a regular file after all: start over
        etag = _read_etag(target.fd) if target.fd is not None else None
        if have:
            headers["Range"] = f"bytes={have}-"
            if etag:
                headers["If-Range"] = etag
        try:
            with self.throttle.slot() as ticket:
                try:
                    response, final = self._request(url, headers)
                    if response.status_code in (200, 206):
                        self.throttle.accepted(ticket)
                    with response, self.cancel.tracking(response):
                        size = self._receive(response, source, target, media, have)
                except _Again as again:
                    if again.refused:
                        again.narrowed = self.throttle.refused(ticket, self.policy.server_wait(again.wait, 1))
                    raise
                self.throttle.succeeded(ticket)
            if etag is not None and target.fd is not None:
                with contextlib.suppress(OSError, AttributeError):
                    os.removexattr(target.fd, ETAG_XATTR)
        finally:
            target.close()
        try:
            folders.publish(target.dir_fd, target.part, target.name)
        except OSError as exc:
            raise DownloadError(folders.disk_reason(exc, target.path)) from None
        return size, final

    def _request(self, url: str, headers: dict[str, str]) -> tuple[requests.Response, str]:
        """GET ``url``, following redirects only while they stay on the CDN: (answer, its URL)."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self.session.get(url, headers=headers, stream=True, allow_redirects=False)
            except requests.RequestException as exc:
                if self.cancel.is_set():
                    raise Cancelled("interrupted") from None
                raise _Again(describe(exc)) from None
            if not response.is_redirect:
                return response, url
            location = response.headers.get("Location", "")
            response.close()
            try:
                url = self.hop(url, location)
            except OffsiteError as exc:
                if host_of(location) in WEB_HOSTS:
                    raise NotMediaError("Imgur redirected to its web page instead of the file") from None
                raise OffsiteError(f"{exc} (in a redirect)") from None
            if url.endswith(REMOVED_PATH):
                raise RemovedError("removed from Imgur")
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects (a redirect loop)")

    def _receive(self, response: requests.Response, source: Source, target: _Target, media: Media,
                 have: int) -> int:
        """Write the body into the ``.part``; the file's full size once it is whole."""
        offset, total = self._accept(response, source, target, have)
        if offset == 0:
            target.close()  # the answer starts the file over: a fresh .part
        chunks = _chunks(response, self.cancel)
        first = b""
        if offset == 0:
            first = _head(chunks)
            expected = (media.width, media.height) if media.width and media.height else None
            sniff.check(first, response.headers.get("Content-Type", ""), source.ext, expected)
        if source.size is not None and total is not None and total != source.size:
            raise DownloadError(f"server has {total} bytes, the API said {source.size}")
        limit = next((v for v in (total, source.size) if v is not None), self.max_size)
        if target.fd is None:
            try:
                target.fd = folders.open_fresh(target.dir_fd, target.part)
            except OSError as exc:
                raise DownloadError(folders.disk_reason(exc, target.path)) from None
        etag = response.headers.get("ETag") if offset == 0 else None
        received = self._write(target.fd, target, _prepend(first, chunks), offset=offset, limit=limit, etag=etag)
        size = offset + received
        for want in (total, source.size):
            if want is not None and size < want:
                raise _Again(f"connection broke at {size} of {want} bytes")  # resumable
            if want is not None and size != want:
                self._discard(target)
                raise DownloadError(f"got {size} bytes, expected {want}")
        return size

    def _accept(self, response: requests.Response, source: Source, target: _Target,
                have: int) -> tuple[int, int | None]:
        """Judge the answer's status and headers: (offset to write at, whole file's size)."""
        status = response.status_code
        if status == 429:
            raise _Again(f"429 {response.reason or 'Too Many Requests'}", retry_after(response),
                         refused=True)
        if status >= 500 or status == 408:
            raise _Again(f"HTTP {status} {response.reason or ''}".strip(), retry_after(response))
        if status == 416 and have:
            self._discard(target)  # our partial is not a prefix of the file: start over
            raise _Again("range not satisfiable; starting over", wait=0)
        if status in (404, 410):
            raise RemovedError(f"not on Imgur (HTTP {status})")
        if status not in (200, 206):
            raise DownloadError(f"HTTP {status} {response.reason or ''}".strip())
        if status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match[1]) != have:
                self._discard(target)
                raise _Again("bad Content-Range; starting over", wait=0)
            offset, total = have, _int(match[3])
        else:
            # A 200 is the whole file, whatever we asked for: start it over.
            offset, total = 0, _int(response.headers.get("Content-Length"))
            if have:
                self.progress.advance(-have)
        if total is not None and total > self.max_size and source.size is None:
            raise DownloadError(f"the file is {total} bytes, more than the limit of {self.max_size} "
                                "(--max-file-size)")
        if source.size is None and total is not None and not self._announced(target.path):
            self.progress.expect(size=total)  # the API did not say; now the server has
        return offset, total

    def _write(self, fd: int, target: _Target, chunks: Iterator[bytes], *, offset: int, limit: int,
               etag: str | None) -> int:
        """Stream ``chunks`` into ``fd`` at ``offset``, never past ``limit``; the bytes received."""
        received = 0
        room = limit - offset
        try:
            os.ftruncate(fd, offset)  # drop anything past what we resume from
            os.lseek(fd, offset, os.SEEK_SET)
            for chunk in chunks:
                received += len(chunk)
                if received > room:
                    raise _TooLong(limit)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
                self.progress.advance(len(chunk))
                with self._lock:
                    self.moved += len(chunk)
                if self.rate is not None:
                    self.rate.take(len(chunk))
            os.fsync(fd)
        except _TooLong as exc:
            self._discard(target)
            raise DownloadError(f"the server sent more than the {exc.limit} bytes expected") from None
        except OSError as exc:
            self._discard(target)
            raise DownloadError(folders.disk_reason(exc, target.path)) from None
        except BaseException:
            # A broken connection or a cancel: the partial file stays for a
            # resume, with the ETag that a later If-Range needs.
            if offset == 0 and received:
                _keep_etag(fd, etag)
            raise
        return received

    # -- bookkeeping ------------------------------------------------------

    def _announced(self, path: Path) -> bool:
        """Whether this file's size was already added to the progress total."""
        with self._lock:
            if path in self._sized:
                return True
            self._sized.add(path)
            return False

    def _discard(self, target: _Target) -> None:
        """Delete a partial file that cannot be resumed, and take back its progress."""
        size = folders.regular_size(target.dir_fd, target.part) or 0
        with contextlib.suppress(OSError):
            folders.remove(target.dir_fd, target.part)
        self.progress.advance(-size)


class _Refused(DownloadError):
    """Imgur answered 429 more often than the policy waits for."""


class _TooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _chunks(response: requests.Response, cancel: Cancel) -> Iterator[bytes]:
    """The body as it arrives; a broken connection ends it with :class:`_Again`.

    ``read1`` hands over whatever has arrived, so the bytes received before a
    connection drops reach the ``.part`` file and a retry resumes after them.
    """
    raw = response.raw
    read: Callable[..., bytes] = getattr(raw, "read1", None) or raw.read
    while True:
        try:
            chunk = read(CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
            if cancel.is_set():
                raise Cancelled("interrupted") from None
            raise _Again(describe(exc)) from None
        if cancel.is_set():
            raise Cancelled("interrupted")
        if not chunk:
            return
        yield chunk


def _head(chunks: Iterator[bytes]) -> bytes:
    """At least :data:`sniff.HEAD` leading bytes (fewer only if the body is shorter)."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= sniff.HEAD:
            break
    return head


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _read_etag(fd: int) -> str | None:
    try:
        return os.getxattr(fd, ETAG_XATTR).decode("ascii")
    except (OSError, AttributeError, UnicodeDecodeError):
        return None


def _keep_etag(fd: int, etag: str | None) -> None:
    """Keep the ETag with a partial file, so a later run resumes it with If-Range.

    Where the file system has no extended attributes, resumes use Range alone
    and the size checks.
    """
    if etag and etag.isascii() and etag.isprintable() and len(etag) < 200:
        with contextlib.suppress(OSError, AttributeError, UnicodeEncodeError):
            os.setxattr(fd, ETAG_XATTR, etag.encode("ascii"))
