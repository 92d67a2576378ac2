"""Imgur's API: turn a :class:`Target` into an :class:`Album` of downloadable media.

Asks the API Imgur's own web front end uses (``/post/v1/...``) and falls back
to the documented v3 API (``/3/...``) when that fails for any reason other
than "not found". Waits out rate limits and "over capacity" answers. Answers
are read up to a size cap and parsed by :mod:`imgur_dl.answers`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from imgur_dl import answers
from imgur_dl.errors import ApiError, Cancelled, NotFoundError, RegionBlockedError
from imgur_dl.hosts import API_ROOT
from imgur_dl.models import Album, Kind, Target
from imgur_dl.session import Cancel, RetryPolicy, describe, retry_after
from imgur_dl.text import printable

# The public client id of Imgur's own web front end; --client-id overrides it.
DEFAULT_CLIENT_ID = "546c25a59c58ad7"
# The largest answer read: a 5,000-image album is about 3 MB of JSON.
MAX_ANSWER = 32 * 1024 * 1024

_V1_PATHS = {Kind.ALBUM: "albums", Kind.IMAGE: "media", Kind.GALLERY: "posts"}


class ImgurApi:
    def __init__(
        self,
        session: requests.Session,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        policy: RetryPolicy | None = None,
        cancel: Cancel | None = None,
        say: Callable[[str], None] = lambda _msg: None,
        prefer_gif: bool = False,
    ) -> None:
        self.session = session
        self.client_id = client_id
        self.policy = policy or RetryPolicy()
        self.cancel = cancel or Cancel()
        self.say = say
        self.prefer_gif = prefer_gif

    def resolve(self, target: Target) -> Album:
        """The album (or lone image) ``target`` names, with its media in order.

        A direct link (``i.imgur.com/<id>.<ext>``) is fetched from the CDN even
        when the API does not know it (hidden and mature posts answer 404 there
        while their files are served): the API only adds metadata.
        """
        try:
            return self._resolve(target)
        except (Cancelled, RegionBlockedError):
            raise
        except (NotFoundError, ApiError) as exc:
            if target.ext is None:
                raise
            self.say(f"imgur-dl: {target.id}: the API does not describe it ({printable(exc)}); "
                     "fetching the direct link")
            return answers.album_from_link(target, prefer_gif=self.prefer_gif)

    def _resolve(self, target: Target) -> Album:
        path = f"/post/v1/{_V1_PATHS[target.kind]}/{target.id}"
        try:
            return answers.album_from_v1(self._get(path, {"include": "media"}), target, prefer_gif=self.prefer_gif)
        except (NotFoundError, Cancelled, RegionBlockedError):
            raise
        except ApiError as exc:
            first = exc
        try:
            return self._resolve_v3(target)
        except (NotFoundError, Cancelled, RegionBlockedError):
            raise
        except ApiError as exc:
            raise ApiError(f"{first} (and the v3 API: {exc})") from None

    def _resolve_v3(self, target: Target) -> Album:
        if target.kind is not Kind.IMAGE:
            try:
                return answers.album_from_v3(self._get(f"/3/album/{target.id}").get("data"),
                                             prefer_gif=self.prefer_gif)
            except NotFoundError:
                if target.kind is Kind.ALBUM:
                    raise
        return answers.image_from_v3(self._get(f"/3/image/{target.id}").get("data"), prefer_gif=self.prefer_gif)

    # -- transport ----------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None) -> answers.Json:
        """GET an API path as a JSON object, through rate limits and passing failures."""
        url = API_ROOT + path
        headers = {"Authorization": f"Client-ID {self.client_id}", "Accept": "application/json"}
        attempt = 0
        while True:
            attempt += 1
            self.cancel.check()
            try:
                with self.session.get(url, params=params, headers=headers, stream=True,
                                      allow_redirects=False) as response:
                    body = _read(response)
            except requests.RequestException as exc:
                if attempt > self.policy.retries:
                    raise ApiError(f"cannot reach {API_ROOT}: {describe(exc)}") from None
                self.cancel.sleep(self.policy.backoff(attempt))
                continue
            status = response.status_code
            if status == 200:
                parsed = _json(body)
                if not isinstance(parsed, dict):
                    raise answers.Unusable("unusable answer from the API (not a JSON object)")
                return parsed
            message = printable(answers.error_message(_json(body, quiet=True)) or response.reason or "")
            if "banned country" in message.lower():
                raise RegionBlockedError(f"Imgur blocks this country or region ({message})")
            if status == 404:
                raise NotFoundError(message or "not found")
            if 300 <= status < 400:
                raise ApiError(f"the API answered with a redirect (HTTP {status}); not followed")
            overloaded = status == 429 or (status in (403, 500, 503) and "capacity" in message.lower())
            if (overloaded or status >= 500) and attempt <= self.policy.retries:
                wait = self.policy.server_wait(retry_after(response), attempt)
                if overloaded:
                    self.say(f"imgur-dl: api.imgur.com: {message or status} - waiting {wait:.0f}s")
                self.cancel.sleep(wait)
                continue
            raise ApiError(f"HTTP {status}" + (f": {message}" if message else ""))


def _read(response: requests.Response) -> bytes:
    """The whole body, or :class:`ApiError` once it passes :data:`MAX_ANSWER` bytes."""
    body = bytearray()
    for chunk in response.iter_content(256 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER:
            raise answers.Unusable(f"unusable answer from the API (larger than {MAX_ANSWER // 2**20} MiB)")
    return bytes(body)


def _json(body: bytes, *, quiet: bool = False) -> object:
    """``body`` parsed; an answer that is not JSON (or nests past any sense) is unusable."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        if quiet:
            return None
        raise answers.Unusable("unusable answer from the API (not JSON)") from None
