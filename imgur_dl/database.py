"""``--scan`` of an SQLite database (a browser's history: Firefox's places.sqlite, Chrome's History): its values.

Read as bytes, a database's values lie side by side with nothing between
them: a link runs on into the title stored after it
(``https://imgur.com/a/AbC12My album`` names another album, ``AbC12My``), so
each value is read as a database, with SQLite itself, and given on a line
of its own. The file is opened read-only and immutable: nothing is written
beside it (no lock, no journal), even while the browser that uses it runs
and holds it locked. What a write-ahead log beside it holds that was not
folded into it yet (the newest history of a browser that runs) is read too,
written into a copy in memory (:mod:`imgur_dl.wal`; Python 3.11 and later:
on 3.10 it is said to be left out); a database that is not a file of its own
(in a pipe, compressed, in an archive) is read whole into memory, likewise. Its schema is not trusted (no
function it names is run), no virtual table is read (its own tables are),
and its tables are read a few rows at a time (a row's values are held whole, as
SQLite holds them).
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from imgur_dl import sqlitesaid, wal
from imgur_dl.errors import ScanError, reason
from imgur_dl.reader import Pieces

MAGIC = b"SQLite format 3\x00"  # a database file's first bytes
WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")  # a write-ahead log's (either byte order of its checksums)
JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"  # a rollback journal's
BATCH = 1024  # rows taken from SQLite at a time, and handed on together
EXPANDED_MOST = 16 * 1024 * 1024  # bytes a compressed value gives, at the most
_VIRTUAL = re.compile(rb"(?i)\s*create\s+virtual\s")  # (a virtual table's schema, as SQLite writes it)
_PACKED = frozenset({b"\x1f", b"x"})  # how a value compressed with gzip, or zlib (its usual window), begins
# Whether a database can be read from memory (Python 3.11 and later): a write-ahead log is then read with its
# database (written into a copy of it), and a database that is not a file of its own (in a pipe, compressed, in an
# archive) is read whole, up to IN_MEMORY_MOST bytes.
IN_MEMORY = sys.version_info >= (3, 11)
IN_MEMORY_MOST = 256 * 1024 * 1024
HEADER = 100  # an SQLite database's header: what a database is at least


def quoted(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class Database(Pieces):
    """The values of every table of the database at ``path``, each followed by a line's end, as a reader gives
    bytes, a batch of rows at a time (where reading stops, what came before is given first); ``name``: the file
    as the user knows it; ``warn``: told what is left out."""

    def __init__(self, path: Path | bytes, name: str, warn: Callable[[str], None] | None) -> None:
        """``path``: the file, or the database itself (one that is not a file of its own: read whole)."""
        self.name = name
        self.warn = warn
        super().__init__(self._each(path))

    def _each(self, path: Path | bytes) -> Iterator[bytes]:
        try:
            db = self._opened(path)
        except (sqlite3.Error, OSError) as exc:
            raise ScanError.stopped(self.name, reason(exc)) from None
        try:
            db.text_factory = bytes  # (text as it is stored, UTF-8 or not)
            for pragma in ("trusted_schema = OFF", "cell_size_check = ON", "mmap_size = 0"):
                db.execute(f"PRAGMA {pragma}")
            yield from self._tables(db)
        except sqlitesaid.ERRORS as exc:
            raise ScanError.stopped(self.name, sqlitesaid.words(exc)) from None
        finally:
            db.close()

    def _opened(self, path: Path | bytes) -> sqlite3.Connection:
        """The database, with what its write-ahead log holds (a copy in memory, with the log's transactions written
        in), or as it is on disk (immutable: no lock taken, nothing written, no log looked for); or, given whole,
        from memory."""
        if isinstance(path, bytes):
            return _from_memory(path)
        image = wal.with_log(path) if IN_MEMORY else None
        if image is not None:
            return _from_memory(image)
        log = Path(f"{path}-wal")
        # (os.path's test: a database whose name is as long as names go has no log beside it, whose name would be
        # longer; pathlib's raises there before Python 3.14.)
        if self.warn is not None and os.path.isfile(log) and log.stat().st_size:  # noqa: PTH113
            self.warn(f"{self.name}: its write-ahead log ({log.name}) is not read: what was written since it was "
                      "last folded into the database is left out (close the program that uses it, then scan again)")
        return sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro&immutable=1", uri=True,
                               check_same_thread=False)

    def _tables(self, db: sqlite3.Connection) -> Iterator[bytes]:
        tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid").fetchall()
        for raw_name, sql in tables:
            name = raw_name.decode("utf-8", "replace")
            if name.startswith("sqlite_") or _VIRTUAL.match(sql or b""):
                continue  # (SQLite's own, and virtual ones: what they show is in tables of their own)
            try:
                info = db.execute(f"PRAGMA table_info({quoted(name)})").fetchall()
                columns = [row[1].decode("utf-8", "replace") for row in info]
                if columns:
                    yield from self._rows(db, name, columns)
                elif self.warn is not None:  # (a name that is not UTF-8: no query can name it)
                    self.warn(f"{self.name}: table {name} not read (no columns under that name)")
            except (sqlite3.OperationalError, sqlite3.ProgrammingError) as exc:  # (its schema does not let it be read
                # as it is, or its name cannot be written in a query: the others are read)
                if self.warn is not None:
                    self.warn(f"{self.name}: table {name} not read ({sqlitesaid.words(exc)})")

    @staticmethod
    def _rows(db: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[bytes]:
        """A table's text and blobs, row by row, :data:`BATCH` rows at a time, each value followed by a line's end
        (and a blob compressed with gzip or zlib, decompressed, after it: Apple Notes keeps each note so)."""
        rows = db.execute(f"SELECT {', '.join(map(quoted, columns))} FROM {quoted(table)}")  # noqa: S608 - quoted
        while batch := rows.fetchmany(BATCH):
            yield b"\n".join([value if value[:1] not in _PACKED else _expanded(value)
                              for row in batch for value in row if type(value) is bytes]) + b"\n"


def _from_memory(image: bytes | bytearray) -> sqlite3.Connection:
    """A database read from ``image``, a copy of it in memory (:data:`IN_MEMORY`: Python 3.11 and later)."""
    if sys.version_info < (3, 11):  # (never asked for before: a database is then read from its file only)
        raise ScanError("an SQLite database is read from memory from Python 3.11 on")
    if len(image) < HEADER:  # (not even its header: cut short; as SQLite says of it from a file)
        raise sqlite3.DatabaseError("file is not a database")
    if image[wal.WRITE_VERSION:wal.READ_VERSION + 1] != b"\x01\x01":  # (one kept in WAL mode: read from memory
        image = image if isinstance(image, bytearray) else bytearray(image)  # as one with no log, as it is; a
        image[wal.WRITE_VERSION] = image[wal.READ_VERSION] = 1  # copy made with its log is not copied again)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.deserialize(image)
    return db


def _expanded(value: bytes) -> bytes:
    """``value``, and after it what it holds when it is compressed with gzip or zlib (at most :data:`EXPANDED_MOST`
    bytes of it: a bomb stops there; a value that only looks compressed, as it is)."""
    if value.startswith(b"\x1f\x8b\x08"):
        window = 16 + zlib.MAX_WBITS  # (gzip's header and trailer)
    elif len(value) > 1 and (value[0] << 8 | value[1]) % 31 == 0:
        window = zlib.MAX_WBITS  # (zlib's: deflate with its usual window, and its header's own check)
    else:
        return value
    try:
        held = zlib.decompressobj(window).decompress(value, EXPANDED_MOST)
    except zlib.error:
        return value
    return value + b"\n" + held
