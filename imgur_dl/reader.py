"""What ``--scan``'s readers of input are (:mod:`imgur_dl.compressed`, :mod:`imgur_dl.warc`, :mod:`imgur_dl.pdf`,
:mod:`imgur_dl.archives`), what bounds one that decompresses, and the small readers they share: of what a generator
gives, of bytes read ahead then the rest, of bytes then an error, of bytes held to be read again; and what a
file read whole gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

from imgur_dl.errors import ScanError, reason

# A stream that expands past this many times its compressed size, once it is this large, is a bomb.
MAX_RATIO = 1000
RATIO_AFTER = 64 * 1024 * 1024

# The most text asked of a decompressing reader at once: each read takes one piece of the compressed input, and
# gives what it makes of it (for gzip, ~50 KB of text); asked for more, the standard library's readers set aside
# that much memory every time (an mmap and its page faults: a quarter more time for a gzip input).
PIECE = 64 * 1024


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Bound(Protocol):
    """What bounds the expansion of the file being read (as :mod:`imgur_dl.compressed` bounds any input's): what
    decompressing gives, against what it took (a decompression bomb is stopped)."""

    def check(self) -> None: ...

    def add(self, data: bytes, taken: int) -> bytes: ...


class Whole(NamedTuple):
    """A file read whole as what it is (:mod:`imgur_dl.bplist`, :mod:`imgur_dl.snss`): its text to scan, and why it
    could not be read so (``unread``: then ``text`` is empty, and the file is read as bytes); or why its text stops
    short of its end (``cut``: what came before is ``text``, and reading stops there)."""

    text: bytes
    unread: str | None = None
    cut: str | None = None


class Source(Protocol):
    """A file's bytes, read where they are asked (a file of its own, by ``pread``; or one held in memory): as a format
    read from where its index says is read (:mod:`imgur_dl.parquet`, :mod:`imgur_dl.sevenzip`)."""

    size: int

    def at(self, offset: int, size: int) -> bytes: ...


class Held:
    """A file read whole into memory."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.size = len(data)

    def at(self, offset: int, size: int) -> bytes:
        return bytes(self.data[offset:offset + size])


class OwnFile:
    """A file of its own, read where it is asked."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = os.fstat(fd).st_size

    def at(self, offset: int, size: int) -> bytes:
        return os.pread(self.fd, size, offset)


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


class Then:
    """``data``, then ``error`` (if any) once it is all read."""

    def __init__(self, data: bytes, error: ScanError | None) -> None:
        self.data = memoryview(data)
        self.error = error

    def read(self, size: int, /) -> bytes:
        data, self.data = bytes(self.data[:size]), self.data[size:]
        if not data and self.error is not None:
            raise self.error
        return data


class Expansion:
    """What a compressed input has expanded to, against what it took: once past :data:`RATIO_AFTER` and
    :data:`MAX_RATIO` times that, the read that went past is handed on (nothing decoded is lost) and the next
    one stops."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.out = 0
        self._over: ScanError | None = None

    @property
    def over(self) -> bool:
        """Whether it has expanded past its bound (what is read after is not)."""
        return self._over is not None

    def check(self) -> None:
        if self._over is not None:
            raise self._over

    def add(self, data: bytes, taken: int) -> bytes:
        self.out += len(data)
        if self.out > RATIO_AFTER and self.out > MAX_RATIO * max(1, taken):
            why = f"it expands more than {MAX_RATIO} times (a decompression bomb?)"
            self._over = ScanError(f"{self.name}: stopped after {self.out // 2**20} MiB: {why}", why)
        return data


def peek(source: Reader, size: int) -> bytes:
    """``size`` bytes of ``source`` (fewer where it ends first), read a piece at a time (a decompressing reader asked
    for much sets that much aside) and joined once (a pipe's small pieces are not copied again at each)."""
    pieces, held = [], 0
    while held < size and (data := source.read(min(16 * PIECE, size - held))):
        pieces.append(data)
        held += len(data)
    return b"".join(pieces)


class Prefixed:
    """``head`` (already read) followed by the rest of ``source``."""

    def __init__(self, head: bytes, source: Reader, name: str, *, then_more: bool = False) -> None:
        self.head = head
        self.source = source
        self.name = name
        self.then_more = then_more  # the first read gives the head and what has arrived after it, together

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:  # (all of it)
            data, self.head = self.head, b""
            return data + b"".join(iter(lambda: self._more(PIECE), b""))
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            if self.then_more and 0 < len(data) < size:
                data += self._more(size - len(data))  # (and what has arrived after it: one piece, as read whole)
            return data
        return self._more(size)

    def _more(self, size: int) -> bytes:
        read1 = getattr(self.source, "read1", None)  # a pipe: what has arrived, not a whole block
        try:
            return read1(size) if read1 is not None else self.source.read(size)
        except OSError as exc:
            raise ScanError.stopped(self.name, reason(exc)) from None

    def readable(self) -> bool:
        return True


class Buffer:
    """A compressed file's bytes in hand (``data``), from its byte ``at``, read :data:`PIECE` at a time as they are
    needed (a pipe: what has arrived)."""

    def __init__(self, source: Reader) -> None:
        self.source = source
        self.data = bytearray()
        self.at = 0
        self.ended = False  # the source has no more

    def more(self) -> bool:
        """One more read of the source in hand; False where it has ended."""
        more = b"" if self.ended else self.source.read(PIECE)
        self.ended = not more
        self.data += more
        return bool(more)

    def fill(self, need: int) -> bool:
        """At least ``need`` bytes in hand, where the source has them."""
        while len(self.data) < need and self.more():
            pass
        return len(self.data) >= need

    def take(self, count: int) -> bytes:
        taken = bytes(self.data[:count])
        self.drop(count)
        return taken

    def drop(self, count: int) -> None:
        """The first ``count`` bytes in hand let go."""
        count = min(count, len(self.data))
        del self.data[:count]
        self.at += count

    def past_zeros(self) -> bool:
        """Zero bytes passed over (what pads a stream); whether a byte that is not zero follows."""
        while self.fill(1):
            kept = self.data.lstrip(b"\0")
            self.drop(len(self.data) - len(kept))
            if kept:
                return True
        return False

    def back(self, unused: bytes) -> None:
        """``unused`` (read past a stream's end by its decoder) in hand again."""
        self.data[:0] = unused
        self.at -= len(unused)


class Taken:
    """A file's bytes, taken as they are asked for (a few at a time: what is held is not copied at each), as a
    reader of a format of structures one after another takes them (:mod:`imgur_dl.pgdump`, :mod:`imgur_dl.avro`)."""

    def __init__(self, source: Reader) -> None:
        self.source = source
        self.held = b""
        self.at = 0  # where in ``held`` the next byte is
        self.count = 0  # bytes read of the source

    def take(self, size: int) -> bytes:
        """``size`` bytes; fewer where the file ends first."""
        if self.at + size > len(self.held):
            pieces = [self.held[self.at:]]
            held = len(pieces[0])
            while held < size and (more := self.source.read(max(PIECE, size - held))):
                pieces.append(more)
                held += len(more)
                self.count += len(more)
            self.held, self.at = b"".join(pieces), 0
        data = self.held[self.at:self.at + size]
        self.at += len(data)
        return data

    def line(self, most: int) -> bytes:
        """The bytes up to the next line's end and it (at most ``most``; fewer where the file ends first). What is
        read for it is joined once, and each piece looked through once: a long line costs its length, not its
        square."""
        pieces, held = [self.held[self.at:]], len(self.held) - self.at
        while b"\n" not in pieces[-1] and held < most and (more := self.source.read(PIECE)):
            pieces.append(more)
            held += len(more)
            self.count += len(more)
        if len(pieces) > 1:
            self.held, self.at = b"".join(pieces), 0
        end = self.held.find(b"\n", self.at, self.at + most)
        return self.take(most if end < 0 else end + 1 - self.at)

    def untake(self, size: int) -> None:
        """The last ``size`` bytes taken (by one take, still held) given back, to be taken again."""
        self.at -= size

    def ended(self) -> bool:
        """Whether the file has no more bytes (one more is read, where none is held, to tell)."""
        if self.at < len(self.held):
            return False
        self.held, self.at = self.source.read(PIECE), 0
        self.count += len(self.held)
        return not self.held

    def pieces(self, size: int) -> Iterator[bytes]:
        """The next ``size`` bytes, a piece at a time (never held whole); fewer where the file ends first."""
        while size > 0 and (piece := self.take(min(size, PIECE))):
            size -= len(piece)
            yield piece

    def rest(self) -> Iterator[bytes]:
        """The rest of the file, as it is."""
        yield self.held[self.at:]
        self.held, self.at = b"", 0
        while more := self.source.read(PIECE):
            self.count += len(more)
            yield more


class Told(Pieces):
    """A file of a format of its own as text to scan: the pieces :meth:`text` gives, what they expand to bounded by
    ``bound``; ``warn`` is told (the file's name first) of what could not be read."""

    def __init__(self, name: str, bound: Bound, warn: Callable[[str], None] | None) -> None:
        self.name = name
        self.bound = bound
        self.warn = warn
        super().__init__(self.text())  # (begun at the first read: a subclass sets what it needs after this)

    def text(self) -> Iterator[bytes]:
        raise NotImplementedError

    def read(self, size: int, /) -> bytes:
        self.bound.check()
        return super().read(size)

    def say(self, what: str) -> None:
        if self.warn is not None:
            self.warn(f"{self.name}: {what}")


class Streamed(Told):
    """A file of structures one after another (:mod:`imgur_dl.pgdump`, :mod:`imgur_dl.avro`), read front to back
    from ``source``. ``taken``: how much of the file has been read (when it is compressed as a whole; else what this
    has read of it)."""

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        super().__init__(name, bound, warn)
        self.input = Taken(source)
        self.taken = taken or (lambda: self.input.count)
