"""A LevelDB database's files as text to scan: each key and value a table or a log holds, a line each.

LevelDB keeps a Chromium browser's local storage and IndexedDB, and every
Electron app's (OneTab's saved tabs are its local storage), in tables
(``*.ldb``; ``*.sst`` before) and a log (``<number>.log``) of what was
written since (LevelDB's "table_format.md" and "log_format.md"). Read as
bytes, a table's blocks are compressed (Snappy: :mod:`imgur_dl.snappy`), and
a log cuts a record every 32 KiB with a header of its own (7 bytes), where a
link cut so would name another album. A table is known by the magic number
that ends it (or, in a folder with the database's ``CURRENT`` file, by its
name); a log by its name, in such a folder. Each is read whole (a table
holds 2 MiB, a log 4 MiB, as LevelDB writes them). Nothing in either is
trusted: a block or record that is not what it says ends the reading there,
with what came before it kept (a browser that runs appends to its log: a
record cut short at its end is no damage). Checksums are not checked: a
byte spoilt on disk reads as what it is, as in any other file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from imgur_dl import snappy
from imgur_dl.errors import ScanError
from imgur_dl.reader import Reader, Then

MOST = 256 * 1024 * 1024  # bytes of a table or log read whole, at the most (larger: read as bytes)
TABLE_MAGIC = bytes.fromhex("57fb808b247547db")  # 0xdb4775248b80fb57, little-endian, the table's last 8 bytes
_FOOTER = 48
_NONE, _SNAPPY = 0, 1  # how a table's block is compressed (its trailer's first byte)
_LOG_BLOCK, _LOG_HEADER = 32768, 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_PUT, _DELETE = 1, 0
_LOG_NAME = re.compile(r"[0-9]{6,}\.log")


@dataclass(frozen=True, slots=True)
class Read:
    """What a file gave, and why reading it stopped short (None: it did not)."""

    text: bytes
    stopped: str | None = None


def kind_of(path: Path, tail: bytes) -> str | None:
    """``"table"`` or ``"log"`` when the file at ``path`` (``tail``: its last 8 bytes) is one of a LevelDB
    database's; else None. (A table of a database's folder without its magic number is one cut short: said, not
    read as bytes, where a link cut short at its end would name another album.)"""
    if tail == TABLE_MAGIC:
        return "table"
    form = named(path)
    return form if form is not None and (path.parent / "CURRENT").is_file() else None


def named(path: PurePath) -> str | None:
    """``"table"`` or ``"log"`` when a file named as ``path`` is, in a LevelDB database's folder; else None."""
    return "table" if path.suffix in (".ldb", ".sst") else "log" if _LOG_NAME.fullmatch(path.name) else None


def table(data: bytes) -> Read:
    """Each entry's key and value of the table ``data``, in the order of its index."""
    if len(data) < _FOOTER or not data.endswith(TABLE_MAGIC):
        return Read(b"", "no magic number at its end, as one cut short")
    footer = data[-_FOOTER:]
    _, _, pos = _handle(footer, 0)  # (the metaindex: filters, nothing of the data's)
    offset, size, _ = _handle(footer, pos)
    index, why = _block(data, offset, size)
    if why is not None:
        return Read(b"", f"its index: {why}")
    text: list[bytes] = []
    handles, why = _entries(index)
    for _, value in handles:
        offset, size, _ = _handle(value, 0)
        block, trouble = _block(data, offset, size)
        entries, damaged = _entries(block)
        text += (piece for key, value in entries for piece in (key, b"\n", value, b"\n"))
        if trouble or damaged:
            return Read(b"".join(text), f"a block at byte {offset}: {trouble or damaged}")
    return Read(b"".join(text), f"its index: {why}" if why else None)


def log(data: bytes) -> Read:
    """Each key and value the write batches of the log ``data`` put, record by record; a record cut short at the
    end (as a running program leaves its log) is left out in silence."""
    text: list[bytes] = []
    record, pos = b"", 0
    while len(data) - pos >= _LOG_HEADER:
        left = _LOG_BLOCK - pos % _LOG_BLOCK
        if left < _LOG_HEADER:  # (a block's trailer: too short for a header)
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        if kind == 0 and length == 0:  # (space written ahead of time: nothing past it yet in this block)
            pos += left
            continue
        payload = data[pos + _LOG_HEADER:pos + _LOG_HEADER + length]
        if len(payload) < length:
            break  # (cut short at the end: written while it was read)
        if length > left - _LOG_HEADER or kind not in (_FULL, _FIRST, _MIDDLE, _LAST):
            return Read(b"".join(text), f"a record at byte {pos} is not one")
        pos += _LOG_HEADER + length
        record = payload if kind in (_FULL, _FIRST) else record + payload
        if kind in (_FULL, _LAST):
            batch, why = _batch(record)
            text += batch
            if why is not None:
                return Read(b"".join(text), f"a record before byte {pos}: {why}")
            record = b""
    return Read(b"".join(text))


def reader(data: bytes, form: str, name: str) -> Reader:
    """What the ``form`` (a table or a log) ``data`` holds, as text to read, then where reading it stopped, if it did
    (:class:`ScanError`, for the file ``name``)."""
    read = table(data) if form == "table" else log(data)
    return Then(read.text, ScanError.stopped(name, f"a LevelDB {form}: {read.stopped}") if read.stopped else None)


def _batch(record: bytes) -> tuple[list[bytes], str | None]:
    """The keys and values a write batch puts (a sequence number, a count, then each put or delete), a line each,
    and what is wrong with it, if anything is."""
    text: list[bytes] = []
    pos = 12
    while pos < len(record):
        tag, pos = record[pos], pos + 1
        key, pos = _string(record, pos)
        if tag == _PUT:
            value, pos = _string(record, pos)
        elif tag == _DELETE:
            value = b""
        else:
            return text, "a write batch of an unknown kind"
        if key is None or value is None:
            return text, "a write batch cut short"
        text += (key, b"\n", value, b"\n")
    return text, None


def _entries(block: bytes) -> tuple[list[tuple[bytes, bytes]], str | None]:
    """A block's entries, each key whole (a key keeps only what it does not share with the one before it), and what
    is wrong with the block, if anything is."""
    if len(block) < 4:
        return [], "shorter than its count of restart points" if block else None
    restarts = int.from_bytes(block[-4:], "little")
    end = len(block) - 4 - 4 * restarts
    if end < 0:
        return [], "more restart points than it holds"
    entries: list[tuple[bytes, bytes]] = []
    key, pos = b"", 0
    while pos < end:
        shared, pos = snappy.varint(block, pos)
        unshared, pos = snappy.varint(block, pos)
        length, pos = snappy.varint(block, pos)
        if min(shared, unshared, length) < 0 or shared > len(key) or pos + unshared + length > end:
            return entries, "an entry that is not one"
        key = key[:shared] + block[pos:pos + unshared]
        entries.append((key, block[pos + unshared:pos + unshared + length]))
        pos += unshared + length
    return entries, None


def _block(data: bytes, offset: int, size: int) -> tuple[bytes, str | None]:
    """The block at ``offset`` (``size`` bytes, then its trailer: how it is compressed, and a checksum), as it was
    before it was compressed; and what is wrong with it, if anything is."""
    if offset < 0 or size < 0 or offset + size + 5 > len(data):
        return b"", "past the end of the file"
    contents, kind = data[offset:offset + size], data[offset + size]
    if kind == _NONE:
        return contents, None
    if kind == _SNAPPY:
        decoded = snappy.decoded(contents)
        return decoded.data, decoded.stopped
    return b"", f"compressed in a way imgur-dl does not decode ({kind})"


def _handle(data: bytes, pos: int) -> tuple[int, int, int]:
    """A block's handle at ``pos``: its offset and size (varints), and where the handle ends; -1s when it is not
    one."""
    offset, pos = snappy.varint(data, pos, bits=64)
    size, pos = snappy.varint(data, pos, bits=64)
    return offset, size, pos


def _string(data: bytes, pos: int) -> tuple[bytes | None, int]:
    """A length (a varint) and that many bytes, at ``pos``; None when they are cut short."""
    length, pos = snappy.varint(data, pos)
    if length < 0 or pos + length > len(data):
        return None, pos
    return data[pos:pos + length], pos + length
