"""Folder and file names: templates filled from album data, made safe for any disk.

Every piece of text that comes from the network passes through
:func:`sanitize` before it touches a path, and every path is checked to stay
inside the output folder.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter

from imgur_dl.errors import UsageError
from imgur_dl.hashset import HashSet
from imgur_dl.models import Album, Kind, Listing, Media

DEFAULT_DIR = "{album_id} - {album_title}"
DEFAULT_NAME = "{index}-{id}.{ext}"
SINGLE_NAME = "{id}.{ext}"  # a lone image (not an album) goes straight into the output folder
PART_SUFFIX = ".part"
MAX_COMPONENT_BYTES = 255

FIELDS = {
    "index": "position in the album, zero-padded to sort (001, 002, ...)",
    "num": "position in the album, not padded",
    "count": "number of items in the album",
    "id": "the image id",
    "name": "the uploader's own file name, without its extension (the id when Imgur has none)",
    "title": "the image title (may be empty)",
    "ext": "file extension (jpg, png, mp4, ...)",
    "width": "width in pixels",
    "height": "height in pixels",
    "date": "upload date, YYYY-MM-DD",
    "album_id": "the album id",
    "album_title": "the album title (may be empty)",
    "album_date": "album creation date, YYYY-MM-DD",
    "post_id": "the post's id (an album's, or a lone image's)",
    "post_date": "the post's date, YYYY-MM-DD",
    "user": "the user whose posts or favorites are listed (listings only)",
    "tag": "the tag listed (listings only)",
    "subreddit": "the subreddit listed (listings only)",
    "search": "the search words (listings only)",
    "position": "the post's place in its listing (listings only)",
}

_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = re.compile(r"^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\..*)?$", re.IGNORECASE)
_DANGLING = " -_."


def sanitize(text: str, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """``text`` as one safe path component (never empty, never '.' or '..')."""
    if not (text.isascii() and text.isprintable()):  # (printable ASCII, as most names are, has nothing to drop)
        text = _printable(text)
    text = _UNSAFE.sub("_", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.lstrip(". ").rstrip(". ")  # no hidden files, no '..', no trailing dot (Windows)
    if _WINDOWS_RESERVED.match(text) or text.startswith(("-", "~")):
        text = "_" + text  # (a name a shell would take for an option or a home folder gets a prefix)
    text = truncate_utf8(text, max_bytes).rstrip(". ")
    return text or "_"


def _printable(text: str) -> str:
    """``text`` in NFC, lone surrogates (from JSON) replaced, white space as spaces, and no control or format
    characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _SPACES.sub(" ", text)  # tabs and newlines become spaces
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` that is at most ``max_bytes`` of UTF-8."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def _date(iso: str) -> str:
    return iso[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", iso) else ""


def index_width(count: int) -> int:
    """Digits for zero-padded positions: three at least, more for bigger albums."""
    return max(3, len(str(count)))


@dataclass(frozen=True)
class Template:
    """A ``--dir`` or ``--name`` template, checked once, filled per item."""

    text: str
    option: str = field(default="template", compare=False)  # what gave it, as its errors name it (``--dir``)

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise UsageError(f"{self.option}: a template cannot be empty")
        try:
            names = [name for _, name, _, _ in Formatter().parse(self.text) if name is not None]
        except ValueError as exc:
            raise UsageError(f"bad template {self.text!r}: {exc}") from None
        for name in names:
            if name not in FIELDS:
                known = ", ".join("{" + f + "}" for f in FIELDS)
                raise UsageError(f"unknown field {{{name}}} in template {self.text!r} (known: {known})")
        # A sample of every field, rendered now: a template that cannot render (a format that does not
        # fit its field, a field inside another's format, a width past any sense) is a usage error
        # before anything is fetched, not a failure in the middle of a run.
        if any(re.search(r"\d{4,}", spec) for _, _, spec, _ in Formatter().parse(self.text) if spec):
            raise UsageError(f"bad template {self.text!r}: a width past any file name's length")
        try:
            self.render(_SAMPLE)
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever str.format makes of it, said as one line
            raise UsageError(f"bad template {self.text!r}: {type(exc).__name__}: {exc}") from None

    def uses(self, field: str) -> bool:
        """Whether the template names ``field`` (``{id}``, ``{id:>8}``)."""
        return any(name == field for _, name, _, _ in Formatter().parse(self.text))

    def render(self, values: dict[str, str | int], *, reserve: int = 0) -> Path:
        """A relative path: one sanitised component per '/' of the template.

        ``reserve`` bytes are kept free in the last component (for ``.part``).
        """
        parts: list[str] = []
        pieces = [p for p in self.text.split("/") if p.strip()]
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            parts.append(_render_piece(piece, values, MAX_COMPONENT_BYTES - (reserve if last else 0)))
        return Path(*parts)


@functools.lru_cache(maxsize=64)
def _names(piece: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(piece) if name)


def _render_piece(piece: str, values: dict[str, str | int], max_bytes: int) -> str:
    names = _names(piece)
    safe = {k: (sanitize(v) if isinstance(v, str) and v else v) for k, v in values.items() if k in names}
    try:
        text = piece.format(**safe)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UsageError(f"bad template {piece!r}: {type(exc).__name__}: {exc}") from None
    ext = str(values.get("ext", ""))
    stem, dot_ext = (text[: -len(ext) - 1], "." + ext) if ext and text.endswith("." + ext) else (text, "")
    if any(values.get(name) in ("", None) for name in names):
        stem = stem.strip(_DANGLING) or "_"  # "{album_id} - {album_title}" with no title
    return sanitize(truncate_utf8(stem, max_bytes - len(dot_ext)) + dot_ext, max_bytes)


def fields(album: Album, media: Media | None, ext: str = "") -> dict[str, str | int]:
    """Template values for one item (``media`` None: the album's own fields only)."""
    count = len(album.media)
    index = media.index if media else 0
    return {
        "index": str(index).zfill(index_width(count)),
        "num": index,
        "count": count,
        "id": media.id if media else "",
        "name": original_name(media) if media else "",
        "title": media.title if media else "",
        "ext": ext,
        "width": media.width if media else 0,
        "height": media.height if media else 0,
        "date": _date(media.created_at) if media else "",
        "album_id": album.id,
        "album_title": album.title,
        "album_date": _date(album.created_at),
        "post_id": album.id,
        "post_date": _date(album.posted or album.created_at),
        **_listing_fields(album.listing),
        "position": album.position or "",
    }


_MEDIA_SUFFIX = re.compile(r"\.(?:jpe?g|png|gif|gifv|webp|mp4|webm|mov|avif|heic|tiff?|bmp|apng)$", re.IGNORECASE)


def original_name(media: Media) -> str:
    """The name the file was uploaded as, without its extension; the id when Imgur kept none.

    (Text from a server: made safe like every field when a template is rendered.)
    """
    name = _MEDIA_SUFFIX.sub("", media.name.strip())
    return name if name.strip(_DANGLING) else media.id


def _listing_fields(listing: Listing | None) -> dict[str, str | int]:
    names: dict[str, str | int] = {"user": "", "tag": "", "subreddit": "", "search": ""}
    if listing is not None:
        key = {Kind.USER: "user", Kind.FAVORITES: "user", Kind.FOLDER: "user", Kind.HIDDEN: "user",
               Kind.IMAGES: "user", Kind.TAG: "tag",
               Kind.SUBREDDIT: "subreddit", Kind.SEARCH: "search"}.get(listing.kind)
        if key is not None:
            names[key] = listing.name.partition("/")[0] if listing.kind is Kind.FOLDER else listing.name
    return names


# Values of every field's type, for the sample render of each template.
_SAMPLE: dict[str, str | int] = {
    "index": "001", "num": 1, "count": 3, "id": "AbC1234", "name": "holiday", "title": "a title", "ext": "jpg",
    "width": 640, "height": 480, "date": "2024-05-17", "album_id": "XyZ9876", "album_title": "an album",
    "album_date": "2024-05-17", "post_id": "XyZ9876", "post_date": "2024-05-17", "user": "someone", "tag": "cats",
    "subreddit": "pics", "search": "red panda", "position": 1,
}
assert set(_SAMPLE) == set(FIELDS)  # noqa: S101 - a field without a sample would go unchecked

_DEFAULT_NAME = Template(DEFAULT_NAME)
_SINGLE_NAME = Template(SINGLE_NAME)


@dataclass(frozen=True)
class Namer:
    """Decides where each item of an album is saved, below ``root``."""

    root: Path
    dir_template: Template = Template(DEFAULT_DIR)
    name_template: Template | None = None  # None: DEFAULT_NAME, or SINGLE_NAME for lone images

    def folder(self, album: Album) -> Path:
        """An album's own folder; a lone image's is its listing's (or the output folder)."""
        base = self.root if album.listing is None else self.root / sanitize(album.listing.folder)
        if not album.is_album:
            return base
        return base / _inside(self.dir_template.render(fields(album, None)))

    @functools.cached_property
    def names_by_id(self) -> bool:
        """Every file's name holds its id (the defaults do): no two media are ever given one name."""
        return self.name_template is None or self.name_template.uses("id")

    def path(self, album: Album, media: Media, ext: str, folder: Path | None = None) -> Path:
        """Where ``media`` is saved; ``folder``, when given, is ``self.folder(album)`` made once."""
        template = self.name_template or (_DEFAULT_NAME if album.is_album else _SINGLE_NAME)
        relative = template.render(fields(album, media, ext), reserve=len(PART_SUFFIX))
        return (folder or self.folder(album)) / _inside(relative)


def disambiguate(path: Path, media_id: str, taken: HashSet, *, fold: bool = False,
                 clash: Callable[[Path], bool] | None = None) -> Path:
    """``path``, or when another file of this run has it, ``<stem> (<id>)<suffix>``; with ``fold`` (names that
    ignore case), also when another has it in another case (Imgur's ids tell ``AbC`` from ``abc``); and when
    ``clash`` says a file that is not this one holds it already.

    ``taken`` holds a 64-bit hash of each path given out, not the path: a run of a million files keeps
    16 MB, not hundreds. (Two paths that hash alike cost the second an id in its name.)
    """
    def key(p: Path) -> int:
        return hash(str(p).casefold() if fold else str(p))

    if key(path) in taken or (clash is not None and clash(path)):
        tag = sanitize(f"({media_id})", 40)
        stem = truncate_utf8(path.stem, MAX_COMPONENT_BYTES - len(PART_SUFFIX) - len(path.suffix) - len(tag) - 1)
        path = path.with_name(f"{stem} {tag}{path.suffix}")
    taken.add(key(path))
    return path


def _inside(relative: Path) -> Path:
    """``relative``, checked to stay below the folder it is joined to.

    Components are sanitised, so this cannot fail; it is the last line of
    defence, and pure (no file-system calls per file).
    """
    if relative.is_absolute() or any(part in ("..", ".", "") for part in relative.parts):
        raise UsageError(f"refusing to write outside the output folder: {relative}")
    return relative
