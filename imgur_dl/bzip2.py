"""A bzip2 file's blocks one after another, as ``--scan`` reads it: a spoilt block is said and passed over, and
reading goes on from the next.

bzip2 compresses its input in blocks of at most 900 kB, each on its own (its own tables, a CRC of its own text),
each opening with the 48 bits 0x314159265359 (pi's digits); a stream ends with 0x177245385090 (its square root's)
and a CRC of its blocks' CRCs, and a file may hold several streams one after another (pbzip2 writes a stream a
block; Wikipedia's dumps are "multistream"). Blocks are not aligned to bytes: one ends wherever its last code does
and the next begins at the next bit. bzip2's own tool for a damaged file, ``bzip2recover``, finds them by their magic
numbers, at any bit. Python's reader reads a file as one stream: a bit spoilt anywhere (a flip on a disk, a sector
lost) stopped it there, and a dump's blocks after it, often nearly all of them, were lost.

Here each block is found by its magic number and decoded on its own, made a stream of one block (a header; the
block; the stream's end and its CRC, which for one block is the block's own): a spoilt block is said
(:class:`FileStopped`) and costs its own text alone, and the text after it begins on a line of its own (a link is
not run on across the gap). A block's text is handed on once its CRC is checked (a spoilt block decodes to its own
text shuffled, where a link may name another album), up to :data:`HOLD` bytes; one that makes more (long runs of a
byte) is handed on as it comes. The stream's CRC, of its blocks' CRCs, is not checked: each block's is.

A file that ends inside a block, or before a stream's end and its CRC, is cut short: the text of the blocks that
arrived whole is given, then :class:`ScanError`. A magic number of 48 bits turns up in compressed data by chance
about once in 2**48 bits (32 TiB): the block it would split fails its check and is said to be spoilt.
"""

from __future__ import annotations

import bz2

from imgur_dl.errors import reason
from imgur_dl.members import Handout
from imgur_dl.reader import Buffer, Reader

BLOCK_MAGIC = 0x314159265359  # a block's first 48 bits
END_MAGIC = 0x177245385090  # a stream's end, before its CRC
_MAGIC = 48  # bits of either
_CRC = 32  # bits of a block's CRC (after its magic number), and of a stream's (after its end)
_STREAM = b"BZh9"  # the header of a stream made of one block: the largest block size, which any block fits in
_HEADER = len(_STREAM) * 8  # bits of a stream's header
MOST_BLOCK = 4 * 1024 * 1024  # compressed bytes of one block at the most (bzip2's: 900 kB in codes of 20 bits at most)
HOLD = 4 * 1024 * 1024  # text of a block held back until its CRC is checked; a block that makes more: as it comes
CUT_SHORT = "the bzip2 stream ends before its end-of-stream marker: the file is cut short"
# Each magic number's 40 bits that fill five whole bytes wherever it starts (at a byte's bit ``shift``): what is
# looked for, with the shift and the magic number.
_LOOKED_FOR = [(((magic >> shift) & ((1 << 40) - 1)).to_bytes(5, "big"), shift, magic)
               for magic in (BLOCK_MAGIC, END_MAGIC) for shift in range(8)]


def bits(data: bytes | bytearray, at: int, count: int) -> int:
    """The ``count`` bits of ``data`` from its bit ``at`` (bit 0: its first byte's highest), as a number."""
    first, last = at // 8, (at + count + 7) // 8
    return int.from_bytes(data[first:last], "big") >> (last * 8 - at - count) & ((1 << count) - 1)


def marker(data: bytes | bytearray, start: int) -> tuple[int, int] | None:
    """The first magic number (a block's, or a stream's end) whole in ``data`` at its bit ``start`` or after: its
    bit, and which it is; None where there is none."""
    found: tuple[int, int] | None = None
    for pattern, shift, magic in _LOOKED_FOR:
        at = data.find(pattern, max(1, (start - shift + 7) // 8 + 1))  # (its five bytes follow the one it starts in)
        while at != -1:
            bit = 8 * (at - 1) + shift
            if (found is not None and bit >= found[0]) or bit + _MAGIC > 8 * len(data):
                break
            if bits(data, bit, _MAGIC) == magic:
                found = (bit, magic)
                break
            at = data.find(pattern, at + 1)
    return found


def one_block(data: bytes | bytearray, start: int, end: int) -> bytes:
    """The block of ``data`` from its bit ``start`` (its magic number) to its bit ``end``, made a stream of its own:
    a header, the block, the stream's end, and the stream's CRC (of one block, the block's own, after its magic)."""
    width = end - start
    block = bits(data, start, width)
    crc = block >> (width - _MAGIC - _CRC) & ((1 << _CRC) - 1)
    stream = (block << _MAGIC | END_MAGIC) << _CRC | crc
    size = width + _MAGIC + _CRC
    padding = -size % 8
    return _STREAM + (stream << padding).to_bytes((size + padding) // 8, "big")


def block_text(data: bytes | bytearray, start: int, end: int) -> tuple[bytes, bz2.BZ2Decompressor | None] | str:
    """The text of the block of ``data`` from its bit ``start`` to its bit ``end``, checked (up to :data:`HOLD`
    bytes; past that, with the decoder that gives the rest as it comes); why it is spoilt, where it is."""
    if end - start <= _MAGIC + _CRC:
        return "shorter than a block's header"
    decoder = bz2.BZ2Decompressor()
    try:
        text = decoder.decompress(one_block(data, start, end), HOLD + 1)
    except OSError as exc:
        return reason(exc)
    if decoder.eof:
        return text, None
    if len(text) > HOLD:
        return text, decoder
    return "its data runs on past where it ends"


def _ends(data: bytes | bytearray, start: int) -> list[int]:
    """Where a block from ``data``'s bit ``start`` may end, in a file cut short after it: where the bits that follow,
    to the file's end, are how a magic number begins (the next block's, or the stream's end), most of them first."""
    size = 8 * len(data)
    return [size - count for count in range(min(_MAGIC - 1, size - start), -1, -1)
            if any(bits(data, size - count, count) == magic >> (_MAGIC - count) for magic in (BLOCK_MAGIC, END_MAGIC))]


class Blocks:
    """The text of the bzip2 file ``source`` (named ``name`` in what is said), a block after another; ``read1`` gives
    what one piece of it makes, up to ``size`` bytes (b"": the file has ended)."""

    def __init__(self, source: Reader, name: str) -> None:
        self.input = Buffer(source)  # the compressed bytes in hand
        self.heading = True  # a stream's header is next, at ``data``'s start
        self.start: int | None = None  # the bit of ``data`` where the block whose end is looked for starts
        self.searched = 0  # the bit of ``data`` from which the next magic number is looked for
        self.decoder: bz2.BZ2Decompressor | None = None  # a block handed on as it comes (its text past HOLD), ...
        self.decoding = 0  # ... from this byte of the file
        self.text = Handout(name, "bzip2 block")

    def read1(self, size: int, /) -> bytes:
        text = self.text
        while text.spent():
            if self.decoder is not None:  # (a block's text, before what is said after it)
                self._decode_on(self.decoder, size)
                continue
            text.say()
            if text.over:
                return b""
            if self.heading:
                self._header()
            else:
                self._onward()
        return text.take(size)

    def _drop(self, bit: int) -> None:
        """The bytes before the one holding ``data``'s bit ``bit`` let go."""
        count = bit // 8
        self.input.drop(count)
        self.searched -= 8 * count
        if self.start is not None:
            self.start -= 8 * count

    def _header(self) -> None:
        """A stream's header, and its first block (or its end: a stream of none); zeros before it passed over."""
        if not self.input.past_zeros():
            self.text.over = True  # (the file's end, after zeros at the most)
            return
        self.input.fill(len(_STREAM) + (_MAGIC + _CRC) // 8)
        data = self.input.data
        self.start = None
        magic = bits(data, _HEADER, _MAGIC) if len(data) >= (_HEADER + _MAGIC) // 8 else None
        if data[:3] != b"BZh"[:len(data)] or (len(data) > 3 and not 0x31 <= data[3] <= 0x39) or \
                magic not in (BLOCK_MAGIC, END_MAGIC, None):
            self.text.spoil(self.input.at, self.input.at + 1, "not a bzip2 stream's header")
            self.heading, self.searched = False, 8
        elif magic is None:
            self.text.stop(CUT_SHORT)
        elif magic == BLOCK_MAGIC:
            self.heading, self.start, self.searched = False, _HEADER, _HEADER + _MAGIC
        else:
            self._stream_end(_HEADER)

    def _onward(self) -> None:
        """The next magic number looked for: the block before it decoded; the next block begun, or its stream ended."""
        found = marker(self.input.data, self.searched)
        if found is None:
            self.searched = max(self.searched, 8 * len(self.input.data) - _MAGIC + 1)
            if self.start is not None and 8 * len(self.input.data) - self.start > 8 * MOST_BLOCK:
                self.text.spoil(self.input.at + self.start // 8, self.input.at + len(self.input.data),
                                f"no block's end within {MOST_BLOCK:,} bytes")
                self.start = None
            if self.start is None:  # (past a spoilt block: what was looked through is let go)
                self._drop(max(0, self.searched - 8))
            if not self.input.more():
                self._ended_inside()
            return
        bit, magic = found
        if self.start is not None:
            self._decode(self.start, bit)
        if magic == BLOCK_MAGIC:
            self._drop(bit)
            self.start = bit % 8
            self.searched = self.start + _MAGIC
        else:
            self._stream_end(bit)

    def _stream_end(self, bit: int) -> None:
        """A stream ends at ``data``'s bit ``bit``: past its end and CRC, to the next byte, a stream's header next."""
        after = bit + _MAGIC + _CRC
        while 8 * len(self.input.data) < after and self.input.more():
            pass
        if 8 * len(self.input.data) < after:
            self.text.stop(CUT_SHORT)
            return
        self.start = None
        self._drop(after + 7)
        self.searched = 0
        self.heading = True

    def _ended_inside(self) -> None:
        """The file ends where no magic number follows: inside a block (cut short; the block whole perhaps, the next
        magic number begun after it), or after a spoilt one with none after it."""
        if self.start is None:
            self.text.end(self.text.spoilt.none_after())
            return
        for end in _ends(self.input.data, self.start):  # (the text of a block that arrived whole, cut right after it)
            decoded = block_text(self.input.data, self.start, end)
            if not isinstance(decoded, str):
                self._hand_on(decoded, self.start)
                break
        self.text.stop(CUT_SHORT)

    def _decode(self, start: int, end: int) -> None:
        """The block from ``data``'s bit ``start`` to its bit ``end``: its text handed on, or it is said spoilt."""
        decoded = block_text(self.input.data, start, end)
        if isinstance(decoded, str):
            self.text.spoil(self.input.at + start // 8, self.input.at + end // 8, decoded)
        else:
            self._hand_on(decoded, start)

    def _hand_on(self, decoded: tuple[bytes, bz2.BZ2Decompressor | None], start: int) -> None:
        """A checked block's text (from ``data``'s bit ``start``) handed on; past HOLD, its decoder kept for more."""
        self.text.give(decoded[0])
        self.decoder, self.decoding = decoded[1], self.input.at + start // 8

    def _decode_on(self, decoder: bz2.BZ2Decompressor, size: int) -> None:
        """More of a block that makes more than :data:`HOLD` bytes, as it comes."""
        try:
            text = decoder.decompress(b"", size)
        except OSError as exc:
            self.decoder = None
            self.text.spoil(self.decoding, self.decoding, reason(exc))
            return
        if decoder.eof or not text:
            self.decoder = None
            if not decoder.eof:
                self.text.spoil(self.decoding, self.decoding, "its data runs on past where it ends")
        self.text.give(text)
