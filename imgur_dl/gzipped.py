"""A gzip file's members one after another, as ``--scan`` reads it: one that does not decode is said and passed
over, and reading goes on from the next member after it.

A gzip file is any number of members, each compressed on its own (RFC 1952, section 2.2). A WARC file is
compressed so as its standard recommends, a member a record ("each record of a WARC file independently ... whose
per-record subranges also stand alone as valid GZIP files": WARC/1.1, annex D), as Heritrix, wget and Browsertrix
write them; so are gzip files joined (``cat a.gz b.gz``) and BGZF's blocks. Read as one stream, as the standard
library reads it, a member spoilt anywhere (a bit flipped on a disk, a sector lost, a download resumed at the wrong
byte) stopped the whole file there: a crawl's records after it, often nearly all of them, were lost.

Each member's header is read as section 2.3 lays it out, its deflated data decoded, and its trailer checked against
what it made (CRC-32 and length). A member whose data does not decode, or whose trailer is not what it made, is said
(:class:`FileStopped`, once what it gave is handed on), and the next read looks for the next member from the byte
after the spoilt one's start (of the last :data:`WINDOW` bytes read): a member cut short and another written after it
is seen only once its data ran on into the next. A member's first bytes (gzip's magic number, deflate's method, a
flags byte with no reserved bit set) are looked for, from which a member decodes. Compressed bytes that merely look
so fail within their first few hundred bytes, and a member kept inside another (a page sent gzip-compressed, in its
record as it came) is found before the next: until two members in a row are read whole, what a member gives is held
back until it is trusted (read to its end and checked, or :data:`TRUST` bytes given without a fault), then given on
a line of its own (the text before it is not what it follows); one that fails is passed over without a word, and
so is one inside the spoilt one whose trailer is wrong (its damage, said once). Nothing is looked for until asked:
where nothing more is read (a tar archive whose stream this is), the rest of the file is not read in vain.

A member is read where one must begin: at the file's start, and right after another (zeros padding the file
between two are passed over, as gzip passes them over). The input ending inside one is the file cut short, as
before: :class:`ScanError`, with the standard library's words.
"""

from __future__ import annotations

import collections
import zlib
from typing import Protocol

from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.reader import Reader

_HEADER = b"\x1f\x8b\x08"  # a member's first bytes: gzip's magic number, then deflate's method
_FIXED = 10  # ... and with its flags byte, its time, its extra flags and its system: the header's fixed part
_RESERVED = 0xE0  # the flags byte's reserved bits: any set, it is no member's header
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 0x02, 0x04, 0x08, 0x10  # what else the header holds
_TRAILER = 8  # CRC-32 and length, after the deflated data
_IN = 64 * 1024  # compressed bytes read at a time
_PROBE = 64  # bytes of a place a member may begin looked at first, before one is begun there
TRUST = 64 * 1024  # text a member found by looking gives without a fault before it is trusted (and handed on)
WINDOW = 1024 * 1024  # the compressed bytes of the member being read kept, the last so many, to look for the next in
MOST_SPOILT = 10  # spoilt members said one by one: past so many, the file is given up in one more line
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
    """The size of the gzip member's header that ``data`` starts with; None while more of it is needed to tell; 0
    where it starts none (RFC 1952, section 2.3: its header's own CRC checked where it has one)."""
    if data[:len(_HEADER)] != _HEADER[:len(data)] or (len(data) > len(_HEADER) and data[3] & _RESERVED):
        return 0
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
            return 0
    return size if size <= len(data) else None


def _may_begin(data: bytes, at: int) -> bool:
    """Whether a member may begin at ``at`` (its first bytes there), as far as its first :data:`_PROBE` bytes tell:
    its header, then what its data begins with, decoded (bytes that merely look like a member's start most often
    fail there: passed over at once, without a member begun and failed for each)."""
    head = data[at:at + _PROBE]
    size = header_size(head)
    if size is None:  # (a header longer than that, or the data in hand ends: the member itself tells)
        return True
    if not size:
        return False
    try:
        zlib.decompressobj(-zlib.MAX_WBITS).decompress(head[size:], _PROBE)
    except zlib.error:
        return False
    return True


class GzipMembers:
    """The text of the gzip file ``source`` (named ``name`` in what is said), a member after another; ``read1``
    gives what one piece of it makes, up to ``size`` bytes (b"": the file has ended)."""

    def __init__(self, source: Reader, name: str) -> None:
        self.source = source
        self.name = name
        self.data = b""  # compressed bytes read, not yet decoded
        self.at = 0  # where they start in the file
        self.ended = False  # the source has no more to give
        self.inflater: _Inflater | None = None  # the member whose deflated data is being read (None: between two)
        self.start = 0  # ... where it starts
        self.made = (0, 0)  # ... the CRC-32 and length of what it has made
        self.kept: collections.deque[bytes] = collections.deque()  # ... what of it was decoded, the last WINDOW
        self.kept_at = 0  # ... from where
        self.kept_size = 0
        self.chained = False  # ... it began where one must (right after another)
        self.found = False  # ... its text is held back until it is trusted
        self.held: list[bytes] = []
        self.held_size = 0
        self.out = b""  # text trusted, not given yet
        self.begun = False  # some text has been (the first a file gives tells what it is: nothing goes before it)
        self.looking = False  # a member was spoilt: the next is looked for (from ``at``) at the next read
        self.loose = False  # ... and two members in a row have not been read whole since
        self.spoilt = 0  # members said to be spoilt so far
        self.spoilt_at = 0  # where the last one starts
        self.spoilt_end = 0  # ... and where its data was seen to end, or to fail
        self.said: ScanError | None = None  # what to say once the text before it is given (a FileStopped, once)

    def read1(self, size: int, /) -> bytes:
        while not self.out:
            if self.said is not None:
                said = self.said
                if isinstance(said, FileStopped):  # (reading goes on: said once)
                    self.said = None
                raise said
            if self.looking:
                self._look()
            elif self.inflater is None:
                if not self._begin():
                    return b""
            else:
                self._inflate(size)
        out, self.out = self.out[:size], self.out[size:]
        self.begun = True
        return out

    def _fill(self) -> bool:
        """More of the file in hand; False where it has ended."""
        more = b"" if self.ended else self.source.read(_IN)
        self.ended = not more
        self.data += more
        return bool(more)

    def _begin(self) -> bool:
        """The next member, where one must begin (zeros padding the file passed over); False at the file's end."""
        while True:
            padding = len(self.data) - len(self.data.lstrip(b"\x00"))
            self.data, self.at = self.data[padding:], self.at + padding
            if self.data or not self._fill():
                break
        if not self.data:
            return False
        self._member(chained=True)
        return True

    def _member(self, *, chained: bool) -> None:
        """The member at ``at``: its header read, or it is none."""
        self.start = self.kept_at = self.at
        self.kept.clear()
        self.kept_size = 0
        self.chained, self.found = chained, self.loose or not chained
        self.held.clear()
        self.held_size = 0
        while (size := header_size(self.data)) is None:
            if len(self.data) > WINDOW:  # (a header of a megabyte: none)
                self._failed("not a gzip member's header")
                return
            if not self._fill():
                self._stopped_short()
                return
        if not size:
            self._failed("not a gzip member's header")
            return
        self._take(size)
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.made = (0, 0)

    def _take(self, size: int) -> bytes:
        taken, self.data = self.data[:size], self.data[size:]
        self.at += len(taken)
        self.kept.append(taken)
        self.kept_size += len(taken)
        while self.kept_size - len(self.kept[0]) >= WINDOW:
            dropped = self.kept.popleft()
            self.kept_size -= len(dropped)
            self.kept_at += len(dropped)
        return taken

    def _inflate(self, size: int) -> None:
        """What the member's next piece makes: into ``out``, or ``held`` while it is not trusted yet."""
        inflater = self.inflater
        assert inflater is not None  # noqa: S101 - (a member is being read)
        if not self.data and not self._fill():
            self._stopped_short()
            return
        try:
            made = inflater.decompress(self.data, size)
        except zlib.error as exc:  # (its words alone, "invalid block type", without zlib's number)
            self._failed(str(exc).partition("while decompressing data: ")[2] or str(exc))
            return
        self._take(len(self.data) - len(inflater.unused_data if inflater.eof else inflater.unconsumed_tail))
        crc, length = self.made
        self.made = zlib.crc32(made, crc), length + len(made)
        if not self.found:
            self.out = made
        else:
            self.held.append(made)
            self.held_size += len(made)
            if self.held_size >= TRUST:
                self._trusted()
        if inflater.eof:
            self._end()
        elif self.found and self.at - self.start > WINDOW:  # (so much taken, so little made: none, and no more kept)
            self._look_from(self.start + 1)

    def _trusted(self) -> None:
        """What the member has made is handed on from now on: one found by looking, on a line of its own (what was
        handed on before it is not the text it follows: a link there is not run on into it)."""
        if self.found:
            self.out += (b"\n" if not self.chained and (self.begun or self.out) else b"") + b"".join(self.held)
            self.found = False
            self.held.clear()

    def _end(self) -> None:
        """The member's trailer, checked against what it made."""
        while len(self.data) < _TRAILER and self._fill():
            pass
        if len(self.data) < _TRAILER:
            self._stopped_short()
            return
        trailer = self._take(_TRAILER)
        self.inflater = None
        crc, length = self.made
        checked = int.from_bytes(trailer[:4], "little") == crc, int.from_bytes(trailer[4:], "little") == length % 2**32
        self._trusted()  # (what a member read to its end made is given, whether its trailer is right or not)
        if all(checked):
            self.loose = self.loose and not self.chained  # (two members in a row, each whole: the file's own again)
        else:  # (its data may not end where it seemed to: it ran on into the next member, cut short before it)
            end, inside = self.at, not self.chained and self.start < self.spoilt_end
            self._look_from(self.start + 1)
            self.loose = True
            if not inside:  # (one found inside the spoilt one is a member kept in it: a page sent compressed)
                self.spoilt_end = end
                self._said("incorrect data check" if not checked[0] else "incorrect length check")

    def _stopped_short(self) -> None:
        """The file ends inside the member."""
        if not self.loose:
            self.said = ScanError.stopped(self.name, CUT_SHORT)
            return
        self._look_from(self.start + 1)

    def _failed(self, why: str) -> None:
        """The member does not decode: said (where members were read whole up to it), and the next looked for
        from the byte after its start."""
        end = self.at
        self._look_from(self.start + 1)
        if not self.loose:
            self.loose = True
            self.spoilt_end = end
            self._said(why)

    def _said(self, why: str) -> None:
        self.spoilt += 1
        self.spoilt_at = self.start
        if self.spoilt > MOST_SPOILT:
            self.said = ScanError.stopped(self.name, f"more than {MOST_SPOILT} of its gzip members cannot be read: "
                                                     "spoilt throughout?")
            return
        self.said = FileStopped(f"{self.name}: its gzip member from byte {self.start:,} cannot be read on ({why}); "
                                "what was found before it still counts, and reading goes on from the next member", why)

    def _look_from(self, position: int) -> None:
        back = max(position, self.kept_at)  # (of a long member, only its last WINDOW bytes are kept)
        self.data = (b"".join(self.kept) + self.data)[back - self.kept_at:]  # (what is kept runs on into data)
        self.at = back
        self.inflater = None
        self.kept.clear()
        self.held.clear()
        self.looking = True

    def _look(self) -> None:
        """The next member's start, from ``at`` on (a member begun there, to be tried); the file's end first is
        :class:`ScanError`."""
        while True:
            found = self.data.find(_HEADER)
            while found != -1 and found + len(_HEADER) < len(self.data) and not _may_begin(self.data, found):
                found = self.data.find(_HEADER, found + 1)
            if found != -1 and found + len(_HEADER) < len(self.data):
                self.data, self.at = self.data[found:], self.at + found
                self.looking = False
                self._member(chained=False)
                return
            # (what could still be the start of one, its flags byte not read yet, is kept)
            keep = len(self.data) - found if found != -1 else min(len(self.data), len(_HEADER) - 1)
            drop = len(self.data) - keep
            self.data, self.at = self.data[drop:], self.at + drop
            if not self._fill():
                self.said = ScanError.stopped(self.name, f"no gzip member follows the one spoilt at byte "
                                                         f"{self.spoilt_at:,}")
                return
