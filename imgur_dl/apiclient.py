"""Requests to Imgur's API: authenticated, read up to a size cap, parsed, waited out.

Every request is authenticated by the :mod:`imgur_dl.auth` callable it was
given and goes to ``api.imgur.com`` only. Rate limits and "over capacity"
answers are waited out, a spent budget as :mod:`imgur_dl.budget` says, a
refused token is dropped for what needs none, and after a refused client id
(or an API that could not be reached) nothing more is asked. Every answer is decoded as
it arrives (:mod:`imgur_dl.jsonstream`): one that is no JSON is refused
where that shows (a web page at its first ``<``; within the size cap what
only the end could tell), and an album's long list is turned into results
item by item.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator

from imgur_dl import answers, jsonstream
from imgur_dl.auth import ApiAuth, ClientId, Login
from imgur_dl.body import Speed
from imgur_dl.bounded import Answer, TooLarge, Unreachable, get_bounded
from imgur_dl.budget import Budget
from imgur_dl.cancel import Cancel
from imgur_dl.defaults import DEFAULT_CLIENT_ID
from imgur_dl.errors import (
    ApiClosedError,
    ApiError,
    BudgetSpentError,
    ClientRefusedError,
    ImgurDLError,
    NetworkError,
    NotFoundError,
    RegionBlockedError,
    TokenRefusedError,
)
from imgur_dl.hosts import API_HOST, API_ROOT
from imgur_dl.retry import RetryPolicy
from imgur_dl.session import Session
from imgur_dl.text import Once

# The largest answer read: a 5,000-image album is about 3 MB of JSON, so this holds albums of
# some 300,000 files; parsed as read, not copied first.
MAX_ANSWER = 128 * 1024 * 1024
# The most JSON objects an answer may hold: what it costs to parse grows with them, not with its bytes
# (ten million empty items fit in 30 MB and took 850 MB to parse). An album item is two or three.
MAX_OBJECTS = 1_000_000

# A list of an answer's to turn into results as it is decoded: its key, and what to make of each item.
Items = tuple[str, Callable[[], jsonstream.Collector]]


class ApiClient:
    """GETs of API paths as parsed JSON, for one run (shared by its threads)."""

    def __init__(
        self,
        session: Session,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        auth: ApiAuth | None = None,
        policy: RetryPolicy | None = None,
        cancel: Cancel | None = None,
        say: Callable[[str], None] = lambda _msg: None,
        timeout: float | None = None,
        speed: Speed = Speed(),  # noqa: B008 - frozen: the slowest an answer may come (--min-speed)
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.speed = speed
        self.clock = clock
        self.client_id = client_id  # also in the query of the requests whose record puts it there
        self.login = Login(auth or ClientId(client_id), client_id, say)
        self.policy = policy or RetryPolicy()
        self.cancel = cancel or Cancel()
        self.say = say
        # Said with each wait: after "trying again in 0.4s", an attempt may take this long to answer.
        self.patience = f"; each attempt waits up to {timeout:g}s for an answer" if timeout else ""
        self.budget = Budget(self.cancel.sleep, say)
        self.closed: ApiClosedError | None = None  # why nothing more can be asked (unreachable, the client refused)
        self._once = Once()

    @property
    def spent(self) -> bool:
        """The API said its budget for us is spent."""
        return self.budget.spent

    def get(self, path: str, params: dict[str, str] | None = None, items: Items | None = None) -> answers.Json:
        """GET an API path as a JSON object, through rate limits and passing failures (``items``: a list of
        the answer's to turn into results while it is decoded, see :mod:`imgur_dl.jsonstream`)."""
        parsed = self.fetch(path, params, items)
        if not isinstance(parsed, dict):
            raise answers.Unusable("unusable answer from the API (not a JSON object)")
        return parsed

    def fetch(self, path: str, params: dict[str, str] | None = None, items: Items | None = None) -> object:
        """GET an API path as parsed JSON. A spent budget is waited out when the API says it comes back soon."""
        self.budget.wait(API_HOST)
        if self.closed is not None:  # (every retry spent on an earlier call; the client id refused there)
            raise self._close(self.closed)
        if params is not None and "client_id" in params:
            params = {**params, "client_id": self.client_id}
        # Decoded as it arrives: an answer with items to turn into results is never held whole.
        reader = functools.partial(_json_items, items=items)
        answer = self._ask(path, params, self._headers(), reader)
        if answer.status == 429 and self.spent:
            self.budget.wait(API_HOST)  # (raises when the wait is long or unknown)
            answer = self._ask(path, params, self._headers(), reader)
        if self.login.authenticated and _token_refused(answer):
            self.login.drop()
            if "/me/" in path or path.endswith("/me"):
                raise TokenRefusedError(f"{API_HOST} refused it for this ({self._said(answer)})")
            answer = self._ask(path, params, self._headers(), reader)  # what needs no token, without it
        if answer.status == 200:
            return answer.read
        if _client_refused(answer) and not self.login.authenticated:
            raise self._close(ClientRefusedError(_CLIENT_REFUSED if self.client_id == DEFAULT_CLIENT_ID else
                                                 _GIVEN_CLIENT_REFUSED))
        raise _refusal(answer, self._said(answer), spent=self.spent)

    def _close(self, why: ApiClosedError) -> ApiClosedError:
        """Nothing more is asked of the API this run, for ``why``: a copy of it, to raise (each raise its own: one
        kept and raised again would hold the frames of every call it passed through)."""
        self.closed = why
        return type(why)(str(why))

    def _said(self, answer: Answer) -> str:
        """The human part of an error answer, with no token in it (see :meth:`Login.hide`)."""
        return self.login.hide(_message(answer))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        self.login.apply(headers)  # the credential goes here, to api.imgur.com, and nowhere else
        return headers

    def _ask(self, path: str, params: dict[str, str] | None, headers: dict[str, str],
             reader: Callable[[Iterator[bytes]], object]) -> Answer:
        def again(answer: Answer) -> str | None:
            self.budget.count(answer.headers, answer.retry_after)
            if answer.status == 429 and self.spent:
                return None  # the budget is spent: told by fetch, which knows how long it stays so
            if answer.status == 429 or answer.status >= 500 or _overloaded(answer):
                return self._said(answer) or f"HTTP {answer.status}"
            return None

        def waiting(reason: str, wait: float) -> None:
            if self._once.first(reason):  # a network problem is said once, not once per album
                self.say(f"imgur-dl: {API_HOST}: {reason} - trying again in {wait:.1f}s{self.patience}")

        try:
            return get_bounded(self.session, API_ROOT + path, params=params, headers=headers, policy=self.policy,
                               cancel=self.cancel, limit=MAX_ANSWER, again=again, waiting=waiting, reader=reader,
                               speed=self.speed, clock=self.clock)
        except Unreachable as exc:
            raise self._close(NetworkError(f"cannot reach {API_HOST}: {exc}")) from None
        except TooLarge as exc:
            raise answers.Unusable(f"unusable answer from the API ({exc})") from None


def _refusal(answer: Answer, message: str, *, spent: bool) -> ImgurDLError:
    """What an answer other than 200 means (``message``: its human part; ``spent``: the API has said its budget
    for us is spent)."""
    if "banned country" in message.lower():
        return RegionBlockedError(f"Imgur blocks this country or region ({message})")
    if answer.status == 404:
        return NotFoundError(message or "not found")
    if answer.status == 429 and spent:
        return BudgetSpentError("Imgur's API budget for this client is spent (HTTP 429)")
    if 300 <= answer.status < 400:
        return ApiError(f"the API answered with a redirect (HTTP {answer.status}); not followed")
    return ApiError(f"HTTP {answer.status}" + (f": {message}" if message else "") + answer.after)


def _message(answer: Answer) -> str:
    """The human part of an error answer (escaped where it is printed)."""
    return answers.error_message(_json(answer.body)) or answer.reason


def _token_refused(answer: Answer) -> bool:
    """The API's word that the access token is no good (401, or 403 "The access token provided is invalid.",
    as recorded in ShareX and imgur-screenshot issue threads)."""
    return answer.status == 401 or (answer.status == 403 and "access token" in _message(answer).lower())


def _client_refused(answer: Answer) -> bool:
    """The API's word that it takes no request made with this client id (403 "Invalid client_id", as recorded in
    imgur-screenshot #67 and petereport #78), whatever is asked."""
    return answer.status == 403 and "invalid client_id" in _message(answer).lower()


# Where a client id is had (Imgur API documentation, "Registration"; the page every guide to it names).
_REGISTER = "https://api.imgur.com/oauth2/addclient"
_CLIENT_REFUSED = (f"Imgur refused imgur-dl's default client id (the one imgur.com uses): register one of your own "
                   f"at {_REGISTER} and give it with --client-id or IMGUR_CLIENT_ID")
_GIVEN_CLIENT_REFUSED = (f"Imgur refused the client id given (--client-id or IMGUR_CLIENT_ID): check it, or register "
                         f"one at {_REGISTER}")


def _overloaded(answer: Answer) -> bool:
    """Imgur's "over capacity" answers come as 403 and 500s too."""
    return answer.status in (403, 500, 503) and "capacity" in _message(answer).lower()


_TOO_MANY = f"unusable answer from the API (more than {MAX_OBJECTS:,} objects)"
_NOT_JSON = "unusable answer from the API (not JSON)"


def _json_items(chunks: Iterator[bytes], items: Items | None) -> object:
    """An answer parsed as its ``chunks`` arrive, the list ``items`` names (if any) turned into results as it
    is read; one that is not JSON (or nests past any sense, or holds more objects than :data:`MAX_OBJECTS`) is
    unusable."""
    try:
        return jsonstream.load(_counted(chunks), *(items or ()))
    except (ValueError, RecursionError):
        raise answers.Unusable(_NOT_JSON) from None


def _counted(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks``, until they hold more objects than :data:`MAX_OBJECTS` (counted before any is made)."""
    objects = 0
    for chunk in chunks:
        objects += chunk.count(b"{")
        if objects > MAX_OBJECTS:
            raise answers.Unusable(_TOO_MANY)
        yield chunk


def _json(body: bytes | bytearray) -> object:
    """An error answer's ``body`` parsed, for its message; None when it is not JSON (or nests past any sense,
    or holds more objects than :data:`MAX_OBJECTS`)."""
    if body.count(b"{") > MAX_OBJECTS:  # (an upper bound, counted at C speed before any object is made)
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
