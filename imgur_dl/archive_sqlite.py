"""The download archive in an SQLite file: imgur-dl's embedded default.

Several imgur-dl processes may share one file: SQLite serialises the
writers (WAL journal, a generous busy timeout) and every write is one short
transaction of ``INSERT OR IGNORE``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path

from imgur_dl.archive import Entry, Record
from imgur_dl.errors import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS archive (
    id    TEXT NOT NULL,
    kind  TEXT NOT NULL,           -- 'image' or 'album'
    album TEXT,                    -- the album an image was saved from
    path  TEXT,                    -- where it was saved
    added TEXT NOT NULL,           -- UTC, ISO 8601
    source TEXT,                   -- 'imgur' or 'wayback' (where the bytes came from)
    sha256 TEXT,                   -- of the saved file (images)
    PRIMARY KEY (kind, id)
)
"""
# Columns added since the first release, each migrated in place: (name, type).
_ADDED = (("source", "TEXT"), ("sha256", "TEXT"))
BUSY_TIMEOUT = 60.0  # seconds another process may hold the write lock
# Ids per query: well under SQLite's limit of bound parameters (999 in old builds).
BATCH = 500


class SqliteArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            # (The planner asks from the thread that reads listings, the run records from the main
            # thread: one connection, one lock.)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
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
        while not self._try_setup():
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked")
            time.sleep(0.05)

    def _try_setup(self) -> bool:
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(archive)")}
            for name, kind in _ADDED:  # an archive from an earlier release
                if name not in columns:
                    self._db.execute(f"ALTER TABLE archive ADD COLUMN {name} {kind}")
            self._db.execute("CREATE INDEX IF NOT EXISTS archive_sha256 ON archive (sha256)")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return False
        return True

    def has_many(self, kind: Entry, ids: Collection[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(dict.fromkeys(ids))
        with self._lock:
            self._find(kind, wanted, found)
        return found

    def _find(self, kind: Entry, wanted: list[str], found: set[str]) -> None:
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start:start + BATCH]
            marks = ",".join("?" * len(batch))
            found.update(row[0] for row in self._db.execute(
                f"SELECT id FROM archive WHERE kind = ? AND id IN ({marks})",  # noqa: S608 - only placeholders
                (kind.value, *batch)))

    def add(self, record: Record) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO archive (id, kind, album, path, added, source, sha256) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (record.id, record.kind.value, record.album, record.path, Record.now(),
                              record.source.value, record.sha256))

    def copies(self, sha256: str) -> list[tuple[str, str]]:
        with self._lock:
            return [(row[0], row[1]) for row in self._db.execute(
                "SELECT id, path FROM archive WHERE kind = 'image' AND sha256 = ? AND path IS NOT NULL "
                "ORDER BY added, rowid", (sha256,))]

    def close(self) -> None:
        with self._lock:
            self._db.close()
