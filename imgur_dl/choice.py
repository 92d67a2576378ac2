"""Which posts of a listing to take: ``--range``, ``--since``, ``--break-on-existing``. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from imgur_dl.dates import parse_iso, seconds_at
from imgur_dl.errors import UsageError
from imgur_dl.text import decimal

# --since: a day, or a time of day to the minute, second or microsecond, with a zone (Z, +02:00, +0200) or
# none (UTC); a space may stand for the T (as `date --rfc-3339` writes).
_SINCE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?",
                    re.ASCII)  # (digits of other scripts are no date's: "try ..." is said of them, not "no such day")
# --since: or a span back from the run's start, in weeks, days, hours, minutes and seconds (`7d`, `1d12h`), as
# rclone's --max-age takes one: what a nightly job asks for.
_SPAN = re.compile(r"(?:\d{1,9}[wdhms])+", re.ASCII)
_SPAN_PART = re.compile(r"(\d+)([wdhms])", re.ASCII)
_UNIT = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
A_LISTING = "listing (a user's posts or favorites, a tag, a subreddit, a search)"


@dataclass(frozen=True)
class Choice:
    """Which posts of a listing to take."""

    ranges: tuple[tuple[int, int | None], ...] = ()  # 1-based, inclusive; None: to the end
    since: float | None = None  # seconds since the epoch: posts from then on (parse_since)
    break_on_existing: bool = False  # stop reading where a run last read the listing whole (imgur_dl.readthrough)

    def wants(self, position: int) -> bool:
        return not self.ranges or any(lo <= position and (hi is None or position <= hi) for lo, hi in self.ranges)

    def older(self, created_at: str) -> bool:
        """A post made at ``created_at`` (the API's ISO 8601 time) is before ``since``; one of no readable time
        is not (it is taken)."""
        if self.since is None:
            return False
        seconds = parse_iso(created_at) if created_at else None
        return seconds is not None and seconds < self.since

    def choosing(self, names: tuple[str, str] = ("--range", "--since")) -> list[str]:
        """Which of the range and the time (by ``names``) choose posts (a listing's: break_on_existing chooses
        nothing the user wants kept out)."""
        return [name for name, asked in zip(names, (bool(self.ranges), self.since is not None), strict=True) if asked]

    def check_listed(self, listings: bool, names: tuple[str, str] = ("--range", "--since")) -> None:
        """UsageError when the posts this chooses are of no listing: an album's files would all be fetched while
        some were asked for (gallery-dl's --range picks files)."""
        if (given := self.choosing(names)) and not listings:
            raise UsageError(f"{given[0]} chooses posts of a {A_LISTING}; no URL given is one, and an album is "
                             "always fetched whole")

    def past_end(self, position: int) -> bool:
        """No later position can be wanted."""
        return bool(self.ranges) and all(hi is not None and position > hi for _, hi in self.ranges)


def parse_range(text: str) -> tuple[tuple[int, int | None], ...]:
    """'1-20', '50-', '-10', '7' or a comma-separated list of them; UsageError otherwise. Positions are written in
    ASCII digits (18 at most: no listing is longer), as the other counts of the command line are."""
    spans: list[tuple[int, int | None]] = []
    for part in text.split(","):
        lo, dash, hi = (side.strip() for side in part.partition("-"))
        start = decimal(lo) if lo else 1
        end = (decimal(hi) if hi else None) if dash else start
        if not (lo or dash) or start is None or (hi and end is None):  # ('1,,5', '1-5,': a hole is no position)
            raise UsageError(f"not a range of positions: {text!r} (try 1-20, 50- or 1-5,10)")
        if start < 1 or end == 0:
            raise UsageError(f"not a range of positions: {text!r} (positions start at 1)")
        if end is not None and end < start:
            raise UsageError(f"not a range of positions: {text!r} ({start}-{end} ends before it starts; "
                             f"{end}-{start}?)")
        spans.append((start, end))
    return tuple(spans)


@dataclass(frozen=True)
class Since:
    """``--since`` as it was given: a moment (seconds since the epoch), or a span of ``seconds`` back from when the
    run starts (``span``)."""

    seconds: float
    span: bool = False

    def at(self, now: float) -> float:
        """The moment it names, for a run that starts at ``now`` (seconds since the epoch)."""
        return now - self.seconds if self.span else self.seconds


def parse_since(text: str) -> Since:
    """``--since``'s date or ISO 8601 time (UTC when no zone is given, a day from its midnight), or span back from
    the run's start (``7d``, ``1d12h``: weeks, days, hours, minutes, seconds); UsageError otherwise. Compared as
    times, never as text: ``10:00Z`` is before ``10:00:30Z``."""
    if _SPAN.fullmatch(stripped := text.strip()):
        return Since(sum(int(count) * _UNIT[unit] for count, unit in _SPAN_PART.findall(stripped)), span=True)
    match = _SINCE.fullmatch(stripped)
    if match is None:
        raise UsageError(f"not a date, time or span: {text!r} (try 2024-05-01, 2024-05-01T12:00Z, "
                         "2024-05-01T14:00+02:00 or 7d)")
    day, clock, second, fraction, zone = match.groups()
    seconds = seconds_at(f"{day}T{clock or '00:00'}:{second or '00'}", fraction, zone)
    if seconds is None:
        raise UsageError(f"not a date or time: {text!r} (no such day or time of day)")
    return Since(seconds)


def since_seconds(value: str | date | timedelta, now: float) -> float:
    """``since`` as a program gives it, for a run that starts at ``now``: ``--since``'s words (:func:`parse_since`),
    a :class:`~datetime.date` (its midnight in UTC, as the flag's day), a :class:`~datetime.datetime` (one with no
    zone in this machine's local time, as Python itself reads one) or a :class:`~datetime.timedelta` (back from
    ``now``); UsageError for a moment this system has no number for."""
    if isinstance(value, str):
        return parse_since(value).at(now)
    if isinstance(value, timedelta):
        return now - value.total_seconds()
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):  # (a naive year 1, or 9999, past what local time reaches)
        raise UsageError(f"not a time this system can count: {value!r}") from None
