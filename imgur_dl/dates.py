"""When a file was uploaded, as the API tells it (or, where it tells nothing, when the server last changed it): the
time a saved file carries. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from imgur_dl.models import Album, Job, Media

_ISO = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?")
_CAPTURE = re.compile(r"\d{14}")
# Times before Imgur (2009) or far in the future are not believed.
_EARLIEST = datetime(2009, 1, 1, tzinfo=timezone.utc).timestamp()
_LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp()


def parse_iso(text: str) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (UTC when no zone is given); None for anything else."""
    match = _ISO.fullmatch(text)
    seconds = None if match is None else seconds_at(*match.groups())
    return seconds if seconds is not None and _EARLIEST <= seconds < _LATEST else None


def iso(seconds: float) -> str:
    """``seconds`` since the epoch as ISO 8601 writes a moment in UTC, to the second (``2024-05-01T12:00:00Z``);
    empty for a number no such moment has (past the years 1-9999, or this system's time: one written by hand)."""
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return ""


def seconds_at(moment: str, fraction: str | None, zone: str | None) -> float | None:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS``, the digits of a fraction of a second (any number:
    six are kept) and a zone (``Z``, ``+02:00``, ``+0200``; None: UTC); None when there is no such moment."""
    # (Written as every Python since 3.7 reads it: six digits of a second at most, a zone with a colon.)
    offset = "+00:00" if zone in (None, "Z") else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{moment}.{(fraction or '')[:6].ljust(6, '0')}{offset}").timestamp()
    except (ValueError, OverflowError):
        return None


def upload_time(job: Job) -> float | None:
    """The media's upload time; the album's or post's when the media has none."""
    return uploaded(job.album, job.media)


def uploaded(album: Album, media: Media) -> float | None:
    """``media``'s upload time, in ``album``: its own; the album's or post's when it has none."""
    for text in (media.created_at, album.created_at, album.posted):
        seconds = parse_iso(text) if text else None
        if seconds is not None:
            return seconds
    return None


def served_time(header: str | None) -> float | None:
    """Seconds since the epoch of an HTTP date (a ``Last-Modified`` header: RFC 9110, 5.6.7; the two obsolete forms
    as well), in the years :func:`parse_iso` believes; None for anything else."""
    if not header or not header.isascii():
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    seconds = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    return seconds if _EARLIEST <= seconds < _LATEST else None


def capture_time(timestamp: str) -> float | None:
    """A Wayback Machine capture's time (``yyyyMMddhhmmss``, UTC)."""
    if not _CAPTURE.fullmatch(timestamp):
        return None
    try:
        when = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return when.timestamp()
