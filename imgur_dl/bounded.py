"""Answers of the API and the Wayback Machine's index: read up to a bound, through the retry loop.

An answer is read whole, or (an answer that may be large, given a reader)
handed to the reader chunk by chunk as it arrives.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

import requests
import urllib3

from imgur_dl.body import Pace, Speed
from imgur_dl.cancel import Cancel
from imgur_dl.errors import ImgurDLError
from imgur_dl.neterrors import describe, lasting, proxy_refused
from imgur_dl.pacing import Pacing
from imgur_dl.retry import Again, GaveUp, RetryPolicy, retry, retry_after
from imgur_dl.session import Session

CHUNK = 256 * 1024  # bytes read at a time, at most (whatever has come is handed on)
# White space in a row an answer may hold: JSON as Imgur and the archive write it holds a few bytes at a time, and
# a run of it is read on, held and looked through to its end (128 MiB of spaces: 40 s of a run, then refused).
MOST_WHITE = 1024 * 1024
_WHITE = b" \t\r\n"


class Unreachable(ImgurDLError):
    """No answer after every retry; the message says why in words."""


class TooLarge(ImgurDLError):
    """An answer past the size we read."""


class _Crawling(ImgurDLError):
    """An answer coming slower than --min-speed for a whole window: this attempt is given up."""


@dataclass(frozen=True)
class Answer:
    """A whole (small) answer: what :func:`get_bounded` returns."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes | bytearray  # (as read: not copied once more; empty when a reader had it)
    retry_after: float | None
    read: object = None  # what the reader made of a 200 answer's body
    attempts: int = 1  # the attempts it took (an answer that was worth another: what the last said, none left)

    @property
    def line(self) -> str:
        """Its status line, as said of a failure (``HTTP 503 Service Unavailable``)."""
        return f"HTTP {self.status} {self.reason}".strip()

    @property
    def after(self) -> str:
        """`` (after N attempts)`` when it took more than one, for the words said of a failure; else nothing."""
        return f" (after {self.attempts} attempts)" if self.attempts > 1 else ""


@dataclass(frozen=True)
class _Failed:
    reason: str
    too_large: bool = False


def get_bounded(
    session: Session,
    url: str,
    *,
    policy: RetryPolicy,
    cancel: Cancel,
    limit: int,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    again: Callable[[Answer], str | None] | None = None,
    waiting: Callable[[str, float], None] | None = None,
    reader: Callable[[Iterator[bytes]], object] | None = None,
    speed: Speed = Speed(),  # noqa: B008 - frozen
    clock: Callable[[], float] = time.monotonic,
    pacing: Pacing | None = None,
) -> Answer:
    """GET ``url`` for an answer read up to a bound.

    No redirect is followed (a 3xx comes back as it is). The body is read up
    to ``limit`` bytes (:class:`TooLarge` past it). Connection failures and
    answers that ``again`` gives a reason for are tried again as ``policy``
    says, waiting as ``Retry-After`` asks (capped) or with backoff; each wait
    is told to ``waiting``. What is left after that is returned (an answer)
    or raised (:class:`Unreachable`).

    With a ``reader``, a 200 answer's body is not held: its chunks go to
    ``reader`` as they arrive (past ``limit``, :class:`TooLarge` is raised
    through it), and what it returns is the answer's ``read``. A connection
    that fails meanwhile is tried again, from the start, with a new reading.

    A proxy that refuses connections is given one quick second try, not the
    whole policy: it will not come back in seconds. An answer that comes slower
    than ``speed`` for a whole window is given up and tried again, as a file is
    (``--min-speed``): a byte now and then, each within the timeout, holds no
    run for ever.

    With a ``pacing``, each attempt starts when it allows, and a 429 pauses
    every request it paces (:class:`~imgur_dl.pacing.Pacing`).
    """
    judge = again or transient
    proxy_tries = [0]
    tries = [0]

    def attempt() -> Answer | _Failed | Again[Answer | _Failed]:
        tries[0] += 1
        cancel.check()
        if pacing is not None:
            pacing.take()
        try:
            with cancel.asking(), session.get(url, params=params, headers=headers, stream=True,
                                               allow_redirects=False) as response:
                chunks = _bounded(_arriving(response.raw), limit, Pace(speed, clock))
                read, body = None, bytearray()
                if reader is not None and response.status_code == 200:
                    read = reader(chunks)
                else:
                    for chunk in chunks:
                        body += chunk
                answer = Answer(response.status_code, response.reason or "", response.headers, body,
                                retry_after(response.headers), read)
        except TooLarge as exc:
            return _Failed(str(exc), too_large=True)
        except _Crawling as exc:
            return Again(str(exc))
        except requests.RequestException as exc:
            why = session.failure(exc)
            if lasting(exc):
                return _Failed(why)
            if proxy_refused(exc):
                proxy_tries[0] += 1
                return _Failed(why) if proxy_tries[0] > 1 else Again(why, wait=0.5)
            return Again(why)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:  # (the body's, as it came)
            return Again(describe(exc))
        reason = judge(answer)
        if reason is None:
            return answer
        # (A 429 is waited out as a file's is: counted against the policy's refusals, not its retries. Paced,
        # it stops every request of the pacing, for as long as the pacing says.)
        refused = answer.status == 429
        wait = pacing.refused(answer.retry_after) if refused and pacing is not None else answer.retry_after
        return Again(reason, wait=wait, fallback=answer, refused=refused)

    outcome = retry(attempt, policy=policy, sleep=cancel.sleep,
                    waiting=None if waiting is None else lambda a, wait: waiting(a.reason, wait))
    if isinstance(outcome, Answer):
        return replace(outcome, attempts=tries[0])
    if isinstance(outcome, _Failed) and outcome.too_large:
        raise TooLarge(outcome.reason)
    if isinstance(outcome, _Failed):
        raise Unreachable(outcome.reason)
    raise Unreachable(outcome.last.reason if isinstance(outcome, GaveUp) else "no answer")


def _arriving(raw: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The body, decoded, in whatever has arrived (up to :data:`CHUNK` at a time): never held back to fill a chunk,
    so how fast it comes is seen as it comes."""
    while chunk := raw.read1(CHUNK, decode_content=True):
        yield chunk


def _bounded(chunks: Iterator[bytes], limit: int, pace: Pace) -> Iterator[bytes]:
    """``chunks``, until more than ``limit`` bytes came or :data:`MOST_WHITE` of white space in a row
    (:class:`TooLarge`), or they came too slowly."""
    seen = 0
    white = 0  # white space in a row at the end of what came
    for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise TooLarge(f"an answer larger than {limit // 2**20} MiB")
        # (b"" is in any bytes: an empty chunk keeps the run as it was)
        white = _white_run(white, chunk) if chunk[:1] in _WHITE or chunk[-1:] in _WHITE else 0
        if (crawling := pace.crawling(len(chunk))) is not None:
            raise _Crawling(crawling)
        yield chunk


def _white_run(before: int, chunk: bytes) -> int:
    """The white space in a row at the end of ``chunk``, counting the ``before`` that ended what came before it,
    when the chunk is all white; :class:`TooLarge` past :data:`MOST_WHITE` anywhere."""
    rest = chunk.lstrip(_WHITE)
    lead = before + len(chunk) - len(rest)
    after = lead if not rest else len(rest) - len(rest.rstrip(_WHITE))
    if max(lead, after) > MOST_WHITE:
        raise TooLarge(f"an answer of more than {MOST_WHITE // 2**20} MiB of white space in a row")
    return after


def transient(answer: Answer) -> str | None:
    """429 and 5xx pass (said as their status line); anything else is the answer."""
    if answer.status == 429 or answer.status >= 500:
        return answer.line
    return None
