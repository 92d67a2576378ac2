"""Imgur's API: turn a :class:`Target` into an :class:`Album` of downloadable media.

Asks the API Imgur's own web front end uses (``/post/v1/...``) and falls back
to the documented v3 API (``/3/...``) when that answers something unusable
or an error; not when it says "not found", blocks the region, reports the
budget spent or cannot be reached (the v3 API is on the same host). Waits
out rate limits and "over capacity" answers. Answers are read up to a size
cap and parsed by :mod:`imgur_dl.answers`. Every request is authenticated
by the :mod:`imgur_dl.auth` callable it was given, and goes to
``api.imgur.com`` only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import requests

from imgur_dl import answers, listings
from imgur_dl.auth import ApiAuth, BearerToken, ClientId
from imgur_dl.bounded import Answer, TooLarge, Unreachable, get_bounded
from imgur_dl.cancel import Cancel
from imgur_dl.defaults import DEFAULT_CLIENT_ID
from imgur_dl.errors import (
    ApiError,
    BudgetSpentError,
    NetworkError,
    NotFoundError,
    RegionBlockedError,
    TokenNeededError,
    TokenRefusedError,
)
from imgur_dl.hosts import API_HOST, API_ROOT
from imgur_dl.models import Album, Kind, Target
from imgur_dl.retry import RetryPolicy
from imgur_dl.text import Once

# The largest answer read: a 5,000-image album is about 3 MB of JSON.
MAX_ANSWER = 32 * 1024 * 1024
# The longest wait for a spent API budget that the API says comes back: past it, stop asking.
MAX_BUDGET_WAIT = 600.0

_V1_PATHS = {Kind.ALBUM: "albums", Kind.IMAGE: "media", Kind.GALLERY: "posts"}


class ImgurApi:
    def __init__(
        self,
        session: requests.Session,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        auth: ApiAuth | None = None,
        policy: RetryPolicy | None = None,
        cancel: Cancel | None = None,
        say: Callable[[str], None] = lambda _msg: None,
        prefer_gif: bool = False,
    ) -> None:
        self.session = session
        self.client_id = client_id  # also in the query of the requests whose record puts it there
        self.auth = auth or ClientId(client_id)
        self.authenticated = isinstance(self.auth, BearerToken)  # a user's own token
        self.token_refused = False  # Imgur refused that token: the run went on without it
        self._own: str | None = None
        self._own_lock = threading.Lock()
        self.policy = policy or RetryPolicy()
        self.cancel = cancel or Cancel()
        self.say = say
        self.prefer_gif = prefer_gif
        # What the API says is left of its budget for this client and user
        # (X-RateLimit-ClientRemaining, -UserRemaining): at 0, stop asking.
        self.remaining: int | None = None
        self.resume_at: float | None = None  # when a spent budget comes back (Unix time), when the API said
        self.unreachable: str | None = None  # set when the API could not be reached at all
        self._once = Once()

    def resolve(self, target: Target) -> Album:
        """The album (or lone image) ``target`` names, with its media in order.

        A direct link (``i.imgur.com/<id>.<ext>``) is fetched from the CDN even
        when the API does not know it (hidden and mature posts answer 404 there
        while their files are served): the API only adds metadata.
        """
        try:
            return self._resolve(target)
        except (RegionBlockedError, BudgetSpentError):
            raise
        except (NotFoundError, ApiError) as exc:
            if target.ext is None:
                raise
            self.say(f"imgur-dl: {target.id}: the API does not describe it ({exc}); "
                     "fetching the direct link")
            return answers.album_from_link(target, prefer_gif=self.prefer_gif)

    def _resolve(self, target: Target) -> Album:
        path = f"/post/v1/{_V1_PATHS[target.kind]}/{target.id}"
        try:
            return answers.album_from_v1(self.get(path, {"include": listings.INCLUDE}), target,
                                         prefer_gif=self.prefer_gif)
        except (NotFoundError, RegionBlockedError, BudgetSpentError, NetworkError):
            raise  # (the v3 API is on the same host: a network problem is not worth a second try)
        except ApiError as exc:
            first = exc
        try:
            return self._resolve_v3(target)
        except (NotFoundError, RegionBlockedError, BudgetSpentError):
            raise
        except ApiError as exc:
            raise ApiError(f"{first} (and the v3 API: {exc})") from None

    def _resolve_v3(self, target: Target) -> Album:
        if target.kind is not Kind.IMAGE:
            try:
                return answers.album_from_v3(self.get(f"/3/album/{target.id}").get("data"),
                                             prefer_gif=self.prefer_gif)
            except NotFoundError:
                if target.kind is Kind.ALBUM:
                    raise
        return answers.image_from_v3(self.get(f"/3/image/{target.id}").get("data"), prefer_gif=self.prefer_gif)

    # -- transport ----------------------------------------------------------

    @property
    def spent(self) -> bool:
        """The API said its budget for us is spent."""
        return self.remaining is not None and self.remaining <= 0

    def listing_page(self, target: Target, page: int) -> list[answers.Post]:
        """Page ``page`` (from 0) of a listing; empty past the end."""
        target = self._as_me(target)
        if listings.needs_token(target) and not (self.authenticated and listings.mine(target)):
            raise TokenNeededError(f"{target.url}: only your own access token can list this "
                                   "(--cookies FILE or IMGUR_ACCESS_TOKEN; see README, 'Your own account')")
        asked = listings.request(target, page)
        answer = self.fetch(asked.path, asked.params)
        # v3 answers wrap the list in "data"; gallery-dl's _pagination_v2 also takes a bare list.
        data = answer.get("data") if isinstance(answer, dict) else answer
        return answers.listing_page(data, target.kind, prefer_gif=self.prefer_gif, v1=asked.v1)

    def _as_me(self, target: Target) -> Target:
        """``target`` with your own user name as ``me``, when a token says whose account this is."""
        user = target.id.partition("/")[0]
        if (not self.authenticated or user == listings.ME
                or target.kind not in (Kind.USER, Kind.FAVORITES, Kind.FOLDER, Kind.IMAGES)):
            return target
        own = self.own_name()
        if own is None or user.lower() != own.lower():
            return target
        return replace(target, id=listings.ME + target.id[len(user):])

    def own_name(self) -> str | None:
        """The user name of the account whose token is used (API docs "Account Base": /3/account/me)."""
        if self._own is None and self.authenticated:
            with self._own_lock:
                if self._own is None:
                    data = self.get("/3/account/me").get("data")
                    name = data.get("url") if isinstance(data, dict) else None
                    self._own = name if isinstance(name, str) and name else ""
        return self._own or None

    def get(self, path: str, params: dict[str, str] | None = None) -> answers.Json:
        """GET an API path as a JSON object, through rate limits and passing failures."""
        parsed = self.fetch(path, params)
        if not isinstance(parsed, dict):
            raise answers.Unusable("unusable answer from the API (not a JSON object)")
        return parsed

    def fetch(self, path: str, params: dict[str, str] | None = None) -> object:
        """GET an API path as parsed JSON. A spent budget is waited out when the API says it comes back soon."""
        self._wait_for_budget()
        if self.unreachable is not None:
            raise NetworkError(self.unreachable)  # every retry was spent on an earlier call
        if params is not None and "client_id" in params:
            params = {**params, "client_id": self.client_id}
        answer = self._ask(path, params, self._headers())
        if answer.status == 429 and self.spent:
            self._wait_for_budget()  # (raises when the wait is long or unknown)
            answer = self._ask(path, params, self._headers())
        if self.authenticated and _token_refused(answer):
            self._drop_token()
            if "/me/" in path or path.endswith("/me"):
                raise TokenRefusedError(f"{API_HOST} refused it for this ({_message(answer)})")
            answer = self._ask(path, params, self._headers())  # what needs no token, without it
        if answer.status == 200:
            return _json(answer.body)
        message = _message(answer)
        if "banned country" in message.lower():
            raise RegionBlockedError(f"Imgur blocks this country or region ({message})")
        if answer.status == 404:
            raise NotFoundError(message or "not found")
        if answer.status == 429 and self.spent:
            raise BudgetSpentError("Imgur's API budget for this client is spent (HTTP 429)")
        if 300 <= answer.status < 400:
            raise ApiError(f"the API answered with a redirect (HTTP {answer.status}); not followed")
        raise ApiError(f"HTTP {answer.status}" + (f": {message}" if message else ""))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        self.auth(headers)  # the credential goes here, to api.imgur.com, and nowhere else
        return headers

    def _drop_token(self) -> None:
        """Imgur refused the access token: said once; the run goes on without it."""
        with self._own_lock:
            if not self.authenticated:
                return
            self.authenticated = False
            self.token_refused = True
            self.auth = ClientId(self.client_id)
        self.say("imgur-dl: error: Imgur refused your access token (expired, revoked or logged out): "
                 "log in at imgur.com again and export a fresh cookies.txt (see README, 'Your own account'); "
                 "going on with what needs no login")

    def _ask(self, path: str, params: dict[str, str] | None, headers: dict[str, str]) -> Answer:
        def again(answer: Answer) -> str | None:
            self._count(answer)
            if answer.status == 429 and self.spent:
                return None  # the budget is spent: told by fetch, which knows how long it stays so
            if answer.status == 429 or answer.status >= 500 or _overloaded(answer):
                return _message(answer) or f"HTTP {answer.status}"
            return None

        def waiting(reason: str, wait: float) -> None:
            if self._once.first(reason):  # a network problem is said once, not once per album
                self.say(f"imgur-dl: {API_HOST}: {reason} - trying again in {wait:.0f}s")

        try:
            return get_bounded(self.session, API_ROOT + path, params=params, headers=headers, policy=self.policy,
                               cancel=self.cancel, limit=MAX_ANSWER, again=again, waiting=waiting)
        except Unreachable as exc:
            self.unreachable = f"cannot reach {API_HOST}: {exc}"
            raise NetworkError(self.unreachable) from None
        except TooLarge as exc:
            raise answers.Unusable(f"unusable answer from the API ({exc})") from None

    def _wait_for_budget(self) -> None:
        """With the budget spent: wait until the API said it comes back, if that is soon; else stop asking."""
        if not self.spent:
            return
        wait = None if self.resume_at is None else max(0.0, self.resume_at - time.time())
        if wait is None or wait > MAX_BUDGET_WAIT:
            later = "" if wait is None else f" for {wait / 60:.0f} more minutes"
            raise BudgetSpentError(f"Imgur's API budget for this client is spent{later} "
                                   "(X-RateLimit-*Remaining: 0)")
        if self._once.first(f"budget {self.resume_at}"):
            self.say(f"imgur-dl: {API_HOST}: the API's budget for this client is spent; it comes back in "
                     f"{wait:.0f}s: waiting")
        self.cancel.sleep(wait)
        self.remaining = None

    def _count(self, answer: Answer) -> None:
        """What the API says is left of its budgets, and when a spent one comes back (API docs, "Rate Limits")."""
        headers = answer.headers
        left = [int(v) for name in ("X-RateLimit-ClientRemaining", "X-RateLimit-UserRemaining")
                if (v := headers.get(name, "").strip()).isascii() and v.isdigit()]
        if left:
            self.remaining = min(left)
        if not self.spent:
            return
        # Retry-After when it is given; else the user budget's reset (a Unix time); the
        # client budget's reset is not a time (it is daily), so that one is unknown.
        user_reset = headers.get("X-RateLimit-UserReset", "").strip()
        user_spent = headers.get("X-RateLimit-UserRemaining", "").strip() == "0"
        client_spent = headers.get("X-RateLimit-ClientRemaining", "").strip() == "0"
        if answer.retry_after is not None:
            self.resume_at = time.time() + answer.retry_after
        elif user_spent and not client_spent and user_reset.isascii() and user_reset.isdigit():
            self.resume_at = float(user_reset)
        else:
            self.resume_at = None


def _message(answer: Answer) -> str:
    """The human part of an error answer (escaped where it is printed)."""
    return answers.error_message(_json(answer.body, quiet=True)) or answer.reason


def _token_refused(answer: Answer) -> bool:
    """The API's word that the access token is no good (401, or 403 "The access token provided is invalid.",
    as recorded in ShareX and imgur-screenshot issue threads)."""
    return answer.status == 401 or (answer.status == 403 and "access token" in _message(answer).lower())


def _overloaded(answer: Answer) -> bool:
    """Imgur's "over capacity" answers come as 403 and 500s too."""
    return answer.status in (403, 500, 503) and "capacity" in _message(answer).lower()


def _json(body: bytes, *, quiet: bool = False) -> object:
    """``body`` parsed; an answer that is not JSON (or nests past any sense) is unusable."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        if quiet:
            return None
        raise answers.Unusable("unusable answer from the API (not JSON)") from None
