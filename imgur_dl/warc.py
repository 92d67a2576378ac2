"""WARC files (ISO 28500, the web archive's format: what ArchiveTeam, Heritrix, ``wget --warc-file``, wpull and
Browsertrix write) as ``--scan`` reads them: record by record, with each HTTP message's body as it was sent
decoded, so that the links in pages a server sent compressed are found.

A response record holds the HTTP response as it came over the wire: in chunks
(``Transfer-Encoding: chunked``, whose size lines may fall inside a link) and
compressed (``Content-Encoding: gzip``, ``deflate``; ``zstd`` with the extra
that reads zstd). Those are undone; everything else (the WARC header with its
``WARC-Target-URI``, the HTTP header with its ``Location``, other records
whole) is read as it is. A body in a coding imgur-dl does not decode (brotli),
or one that does not decode as it says, is read as it is and counted, to be
said once at the end (and so is one in more codings than a server applies).
Where the input stops being a WARC file (no record starts where one must, a
header that does not end, a length that is not one), the rest is read as it
is, and that is said too; one that ends inside a record is cut short, and
stops with :class:`~imgur_dl.errors.ScanError` once what came before is
handed on.

Decoding is bounded as any compressed input's is: what a body expands to is
taken a piece at a time, and the whole is held to the file's expansion bound.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator

from imgur_dl import zstdlib
from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.reader import Bound, Reader

MAX_HEADER = 64 * 1024  # a WARC record's or an HTTP message's header: longer, it is not one
_PIECE = 64 * 1024  # the most a decoder makes at a time
_ZSTD_WINDOW = 8 * 2**20  # the most memory a zstd body may ask for (RFC 9659: HTTP's zstd uses no more)
_LINE_ENDS = re.compile(rb"[\r\n]*")
_GZIP = b"\x1f\x8b"  # a gzip member's first bytes
_WARC = re.compile(rb"WARC/[0-9]")
_RECORD = re.compile(rb"(?m)^WARC/[0-9]")  # a record's start, where a line starts
_INTERIM = re.compile(rb"HTTP/[0-9.]+ 1[0-9][0-9]")  # an interim response's status line (100 Continue)
# The fields this reading needs, of a WARC record's header and of an HTTP message's.
_FIELD = re.compile(rb"(?m)^(content-length|content-type|warc-type|content-encoding|transfer-encoding)[ \t]*:"
                    rb"[ \t]*([^\r\n]*?)[ \t]*\r?$")
_CHUNK_LINE = 1024  # a chunk's size line (with its extensions) is no longer than this
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_LENGTH = re.compile(rb"[0-9]{1,18}")  # a block's length in bytes (an exabyte at the most)
MAX_CODINGS = 4  # codings a body is decoded through, at the most (a server applies one, a proxy maybe another)
_UNDECODED = {b"br": "brotli", b"compress": "compress", b"x-compress": "compress"}  # (their names in words)
_UNREAD, _CORRUPT = "unread", "corrupt"  # why a body was read as sent: a coding not decoded, or not decoding


def is_warc(head: bytes) -> bool:
    """Whether a file whose (decompressed) first bytes are ``head`` is a WARC file: its first record's first line
    names the version (``WARC/1.0``, ``WARC/1.1``)."""
    return _WARC.match(head) is not None


class Warc:
    """A WARC file as text to scan (a :class:`Reader`): its records one after another, bodies decoded.

    ``taken``: how much of the file itself has been read (when it is compressed; else what this has read of it),
    against which ``bound`` holds what is given out;
    ``warn``: told, once the file has been read, what could not be decoded.
    """

    def __init__(self, source: Reader, name: str, bound: Bound, *, taken: Callable[[], int] | None = None,
                 warn: Callable[[str], None] | None = None, decoders: Decoders | None = None) -> None:
        self.input = _Input(source)
        self.name = name
        self.bound = bound
        self.taken = taken or (lambda: self.input.count)
        self.warn = warn
        self.decoders = decoders or Decoders()
        self._pieces = self._records()
        self._rest = b""
        self._lost: tuple[int, str] | None = None  # where the input stopped being a WARC file, and why
        self._stopped: ScanError | None = None  # why it could not be read on (said once what came before is given)

    def read(self, size: int, /) -> bytes:
        """Up to ``size`` bytes: the pieces the records give, together while the file's bytes in hand make them (a
        pipe is not waited on while something is ready)."""
        self.bound.check()
        if self._stopped is not None:
            stopped = self._stopped
            if isinstance(stopped, FileStopped):  # (said once: reading goes on)
                self._stopped = None
            raise stopped
        pieces, held = [], 0
        while held < size and (not held or self.input.ready()):
            try:
                piece = self._rest or next(self._pieces, None)
            except FileStopped as exc:  # (a part of the compressed file spoilt: what came before it is handed on
                self.input.restart()  # first, and records are read again from the next that starts after it)
                self._pieces, self._lost = self._records(seeking=True), None
                if not held:
                    raise
                self._stopped = exc
                break
            except ScanError as exc:  # (the file cut short: what came before it is handed on first)
                self._tell()
                self._stopped = exc
                if not held:
                    raise
                break
            if piece is None:
                if not held:
                    self._tell()
                break
            taken, self._rest = piece[:size - held], piece[size - held:]
            pieces.append(taken)
            held += len(taken)
        return self.bound.add(b"".join(pieces), self.taken())

    def _tell(self) -> None:
        if self.warn is None:
            return
        warn, self.warn = self.warn, None  # (said once)
        for line in self.decoders.untold(self.name):
            warn(line)
        if self._lost is not None:
            at, why = self._lost
            warn(f"{self.name}: not a WARC file past byte {at} ({why}): the rest was read as it is, compressed "
                 "bodies and all")

    def _records(self, *, seeking: bool = False) -> Iterator[bytes]:
        """The records' pieces (``seeking``: from the next record that starts, what comes before it as it is)."""
        source = self.input
        if seeking:
            yield from source.before_record()
        while True:
            source.left = None
            source.skip_line_ends()  # (the two line ends after each record)
            at = source.at
            head = source.header()
            if head is None or not is_warc(head):
                if head is not None:
                    self._lost = at, "no record starts there"
                elif source.more_to_come():
                    if source.ended:
                        yield from source.pieces()
                        raise ScanError.stopped(self.name, "the file ends inside a record's header: it is cut short")
                    self._lost = at, f"a record's header does not end within {MAX_HEADER // 1024} KiB"
                if head:
                    yield head
                yield from source.pieces()
                return
            fields = _fields(head)
            length = fields.get(b"content-length", b"")
            if not _LENGTH.fullmatch(length):
                self._lost = at, "a record's Content-Length is not a length"
                yield head
                yield from source.pieces()
                return
            source.left = int(length)
            kind = fields.get(b"content-type", b"").replace(b" ", b"")
            body: Iterator[bytes] | None = None
            if fields.get(b"warc-type") in (b"response", b"revisit", b"request") and \
                    kind.startswith(b"application/http"):
                opening, body = self._message(source)
                head += opening
            if body is None and (whole := source.in_hand()) is not None:
                yield head + whole + b"\n"  # (a record in hand, nothing to decode: at once)
                continue
            yield head
            yield from body or source.pieces()
            yield from source.pieces()  # (what the block holds past the message, or all of it)
            if source.left:  # (the file ended first: a download interrupted)
                raise ScanError.stopped(self.name, f"the file ends inside a record, {source.left:,} bytes short: it "
                                                   "is cut short")
            yield b"\n"  # (between records: the last line of one is not the first of the next)

    def _message(self, source: _Input) -> tuple[bytes, Iterator[bytes] | None]:
        """An HTTP message within its record's block: its header (and any interim one before it: 100 Continue)
        as read, and its body decoded (None: there is nothing to decode)."""
        opening = b""
        head = source.header()
        while head is not None and _INTERIM.match(head):
            opening += head
            head = source.header()
        if head is None:
            return opening, None
        fields = _fields(head)
        codings = [c.strip() for field in (b"content-encoding", b"transfer-encoding")
                   for c in fields.get(field, b"").split(b",") if c.strip()]
        if not codings:
            return opening + head, None
        body: Iterator[bytes] = source.pieces()
        if codings[-1] == b"chunked":
            codings.pop()
            body = _dechunked(source)
        if len(codings) > MAX_CODINGS:  # (a body wrapped in layer after layer: no server sends one)
            self.decoders.undecoded[_UNREAD, f"{len(codings)} codings one inside another"] += 1
            codings = []
        for coding in reversed(codings):
            body = self.decoders.decoded(body, coding)
        return opening + head, body


class Decoders:
    """The content codings a body may come in, each undone as it is read; what could not be, counted."""

    def __init__(self) -> None:
        self.undecoded: Counter[tuple[str, str]] = Counter()  # (why, coding) -> bodies

    def decoded(self, body: Iterator[bytes], coding: bytes) -> Iterator[bytes]:
        if coding in (b"gzip", b"x-gzip"):
            return self._inflated(body, 32 + zlib.MAX_WBITS, "gzip")  # (a gzip header, or zlib's: either)
        if coding == b"deflate":
            return self._deflated(body)
        if coding == b"zstd":
            return self._zstd(body)
        if coding != b"identity":
            self.undecoded[_UNREAD, _UNDECODED.get(coding, coding[:40].decode("ascii", "replace"))] += 1
        return body

    def untold(self, name: str) -> Iterator[str]:
        """A line for each way bodies could not be decoded, with how many."""
        for (why, coding), count in sorted(self.undecoded.items()):
            bodies, they, them = ("1 HTTP body", "it", "it") if count == 1 else (f"{count} HTTP bodies", "they", "them")
            if why == _CORRUPT:
                yield (f"{name}: {bodies} said to be in {coding} did not decode: read as sent from where {they} "
                       "went wrong")
            else:
                hint = " (install imgur-dl[zstd])" if coding == "zstd" else ""
                yield (f"{name}: {bodies} compressed with {coding}, which imgur-dl does not decode{hint}: links "
                       f"inside {them} could not be looked for")

    def _deflated(self, body: Iterator[bytes]) -> Iterator[bytes]:
        """``deflate`` as the standard says (zlib's format) or as many servers sent it (raw deflate)."""
        first = b""
        while len(first) < 2 and (piece := next(body, b"")):  # (its first two bytes tell which: a chunk may be one)
            first += piece
        zlib_header = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0

        def again() -> Iterator[bytes]:
            yield first
            yield from body
        return self._inflated(again(), zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS, "deflate")

    def _inflated(self, body: Iterator[bytes], wbits: int, coding: str) -> Iterator[bytes]:
        inflater = zlib.decompressobj(wbits)
        for piece in body:
            data = piece
            while True:
                try:
                    made = inflater.decompress(data, _PIECE)
                except zlib.error:
                    self.undecoded[_CORRUPT, coding] += 1
                    yield data  # (what is left of this piece, then the rest, as sent)
                    yield from body
                    return
                if made:
                    yield made
                data = inflater.unconsumed_tail
                if inflater.eof and inflater.unused_data.startswith(_GZIP) and coding == "gzip":
                    data = inflater.unused_data  # (another member: gzip's streams may follow one another)
                    inflater = zlib.decompressobj(wbits)
                    continue
                if inflater.eof:  # (anything after the compressed stream's end: as sent)
                    yield inflater.unused_data
                    yield from body
                    return
                if not data and len(made) < _PIECE:  # (all of the piece taken, and all it makes given)
                    break

    def _zstd(self, body: Iterator[bytes]) -> Iterator[bytes]:
        decoder = zstdlib.decoder(window=_ZSTD_WINDOW)
        if decoder is None:
            self.undecoded[_UNREAD, "zstd"] += 1
            return body

        def pieces() -> Iterator[bytes]:
            try:
                yield from decoder.stream(body)
            except decoder.error:
                self.undecoded[_CORRUPT, "zstd"] += 1
                yield from body
        return pieces()


def _dechunked(source: _Input) -> Iterator[bytes]:
    """A body in chunks (RFC 9112, section 7.1), as its data alone; framing that is not chunks after all is read
    as it is from there."""
    while True:
        line = source.line(_CHUNK_LINE)
        if line is None:
            yield from source.pieces()
            return
        size = line.split(b";", 1)[0].strip()
        if not size:
            continue  # (the line end after a chunk's data)
        if not _HEX.fullmatch(size):
            yield line
            yield from source.pieces()
            return
        if not int(size, 16):
            return  # (the last chunk: any trailer fields are read as they are)
        yield from source.pieces(int(size, 16))


def _header_end(data: bytes, start: int, end: int) -> int:
    """Where the first header in ``data[start:end]`` ends (past its blank line), or -1: a blank line as written
    (CRLF), or as some servers wrote it (bare LFs)."""
    crlf = data.find(b"\n\r\n", start, end)
    lf = data.find(b"\n\n", start, crlf + 1 if crlf != -1 else end)  # (looked for only before the other)
    if lf != -1:
        return lf + 2
    return crlf + 3 if crlf != -1 else -1


def _line_end(data: bytes, start: int, end: int) -> int:
    found = data.find(b"\n", start, end)
    return found + 1 if found != -1 else -1


def _fields(head: bytes) -> dict[bytes, bytes]:
    """The fields of a header this reading needs, by name, in lower case (repeated ones joined with commas, as
    HTTP joins them)."""
    fields: dict[bytes, bytes] = {}
    for name, value in _FIELD.findall(head.lower()):  # (lower-case values too: none here is case-sensitive)
        fields[name] = fields[name] + b"," + value if name in fields else value
    return fields


class _Input:
    """The file's bytes as records are read from it: headers found, blocks counted out (``left``: what the block
    being read still holds; None between records)."""

    def __init__(self, source: Reader) -> None:
        self.source = source
        self.buffer = b""
        self.pos = 0  # where the bytes not taken yet start in the buffer
        self.at = 0  # ... and in the file
        self.count = 0  # bytes read from the file
        self.left: int | None = None
        self._ended = False

    def _fill(self) -> bool:
        if self._ended:
            return False
        data = self.source.read(_PIECE)
        if not data:
            self._ended = True
            return False
        self.buffer = self.buffer[self.pos:] + data
        self.pos = 0
        self.count += len(data)
        return True

    def before_record(self) -> Iterator[bytes]:
        """What comes before the next line that starts a record (``WARC/`` and a version's digit), a piece at a
        time; all that is left, where no line does."""
        while self.more_to_come():
            found = _RECORD.search(self.buffer, self.pos)
            # (a record's start may be cut by the end of what is in hand: that much is kept back for more)
            end = found.start() if found is not None else max(self.pos, len(self.buffer) - len(b"\nWARC/0"))
            if end > self.pos:
                yield self._take(end - self.pos)
            if found is not None or not self._fill():
                break
        if self.ended and self.ready():
            yield self._take(len(self.buffer) - self.pos)

    def restart(self) -> None:
        """What the file gives next is read as a record's start: what is in hand is passed over."""
        self.at += len(self.buffer) - self.pos
        self.buffer, self.pos, self.left = b"", 0, None

    @property
    def ended(self) -> bool:
        """Whether the file has no more to give than what is in hand."""
        return self._ended

    def ready(self) -> bool:
        """Whether bytes not taken yet are in hand (taking them waits on nothing)."""
        return self.pos < len(self.buffer)

    def _room(self) -> int:
        held = len(self.buffer) - self.pos
        return held if self.left is None else min(held, self.left)

    def _take(self, size: int) -> bytes:
        data = self.buffer[self.pos:self.pos + size]
        self.pos += len(data)
        self.at += len(data)
        if self.left is not None:
            self.left -= len(data)
        return data

    def in_hand(self) -> bytes | None:
        """The rest of the block, taken, when all of it is in hand; else None (nothing taken)."""
        if self.left is None or len(self.buffer) - self.pos < self.left:
            return None
        return self._take(self.left)

    def more_to_come(self) -> bool:
        return self.ready() or self._fill()

    def skip_line_ends(self) -> None:
        while self.more_to_come():
            end = _LINE_ENDS.match(self.buffer, self.pos).end()  # type: ignore[union-attr]  # (it matches none)
            self.at += end - self.pos
            self.pos = end
            if self.ready():
                return

    def header(self) -> bytes | None:
        """A header (its lines and the blank line that ends it), or None when none ends within
        :data:`MAX_HEADER` (or what is left): nothing is taken then."""
        return self._until(_header_end, MAX_HEADER)

    def line(self, most: int) -> bytes | None:
        return self._until(_line_end, most)

    def _until(self, end: Callable[[bytes, int, int], int], most: int) -> bytes | None:
        while True:
            room = self._room()
            found = end(self.buffer, self.pos, self.pos + min(room, most))
            if found != -1:
                return self._take(found - self.pos)
            if room >= most or (self.left is not None and room >= self.left) or not self._fill():
                return None

    def pieces(self, size: int | None = None) -> Iterator[bytes]:
        """What the block still holds (``size``: that much of it, at most), a piece at a time."""
        while size is None or size > 0:
            if not self._room() and not (self.left != 0 and self._fill()):
                return
            data = self._take(self._room() if size is None else min(self._room(), size))
            if size is not None:
                size -= len(data)
            yield data
