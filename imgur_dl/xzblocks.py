"""An xz file's blocks one after another, as ``--scan`` reads it: where a stream's block headers give their sizes, a
spoilt block is said and passed over, and reading goes on from the next.

An xz stream (the .xz file format, version 1.1.0, sections 2 and 3) is a header, blocks, an index and a footer; a
file may hold several streams. Each block is compressed on its own and checked on its own (CRC32, CRC64 or SHA-256
of its text). xz compressing in parallel (its default since 5.6, ``-T``; pixz) writes a block's compressed and
uncompressed sizes in its header, so where one ends is known before it is decoded. Python's reader reads a file as
one stream: a byte spoilt anywhere stopped it there, and the blocks after it, often nearly all of them, were lost.

Here, in a stream whose block headers give both sizes, each block is decoded on its own, made a stream of its own
(the stream's header; the block as it is; an index of that one block and a footer), so that its check, and its sizes,
are checked by the decoder: a spoilt block is said (:class:`FileStopped`), costs at most its own text, and the text
after it begins on a line of its own; a block whose header is spoilt is passed over to the next header that is whole
(each header carries a CRC32 of its own). A block's text is handed on once it is checked, up to :data:`HOLD` bytes
(a spoilt block decodes to bytes of its own text copied where they do not belong: a link may name another image);
one that makes more is handed on as it comes. A stream whose first block header gives no sizes (xz compressing on one
thread writes none, and one block) is decoded whole as before, a stream at a time. A file that ends inside a block is
cut short: what that block's text was decoded to before the cut is given, then :class:`ScanError`.
"""

from __future__ import annotations

import lzma
import zlib

from imgur_dl.errors import ScanError, reason
from imgur_dl.gzipped import CUT_SHORT  # (the standard library's words for a file cut short, gzip's as xz's)
from imgur_dl.members import Handout
from imgur_dl.reader import Buffer, Reader

MAGIC = b"\xfd7zXZ\x00"  # a stream's header's first bytes
_FOOTER_MAGIC = b"YZ"
_HEADER = 12  # bytes of a stream's header, and of its footer
_CHECKS = {0: 0, 1: 4, 4: 8, 10: 32}  # the checks liblzma makes (none, CRC32, CRC64, SHA-256), and their sizes
_SIZES = 0xC0  # a block header's flags: its compressed and uncompressed sizes follow
_RESERVED = 0x3C  # ... bits that are never set
FEED = 2048  # compressed bytes given the decoder at a time (what one piece makes stays a few dozen MiB at most)
HOLD = 4 * 1024 * 1024  # text of a block held back until it is checked; a block that makes more: as it comes


def vli(data: bytes | bytearray, at: int) -> tuple[int, int] | None:
    """The variable-length integer of ``data`` at ``at`` (seven bits a byte, least first, at most nine bytes) and
    the bytes it takes; None where it is not one (or ``data`` ends inside it)."""
    value = 0
    for count in range(9):
        if at + count >= len(data):
            return None
        byte = data[at + count]
        value |= (byte & 0x7F) << (7 * count)
        if not byte & 0x80:
            return (value, count + 1) if byte or not count else None  # (no needless zero byte at the end)
    return None


def _vli_bytes(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _crc32(data: bytes | bytearray) -> bytes:
    return zlib.crc32(data).to_bytes(4, "little")


def block_header(data: bytes | bytearray) -> tuple[int, int | None, int | None] | None:
    """The block header ``data`` starts with, when it is whole and its CRC32 right: its size, and the block's
    compressed and uncompressed sizes where it gives them (None: it does not); None where it is no such header."""
    if not data or len(data) < (data[0] + 1) * 4 or data[0] == 0:
        return None
    size = (data[0] + 1) * 4
    flags = data[1]
    if flags & _RESERVED or _crc32(data[:size - 4]) != data[size - 4:size]:
        return None
    if flags & _SIZES != _SIZES:
        return size, None, None
    compressed = vli(data, 2)
    uncompressed = vli(data, 2 + compressed[1]) if compressed is not None else None
    if compressed is None or uncompressed is None or not compressed[0]:
        return None
    return size, compressed[0], uncompressed[0]


def one_block(flags: bytes, header: int, compressed: int, uncompressed: int) -> bytes:
    """What follows a block (its header of ``header`` bytes, then all it holds to its check) to make it a stream of
    its own, with the stream flags ``flags``: an index of that one block, and a footer."""
    unpadded = header + compressed + _CHECKS[flags[1] & 0x0F]
    index = b"\x00\x01" + _vli_bytes(unpadded) + _vli_bytes(uncompressed)
    index += bytes(-len(index) % 4)
    index += _crc32(index)
    backward = (len(index) // 4 - 1).to_bytes(4, "little")
    return index + _crc32(backward + flags) + backward + flags + _FOOTER_MAGIC


def index_end(given: Buffer, blocks: int | None) -> int | str:
    """Where the stream's index that ``given`` starts with ends, with the footer after it (its CRC32 right, the
    footer's magic number where the index says), when it holds ``blocks`` records (None: any number); why it is none,
    where it is not (the file cut short in it, or it is spoilt)."""
    spoilt = "its index is spoilt"
    given.fill(10)
    data = given.data
    count = vli(data, 1)
    if count is None or data[:1] != b"\0" or (blocks is not None and count[0] != blocks):
        return CUT_SHORT if count is None and given.ended and len(data) < 10 else spoilt
    at = 1 + count[1]
    for _ in range(2 * count[0]):
        given.fill(at + 10)
        record = vli(data, at)
        if record is None:
            return CUT_SHORT if given.ended and len(data) < at + 10 else spoilt
        at += record[1]
    at += -at % 4
    end = at + 4 + _HEADER
    if not given.fill(end):
        return CUT_SHORT
    whole = _crc32(data[:at]) == data[at:at + 4] and data[end - 2:end] == _FOOTER_MAGIC
    return end if whole else spoilt


class _Block:
    """A block decoded on its own, as a stream of its own: what of it is still to be fed to its decoder, and its text,
    held until it is checked (up to :data:`HOLD` bytes; past that, given as it comes)."""

    def __init__(self, flags: bytes, at: int, header: int, compressed: int, uncompressed: int) -> None:
        self.at = at  # where it starts in the file
        self.opening = MAGIC + flags + _crc32(flags)  # fed first: the stream's header, ...
        self.left = header + compressed + -compressed % 4 + _CHECKS[flags[1] & 0x0F]  # ... then its bytes, ...
        self.trailer = one_block(flags, header, compressed, uncompressed)  # ... then its index and footer
        self.decoder = lzma.LZMADecompressor(lzma.FORMAT_XZ)
        self.held: list[bytes] = []
        self.held_size = 0
        self.streaming = False  # past HOLD: given as it comes

    def piece(self, given: Buffer) -> bytes | None:
        """What to feed the decoder next (b"": more of what it was fed); None where the file ends inside the block."""
        if not self.decoder.needs_input:
            return b""
        if self.opening:
            piece, self.opening = self.opening, b""
        elif self.left:
            if not given.fill(1):
                return None
            piece = given.take(min(self.left, FEED))
            self.left -= len(piece)
        else:
            piece, self.trailer = self.trailer, b""
        return piece

    def decode(self, piece: bytes, size: int) -> bytes:
        """What may be given of the text ``piece`` makes (all of it, once the block is checked); :class:`lzma.LZMAError`
        where the block is spoilt."""
        made = self.decoder.decompress(piece, size if self.streaming else HOLD + 1)
        if not self.streaming:
            self.held.append(made)
            self.held_size += len(made)
            made = b""
            if self.decoder.eof or self.held_size > HOLD:  # (checked, or too much to hold: on as it comes)
                made = b"".join(self.held)
                self.held.clear()
                self.streaming = True
        return made

    def stuck(self) -> bool:
        """All of it fed, and its decoder wants more: it ends before its sizes say."""
        return not (self.opening or self.left or self.trailer or self.decoder.eof) and self.decoder.needs_input

    def passed_over(self, given: Buffer) -> bool:
        """The rest of its bytes passed over; False where the file ends first."""
        while self.left and given.fill(1):
            count = min(self.left, len(given.data))
            given.drop(count)
            self.left -= count
        return not self.left


class XzBlocks:
    """The text of the xz file ``source`` (named ``name`` in what is said); ``read1`` gives what one piece of it makes,
    up to ``size`` bytes (b"": the file has ended)."""

    def __init__(self, source: Reader, name: str) -> None:
        self.input = Buffer(source)
        self.flags = b""  # the stream's flags (its check's kind), once its header is read
        self.blocks: int | None = 0  # ... its blocks so far (None: not known, past a spoilt header)
        self.whole: lzma.LZMADecompressor | None = None  # a stream decoded as one (its blocks give no sizes), ...
        self.block: _Block | None = None  # ... or the block being decoded on its own
        self.looking = False  # a block header is looked for (past a spoilt one)
        self.text = Handout(name, "xz block")

    def read1(self, size: int, /) -> bytes:
        text = self.text
        while text.spent():
            text.say()
            if text.over:
                return b""
            if self.whole is not None:
                self._whole(self.whole, size)
            elif self.block is not None:
                self._decode(self.block, size)
            elif self.looking:
                self._look()
            elif not self.flags:
                self._stream()
            else:
                self._next()
        return text.take(size)

    def _stream(self) -> None:
        """A stream's header (zeros before it passed over: stream padding), and its first block's, to tell how it is
        read."""
        given = self.input
        if not given.past_zeros():
            self.text.over = True
            return
        if not given.fill(_HEADER + 1):
            self._stopped(CUT_SHORT)
            return
        head = bytes(given.data[:_HEADER])
        if head[:6] != MAGIC or head[6] or head[7] & 0xF0 or _crc32(head[6:8]) != head[8:12]:
            self._stopped("not an xz stream's header" if not self.text.begun else "no xz stream where one must start")
            return
        self.flags = head[6:8]
        self.blocks = 0
        given.fill(_HEADER + 1024)  # (a block header is 1,024 bytes at the most)
        first = block_header(given.data[_HEADER:])  # (None: spoilt, or none; said when it is read as a block)
        if head[7] not in _CHECKS or (first is not None and first[1] is None):
            self.whole = lzma.LZMADecompressor(lzma.FORMAT_XZ)  # (as xz writes it on one thread: read as before)
            return
        given.take(_HEADER)

    def _next(self) -> None:
        """The next block, begun (its header, and all it holds to its check, to be fed as it comes), or the stream's
        index: its end and footer passed over."""
        given = self.input
        if not given.fill(1):
            self._stopped(CUT_SHORT)
            return
        if given.data[0] == 0:
            end = index_end(given, self.blocks)
            if isinstance(end, str):
                self._stopped(end)
                return
            given.take(end)
            self.flags = b""
            return
        given.fill((given.data[0] + 1) * 4)
        found = block_header(given.data)
        if found is None:
            if len(given.data) < (given.data[0] + 1) * 4:
                self._stopped(CUT_SHORT)
                return
            self.text.spoil(given.at, given.at, "its header is spoilt")
            self.blocks = None  # (how many it had is not known now: its index is taken as it says)
            given.take(4)
            self.looking = True
            return
        header, compressed, uncompressed = found
        if compressed is None or uncompressed is None:
            self._stopped("a block whose header gives no sizes, after blocks whose headers do")
            return
        self.blocks = None if self.blocks is None else self.blocks + 1
        self.block = _Block(self.flags, given.at, header, compressed, uncompressed)

    def _look(self) -> None:
        """The next whole block header after a spoilt one (four bytes on at a time: blocks are four-byte aligned),
        or the stream's index; the file's end first is :class:`ScanError`."""
        given = self.input
        while True:
            if not given.fill(1024 + 4) and not given.data:
                self._end(self.text.spoilt.none_after())
                return
            if block_header(given.data) is not None or (not given.data[0] and isinstance(index_end(given, None), int)):
                self.looking = False
                return
            given.take(4)

    def _decode(self, block: _Block, size: int) -> None:
        """More of the block fed to its decoder; its text given, once checked."""
        piece = block.piece(self.input)
        if piece is None:
            self.text.give(b"".join(block.held))  # (what it made before the cut: a prefix of its text, as decoded)
            self._stopped(CUT_SHORT)
            return
        try:
            self.text.give(block.decode(piece, size))
        except lzma.LZMAError as exc:
            self._skip(block, reason(exc))
            return
        if block.decoder.eof:
            self.block = None
        elif block.stuck():
            self._skip(block, "its data ends before its sizes say")

    def _skip(self, block: _Block, why: str) -> None:
        """The block is spoilt: said, its text held dropped, and the rest of it passed over."""
        self.text.spoil(block.at, block.at, why)
        self.block = None
        if not block.passed_over(self.input):
            self._stopped(CUT_SHORT)

    def _whole(self, decoder: lzma.LZMADecompressor, size: int) -> None:
        """More of a stream decoded as one: its text given as it comes; at its end, what follows is the next's."""
        given = self.input
        if decoder.needs_input and not given.fill(1):
            self._stopped(CUT_SHORT)
            return
        try:
            made = decoder.decompress(given.take(FEED) if decoder.needs_input else b"", size)
        except lzma.LZMAError as exc:
            self._stopped(reason(exc))
            return
        self.text.give(made)
        if decoder.eof:
            given.back(decoder.unused_data)
            self.whole, self.flags = None, b""

    def _stopped(self, why: str) -> None:
        self._end(ScanError.stopped(self.text.name, why))

    def _end(self, said: ScanError) -> None:
        self.whole = self.block = None
        self.text.end(said)
