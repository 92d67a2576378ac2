"""What a run writes for scripts: JSON Lines and URL lists on stdout, album.json files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from imgur_dl.models import Album, Job, Result, Status
from imgur_dl.naming import part_path

METADATA_NAME = "album.json"


def row(job: Job, *, status: str, path: Path, size: int | None, error: str | None) -> dict[str, Any]:
    """One ``--json`` line: a file, where it went and what became of it."""
    media = job.media
    return {
        "album": job.album.id if job.album.is_album else None,
        "index": media.index,
        "id": media.id,
        "url": job.source_at(path).url,
        "path": str(path),
        "bytes": size,
        "status": status,
        "error": error,
    }


class Stdout:
    """The data stream. Lines are flushed one by one so a pipe sees them at once."""

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self.stream = stream
        self.json_lines = json_lines

    def result(self, result: Result) -> None:
        if self.json_lines:
            self._line(json.dumps(row(result.job, status=result.status.value, path=result.path,
                                      size=result.bytes, error=result.error), ensure_ascii=False))

    def listing(self, job: Job) -> None:
        """``--get-urls``: the file's direct URL, or with --json its row (status "listed")."""
        if self.json_lines:
            self._line(json.dumps(row(job, status="listed", path=job.path, size=job.media.sources[0].size,
                                      error=None), ensure_ascii=False))
        else:
            self._line(job.media.sources[0].url)

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def metadata(album: Album, results: list[Result]) -> dict[str, Any]:
    """The contents of ``album.json``: the album, then each item in album order."""
    by_id = {r.job.media.id: r for r in results}
    items = []
    for media in album.media:
        result = by_id.get(media.id)
        saved = result is not None and result.status is not Status.FAILED
        items.append({
            "id": media.id,
            "index": media.index,
            "title": media.title,
            "description": media.description,
            "url": result.job.source_at(result.path).url if result is not None else media.sources[0].url,
            "type": media.mime_type,
            "animated": media.animated,
            "width": media.width,
            "height": media.height,
            "size": result.bytes if saved and result is not None else media.sources[0].size,
            "file": result.path.name if saved and result is not None else None,
        })
    return {
        "id": album.id,
        "title": album.title,
        "description": album.description,
        "url": album.url,
        "created_at": album.created_at,
        "count": len(album.media),
        "items": items,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    part = part_path(path)
    part.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, path)
