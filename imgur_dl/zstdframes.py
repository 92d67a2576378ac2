"""zstd's frames (RFC 8878) as :mod:`imgur_dl.members` reads them, each decoded on its own: a file of many (a
``.warc.zst``, a frame a record; pzstd's) with one spoilt loses that frame alone, and one cut short is said to be
(zstd's own reader ends there in silence). A frame's header is left to its decoder, once its magic number and its
descriptor's reserved bit (section 3.1.1.1.1) say it may be one; skippable frames between two (pzstd's, section
3.1.2) are passed over.

zstd's decoder gives all a piece of input makes: it is fed :data:`FEED` bytes at a time, so that one piece makes
no more than a few dozen MiB (a block of 3 bytes may make 128 KiB), and what the whole file makes is bounded as any
compressed input's is.
"""

from __future__ import annotations

from imgur_dl.members import NOT_ONE
from imgur_dl.zstdlib import FEED, MAGIC, Decoder, Frame, skippable

_RESERVED = 0x08  # its descriptor's reserved bit: set, it is no frame
WINDOW_MOST = 2**31  # the largest window accepted (Reddit dumps are made with --long=31)
CUT_SHORT = "the zstd stream ends inside a frame: the file is cut short"


class Zstd:
    """zstd's frames, as :class:`imgur_dl.members.Members` reads them, each decoded by ``decoder`` (with its
    dictionary and window bound)."""

    unit, unit_short, magic, cut_short, trailer = "zstd frame", "frame", MAGIC, CUT_SHORT, 0

    def __init__(self, decoder: Decoder) -> None:
        self.frames = decoder
        self.errors: tuple[type[Exception], ...] = (decoder.error,)

    def header(self, data: bytes, /) -> int | None:
        if data[:len(MAGIC)] != MAGIC[:len(data)]:
            return NOT_ONE
        if len(data) <= len(MAGIC):
            return None
        return NOT_ONE if data[len(MAGIC)] & _RESERVED else 0

    def padding(self, data: bytes, /) -> int | None:
        if not skippable(data):
            return 0  # (a frame, or none: its header tells)
        return 8 + int.from_bytes(data[4:8], "little") if len(data) >= 8 else None

    def decoder(self) -> _Unzstd:
        return _Unzstd(self.frames.frame())

    def why(self, exc: Exception, /) -> str:
        return self.frames.why(exc)


class _Unzstd:
    """A frame, decoded."""

    def __init__(self, decompressing: Frame) -> None:
        self.decompressing = decompressing

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:  # (size: zstd gives all a piece makes)
        piece = data[:FEED]
        made = self.decompressing.decompress(piece)
        if self.decompressing.eof:
            return made, len(piece) - len(self.decompressing.unused_data), True
        return made, len(piece), False

    def wrong(self, trailer: bytes, /) -> str | None:  # (its checksum is its decoder's to check)
        return None
