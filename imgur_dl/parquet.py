"""A Parquet file (the columnar format data sets are published in: Hugging Face's, those made from Pushshift's Reddit
dumps; ``PAR1`` its first and last bytes) as ``--scan`` reads it: each text column's values, a value a line,
decompressed.

Read as bytes, a Parquet file gave a few of its links in thousands: its pages are compressed (with Snappy, unless
asked otherwise). The format is Apache Parquet's (``parquet.thrift``), its structures written in Thrift's compact
protocol: the file ends with its footer (``FileMetaData``, then the footer's length in four bytes, then ``PAR1``),
which holds the schema (each column's type, and whether it is optional or repeated, in a tree), the row groups, and
in each the column chunks: how each is compressed, where its pages start, how many bytes they take. A chunk is its
pages, each a ``PageHeader`` then its data: a dictionary page (the column's distinct values), data pages (version 1:
repetition levels, definition levels and values, compressed together; version 2: the levels as they are, then the
values). A text column's values (``BYTE_ARRAY``) are kept plain (each its length in four bytes, then its bytes) in
a dictionary page and in a data page not encoded by the dictionary: those are read a value at a time (read as bytes,
each length's first byte ran on from the value before it: ``imgur.com/a/AbC1234`` and a 104-byte value after it read
as ``AbC1234h``). Values in another encoding (a delta encoding's) are read as the bytes they are; a data page of
indices into its dictionary, and a column of numbers, holds no text, and is passed over.

Pages compressed with Snappy, gzip, LZ4 (its raw blocks; Hadoop's framing of them) are decompressed by imgur-dl
and the standard library, zstd's with the extra that reads it; Brotli's and LZO's are not (said, as columns). Nothing
in the file is trusted: the footer's structures are read to a bounded depth, each page's sizes are checked against
the chunk and the file, what a page makes is bounded as any compressed input's is; a page that does not decompress
is said, and its chunk read on from the next; a file whose footer is missing (cut short) or damaged is read as bytes,
and that is said.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from imgur_dl import lz4block, snappy, zstdlib
from imgur_dl.reader import Bound, Source, Told

MAGIC = b"PAR1"
MOST = 256 * 1024 * 1024  # a Parquet file not of its own (in a pipe, compressed, in an archive) read whole up to this
_FOOTER_MOST = 64 * 1024 * 1024  # a footer's most (one of a wide file of many row groups: a few MiB)
_PAGE_MOST = 256 * 1024 * 1024  # what a page may say it takes, or makes
_DEPTH = 32  # structures inside structures in the footer, at the most
_SEP = b"\n"
_DAMAGED = "whose footer is damaged"
_LENGTH = struct.Struct("<I")  # a plain value's length
_BYTE_ARRAY = 6  # a column's physical type: text (and bytes)
_REQUIRED, _REPEATED = 0, 2  # a schema element's repetition
_DATA, _DICTIONARY, _DATA_V2 = 0, 2, 3  # a page's types
_PLAIN, _PLAIN_DICTIONARY, _RLE, _BIT_PACKED, _DELTA_LENGTH, _DELTA, _RLE_DICTIONARY = 0, 2, 3, 4, 6, 7, 8  # encodings
_VALUES_MOST = 1 << 22  # the values of a page read in a delta encoding, at the most
_CODECS = {0: "uncompressed", 1: "Snappy", 2: "gzip", 3: "LZO", 4: "Brotli", 5: "LZ4", 6: "zstd", 7: "LZ4"}


class Damaged(Exception):
    """The file is not what the format says, where it says so."""


class _Short(Damaged):
    """A structure read runs past the bytes it was read from."""


@dataclass(frozen=True, slots=True)
class _Column:
    text: bool  # its values are BYTE_ARRAY's
    definition: int  # its most definition level (0: it is required, in required groups)
    repetition: int  # ... and repetition level (0: it is in no repeated group)


class Parquet(Told):
    """A Parquet file as text to scan (a :class:`imgur_dl.reader.Reader`): each text column's values, a line each.
    ``warn``: told of what could not be read (a codec this does not read, a page that does not decompress, a footer
    missing or damaged)."""

    def __init__(self, file: Source, name: str, bound: Bound, *, warn: Callable[[str], None] | None = None) -> None:
        super().__init__(name, bound, warn)
        self.file = file
        self.taken = 0  # compressed bytes of pages read
        self.spoilt = 0  # pages that did not decompress
        self.unread: Counter[str] = Counter()  # column chunks not read, by the codec that compressed them

    def text(self) -> Iterator[bytes]:
        try:
            footer = self._footer()
            columns = _columns(_list(footer.get(2)))
        except Damaged as exc:
            self.say(f"a Parquet file {exc}: read as bytes (most of its links are in compressed pages, not read)")
            yield from self._bytes()
            return
        for group in _list(footer.get(4)):
            for index, chunk in enumerate(_list(_struct(group).get(1))):
                column = columns[index] if index < len(columns) else None
                if column is not None and column.text:
                    yield from self._chunk(_struct(_struct(chunk).get(3)), column)
        self._tell()

    def _footer(self) -> dict[int, Any]:
        """The file's footer (``FileMetaData``), read; :class:`Damaged` where there is none to read."""
        tail = self.file.at(max(self.file.size - 8, 0), 8)
        if self.file.size < 12 or tail[4:] != MAGIC:
            raise Damaged("whose end (its footer) is missing: cut short?")
        length = int.from_bytes(tail[:4], "little")
        if not 0 < length <= min(_FOOTER_MOST, self.file.size - 12):
            raise Damaged(_DAMAGED)
        return _Compact(self.file.at(self.file.size - 8 - length, length)).struct()

    def _chunk(self, meta: dict[int, Any], column: _Column) -> Iterator[bytes]:
        """A text column's chunk: each page's values."""
        codec = _int(meta.get(4))
        data, dictionary = _int(meta.get(9)), _int(meta.get(11))
        start = dictionary if 4 <= dictionary < data else data
        end = min(start + _int(meta.get(7)), self.file.size - 8)
        if codec not in (0, 1, 2, 5, 6, 7) or (codec == 6 and not zstdlib.present()):
            named = _CODECS.get(codec, f"a codec of its own ({codec})")
            named += ", which imgur-dl does not decompress without the extra imgur-dl[zstd]" if codec == 6 else \
                ", which imgur-dl does not decompress"
            self.unread[named] += 1
            return
        at = start
        while 4 <= at < end:
            read = _header(self.file, at, end)
            if read is None:
                self.spoilt += 1  # (where its next page starts is not known: the chunk is given up)
                return
            header, length = read
            at += length
            size = _int(header.get(3))
            if not 0 <= size <= min(end - at, _PAGE_MOST):
                self.spoilt += 1
                return
            yield from self._page(header, self.file.at(at, size), codec, column)
            at += size

    def _page(self, header: dict[int, Any], data: bytes, codec: int, column: _Column) -> Iterator[bytes]:
        """One page's values (none for a page of indices into its dictionary)."""
        kind, made = _int(header.get(1)), _int(header.get(2))
        self.taken += len(data)
        if kind == _DICTIONARY:
            text = self._decompressed(data, codec, made)
            yield _values(text, _PLAIN)
        elif kind == _DATA:
            page = _struct(header.get(5))
            encoding = _int(page.get(2))
            if encoding not in (_PLAIN_DICTIONARY, _RLE_DICTIONARY):
                text = self._decompressed(data, codec, made)
                yield _values(text, encoding, _levels(text, column, page))
        elif kind == _DATA_V2:
            page = _struct(header.get(8))
            encoding = _int(page.get(4))
            levels = max(_int(page.get(5)), 0) + max(_int(page.get(6)), 0)
            if encoding not in (_PLAIN_DICTIONARY, _RLE_DICTIONARY) and levels <= len(data):
                values = data[levels:]
                compressed = page.get(7, True) is not False
                text = self._decompressed(values, codec, made - levels) if compressed else values
                yield _values(text, encoding)

    def _decompressed(self, data: bytes, codec: int, size: int) -> bytes:
        """A page's ``data`` (compressed with ``codec``: ``size`` bytes, its header says), decompressed; what it made
        before a fault, that said."""
        if not 0 <= size <= _PAGE_MOST:
            self.spoilt += 1
            return b""
        made, fault = _decompress(data, codec, size)
        self.spoilt += fault
        return self.bound.add(made, self.taken)

    def _bytes(self) -> Iterator[bytes]:
        at = 0
        while at < self.file.size:
            piece = self.file.at(at, 1024 * 1024)
            if not piece:
                return
            at += len(piece)
            yield piece

    def _tell(self) -> None:
        for codec, chunks in self.unread.items():
            self.say(f"{chunks:,} of its column chunks compressed with {codec}: not read")
        if self.spoilt:
            self.say(f"{self.spoilt:,} of its pages could not be read to their end (a damaged file?): what they gave "
                      "counts")


def _header(file: Source, at: int, end: int) -> tuple[dict[int, Any], int] | None:
    """The page header at ``at`` (before ``end``) and its length; None where there is none (a header's statistics
    may be long: it is read in more and more, up to a footer's most)."""
    window = 64 * 1024
    while True:
        reader = _Compact(file.at(at, min(end - at, window)))
        try:
            return reader.struct(), reader.at
        except _Short:
            if window >= min(end - at, _FOOTER_MOST):
                return None
        except Damaged:
            return None
        window *= 4


def _columns(schema: list[Any]) -> list[_Column]:
    """The leaf columns of a schema (a tree written depth first: each element with how many children it has), in
    order, each with its levels."""
    columns: list[_Column] = []
    stack: list[tuple[int, int, int]] = []  # (children left, definition, repetition) of each group open
    for element in map(_struct, schema):
        definition, repetition = stack[-1][1:] if stack else (0, 0)
        if stack:  # (the root is no column, and adds no level)
            how = _int(element.get(3), _REQUIRED)
            definition += how != _REQUIRED
            repetition += how == _REPEATED
            left, *levels = stack.pop()
            if left > 1:
                stack.append((left - 1, *levels))  # type: ignore[arg-type]
        children = _int(element.get(5))
        if children > 0:
            stack.append((children, definition, repetition))
        elif len(columns) < 100_000:
            columns.append(_Column(_int(element.get(1), -1) == _BYTE_ARRAY, definition, repetition))
    return columns


def _levels(text: bytes, column: _Column, page: dict[int, Any]) -> int:
    """Where the values of a data page of version 1 (``page``: its header's own), once decompressed, start: after its
    repetition levels, then its definition levels, each as long as their first four bytes say (bit-packed, as long as
    so many values' levels take)."""
    at = 0
    for most, how in ((column.repetition, _int(page.get(4), _RLE)), (column.definition, _int(page.get(3), _RLE))):
        if most > 0:
            at += (_int(page.get(1)) * most.bit_length() + 7) // 8 if how == _BIT_PACKED else \
                4 + int.from_bytes(text[at:at + 4], "little")
    return at


def _values(text: bytes, encoding: int, at: int = 0) -> bytes:
    """A page's values from ``at``, once decompressed, a line each (joined: a page's at once)."""
    return b"\n".join(_each(text, encoding, at)) + _SEP


def _each(text: bytes, encoding: int, at: int) -> Iterator[bytes]:
    """A page's values from ``at``: plain (each its length, then its bytes), or in a delta encoding (the lengths, then
    the values' bytes one after another; or what each shares with the value before it, then the rest of each so); in
    another encoding, or where they are not what it says, the bytes as they are."""
    if encoding == _DELTA_LENGTH:
        lengths = _deltas(text, at)
        if lengths is not None and sum(lengths[0]) <= len(text) - lengths[1]:
            yield from _runs(text, lengths[1], lengths[0])
            return
    elif encoding == _DELTA:
        shared = _deltas(text, at)
        lengths = _deltas(text, shared[1]) if shared is not None else None
        if shared is not None and lengths is not None and len(shared[0]) == len(lengths[0]) \
                and sum(lengths[0]) <= len(text) - lengths[1]:
            before = b""
            for prefix, rest in zip(shared[0], _runs(text, lengths[1], lengths[0]), strict=True):
                before = before[:prefix] + rest
                yield before
            return
    if encoding != _PLAIN:
        yield text[at:]
        return
    while at + 4 <= len(text):
        (length,) = _LENGTH.unpack_from(text, at)
        if at + 4 + length > len(text):  # (not a value's length: the rest as it is)
            yield text[at:]
            return
        yield text[at + 4:at + 4 + length]
        at += 4 + length


def _runs(text: bytes, at: int, lengths: list[int]) -> Iterator[bytes]:
    """The values of ``lengths``, one after another from ``at``."""
    for length in lengths:
        yield text[at:at + length]
        at += length


def _deltas(data: bytes, at: int) -> tuple[list[int], int] | None:
    """The integers encoded with DELTA_BINARY_PACKED at ``at`` (a header: values in a block, miniblocks in a block,
    how many values, the first; then blocks: their least delta, each miniblock's bit width, the miniblocks, each
    delta less the least packed in so many bits), and where they end; None where ``data`` holds none (or more than
    :data:`_VALUES_MOST`)."""
    try:
        size, at = _uvarint(data, at)
        miniblocks, at = _uvarint(data, at)
        count, at = _uvarint(data, at)
        first, at = _uvarint(data, at)
        each = size // miniblocks if miniblocks else 0
        if count > _VALUES_MOST or (count > 1 and (not each or each % 8 or size % miniblocks)):
            return None
        values = [_zigzag(first)][:count]
        while len(values) < count:
            least, at = _uvarint(data, at)
            least = _zigzag(least)
            widths, at = data[at:at + miniblocks], at + miniblocks
            for width in widths:
                if len(values) >= count:
                    break
                if width > 64 or at + each * width // 8 > len(data):
                    return None
                packed = int.from_bytes(data[at:at + each * width // 8], "little")
                at += each * width // 8
                mask = (1 << width) - 1
                for n in range(min(each, count - len(values))):
                    values.append(values[-1] + least + (packed >> (n * width) & mask))
    except IndexError:
        return None
    if not all(0 <= value <= len(data) for value in values):  # (no length of a value, nor of what it shares)
        return None
    return values, at


def _uvarint(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 integer at ``at`` (ten bytes at the most), and where it ends; IndexError where it is cut
    short, or longer."""
    value, at = snappy.varint(data, at, bits=64)
    if value < 0:
        raise IndexError("not a varint")
    return value, at


def _decompress(data: bytes, codec: int, size: int) -> tuple[bytes, bool]:
    """What ``data`` makes (``size`` bytes, said), and whether it proved damaged before its end."""
    if codec == 0:
        return data, False
    if codec == 1:
        decoded = snappy.decoded(data)
        return decoded.data, decoded.stopped is not None
    if codec == 2:
        inflater = zlib.decompressobj(47)  # (gzip's header, or zlib's)
        try:
            return inflater.decompress(data, size + 1), False
        except zlib.error:
            return b"", True
    if codec == 6:
        return _zstd(data, size)
    if codec == 5:
        framed = _hadoop(data, size)
        if framed is not None:
            return framed, False
    decoded = lz4block.decoded(data, size)
    return decoded.data, decoded.stopped is not None


def _hadoop(data: bytes, size: int) -> bytes | None:
    """Hadoop's framing of LZ4 blocks (each block's size as made, then as compressed, 4 bytes each, big-endian),
    decoded; None where ``data`` is not so framed (older writers wrote a raw block under the same codec)."""
    made, at = [], 0
    while at + 8 <= len(data):
        whole, compressed = struct.unpack_from(">II", data, at)
        if compressed > len(data) - at - 8 or whole > size:
            return None
        decoded = lz4block.decoded(data[at + 8:at + 8 + compressed], whole)
        if decoded.stopped is not None:
            return None
        made.append(decoded.data)
        at += 8 + compressed
    return b"".join(made) if at == len(data) else None


def _zstd(data: bytes, size: int) -> tuple[bytes, bool]:
    made = zstdlib.unzstd(data, size)
    return (b"", True) if made is None else (made, False)


class _Compact:
    """Thrift's compact protocol, read: a structure's fields by their ids (a structure, a list of values, bytes, an
    integer, a float, a bool each); :class:`Damaged` where ``data`` is not one."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.depth = 0

    def struct(self) -> dict[int, Any]:
        self.depth += 1
        if self.depth > _DEPTH:
            raise Damaged(_DAMAGED)
        fields: dict[int, Any] = {}
        last = 0
        while (head := self._byte()) != 0:
            kind, delta = head & 0x0F, head >> 4
            last = last + delta if delta else _zigzag(self._varint())
            fields[last] = True if kind == 1 else False if kind == 2 else self._value(kind)
        self.depth -= 1
        return fields

    def _value(self, kind: int) -> Any:
        if kind == 3:
            return self._byte()
        if kind in (4, 5, 6):
            return _zigzag(self._varint())
        if kind == 7:
            return struct.unpack("<d", self._bytes(8))[0]
        if kind == 8:
            return self._bytes(self._varint())
        if kind in (9, 10):
            head = self._byte()
            count = head >> 4 if head >> 4 != 15 else self._varint()
            element = head & 0x0F
            return [self._byte() == 1 if element in (1, 2) else self._value(element) for _ in range(count)]
        if kind == 11:  # (a map: its pairs, whose keys may be structures)
            count = self._varint()
            types = self._byte() if count else 0
            return [(self._value(types >> 4), self._value(types & 0x0F)) for _ in range(count)]
        if kind == 12:
            return self.struct()
        raise Damaged(_DAMAGED)

    def _byte(self) -> int:
        if self.at >= len(self.data):
            raise _Short(_DAMAGED)
        self.at += 1
        return self.data[self.at - 1]

    def _bytes(self, size: int) -> bytes:
        if size > len(self.data) - self.at:
            raise _Short(_DAMAGED)
        self.at += size
        return self.data[self.at - size:self.at]

    def _varint(self) -> int:
        value, shift = 0, 0
        while (byte := self._byte()) & 0x80:
            value |= (byte & 0x7F) << shift
            shift += 7
            if shift > 63:
                raise Damaged(_DAMAGED)
        return value | byte << shift


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _struct(value: object) -> dict[int, Any]:
    return value if isinstance(value, dict) else {}
