"""Where a zstd stream stands, followed frame by frame as its compressed bytes go by, without decoding them.

zstd's own reader ends in silence where a stream is cut short inside a frame
(a dump whose download was interrupted): :mod:`imgur_dl.compressed` feeds
this the bytes it reads and, at the end, asks whether they end where a frame
does.
"""

from __future__ import annotations

from collections.abc import Callable


class ZstdFrames:
    """Where a zstd stream stands, fed its compressed bytes in order: between frames (:attr:`whole`) or inside
    one. Frame and block headers are read, block contents passed over (RFC 8878, sections 3.1.1 and 3.1.2)."""

    def __init__(self) -> None:
        self.frames = 0  # frames begun
        self._held = b""  # the header being read
        self._need = 4  # its length: a frame's magic number first
        self._skip = 0  # bytes to pass over before the next header
        self._then: Callable[[bytes], None] = self._magic  # what reads the header once it is whole
        self._checksum = 0  # the bytes of the frame's checksum, after its last block
        self._lost = False  # not a zstd stream past here: the decoder says what it makes of it

    @property
    def whole(self) -> bool:
        """The bytes so far end where a frame ends (or are none of zstd's to judge)."""
        return self._lost or (self._then == self._magic and not self._held and not self._skip)

    def feed(self, data: bytes) -> None:
        at, end = 0, len(data)
        while at < end and not self._lost:
            if self._skip:
                step = min(self._skip, end - at)
                self._skip -= step
                at += step
                continue
            take = min(self._need - len(self._held), end - at)
            self._held += data[at:at + take]
            at += take
            if len(self._held) == self._need:
                header, self._held = self._held, b""
                self._then(header)

    def _expect(self, size: int, then: Callable[[bytes], None]) -> None:
        self._need, self._then = size, then

    def _magic(self, header: bytes) -> None:
        magic = int.from_bytes(header, "little")
        if magic == 0xFD2FB528:
            self.frames += 1
            self._expect(1, self._descriptor)
        elif magic & 0xFFFFFFF0 == 0x184D2A50:  # a skippable frame: its length, then that many bytes
            self._expect(4, self._skippable)
        else:
            self._lost = True

    def _skippable(self, header: bytes) -> None:
        self._skip = int.from_bytes(header, "little")
        self._expect(4, self._magic)

    def _descriptor(self, header: bytes) -> None:
        flags = header[0]
        single = bool(flags & 0x20)
        content = (1 if single else 0, 2, 4, 8)[flags >> 6]
        self._checksum = 4 if flags & 0x04 else 0
        # (never 0: a single segment has a content size, any other a window descriptor)
        self._expect((0 if single else 1) + (0, 1, 2, 4)[flags & 0x03] + content, self._blocks)

    def _blocks(self, _header: bytes) -> None:
        self._expect(3, self._block)

    def _block(self, header: bytes) -> None:
        value = int.from_bytes(header, "little")
        last, kind, size = value & 1, (value >> 1) & 3, value >> 3
        if kind == 3:  # reserved: no stream has it
            self._lost = True
            return
        self._skip = 1 if kind == 1 else size  # (an RLE block holds its one byte)
        if last:
            self._skip += self._checksum
            self._expect(4, self._magic)
        else:
            self._expect(3, self._block)
