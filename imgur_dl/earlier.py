"""What an album's ``album.json`` said of its files before this run: kept for the files the run did not save again.

A rerun finds most files saved already (skipped), or the download archive
has them (archived). Written again from this run alone, ``album.json`` would
say nothing of where those bytes came from and what their SHA-256 was when
they arrived: the proof (and a Wayback Machine rescue's provenance) would be
gone after the first rerun. So before it is replaced, the earlier one is
read (our own file, in the album's folder; never through a symlink, bounded),
and each such file's item keeps what it said, when that was said of the same
file: same image id, same album, and for a file found saved, the same name
and size. A value not of the form this program writes is not kept. Where
no earlier one said it, a file the archive has is said as the archive
recorded it (:func:`recorded`), when that is this folder's file.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from imgur_dl import infolder, jsonstream
from imgur_dl.models import Filed, Media, Origin, Status

MOST = 64 * 1024 * 1024  # an album.json of ~100,000 items; one larger is not read (and is written anew)
# The fields of an item that describe the saved file, rather than what the API says of the image now.
KEPT = ("url", "file", "size", "source", "wayback_timestamp", "sha256", "linked_to")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,14}")


def items(dir_fd: int, name: str, album_id: str) -> dict[str, dict[str, Any]]:
    """What the album.json ``name`` in the folder says of each file (the fields :data:`KEPT`), by image id, when it
    is ``album_id``'s; else none."""
    try:
        fd, st = infolder.opened_regular(dir_fd, name)
    except OSError:
        return {}
    try:
        return parsed(_pieces(fd), album_id) if st.st_size <= MOST else {}
    finally:
        os.close(fd)


def _pieces(fd: int) -> Iterator[bytes]:
    """The file's bytes, a MiB at a time; ValueError past :data:`MOST` (one that grew as it was read)."""
    read = 0
    while piece := os.read(fd, 1 << 20):
        read += len(piece)
        if read > MOST:
            raise ValueError("album.json is too large to be read")
        yield piece


class _Kept:
    """Of each item of an album.json, as it is decoded, the fields :data:`KEPT`, by image id (the rest of each, its
    title, its description, is let go of: a 100,000-item album.json is not held whole)."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}

    def add(self, item: object, position: int) -> None:
        if isinstance(item, dict) and isinstance(media_id := item.get("id"), str):
            self.found[media_id] = {key: item.get(key) for key in KEPT}


def parsed(data: bytes | Iterable[bytes], album_id: str) -> dict[str, dict[str, Any]]:
    """What the album.json whose bytes are ``data`` (or its pieces) says of each file (the fields :data:`KEPT`), by
    image id, when it is ``album_id``'s; else none."""
    try:
        document = jsonstream.load([data] if isinstance(data, bytes) else data, "items", _Kept)
    except (ValueError, RecursionError, OSError):  # (not JSON: a file of the user's, or cut short by a crash)
        return {}
    collected = document.get("items") if isinstance(document, dict) and document.get("id") == album_id else None
    return collected.found if isinstance(collected, _Kept) else {}


def kept(done: Filed, item: dict[str, Any] | None, was: str | None = None) -> dict[str, Any] | None:
    """What the earlier ``item`` said of the file ``done`` found saved (skipped, or held by the archive), when it
    was said of that file (``was``: where it was found, and moved from, in the album's folder); None when there is
    nothing to keep."""
    if item is None or done.status is not Status.SKIPPED:
        return None
    fields = {key: item.get(key) for key in KEPT}
    if not _well_formed(fields):
        return None
    if done.archived:
        return fields
    if done.file is None or fields["size"] != done.size or fields["file"] not in (done.file, _name(done.file), was):
        return None  # (another file: renamed by a new template, or replaced since)
    return {**fields, "file": done.file}  # (a file below the folder was said by its name alone until 2026-12-06)


def _name(file: str) -> str | None:
    """The name alone of a ``file`` below its album's folder (None for one directly in it)."""
    return file.rsplit("/", 1)[1] if "/" in file else None


def recorded(folder: Path, saved: tuple[str, str | None, str | None], media: Media,
             entry: Callable[[Path], os.stat_result | None]) -> dict[str, Any] | None:
    """What the download archive recorded of a file it has (``saved``: where a run saved it, where its bytes came
    from, their SHA-256), as an earlier album.json would have said it, for the archived image ``media``: when the path
    recorded is in this ``folder``, or below it, and ``entry`` (what stands at a path, looked at as the run writes
    there) finds a regular file there (an album saved into another folder, or on another machine of a fleet, is no
    file of this one's: its path is never looked at); None otherwise. Its bytes now are not read: the SHA-256 is what
    arrived, for a check to compare with what is on the disk."""
    path, source, sha256 = saved
    # (as the run that saved it wrote it: absolute, or as its -o was given, from where it was started)
    place = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(folder)))  # noqa: PTH100 - (a path's text)
    if not place.parts or ".." in place.parts or "\0" in str(place):  # (the folder itself, or outside it)
        return None
    here = entry(folder / place)
    if here is None or not stat.S_ISREG(here.st_mode):
        return None
    url = next((s.url for s in media.sources if place.name.endswith(f".{s.ext}")), media.sources[0].url)
    return {"url": url, "file": place.as_posix(), "size": here.st_size, "source": source, "wayback_timestamp": None,
            "sha256": sha256, "linked_to": None}


def _well_formed(fields: dict[str, Any]) -> bool:
    """Each value is one this program writes: a file's place in the folder (a name, or a path below it), a size,
    an https URL, a source and its capture, a SHA-256 in lower-case hex, the path of an earlier copy."""
    name, size, url, source, capture = (fields[k] for k in ("file", "size", "url", "source", "wayback_timestamp"))
    return (isinstance(name, str) and "\0" not in name and all(part not in ("", ".", "..") for part in name.split("/"))
            and (size is None or (type(size) is int and size >= 0))
            and isinstance(url, str) and url.startswith("https://")
            and source in (Origin.IMGUR.value, Origin.WAYBACK.value)
            and (capture is None if source == Origin.IMGUR.value
                 else isinstance(capture, str) and _TIMESTAMP.fullmatch(capture) is not None)
            and (fields["sha256"] is None or (isinstance(fields["sha256"], str)
                                               and _SHA256.fullmatch(fields["sha256"]) is not None))
            and (fields["linked_to"] is None or isinstance(fields["linked_to"], str)))
