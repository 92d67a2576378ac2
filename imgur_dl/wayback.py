"""``--wayback``: bring back from the Internet Archive what Imgur no longer serves.

Asked only with ``--wayback``: archive.org is a third party. For a file that
Imgur answered with its ``removed.png``, a 404 or the region placeholder,
the archive is first asked for the capture of its direct link nearest the
minute it was uploaded (``web.archive.org/web/<minute>id_/<link>``): it
answers with a redirect to that capture (``found capture at <timestamp>``),
or 404 when it holds none, without a look-up in its index, whose limit is
far lower. That capture is fetched in its original bytes (the ``id_`` form,
``web.archive.org/web/<timestamp>id_/<url>``). Only when it is not good, or
the file's upload time is unknown, does the CDX server list the captures of
the link (``web.archive.org/cdx/search/cdx?url=i.imgur.com/<id>.<ext>&output=json``,
HTTP 200 captures only), each fetched in turn, newest first, until one is
good. The archive's index is case-insensitive and Imgur's ids
are not, so a capture counts only if its original URL names exactly the file
asked for, and every redirect the archive answers must stay on that file.
Bytes pass the same checks as Imgur's (size when the API gave one, the media
kind, no placeholder), through a downloader of their own: few requests at
once, and the archive's 429s and ``Retry-After`` honoured. The index is asked
at most 24 times a minute (80% of its limit), the nearest captures at most
240 times (with the fetch each leads to, 80% of the replays the archive
takes), and neither for a minute after a refusal (:mod:`imgur_dl.pacing`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from imgur_dl.bounded import Answer, TooLarge, Unreachable, get_bounded, transient
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
# The capture nearest a moment: asked with a timestamp to the minute, which no capture has (they are to the second),
# the archive always redirects to one ("found capture at ..."), or answers 404 when it holds none of the link.
NEAREST = "https://web.archive.org/web/{minute}id_/{link}"
# Requests to the archive at once: it is slow, shared and rate-limited.
WORKERS = 2
# Captures tried per link looked up (a JPEG has two: spellings), newest first, before giving up on it.
TRIES = 4
# Look-ups in a row the archive gives no answer to (after their retries, or past their refusals) before it is asked
# nothing more this run: it is down, or shuts this address out (for an hour, after a minute of 429s: pacing.py).
MOST_UNANSWERED = 3
MAX_INDEX = 4 * 1024 * 1024
# Rows an index answer holds at most (the last ones: ``limit=-200``); an answer that many long may have left some out.
ROWS = 200

_REPLAY_PATH = re.compile(r"^/web/(\d{1,14})id_/(.+)$")


class WaybackError(ImgurDLError):
    """The archive could not be asked, or answered nothing usable."""


@dataclass(frozen=True)
class Capture:
    timestamp: str
    original: str
    mimetype: str
    file: str  # the file its original URL names (same_file)


@dataclass(frozen=True)
class Nearest:
    """What the archive said of a link asked for its capture nearest a moment."""

    archived: bool  # False: it holds no capture of the link at all (its index need not be asked)
    capture: Capture | None = None  # the capture it pointed to, when that is one of exactly this file


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


def _replayed(url: str) -> Capture | None:
    """The capture a replay link (``web.archive.org/web/<timestamp>id_/<original>``) asks for; None where it names
    no file."""
    found = _REPLAY_PATH.match(urlsplit(url).path)
    file = None if found is None else same_file(found[2])
    return None if found is None or file is None else Capture(found[1], found[2], "", file)


def capture_redirect(base: str, location: str) -> str:
    """A redirect inside the archive, allowed only to another capture of the same file."""
    target = redirect_target(base, location, hosts=ARCHIVE_HOSTS)
    before, after = _replayed(base), _replayed(target)
    if before is None or after is None or before.file != after.file:
        gone = after is not None and after.file == f"{CDN_HOST}/removed.png"  # (what a deleted file was)
        raise OffsiteError("refused Imgur's removed.png, captured once the file was gone" if gone else
                           "refused a capture of another file")
    return target


def pointed_to(asked: str, status: int, location: str | None) -> Nearest:
    """What the archive's answer (``status``, ``location``) to ``asked``, a replay of a link at a moment that no
    capture has, says of the link's captures."""
    if status == 404:  # "The Wayback Machine has not archived that URL."
        return Nearest(archived=False)
    if status not in (301, 302, 303, 307, 308) or not location:
        return Nearest(archived=True)  # (no capture pointed to: its index can tell)
    try:
        capture = _replayed(capture_redirect(asked, location))  # (one of the file asked for, or refused)
    except OffsiteError:  # (a capture of another file under the same key, say: this link's, its index can tell)
        return Nearest(archived=True)
    if capture is None or not re.fullmatch(r"\d{14}", capture.timestamp):
        return Nearest(archived=True)
    return Nearest(archived=True, capture=capture)


class Wayback:
    """Looks files up in the Wayback Machine and fetches good captures."""

    def __init__(self, session: Session, downloader: Downloader, policy: RetryPolicy, cancel: Cancel,
                 say: Callable[[str], None], *, pacing: Pacing, replays: Pacing) -> None:
        self.session = session
        self.downloader = downloader
        self.policy = policy
        self.cancel = cancel
        self.say = say
        self.pacing = pacing  # the index's look-ups, from every thread (CDX_PER_MINUTE)
        self.replays = replays  # ... and the nearest captures asked for (REPLAY_PER_MINUTE)
        self._lock = threading.Lock()
        self._unanswered = 0  # look-ups in a row that got no answer
        self._given_up: str | None = None  # why the archive is asked nothing more this run
        # What a prefix look-up found of each id Imgur no longer knows (by its prefix, ``i.imgur.com/<id>.``): the
        # captures of each of its files (the first TRIES), kept for its recovery instead of asking again.
        self._found: dict[str, dict[str, list[Capture]]] = {}

    def recover(self, failed: Result) -> Result:
        """``failed`` (a file Imgur no longer serves) from a capture, or still failed, saying why."""
        if self.downloader.disk_full.is_set():  # (nothing brought back could be saved: the archive is not asked)
            return _failed(failed, "not looked for in the Wayback Machine: the disk is full")
        reasons: list[str] = []
        when = upload_time(failed.job)
        try:
            for source, path in zip(failed.job.media.sources, failed.job.paths, strict=True):
                if (recovered := self._recovered(failed.job, source, path, when, reasons)) is not None:
                    return recovered if recovered.status is not Status.FAILED else _failed(failed, str(recovered.error))
        except WaybackError as exc:
            return _failed(failed, f"the Wayback Machine could not be asked ({exc})")
        why = "no capture in the Wayback Machine" if not reasons else \
            f"no good capture in the Wayback Machine ({'; '.join(reasons[:3])})"
        return _failed(failed, why)

    def _recovered(self, job: Job, source: Source, path: Path, when: float | None,
                   reasons: list[str]) -> Result | None:
        """``source`` from a good capture: first the one nearest its upload (``when``, if known), of each of its
        links, found with no look-up in the index; then the index's, of the links the archive holds any of. None
        when none is good (why, in ``reasons``)."""
        links = spellings(source.url)
        tried: set[tuple[str, str]] = set()  # the captures fetched already (file, timestamp)
        if when is not None:
            held = []  # the links the archive holds captures of
            for link in links:
                nearest = self.nearest(link, when)
                held += [link] if nearest.archived else []
                if nearest.capture is not None:
                    tried.add((nearest.capture.file, nearest.capture.timestamp))
                    if (recovered := self._fetched(job, source, path, nearest.capture, reasons, when=when)) is not None:
                        return recovered
            links = held
        for link in links:
            for capture in [c for c in self.captures(link) if (c.file, c.timestamp) not in tried][:TRIES]:
                if (recovered := self._fetched(job, source, path, capture, reasons, when=when)) is not None:
                    return recovered
        return None

    def nearest(self, link: str, when: float) -> Nearest:
        """The archive's capture of ``link`` nearest ``when`` (seconds since the epoch), as its replay points to it."""
        asked = NEAREST.format(minute=time.strftime("%Y%m%d%H%M", time.gmtime(when)), link=link)
        answer = self._ask(asked, pacing=self.replays, reader=_unread)
        return pointed_to(asked, answer.status, answer.headers.get("Location"))

    def _fetched(self, job: Job, source: Source, path: Path, capture: Capture, reasons: list[str], *,
                 when: float | None) -> Result | None:
        """The file, from ``capture`` (failed: not written here); None where it is no good, why in ``reasons``."""
        url = REPLAY.format(timestamp=capture.timestamp, original=capture.original)
        # Dated by its upload time (``when``) when the API still knows it, else by the capture's.
        mtime = when or capture_time(capture.timestamp)
        outcome = self.downloader.fetch_into(job, replace(source, url=url), path, mtime, capture=capture.timestamp)
        if isinstance(outcome, Saved):
            return Result(job, Status.SAVED, saved_at(path, outcome), bytes=outcome.size, url=outcome.url,
                          source=Origin.WAYBACK, capture=capture.timestamp, sha256=outcome.sha256)
        if isinstance(outcome, Present):
            return Result(job, Status.SKIPPED, saved_at(path, outcome), bytes=outcome.size)
        if outcome.local:  # (no other capture would be saved either: none is asked for)
            return Result(job, Status.FAILED, path, error=f"its capture of {capture.timestamp} in the Wayback Machine "
                                                        f"could not be saved: {outcome.reason}")
        why = "the capture is Imgur's region placeholder" if outcome.region else outcome.reason
        reasons.append(f"{capture.timestamp}: {why}")
        return None

    def captures(self, url: str) -> list[Capture]:
        """Good-looking captures of exactly ``url`` (HTTP 200, a media type), newest first (of an id looked up by
        its prefix: what that found, not asked again)."""
        wanted = same_file(url)
        if wanted is None:
            return []
        with self._lock:
            found = self._found.get(wanted.rpartition(".")[0] + ".")
            if found is not None:
                return found.pop(wanted, [])
        return [c for c in self._index(wanted, prefix=False)[0] if c.file == wanted]

    def find_extension(self, image_id: str) -> str | None:
        """For an id Imgur no longer knows: the extension of its newest capture on the CDN, if any."""
        prefix = f"{CDN_HOST}/{image_id}."
        captures, rows = self._index(prefix, prefix=True)
        files = _media_files(captures, prefix)
        if rows < ROWS:  # (the whole of what the index holds for the id: its files' captures are all here)
            with self._lock:
                self._found[prefix] = files
        newest = next(iter(files), None)
        return None if newest is None else "jpg" if newest.endswith(".jpeg") else newest.rpartition(".")[2]

    def _index(self, url: str, *, prefix: bool) -> tuple[list[Capture], int]:
        """Captures the index lists for ``url``, good-looking ones only, newest first; and how many rows it gave."""
        params = {"url": url, "output": "json", "fl": "timestamp,original,mimetype,statuscode",
                  "filter": "statuscode:200", "limit": f"-{ROWS}"}
        if prefix:
            params["matchType"] = "prefix"
        answer = self._ask(CDX, params=params, pacing=self.pacing)
        if answer.status != 200:
            raise WaybackError(answer.line + answer.after)
        try:
            rows = json.loads(answer.body) if answer.body.strip() else []
        except (ValueError, RecursionError):
            raise WaybackError("its index answered something that is not JSON") from None
        return _captures(rows), len(rows) - 1 if isinstance(rows, list) and rows else 0  # (less its header)

    def _ask(self, url: str, *, pacing: Pacing, params: dict[str, str] | None = None,
             reader: Callable[[Iterator[bytes]], object] | None = None) -> Answer:
        """The archive's answer to ``url``, paced by ``pacing``, after retries; :class:`WaybackError` when there
        is none (or the archive is asked nothing more)."""
        if self._given_up is not None:
            raise WaybackError(self._given_up)
        try:
            answer = get_bounded(self.session, url, params=params, policy=self.policy, cancel=self.cancel,
                                 limit=MAX_INDEX, reader=reader,
                                 speed=self.downloader.transfer.speed,  # (as its files')
                                 clock=self.downloader.transfer.clock, pacing=pacing,
                                 waiting=lambda reason, wait: self.say(
                                     f"imgur-dl: web.archive.org: {reason} - waiting {wait:.0f}s"))
        except TooLarge as exc:
            raise WaybackError(str(exc)) from None
        except Unreachable as exc:
            self._heard(str(exc))
            raise WaybackError(str(exc)) from None
        self._heard(transient(answer))  # (what retries left: a 429 or 5xx, said; an answer, None)
        return answer

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
    if not all(isinstance(name, str) for name in header):  # (no field's name: a list or an object among them)
        return []
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


def _media_files(captures: list[Capture], prefix: str) -> dict[str, list[Capture]]:
    """The media files named ``<prefix><extension>`` among ``captures`` (newest first), newest first, each with its
    first TRIES captures."""
    pattern = re.compile(rf"^{re.escape(prefix)}([a-z0-9]{{3,4}})$")
    files: dict[str, list[Capture]] = {}
    for capture in captures:
        match = pattern.match(capture.file)
        if match and match[1] in ("jpg", "jpeg", "png", "gif", "mp4", "webp"):
            kept = files.setdefault(capture.file, [])
            kept += [capture] if len(kept) < TRIES else []
    return files


def _unread(chunks: Iterator[bytes]) -> None:
    """A capture's bytes, where only where it is was asked: not read (the answer is let go unread)."""


def _failed(failed: Result, why: str) -> Result:
    return replace(failed, error=f"{failed.error}; {why}", region_blocked=False, gone=False)  # asked: done
