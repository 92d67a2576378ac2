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


class Unusable(Exception):
    """A dictionary given is none (in the library's words)."""


@dataclass(frozen=True)
class Decoder:
    """zstd's frames decoded, with a window bound and a dictionary, where one was given."""

    frame: Callable[[], Frame]  # a new frame's decoder
    error: type[Exception]  # what it raises where its bytes are not a frame's, or ask for more memory than allowed

    def why(self, exc: Exception) -> str:
        """``exc``, raised by this decoder, in libzstd's words."""
        return _PREFIX.sub("", str(exc))

    def stream(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """What the frames in ``pieces`` make, one frame after another (skippable ones make nothing), as they are
        fed; a frame cut short makes what it made, as libzstd's own reader has it. Raises :attr:`error`."""
        frame = self.frame()
        for piece in pieces:
            held, at = b"", 0  # (what the last frame was given past its end, fed first)
            while held or at < len(piece):
                fed = held + piece[at:at + FEED - len(held)]
                at += len(fed) - len(held)
                made = frame.decompress(fed)
                held = b""
                if frame.eof:  # (the next frame begins with what this one left)
                    held, frame = frame.unused_data, self.frame()
                if made:
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
