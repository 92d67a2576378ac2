"""``--download-archive``: an SQLite record of every finished image and album id.

An id found there is not downloaded again, whatever the output folder. Several
imgur-dl processes may share one archive file: SQLite serialises the writers
(WAL journal, a generous busy timeout) and every write is one short
transaction of ``INSERT OR IGNORE``.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from imgur_dl.errors import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS archive (
    id    TEXT NOT NULL,
    kind  TEXT NOT NULL,           -- 'image' or 'album'
    album TEXT,                    -- the album an image was saved from
    path  TEXT,                    -- where it was saved
    added TEXT NOT NULL,           -- UTC, ISO 8601
    source TEXT,                   -- 'imgur' or 'wayback' (where the bytes came from)
    PRIMARY KEY (kind, id)
)
"""
BUSY_TIMEOUT = 60.0  # seconds another process may hold the write lock


class Archive:
    """Used from the run's main thread only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self._setup()
        except sqlite3.Error as exc:
            raise UsageError(f"cannot use {path} as a download archive: {exc}") from None

    def _setup(self) -> None:
        """Switch to WAL and make the table, waiting while another process does the same.

        Changing the journal mode answers "database is locked" at once rather
        than waiting out the busy timeout, so two imgur-dl processes starting
        on a new archive together need this loop.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(_SCHEMA)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(archive)")}
                if "source" not in columns:  # an archive from before sources were recorded
                    self._db.execute("ALTER TABLE archive ADD COLUMN source TEXT")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            else:
                return
            time.sleep(0.05)

    def has(self, image_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM archive WHERE kind = 'image' AND id = ?", (image_id,)).fetchone()
        return row is not None

    def has_album(self, album_id: str) -> bool:
        """Whether every file of ``album_id`` was saved by an earlier run."""
        row = self._db.execute("SELECT 1 FROM archive WHERE kind = 'album' AND id = ?", (album_id,)).fetchone()
        return row is not None

    def add(self, kind: str, item_id: str, album: str | None = None, path: str | None = None,
            source: str = "imgur") -> None:
        added = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._db.execute("INSERT OR IGNORE INTO archive (id, kind, album, path, added, source) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (item_id, kind, album, path, added, source))

    def close(self) -> None:
        self._db.close()
