"""What became of one attempt at a file: saved, failed for good, found there whole (saved by another process, or
the copy at its name), or to be tried again (:class:`~imgur_dl.retry.Again`); and what it is told of a copy that may
be the file (:class:`Unsure`)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from imgur_dl import infolder, sniff
from imgur_dl.models import Source
from imgur_dl.retry import Again

BUSY = "another imgur-dl process is writing this file"


@dataclass(frozen=True, slots=True)
class Saved:
    size: int
    url: str  # where the bytes came from
    sha256: str = ""
    name: str | None = None  # the name it took in its folder, when not the one asked for (kept apart)


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    gone: bool = False  # the host no longer serves it (removed.png, 404, the region placeholder)
    region: bool = False  # the region placeholder
    replaceable: bool = False  # another rendition may do better
    full: bool = False  # the disk is full: nothing more can be saved there
    local: bool = False  # it could not be written here (its disk, its folder): no other source does better


@dataclass(frozen=True, slots=True)
class Present:
    """The file is there whole: another process saved it while this one waited for it, or the copy at its name is
    the bytes the CDN answers for it (:class:`Unsure`)."""

    size: int
    name: str | None = None  # the name it has in its folder, when not the one asked for (kept apart)


@dataclass(frozen=True, slots=True)
class Unsure:
    """A whole file at a rendition's name that another post's file may have (a name that does not say the image's
    id, as under ``--name '{title}.{ext}'``), whose size and time cannot tell whose it is (an animation's MP4, of no
    size the API gives; a file not dated with the image's upload time; any, where a download archive doubts sizes):
    this image's when the CDN's answer for it is these bytes (its ETag, their MD5; else its length, their size)."""

    source: int  # which rendition's name
    size: int
    md5: str
    name: str | None = None  # where it is, when not at that name (kept apart by the image's id, or the name given)
    # Once Imgur has removed the image, the copy is taken for it (nothing else can tell): not one at a name this run
    # gave another file, which has as much claim to it.
    stands: bool = True


def whole(dir_fd: int, name: str, source: Source, entry: os.stat_result) -> int | None:
    """The size of a whole copy of ``source`` already at ``name``, or None.

    Of the size the API gave; when it gave none, starting as a file of its
    kind does, in a format it is known by (zero bytes, a web page saved by
    another tool, or a document that has the name, is never a whole image).
    """
    size = entry.st_size if stat.S_ISREG(entry.st_mode) else 0
    if not size:
        return None
    if source.size is not None:
        return size if size == source.size else None
    head = infolder.read_head(dir_fd, name, sniff.HEAD)
    return size if sniff.starts_as(head, source.ext) else None


def whole_at(dir_fd: int, name: str, source: Source) -> int | None:
    """The size of a whole copy of ``source`` at ``name`` (:func:`whole`), or None (nothing there)."""
    found = infolder.entry(dir_fd, name)
    return None if found is None else whole(dir_fd, name, source, found)


def copy_at(dir_fd: int, name: str, size: int, source: int = 0, *, apart: bool = False,
            stands: bool = True) -> Unsure | None:
    """The whole file ``name`` in the folder (``size`` bytes), at rendition ``source``'s name (or, ``apart``, another:
    its kept-apart name, or the name the template gives it), as a copy that may be the file (:attr:`Unsure.stands`);
    None where it cannot be read (not taken for the file: that is fetched, and kept apart once saved)."""
    try:
        return Unsure(source, size, infolder.digest_of(dir_fd, name, "md5"), name if apart else None, stands)
    except OSError:
        return None


Retry = Again["Saved | Failed | Present"]
Outcome = Saved | Failed | Present | Retry


def disk(exc: OSError, path: Path) -> Failed:
    """A file that could not be written at ``path``, in words (a full disk, or quota, says so)."""
    return Failed(infolder.disk_reason(exc, path), full=infolder.full(exc), local=True)
