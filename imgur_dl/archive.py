"""``--download-archive``: a record of every finished image and album, shared by runs and processes.

An id found there is not downloaded again, whatever the output folder. The
:class:`Archive` protocol is all a run knows of it; :func:`open_archive`
picks the backend from the location the user gave (today an SQLite file:
:mod:`imgur_dl.archive_sqlite`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Protocol

from imgur_dl.models import Origin


class Entry(str, Enum):
    IMAGE = "image"
    ALBUM = "album"  # an album every file of which was saved


@dataclass(frozen=True, slots=True)
class Record:
    """One finished image or album."""

    kind: Entry
    id: str
    album: str | None = None  # the album an image was saved from
    path: str | None = None  # where it was saved
    source: Origin = Origin.IMGUR
    sha256: str | None = None  # of the saved file

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Archive(Protocol):
    """What a run asks of an archive; safe to call from several threads."""

    def has_many(self, kind: Entry, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` the archive holds (one query per batch)."""

    def add(self, record: Record) -> None:
        """Record a finished image or album (again: nothing changes)."""

    def copies(self, sha256: str) -> list[tuple[str, str]]:
        """(image id, path) of every saved image with this SHA-256, oldest first."""

    def close(self) -> None: ...


def open_archive(location: str | Path) -> Archive:
    """The archive at ``location``: today, an SQLite file path."""
    from imgur_dl.archive_sqlite import SqliteArchive  # noqa: PLC0415 - the backend is chosen here

    return SqliteArchive(Path(location))
