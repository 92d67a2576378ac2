"""Imgur's API: turn a :class:`Target` into an :class:`Album` of downloadable media, and a listing into pages.

Asks the API Imgur's own web front end uses (``/post/v1/...``) and falls back
to the documented v3 API (``/3/...``) when that answers something unusable
or an error; not when it says "not found", blocks the region, reports the
budget spent, refuses the client id or cannot be reached (the v3 API is on
the same host, and takes the same client id). Answers are parsed by
:mod:`imgur_dl.answers`; the requests are made by the
:class:`~imgur_dl.apiclient.ApiClient` it was given.
"""

from __future__ import annotations

import functools

from imgur_dl import answers, listings
from imgur_dl.apiclient import ApiClient
from imgur_dl.errors import (
    ApiClosedError,
    ApiError,
    BudgetSpentError,
    NotFoundError,
    RegionBlockedError,
    TokenNeededError,
    TokenRefusedError,
)
from imgur_dl.models import Album, Kind, Target
from imgur_dl.text import Once

_V1_PATHS = {Kind.ALBUM: "albums", Kind.IMAGE: "media", Kind.GALLERY: "posts"}


class ImgurApi:
    def __init__(self, client: ApiClient, *, prefer_gif: bool = False) -> None:
        self.client = client
        self.prefer_gif = prefer_gif
        self._once = Once()

    def resolve(self, target: Target) -> Album:
        """The album (or lone image) ``target`` names, with its media in order.

        A direct link (``i.imgur.com/<id>.<ext>``) is fetched from the CDN even
        when the API does not know it (hidden and mature posts answer 404 there
        while their files are served), cannot be reached, or has no budget left
        for this client (12,500 requests a day: a dump's millions of direct links
        would otherwise stop at that many): the API only adds metadata.
        """
        try:
            return self._resolve(target)
        except RegionBlockedError:
            raise  # (the CDN serves such a region a placeholder for every file)
        except (NotFoundError, ApiError) as exc:
            if target.ext is None:
                raise
            # Said once, not once a link: a list may hold a million (hidden and mature posts answer 404 each).
            if isinstance(exc, ApiClosedError | BudgetSpentError):
                if self._once.first(type(exc).__name__):
                    self.client.say(f"imgur-dl: {exc}; direct links are fetched without the API's description")
            elif not isinstance(exc, NotFoundError):  # (this answer's own trouble: said of it)
                self.client.say(f"imgur-dl: {target.id}: the API does not describe it ({exc}); "
                                "fetching the direct link")
            elif self._once.first("not described"):
                self.client.say(f"imgur-dl: {target.id}: the API does not describe it ({exc}); fetching the direct "
                                "link, as every other it does not describe (said once: -v shows each request)")
            return answers.album_from_link(target, prefer_gif=self.prefer_gif)

    def _resolve(self, target: Target) -> Album:
        path = f"/post/v1/{_V1_PATHS[target.kind]}/{target.id}"
        try:
            # Each media item is parsed as the answer is decoded (a large album is not held twice).
            items = functools.partial(answers.v1_items, prefer_gif=self.prefer_gif)
            answer = self.client.get(path, {"include": listings.INCLUDE}, items=("media", items))
            return answers.album_from_v1(answer, target, prefer_gif=self.prefer_gif)
        except (NotFoundError, RegionBlockedError, BudgetSpentError, ApiClosedError):
            raise  # (the v3 API is on the same host, and takes the same client id: no second try is worth it)
        except ApiError as exc:
            first = str(exc)  # (its words: the error itself, held here, would hold this frame and those below it)
        try:
            return self._resolve_v3(target)
        except (NotFoundError, RegionBlockedError, BudgetSpentError, ApiClosedError):
            raise
        except ApiError as exc:
            raise ApiError(f"{first} (and the v3 API: {exc})") from None

    def _resolve_v3(self, target: Target) -> Album:
        if target.kind is not Kind.IMAGE:
            try:
                return answers.album_from_v3(self.client.get(f"/3/album/{target.id}").get("data"),
                                             prefer_gif=self.prefer_gif)
            except NotFoundError:
                if target.kind is Kind.ALBUM:
                    raise
        return answers.image_from_v3(self.client.get(f"/3/image/{target.id}").get("data"),
                                     prefer_gif=self.prefer_gif)

    def listing_page(self, target: Target, page: int) -> list[answers.Post | answers.Unlisted]:
        """Page ``page`` (from 0) of a listing; empty past the end."""
        authenticated = self.client.login.authenticated
        target = listings.as_me(target, self.own_name) if authenticated else target
        if listings.needs_token(target) and not (authenticated and listings.mine(target)):
            raise TokenNeededError(f"{target.url}: only your own access token can list this "
                                   "(--cookies FILE or IMGUR_ACCESS_TOKEN; see README, 'Your own account')")
        asked = listings.request(target, page)
        answer = self.client.fetch(asked.path, asked.params)
        # v3 answers wrap the list in "data"; gallery-dl's _pagination_v2 also takes a bare list.
        data = answer.get("data") if isinstance(answer, dict) else answer
        return answers.listing_page(data, target.kind, prefer_gif=self.prefer_gif, v1=asked.v1)

    def own_name(self) -> str | None:
        """The user name of the account whose token is used (API docs "Account Base": /3/account/me)."""
        def ask() -> str:
            try:
                data = self.client.get("/3/account/me").get("data")
            except TokenRefusedError:  # (said once, by the login): no account of its own, the rest goes on
                return ""
            name = data.get("url") if isinstance(data, dict) else None
            return name if isinstance(name, str) else ""

        return self.client.login.own_name(ask)
