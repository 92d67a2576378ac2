"""Typed records that flow between the modules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from imgur_dl.status import ExitStatus

ME = "me"  # a listing's user name that stands for the account whose access token is used


class Kind(str, Enum):
    ALBUM = "album"
    GALLERY = "gallery"  # a gallery post: an album or a single image
    IMAGE = "image"
    # Listings: many posts, read page by page.
    USER = "user"  # a user's posts
    FAVORITES = "favorites"  # a user's favorites
    FOLDER = "folder"  # one favorites folder: id is "<user>/<folder id>"
    TAG = "tag"
    SUBREDDIT = "subreddit"
    SEARCH = "search"  # id is the search words
    HIDDEN = "hidden"  # your own hidden albums (id "me"; needs your access token)
    IMAGES = "images"  # every image of your own account, in a post or not (needs your access token)

    @property
    def is_listing(self) -> bool:
        return self not in (Kind.ALBUM, Kind.GALLERY, Kind.IMAGE)


class Entry(str, Enum):
    """What the download archive records (and ``--share-work`` claims)."""

    IMAGE = "image"
    ALBUM = "album"  # an album every file of which was saved
    LISTING = "listing"  # a listing read to its end from a post, every post of it saved (imgur_dl.readthrough)


@dataclass(frozen=True, slots=True)
class Target:
    """What a URL on the command line names."""

    kind: Kind
    id: str
    url: str  # as the user gave it
    ext: str | None = None  # a direct link's extension: where the CDN serves the file


@dataclass(frozen=True, slots=True)
class Listing:
    """Where a post was listed: a user's posts, a tag, a search ..."""

    kind: Kind
    name: str

    @property
    def label(self) -> str:
        """How --json rows and album.json name it: "user/<name>", "tag/<tag>", ..."""
        return f"{self.kind.value}/{self.name}"

    @property
    def folder(self) -> str:
        """The folder its posts go into (made safe by the namer)."""
        if self.kind is Kind.FOLDER:
            user, _, folder = self.name.partition("/")
            return f"favorites {user} folder {folder}"
        if self.kind is Kind.HIDDEN:
            return f"hidden albums {self.name}"
        return f"{self.kind.value} {self.name}"


@dataclass(frozen=True, slots=True)
class Source:
    """One downloadable rendition of a media item."""

    url: str
    ext: str  # file extension for this rendition, without the dot
    size: int | None  # bytes the API reported for this rendition; None when it did not say


@dataclass(frozen=True, slots=True)
class Media:
    """One image or video of an album, in album order."""

    id: str
    index: int  # 1-based position in the album
    title: str
    description: str
    mime_type: str
    width: int
    height: int
    animated: bool
    created_at: str
    # Preferred rendition first; later ones are fallbacks (an animation's GIF
    # when its MP4 keeps being refused).
    sources: tuple[Source, ...]
    name: str = ""  # the uploader's own file name (post/v1 "name"; often empty)

    @property
    def ext(self) -> str:
        return self.sources[0].ext

    @property
    def dimensions(self) -> tuple[int, int] | None:
        """Width and height, when the API gave them."""
        return (self.width, self.height) if self.width and self.height else None


@dataclass(frozen=True, slots=True)
class Album:
    """An album, or a single image treated as an album of one."""

    id: str
    title: str
    description: str
    url: str
    created_at: str
    is_album: bool
    media: Sequence[Media]  # (a tuple, or for an album's answer its items packed: :mod:`imgur_dl.packed`)
    listing: Listing | None = None  # set for a post of a listing
    position: int = 0  # its 1-based place in that listing
    posted: str = ""  # when it was posted to the gallery, as the listing says (ISO 8601)
    # Items of the answer that could not be used, each said and counted as a failed file:
    # (position in the album, what was wrong).
    unusable: tuple[tuple[int, str], ...] = ()
    claim: tuple[Entry, str] | None = None  # --share-work: what this process claimed to fetch it


class Status(str, Enum):
    SAVED = "saved"
    SKIPPED = "skipped"
    FAILED = "failed"


class Origin(str, Enum):
    """Where a file's bytes came from."""

    IMGUR = "imgur"
    WAYBACK = "wayback"  # a capture in the Internet Archive's Wayback Machine


@dataclass(frozen=True, slots=True)
class Job:
    """One file to fetch: which item, and the final path for each rendition."""

    album: Album
    media: Media
    # Parallel to media.sources (none for a file the archive has, or one -g lists without --json: not fetched)
    paths: tuple[Path, ...]
    # Its names may be another post's too (not made from ids, or where names ignore case): a file another process
    # saves at one meanwhile is not replaced.
    shared: bool = False
    folded: bool = False  # its folder ignores case (ids that differ only in case make one name)
    # The names the template gives, where this run kept them apart, another of its files having had one first (none
    # where it did not): an earlier run, where this file came first, saved it at one (see Standing.found).
    given: tuple[Path, ...] = ()
    # ... of those, the ones given to an image of this one's size and upload time there (which takes the file there
    # for its own by them), and its own names where another file of its album is of its size and upload time too (an
    # earlier run may have saved that one there, in another place): whose the file is, the CDN alone tells.
    alike: tuple[Path, ...] = ()

    @property
    def path(self) -> Path:
        return self.paths[0]

    def untold(self, path: Path) -> bool:
        """Whether ``path``, one of its names, may be another post's file's and does not say whose it is (no id)."""
        return self.shared and self.media.id not in path.name

    def source_at(self, path: Path | None) -> Source:
        """The rendition saved at ``path`` (the preferred one for any other path, or none)."""
        return self.media.sources[self.paths.index(path)] if path in self.paths else self.media.sources[0]


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one job."""

    job: Job
    status: Status
    path: Path | None  # where it is; None for a file skipped because the archive has it
    bytes: int = 0
    error: str | None = None
    archived: bool = False  # skipped because --download-archive has its id
    url: str | None = None  # where the bytes came from, when they were fetched
    region_blocked: bool = False  # failed because Imgur blocks this region
    gone: bool = False  # failed because Imgur no longer serves it (removed.png, 404, region placeholder)
    source: Origin = Origin.IMGUR
    capture: str | None = None  # a Wayback Machine capture's timestamp (yyyyMMddhhmmss)
    sha256: str | None = None  # of the saved file, computed as it streamed in
    linked_to: Path | None = None  # --dedupe: the earlier copy this file is now a hard link to
    told: bool = False  # its reason was already said (the disk is full): counted, not said again
    renamed_from: Path | None = None  # found saved under the name its earlier place in the album gave it, moved


def in_folder(path: Path, folder: Path) -> str:
    """Where ``path`` is in ``folder``: its name, or below it (``2024-05-17/AbC1234.jpg``, as a ``--name`` template
    that makes folders puts it); its name alone where it is elsewhere."""
    if path.parent == folder:
        return path.name
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name


@dataclass(frozen=True, slots=True)
class Filed:
    """What album.json says of one file of an album (``--write-metadata``), kept while the album is under way in
    place of the file's whole result: its job (the image's description, its paths) is not kept for each file of a
    100,000-file album."""

    status: Status
    archived: bool
    url: str  # where its bytes came from, or would
    file: str | None  # where it is in its album's folder: its name, or a path below it (None: not saved here)
    size: int
    source: Origin
    capture: str | None
    sha256: str | None
    linked_to: str | None

    @classmethod
    def of(cls, result: Result, folder: Path) -> Filed:
        """``result`` as its album's album.json, in ``folder``, says it."""
        return cls(result.status, result.archived, result.url or result.job.source_at(result.path).url,
                   in_folder(result.path, folder) if result.path is not None else None, result.bytes, result.source,
                   result.capture, result.sha256, str(result.linked_to) if result.linked_to else None)

    def fields(self) -> dict[str, Any]:
        """What album.json says of the file saved, or found saved (:data:`imgur_dl.earlier.KEPT`)."""
        return {"url": self.url, "size": self.size, "file": self.file, "source": self.source.value,
                "wayback_timestamp": self.capture, "sha256": self.sha256, "linked_to": self.linked_to}


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one URL or listed post gave no album at all."""

    status: ExitStatus
    message: str  # '' when an earlier failure already said it
    url: str = ""  # the URL (or post) that gave nothing
    id: str | None = None  # its album or image id, when known
    listing: str | None = None  # the listing it was in


@dataclass(frozen=True, slots=True)
class Listed:
    """A file named with ``--get-urls``: listed, not downloaded."""

    job: Job
    url: str  # the file's link, as a download would ask for it
    rendition: int = 0  # which of the file's sources it is

    @property
    def path(self) -> Path | None:
        """Where a download would save it (None: not named, as a link alone needs no name)."""
        return self.job.paths[self.rendition] if self.job.paths else None


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A post or album another process has done, or failed and holds back (``--share-work``)."""

    url: str
    id: str
    by: str  # the process that has it: host:pid:nonce
    listing: str | None = None
    reason: str | None = None  # why it failed there (None: it is done)


@dataclass(frozen=True, slots=True)
class Archived:
    """The files of an album the download archive has: booked together, not one by one.

    A rerun of a 100,000-file album makes a file's result only when something reads
    it: :func:`imgur_dl.packed.archived_results` makes each file's for whoever asks
    (``--json``, ``album.json``, the Python API).
    """

    album: Album
    held: bytes  # one byte per item of album.media: 1 where the archive has it
    count: int  # how many it has
    size: int  # what those files weigh, as far as the API said


@dataclass(frozen=True, slots=True)
class Candidate:
    """A post or album about to be looked up (or, listed complete, started): what ``--share-work`` claims."""

    key: tuple[Entry, str]
    target: Target
    listing: Listing | None = None
    position: int = 0
    posted: str = ""
    ready: Album | None = None  # an image post comes complete in its listing: no lookup


# What a run yields, one at a time, as it happens.
Event = Result | Failure | Listed | Elsewhere | Archived
