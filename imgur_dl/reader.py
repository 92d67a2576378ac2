"""What ``--scan``'s readers of input are (:mod:`imgur_dl.compressed`, :mod:`imgur_dl.warc`, :mod:`imgur_dl.pdf`),
and what bounds one that decompresses."""

from __future__ import annotations

from typing import Protocol


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Bound(Protocol):
    """What bounds the expansion of the file being read (as :mod:`imgur_dl.compressed` bounds any input's): what
    decompressing gives, against what it took (a decompression bomb is stopped)."""

    def check(self) -> None: ...

    def add(self, data: bytes, taken: int) -> bytes: ...
