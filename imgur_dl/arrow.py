"""An Arrow file (Feather's, ``ARROW1`` its first bytes) or stream (a Hugging Face data set's cache) as ``--scan``
reads it: each buffer of each record batch on a line of its own, decompressed.

Read as bytes, a Feather file gave no link: Feather compresses each buffer with LZ4 unless asked otherwise. The
format is Arrow's IPC format (its "Columnar Format" specification, and ``Message.fbs`` for what a message holds): the
file's magic number, then messages, each a marker (0xFFFFFFFF), its metadata's length, the metadata (a FlatBuffers
``Message``: what it is, its header, the length of its body), then its body; a message of no metadata ends the
stream (the file's footer follows it). A record batch's header (a dictionary batch's holds one) lists its buffers,
each where it is in the body and how long, and how they are compressed: LZ4's frames or zstd's, each after the length
it makes in 8 bytes (-1: not compressed). A text column's values lie one right after another in one buffer, the
buffer before it their offsets (32-bit, or 64-bit for a large text): split by them, each value is a line of its own
(read as one run, a link before a value that opens with a word ran on into it); the buffers of numbers and of
offsets hold no text.

Nothing in the file is trusted: a message's metadata and body are held to :data:`MOST`, the FlatBuffers offsets
to what holds them, what a buffer decompresses to bounded as any compressed input's is; a message that is not what
the format says makes the rest read as bytes, and that is said; a buffer that does not decompress is said. A stream
whose first message is not a schema's is no Arrow stream: read as bytes, in silence (its first bytes, four of 0xFF,
open files of other kinds too).
"""

from __future__ import annotations

import array
import itertools
import struct
import sys
from collections import Counter
from collections.abc import Callable, Iterator

from imgur_dl import zstdlib
from imgur_dl.lz4frames import Lz4, Spoilt
from imgur_dl.reader import Bound, Reader, Streamed

MAGIC = b"ARROW1"
STREAM = b"\xff\xff\xff\xff"  # a message's marker: the first bytes of a stream too
MOST = 256 * 1024 * 1024  # a message's metadata, its body, or what a buffer makes, at the most
_SEP = b"\n"
_PADDING = 64  # what may follow a column's values in their buffer, at the most (buffers are padded to 64 bytes)
_SCHEMA, _DICTIONARY_BATCH, _RECORD_BATCH = 1, 2, 3  # a message's header's types
_LZ4_FRAME, _ZSTD = 0, 1  # how a body's buffers are compressed
_SPOILT = "do not decompress (a damaged file?)"
_WITHOUT_ZSTD = "compressed with zstd, which imgur-dl does not decompress without the extra imgur-dl[zstd]"


_Message = tuple[int, "tuple[bytes, int] | None", bytes]  # a header's type, its header (its table), its body


class NotOne(Exception):
    """What was read is not what Arrow's format says."""


class Arrow(Streamed):
    """An Arrow file or stream as text to scan (a :class:`imgur_dl.reader.Reader`)."""

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        super().__init__(source, name, bound, taken=taken, warn=warn)
        self.unread: Counter[str] = Counter()  # buffers not read, by why

    def text(self) -> Iterator[bytes]:
        yield from self._messages()
        for why, buffers in self.unread.items():
            self.say(f"an Arrow file: {buffers:,} of its buffers {why}: not read")

    def _messages(self) -> Iterator[bytes]:
        head = self.input.take(8)
        stream = head[:4] == STREAM and len(head) == 8
        if not head.startswith(MAGIC) and not stream:
            yield head
            yield from self.input.rest()
            return
        first = struct.unpack("<i", head[4:])[0] if stream else None  # (a stream's first message's length)
        taken: list[bytes] | None = [head] if stream else None  # (what its first message took, until it is read)
        messages = 0
        try:
            while (message := self._message(first, taken)) is not None:
                kind, header, body = message
                if stream and messages == 0 and kind != _SCHEMA:
                    raise NotOne("no schema first")
                first, taken, messages = None, None, messages + 1
                if kind == _DICTIONARY_BATCH and header is not None:
                    header = _table(header[0], header[1], 1)
                if kind in (_DICTIONARY_BATCH, _RECORD_BATCH) and header is not None:
                    yield from self._buffers(header, body)
        except NotOne:
            if taken is not None:  # (no Arrow stream: its bytes as they are, in silence)
                yield from taken
            else:
                self.say("an Arrow file not what its format says past its first messages: the rest was read as "
                         "bytes")
            yield from self.input.rest()

    def _message(self, size: int | None, taken: list[bytes] | None) -> _Message | None:
        """The next message (``size``: its metadata's length, read already): its header's type, its header (its
        table, where it is), its body; None at the stream's end. What it takes is added to ``taken``."""
        if size is None:
            size = self._int32()
            if size == -1:  # (the marker: the length follows)
                size = self._int32()
        if size is None or size == 0:
            return None
        if not 8 <= size <= MOST:
            raise NotOne("a message's length")
        metadata = self._take(size, taken)
        root = _root(metadata)
        kind = _scalar(metadata, root, 1, "<B", 0)
        length = _scalar(metadata, root, 3, "<q", 0)
        if not 0 <= length <= MOST:
            raise NotOne("a body's length")
        return kind, _table(metadata, root, 2), self._take(length, taken)

    def _take(self, size: int, taken: list[bytes] | None) -> bytes:
        data = self.input.take(size)
        if taken is not None:
            taken.append(data)
        if len(data) < size:
            raise NotOne("cut short")
        return data

    def _buffers(self, batch: tuple[bytes, int], body: bytes) -> Iterator[bytes]:
        """Each buffer of a record batch whose header is ``batch``, decompressed, a line each."""
        data, at = batch
        compression = _table(data, at, 3)
        codec = None if compression is None else _scalar(compression[0], compression[1], 0, "<b", _LZ4_FRAME)
        before = b""
        for offset, length in _structs(data, at, 2, "<qq"):
            if not (offset >= 0 and length >= 0 and offset + length <= len(body)):
                raise NotOne("a buffer past its body")
            buffer = body[offset:offset + length]
            if codec is not None and len(buffer) >= 8:
                buffer = self._decompressed(buffer, codec)
            self.bound.add(buffer, self.taken())
            values = _split(buffer, before)  # (a text column's: its offsets are the buffer before)
            yield b"\n".join(values) + _SEP if values is not None else buffer + _SEP
            before = buffer

    def _decompressed(self, buffer: bytes, codec: int) -> bytes:
        (made,) = struct.unpack_from("<q", buffer)
        if made == -1:  # (left as it is: compressing it saved nothing)
            return buffer[8:]
        if not 0 <= made <= MOST:
            raise NotOne("a buffer's length")
        if codec == _ZSTD:
            if not zstdlib.present():
                self.unread[_WITHOUT_ZSTD] += 1
                return b""
            unpacked = zstdlib.unzstd(buffer[8:], made)
            if unpacked is None:
                self.unread[_SPOILT] += 1
            return unpacked or b""
        frame, pieces, rest = Lz4().decoder(), [], buffer[8:]
        try:
            ended = False
            while rest and not ended:
                out, used, ended = frame.feed(rest, made)
                pieces.append(out)
                rest = rest[used:]
        except Spoilt:
            self.unread[_SPOILT] += 1
        return b"".join(pieces)

    def _int32(self) -> int | None:
        data = self.input.take(4)
        return struct.unpack("<i", data)[0] if len(data) == 4 else None


def _split(data: bytes, offsets: bytes) -> list[bytes] | None:
    """``data``'s values, where ``offsets`` are theirs (a text column's offsets, 32-bit or 64-bit, then its values'
    bytes: each value from one offset to the next, the last at its end); None where they are not."""
    for form, width in (("i", 4), ("q", 8)):
        if len(offsets) < 2 * width or len(offsets) % width:
            continue
        points = array.array(form, offsets)
        if sys.byteorder == "big":
            points.byteswap()
        if points[0] < 0 or not 0 <= len(data) - points[-1] < _PADDING or any(
                b < a for a, b in itertools.pairwise(points)):
            continue
        return [data[a:b] for a, b in itertools.pairwise(points)]
    return None


def _root(data: bytes) -> int:
    """Where the root table of the FlatBuffers ``data`` is."""
    return _offset(data, 0)


def _offset(data: bytes, at: int) -> int:
    """The position an unsigned 32-bit offset at ``at`` points to (within ``data``)."""
    if not 0 <= at <= len(data) - 4:
        raise NotOne("an offset past its metadata")
    target = at + int(struct.unpack_from("<I", data, at)[0])
    if target > len(data) - 4:
        raise NotOne("an offset past its metadata")
    return target


def _field(data: bytes, table: int, field: int) -> int | None:
    """Where ``field`` of the table at ``table`` is (None: it is not there, its default holds)."""
    vtable = table - struct.unpack_from("<i", data, table)[0]
    if not 0 <= vtable <= len(data) - 4:
        raise NotOne("a table's vtable past its metadata")
    size = struct.unpack_from("<H", data, vtable)[0]
    if 4 + 2 * field + 2 > size or vtable + size > len(data):
        return None
    at = struct.unpack_from("<H", data, vtable + 4 + 2 * field)[0]
    return table + at if at else None


def _scalar(data: bytes, table: int, field: int, form: str, default: int) -> int:
    at = _field(data, table, field)
    if at is None:
        return default
    if at + struct.calcsize(form) > len(data):
        raise NotOne("a field past its metadata")
    return int(struct.unpack_from(form, data, at)[0])


def _table(data: bytes, table: int, field: int) -> tuple[bytes, int] | None:
    at = _field(data, table, field)
    return None if at is None else (data, _offset(data, at))


def _structs(data: bytes, table: int, field: int, form: str) -> Iterator[tuple[int, ...]]:
    """The structs of the vector in ``field`` (each of ``form``)."""
    at = _field(data, table, field)
    if at is None:
        return
    vector = _offset(data, at)
    count = struct.unpack_from("<I", data, vector)[0]
    size = struct.calcsize(form)
    if vector + 4 + count * size > len(data):
        raise NotOne("a vector past its metadata")
    for n in range(count):
        yield struct.unpack_from(form, data, vector + 4 + n * size)
