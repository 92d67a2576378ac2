"""Imgur's API answers (parsed JSON) turned into :class:`Album` records. Pure: no I/O.

Every value is checked for its type before it is used, so an answer of any
shape ends in an :class:`Album` or an :class:`ApiError` naming what was
wrong, never in a ``KeyError`` or ``TypeError`` from deep inside. Ids must
look like Imgur's ([A-Za-z0-9]); extensions are reduced to a few lowercase
letters and digits; URLs are kept as given and checked by the downloader
before anything is fetched from them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imgur_dl import packed
from imgur_dl.dates import iso
from imgur_dl.errors import ApiError, EmptyAlbumError
from imgur_dl.hosts import IMAGE_ROOT
from imgur_dl.models import Album, Kind, Media, Source, Target
from imgur_dl.packed import PackedMedia
from imgur_dl.text import decimal
from imgur_dl.urls import served_ext

Json = dict[str, Any]

_ID = re.compile(r"[A-Za-z0-9]{1,32}")  # matched whole: "$" would let a trailing newline through
# The extensions of the files Imgur serves (and of the renditions it makes): nothing else names a file.
MEDIA_EXTS = frozenset({"jpg", "png", "gif", "mp4", "webp", "webm", "avif", "heic", "apng", "tif", "tiff", "bmp",
                        "mov"})
_MIME_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "video/mp4": "mp4",
             "image/webp": "webp", "image/apng": "png", "video/webm": "webm", "image/avif": "avif",
             "image/heic": "heic", "video/quicktime": "mov"}
# Extensions as answers usually spell them, and the one each names: looked up before being worked out.
_SERVED = {spelling: served_ext(spelling) for ext in MEDIA_EXTS | {"jpeg", "gifv"}
           for spelling in (ext, ext.upper(), f".{ext}") if served_ext(spelling) in MEDIA_EXTS}


# Unusable items of one album answer past which the whole answer is refused.
MAX_UNUSABLE = 10_000
# Unusable items of one listing page past which the whole page is (a page holds 60 posts).
MAX_UNLISTED = 100


class Unusable(ApiError):
    """The answer parsed as JSON but is not of a shape we can use."""


def album_from_v1(data: object, target: Target, *, prefer_gif: bool) -> Album:
    """An answer of ``/post/v1/{albums,media,posts}/<id>?include=media``."""
    post = _obj(data, "answer")
    post_id = _id(post.get("id"), "post id")
    media = post.get("media")
    if not isinstance(media, MediaItems):  # (decoded whole: a post of a listing page)
        media = None if media is None else _collected(_list(media, "media"), v1_items(prefer_gif=prefer_gif))
    if media is None or not (media.media or media.unusable):
        # An album with no media Imgur shows answers 200 without a "media" key.
        raise EmptyAlbumError(f"{post_id}: the album is empty (Imgur shows no media in it)")
    items, unusable = media.usable()
    is_album = post.get("is_album")
    if not isinstance(is_album, bool):
        is_album = target.kind is Kind.ALBUM
    if not is_album and len(items) == 1 and not unusable:
        return _lone(items[0], _text(post.get("title")), _text(post.get("description")),
                     _text(post.get("created_at")))
    return Album(
        id=post_id, title=_text(post.get("title")), description=_text(post.get("description")),
        url=f"https://imgur.com/a/{post_id}", created_at=_text(post.get("created_at")),
        is_album=True, media=items, unusable=unusable,
    )


class MediaItems:
    """An album's media items, each parsed as it comes (as the answer is decoded: a
    :class:`jsonstream.Collector`): the usable ones packed, and (position, why) for the others.

    One bad item costs that item, not the album. Past :data:`MAX_UNUSABLE`
    unusable items the answer is refused: an answer of millions of tiny items
    costs that many, not millions.
    """

    def __init__(self, parse: Callable[[object, int], packed.Record]) -> None:
        self.parse = parse
        self.media = PackedMedia()
        self.unusable: list[tuple[int, str]] = []

    def add(self, item: object, position: int) -> None:
        parsed = _parsed(self.parse, item, position)
        if isinstance(parsed, tuple):
            self.media.add(parsed)
            return
        self.unusable.append((position, str(parsed)))
        if len(self.unusable) > MAX_UNUSABLE:
            raise Unusable(f"unusable answer from the API (more than {MAX_UNUSABLE:,} unusable media items)")

    def usable(self) -> tuple[PackedMedia, tuple[tuple[int, str], ...]]:
        """The usable items and (position, why) for the others; an album with no usable item is unusable."""
        if self.unusable and not self.media:
            raise Unusable(self.unusable[0][1])
        return self.media, tuple(self.unusable)


def v1_items(*, prefer_gif: bool) -> MediaItems:
    """A collector for a v1 answer's ``media``."""
    return MediaItems(functools.partial(v1_record, prefer_gif=prefer_gif))


def _collected(raw: list[Any], into: MediaItems) -> MediaItems:
    """``raw`` (an answer's items, decoded whole) given to ``into`` one by one, each let go once parsed."""
    for n in range(1, len(raw) + 1):
        item, raw[n - 1] = raw[n - 1], None
        into.add(item, n)
    return into


def _parsed(parse: Callable[[object, int], packed.Record], item: object, n: int) -> packed.Record | Unusable:
    try:
        return parse(item, n)
    except Unusable as exc:
        return exc.with_traceback(None)  # (not the frames it was raised through)


def v1_record(data: object, index: int, *, prefer_gif: bool) -> packed.Record:
    """One item of a v1 answer's ``media``, checked, as the record :mod:`imgur_dl.packed` keeps (an
    album's items are packed as they are decoded: no Media is made for them until they are fetched).

    (Called once an item, 100,000 times for a big album: an extension as answers spell it is looked up.)
    """
    item = _obj(data, "media item")
    get = item.get
    media_id = _id(get("id"), "media id")
    meta = get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    mime = _text(get("mime_type"))
    ext = _ext(get("ext"), mime)
    main = packed.source_record(media_id, _text(get("url")) or None, ext, _int(get("size")))
    animated = meta.get("is_animated") is True
    sources: tuple[packed.SourceRecord, ...] = (main,)
    if animated and ext == "gif" and not prefer_gif:
        # Imgur serves every animated GIF as MP4 too, far smaller; the API
        # does not give its size, so only Content-Length can check it.
        sources = ((None, "mp4", None), main)
    return (media_id, index, _text(meta.get("title")), _text(meta.get("description")), mime,
            _int(get("width")) or 0, _int(get("height")) or 0, animated, _text(get("created_at")), sources,
            _text(get("name")))


def album_from_v3(data: object, *, prefer_gif: bool) -> Album:
    """The ``data`` of ``/3/album/<id>``."""
    album = _obj(data, "album")
    album_id = _id(album.get("id"), "album id")
    images = _list(album.get("images"), "images")
    if not images:
        raise EmptyAlbumError(f"{album_id}: the album is empty (Imgur shows no media in it)")
    parse = MediaItems(lambda img, n: packed.record_of(_v3_media(_obj(img, "image"), n, prefer_gif)))
    items, unusable = _collected(images, parse).usable()
    return Album(
        id=album_id, title=_text(album.get("title")), description=_text(album.get("description")),
        url=f"https://imgur.com/a/{album_id}", created_at=_iso(album.get("datetime")), is_album=True,
        media=items, unusable=unusable,
    )


def image_from_v3(data: object, *, prefer_gif: bool) -> Album:
    """The ``data`` of ``/3/image/<id>``, as an album of one."""
    image = _obj(data, "image")
    media = _v3_media(image, 1, prefer_gif)
    return _lone(media, media.title, media.description, media.created_at)


def _v3_media(img: Json, index: int, prefer_gif: bool) -> Media:
    media_id = _id(img.get("id"), "image id")
    mime = _text(img.get("type"))
    link = _text(img.get("link"))
    tail = link.rsplit("/", 1)[-1]
    ext = _ext(tail.rsplit(".", 1)[-1] if "." in tail else None, mime)
    main = Source(link or f"{IMAGE_ROOT}/{media_id}.{ext}", ext, _int(img.get("size")))
    animated = img.get("animated") is True
    sources: tuple[Source, ...] = (main,)
    mp4 = _text(img.get("mp4"))
    if animated and ext == "gif" and mp4 and not prefer_gif:
        sources = (Source(mp4, "mp4", _int(img.get("mp4_size"))), main)
    return Media(
        id=media_id, index=index, title=_text(img.get("title")), description=_text(img.get("description")),
        mime_type=mime, width=_int(img.get("width")) or 0, height=_int(img.get("height")) or 0,
        animated=animated, created_at=_iso(img.get("datetime")), sources=sources,
    )


@dataclass(frozen=True)
class Post:
    """One entry of a listing page: an album to look up, or an image described in full."""

    id: str
    is_album: bool
    created_at: str
    ready: Album | None  # the post complete from the listing itself (None: to look up)


@dataclass(frozen=True)
class Unlisted:
    """An item of a listing page that is no post we can use (not an object, no valid id): its place on its page
    (from 1), and why."""

    index: int
    why: str


def listing_page(data: object, kind: Kind, *, prefer_gif: bool, v1: bool = False) -> list[Post | Unlisted]:
    """The posts of one page of a listing (``data``; the tag endpoint wraps them in ``items``), in order.

    A favorites folder's items are looked up one by one, as gallery-dl's
    extractor does (it reads only their ``id`` and ``is_album``); the other
    v3 listings describe an image post in full. ``v1``: a post/v1 listing
    (your own posts, your hidden albums), whose posts come with their media.
    One unusable item costs that item (an :class:`Unlisted` in its place), not
    the listing; a page of no usable item, or of more than
    :data:`MAX_UNLISTED` unusable ones, is unusable.
    """
    if kind is Kind.TAG and isinstance(data, dict):
        data = data.get("items")
    posts: list[Post | Unlisted] = []
    unlisted = 0
    for n, entry in enumerate(_list(data, "listing"), start=1):
        post = _listed(entry, n, kind, prefer_gif, v1)
        posts.append(post)
        if isinstance(post, Unlisted):
            unlisted += 1
            if unlisted > MAX_UNLISTED:
                raise Unusable(f"unusable answer from the API (more than {MAX_UNLISTED} unusable listing items)")
    if unlisted and unlisted == len(posts):
        raise Unusable(next(post.why for post in posts if isinstance(post, Unlisted)))
    return posts


def _listed(entry: object, n: int, kind: Kind, prefer_gif: bool, v1: bool) -> Post | Unlisted:
    """Item ``n`` of a listing page as a post; or why it is none."""
    try:
        item = _obj(entry, "listing item")
        post_id = _id(item.get("id"), "post id")
    except Unusable as exc:
        return Unlisted(n, str(exc))
    created = _iso(item.get("datetime"))
    if v1:
        return _v1_listed(item, post_id, prefer_gif)
    if item.get("is_album") is True or kind is Kind.FOLDER:
        return Post(post_id, item.get("is_album") is True, created, None)
    return Post(post_id, False, created, image_from_v3(item, prefer_gif=prefer_gif))


def _v1_listed(item: Json, post_id: str, prefer_gif: bool) -> Post:
    """A post of a post/v1 listing, complete with its media; one the answer does not describe is looked up (one
    with no media too, as an empty album: the look-up says so, for that post alone, not the listing's end)."""
    created = _text(item.get("created_at"))
    is_album = item.get("is_album") is True
    try:
        album = album_from_v1(item, Target(Kind.ALBUM if is_album else Kind.GALLERY, post_id, ""),
                              prefer_gif=prefer_gif)
    except (ApiError, EmptyAlbumError):
        return Post(post_id, is_album, created, None)
    return Post(post_id, album.is_album, created, album)


def album_from_link(target: Target, *, prefer_gif: bool) -> Album:
    """A direct link's file, when the API cannot say more: the link says where the bytes are."""
    ext = _ext(target.ext, "")
    sources: tuple[Source, ...] = (Source(f"{IMAGE_ROOT}/{target.id}.{ext}", ext, None),)
    if ext == "gif" and not prefer_gif:
        # Whether it is animated is unknown; the MP4 exists only if it is, and
        # the downloader falls back to the GIF when it does not.
        sources = (Source(f"{IMAGE_ROOT}/{target.id}.mp4", "mp4", None), *sources)
    media = Media(id=target.id, index=1, title="", description="", mime_type="", width=0, height=0,
                  animated=False, created_at="", sources=sources)
    return _lone(media, "", "", "")


def error_message(body: object) -> str:
    """The human part of an Imgur error body (v1 ``errors`` list or v3 ``data.error``), or ''."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return _text(errors[0].get("detail")) or _text(errors[0].get("status"))
    data = body.get("data")
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return _text(error.get("message"))
        return _text(error)
    return ""


def _lone(media: Media, title: str, description: str, created: str) -> Album:
    return Album(
        id=media.id, title=title or media.title, description=description or media.description,
        url=f"https://imgur.com/{media.id}", created_at=created or media.created_at,
        is_album=False, media=(media,),
    )


# -- checked accessors ------------------------------------------------------

def _obj(value: object, what: str) -> Json:
    if not isinstance(value, dict):
        raise Unusable(f"unusable answer from the API ({what} is not an object)")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise Unusable(f"unusable answer from the API ({what} is not a list)")
    return value


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        shown = f": {value[:40]!r}" if isinstance(value, str) else ""
        raise Unusable(f"unusable answer from the API (no valid {what}{shown})")
    return value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object) -> int | None:
    if type(value) is int:  # (the usual value first: one test)
        return value if value >= 0 else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    return decimal(value) if isinstance(value, str) else None


def _ext(value: object, mime: str) -> str:
    """A media extension Imgur serves; from the type when the answer names another; else ``bin``.

    (A ``.bin`` file is saved only when its bytes are a picture or a video: :func:`imgur_dl.sniff.check`.)
    """
    if isinstance(value, str) and (known := _SERVED.get(value)) is not None:
        return known
    ext = served_ext(value) if isinstance(value, str) else ""
    if ext in MEDIA_EXTS:
        return ext
    return _MIME_EXT.get(mime.lower(), "bin")


def _iso(value: object) -> str:
    if isinstance(value, str):
        return value
    seconds = _int(value)
    return "" if seconds is None else iso(seconds)
