"""Download one file, safely: stream to ``<name>.part``, verify, then rename.

A file under its final name is always whole. A broken connection resumes
from the bytes already in the ``.part`` file (``Range`` + ``If-Range``); a
server that ignores the range starts the file over, never appends twice.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3

from imgur_dl.errors import Cancelled, DownloadError, RemovedError
from imgur_dl.models import Job, Result, Source, Status
from imgur_dl.naming import part_path
from imgur_dl.progress import Quiet
from imgur_dl.session import Cancel, RetryPolicy, Throttle, describe, retry_after

CHUNK = 256 * 1024
REMOVED_PATH = "/removed.png"
ETAG_XATTR = "user.imgur-dl.etag"
# 429s for one rendition before an animation's GIF is tried instead of its MP4.
REFUSALS_BEFORE_FALLBACK = 3
# 429s one file may meet in all: the throttle makes them rare, this makes them finite.
MAX_REFUSALS = 30

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class _Again(Exception):
    """This attempt failed in a way worth another attempt."""

    def __init__(self, reason: str, wait: float | None = None, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.refused = refused


class _Fallback(Exception):
    """Give up on this rendition; try the next one."""


def is_complete(path: Path, size: int | None) -> bool:
    """True when ``path`` exists with the expected size (any size when unknown)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return size is None or st.st_size == size


@dataclass
class Downloader:
    session: requests.Session
    throttle: Throttle
    cancel: Cancel
    policy: RetryPolicy
    progress: Quiet
    say: Callable[[str], None]
    _folders: set[Path] = field(default_factory=set)
    _sized: set[Path] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fetch(self, job: Job) -> Result:
        """Save ``job``'s media (or find it already saved). Never raises but Cancelled."""
        for source, path in zip(job.media.sources, job.paths, strict=False):
            if is_complete(path, source.size):
                return Result(job, Status.SKIPPED, path, bytes=path.stat().st_size)
        error = ""
        for n, (source, path) in enumerate(zip(job.media.sources, job.paths, strict=False)):
            last = n == len(job.paths) - 1
            try:
                size = self._fetch(source, path, can_fall_back=not last)
                return Result(job, Status.SAVED, path, bytes=size)
            except _Fallback as exc:
                fallback = job.media.sources[n + 1].ext.upper()
                self.say(f"imgur-dl: {job.media.id}: {source.ext.upper()} refused ({exc}); trying {fallback}")
                continue
            except RemovedError as exc:
                return Result(job, Status.FAILED, path, error=str(exc))
            except DownloadError as exc:
                error = str(exc)
                break
        return Result(job, Status.FAILED, job.path, error=error or "no rendition could be fetched")

    # -- one rendition ------------------------------------------------------

    def _fetch(self, source: Source, path: Path, *, can_fall_back: bool) -> int:
        part = part_path(path)
        self._make_dir(path.parent)
        failures = 0
        refusals = 0
        have = _size(part)
        if have:
            self.progress.advance(have)  # a partial file from an earlier run counts
        while True:
            self.cancel.check()
            try:
                return self._attempt(source, path, part, have)
            except _Again as again:
                if self.cancel.is_set():
                    raise Cancelled("interrupted") from None
                if again.refused:
                    refusals += 1
                    if can_fall_back and refusals >= REFUSALS_BEFORE_FALLBACK:
                        raise _Fallback(again.reason) from None
                    if refusals > MAX_REFUSALS:
                        raise DownloadError(f"{again.reason} (refused {refusals} times)") from None
                    wait = self.policy.server_wait(again.wait, refusals)
                    if self.throttle.refused(wait):
                        self.say(f"imgur-dl: i.imgur.com: {again.reason}; "
                                 f"waiting {wait:.1f}s, {self.throttle.limit} at a time")
                else:
                    failures += 1
                    if failures > self.policy.retries:
                        raise DownloadError(f"{again.reason} (after {failures} attempts)") from None
                    wait = (again.wait if again.wait is not None else self.policy.backoff(failures))
                    wait = min(wait, self.policy.max_wait)
                self.cancel.sleep(wait)
                have = _size(part)  # what the failed attempt left for the next to resume

    def _attempt(self, source: Source, path: Path, part: Path, have: int) -> int:
        # Ranges count bytes of the file itself, so ask for it unencoded.
        headers = {"Accept-Encoding": "identity"}
        etag = _read_etag(part) if have else None
        if have:
            headers["Range"] = f"bytes={have}-"
            if etag:
                headers["If-Range"] = etag
        with self.throttle.slot():
            try:
                response = self.session.get(source.url, headers=headers, stream=True)
            except requests.RequestException as exc:
                if self.cancel.is_set():
                    raise Cancelled("interrupted") from None
                raise _Again(describe(exc)) from None
            with response, self.cancel.tracking(response):
                size = self._receive(response, source, part, have)
            self.throttle.succeeded()
        _publish(part, path, tagged=etag is not None)
        return size

    def _receive(self, response: requests.Response, source: Source, part: Path, have: int) -> int:
        """Write the body to ``part``; return the file's full size once it is whole."""
        offset, total = self._accept(response, source, part, have)
        etag = response.headers.get("ETag") if offset == 0 else None
        received = self._write(response, part, offset, etag)
        size = offset + received
        for want in (total, source.size):
            if want is not None and size < want:
                raise _Again(f"connection broke at {size} of {want} bytes")  # resumable
            if want is not None and size != want:
                self._discard(part)
                raise DownloadError(f"got {size} bytes, expected {want}")
        return size

    def _accept(self, response: requests.Response, source: Source, part: Path, have: int) -> tuple[int, int | None]:
        """Judge the answer's status and headers: (offset to write at, whole file's size)."""
        if response.url.endswith(REMOVED_PATH) and not source.url.endswith(REMOVED_PATH):
            raise RemovedError("removed from Imgur")
        status = response.status_code
        if status == 429:
            raise _Again("429 Too Many Requests", retry_after(response), refused=True)
        if status >= 500 or status == 408:
            raise _Again(f"HTTP {status} {response.reason}", retry_after(response))
        if status == 416 and have:
            self._discard(part)  # our partial is not a prefix of the file: start over
            raise _Again("range not satisfiable; starting over", wait=0)
        if status not in (200, 206):
            raise DownloadError(f"HTTP {status} {response.reason}".strip())
        if status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match[1]) != have:
                self._discard(part)
                raise _Again("bad Content-Range; starting over", wait=0)
            offset, total = have, _int(match[3])
        else:
            # A 200 is the whole file, whatever we asked for: start it over.
            offset, total = 0, _int(response.headers.get("Content-Length"))
            if have:
                self.progress.advance(-have)
        if source.size is not None and total is not None and total != source.size:
            raise DownloadError(f"server has {total} bytes, the API said {source.size}")
        if source.size is None and total is not None and not self._announced(part):
            self.progress.expect(size=total)  # the API did not say; now the server has
        return offset, total

    def _write(self, response: requests.Response, part: Path, offset: int, etag: str | None) -> int:
        """Stream the body into ``part`` at ``offset``; the bytes received.

        Plain descriptor calls: one open, writes, one fsync, one close per file.
        """
        received = 0
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise DownloadError(_disk_reason(exc, part)) from None
        try:
            os.ftruncate(fd, offset)  # drop anything past what we resume from
            os.lseek(fd, offset, os.SEEK_SET)
            for chunk in _chunks(response, self.cancel):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
                received += len(chunk)
                self.progress.advance(len(chunk))
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            self._discard(part)
            raise DownloadError(_disk_reason(exc, part)) from None
        except BaseException:
            # A broken connection or a cancel: the partial file stays for a
            # resume, with the ETag that a later If-Range needs.
            if offset == 0 and received:
                _keep_etag(fd, etag)
            os.close(fd)
            raise
        os.close(fd)
        return received

    # -- bookkeeping ------------------------------------------------------

    def _make_dir(self, folder: Path) -> None:
        if folder in self._folders:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadError(_disk_reason(exc, folder)) from None
        with self._lock:
            self._folders.add(folder)

    def _announced(self, part: Path) -> bool:
        """Whether this file's size was already added to the progress total."""
        with self._lock:
            if part in self._sized:
                return True
            self._sized.add(part)
            return False

    def _discard(self, part: Path) -> None:
        """Delete a partial file that cannot be resumed, and take back its progress."""
        size = _size(part)
        with contextlib.suppress(OSError):
            part.unlink()
        self.progress.advance(-size)


def _chunks(response: requests.Response, cancel: Cancel) -> Iterator[bytes]:
    """The body as it arrives; a broken connection ends it with :class:`_Again`.

    ``read1`` hands over whatever has arrived, so the bytes received before a
    connection drops reach the ``.part`` file and a retry resumes after them.
    """
    raw = response.raw
    read = getattr(raw, "read1", None) or raw.read
    while True:
        try:
            chunk = read(CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            if cancel.is_set():
                raise Cancelled("interrupted") from None
            raise _Again(describe(exc)) from None
        if cancel.is_set():
            raise Cancelled("interrupted")
        if not chunk:
            return
        yield chunk


def _publish(part: Path, path: Path, *, tagged: bool) -> None:
    """Move a verified ``.part`` into place: the only way a final name appears."""
    if tagged:
        with contextlib.suppress(OSError, AttributeError):
            os.removexattr(part, ETAG_XATTR)
    try:
        os.replace(part, path)
    except OSError as exc:
        raise DownloadError(_disk_reason(exc, path)) from None


def _disk_reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device for {path}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: {exc.strerror}"
    return f"cannot write {path}: {exc.strerror or exc}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _read_etag(part: Path) -> str | None:
    try:
        return os.getxattr(part, ETAG_XATTR).decode("ascii")
    except (OSError, AttributeError, UnicodeDecodeError):
        return None


def _keep_etag(fd: int, etag: str | None) -> None:
    """Keep the ETag with a partial file, so a later run resumes it with If-Range.

    Where the file system has no extended attributes, resumes use Range alone
    and the size checks.
    """
    if etag:
        with contextlib.suppress(OSError, AttributeError, UnicodeEncodeError):
            os.setxattr(fd, ETAG_XATTR, etag.encode("ascii"))
