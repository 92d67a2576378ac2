"""A compressed file's members one after another (gzip's members, zstd's frames), as ``--scan`` reads it: one that
does not decode is said and passed over, and reading goes on from the next after it.

A gzip file is any number of members, each compressed on its own (RFC 1952, section 2.2), and a zstd file any number
of frames (RFC 8878, section 3). A WARC file is compressed so, a member or a frame a record ("each record of a WARC
file independently ... whose per-record subranges also stand alone as valid GZIP files": WARC/1.1, annex D; "each
record must be compressed into a separate frame": the Zstandard compression for WARC files, as ArchiveTeam writes
its ``.warc.zst``); so are gzip files joined (``cat a.gz b.gz``), BGZF's blocks and pzstd's frames. Read as one
stream, as the standard library and zstd's own reader read them, a member spoilt anywhere (a bit flipped on a disk,
a sector lost, a download resumed at the wrong byte) stopped the whole file there: a crawl's records after it, often
nearly all of them, were lost.

What a member is, is its :class:`Codec`'s: how its start is told (a header read here, gzip's; or left to its
decoder, zstd's), what decodes its data, what follows it (gzip's trailer, checked here against what the data made),
what may pass between two (zeros padding a gzip file; zstd's skippable frames). A member whose data does not decode,
or whose trailer is not what it made, is said (:class:`FileStopped`, once what it gave is handed on), and the next
read looks for the next member from the byte after the spoilt one's start (of the last :data:`WINDOW` bytes read): a
member cut short and another written after it is seen only once its data ran on into the next. A member's first
bytes are looked for, and each place they are is looked at (its header, and the first :data:`PROBE` bytes of its
data decoded) before a member is begun there: compressed bytes that merely look so fail there, or within their
first few hundred bytes. A member kept inside another (a page sent gzip-compressed, in its record as it came) is
found before the next: until two members in a row are read whole, what a member gives is held back until it is
trusted (read to its end and checked, or :data:`TRUST` bytes given without a fault), then given on a line of its own
(the text before it is not what it follows; unless nothing came before it, as the first text a file gives tells
what it is); one that fails is passed over without a word, and so is one inside the spoilt one whose trailer is
wrong (its damage, said once). Nothing is looked for until asked: where nothing more is read (a tar archive whose
stream this is), the rest of the file is not read in vain.

A member is read where one must begin: at the file's start, and right after another (what may pass between two
passed over). The input ending inside one is the file cut short: :class:`ScanError`, in the codec's words.
"""

from __future__ import annotations

import collections
from typing import Protocol

from imgur_dl.errors import FileStopped, ScanError
from imgur_dl.reader import Reader

NOT_ONE = -1  # what :meth:`Codec.header` says of bytes that start no member
_IN = 64 * 1024  # compressed bytes read at a time
PROBE = 64  # bytes of a place a member may begin looked at first, before one is begun there
TRUST = 64 * 1024  # text a member found by looking gives without a fault before it is trusted (and handed on)
WINDOW = 1024 * 1024  # the compressed bytes of the member being read kept, the last so many, to look for the next in
MOST_SPOILT = 10  # spoilt members said one by one: past so many, the file is given up in one more line


class Decoder(Protocol):
    """One member's data, decoded as it is fed."""

    def feed(self, data: bytes, size: int, /) -> tuple[bytes, int, bool]:
        """What the member's next bytes ``data`` make (about ``size`` bytes at the most, where the decoder can bound
        it), how many of them it took, and whether its data ended there; the codec's error where they do not
        decode."""
        ...

    def wrong(self, trailer: bytes, /) -> str | None:
        """Why the member's trailer is not what its data made; None where it is."""
        ...


class Codec(Protocol):
    """A kind of member: how one starts, what decodes it, what follows it."""

    unit: str  # its name in what is said ("gzip member"), ...
    unit_short: str  # ... alone ("member")
    magic: bytes  # the first bytes of every member: what is looked for
    cut_short: str  # why a file that ends inside one is cut short, in words
    trailer: int  # the bytes after a member's data, checked against what it made
    errors: tuple[type[Exception], ...]  # what its decoder raises for data that does not decode

    def header(self, data: bytes, /) -> int | None:
        """The bytes a member that ``data`` starts with holds before what its decoder is given; None while more of
        it is needed to tell; :data:`NOT_ONE` where it starts none."""
        ...

    def padding(self, data: bytes, /) -> int | None:
        """The bytes ``data`` starts with that may pass between two members, to pass over (0: a member must start
        there); None while more of them is needed to tell."""
        ...

    def decoder(self) -> Decoder:
        ...

    def why(self, exc: Exception, /) -> str:
        """Its decoder's error in words."""
        ...


class Members:
    """The text of the compressed file ``source`` (named ``name`` in what is said; its members ``codec``'s, the first
    at byte ``start`` of the file), a member after another; ``read1`` gives what one piece of it makes, up to about
    ``size`` bytes (b"": the file has ended)."""

    def __init__(self, source: Reader, name: str, codec: Codec, *, start: int = 0) -> None:
        self.source = source
        self.name = name
        self.codec = codec
        self.data = b""  # compressed bytes read, not yet decoded
        self.at = start  # where they start in the file
        self.ended = False  # the source has no more to give
        self.passing = 0  # bytes still to pass over between two members
        self.decoder: Decoder | None = None  # the member whose data is being read (None: between two)
        self.start = 0  # ... where it starts
        self.kept: collections.deque[bytes] = collections.deque()  # ... what of it was decoded, the last WINDOW
        self.kept_at = 0  # ... from where
        self.kept_size = 0
        self.chained = False  # ... it began where one must (right after another)
        self.found = False  # ... its text is held back until it is trusted
        self.held: list[bytes] = []
        self.held_size = 0
        self.out = b""  # text trusted, ...
        self.given = 0  # ... of which so much has been given (a piece zstd makes may be many reads' worth)
        self.begun = False  # some text has been (the first a file gives tells what it is: nothing goes before it)
        self.looking = False  # a member was spoilt: the next is looked for (from ``at``) at the next read
        self.loose = False  # ... and two members in a row have not been read whole since
        self.spoilt = 0  # members said to be spoilt so far
        self.spoilt_at = 0  # where the last one starts
        self.spoilt_end = 0  # ... and where its data was seen to end, or to fail
        self.said: ScanError | None = None  # what to say once the text before it is given (a FileStopped, once)

    def read1(self, size: int, /) -> bytes:
        while self.given == len(self.out):
            if self.said is not None:
                said = self.said
                if isinstance(said, FileStopped):  # (reading goes on: said once)
                    self.said = None
                raise said
            if self.looking:
                self._look()
            elif self.decoder is None:
                if not self._begin():
                    return b""
            else:
                self._decode(size)
        out = self.out[self.given:self.given + size]
        self.given += len(out)
        self.begun = True
        return out

    def _fill(self) -> bool:
        """More of the file in hand; False where it has ended."""
        more = b"" if self.ended else self.source.read(_IN)
        self.ended = not more
        self.data += more
        return bool(more)

    def _begin(self) -> bool:
        """The next member, where one must begin (what may pass between two passed over); False at the file's
        end."""
        while True:
            if self.passing:
                passed = min(self.passing, len(self.data))
                self.data, self.at, self.passing = self.data[passed:], self.at + passed, self.passing - passed
            if not self.data and not self._fill():
                if self.passing:  # (the file ends inside what passes between two: cut short)
                    self.said = ScanError.stopped(self.name, self.codec.cut_short)
                    return True
                return False
            if self.passing:
                continue
            passing = self.codec.padding(self.data)
            if passing is None:
                if self._fill():
                    continue
                self.said = ScanError.stopped(self.name, self.codec.cut_short)
                return True
            if not passing:
                break
            self.passing = passing
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
        while (size := self.codec.header(self.data)) is None:
            if len(self.data) > WINDOW:  # (a header of a megabyte: none)
                self._failed(f"not a {self.codec.unit}'s header")
                return
            if not self._fill():
                self._stopped_short()
                return
        if size == NOT_ONE:
            self._failed(f"not a {self.codec.unit}'s header")
            return
        self._take(size)
        self.decoder = self.codec.decoder()

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

    def _decode(self, size: int) -> None:
        """What the member's next piece makes: into ``out``, or ``held`` while it is not trusted yet."""
        decoder = self.decoder
        assert decoder is not None  # noqa: S101 - (a member is being read)
        drained = not self.data and not self._fill()  # (the file ends: what the decoder still holds, first)
        try:
            made, used, ended = decoder.feed(self.data, size)
        except self.codec.errors as exc:
            self._failed(self.codec.why(exc))
            return
        if drained and not made and not ended:
            self._stopped_short()
            return
        self._take(used)
        if not self.found:
            self.out, self.given = made, 0
        else:
            self.held.append(made)
            self.held_size += len(made)
            if self.held_size >= TRUST:
                self._trusted()
        if ended:
            self._end(decoder)
        elif self.found and self.at - self.start > WINDOW:  # (so much taken, so little made: none, and no more kept)
            self._look_from(self.start + 1)

    def _trusted(self) -> None:
        """What the member has made is handed on from now on: one found by looking, on a line of its own (what was
        handed on before it is not the text it follows: a link there is not run on into it)."""
        if self.found:
            self.out = self.out[self.given:] + (b"\n" if not self.chained and (self.begun or self.out) else b"") + \
                b"".join(self.held)
            self.given = 0
            self.found = False
            self.held.clear()

    def _end(self, decoder: Decoder) -> None:
        """The member's trailer, checked against what it made."""
        while len(self.data) < self.codec.trailer and self._fill():
            pass
        if len(self.data) < self.codec.trailer:
            self._stopped_short()
            return
        wrong = decoder.wrong(self._take(self.codec.trailer))
        self.decoder = None
        self._trusted()  # (what a member read to its end made is given, whether its trailer is right or not)
        if wrong is None:
            self.loose = self.loose and not self.chained  # (two members in a row, each whole: the file's own again)
        else:  # (its data may not end where it seemed to: it ran on into the next member, cut short before it)
            end, inside = self.at, not self.chained and self.start < self.spoilt_end
            self._look_from(self.start + 1)
            self.loose = True
            if not inside:  # (one found inside the spoilt one is a member kept in it: a page sent compressed)
                self.spoilt_end = end
                self._said(wrong)

    def _stopped_short(self) -> None:
        """The file ends inside the member."""
        if not self.loose:
            self.said = ScanError.stopped(self.name, self.codec.cut_short)
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
            self.said = ScanError.stopped(self.name, f"more than {MOST_SPOILT} of its {self.codec.unit}s cannot be "
                                                     "read: spoilt throughout?")
            return
        self.said = FileStopped(f"{self.name}: its {self.codec.unit} from byte {self.start:,} cannot be read on "
                                f"({why}); what was found before it still counts, and reading goes on from the next "
                                f"{self.codec.unit_short}", why)

    def _look_from(self, position: int) -> None:
        back = max(position, self.kept_at)  # (of a long member, only its last WINDOW bytes are kept)
        self.data = (b"".join(self.kept) + self.data)[back - self.kept_at:]  # (what is kept runs on into data)
        self.at = back
        self.decoder = None
        self.kept.clear()
        self.kept_size = 0
        self.held.clear()
        self.looking = True

    def _look(self) -> None:
        """The next member's start, from ``at`` on (a member begun there, to be tried); the file's end first is
        :class:`ScanError`."""
        magic = self.codec.magic
        while True:
            found = self.data.find(magic)
            while found != -1 and found + len(magic) < len(self.data) and not self._may_begin(found):
                found = self.data.find(magic, found + 1)
            if found != -1 and found + len(magic) < len(self.data):
                self.data, self.at = self.data[found:], self.at + found
                self.looking = False
                self._member(chained=False)
                return
            # (what could still be the start of one, the byte after its magic number not read yet, is kept)
            keep = len(self.data) - found if found != -1 else min(len(self.data), len(magic) - 1)
            drop = len(self.data) - keep
            self.data, self.at = self.data[drop:], self.at + drop
            if not self._fill():
                self.said = ScanError.stopped(self.name, f"no {self.codec.unit} follows the one spoilt at byte "
                                                         f"{self.spoilt_at:,}")
                return

    def _may_begin(self, at: int) -> bool:
        """Whether a member may begin at ``at`` (its magic number there), as far as its first :data:`PROBE` bytes
        tell: its header, then what its data begins with, decoded (bytes that merely look like a member's start most
        often fail there: passed over at once, without a member begun and failed for each)."""
        head = self.data[at:at + PROBE]
        size = self.codec.header(head)
        if size is None:  # (a header longer than that, or the data in hand ends: the member itself tells)
            return True
        if size == NOT_ONE:
            return False
        try:
            self.codec.decoder().feed(head[size:], PROBE)
        except self.codec.errors:
            return False
        return True
