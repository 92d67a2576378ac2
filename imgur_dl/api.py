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
from collections.abc import Callable
from urllib.parse import quote

import requests

from imgur_dl import answers
from imgur_dl.auth import ApiAuth, ClientId
from imgur_dl.bounded import Answer, TooLarge, Unreachable, get_bounded
from imgur_dl.cancel import Cancel
from imgur_dl.defaults import DEFAULT_CLIENT_ID
from imgur_dl.errors import ApiError, BudgetSpentError, NetworkError, NotFoundError, RegionBlockedError
from imgur_dl.hosts import API_HOST, API_ROOT
from imgur_dl.models import Album, Kind, Target
from imgur_dl.retry import RetryPolicy
from imgur_dl.text import Once

# The largest answer read: a 5,000-image album is about 3 MB of JSON.
MAX_ANSWER = 32 * 1024 * 1024

_V1_PATHS = {Kind.ALBUM: "albums", Kind.IMAGE: "media", Kind.GALLERY: "posts"}


class ImgurApi:
    def __init__(
        self,
        session: requests.Session,
        *,
        auth: ApiAuth | None = None,
        policy: RetryPolicy | None = None,
        cancel: Cancel | None = None,
        say: Callable[[str], None] = lambda _msg: None,
        prefer_gif: bool = False,
    ) -> None:
        self.session = session
        self.auth = auth or ClientId(DEFAULT_CLIENT_ID)
        self.policy = policy or RetryPolicy()
        self.cancel = cancel or Cancel()
        self.say = say
        self.prefer_gif = prefer_gif
        # What the API says is left of its budget for this client and user
        # (X-RateLimit-ClientRemaining, -UserRemaining): at 0, stop asking.
        self.remaining: int | None = None
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
            return answers.album_from_v1(self.get(path, {"include": "media"}), target, prefer_gif=self.prefer_gif)
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
        path, params = _LISTING_PATHS[target.kind](target, page)
        data = self.get(path, params).get("data")
        return answers.listing_page(data, target.kind, prefer_gif=self.prefer_gif)

    def get(self, path: str, params: dict[str, str] | None = None) -> answers.Json:
        """GET an API path as a JSON object, through rate limits and passing failures."""
        if self.spent:
            raise BudgetSpentError("Imgur's API budget for this client is spent (X-RateLimit-*Remaining: 0)")
        if self.unreachable is not None:
            raise NetworkError(self.unreachable)  # every retry was spent on an earlier call
        headers = {"Accept": "application/json"}
        self.auth(headers)

        def again(answer: Answer) -> str | None:
            self._count(answer)
            if answer.status == 429 and self.spent:
                return None  # the budget is spent: waiting will not bring it back within the run
            if answer.status == 429 or answer.status >= 500 or _overloaded(answer):
                return _message(answer) or f"HTTP {answer.status}"
            return None

        def waiting(reason: str, wait: float) -> None:
            if self._once.first(reason):  # a network problem is said once, not once per album
                self.say(f"imgur-dl: {API_HOST}: {reason} - trying again in {wait:.0f}s")

        try:
            answer = get_bounded(self.session, API_ROOT + path, params=params, headers=headers, policy=self.policy,
                                 cancel=self.cancel, limit=MAX_ANSWER, again=again, waiting=waiting)
        except Unreachable as exc:
            self.unreachable = f"cannot reach {API_HOST}: {exc}"
            raise NetworkError(self.unreachable) from None
        except TooLarge as exc:
            raise answers.Unusable(f"unusable answer from the API ({exc})") from None
        if answer.status == 200:
            parsed = _json(answer.body)
            if not isinstance(parsed, dict):
                raise answers.Unusable("unusable answer from the API (not a JSON object)")
            return parsed
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

    def _count(self, answer: Answer) -> None:
        left = [int(v) for name in ("X-RateLimit-ClientRemaining", "X-RateLimit-UserRemaining")
                if (v := answer.headers.get(name, "").strip()).isascii() and v.isdigit()]
        if left:
            self.remaining = min(left)


def _page(path: str) -> Callable[[Target, int], tuple[str, dict[str, str] | None]]:
    return lambda target, page: (path.format(name=quote(target.id, safe=""), page=page), None)


def _folder(target: Target, page: int) -> tuple[str, dict[str, str] | None]:
    user, _, folder = target.id.partition("/")
    return f"/3/account/{quote(user, safe='')}/folders/{folder}/favorites/{page}", None


def _search(target: Target, page: int) -> tuple[str, dict[str, str] | None]:
    sort = f"/{target.sort}" if target.sort in ("time", "score", "viral", "top") else ""
    return f"/3/gallery/search{sort}/{page}", {"q": target.id}


# The v3 listing endpoints, paged from 0 as gallery-dl's extractor pages them.
_LISTING_PATHS: dict[Kind, Callable[[Target, int], tuple[str, dict[str, str] | None]]] = {
    Kind.USER: _page("/3/account/{name}/submissions/{page}"),
    Kind.FAVORITES: _page("/3/account/{name}/gallery_favorites/{page}"),
    Kind.FOLDER: _folder,
    Kind.TAG: _page("/3/gallery/t/{name}/{page}"),
    Kind.SUBREDDIT: _page("/3/gallery/r/{name}/{page}"),
    Kind.SEARCH: _search,
}


def _message(answer: Answer) -> str:
    """The human part of an error answer (escaped where it is printed)."""
    return answers.error_message(_json(answer.body, quiet=True)) or answer.reason


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
