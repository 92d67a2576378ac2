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


class _Input:
    """The compressed file's bytes in hand, from its byte ``at``; of the member being read, what was taken of it is
    kept (the last :data:`WINDOW` bytes), to be read again where the next member is looked for inside it."""

    def __init__(self, source: Reader, at: int) -> None:
        self.source = source
        self.data = b""  # bytes read, not yet taken
        self.at = at  # where they start in the file
        self.ended = False  # the source has no more to give
        self.kept: collections.deque[bytes] = collections.deque()
        self.kept_at = at  # where what is kept starts
        self.kept_size = 0

    def fill(self) -> bool:
        """More of the file in hand; False where it has ended."""
        more = b"" if self.ended else self.source.read(_IN)
        self.ended = not more
        self.data += more
        return bool(more)

    def keep(self) -> None:
        """What is taken from here on is kept (a member starts here)."""
        self.kept.clear()
        self.kept_at = self.at
        self.kept_size = 0

    def take(self, size: int) -> bytes:
        taken, self.data = self.data[:size], self.data[size:]
        self.at += len(taken)
        self.kept.append(taken)
        self.kept_size += len(taken)
        while self.kept_size - len(self.kept[0]) >= WINDOW:
            dropped = self.kept.popleft()
            self.kept_size -= len(dropped)
            self.kept_at += len(dropped)
        return taken

    def skip(self, size: int) -> None:
        """``size`` bytes passed over, not kept (what passes between two members; where none begins)."""
        self.data, self.at = self.data[size:], self.at + size

    def past_padding(self, codec: Codec) -> bool | None:
        """Past what may pass between two of ``codec``'s members: whether one follows (False: the file ends); None
        where the file ends inside what passes between (it is cut short)."""
        passing = 0  # bytes still to pass over
        while True:
            passed = min(passing, len(self.data))
            self.skip(passed)
            passing -= passed
            if not self.data and not self.fill():
                return None if passing else False
            if passing:
                continue
            size = codec.padding(self.data)
            if size is None:
                if self.fill():
                    continue
                return None
            if not size:
                return True
            passing = size

    def back_to(self, position: int) -> None:
        """The bytes from ``position`` in hand again (from where what is kept starts, where that is later)."""
        back = max(position, self.kept_at)
        self.data = (b"".join(self.kept) + self.data)[back - self.kept_at:]  # (what is kept runs on into data)
        self.at = back
        self.kept.clear()
        self.kept_size = 0


class _Text:
    """What the members make, handed on a piece at a time. A member found by looking has what it makes held back
    until it is trusted; then given on a line of its own."""

    def __init__(self) -> None:
        self.out = b""  # text handed on, ...
        self.given = 0  # ... of which so much has been given (a piece zstd makes may be many reads' worth)
        self.begun = False  # some text has been (the first a file gives tells what it is: nothing goes before it)
        self.chained = False  # the member began where one must (right after another)
        self.holding = False  # ... its text is held back until it is trusted
        self.held: list[bytes] = []
        self.held_size = 0

    def member(self, *, chained: bool, holding: bool) -> None:
        self.chained, self.holding = chained, holding
        self.drop()

    def spent(self) -> bool:
        """All text handed on has been given."""
        return self.given == len(self.out)

    def give(self, size: int) -> bytes:
        out = self.out[self.given:self.given + size]
        self.given += len(out)
        self.begun = True
        return out

    def add(self, made: bytes) -> None:
        """What the member's next piece made."""
        if not self.holding:
            self.out, self.given = made, 0
            return
        self.held.append(made)
        self.held_size += len(made)
        if self.held_size >= TRUST:
            self.trust()

    def trust(self) -> None:
        """What the member has made is handed on from now on: one found by looking, on a line of its own (what was
        handed on before it is not the text it follows: a link there is not run on into it)."""
        if self.holding:
            self.out = self.out[self.given:] + (b"\n" if not self.chained and (self.begun or self.out) else b"") + \
                b"".join(self.held)
            self.given = 0
            self.holding = False
            self.held.clear()

    def drop(self) -> None:
        """What the member made and is held back is not given (it was not trusted)."""
        self.held.clear()
        self.held_size = 0


class Spoilt:
    """The members of a file (its frames, its blocks) found spoilt so far, and what is said of each."""

    def __init__(self, name: str, unit: str, unit_short: str) -> None:
        self.name, self.unit, self.unit_short = name, unit, unit_short
        self.count = 0
        self.at = 0  # where the last one starts
        self.end = 0  # ... and where its data was seen to end, or to fail
        self.last: ScanError | None = None  # what was said of it

    def said(self, start: int, end: int, why: str) -> ScanError:
        """What is said of one more, from ``start`` to ``end``, that cannot be read on for ``why``."""
        self.count += 1
        self.at, self.end = start, end
        if self.count > MOST_SPOILT:
            return ScanError.stopped(self.name, f"more than {MOST_SPOILT} of its {self.unit}s cannot be read: "
                                                "spoilt throughout?")
        self.last = FileStopped(f"{self.name}: its {self.unit} from byte {start:,} cannot be read on ({why}); what "
                                f"was found before it still counts, and reading goes on from the next "
                                f"{self.unit_short}", why)
        return self.last

    def none_after(self) -> ScanError:
        """What is said when the file ends with no other after the last one: that one's line, and that none
        follows, in place of what was said of it alone (which promised a next one)."""
        why = self.last.why if self.last is not None else "spoilt"
        return ScanError(f"{self.name}: its {self.unit} from byte {self.at:,} cannot be read on ({why}), and no "
                         f"{self.unit_short} follows it; what was found before it still counts",
                         f"no {self.unit} follows the one spoilt at byte {self.at:,}", self.last)


class Handout:
    """What a compressed file read a block at a time (bzip2's, xz's) hands on: its text, a piece at a time, the
    text after a spoilt block on a line of its own, and what is said once the text before it is given."""

    def __init__(self, name: str, unit: str) -> None:
        self.name = name
        self.out = b""  # text handed on, ...
        self.given = 0  # ... of which so much has been given
        self.begun = False  # some text has been given
        self.gap = False  # a spoilt block came since: the next text on a line of its own
        self.spoilt = Spoilt(name, unit, "block")
        self.said: list[ScanError] = []  # what to say, in turn, once the text before it is given
        self.over = False  # nothing more follows

    def spent(self) -> bool:
        """All text handed on has been given."""
        return self.given == len(self.out)

    def say(self) -> None:
        """What is to be said next, raised (a spoilt block's once: reading goes on; the file's end, each time)."""
        if self.said:
            said = self.said[0]
            if isinstance(said, FileStopped):
                self.said.pop(0)
            raise said

    def give(self, text: bytes) -> None:
        """``text`` handed on."""
        if self.gap and text and (self.begun or self.out):
            text = b"\n" + text
        self.gap = self.gap and not text
        self.out, self.given = text, 0

    def take(self, size: int) -> bytes:
        """Up to ``size`` bytes of what was handed on."""
        out = self.out[self.given:self.given + size]
        self.given += len(out)
        self.begun = True
        return out

    def spoil(self, start: int, end: int, why: str) -> None:
        """The block from the file's byte ``start`` to its byte ``end`` cannot be read: said (the file given up past
        :data:`MOST_SPOILT` of them)."""
        said = self.spoilt.said(start, end, why)
        self.said.append(said)
        self.gap = True
        self.over = self.over or not isinstance(said, FileStopped)

    def stop(self, why: str) -> None:
        """The file cannot be read on, for ``why``: said, and nothing more follows."""
        self.end(ScanError.stopped(self.name, why))

    def end(self, said: ScanError) -> None:
        """The file cannot be read on: ``said``, and nothing more follows."""
        self.said.append(said)
        self.over = True


class Members:
    """The text of the compressed file ``source`` (named ``name`` in what is said; its members ``codec``'s, the first
    at byte ``start`` of the file), a member after another; ``read1`` gives what one piece of it makes, up to about
    ``size`` bytes (b"": the file has ended)."""

    def __init__(self, source: Reader, name: str, codec: Codec, *, start: int = 0) -> None:
        self.name = name
        self.codec = codec
        self.input = _Input(source, start)
        self.text = _Text()
        self.decoder: Decoder | None = None  # the member whose data is being read (None: between two)
        self.start = 0  # ... where it starts
        self.looking = False  # a member was spoilt: the next is looked for (from the input's ``at``) at the next read
        self.loose = False  # ... and two members in a row have not been read whole since
        self.spoilt = Spoilt(name, codec.unit, codec.unit_short)
        self.said: ScanError | None = None  # what to say once the text before it is given (a FileStopped, once)

    def read1(self, size: int, /) -> bytes:
        while self.text.spent():
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
        return self.text.give(size)

    def _begin(self) -> bool:
        """The next member, where one must begin; False at the file's end."""
        follows = self.input.past_padding(self.codec)
        if follows is None:
            self.said = ScanError.stopped(self.name, self.codec.cut_short)
            return True
        if follows:
            self._member(chained=True)
        return follows

    def _member(self, *, chained: bool) -> None:
        """The member at the input's ``at``: its header read, or it is none."""
        given = self.input
        self.start = given.at
        given.keep()
        self.text.member(chained=chained, holding=self.loose or not chained)
        while (size := self.codec.header(given.data)) is None:
            if len(given.data) > WINDOW:  # (a header of a megabyte: none)
                self._failed(f"not a {self.codec.unit}'s header")
                return
            if not given.fill():
                self._stopped_short()
                return
        if size == NOT_ONE:
            self._failed(f"not a {self.codec.unit}'s header")
            return
        given.take(size)
        self.decoder = self.codec.decoder()

    def _decode(self, size: int) -> None:
        """What the member's next piece makes, handed on (or held back while it is not trusted yet)."""
        decoder, given = self.decoder, self.input
        assert decoder is not None  # noqa: S101 - (a member is being read)
        drained = not given.data and not given.fill()  # (the file ends: what the decoder still holds, first)
        try:
            made, used, ended = decoder.feed(given.data, size)
        except self.codec.errors as exc:
            self._failed(self.codec.why(exc))
            return
        if drained and not made and not ended:
            self._stopped_short()
            return
        given.take(used)
        self.text.add(made)
        if ended:
            self._end(decoder)
        elif self.text.holding and given.at - self.start > WINDOW:  # (so much taken, so little made: none)
            self._look_from(self.start + 1)

    def _end(self, decoder: Decoder) -> None:
        """The member's trailer, checked against what it made."""
        given = self.input
        while len(given.data) < self.codec.trailer and given.fill():
            pass
        if len(given.data) < self.codec.trailer:
            self._stopped_short()
            return
        wrong = decoder.wrong(given.take(self.codec.trailer))
        self.decoder = None
        self.text.trust()  # (what a member read to its end made is given, whether its trailer is right or not)
        if wrong is None:
            self.loose = self.loose and not self.text.chained  # (two members in a row, each whole: the file's own)
        else:  # (its data may not end where it seemed to: it ran on into the next member, cut short before it)
            end, inside = given.at, not self.text.chained and self.start < self.spoilt.end
            self._look_from(self.start + 1)
            self.loose = True
            if not inside:  # (one found inside the spoilt one is a member kept in it: a page sent compressed)
                self.said = self.spoilt.said(self.start, end, wrong)

    def _stopped_short(self) -> None:
        """The file ends inside the member."""
        if not self.loose:
            self.said = ScanError.stopped(self.name, self.codec.cut_short)
            return
        self._look_from(self.start + 1)

    def _failed(self, why: str) -> None:
        """The member does not decode: said (where members were read whole up to it), and the next looked for
        from the byte after its start."""
        end = self.input.at
        self._look_from(self.start + 1)
        if not self.loose:
            self.loose = True
            self.said = self.spoilt.said(self.start, end, why)

    def _look_from(self, position: int) -> None:
        self.input.back_to(position)  # (of a long member, only its last WINDOW bytes are kept)
        self.decoder = None
        self.text.drop()
        self.looking = True

    def _look(self) -> None:
        """The next member's start, from the input's ``at`` on (a member begun there, to be tried); the file's end
        first is :class:`ScanError`."""
        given, magic = self.input, self.codec.magic
        while True:
            found = _candidate(self.codec, given.data)
            if found != -1 and found + len(magic) < len(given.data):
                given.skip(found)
                self.looking = False
                self._member(chained=False)
                return
            # (what could still be the start of one, the byte after its magic number not read yet, is kept)
            keep = len(given.data) - found if found != -1 else min(len(given.data), len(magic) - 1)
            given.skip(len(given.data) - keep)
            if not given.fill():
                self.said = self.spoilt.none_after()
                return


def _candidate(codec: Codec, data: bytes) -> int:
    """Where in ``data`` the first member may begin (-1: nowhere), or where one's magic number is with no byte after
    it yet (to be told once more is read)."""
    magic = codec.magic
    found = data.find(magic)
    while found != -1 and found + len(magic) < len(data) and not _may_begin(codec, data[found:found + PROBE]):
        found = data.find(magic, found + 1)
    return found


def _may_begin(codec: Codec, head: bytes) -> bool:
    """Whether a member may begin where ``head`` (its magic number first) is, as far as these first :data:`PROBE`
    bytes tell: its header, then what its data begins with, decoded (bytes that merely look like a member's start
    most often fail there: passed over at once, without a member begun and failed for each)."""
    size = codec.header(head)
    if size is None:  # (a header longer than that, or the data in hand ends: the member itself tells)
        return True
    if size == NOT_ONE:
        return False
    try:
        codec.decoder().feed(head[size:], PROBE)
    except codec.errors:
        return False
    return True
