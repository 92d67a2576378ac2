"""What ``--scan``'s readers of input are (:mod:`imgur_dl.compressed`, :mod:`imgur_dl.warc`, :mod:`imgur_dl.pdf`),
what bounds one that decompresses, a reader of what a generator gives, and what a file read whole gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Bound(Protocol):
    """What bounds the expansion of the file being read (as :mod:`imgur_dl.compressed` bounds any input's): what
    decompressing gives, against what it took (a decompression bomb is stopped)."""

    def check(self) -> None: ...

    def add(self, data: bytes, taken: int) -> bytes: ...


class Whole(NamedTuple):
    """A file read whole as what it is (:mod:`imgur_dl.bplist`, :mod:`imgur_dl.snss`): its text to scan, and why it
    could not be read so (``unread``: then ``text`` is empty, and the file is read as bytes)."""

    text: bytes
    unread: str | None = None


class Pieces:
    """A reader of ``pieces`` (bytes, as a generator gives them): each read gives what is left of the piece in hand,
    or the next one (an empty one is no end), up to ``size``; an error the generator raises comes after what it
    gave before it."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._rest = b""

    def read(self, size: int, /) -> bytes:
        piece = self._rest
        while not piece:
            more = next(self._pieces, None)
            if more is None:
                return b""
            piece = more
        data, self._rest = piece[:size], piece[size:]
        return data
