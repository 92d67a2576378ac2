"""What an answer's status line and headers mean for a file download. Pure: no I/O.

:func:`classify` turns (status, headers, bytes already held) into one
verdict; the transfer acts on it (writes, deletes, waits, gives up).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from imgur_dl.retry import retry_after
from imgur_dl.text import decimal

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes \*/(\d+)")  # a 416's: the file's length (RFC 9110 section 14.4)


@dataclass(frozen=True, slots=True)
class Take:
    """Write the body at ``offset``; the whole file is ``total`` bytes (None: not said)."""

    offset: int
    total: int | None


@dataclass(frozen=True, slots=True)
class Refused:
    """A 429: the CDN refuses for now (``wait``: its Retry-After)."""

    reason: str
    wait: float | None


@dataclass(frozen=True, slots=True)
class Transient:
    """Worth another attempt; ``start_over``: the partial file held is of no use."""

    reason: str
    wait: float | None = None
    start_over: bool = False


@dataclass(frozen=True, slots=True)
class Unsatisfied:
    """A 416 to a request for the bytes past those held: the partial file is as long as the file (``total``, as the
    server says it), or longer."""

    reason: str
    total: int | None


@dataclass(frozen=True, slots=True)
class Gone:
    """The file is not there (404, 410); ``reason`` names the status, the caller the place."""

    reason: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Any other answer: this file fails."""

    reason: str


NotTaken = Refused | Transient | Gone | Refusal
Verdict = Take | Unsatisfied | NotTaken


def classify(status: int, reason: str, headers: Mapping[str, str], have: int) -> Verdict:
    """What to do with an answer to a request that held ``have`` bytes of the file already."""
    text = f"HTTP {status} {reason}".strip()
    if status == 429:
        return Refused(f"429 {reason or 'Too Many Requests'}", retry_after(headers))
    if status >= 500 or status == 408:
        return Transient(text, retry_after(headers))
    if status == 416 and have:
        match = _UNSATISFIED_RANGE.fullmatch(headers.get("Content-Range", "").strip())
        return Unsatisfied("range not satisfiable; starting over", decimal(match[1]) if match else None)
    if status in (404, 410):
        return Gone(f"HTTP {status}")
    encoding = headers.get("Content-Encoding", "").strip().lower()
    if status in (200, 206) and encoding not in ("", "identity"):
        # Asked for as it is (Accept-Encoding: identity): an encoded body would be written decoded
        # past every bound, or saved encoded under a media name.
        return Refusal(f"the server sent the file {encoding}-encoded, though asked for it as it is")
    if status == 206:
        match = _CONTENT_RANGE.fullmatch(headers.get("Content-Range", ""))
        if not match or decimal(match[1]) != have:
            return Transient("bad Content-Range; starting over", wait=0, start_over=True)
        return Take(have, decimal(match[3]))
    if status == 200:
        # The whole file, whatever was asked for: it starts over.
        return Take(0, decimal(headers.get("Content-Length")))
    return Refusal(text)
