"""A PDF file as text to scan: its bytes as they are, and what each of its object streams holds, decompressed.

A link in a PDF is a link annotation's action, ``/URI (https://imgur.com/a/...)``:
written plainly in a PDF 1.4 file (Chrome's "Save as PDF", macOS's), but in a
PDF 1.5 or later one (pdfTeX's as TeX Live sets it up, any PDF optimized for size) kept with
most other objects in object streams, compressed (ISO 32000-1, 7.5.7:
``<</Type /ObjStm ... /Filter /FlateDecode>> stream``). Each such stream is
decompressed and read in the compressed bytes' place. No other stream is: a
page's text is drawn a piece at a time, ``[(imgur.com/a/AbC12)-15(34)]TJ``,
where a link read as written names another album; images and fonts hold none.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Generator, Iterator

from imgur_dl.reader import Bound, Pieces, Reader

MAGIC = b"%PDF-"
CHUNK = 1024 * 1024  # bytes of the file read at a time
STREAM_MOST = 64 * 1024 * 1024  # bytes one object stream gives at the most (the largest real ones hold a few MB)
_DICT_MOST = 1024  # bytes an object stream's dictionary takes at the most (real ones, 60 to 200)
_HELD = 2 * _DICT_MOST  # bytes held at a chunk's end: a dictionary's beginning, with what comes before it
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_DATA = re.compile(rb">>\s*stream(?:\r\n|\n)")  # (the dictionary's end; its data begins after its line's end)
_TAIL = 8192  # bytes of a stream's content held until it goes on: more than any link (imgur_dl.textlinks.MAX_LINK)
# What ends a token in a PDF (ISO 32000-1, 7.2.2: white space and delimiters): a link is never cut before one.
_DELIMITERS = (b" ", b"\t", b"\r", b"\n", b"\f", b"\x00", b"(", b")", b"<", b">", b"[", b"]", b"{", b"}", b"%")
_DATA_LOOK = 64  # bytes after a dictionary's end in which its "stream" keyword and line end are looked for


class Pdf(Pieces):
    """A PDF file as text to scan (a :class:`Reader`): its bytes, each object stream's in its decompressed
    content's place. ``taken``: how much of the file has been read (when it is compressed; else what this has
    read of it); ``warn``: told, once the file is read, of object streams that could not be decompressed."""

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.source = source
        self.name = name
        self.bound = bound
        self.read_so_far = 0
        self.taken = taken or (lambda: self.read_so_far)
        self.warn = warn
        self.unread = 0  # object streams that could not be decompressed (an encrypted file's, a damaged one's)
        self.larger = 0  # object streams cut at STREAM_MOST
        super().__init__(self._text())

    def read(self, size: int, /) -> bytes:
        self.bound.check()
        return super().read(size)

    def _chunk(self) -> bytes:
        chunk = self.source.read(CHUNK)
        self.read_so_far += len(chunk)
        return chunk

    def _text(self) -> Iterator[bytes]:
        """The file's bytes up to each object stream's data, that data decompressed, and so on to its end; what may
        begin a stream's dictionary is held until it is known to, or not to."""
        held = b""
        while chunk := self._chunk():
            held += chunk
            while (data := _data_at(held)) is not None:
                yield held[:data]
                held = yield from self._decompressed(held[data:])
            if len(held) > _HELD:
                yield held[:-_HELD]
                held = held[-_HELD:]
        yield held
        self._tell()

    def _decompressed(self, data: bytes) -> Generator[bytes, None, bytes]:
        """An object stream's content, decompressed as ``data`` and the chunks after it give it, between line ends
        (no link runs on into the bytes around it); the bytes after the stream are given back. One that cannot be
        decompressed to its end (damaged, the file cut short in it, past :data:`STREAM_MOST`) gives what it gave
        but for what may be a link cut short at its end; the rest of its bytes are read on as they are."""
        inflater, given, tail = zlib.decompressobj(), 0, b""
        yield b"\n"
        while data:
            try:
                out = inflater.decompress(data, min(CHUNK, STREAM_MOST - given))
            except zlib.error:
                break
            given += len(out)
            tail += self.bound.add(out, self.taken())
            if inflater.eof:
                yield tail + b"\n"
                return inflater.unused_data
            if given >= STREAM_MOST:
                self.larger += 1
                yield _whole(tail) + b"\n"
                return inflater.unconsumed_tail
            if len(tail) > _TAIL:
                yield tail[:-_TAIL]
                tail = tail[-_TAIL:]
            data = inflater.unconsumed_tail or self._chunk()
        self.unread += 1
        yield _whole(tail) + b"\n"
        return data

    def _tell(self) -> None:
        if self.warn is not None and self.unread:
            self.warn(f"{self.name}: {self.unread} of its object streams could not be decompressed to their end (an "
                      "encrypted PDF? a damaged one, or cut short?): a link past where each stopped is not found")
        if self.warn is not None and self.larger:
            self.warn(f"{self.name}: {self.larger} of its object streams decompress to more than "
                      f"{STREAM_MOST // 2**20} MiB: only that much of each was read")


def _data_at(held: bytes) -> int | None:
    """Where the data of the first object stream in ``held`` compressed with Flate begins, if ``held`` has one
    whole up to there; None when it has none (one whose dictionary may end past ``held``'s end is not looked at
    yet). An object stream's dictionary holds no other (ISO 32000-1, 7.5.7): from its "<<" to its first ">>", which
    "stream" follows, or it is none (the data of a stream after it is never taken for its own)."""
    start = 0
    while (found := _OBJECT_STREAM.search(held, start)) is not None:
        start = found.end()
        opening = held.rfind(b"<<", max(0, found.start() - _DICT_MOST), found.start())
        closing = held.find(b">>", found.end(), found.end() + _DICT_MOST)
        if closing == -1 or len(held) - closing < _DATA_LOOK:
            if len(held) - found.end() < _DICT_MOST:
                return None  # (its dictionary may end in the next chunk: looked at with it)
            continue
        data = _DATA.match(held, closing)
        flat = opening != -1 and held.find(b">>", opening, found.start()) == -1 and \
            held.find(b"<<", found.end(), closing) == -1
        if data is not None and flat and b"/FlateDecode" in held[opening:closing]:
            return data.end()
    return None


def _whole(tail: bytes) -> bytes:
    """``tail`` up to its last delimiter: what follows may be a link cut short (another album's)."""
    return tail[:max(tail.rfind(delimiter) for delimiter in _DELIMITERS) + 1]
