"""Imgur's API: turn a :class:`Target` into an :class:`Album` of downloadable media.

Asks the API Imgur's own web front end uses (``/post/v1/...``) and falls back
to the documented v3 API (``/3/...``) when that fails for any reason other
than "not found". Waits out rate limits and "over capacity" answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests

from imgur_dl.errors import ApiError, Cancelled, NotFoundError
from imgur_dl.models import Album, Kind, Media, Source, Target
from imgur_dl.session import Cancel, RetryPolicy, describe, retry_after

API_ROOT = "https://api.imgur.com"
IMAGE_ROOT = "https://i.imgur.com"
# The public client id of Imgur's own web front end; --client-id overrides it.
DEFAULT_CLIENT_ID = "546c25a59c58ad7"

_V1_PATHS = {Kind.ALBUM: "albums", Kind.IMAGE: "media", Kind.GALLERY: "posts"}

Json = dict[str, Any]


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
        """The album (or lone image) ``target`` names, with its media in order."""
        path = f"/post/v1/{_V1_PATHS[target.kind]}/{target.id}"
        try:
            data = self._get(path, {"include": "media"})
            return self._from_v1(data, target)
        except (NotFoundError, Cancelled):
            raise
        except ApiError as exc:
            first = exc
        try:
            return self._resolve_v3(target)
        except ApiError as exc:
            raise ApiError(f"{target.id}: {first} (and the v3 API: {exc})") from None

    # -- v3, the documented API ------------------------------------------

    def _resolve_v3(self, target: Target) -> Album:
        if target.kind is not Kind.IMAGE:
            try:
                return self._from_v3_album(self._get(f"/3/album/{target.id}")["data"])
            except NotFoundError:
                if target.kind is Kind.ALBUM:
                    raise
        image = self._get(f"/3/image/{target.id}")["data"]
        return _shaped(lambda: self._lone(self._v3_media(image, 1), image.get("title"),
                                          image.get("description"), _iso(image.get("datetime"))))

    def _from_v3_album(self, data: Json) -> Album:
        def build() -> Album:
            return Album(
                id=data["id"],
                title=data.get("title") or "",
                description=data.get("description") or "",
                url=data.get("link") or f"https://imgur.com/a/{data['id']}",
                created_at=_iso(data.get("datetime")),
                is_album=True,
                media=tuple(self._v3_media(img, n) for n, img in enumerate(data["images"], 1)),
            )
        return _shaped(build)

    def _v3_media(self, img: Json, index: int) -> Media:
        mime = img.get("type") or ""
        link = _https(img.get("link") or f"{IMAGE_ROOT}/{img['id']}.{_ext_of(mime)}")
        ext = _norm_ext(link.rsplit(".", 1)[-1]) if "." in link.rsplit("/", 1)[-1] else _ext_of(mime)
        main = Source(link, ext, _int(img.get("size")))
        animated = bool(img.get("animated"))
        sources: tuple[Source, ...] = (main,)
        if animated and ext == "gif" and img.get("mp4"):
            mp4 = Source(_https(img["mp4"]), "mp4", _int(img.get("mp4_size")))
            sources = (main,) if self.prefer_gif else (mp4, main)
        return Media(
            id=img["id"], index=index, title=img.get("title") or "",
            description=img.get("description") or "", mime_type=mime,
            width=_int(img.get("width")) or 0, height=_int(img.get("height")) or 0,
            animated=animated, created_at=_iso(img.get("datetime")), sources=sources,
        )

    # -- v1, what imgur.com itself uses -----------------------------------

    def _from_v1(self, data: Json, target: Target) -> Album:
        def build() -> Album:
            items = data.get("media", [data])
            is_album = bool(data.get("is_album", target.kind is Kind.ALBUM)) and "media" in data
            if not is_album and items:
                meta = items[0].get("metadata") or {}
                return self._lone(self._v1_media(items[0], 1), data.get("title") or meta.get("title"),
                                  data.get("description") or meta.get("description"),
                                  data.get("created_at") or "")
            return Album(
                id=data["id"],
                title=data.get("title") or "",
                description=data.get("description") or "",
                url=data.get("url") or f"https://imgur.com/a/{data['id']}",
                created_at=data.get("created_at") or "",
                is_album=True,
                media=tuple(self._v1_media(item, n) for n, item in enumerate(items, 1)),
            )
        return _shaped(build)

    def _v1_media(self, item: Json, index: int) -> Media:
        meta = item.get("metadata") or {}
        ext = _norm_ext(item.get("ext") or _ext_of(item.get("mime_type") or ""))
        url = _https(item.get("url") or f"{IMAGE_ROOT}/{item['id']}.{ext}")
        main = Source(url, ext, _int(item.get("size")))
        animated = bool(meta.get("is_animated"))
        sources: tuple[Source, ...] = (main,)
        if animated and ext == "gif" and not self.prefer_gif:
            # Imgur serves every animated GIF as MP4 too, far smaller; the API
            # does not give its size, so only Content-Length can check it.
            sources = (Source(f"{IMAGE_ROOT}/{item['id']}.mp4", "mp4", None), main)
        return Media(
            id=item["id"], index=index, title=meta.get("title") or "",
            description=meta.get("description") or "", mime_type=item.get("mime_type") or "",
            width=_int(item.get("width")) or 0, height=_int(item.get("height")) or 0,
            animated=animated, created_at=item.get("created_at") or "", sources=sources,
        )

    @staticmethod
    def _lone(media: Media, title: str | None, description: str | None, created: str) -> Album:
        return Album(
            id=media.id, title=title or media.title, description=description or media.description,
            url=f"https://imgur.com/{media.id}", created_at=created or media.created_at,
            is_album=False, media=(media,),
        )

    # -- transport ----------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None) -> Json:
        """GET an API path as JSON, through rate limits and passing failures."""
        url = API_ROOT + path
        headers = {"Authorization": f"Client-ID {self.client_id}", "Accept": "application/json"}
        attempt = 0
        while True:
            attempt += 1
            self.cancel.check()
            try:
                response = self.session.get(url, params=params, headers=headers)
            except requests.RequestException as exc:
                if attempt > self.policy.retries:
                    raise ApiError(f"cannot reach {API_ROOT}: {describe(exc)}") from None
                self.cancel.sleep(self.policy.backoff(attempt))
                continue
            status = response.status_code
            if status == 200:
                try:
                    body = response.json()
                except ValueError:
                    raise ApiError(f"{path}: the answer is not JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(f"{path}: unexpected answer")
                return body
            message = _error_message(response)
            if status == 404:
                raise NotFoundError(message or "not found")
            overloaded = status == 429 or (status in (403, 500, 503) and "capacity" in message.lower())
            if (overloaded or status >= 500) and attempt <= self.policy.retries:
                wait = self.policy.server_wait(retry_after(response), attempt)
                if overloaded:
                    self.say(f"api.imgur.com: {message or status} - waiting {wait:.0f}s")
                self.cancel.sleep(wait)
                continue
            raise ApiError(f"HTTP {status}" + (f": {message}" if message else ""))


def _shaped(build: Callable[[], Album]) -> Album:
    """Run a parser over an API answer; an answer of the wrong shape is an ApiError."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ApiError(f"unexpected answer from the API ({type(exc).__name__}: {exc})") from None


def _error_message(response: requests.Response) -> str:
    """The human part of an Imgur error body (v1 ``errors`` list or v3 ``data.error``)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("status") or "")
        data = body.get("data")
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict):
                return str(error.get("message") or "")
            if error:
                return str(error)
    return response.reason or ""


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _iso(value: Any) -> str:
    if isinstance(value, str):
        return value
    seconds = _int(value)
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _norm_ext(ext: str) -> str:
    ext = ext.lower().lstrip(".")
    return "jpg" if ext == "jpeg" else ext


_MIME_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "video/mp4": "mp4",
             "image/webp": "webp", "image/apng": "png", "video/webm": "webm", "image/avif": "avif"}


def _ext_of(mime: str) -> str:
    return _MIME_EXT.get(mime.lower(), "bin")


def _https(url: str) -> str:
    return "https://" + url[len("http://"):] if url.startswith("http://") else url
