"""lz4's frames (its "Frame Format Description": what the ``lz4`` command writes, and pg_dump's ``--compress=lz4``),
as :mod:`imgur_dl.members` reads them, each decoded on its own: a file of several (``cat a.lz4 b.lz4``) with one
spoilt loses that frame alone, and one cut short is said to be.

A frame is its magic number, a descriptor (its flags: a version of 01, whether its blocks stand alone or each may
copy from the 64 KiB made before it, whether each block and the whole are followed by a checksum, whether its size
and a dictionary's id follow; then the most a block makes: 64 KiB to 4 MiB; then a byte of checksum), then its
blocks, each its size (four bytes, little-endian; its highest bit set: stored as it is) and its data, a block of
size 0 its end. A block is decoded by :mod:`imgur_dl.lz4block`. Checksums are not checked (the format lets a
decoder leave them: xxHash is no module of the standard library); a block that does not decode, or makes more than
a block may, spoils its frame. A frame that needs a dictionary (one whose id it gives) is read as far as its
matches need none. Skippable frames between two (any data, behind a magic number of their own) are passed over.
"""

from __future__ import annotations

from imgur_dl import lz4block
from imgur_dl.members import NOT_ONE

MAGIC = b"\x04\x22\x4d\x18"  # a frame's magic number
SKIPPABLE = b"\x2a\x4d\x18"  # ... a skippable frame's, after its first byte (0x50 to 0x5F)
CUT_SHORT = "the lz4 stream ends inside a frame: the file is cut short"
_VERSION, _RESERVED = 0x40, 0x02  # the descriptor's flags: its version (bits 7 and 6: 01), a bit that must be 0
_INDEPENDENT, _BLOCK_CHECKSUM, _SIZE, _CHECKSUM, _DICTIONARY = 0x20, 0x10, 0x08, 0x04, 0x01
_MOST = {4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024}  # the most a block makes, by its id
_STORED = 0x80000000  # a block's size's highest bit: its data is stored as it is
_WINDOW = 64 * 1024  # what a linked block may copy from


class Spoilt(Exception):
    """A frame whose descriptor or block is not what the format says."""


class Lz4:
    """lz4's frames, as :class:`imgur_dl.members.Members` reads them."""

    unit, unit_short, magic, cut_short, trailer = "lz4 frame", "frame", MAGIC, CUT_SHORT, 0
    errors: tuple[type[Exception], ...] = (Spoilt,)

    def header(self, data: bytes, /) -> int | None:
        if data[:len(MAGIC)] != MAGIC[:len(data)]:
            return NOT_ONE
        if len(data) < len(MAGIC) + 2:
            return None
        return 0 if _descriptor(data[len(MAGIC)], data[len(MAGIC) + 1]) is not None else NOT_ONE  # (the decoder's)

    def padding(self, data: bytes, /) -> int | None:
        if not data or data[0] & 0xF0 != 0x50 or data[1:4] != SKIPPABLE[:len(data) - 1]:
            return 0  # (a frame, or none: its header tells)
        return 8 + int.from_bytes(data[4:8], "little") if len(data) >= 8 else None

    def decoder(self) -> Frame:
        return Frame()

    def why(self, exc: Exception, /) -> str:
        return str(exc)


def _descriptor(flags: int, block: int) -> int | None:
    """The most a block of a frame whose descriptor's first bytes are ``flags`` and ``block`` makes; None where they
    are no descriptor's."""
    if flags & 0xC0 != _VERSION or flags & _RESERVED or block & 0x8F:
        return None
    return _MOST.get(block >> 4)


class Frame:
    """One frame, decoded as its bytes are fed: each feed takes what the next part of it needs (its descriptor, a
    block's size, a block, a checksum) and gives what a whole block makes, holding a part cut by the feed's end until
    the next gives the rest."""

    def __init__(self) -> None:
        self.held = b""  # the part being read, as far as it has come
        self.wanted = len(MAGIC) + 3  # ... its length (at first the descriptor's least)
        self.part = "descriptor"
        self.flags = 0
        self.most = 0  # the most a block makes
        self.block = 0  # the size of the block whose data is the part being read
        self.window = b""  # what the last blocks made, the last 64 KiB of it, in a frame whose blocks are linked

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:  # (size: a block is made whole)
        used = min(len(data), self.wanted - len(self.held))
        self.held += data[:used]
        if len(self.held) < self.wanted:
            return b"", used, False
        part, self.held = self.held, b""
        if self.part == "descriptor":
            return b"", used, self._descriptor(part)
        if self.part == "size":
            return b"", used, self._size(part)
        if self.part == "block":
            made = self._block(part)
            self._next("size", 4)
            return made, used, False
        return b"", used, True  # (the frame's checksum: its end)

    def wrong(self, trailer: bytes, /) -> str | None:  # (its checksums are not checked)
        return None

    def _descriptor(self, part: bytes) -> bool:
        most = _descriptor(part[len(MAGIC)], part[len(MAGIC) + 1])
        if part[:len(MAGIC)] != MAGIC or most is None:
            raise Spoilt("not an lz4 frame's descriptor")
        self.flags, self.most = part[len(MAGIC)], most
        length = len(MAGIC) + 3 + 8 * bool(self.flags & _SIZE) + 4 * bool(self.flags & _DICTIONARY)
        if len(part) < length:  # (its content's size, a dictionary's id: more of it to come)
            self.held, self.wanted = part, length
            return False
        self._next("size", 4)
        return False

    def _size(self, part: bytes) -> bool:
        size = int.from_bytes(part, "little")
        if size == 0:  # (its end: then its checksum, if it has one)
            if not self.flags & _CHECKSUM:
                return True
            self._next("checksum", 4)
            return False
        self.block = size
        if size & ~_STORED > self.most:
            raise Spoilt(f"a block of {size & ~_STORED:,} bytes, in a frame whose blocks are {self.most:,} at most")
        self._next("block", (size & ~_STORED) + 4 * bool(self.flags & _BLOCK_CHECKSUM))
        return False

    def _block(self, part: bytes) -> bytes:
        data = part[:self.block & ~_STORED]
        if self.block & _STORED:
            made = data
        else:
            decoded = lz4block.decoded(data, self.most, history=self.window, exact=False)  # (none: blocks alone)
            if decoded.stopped is not None:
                raise Spoilt(decoded.stopped)
            made = decoded.data
        if not self.flags & _INDEPENDENT:
            self.window = (self.window + made)[-_WINDOW:]
        return made

    def _next(self, part: str, wanted: int) -> None:
        self.part, self.wanted = part, wanted
