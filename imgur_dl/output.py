"""What a run writes for scripts: JSON Lines and URL lists on stdout, album.json files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from imgur_dl import earlier, infolder, packed
from imgur_dl.errors import writing_stdout
from imgur_dl.hosts import followed
from imgur_dl.models import (
    Album,
    Archived,
    Elsewhere,
    Event,
    Failure,
    Filed,
    Job,
    Listed,
    Media,
    Origin,
    Result,
    Status,
)
from imgur_dl.naming import private_part
from imgur_dl.text import printable, writer

METADATA_NAME = "album.json"
# The start of a file read to tell whether it is an album's metadata: its first key, the album's id, within it.
METADATA_HEAD = 256


def is_metadata_of(head: bytes, album_id: str) -> bool:
    """Whether a file that starts with ``head`` is ``album_id``'s metadata (an ``album.json``, or a lone image's
    ``<id>.json``): a JSON object whose first key, ``"id"``, names that album, as :func:`metadata` writes it (and as
    a tool that rewrites JSON keeps it: ``jq``, ``json.dump``). Not an image an earlier run saved under that name
    without ``--write-metadata`` (an uploader's ``album.json``, under ``--name '{name}'``), nor another album's."""
    return re.match(rb'\s*\{\s*"id"\s*:\s*"' + re.escape(album_id.encode()) + rb'"', head) is not None


def row(job: Job, *, status: str, path: Path | None, size: int | None, error: str | None,
        url: str | None = None, source: Origin = Origin.IMGUR, capture: str | None = None,
        sha256: str | None = None, linked_to: Path | None = None, renamed_from: Path | None = None) -> dict[str, Any]:
    """One ``--json`` line: a file, where it went and what became of it. Its ``url`` is a link a download would
    follow, or null: a link an answer gave that no download follows is not printed for a script to follow."""
    media = job.media
    return {
        "album": job.album.id if job.album.is_album else None,
        "index": media.index,
        "id": media.id,
        "name": media.name,
        "url": url or followed(job.source_at(path).url),
        "path": str(path) if path is not None else None,
        "bytes": size,
        "status": status,
        "error": error,
        "source": source.value,
        "capture": capture,
        "post": job.album.id,
        "listing": job.album.listing.label if job.album.listing else None,
        "sha256": sha256,
        "linked_to": str(linked_to) if linked_to is not None else None,
        "renamed_from": str(renamed_from) if renamed_from is not None else None,
    }


def _post_row(post: str | None, url: str, listing: str | None, *, status: str, error: str | None) -> dict[str, Any]:
    """One ``--json`` line of a URL or post as a whole, which no file's line says: every field of a file null."""
    return {"album": None, "index": None, "id": post, "name": None, "url": url, "path": None, "bytes": None,
            "status": status, "error": error, "source": None, "capture": None, "post": post, "listing": listing,
            "sha256": None, "linked_to": None, "renamed_from": None}


class Stdout:
    """The data stream. Lines are flushed one by one so a pipe sees them at once."""

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self._write = writer(stream)
        self.json_lines = json_lines

    def _line(self, text: str) -> None:
        """One line out; a reader gone or a full disk become :class:`OutputClosed` and :class:`OutputError`."""
        with writing_stdout():
            self._write(text)

    def link(self, url: str) -> None:
        """One plain link (``--scan -g``)."""
        self._line(printable(url))

    def emit(self, event: Event) -> None:
        """What stdout says of one event of a run."""
        if isinstance(event, Result):
            self.result(event)
        elif isinstance(event, Archived):
            if self.json_lines:  # (a row each: made only when asked for)
                for result in packed.archived_results(event):
                    self.result(result)
        elif isinstance(event, Failure):
            self.lookup_failed(event)
        elif isinstance(event, Elsewhere):
            self.elsewhere(event)
        else:
            self.listing(event)

    def result(self, result: Result) -> None:
        if self.json_lines:
            # (a file the archive has: nothing was read or saved here, and its size is not known: null, not 0)
            self._json(row(result.job, status=result.status.value, path=result.path,
                           size=None if result.archived else result.bytes,
                           error=result.error, url=result.url, source=result.source, capture=result.capture,
                           sha256=result.sha256, linked_to=result.linked_to, renamed_from=result.renamed_from))

    def lookup_failed(self, failure: Failure) -> None:
        """With --json, a row for a URL or post that gave no files at all."""
        if self.json_lines:
            self._json(_post_row(failure.id, failure.url, failure.listing, status="failed",
                                 error=failure.message or None))

    def elsewhere(self, item: Elsewhere) -> None:
        """With --json, a row for a post or album another process has (--share-work)."""
        if self.json_lines:
            self._json({**_post_row(item.id, item.url, item.listing, status="claimed elsewhere", error=item.reason),
                        "by": item.by})

    def listing(self, listed: Listed) -> None:
        """``--get-urls``: the file's direct URL, or with --json its row (status "listed")."""
        job = listed.job
        if self.json_lines:
            self._json(row(job, status="listed", path=listed.path, size=job.media.sources[listed.rendition].size,
                           error=None, url=listed.url))
        else:
            self._line(printable(listed.url))

    def document(self, data: dict[str, Any]) -> None:
        """One JSON document, indented for people, ASCII for every reader."""
        for line in json.dumps(data, ensure_ascii=True, indent=2).splitlines():
            self._line(line)

    def _json(self, data: dict[str, Any]) -> None:
        # ASCII with \u escapes: no control byte and no encoding can break a line.
        self._line(json.dumps(data, ensure_ascii=True))


def metadata(album: Album, filed: dict[str, Filed], before: dict[str, dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    """The contents of ``album.json``: the album, then each item in album order (``filed``: what became of each
    file, by image id), the items made one at a time as :func:`write_json` writes them (an iterator, read once).

    ``before``: the items of the album.json this one replaces, by id; a file this run found saved keeps what
    they said of it (see :mod:`imgur_dl.earlier`).
    """
    return {
        "id": album.id,
        "title": album.title,
        "description": album.description,
        "url": album.url,
        "created_at": album.created_at,
        "listing": album.listing.label if album.listing else None,
        "position": album.position or None,
        "count": len(album.media),
        "items": (_item(media, filed.get(media.id), before) for media in album.media),  # (made as written)
    }


def _item(media: Media, done: Filed | None, before: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """album.json's item for ``media`` (``done``: what became of its file, if anything did)."""
    archived = done is not None and done.archived
    item = {
        "id": media.id,
        "index": media.index,
        "name": media.name,
        "title": media.title,
        "description": media.description,
        "url": done.url if done is not None else media.sources[0].url,
        "type": media.mime_type,
        "animated": media.animated,
        "width": media.width,
        "height": media.height,
        "size": media.sources[0].size,
        "file": None,
        "archived": archived,
        "source": None,
        "wayback_timestamp": None,
        "sha256": None,
        "linked_to": None,
    }
    if done is not None and done.status is not Status.FAILED and not archived:
        item.update(done.fields())
    if before and done is not None and (known := earlier.kept(done, before.get(media.id))) is not None:
        item.update(known)
    return item


# Inside JSON strings: what a terminal or an editor would hide or reorder (C1 controls, bidi and
# zero-width characters, lone surrogates), written as \u escapes, which JSON reads back the same.
_INVISIBLE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


def write_json(dir_fd: int, name: str, data: dict[str, Any]) -> None:
    """Write ``data`` to ``name`` in the folder, whole or not at all, through no symlink: as ``json.dumps(data,
    indent=2)`` writes it, a value that is an iterator (an album's items) written as a list, an element at a time,
    never held whole (100,000 items as one text held hundreds of MB while it was made)."""
    # (through a name of its own: another process writing the same album's album.json at once keeps its part file)
    infolder.write_whole(dir_fd, name, private_part("json"), (
        _INVISIBLE.sub(lambda m: f"\\u{ord(m[0]):04x}", text).encode("utf-8", "backslashreplace")
        for text in _texts(data)))


def _texts(data: dict[str, Any]) -> Iterator[str]:
    """``data`` as ``json.dumps(data, ensure_ascii=False, indent=2)`` writes it, then a line's end, in pieces."""
    yield "{"
    for n, (key, value) in enumerate(data.items()):
        yield f"{',' if n else ''}\n  {json.dumps(key, ensure_ascii=False)}: "
        if not isinstance(value, Iterator):
            yield _nested(value, 1)
            continue
        count = 0
        for count, element in enumerate(value, 1):
            yield f"{'[' if count == 1 else ','}\n    {_nested(element, 2)}"
        yield "\n  ]" if count else "[]"
    yield "\n}\n" if data else "}\n"


def _nested(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=2)`` writes it ``depth`` levels in."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)
