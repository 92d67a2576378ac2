"""gzip's members (RFC 1952) as :mod:`imgur_dl.members` reads them: each one's header read here (section 2.3,
its own CRC-16 checked where it has one), its data inflated, its trailer checked against what the data made
(CRC-32 and length); zeros padding the file between two passed over, as gzip passes them over. A file cut short is
said in the standard library's words."""

from __future__ import annotations

import zlib
from typing import Protocol

from imgur_dl.members import NOT_ONE

_HEADER = b"\x1f\x8b\x08"  # a member's first bytes: gzip's magic number, then deflate's method
_FIXED = 10  # ... and with its flags byte, its time, its extra flags and its system: the header's fixed part
_RESERVED = 0xE0  # the flags byte's reserved bits: any set, it is no member's header
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 0x02, 0x04, 0x08, 0x10  # what else the header holds
_TRAILER = 8  # CRC-32 and length, after the deflated data
CUT_SHORT = "Compressed file ended before the end-of-stream marker was reached"  # (the standard library's words)


class _Inflater(Protocol):
    """zlib's decompressing object, as used here."""

    @property
    def unconsumed_tail(self) -> bytes: ...

    @property
    def unused_data(self) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def header_size(data: bytes) -> int | None:
    """The size of the gzip member's header that ``data`` starts with; None while more of it is needed to tell;
    :data:`imgur_dl.members.NOT_ONE` where it starts none (RFC 1952, section 2.3: its header's own CRC checked where
    it has one)."""
    if data[:len(_HEADER)] != _HEADER[:len(data)] or (len(data) > len(_HEADER) and data[3] & _RESERVED):
        return NOT_ONE
    if len(data) < _FIXED:
        return None
    flags, size = data[3], _FIXED
    if flags & _FEXTRA:
        size += 2 + int.from_bytes(data[size:size + 2], "little") if len(data) >= size + 2 else len(data) + 1
    for flag in (_FNAME, _FCOMMENT):  # (each a string ended by a zero)
        if flags & flag and size <= len(data):
            end = data.find(b"\x00", size)
            size = end + 1 if end != -1 else len(data) + 1
    if flags & _FHCRC:
        size += 2
        if size <= len(data) and zlib.crc32(data[:size - 2]) & 0xFFFF != int.from_bytes(data[size - 2:size], "little"):
            return NOT_ONE
    return size if size <= len(data) else None


class Gzip:
    """gzip's members, as :class:`imgur_dl.members.Members` reads them."""

    unit, unit_short, magic, cut_short, trailer = "gzip member", "member", _HEADER, CUT_SHORT, _TRAILER
    errors: tuple[type[Exception], ...] = (zlib.error,)

    def header(self, data: bytes, /) -> int | None:
        return header_size(data)

    def padding(self, data: bytes, /) -> int | None:
        return len(data) - len(data.lstrip(b"\x00"))

    def decoder(self) -> _Inflated:
        return _Inflated()

    def why(self, exc: Exception, /) -> str:
        return str(exc).partition("while decompressing data: ")[2] or str(exc)  # (its words alone, not its number)


class _Inflated:
    """A member's deflated data, inflated; what it made, summed as its trailer sums it."""

    def __init__(self) -> None:
        self.inflater: _Inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.crc = 0
        self.length = 0

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:
        inflater = self.inflater
        made = inflater.decompress(data, size)
        self.crc, self.length = zlib.crc32(made, self.crc), self.length + len(made)
        rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        return made, len(data) - len(rest), inflater.eof

    def wrong(self, trailer: bytes, /) -> str | None:
        if int.from_bytes(trailer[:4], "little") != self.crc:
            return "incorrect data check"  # (zlib's words for it)
        if int.from_bytes(trailer[4:], "little") != self.length % 2**32:
            return "incorrect length check"
        return None
