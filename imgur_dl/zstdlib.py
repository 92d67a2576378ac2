"""zstd, decoded by the library this Python has: the standard library's ``compression.zstd`` (Python 3.14 and later,
where it was built with libzstd, as python.org's and the distributions' are), else the zstandard package (the extra
``imgur-dl[zstd]``). Both are libzstd, and are used alike: a frame at a time, each by an object of its own, which
gives all a piece of input makes (so it is fed :data:`FEED` bytes at a time); what a frame may ask of memory (its
window) bounded as its reader says.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

FEED = 2048  # compressed bytes given a frame's decoder at a time (a block of 3 bytes may make 128 KiB)
MAGIC = b"\x28\xb5\x2f\xfd"  # a frame's magic number
SKIPPABLE = b"\x50\x2a\x4d\x18"  # a skippable frame's magic number (its first byte's low four bits are any)
_UNKNOWN = "Unknown frame descriptor"  # (libzstd's words for bytes that are no frame)
WINDOW_DEFAULT = 2**27  # the window libzstd allows a frame where none is set (ZSTD_WINDOWLOG_LIMIT_DEFAULT)
# What each library puts before libzstd's own words, which alone are said.
_PREFIX = re.compile(r"^(?:zstd decompressor error: |Unable to decompress Zstandard data: )")


class Frame(Protocol):
    """One frame's decoder: past the frame's end, ``eof``, and what it was given past it in ``unused_data``."""

    @property
    def unused_data(self) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, /) -> bytes: ...


def skippable(data: bytes) -> bool:
    """Whether ``data`` begins as a skippable frame does (its magic number, as far as ``data`` holds of it)."""
    return bool(data) and data[0] & 0xF0 == SKIPPABLE[0] and data[1:4] == SKIPPABLE[1:len(data)]


class _Framed:
    """A frame's decoder that reads a frame of today's format, or a skippable one, and no other: the formats zstd
    wrote before 1.0 (v0.5 to v0.7) are read by a libzstd built to read them, as a distribution's may be (Python
    3.14's module uses the system's), and not by the zstandard package's, so neither reads them. Its magic number is
    told first."""

    def __init__(self, frame: Frame, error: type[Exception]) -> None:
        self.frame = frame
        self.error = error
        self.head: bytes | None = b""  # (its first bytes, until its magic number is told; then None)

    @property
    def unused_data(self) -> bytes:
        return self.frame.unused_data

    @property
    def eof(self) -> bool:
        return self.frame.eof

    def decompress(self, data: bytes, /) -> bytes:
        if self.head is not None:
            self.head += data
            if len(self.head) < len(MAGIC):
                return b""
            if not self.head.startswith(MAGIC) and not skippable(self.head):
                raise self.error(_UNKNOWN)
            data, self.head = self.head, None
        return self.frame.decompress(data)


class Undecodable(Exception):
    """zstd's bytes do not decode (in libzstd's words)."""


class Decoding:
    """zstd's frames read as zlib's, bz2's and lzma's decoders are read (``needs_input``, ``eof``, ``unused_data``,
    and no more made at a time than asked for), fed :data:`FEED` bytes at a time: one frame after another (a 7z
    folder's), or, ``one``, the first frame alone (a ZIP file's), what it was given past that frame's end kept in
    ``unused_data``. Raises :class:`Undecodable`."""

    def __init__(self, decoder: Decoder, *, one: bool = False) -> None:
        self.feed = Feed(decoder)
        self.one = one
        self.made = b""  # (made, not asked for yet)

    @property
    def ended(self) -> bool:
        """Whether the one frame to read has ended (never, reading one frame after another)."""
        return self.one and self.feed.ended > 0

    @property
    def needs_input(self) -> bool:
        return not self.made and self.feed.fed

    @property
    def eof(self) -> bool:
        return self.ended and not self.made

    @property
    def unused_data(self) -> bytes:
        return self.feed.left + self.feed.given[self.feed.at:] if self.ended else b""

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        self.feed.give(data)
        while not self.made and not self.feed.fed and not self.ended:
            try:
                self.made = self.feed.next()
            except self.feed.decoder.error as exc:
                raise Undecodable(self.feed.decoder.why(exc)) from None
        size = len(self.made) if max_length < 0 else max_length
        out, self.made = self.made[:size], self.made[size:]
        return out


class Unusable(Exception):
    """A dictionary given is none (in the library's words)."""


@dataclass(frozen=True)
class Decoder:
    """zstd's frames decoded, with a window bound and a dictionary, where one was given."""

    new: Callable[[], Frame]  # a new frame's decoder, of the library's
    error: type[Exception]  # what it raises where its bytes are not a frame's, or ask for more memory than allowed

    def frame(self) -> Frame:
        """A new frame's decoder."""
        return _Framed(self.new(), self.error)

    def why(self, exc: Exception) -> str:
        """``exc``, raised by this decoder, in libzstd's words."""
        return _PREFIX.sub("", str(exc))

    def stream(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """What the frames in ``pieces`` make, one frame after another (skippable ones make nothing), as they are
        fed; a frame cut short makes what it made, as libzstd's own reader has it. Raises :attr:`error`."""
        feed = Feed(self)
        for piece in pieces:
            feed.give(piece)
            while not feed.fed:
                if made := feed.next():
                    yield made

    def decompressed(self, data: bytes, most: int) -> bytes:
        """What the frames ``data`` holds make, ``most`` bytes of it at the most: a frame that says it makes more is
        not taken at its word, it is read a piece at a time. Raises :attr:`error`."""
        made, held = [], 0
        for piece in self.stream((data,)):
            made.append(piece)
            held += len(piece)
            if held > most:
                break
        return b"".join(made)[:most]


class Feed:
    """Frames decoded as their bytes come: given a frame's decoder :data:`FEED` bytes at a time, and the next frame
    begun with what one leaves past its end."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.frame = decoder.frame()
        self.given, self.at = b"", 0  # (given, and how far it is fed)
        self.left = b""  # what the last frame was given past its end, fed first (FEED bytes at the most)
        self.ended = 0  # the frames that have ended

    @property
    def fed(self) -> bool:
        """Whether all that was given is fed."""
        return not self.left and self.at >= len(self.given)

    def give(self, data: bytes) -> None:
        self.given, self.at = self.given[self.at:] + data, 0

    def next(self) -> bytes:
        """What the next :data:`FEED` bytes given make; raises the decoder's error."""
        fed = self.left + self.given[self.at:self.at + FEED - len(self.left)]
        self.at += len(fed) - len(self.left)
        made = self.frame.decompress(fed)
        self.left = b""
        if self.frame.eof:
            self.left, self.frame = self.frame.unused_data, self.decoder.frame()
            self.ended += 1
        return made


def decoder(*, window: int = WINDOW_DEFAULT, dictionary: bytes | None = None) -> Decoder | None:
    """zstd's decoder, which refuses a frame whose window is over ``window`` bytes, with ``dictionary`` (as ``zstd
    --train`` writes one: its magic number first); None where this Python has no library that reads zstd. Raises
    :class:`Unusable` where ``dictionary`` is none."""
    standard = _module("compression.zstd")
    if standard is not None:
        return _standard(standard, window, dictionary)
    zstandard = _module("zstandard")
    return None if zstandard is None else _zstandard(zstandard, window, dictionary)


def unzstd(data: bytes, most: int) -> bytes | None:
    """What the zstd frames ``data`` make, ``most`` bytes at the most (:meth:`Decoder.decompressed`, with the window
    libzstd allows by default); None where they do not decompress, or this Python has nothing that reads them."""
    made = decoder()
    if made is None:
        return None
    try:
        return made.decompressed(data, most)
    except (made.error, MemoryError):
        return None


def standard_error() -> tuple[type[Exception], ...]:
    """What the standard library's zstd raises for a frame it cannot decode (zipfile's reading of a ZIP's Zstandard
    file, from Python 3.14), where this Python has it."""
    standard = _module("compression.zstd")
    return () if standard is None else (standard.ZstdError,)


def present() -> bool:
    """Whether this Python has a library that reads zstd (without it, what is so compressed is said not read)."""
    return _module("compression.zstd") is not None or _module("zstandard") is not None


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:  # (compression.zstd: Python 3.14's, built with libzstd; zstandard: the extra)
        return None


def _standard(module: Any, window: int, dictionary: bytes | None) -> Decoder:
    options = {module.DecompressionParameter.window_log_max: (window - 1).bit_length()}
    try:
        zstd_dict = None if dictionary is None else module.ZstdDict(dictionary)
    except (ValueError, module.ZstdError) as exc:
        raise Unusable(str(exc)) from None
    return Decoder(lambda: module.ZstdDecompressor(zstd_dict, options), module.ZstdError)


def _zstandard(module: Any, window: int, dictionary: bytes | None) -> Decoder:
    try:
        # (no dict_data at all without one: zstandard before 0.16 takes no None for it)
        decompressor = module.ZstdDecompressor(max_window_size=window) if dictionary is None else \
            module.ZstdDecompressor(max_window_size=window, dict_data=module.ZstdCompressionDict(
                dictionary, dict_type=module.DICT_TYPE_FULLDICT))
    except module.ZstdError as exc:
        raise Unusable(str(exc)) from None
    return Decoder(decompressor.decompressobj, module.ZstdError)
