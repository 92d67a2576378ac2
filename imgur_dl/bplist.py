"""Apple's binary property lists as text to scan: each string and data object one holds, a line each.

A binary property list (``bplist00``: Safari's ``Bookmarks.plist`` with its
Reading List, its ``History.plist`` before OS X 10.10, the archives
NSKeyedArchiver writes) lays its objects one after another, each
behind a marker byte that tells its type and length, with nothing between
them (Core Foundation's ``CFBinaryPList.c``, whose comment describes the
format, and Python's :mod:`plistlib`). Read as bytes, a link runs on into
the marker of the object written after it: ``_`` before any string of 15
characters or more (``imgur.com/user/SomeName`` then a bookmark's UUID: the
user ``SomeName_``), a letter before a shorter one (``imgur.com/a/AbC1234``
then ``W`` and a 7-character title: an id that is none). Here the offset
table at the file's end names each object; the strings (ASCII, and UTF-16
big-endian, given as UTF-8) and data (a property list inside one read so in
turn) are given a line each; numbers, dates, arrays and dictionaries hold
no text and are left out. Nothing is trusted: an offset or length past the
objects, or an object that begins inside one already given, is passed over.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator

from imgur_dl.reader import Whole

MAGIC = b"bplist00"
MOST = 256 * 1024 * 1024  # bytes of a property list read whole, at the most (larger: read as bytes)
_TRAILER = 32
_DATA, _ASCII, _UTF16 = 0x4, 0x5, 0x6  # the high four bits of the markers of objects that hold text or bytes
_INT = 0x1  # ... of an integer's: a length of 15 or more follows the marker as one
_DEEPEST = 4  # property lists inside data inside property lists... read so, at the most
_AT_ONCE = 65536  # offsets widened at a time


def strings(data: bytes | memoryview) -> Whole:
    """Every string and data object of the binary property list ``data``, in the order they are written."""
    return _strings(memoryview(data), 0)


def _strings(data: memoryview, depth: int) -> Whole:
    if len(data) < len(MAGIC) + _TRAILER or data[:len(MAGIC)] != MAGIC:
        return Whole(b"", "cut short" if data[:len(MAGIC)] == MAGIC else "not a binary property list")
    trailer = data[-_TRAILER:]
    width, count, table = trailer[6], int.from_bytes(trailer[8:16], "big"), int.from_bytes(trailer[24:32], "big")
    end = len(data) - _TRAILER  # (where the offset table must end)
    if not 1 <= width <= 8 or not len(MAGIC) <= table <= end or count * width > end - table:
        return Whole(b"", "its trailer names no offset table inside it (cut short, or spoilt)")
    text = bytearray()  # (not a list of pieces: a file of empty strings would take more than its size in those)
    given = len(MAGIC)  # where the last object given ends: one that begins before it is not one
    # (Objects are taken in the order the table names them, as every writer lays them out: one named out of that
    # order, or twice, is passed over, and the whole is read once.)
    for offset in _offsets(data[table:table + count * width], width):
        span = _span(data, offset, table) if given <= offset < table else None
        if span is None:
            continue
        kind, start, given = span
        value = data[start:given]
        if kind == _UTF16:
            text += bytes(value).decode("utf-16-be", "surrogatepass").encode("utf-8", "surrogatepass")
        elif kind == _DATA and depth < _DEEPEST and value[:len(MAGIC)] == MAGIC and \
                (inner := _strings(value, depth + 1)).unread is None:
            text += inner.text
        else:
            text += value
        text += b"\n"
    return Whole(bytes(text))


def _offsets(table: memoryview, width: int) -> Iterator[int]:
    """The offset table's big-endian numbers of ``width`` bytes, each widened to 8 bytes in place (no loop in
    Python: a table of a million objects), :data:`_AT_ONCE` of them at a time (eight bytes each, whatever the
    table's width: a table of one-byte offsets does not take eight times its size)."""
    step = _AT_ONCE * width
    for at in range(0, len(table) - len(table) % width, step):
        piece = table[at:at + step]
        wide = bytearray(8 * (len(piece) // width))
        for byte in range(width):
            wide[8 - width + byte::8] = piece[byte::width]
        numbers = array("Q", wide)
        if sys.byteorder == "little":
            numbers.byteswap()
        yield from numbers


def _span(data: memoryview, offset: int, limit: int) -> tuple[int, int, int] | None:
    """The object at ``offset``, when it holds text or bytes lying before ``limit``: (its kind, where they begin,
    where they end)."""
    marker = data[offset]
    kind, length, start = marker >> 4, marker & 0xF, offset + 1
    if kind not in (_DATA, _ASCII, _UTF16):
        return None
    if length == 0xF:  # (an integer object follows: 1, 2, 4 or 8 bytes, big-endian)
        if start >= limit or data[start] >> 4 != _INT or data[start] & 0xF > 3:
            return None
        size = 1 << (data[start] & 0xF)
        length, start = int.from_bytes(data[start + 1:start + 1 + size], "big"), start + 1 + size
    stop = start + length * (2 if kind == _UTF16 else 1)
    return (kind, start, stop) if stop <= limit else None
