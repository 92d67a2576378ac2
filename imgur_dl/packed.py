"""An album's media kept packed: about 120 bytes an item instead of about 600 as objects.

A 30,000-file album is held for as long as its files are under way. As
:class:`~imgur_dl.models.Media` objects (each with its strings, its sources
and their strings) that is some 18 MB; packed, each item is one short
:mod:`marshal` record in a single buffer, and a Media is made again only
when the item is asked for (a few microseconds, against milliseconds to
fetch its file). A source URL that is the CDN's usual one for the item is
not kept: it is made again from the id and the extension.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from imgur_dl.hosts import IMAGE_ROOT
from imgur_dl.models import Archived, Job, Media, Result, Source, Status

# marshal's format 4: short strings with a one-byte length, 88 bytes a typical record against format 2's 112
# (0.7 MB at 30,000 items), for about 0.2 us more to write and to read it (0.98 against 0.76, 0.83 against 0.61).
_MARSHAL = 4
_MOST = 2**64 - 1  # the most a size kept for the bar's sake may be (no answer gives more: 18 digits at most)

# One rendition: its URL (None: the CDN's usual one for the item and extension), extension, size.
SourceRecord = tuple[str | None, str, int | None]
# One item: id, index, title, description, MIME type, width, height, animated, created_at, its renditions
# (preferred first), name: a Media's fields in order.
Record = tuple[str, int, str, str, str, int, int, bool, str, tuple[SourceRecord, ...], str]


class PackedMedia(Sequence[Media]):
    """Media in album order, packed; read as a sequence of :class:`Media`."""

    def __init__(self, media: Iterable[Media] = ()) -> None:
        self._data = bytearray()
        self._ends = array("Q")  # where each record ends in _data
        # Each item's id again, apart, each followed by a newline (UTF-8): an archive asks for an album's
        # ids, and reading them out of the records costs 1.2 s a million items, split out of here 0.1 s.
        self._ids = bytearray()
        self._id_ends = array("Q")  # where each id (and its newline) ends in _ids
        self._sizes = array("Q")  # what each item's preferred rendition weighs, as far as the API said (or 0)
        self.first_sizes = 0  # ... all of them together
        for item in media:
            self.append(item)

    def append(self, media: Media) -> None:
        self.add(record_of(media))

    def add(self, record: Record) -> None:
        """One item, as :func:`record_of` makes it (or a parser that checks the fields itself)."""
        self._data += marshal.dumps(record, _MARSHAL)
        self._ends.append(len(self._data))
        self._ids += (record[0] + "\n").encode("utf-8", "surrogatepass")
        self._id_ends.append(len(self._ids))
        size = record[9][0][2] or 0
        self._sizes.append(min(size, _MOST))
        self.first_sizes += size

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> Media: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Media]: ...

    def __getitem__(self, index: int | slice) -> Media | Sequence[Media]:
        if isinstance(index, slice):
            return tuple(self._unpack(n) for n in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("media index out of range")
        return self._unpack(index)

    def __iter__(self) -> Iterator[Media]:
        return self.where(None, 0)

    def where(self, mask: bytes | bytearray | None, value: int) -> Iterator[Media]:
        """The items whose byte in ``mask`` is ``value`` (every item, without a mask), in order; the others
        are not made again."""
        view, start = memoryview(self._data), 0
        for n, end in enumerate(self._ends):
            if mask is None or mask[n] == value:
                yield media_of(marshal.loads(view[start:end]))  # noqa: S302 - records add wrote
            start = end

    def weight(self, mask: bytes | bytearray, value: int) -> int:
        """What the items whose byte in ``mask`` is ``value`` weigh, as far as the API said."""
        return sum(size for size, byte in zip(self._sizes, mask, strict=True) if byte == value)

    def ids(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The ids of items ``start`` to ``stop`` (every item's by default), in order, without making the
        items again."""
        stop = len(self) if stop is None else min(stop, len(self))
        if start >= stop:
            return []
        begin = self._id_ends[start - 1] if start else 0
        found = self._ids[begin:self._id_ends[stop - 1] - 1].decode("utf-8", "surrogatepass").split("\n")
        if len(found) == stop - start:
            return found
        # An id with a newline in it (none from Imgur): each read out of its record.
        view, begin = memoryview(self._data), self._ends[start - 1] if start else 0
        found = []
        for n in range(start, stop):
            found.append(marshal.loads(view[begin:self._ends[n]])[0])  # noqa: S302 - records add wrote
            begin = self._ends[n]
        return found

    def _unpack(self, n: int) -> Media:
        start = self._ends[n - 1] if n else 0
        return media_of(marshal.loads(self._data[start:self._ends[n]]))  # noqa: S302 - records add wrote


def record_of(media: Media) -> Record:
    """``media`` as a packed record: its fields in order, each source as (URL, or None for the CDN's usual
    one, extension, size)."""
    sources = tuple(source_record(media.id, s.url, s.ext, s.size) for s in media.sources)
    return (media.id, media.index, media.title, media.description, media.mime_type, media.width, media.height,
            media.animated, media.created_at, sources, media.name)


def source_record(media_id: str, url: str | None, ext: str, size: int | None) -> SourceRecord:
    """One rendition as packed: no URL kept when ``url`` is None (the answer gave none) or the CDN's usual
    one for the item and extension (made again from them when unpacked)."""
    return (None if url is None or url == f"{IMAGE_ROOT}/{media_id}.{ext}" else url, ext, size)


def media_of(record: Record) -> Media:
    """A record made by :func:`record_of` (or packed as it would) as the Media it describes."""
    media_id, index, title, description, mime_type, width, height, animated, created_at, sources, name = record
    renditions = (_source(media_id, *sources[0]),) if len(sources) == 1 \
        else tuple(_source(media_id, *source) for source in sources)  # (most items have one: no generator)
    return Media(media_id, index, title, description, mime_type, width, height, animated, created_at, renditions,
                 name)


def _source(media_id: str, url: str | None, ext: str, size: int | None) -> Source:
    return Source(f"{IMAGE_ROOT}/{media_id}.{ext}" if url is None else url, ext, size)


def ids(media: Sequence[Media], start: int = 0, stop: int | None = None) -> list[str]:
    """The ids of ``media[start:stop]``, in order."""
    return media.ids(start, stop) if isinstance(media, PackedMedia) else [m.id for m in media[start:stop]]


def where(media: Sequence[Media], mask: bytes | bytearray, value: int) -> Iterator[Media]:
    """The items of ``media`` whose byte in ``mask`` (one per item) is ``value``, in order."""
    if isinstance(media, PackedMedia):
        return media.where(mask, value)
    return (m for n, m in enumerate(media) if mask[n] == value)


def archived_results(archived: Archived) -> Iterator[Result]:
    """Each result of the files the archive has (skipped), in album order; the album's others are not made
    again."""
    album = archived.album
    return (Result(Job(album, media, ()), Status.SKIPPED, None, archived=True)
            for media in where(album.media, archived.held, 1))


def weight(media: Sequence[Media], mask: bytes | bytearray, value: int) -> int:
    """What the preferred renditions of those items weigh, as far as the API said."""
    if isinstance(media, PackedMedia):
        return media.weight(mask, value)
    return sum(m.sources[0].size or 0 for n, m in enumerate(media) if mask[n] == value)


def expected_bytes(media: Sequence[Media]) -> int:
    """What ``media``'s preferred renditions weigh, as far as the API said."""
    if isinstance(media, PackedMedia):
        return media.first_sizes
    return sum(m.sources[0].size or 0 for m in media)
