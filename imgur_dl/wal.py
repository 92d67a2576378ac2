"""An SQLite database as it is with what its write-ahead log holds: a browser's newest history, read while it runs.

A database in WAL mode (Firefox's places.sqlite, Chrome's History) keeps
what was written since the last checkpoint in ``<name>-wal``: pages, each a
frame after a 24-byte header (the page's number; for a transaction's last
frame, the database's size in pages; the log's two salts; a running
checksum). SQLite's own recovery reads the log so: from its 32-byte header
on, each frame whose salts are the header's and whose checksum goes on from
the one before is valid, and the pages of each transaction up to the last
valid frame that ends one are the database's newest (the file format's
"WAL File Format"). The same is done here, on a copy of the database in
memory: nothing is written beside the file, no lock is taken. A log that is
not one, or too large, or holds no whole transaction, is left out.
"""

from __future__ import annotations

import struct
from pathlib import Path

LOG_MOST = 256 * 1024 * 1024  # bytes of a log read (a browser folds its log in at a few MB)
DATABASE_MOST = 1024 * 1024 * 1024  # bytes of a database copied into memory to read its log with it
_HEADER = struct.Struct(">IIIIIIII")  # magic, format, page size, checkpoint, salt 1, salt 2, checksum 1 and 2
_FRAME = struct.Struct(">IIIIII")  # page, database size after a commit (else 0), salt 1, salt 2, checksum 1 and 2
_MAGIC_LITTLE, _MAGIC_BIG = 0x377F0682, 0x377F0683  # (the checksums' words little- or big-endian)
_FORMAT = 3007000
_WORD = 0xFFFFFFFF
_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))  # 512 to 65,536 bytes
WRITE_VERSION, READ_VERSION = 18, 19  # where a database's header says WAL mode (2) or not (1)


def with_log(path: Path) -> bytearray | None:
    """The database at ``path`` with the transactions its log ``<path>-wal`` holds written into it; None when
    the log holds none (there is none, it is not a log, or larger than :data:`LOG_MOST`), or the database is
    larger than :data:`DATABASE_MOST`."""
    log = Path(f"{path}-wal")
    try:
        if not log.is_file() or log.stat().st_size > LOG_MOST or path.stat().st_size > DATABASE_MOST:
            return None
        data = log.read_bytes()
    except OSError:
        return None
    pages = _committed(data)
    if pages is None:
        return None
    size, page_size, latest = pages
    image = bytearray(path.read_bytes())
    image[size * page_size:] = b""
    image.extend(bytes(size * page_size - len(image)))
    for number, page in latest.items():
        if number <= size:
            image[(number - 1) * page_size:number * page_size] = page
    return image  # (its header still says WAL mode: imgur_dl.database reads it from memory as one with no log)


def _committed(data: bytes) -> tuple[int, int, dict[int, bytes]] | None:
    """The database's size in pages, its page size, and each page's newest content as of the last transaction
    the log ``data`` holds whole; None when it holds none."""
    if len(data) < _HEADER.size:
        return None
    magic, version, page_size, _, salt1, salt2, check1, check2 = _HEADER.unpack_from(data)
    if magic not in (_MAGIC_LITTLE, _MAGIC_BIG) or version != _FORMAT or page_size not in _PAGE_SIZES:
        return None
    words = ">" if magic == _MAGIC_BIG else "<"
    sums = _checksum(data[:24], 0, 0, words)
    if sums != (check1, check2):
        return None
    pending: dict[int, bytes] = {}
    latest: dict[int, bytes] = {}
    size = 0
    at = _HEADER.size
    while at + _FRAME.size + page_size <= len(data):
        number, commit, frame_salt1, frame_salt2, frame_check1, frame_check2 = _FRAME.unpack_from(data, at)
        page = data[at + _FRAME.size:at + _FRAME.size + page_size]
        sums = _checksum(page, *_checksum(data[at:at + 8], *sums, words), words)
        if (frame_salt1, frame_salt2) != (salt1, salt2) or sums != (frame_check1, frame_check2) or number == 0:
            break
        pending[number] = page
        if commit:  # (a transaction's last frame: its pages are the database's)
            latest.update(pending)
            pending.clear()
            size = commit
        at += _FRAME.size + page_size
    return (size, page_size, latest) if size else None


def _checksum(data: bytes, first: int, second: int, words: str) -> tuple[int, int]:
    """SQLite's checksum of ``data`` (a multiple of 8 bytes), going on from ``first`` and ``second``."""
    values = struct.unpack(f"{words}{len(data) // 4}I", data)
    for n in range(0, len(values), 2):
        first = (first + values[n] + second) & _WORD
        second = (second + values[n + 1] + first) & _WORD
    return first, second
