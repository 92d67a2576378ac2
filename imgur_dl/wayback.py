"""``--wayback``: bring back from the Internet Archive what Imgur no longer serves.

Asked only with ``--wayback``: archive.org is a third party. For a file that
Imgur answered with its ``removed.png``, a 404 or the region placeholder,
the CDX server lists the captures of its direct link
(``web.archive.org/cdx/search/cdx?url=i.imgur.com/<id>.<ext>&output=json``,
HTTP 200 captures only); each is fetched in its original bytes with the
``id_`` form (``web.archive.org/web/<timestamp>id_/<url>``), newest first,
until one is good. The archive's index is case-insensitive and Imgur's ids
are not, so a capture counts only if its original URL names exactly the file
asked for, and every redirect the archive answers must stay on that file.
Bytes pass the same checks as Imgur's (size when the API gave one, the media
kind, no placeholder), through a downloader of their own: few requests at
once, and the archive's 429s and ``Retry-After`` honoured. The index is asked
at most 24 times a minute (80% of its limit), and not at all for a minute
after it refuses (:mod:`imgur_dl.pacing`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from imgur_dl.bounded import TooLarge, Unreachable, get_bounded
from imgur_dl.cancel import Cancel
from imgur_dl.dates import capture_time, upload_time
from imgur_dl.downloader import Downloader, saved_at
from imgur_dl.errors import ImgurDLError
from imgur_dl.hosts import ARCHIVE_HOSTS, CDN_HOST, OffsiteError, redirect_target
from imgur_dl.models import Job, Origin, Result, Source, Status
from imgur_dl.outcomes import Present, Saved
from imgur_dl.pacing import Pacing
from imgur_dl.retry import RetryPolicy
from imgur_dl.session import Session

CDX = "https://web.archive.org/cdx/search/cdx"
REPLAY = "https://web.archive.org/web/{timestamp}id_/{original}"
# Requests to the archive at once: it is slow, shared and rate-limited.
WORKERS = 2
# Captures tried per link looked up (a JPEG has two: spellings), newest first, before giving up on it.
TRIES = 4
# Look-ups in a row the archive gives no answer to (after their retries, or past their refusals) before it is asked
# nothing more this run: it is down, or shuts this address out (for an hour, after a minute of 429s: pacing.py).
MOST_UNANSWERED = 3
MAX_INDEX = 4 * 1024 * 1024

_REPLAY_PATH = re.compile(r"^/web/(\d{1,14})id_/(.+)$")


class WaybackError(ImgurDLError):
    """The archive could not be asked, or answered nothing usable."""


@dataclass(frozen=True)
class Capture:
    timestamp: str
    original: str
    mimetype: str
    file: str  # the file its original URL names (same_file)


def same_file(url: str) -> str | None:
    """``url`` as the file it names: host (lower-cased) and path (as is), no scheme or port; None for what names
    none (an unclosed '[', a character Unicode reads as one that ends the address: '\u2100' is "a/c")."""
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError:
        return None
    return (parts.hostname or "").lower() + parts.path


def spellings(url: str) -> list[str]:
    """The links that name ``url``'s file on the CDN: a JPEG's ``.jpg`` and ``.jpeg`` links are one file, and it may
    have been captured under either (the API spells it ``.jpeg``; most captures are of the ``.jpg`` links shared
    for years before it did: asked first)."""
    stem, dot, ext = url.rpartition(".")
    if dot and ext.lower() in ("jpg", "jpeg"):
        return [f"{stem}.jpg", f"{stem}.jpeg"]
    return [url]


def capture_redirect(base: str, location: str) -> str:
    """A redirect inside the archive, allowed only to another capture of the same file."""
    target = redirect_target(base, location, hosts=ARCHIVE_HOSTS)
    before, after = (_REPLAY_PATH.match(urlsplit(u).path) for u in (base, target))
    if before is None or after is None or (file := same_file(after[2])) is None or same_file(before[2]) != file:
        raise OffsiteError("refused a capture of another file")
    return target


class Wayback:
    """Looks files up in the Wayback Machine and fetches good captures."""

    def __init__(self, session: Session, downloader: Downloader, policy: RetryPolicy, cancel: Cancel,
                 say: Callable[[str], None], *, pacing: Pacing) -> None:
        self.session = session
        self.downloader = downloader
        self.policy = policy
        self.cancel = cancel
        self.say = say
        self.pacing = pacing  # the index's look-ups, from every thread (CDX_PER_MINUTE)
        self._lock = threading.Lock()
        self._unanswered = 0  # look-ups in a row that got no answer
        self._given_up: str | None = None  # why the archive is asked nothing more this run

    def recover(self, failed: Result) -> Result:
        """``failed`` (a file Imgur no longer serves) from a capture, or still failed, saying why."""
        job = failed.job
        reasons: list[str] = []
        for source, path in zip(job.media.sources, job.paths, strict=True):
            for link in spellings(source.url):
                try:
                    captures = self.captures(link)
                except WaybackError as exc:
                    return _failed(failed, f"the Wayback Machine could not be asked ({exc})")
                for capture in captures[:TRIES]:
                    if (recovered := self._fetched(job, source, path, capture, reasons)) is not None:
                        return recovered
        why = "no capture in the Wayback Machine" if not reasons else \
            f"no good capture in the Wayback Machine ({'; '.join(reasons[:3])})"
        return _failed(failed, why)

    def _fetched(self, job: Job, source: Source, path: Path, capture: Capture, reasons: list[str]) -> Result | None:
        """The file, from ``capture``; None when the capture is not good, and why in ``reasons``."""
        url = REPLAY.format(timestamp=capture.timestamp, original=capture.original)
        # Dated by its upload time when the API still knows it, else by the capture's.
        mtime = upload_time(job) or capture_time(capture.timestamp)
        outcome = self.downloader.fetch_into(job, replace(source, url=url), path, mtime)
        if isinstance(outcome, Saved):
            return Result(job, Status.SAVED, saved_at(path, outcome), bytes=outcome.size, url=outcome.url,
                          source=Origin.WAYBACK, capture=capture.timestamp, sha256=outcome.sha256)
        if isinstance(outcome, Present):
            return Result(job, Status.SKIPPED, path, bytes=outcome.size)
        why = "the capture is Imgur's region placeholder" if outcome.region else outcome.reason
        reasons.append(f"{capture.timestamp}: {why}")
        return None

    def captures(self, url: str) -> list[Capture]:
        """Good-looking captures of exactly ``url`` (HTTP 200, a media type), newest first."""
        wanted = same_file(url)
        return [] if wanted is None else [c for c in self._index(wanted, prefix=False) if c.file == wanted]

    def find_extension(self, image_id: str) -> str | None:
        """For an id Imgur no longer knows: the extension of its newest capture on the CDN, if any."""
        pattern = re.compile(rf"^{CDN_HOST}/{re.escape(image_id)}\.([a-z0-9]{{3,4}})$")
        for capture in self._index(f"{CDN_HOST}/{image_id}.", prefix=True):
            match = pattern.match(capture.file)
            if match and match[1] in ("jpg", "jpeg", "png", "gif", "mp4", "webp"):
                return "jpg" if match[1] == "jpeg" else match[1]
        return None

    def _index(self, url: str, *, prefix: bool) -> list[Capture]:
        params = {"url": url, "output": "json", "fl": "timestamp,original,mimetype,statuscode",
                  "filter": "statuscode:200", "limit": "-200"}
        if prefix:
            params["matchType"] = "prefix"
        if self._given_up is not None:
            raise WaybackError(self._given_up)
        try:
            answer = get_bounded(self.session, CDX, params=params, policy=self.policy, cancel=self.cancel,
                                 limit=MAX_INDEX, speed=self.downloader.transfer.speed,  # (as its files')
                                 clock=self.downloader.transfer.clock, pacing=self.pacing,
                                 waiting=lambda reason, wait: self.say(
                                     f"imgur-dl: web.archive.org: {reason} - waiting {wait:.0f}s"))
        except TooLarge as exc:
            raise WaybackError(str(exc)) from None
        except Unreachable as exc:
            self._heard(str(exc))
            raise WaybackError(str(exc)) from None
        status = f"HTTP {answer.status} {answer.reason}".strip()
        self._heard(status if answer.status == 429 or answer.status >= 500 else None)  # (what retries left)
        if answer.status != 200:
            raise WaybackError(status)
        try:
            rows = json.loads(answer.body) if answer.body.strip() else []
        except (ValueError, RecursionError):
            raise WaybackError("its index answered something that is not JSON") from None
        return _captures(rows)

    def _heard(self, failure: str | None) -> None:
        """How a look-up ended: ``failure``, why no answer came, or None for an answer."""
        with self._lock:
            self._unanswered = self._unanswered + 1 if failure is not None else 0
            if failure is None or self._unanswered < MOST_UNANSWERED or self._given_up is not None:
                return
            self._given_up = f"no answer to {MOST_UNANSWERED} look-ups in a row in this run, the last: {failure}"
        self.say(f"imgur-dl: web.archive.org: {self._given_up}; the Wayback Machine is asked nothing more")


def _captures(rows: object) -> list[Capture]:
    """Rows of a CDX JSON answer (a header row first) as captures, newest first; junk rows skipped."""
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], list):
        return []
    header = rows[0]
    found = []
    for row in rows[1:]:
        if not isinstance(row, list) or len(row) != len(header) or not all(isinstance(v, str) for v in row):
            continue
        record = dict(zip(header, row, strict=True))
        timestamp, original = record.get("timestamp", ""), record.get("original", "")
        mime = record.get("mimetype", "")
        if (record.get("statuscode") != "200" or not re.fullmatch(r"\d{14}", timestamp)
                or not original.isprintable() or not mime.startswith(("image/", "video/"))
                or (file := same_file(original)) is None):
            continue
        found.append(Capture(timestamp, original, mime, file))
    found.sort(key=lambda c: c.timestamp, reverse=True)
    return found


def _failed(failed: Result, why: str) -> Result:
    return replace(failed, error=f"{failed.error}; {why}", region_blocked=False, gone=False)  # asked: done
